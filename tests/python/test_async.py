"""The async API: acompletion / aembedding awaited from asyncio, concurrency and cancellation."""

from __future__ import annotations

import asyncio
import inspect
import time

import litellm_rs
import pytest
from mockserver import embedding_vector
from support import KEY, MSGS, achat, chat


def test_async_functions_are_coroutine_functions():
    assert inspect.iscoroutinefunction(litellm_rs.acompletion)
    assert inspect.iscoroutinefunction(litellm_rs.aembedding)


async def test_acompletion(mock):
    r = await achat(mock, temperature=0.5)

    assert isinstance(r, litellm_rs.ModelResponse)
    assert r.choices[0].message.content == mock.chat_text
    assert r["choices"][0]["message"]["content"] == mock.chat_text
    assert r.usage.total_tokens == 29
    assert r._hidden_params["custom_llm_provider"] == "openai"
    assert mock.last.body == {"model": "gpt-4o-mini", "messages": MSGS, "temperature": 0.5}
    assert mock.last.header("authorization") == f"Bearer {KEY}"


async def test_fifty_concurrent_acompletions(mock):
    mock.chat_text = lambda body: "echo: " + body["messages"][-1]["content"]
    mock.delay = 0.3  # 50 sequential calls would take 15 s

    t0 = time.monotonic()
    results = await asyncio.gather(
        *(achat(mock, messages=[{"role": "user", "content": f"request {i}"}]) for i in range(50))
    )
    elapsed = time.monotonic() - t0

    assert [r.choices[0].message.content for r in results] == [f"echo: request {i}" for i in range(50)]
    assert mock.count() == 50
    assert elapsed < 5.0, f"50 concurrent calls took {elapsed:.2f}s: they did not run concurrently"


async def test_event_loop_keeps_running_during_acompletion(mock):
    mock.delay = 0.5
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.create_task(ticker())
    try:
        await achat(mock)
    finally:
        t.cancel()
    assert ticks >= 10, f"the event loop was blocked during acompletion ({ticks} ticks in 0.5 s)"


async def test_cancelling_acompletion_is_prompt_and_drops_the_request(mock):
    mock.delay = 5.0
    task = asyncio.create_task(achat(mock))

    deadline = time.monotonic() + 5
    while mock.count() == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert mock.count() == 1, "the request never reached the mock server"

    t0 = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - t0 < 1.0

    # The upstream request is abandoned: the mock sees the client go away long before its 5 s delay.
    assert await asyncio.to_thread(mock.wait_for_disconnect, 2.0), "the upstream connection stayed open"


async def test_wait_for_timeout_cancels_acompletion(mock):
    mock.delay = 5.0
    t0 = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(achat(mock), timeout=0.3)
    assert time.monotonic() - t0 < 1.5


async def test_aembedding(mock):
    r = await litellm_rs.aembedding(
        model="openai/text-embedding-3-small", input=["hello world", "bye"], api_base=mock.url, api_key=KEY
    )

    assert isinstance(r, litellm_rs.EmbeddingResponse)
    assert mock.last.path == "/v1/embeddings"
    assert mock.last.body["input"] == ["hello world", "bye"]
    assert mock.last.body["model"] == "text-embedding-3-small"
    assert len(r.data) == 2
    assert r.data[1]["embedding"] == pytest.approx(embedding_vector(1, 8))
    assert r.usage.prompt_tokens == 3


async def test_async_error_is_a_litellm_exception(mock):
    mock.fail(401)
    with pytest.raises(litellm_rs.AuthenticationError) as ei:
        await achat(mock, num_retries=0)
    assert ei.value.status_code == 401


async def test_sync_completion_inside_a_running_event_loop(mock):
    # Users call the sync API from async code (e.g. in a handler); it must not need a free loop.
    r = chat(mock)
    assert r.choices[0].message.content == mock.chat_text


async def test_acompletion_from_several_event_loops_in_threads(mock):
    def run_in_new_loop(i):
        return asyncio.run(achat(mock, messages=[{"role": "user", "content": f"thread {i}"}]))

    mock.chat_text = lambda body: body["messages"][-1]["content"]
    results = await asyncio.gather(*(asyncio.to_thread(run_in_new_loop, i) for i in range(4)))

    assert sorted(r.choices[0].message.content for r in results) == [f"thread {i}" for i in range(4)]


def test_acompletion_across_sequential_event_loops(mock):
    # asyncio.run() twice in one thread: the second loop must not trip over state of the first.
    first = asyncio.run(achat(mock))
    second = asyncio.run(achat(mock))

    assert first.choices[0].message.content == second.choices[0].message.content == mock.chat_text
    assert mock.count() == 2


async def test_async_stream_consumed_by_another_task(mock):
    stream = await achat(mock, stream=True)

    async def consume():
        return [c async for c in stream]

    chunks = await asyncio.create_task(consume())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == mock.chat_text


_EXIT_SCRIPT = """
import asyncio, sys
import litellm_rs

async def main(url):
    msgs = [{"role": "user", "content": "hi"}]
    call = lambda: litellm_rs.acompletion(model="openai/gpt-4o-mini", messages=msgs, api_base=url, api_key="sk-x")
    await asyncio.gather(*[call() for _ in range(64)])
    # leave 64 calls in flight: they finish while the interpreter shuts down
    for _ in range(64):
        asyncio.ensure_future(call())
    await asyncio.sleep(0.01)

asyncio.run(main(sys.argv[1]))
"""


def test_exit_with_calls_in_flight_is_clean(mock):
    """Calls still running when the interpreter exits must not crash it (they finish on the
    engine's threads, which never touch Python)."""
    import subprocess
    import sys

    mock.slow(0.05, times=10_000)
    for _ in range(5):
        proc = subprocess.run(
            [sys.executable, "-c", _EXIT_SCRIPT, mock.url], check=False, capture_output=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]

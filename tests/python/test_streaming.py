"""stream=True: CustomStreamWrapper chunks, usage, stream_chunk_builder, early close, broken streams."""

from __future__ import annotations

import json
import time

import litellm_rs
import pytest
from support import (
    MSGS,
    TIME_TOOL,
    TOOL_CALLS,
    WEATHER_TOOL,
    achat,
    api_error_family,
    chat,
    delta_text,
    finish_reasons,
    tool_call_deltas,
)

LONG_PIECES = [f"tok{i} " for i in range(300)]


def _slow_long_stream(mock):
    mock.stream_pieces = LONG_PIECES
    mock.stream_interval = 0.02  # the whole stream would take ~6 s


# -- sync -------------------------------------------------------------------------------------


def test_sync_stream_text(mock):
    stream = chat(mock, stream=True)
    chunks = list(stream)

    assert mock.last.body["stream"] is True
    assert len(chunks) >= 3
    for c in chunks:
        assert isinstance(c, litellm_rs.ModelResponseStream)
        assert c.object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert delta_text(chunks) == mock.chat_text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert finish_reasons(chunks) == ["stop"]
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].id.startswith("chatcmpl-")
    assert chunks[1]["choices"][0]["delta"]["content"] == chunks[1].choices[0].delta.content


def test_stream_is_lazy_chunks_arrive_before_the_stream_ends(mock):
    mock.stream_pieces = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    mock.stream_interval = 0.1  # ~1.2 s in total

    t0 = time.monotonic()
    stream = chat(mock, stream=True)
    first = next(iter(stream))
    first_at = time.monotonic() - t0
    rest = list(stream)

    assert first_at < 0.8, f"the first chunk came after {first_at:.2f}s: the stream was buffered"
    assert delta_text([first, *rest]) == "abcdefghij"


def test_sync_stream_tool_call_deltas_keep_their_index(mock):
    mock.tool_calls = TOOL_CALLS

    chunks = list(chat(mock, stream=True, tools=[WEATHER_TOOL, TIME_TOOL]))

    calls = tool_call_deltas(chunks)
    assert sorted(calls) == [0, 1]
    for i, expected in enumerate(TOOL_CALLS):
        assert calls[i]["id"] == expected["id"]
        assert calls[i]["name"] == expected["name"]
        assert json.loads(calls[i]["arguments"]) == json.loads(expected["arguments"])
    assert chunks[0].choices[0].delta.role == "assistant"
    assert finish_reasons(chunks) == ["tool_calls"]


def test_stream_include_usage_gives_a_final_usage_chunk(mock):
    chunks = list(chat(mock, stream=True, stream_options={"include_usage": True}))

    assert mock.last.body["stream_options"] == {"include_usage": True}
    last = chunks[-1]
    assert last.usage is not None
    assert last.usage.prompt_tokens == 19
    assert last.usage.completion_tokens == 10
    assert last.usage.total_tokens == 29
    assert delta_text(chunks) == mock.chat_text
    assert finish_reasons(chunks) == ["stop"]


def test_stream_chunk_builder_rebuilds_text_and_usage(mock):
    chunks = list(chat(mock, stream=True, stream_options={"include_usage": True}))

    r = litellm_rs.stream_chunk_builder(chunks, messages=MSGS)

    assert isinstance(r, litellm_rs.ModelResponse)
    assert r.choices[0].message.content == mock.chat_text
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason == "stop"
    assert r.id == chunks[0].id
    assert r.usage.prompt_tokens == 19
    assert r.usage.completion_tokens == 10
    assert r.usage.total_tokens == 29


def test_stream_chunk_builder_rebuilds_tool_calls(mock):
    mock.tool_calls = TOOL_CALLS

    chunks = list(chat(mock, stream=True, tools=[WEATHER_TOOL, TIME_TOOL]))
    r = litellm_rs.stream_chunk_builder(chunks)

    tcs = r.choices[0].message.tool_calls
    assert [tc.id for tc in tcs] == [tc["id"] for tc in TOOL_CALLS]
    assert [tc.function.name for tc in tcs] == ["get_weather", "get_time"]
    assert [json.loads(tc.function.arguments) for tc in tcs] == [json.loads(tc["arguments"]) for tc in TOOL_CALLS]
    assert r.choices[0].finish_reason == "tool_calls"


def test_break_and_close_releases_the_upstream_connection(mock):
    _slow_long_stream(mock)
    stream = chat(mock, stream=True)

    got = []
    for chunk in stream:
        got.append(chunk)
        if len(got) == 3:
            break
    stream.close()

    assert mock.wait_for_disconnect(timeout=2.0), "the upstream stream kept running after close()"
    assert mock.streams_completed == 0
    assert mock.disconnects[0]["sent"] < len(LONG_PIECES)


def test_context_manager_closes_the_stream(mock):
    _slow_long_stream(mock)

    with chat(mock, stream=True) as stream:
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"

    assert mock.wait_for_disconnect(timeout=2.0), "leaving the with-block did not close the upstream stream"
    assert mock.streams_completed == 0


def test_context_manager_full_read(mock):
    with chat(mock, stream=True) as stream:
        text = delta_text(list(stream))
    assert text == mock.chat_text


def test_truncated_stream_raises_a_litellm_exception(mock):
    mock.truncate(after=3)  # role chunk + 2 content chunks, then the connection drops

    got = []
    with pytest.raises(Exception) as ei:
        for chunk in chat(mock, stream=True, num_retries=0):
            got.append(chunk)  # noqa: PERF402 - keep what arrived before the error

    assert isinstance(ei.value, api_error_family()), f"{type(ei.value).__mro__}: {ei.value}"
    assert delta_text(got) == "".join(mock.pieces_for({})[:2])


def test_stream_error_status_raises_before_the_first_chunk(mock):
    mock.fail(429)
    with pytest.raises(litellm_rs.RateLimitError):
        list(chat(mock, stream=True, num_retries=0))


# -- async ------------------------------------------------------------------------------------


async def test_async_stream_text(mock):
    stream = await achat(mock, stream=True)
    chunks = [c async for c in stream]

    assert chunks[0].choices[0].delta.role == "assistant"
    assert delta_text(chunks) == mock.chat_text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(isinstance(c, litellm_rs.ModelResponseStream) for c in chunks)


async def test_async_stream_tool_calls_and_usage(mock):
    mock.tool_calls = TOOL_CALLS

    stream = await achat(mock, stream=True, tools=[WEATHER_TOOL, TIME_TOOL], stream_options={"include_usage": True})
    chunks = [c async for c in stream]

    calls = tool_call_deltas(chunks)
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert chunks[-1].usage.total_tokens == 29
    r = litellm_rs.stream_chunk_builder(chunks)
    assert r.choices[0].message.tool_calls[1].function.name == "get_time"
    assert r.usage.total_tokens == 29


async def test_async_break_and_aclose_releases_the_upstream_connection(mock):
    _slow_long_stream(mock)
    stream = await achat(mock, stream=True)

    n = 0
    async for _ in stream:
        n += 1
        if n == 3:
            break
    await stream.aclose()

    import asyncio

    assert await asyncio.to_thread(mock.wait_for_disconnect, 2.0), "aclose() did not close the upstream stream"
    assert mock.streams_completed == 0


async def test_async_context_manager(mock):
    async with await achat(mock, stream=True) as stream:
        chunks = [c async for c in stream]
    assert delta_text(chunks) == mock.chat_text


async def test_async_truncated_stream_raises(mock):
    mock.truncate(after=3)

    with pytest.raises(Exception) as ei:
        stream = await achat(mock, stream=True, num_retries=0)
        async for _ in stream:
            pass

    assert isinstance(ei.value, api_error_family()), f"{type(ei.value).__mro__}: {ei.value}"


# -- more stream behaviour ----------------------------------------------------------------------


def test_stream_wrapper_hidden_params(mock):
    stream = chat(mock, stream=True)
    list(stream)

    assert stream._hidden_params["custom_llm_provider"] == "openai"


def test_stream_timeout_between_chunks(mock):
    mock.stream_pieces = ["one", "two"]
    mock.stream_interval = 3.0  # the second event comes after 3 s

    t0 = time.monotonic()
    with pytest.raises(litellm_rs.Timeout):
        for _ in chat(mock, stream=True, timeout=0.5, num_retries=0):
            pass
    assert time.monotonic() - t0 < 2.0


def test_stream_timeout_counts_from_the_last_chunk_not_the_start(mock):
    # each gap (0.25 s) is within the limit (0.6 s); the whole stream (~1.5 s) is not
    mock.stream_pieces = ["a", "b", "c", "d", "e", "f"]
    mock.stream_interval = 0.25

    t0 = time.monotonic()
    chunks = list(chat(mock, stream=True, timeout=0.6, num_retries=0))
    assert delta_text(chunks) == "abcdef"
    assert time.monotonic() - t0 > 1.2


def test_mock_response_stream(mock):
    chunks = list(chat(mock, stream=True, mock_response="hello there"))

    assert delta_text(chunks) == "hello there"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert mock.count() == 0


async def test_cancelling_a_task_in_the_middle_of_an_async_stream(mock):
    import asyncio

    _slow_long_stream(mock)
    stream = await achat(mock, stream=True)
    got = []

    async def consume():
        async for c in stream:
            got.append(c)

    task = asyncio.create_task(consume())
    while len(got) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # cancelling the consumer cancels only its pending wait: the stream is intact and readable
    n = len(got)
    nxt = await asyncio.wait_for(stream.__anext__(), 5)
    assert nxt.choices and len(got) == n
    await stream.aclose()

    assert await asyncio.to_thread(mock.wait_for_disconnect, 2.0)
    assert mock.streams_completed == 0


def test_groq_stream_with_x_groq_extras(mock):
    mock.flavor = "groq"
    chunks = list(
        litellm_rs.completion(
            model="groq/llama-3.3-70b-versatile", messages=MSGS, api_base=mock.url, api_key="gsk-test", stream=True
        )
    )

    assert delta_text(chunks) == mock.chat_text
    assert finish_reasons(chunks) == ["stop"]


# -- SSE framing, in-stream errors, dropped handles ------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "crlf", "comments"),
    [(0, False, False), (7, True, True), (1, False, True), (None, True, False)],
    ids=["one-chunk", "7-byte-cuts-crlf-comments", "1-byte-cuts-comments", "crlf"],
)
def test_sse_framing_does_not_matter(mock, fragment, crlf, comments):
    mock.sse_fragment, mock.sse_crlf, mock.sse_comments = fragment, crlf, comments
    mock.chat_text = "Grüße aus dem Mock — 你好 👋 done"  # multi-byte characters get cut too

    chunks = list(chat(mock, stream=True, stream_options={"include_usage": True}))

    assert delta_text(chunks) == mock.chat_text
    assert finish_reasons(chunks) == ["stop"]
    assert chunks[-1].usage.total_tokens == 29


def test_sse_framing_with_tool_calls(mock):
    mock.sse_fragment = 5
    mock.tool_calls = TOOL_CALLS

    chunks = list(chat(mock, stream=True, tools=[WEATHER_TOOL, TIME_TOOL]))

    calls = tool_call_deltas(chunks)
    assert [json.loads(calls[i]["arguments"]) for i in sorted(calls)] == [
        json.loads(tc["arguments"]) for tc in TOOL_CALLS
    ]


def test_error_event_inside_the_stream_raises(mock):
    mock.stream_error(after=3, message="Upstream model crashed mid-generation")

    got = []
    with pytest.raises(Exception) as ei:
        for chunk in chat(mock, stream=True, num_retries=0):
            got.append(chunk)  # noqa: PERF402 - keep what arrived before the error

    assert isinstance(ei.value, api_error_family()), f"{type(ei.value).__mro__}: {ei.value}"
    assert "Upstream model crashed mid-generation" in str(ei.value)
    assert delta_text(got) == "".join(mock.pieces_for({})[:2])


def test_dropping_an_unfinished_stream_releases_the_connection(mock):
    import gc

    _slow_long_stream(mock)
    stream = chat(mock, stream=True)
    next(iter(stream))
    del stream
    gc.collect()

    assert mock.wait_for_disconnect(timeout=2.0), "a garbage-collected stream kept its upstream connection"
    assert mock.streams_completed == 0


def test_many_streams_opened_and_closed_unread(mock):
    _slow_long_stream(mock)

    for _ in range(10):
        chat(mock, stream=True).close()

    deadline = time.monotonic() + 3
    while len(mock.disconnects) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(mock.disconnects) == 10
    # The client still works normally afterwards.
    mock.stream_pieces, mock.stream_interval = None, 0.0
    assert delta_text(list(chat(mock, stream=True))) == mock.chat_text


def test_stream_chunk_builder_counts_usage_when_the_stream_had_none(mock):
    chunks = list(chat(mock, stream=True))
    assert all(c.usage is None for c in chunks if hasattr(c, "usage"))
    r = litellm_rs.stream_chunk_builder(chunks, messages=MSGS)
    text = r.choices[0].message.content
    assert r.usage.prompt_tokens == litellm_rs.token_counter(model="gpt-4o-mini", messages=MSGS)
    assert r.usage.completion_tokens == litellm_rs.token_counter(model="gpt-4o-mini", text=text) > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert litellm_rs.completion_cost(completion_response=r) > 0


# -- the wrapper's chunks ---------------------------------------------------------------------


def _dumps(chunks):
    return [c.model_dump() for c in chunks]


@pytest.mark.parametrize("fragment", [None, 0])  # one batch per event, or the whole stream in one batch
def test_wrapper_chunks_are_the_chunks_yielded_so_far(mock, fragment):
    mock.sse_fragment = fragment
    mock.stream_pieces = [f"w{i} " for i in range(12)]
    stream = chat(mock, stream=True, stream_options={"include_usage": True})
    assert stream.chunks == []

    it = iter(stream)
    first = [next(it) for _ in range(3)]
    assert repr(stream).endswith("chunks=3>")
    assert _dumps(stream.chunks) == _dumps(first)
    rest = list(it)

    chunks = stream.chunks
    assert _dumps(chunks) == _dumps(first + rest)
    assert chunks[-1] is rest[-1]  # once asked for, the list follows the stream with the same objects
    assert stream.chunks is chunks
    built = litellm_rs.stream_chunk_builder(chunks)
    assert built.choices[0].message.content == "".join(mock.stream_pieces)
    assert built.usage.total_tokens == rest[-1].usage.total_tokens


@pytest.mark.parametrize("fragment", [None, 0])  # one batch per event, or the whole stream in one batch
def test_next_and_for_loops_share_one_stream(mock, fragment):
    mock.sse_fragment = fragment
    mock.stream_pieces = [f"w{i} " for i in range(30)]
    stream = chat(mock, stream=True)
    assert iter(stream) is stream
    assert not stream.sent_first_chunk
    first = next(stream)
    assert stream.sent_first_chunk and not stream.sent_last_chunk
    middle = [c for _, c in zip(range(5), stream)]  # a loop left early
    rest = list(stream)
    assert stream.sent_last_chunk
    assert len(middle) == 5
    assert delta_text([first, *middle, *rest]) == "".join(mock.stream_pieces)
    assert finish_reasons(rest) == ["stop"]
    with pytest.raises(StopIteration):
        next(stream)
    assert list(stream) == []


class _Batches:
    """A completion stream that is not the engine's: batches of chunk JSON, then []."""

    def __init__(self, *batches: list[bytes]) -> None:
        self.batches = list(batches)
        self.closed = False

    def next_batch(self) -> list[bytes]:
        return self.batches.pop(0) if self.batches else []

    def close(self) -> None:
        self.closed = True


def test_a_wrapper_over_another_kind_of_completion_stream():
    def raw(i: int, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": {"content": f"p{i}"}, "finish_reason": finish}
        return json.dumps(
            {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}
        ).encode()

    source = _Batches([raw(0), raw(1)], [raw(2, "stop")])
    stream = litellm_rs.CustomStreamWrapper(source, model="m", custom_llm_provider="openai")
    first = next(stream)
    got = [first, *stream]
    assert all(type(c) is litellm_rs.ModelResponseStream for c in got)
    assert delta_text(got) == "p0p1p2"
    assert finish_reasons(got) == ["stop"]
    assert stream.sent_last_chunk
    assert _dumps(stream.chunks) == _dumps(got)
    assert stream._hidden_params["custom_llm_provider"] == "openai"
    stream.close()
    assert source.closed


def test_wrapper_chunks_leave_out_what_close_dropped(mock):
    mock.sse_fragment = 0  # every chunk arrives in the first batch
    mock.stream_pieces = [f"w{i} " for i in range(12)]
    stream = chat(mock, stream=True)
    it = iter(stream)
    got = [next(it), next(it)]
    stream.close()
    assert _dumps(stream.chunks) == _dumps(got)
    assert list(stream) == []


async def test_async_wrapper_chunks(mock):
    mock.stream_pieces = [f"w{i} " for i in range(12)]
    stream = await achat(mock, stream=True)
    got = []
    async for c in stream:
        got.append(c)
        if len(got) == 4:
            assert _dumps(stream.chunks) == _dumps(got)
    assert _dumps(stream.chunks) == _dumps(got) and len(got) == 14


def test_text_completion_stream_chunks(mock):
    stream = litellm_rs.text_completion(
        model="text-completion-openai/gpt-3.5-turbo-instruct",
        prompt="hi",
        api_base=mock.url,
        api_key="sk-test",
        stream=True,
    )
    got = list(stream)
    assert got and all(type(c) is litellm_rs.TextCompletionResponse for c in got)
    assert _dumps(stream.chunks) == _dumps(got)


def test_a_stream_does_not_keep_the_chunks_the_caller_dropped(mock):
    import gc

    mock.stream_pieces = [f"w{i} " for i in range(400)]
    stream = chat(mock, stream=True)
    n = 0
    for _ in stream:
        n += 1
    assert repr(stream).endswith(f"chunks={n}>")  # counted without making the chunks again
    gc.collect()
    alive = sum(type(o) is litellm_rs.ModelResponseStream for o in gc.get_objects())
    assert alive <= 1, f"{alive} chunks of {n} still alive after the stream"
    assert len(stream.chunks) == n == 402  # the list is still there when asked for

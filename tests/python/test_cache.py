"""The response cache: local and Redis, completion / acompletion / streams / embeddings / text
completions, per-call controls, hidden params, callbacks, and a Redis that is down."""

from __future__ import annotations

import time

import litellm_rs
import pytest
from litellm_rs import Cache
from support import KEY, MSGS, achat, chat


@pytest.fixture
def local_cache():
    litellm_rs.cache = Cache()
    yield litellm_rs.cache
    litellm_rs.cache = None


def test_a_repeated_completion_is_served_from_the_cache(mock, local_cache):
    first = chat(mock, temperature=0.3)
    second = chat(mock, temperature=0.3)
    assert mock.count() == 1, "the second call never reached the provider"
    assert second.choices[0].message.content == first.choices[0].message.content
    assert second.id == first.id
    assert second._hidden_params["cache_hit"] is True
    assert second._hidden_params["response_cost"] == 0
    assert first._hidden_params["cache_hit"] is False
    assert first._hidden_params["cache_key"] == second._hidden_params["cache_key"]
    assert litellm_rs.completion_cost(completion_response=second) == 0

    chat(mock, temperature=0.4)  # other parameters: another key
    assert mock.count() == 2


def test_cache_key_is_stable_and_parameter_sensitive(local_cache):
    k1 = local_cache.get_cache_key(model="gpt-4o-mini", messages=MSGS, temperature=0.2)
    k2 = local_cache.get_cache_key(messages=MSGS, temperature=0.2, model="gpt-4o-mini", stream=True)
    k3 = local_cache.get_cache_key(model="gpt-4o-mini", messages=MSGS, temperature=0.3)
    assert k1 == k2 != k3 and len(k1) == 64
    assert Cache(namespace="team-a").get_cache_key(model="m", messages=MSGS).startswith("team-a:")


def test_per_call_controls(mock, local_cache):
    chat(mock)
    chat(mock, cache={"no-cache": True})  # skips the lookup, refreshes the entry
    assert mock.count() == 2
    chat(mock, caching=False)
    assert mock.count() == 3
    chat(mock, cache={"no-store": True}, seed=7)
    chat(mock, seed=7)
    assert mock.count() == 5, "a no-store answer was not kept"
    chat(mock, cache={"ttl": 0.2}, seed=8)
    chat(mock, seed=8)
    assert mock.count() == 6
    time.sleep(0.3)
    chat(mock, seed=8)
    assert mock.count() == 7, "the entry expired"
    chat(mock, seed=9)
    time.sleep(0.25)
    chat(mock, seed=9, cache={"s-maxage": 0.1})
    assert mock.count() == 9, "an entry older than s-maxage is not used"
    chat(mock, seed=10, cache={"namespace": "a"})
    chat(mock, seed=10, cache={"namespace": "b"})
    assert mock.count() == 11


def test_default_off_mode_caches_only_calls_that_ask(mock):
    litellm_rs.cache = Cache(mode="default_off")
    try:
        chat(mock)
        chat(mock)
        assert mock.count() == 2
        chat(mock, cache={"use-cache": True})
        chat(mock, caching=True)
        assert mock.count() == 3
    finally:
        litellm_rs.cache = None


async def test_acompletion_and_streams_use_the_cache(mock, local_cache):
    first = await achat(mock)
    hit = await achat(mock)
    assert mock.count() == 1 and hit._hidden_params["cache_hit"] is True
    stream = chat(mock, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert mock.count() == 1, "a stream is replayed from the stored answer"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == first.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].usage.total_tokens == first.usage.total_tokens
    assert stream._hidden_params["cache_hit"] is True


def test_embeddings_and_text_completions_use_the_cache(mock, local_cache):
    kw = {"api_base": mock.url, "api_key": KEY}
    e1 = litellm_rs.embedding(model="openai/text-embedding-3-small", input=["a", "b"], **kw)
    e2 = litellm_rs.embedding(model="openai/text-embedding-3-small", input=["a", "b"], **kw)
    assert e2.data[1]["embedding"] == e1.data[1]["embedding"] and e2._hidden_params["cache_hit"] is True
    t1 = litellm_rs.text_completion(model="openai/gpt-3.5-turbo-instruct", prompt="Say", **kw)
    t2 = litellm_rs.text_completion(model="openai/gpt-3.5-turbo-instruct", prompt="Say", **kw)
    assert t2.choices[0].text == t1.choices[0].text and t2._hidden_params["cache_hit"] is True
    assert mock.count() == 2


def test_supported_call_types_limit_the_cache(mock):
    litellm_rs.cache = Cache(supported_call_types=["embedding", "aembedding"])
    try:
        chat(mock)
        chat(mock)
        assert mock.count() == 2
    finally:
        litellm_rs.cache = None


def test_enable_and_disable_cache(mock):
    litellm_rs.enable_cache()
    try:
        chat(mock)
        chat(mock)
        assert mock.count() == 1
        litellm_rs.disable_cache()
        chat(mock)
        assert mock.count() == 2
    finally:
        litellm_rs.cache = None


def test_callbacks_see_cache_hits(mock, local_cache):
    seen = []
    litellm_rs.success_callback = [lambda kw, resp, st, et: seen.append(kw)]
    chat(mock)
    chat(mock)
    litellm_rs.flush_callbacks()
    slo = [kw["standard_logging_object"] for kw in seen]
    assert [s["cache_hit"] for s in slo] == [None, True]
    assert slo[1]["response_cost"] == 0 and slo[1]["cache_key"] == slo[0]["cache_key"]


def test_redis_cache_is_shared_between_caches(mock, redis_url):
    litellm_rs.cache = Cache(type="redis", redis_url=redis_url, namespace="t")
    try:
        first = chat(mock)
        deadline = time.monotonic() + 5  # the write happens after the answer is returned
        litellm_rs.cache = Cache(type="redis", redis_url=redis_url, namespace="t")  # a fresh process's view
        while True:
            hit = chat(mock)
            if hit._hidden_params.get("cache_hit") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert hit._hidden_params["cache_hit"] is True
        assert hit.choices[0].message.content == first.choices[0].message.content
        litellm_rs.cache.clear()
        assert chat(mock)._hidden_params["cache_hit"] is False
    finally:
        litellm_rs.cache = None


def test_a_redis_that_is_down_is_a_miss_not_an_error(mock):
    litellm_rs.cache = Cache(type="redis", host="127.0.0.1", port=9, password="pw-never-shown")
    try:
        started = time.monotonic()
        resp = chat(mock)
        assert resp.choices[0].message.content
        assert time.monotonic() - started < 5
    finally:
        litellm_rs.cache = None


def test_unsupported_cache_types_are_refused_clearly():
    with pytest.raises(ValueError, match="not supported"):
        Cache(type="gcs")
    with pytest.raises(ValueError, match="not supported"):
        Cache(type="azure-blob")


def test_mocked_answers_never_enter_the_cache(mock, local_cache):
    litellm_rs.completion(model="openai/gpt-4o-mini", messages=MSGS, mock_response="canned", api_key=KEY)
    real = chat(mock)
    assert real.choices[0].message.content != "canned"
    assert mock.count() == 1


def test_a_streamed_answer_is_stored_when_the_stream_ends(mock, local_cache):
    stream = chat(mock, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert stream._hidden_params["cache_hit"] is False and stream._hidden_params["cache_key"]
    hit = chat(mock)
    assert mock.count() == 1
    assert hit._hidden_params["cache_hit"] is True and hit.choices[0].message.content == text
    replay = chat(mock, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in replay if c.choices) == text
    assert mock.count() == 1


def test_a_broken_or_abandoned_stream_is_not_stored(mock, local_cache):
    mock.truncate(after=2)
    with pytest.raises(Exception):  # noqa: B017 - the class is tested in test_streaming
        list(chat(mock, stream=True, seed=1))
    mock.stream_interval = 0.05  # the client leaves while the answer is still coming
    stream = chat(mock, stream=True, seed=2)
    next(stream)
    stream.close()
    mock.stream_interval = 0.0
    chat(mock, seed=1)
    chat(mock, seed=2)
    assert mock.count() == 4, "neither stream left an entry"


def test_embeddings_are_cached_per_input(mock, local_cache):
    kw = {"model": "openai/text-embedding-3-small", "api_base": mock.url, "api_key": KEY}
    first = litellm_rs.embedding(input=["a", "b"], **kw)
    second = litellm_rs.embedding(input=["b", "c"], **kw)
    assert mock.count() == 2
    assert mock.last.body["input"] == ["c"], "only the input the cache lacks is sent"
    assert [d["index"] for d in second.data] == [0, 1]
    assert second.data[0]["embedding"] == first.data[1]["embedding"]
    assert second._hidden_params["cache_hit"] is False
    third = litellm_rs.embedding(input=["c", "a"], **kw)
    assert mock.count() == 2, "every input known: no request"
    assert third._hidden_params["cache_hit"] is True and third.usage.total_tokens == 0
    assert third.data[0]["embedding"] == second.data[1]["embedding"]
    assert third.data[1]["embedding"] == first.data[0]["embedding"]
    single = litellm_rs.embedding(input="a", **kw)
    assert mock.count() == 2 and single.data[0]["embedding"] == first.data[0]["embedding"]


async def test_identical_requests_in_flight_make_one_upstream_call(mock, local_cache):
    import asyncio

    mock.slow(0.3)
    answers = await asyncio.gather(*[achat(mock, seed=42) for _ in range(6)])
    assert mock.count() == 1
    assert len({a.choices[0].message.content for a in answers}) == 1
    assert len({a.id for a in answers}) == 1
    # one caller made the upstream call and pays for it; the others paid nothing (as a cache hit)
    costs = sorted(a._hidden_params["response_cost"] for a in answers)
    assert costs[:5] == [0.0] * 5 and costs[5] > 0, costs
    later = await achat(mock, seed=42)
    assert later._hidden_params["cache_hit"] is True and mock.count() == 1


async def test_identical_embedding_batches_in_flight_make_one_upstream_call(mock, local_cache):
    import asyncio

    mock.slow(0.3)
    kw = {"model": "openai/text-embedding-3-small", "api_base": mock.url, "api_key": KEY}
    answers = await asyncio.gather(*[litellm_rs.aembedding(input=["x", "y"], **kw) for _ in range(5)])
    assert mock.count() == 1
    assert len({str(a.data[1]["embedding"]) for a in answers}) == 1
    costs = sorted(a._hidden_params["response_cost"] for a in answers)
    assert costs[:4] == [0.0] * 4 and costs[4] > 0, costs


async def test_identical_streams_in_flight_share_one_upstream_stream(mock, local_cache):
    import asyncio

    mock.stream_interval = 0.02

    async def read(delay: float, stop_after: int | None = None) -> str:
        await asyncio.sleep(delay)
        stream = await achat(mock, stream=True, seed=7)
        text = ""
        n = 0
        async for chunk in stream:
            n += 1
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if stop_after is not None and n >= stop_after:
                await stream.aclose()
                break
        return text

    # four readers, two of them joining while the answer is already coming, one leaving early
    texts = await asyncio.gather(read(0), read(0), read(0.1), read(0.15), read(0, stop_after=2))
    assert mock.count() == 1
    assert texts[:4] == [mock.chat_text] * 4, texts
    assert len(texts[4]) < len(mock.chat_text)
    # the answer is in the cache once the stream ended
    assert (await achat(mock, seed=7))._hidden_params["cache_hit"] is True and mock.count() == 1
    # a stream that asks for usage is another stream (its last chunk differs)
    with_usage = await achat(mock, stream=True, seed=8, stream_options={"include_usage": True})
    plain = await achat(mock, stream=True, seed=8)
    chunks = [c async for c in with_usage]
    plain_chunks = [c async for c in plain]
    assert chunks[-1].usage is not None and getattr(plain_chunks[-1], "usage", None) is None
    assert mock.count() == 3


async def test_readers_of_a_shared_stream_pay_once(mock, local_cache):
    import asyncio

    mock.stream_interval = 0.02

    async def read(delay: float) -> float | None:
        await asyncio.sleep(delay)
        stream = await achat(mock, stream=True, seed=9, stream_options={"include_usage": True})
        chunks = [c async for c in stream]
        assert chunks[-1].usage.total_tokens > 0
        return stream._hidden_params.get("response_cost")

    costs = sorted(await asyncio.gather(read(0), read(0.05), read(0.1)))
    assert mock.count() == 1
    assert costs[:2] == [0.0, 0.0] and costs[2] > 0, costs


async def test_when_the_caller_that_started_a_call_leaves_the_next_one_pays(mock, local_cache):
    import asyncio

    mock.slow(0.3)
    first = asyncio.ensure_future(achat(mock, seed=43))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(achat(mock, seed=43))
    await asyncio.sleep(0.05)
    first.cancel()
    answer = await second
    assert mock.count() == 1
    assert answer._hidden_params["response_cost"] > 0, "the upstream call is paid by the caller that got it"

    # streams: the first reader to reach the end pays, also when the one that opened it left
    mock.stream_interval = 0.02

    async def read(delay: float, stop_after: int | None = None) -> float | None:
        await asyncio.sleep(delay)
        stream = await achat(mock, stream=True, seed=44, stream_options={"include_usage": True})
        n = 0
        async for _ in stream:
            n += 1
            if stop_after is not None and n >= stop_after:
                await stream.aclose()
                return None
        return stream._hidden_params.get("response_cost")

    costs = await asyncio.gather(read(0, stop_after=4), read(0.01), read(0.02))
    assert mock.count() == 2
    assert min(costs[1:]) == 0.0 and max(costs[1:]) > 0, costs


def test_a_failed_flight_is_not_remembered(mock, local_cache):
    mock.fail(500)
    with pytest.raises(litellm_rs.InternalServerError):
        chat(mock, seed=5, num_retries=0)
    assert chat(mock, seed=5).choices[0].message.content
    assert mock.count() == 2


def test_warm_up_from_a_jsonl_file_and_namespace_flush(mock, local_cache, tmp_path):
    import json

    recorded = {
        "id": "chatcmpl-recorded",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "from the file"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
    }
    path = tmp_path / "warm.jsonl"
    path.write_text(
        json.dumps(
            {"request": {"model": "openai/gpt-4o-mini", "messages": MSGS, "temperature": 0.5}, "response": recorded}
        )
        + "\n\n"
    )
    assert local_cache.warm_up(str(path)) == 1
    r = chat(mock, temperature=0.5)
    assert mock.count() == 0 and r.choices[0].message.content == "from the file"
    assert (
        local_cache.get_cache_key(model="openai/gpt-4o-mini", messages=MSGS, temperature=0.5)
        == r._hidden_params["cache_key"]
    )

    chat(mock, seed=1, cache={"namespace": "team-a"})
    chat(mock, seed=1, cache={"namespace": "team-b"})
    assert mock.count() == 2
    local_cache.clear(namespace="team-a")
    chat(mock, seed=1, cache={"namespace": "team-a"})
    chat(mock, seed=1, cache={"namespace": "team-b"})
    assert mock.count() == 3, "only team-a's entries were dropped"

    (tmp_path / "bad.jsonl").write_text('{"request": {}}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        local_cache.warm_up(str(tmp_path / "bad.jsonl"))


def test_clearing_a_redis_cache_leaves_other_data_alone(mock, redis_url):
    from litellm_rs import _core

    _core.redis_commands(redis_url, [["SET", "someone-else:key", "1"]])
    cache = Cache(type="redis", redis_url=redis_url)
    litellm_rs.cache = cache
    try:
        chat(mock)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _core.redis_commands(redis_url, [["DBSIZE"]])[0] >= 2:
            time.sleep(0.02)
        cache.clear()
        assert _core.redis_commands(redis_url, [["GET", "someone-else:key"]]) == ["1"]
        assert _core.redis_commands(redis_url, [["DBSIZE"]]) == [1]
    finally:
        litellm_rs.cache = None


def test_disk_cache_survives_a_new_cache_and_honours_ttl(mock, tmp_path):
    folder = tmp_path / "cache"
    litellm_rs.cache = Cache(type="disk", disk_cache_dir=str(folder))
    try:
        first = chat(mock)
        litellm_rs.cache = Cache(type="disk", disk_cache_dir=str(folder))  # another process's view
        hit = chat(mock)
        assert hit._hidden_params["cache_hit"] is True and hit.id == first.id
        assert mock.count() == 1
        assert len(list(folder.iterdir())) == 1
        chat(mock, seed=3, cache={"ttl": 0.2})
        chat(mock, seed=3)
        assert mock.count() == 2
        time.sleep(0.3)
        chat(mock, seed=3)
        assert mock.count() == 3, "an expired file is a miss"
        litellm_rs.cache.clear()
        assert list(folder.iterdir()) == []
    finally:
        litellm_rs.cache = None

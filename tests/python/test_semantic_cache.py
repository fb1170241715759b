"""Semantic caches (local-semantic, redis-semantic, qdrant-semantic): prompts close in meaning
share an answer. The embedding model is the mock server's /embeddings, which here embeds a text
as its bag of words, so rewordings with the same words are near and other prompts are far."""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterator
from typing import Any, Callable

import litellm_rs as litellm
import pytest
from litellm_rs import Cache
from mockserver import MockServer
from qdrantmock import QdrantMock

DIM = 32


def bag_of_words(text: Any) -> list[float]:
    v = [0.0] * DIM
    for word in re.findall(r"[a-z]+", str(text).lower()):
        v[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return v


def ask(mock: MockServer, text: str, **kwargs: Any) -> Any:
    kwargs.setdefault("model", "openai/gpt-4o-mini")
    return litellm.completion(messages=[{"role": "user", "content": text}], api_base=mock.url, api_key="sk-x", **kwargs)


def chats(mock: MockServer) -> int:
    return sum(1 for r in mock.requests if r.path.endswith("/chat/completions"))


def eventually_hit(call: Callable[[], Any], timeout: float = 5.0, misses: list | None = None) -> Any:
    """The store happens after the answer is returned: retry until the entry is there (each
    miss before that is appended to ``misses``: it was answered upstream)."""
    deadline = time.time() + timeout
    while True:
        r = call()
        if r._hidden_params.get("cache_hit") or time.time() > deadline:
            return r
        if misses is not None:
            misses.append(r)
        time.sleep(0.05)


@pytest.fixture
def embedder(mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    # the embedding model (text-embedding-ada-002 -> openai) finds the mock through the environment
    mock.embed_text = bag_of_words
    monkeypatch.setenv("OPENAI_API_BASE", mock.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-embed")
    yield mock
    litellm.cache = None


def check_semantic_flow(mock: MockServer) -> None:
    first = ask(mock, "What is the capital of France?")
    assert first._hidden_params.get("cache_hit") is not True
    # reworded (case, punctuation, order): the same words, a hit
    early: list = []  # asked before the first answer was stored (a busy machine): answered upstream
    hit = eventually_hit(lambda: ask(mock, "what is THE capital of france"), misses=early)
    assert hit._hidden_params["cache_hit"] is True
    assert hit.choices[0].message.content == first.choices[0].message.content
    assert hit._hidden_params["response_cost"] == 0
    assert chats(mock) == 1 + len(early)
    # another question: a miss
    assert ask(mock, "Tell me a joke about cats")._hidden_params.get("cache_hit") is not True
    # the same words to another model: not this answer (scopes keep models apart)
    assert (
        ask(mock, "What is the capital of France?", model="openai/gpt-4o")._hidden_params.get("cache_hit") is not True
    )
    assert chats(mock) == 3 + len(early)
    embeddings = [r for r in mock.requests if r.path.endswith("/embeddings")]
    assert embeddings and {r.body["model"] for r in embeddings} == {"text-embedding-ada-002"}
    assert {r.header("authorization") for r in embeddings} == {"Bearer sk-embed"}


def test_local_semantic(embedder: MockServer) -> None:
    litellm.cache = Cache(type="local-semantic", similarity_threshold=0.9)
    check_semantic_flow(embedder)
    litellm.cache.clear()
    assert ask(embedder, "What is the capital of France?")._hidden_params.get("cache_hit") is not True


def test_redis_semantic(embedder: MockServer, redis_url: str) -> None:
    from litellm_rs import _core

    litellm.cache = Cache(type="redis-semantic", redis_url=redis_url, similarity_threshold=0.9, namespace="team")
    check_semantic_flow(embedder)
    keys = _core.redis_commands(redis_url, [["KEYS", "*"]])[0]
    assert keys and all(k.startswith("litellm_rs:semantic:litellm_semantic_cache_index:{team:") for k in keys)
    litellm.cache.clear()
    assert _core.redis_commands(redis_url, [["KEYS", "*"]])[0] == []


def test_redis_semantic_keeps_a_bounded_index(embedder: MockServer, redis_url: str) -> None:
    from litellm_rs import _core

    litellm.cache = Cache(type="redis-semantic", redis_url=redis_url, similarity_threshold=0.99, max_size_in_memory=3)
    for i in range(6):
        ask(embedder, f"question number {'x' * (i + 1)}")
    deadline = time.time() + 5
    while time.time() < deadline:
        sizes = [
            _core.redis_commands(redis_url, [["HLEN", k]])[0]
            for k in _core.redis_commands(redis_url, [["KEYS", "*"]])[0]
            if not k.endswith(":order")
        ]
        if sizes == [3]:
            break
        time.sleep(0.05)
    assert sizes == [3]


def entry_keys(url: str, expect: int | None = None) -> list[str]:
    """The keys of the stored answers (with ``expect``: waiting until there are that many, as an
    answer is stored after it was returned)."""
    from litellm_rs import _core

    deadline = time.time() + 5
    while True:
        keys = sorted(k for k in _core.redis_commands(url, [["KEYS", "*"]])[0] if not k.endswith(":order"))
        if expect is None or len(keys) == expect or time.time() > deadline:
            return keys
        time.sleep(0.05)


def test_redis_semantic_with_vector_search(embedder: MockServer, redis_server: Any, redis_url: str) -> None:
    """A server with vector search (Redis Stack's FT.* commands, here a stand-in in front of the
    real server): each entry is a hash of its own, found by a KNN query of a search index."""
    from litellm_rs import _core
    from searchshim import SearchShim

    shim = SearchShim(redis_server.port).start()
    try:
        litellm.cache = Cache(type="redis-semantic", redis_url=shim.url, similarity_threshold=0.9, namespace="team")
        check_semantic_flow(embedder)
        assert shim.searches >= 4, "lookups went through FT.SEARCH"
        [index] = shim.indexes.values()
        assert index["fields"]["vector"] == {"type": "VECTOR", "dim": DIM, "metric": "COSINE"}
        # one index per embedding size, reading only the entries of that size
        assert index["prefixes"] == [f"litellm_rs:semantic:litellm_semantic_cache_index:d{DIM}:"]
        keys = entry_keys(redis_url, expect=3)
        assert len(keys) == 3, keys  # three answers stored, each its own hash
        for k in keys:
            assert k.startswith(f"litellm_rs:semantic:litellm_semantic_cache_index:d{DIM}:{{team:")
            fields = _core.redis_commands(redis_url, [["HKEYS", k]])[0]
            assert {"scope", "vector", "response", "created"} <= set(fields)
        # another Cache on the same server (another process, say) finds the index and the answers
        litellm.cache = Cache(type="redis-semantic", redis_url=shim.url, similarity_threshold=0.9, namespace="team")
        again = ask(embedder, "the capital of France is what")
        assert again._hidden_params.get("cache_hit") is True
        assert len(shim.indexes) == 1
        litellm.cache.clear()
        assert _core.redis_commands(redis_url, [["KEYS", "*"]])[0] == []
        assert ask(embedder, "What is the capital of France?")._hidden_params.get("cache_hit") is not True
    finally:
        shim.stop()


def test_redis_vector_search_keeps_a_bounded_scope_and_ttl(
    embedder: MockServer, redis_server: Any, redis_url: str
) -> None:
    from litellm_rs import _core
    from searchshim import SearchShim

    shim = SearchShim(redis_server.port).start()
    try:
        litellm.cache = Cache(
            type="redis-semantic", redis_url=shim.url, similarity_threshold=0.99, max_size_in_memory=3, ttl=60
        )
        for i in range(6):
            ask(embedder, f"question number {'x' * (i + 1)}")
        # the three newest are kept: the newest is a hit, the oldest question is asked upstream again
        assert eventually_hit(lambda: ask(embedder, f"question number {'x' * 6}"))._hidden_params["cache_hit"] is True
        keys = entry_keys(redis_url, expect=3)
        assert len(keys) == 3
        ttls = [_core.redis_commands(redis_url, [["TTL", k]])[0] for k in keys]
        assert all(0 < t <= 60 for t in ttls), ttls
        assert ask(embedder, "question number x")._hidden_params.get("cache_hit") is not True
        # the index gone (a FLUSHALL drops Redis Stack's indexes too): a miss, then made again
        shim.indexes.clear()
        assert ask(embedder, f"question number {'x' * 6}")._hidden_params.get("cache_hit") is not True
        hit = eventually_hit(lambda: ask(embedder, f"question number {'x' * 6}"))
        assert hit._hidden_params.get("cache_hit") is True and len(shim.indexes) == 1
    finally:
        shim.stop()


def test_redis_vector_search_filters_by_age_and_outlasts_a_busy_server(
    embedder: MockServer, redis_server: Any, redis_url: str
) -> None:
    from searchshim import SearchShim

    shim = SearchShim(redis_server.port).start()
    try:
        # a server still loading its data answers the first question with LOADING: the cache
        # misses, and does not settle on the client-searched index for good
        shim.refuse_next = ["LOADING Redis is loading the dataset in memory"]
        litellm.cache = Cache(type="redis-semantic", redis_url=shim.url, similarity_threshold=0.9)
        assert ask(embedder, "Which river flows through Paris?")._hidden_params.get("cache_hit") is not True
        hit = eventually_hit(lambda: ask(embedder, "which river flows through paris"))
        assert hit._hidden_params["cache_hit"] is True and len(shim.indexes) == 1 and shim.searches > 0
        assert all(f":d{DIM}:{{" in k for k in entry_keys(redis_url))
        # s-maxage is asked of the index: an answer older than that is not a hit
        time.sleep(0.3)
        old = ask(embedder, "which river flows through paris", cache={"s-maxage": 0.2})
        assert old._hidden_params.get("cache_hit") is not True
        young = ask(embedder, "which river flows through paris", cache={"s-maxage": 60})
        assert young._hidden_params["cache_hit"] is True
    finally:
        shim.stop()


def test_redis_semantic_on_redisearch_1_keeps_the_bounded_index(embedder: MockServer) -> None:
    """RediSearch 1.x (Debian's) has FT.* but no vector fields: the cache asks, is refused, and
    keeps the bounded index this client searches."""
    import redisserver
    from litellm_rs import _core
    from support import start_or_skip

    server = start_or_skip(redisserver.with_redisearch_1, redisserver.required, "redis-server with RediSearch 1.x")
    try:
        modules = _core.redis_commands(server.url, [["MODULE", "LIST"]])[0]
        assert "ft" in str(modules)
        litellm.cache = Cache(type="redis-semantic", redis_url=server.url, similarity_threshold=0.9, namespace="team")
        check_semantic_flow(embedder)
        # one hash per scope (two models), holding the three answers
        keys = entry_keys(server.url, expect=2)
        assert len(keys) == 2 and all(k.endswith("}") for k in keys), keys
        assert sum(_core.redis_commands(server.url, [["HLEN", k]])[0] for k in keys) == 3
        # the vector index was refused, so there is none
        with pytest.raises(litellm.APIConnectionError, match="Unknown"):
            _core.redis_commands(
                server.url, [["FT.INFO", f"litellm_rs:semantic:litellm_semantic_cache_index:idx:{DIM}"]]
            )
    finally:
        server.stop()


def test_qdrant_semantic(embedder: MockServer) -> None:
    qdrant = QdrantMock(api_key="qd-secret")
    try:
        litellm.cache = Cache(
            type="qdrant-semantic",
            qdrant_api_base=qdrant.url,
            qdrant_api_key="qd-secret",
            qdrant_collection_name="answers",
            similarity_threshold=0.9,
        )
        check_semantic_flow(embedder)
        assert qdrant.collections["answers"]["size"] == DIM
        assert all(h.get("api-key") == "qd-secret" for _, _, h in qdrant.requests)
        assert "qd-secret" not in repr(litellm.cache)
        litellm.cache.clear()
        assert "answers" not in qdrant.collections
        assert ask(embedder, "What is the capital of France?")._hidden_params.get("cache_hit") is not True
    finally:
        qdrant.stop()


def test_semantic_entries_expire(embedder: MockServer) -> None:
    litellm.cache = Cache(type="local-semantic", similarity_threshold=0.9, ttl=0.5)
    ask(embedder, "How tall is Mont Blanc?")
    assert eventually_hit(lambda: ask(embedder, "how tall is mont blanc"))._hidden_params["cache_hit"] is True
    time.sleep(0.6)
    assert ask(embedder, "how tall is mont blanc")._hidden_params.get("cache_hit") is not True


def test_semantic_warm_up_and_an_unreachable_embedder(embedder: MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(type="local-semantic", similarity_threshold=0.9)
    litellm.cache = cache
    response = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
    }
    cache.add_cache(response, model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Capital of France?"}])
    r = ask(embedder, "capital of france")
    assert r._hidden_params["cache_hit"] is True and r.choices[0].message.content == "Paris."
    # the embedding model unreachable: a miss within a bounded delay, never a failed call
    from mockserver import free_port

    monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{free_port()}/v1")
    started = time.perf_counter()
    r = ask(embedder, "capital of france")
    assert r._hidden_params.get("cache_hit") is not True and time.perf_counter() - started < 6


def test_semantic_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="similarity_threshold"):
        Cache(type="local-semantic")
    with pytest.raises(litellm.BadRequestError, match="qdrant_api_base"):
        Cache(type="qdrant-semantic", similarity_threshold=0.9, qdrant_collection_name="c")
    assert math.isclose(Cache(type="local-semantic", similarity_threshold=0.5).similarity_threshold, 0.5)

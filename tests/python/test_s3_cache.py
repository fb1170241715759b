"""The s3 cache against a local S3-compatible server that checks every SigV4 signature."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import litellm_rs as litellm
import pytest
from litellm_rs import Cache
from mockserver import MockServer
from s3mock import S3Mock

ACCESS, SECRET, REGION = "AKIDLITELLMRSTEST", "s3cr3t/with+chars", "eu-west-1"


@pytest.fixture
def s3() -> Iterator[S3Mock]:
    server = S3Mock(ACCESS, SECRET, REGION)
    try:
        yield server
    finally:
        litellm.cache = None
        server.stop()


def s3_cache(s3: S3Mock, **kwargs: Any) -> Cache:
    kwargs.setdefault("s3_aws_secret_access_key", SECRET)
    return Cache(
        type="s3",
        s3_bucket_name="llm-cache",
        s3_region_name=REGION,
        s3_endpoint_url=s3.url,
        s3_path="litellm/cache",
        s3_aws_access_key_id=ACCESS,
        **kwargs,
    )


def ask(mock: MockServer, text: str = "hi", **kwargs: Any) -> Any:
    return litellm.completion(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": text}],
        api_base=mock.url,
        api_key="k",
        **kwargs,
    )


def wait_for_objects(s3: S3Mock, n: int) -> list[str]:
    deadline = time.time() + 5
    while time.time() < deadline:
        keys = sorted(s3.buckets.get("llm-cache", {}))
        if len(keys) >= n:
            return keys
        time.sleep(0.02)
    return sorted(s3.buckets.get("llm-cache", {}))


def test_answers_are_stored_as_signed_objects_and_served(s3: S3Mock, mock: MockServer) -> None:
    litellm.cache = s3_cache(s3)
    first = ask(mock)
    keys = wait_for_objects(s3, 1)
    assert len(keys) == 1 and keys[0].startswith("litellm/cache/") and len(keys[0]) == len("litellm/cache/") + 64
    second = ask(mock)
    assert second._hidden_params["cache_hit"] is True
    assert second.choices[0].message.content == first.choices[0].message.content
    assert len(mock.requests) == 1
    assert s3.bad_signatures == 0
    assert {m for m, _ in s3.requests} == {"GET", "PUT"}
    assert SECRET not in repr(litellm.cache)


def test_entries_expire(s3: S3Mock, mock: MockServer) -> None:
    litellm.cache = s3_cache(s3, ttl=0.4)
    ask(mock)
    wait_for_objects(s3, 1)
    assert ask(mock)._hidden_params["cache_hit"] is True
    time.sleep(0.5)
    assert ask(mock)._hidden_params.get("cache_hit") is not True
    assert len(mock.requests) == 2


def test_clear_drops_a_namespace_over_several_pages_and_nothing_else(s3: S3Mock, mock: MockServer) -> None:
    s3.buckets["llm-cache"] = {"litellm/cache/README": b"not a cache entry", "other/thing": b"x"}
    litellm.cache = s3_cache(s3, namespace="team-a")
    for i in range(5):
        ask(mock, f"question {i}")
    other = s3_cache(s3, namespace="team-b")
    litellm.cache = other
    ask(mock, "question b")
    keys = wait_for_objects(s3, 8)
    assert sum(k.startswith("litellm/cache/team-a:") for k in keys) == 5
    other.clear(namespace="team-a")
    keys = sorted(s3.buckets["llm-cache"])
    assert not any(k.startswith("litellm/cache/team-a:") for k in keys)
    assert "litellm/cache/README" in keys and "other/thing" in keys
    assert any(k.startswith("litellm/cache/team-b:") for k in keys)
    assert any("continuation-token" in p for _, p in s3.requests)  # the listing took more than one page


def test_a_rejected_signature_is_a_miss_not_a_failure(s3: S3Mock, mock: MockServer) -> None:
    litellm.cache = s3_cache(s3, s3_aws_secret_access_key="wrong-secret")
    for _ in range(2):
        r = ask(mock)
        assert r._hidden_params.get("cache_hit") is not True
    assert s3.bad_signatures >= 2
    assert len(mock.requests) == 2


def test_s3_settings_are_checked() -> None:
    with pytest.raises(litellm.BadRequestError, match="s3_bucket_name"):
        Cache(type="s3", s3_aws_access_key_id=ACCESS, s3_aws_secret_access_key=SECRET)

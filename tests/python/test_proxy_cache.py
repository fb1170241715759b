"""The proxy's response cache, set up as litellm's proxy sets it up (``litellm_settings: cache:
true`` with ``cache_params``): a repeated request is answered without an upstream call, at no
cost to the key, also as a stream; ``cache: {"no-cache": true}`` in the body goes upstream; and
with a Redis cache, two instances share their answers."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any

import pytest
from mockserver import MockServer
from test_proxy import ProxyProcess as Remote
from test_proxy import client, write_config
from test_proxy_keys import admin
from test_proxy_shared import shared_config

openai = pytest.importorskip("openai")

from litellm_rs import proxy

MESSAGES = [{"role": "user", "content": "what is a cache?"}]


def ask(c: Any, **kwargs: Any) -> Any:
    return c.chat.completions.with_raw_response.create(model="gpt", messages=MESSAGES, max_tokens=30, **kwargs)


def test_a_local_cache_answers_repeats_at_no_cost(tmp_path: Path, mock: MockServer) -> None:
    config = write_config(tmp_path, mock, extra="litellm_settings:\n  cache: true\n  cache_params:\n    type: local\n")
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        _, made = admin(srv, "POST", "/key/generate", {"max_budget": 1.0})
        c = client(srv, made["key"])
        first = ask(c)
        cost = float(first.headers["x-litellm-response-cost"])
        assert cost > 0 and "x-litellm-cache-hit" not in first.headers
        assert mock.count("/chat/completions") == 1

        again = ask(c)
        assert again.headers["x-litellm-cache-hit"] == "True"
        assert float(again.headers.get("x-litellm-response-cost", "0")) == 0.0
        assert again.parse().choices[0].message.content == first.parse().choices[0].message.content
        assert mock.count("/chat/completions") == 1

        # the same request as a stream: the stored answer, replayed as chunks
        stream = c.chat.completions.create(model="gpt", messages=MESSAGES, max_tokens=30, stream=True)
        text = "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
        assert text == mock.chat_text
        assert mock.count("/chat/completions") == 1

        # another request, and a request that asks for a fresh answer, go upstream
        ask(c, temperature=0.5)
        ask(c, extra_body={"cache": {"no-cache": True}})
        assert mock.count("/chat/completions") == 3

        # the key paid for the upstream calls only
        status, info = admin(srv, "GET", "/key/info", key=made["key"])
        assert status == 200
        assert info["info"]["spend"] == pytest.approx(3 * cost)

        # identical requests in flight at once make one upstream call
        mock.delay = 0.3
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: ask(c, temperature=0.7).parse(), range(4)))
        assert {a.choices[0].message.content for a in answers} == {mock.chat_text}
        assert mock.count("/chat/completions") == 4

        # and identical streams read one upstream stream
        mock.delay = 0.0
        mock.stream_interval = 0.02

        def stream_text(_: int) -> str:
            s = c.chat.completions.create(model="gpt", messages=MESSAGES, max_tokens=30, stream=True, seed=3)
            return "".join(ch.choices[0].delta.content or "" for ch in s if ch.choices)

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            assert list(pool.map(stream_text, range(3))) == [mock.chat_text] * 3
        assert mock.count("/chat/completions") == 5
    finally:
        srv.shutdown()
        srv.wait(10)


def test_bad_cache_params_stop_the_start(tmp_path: Path, mock: MockServer) -> None:
    config = write_config(
        tmp_path, mock, extra="litellm_settings:\n  cache: true\n  cache_params:\n    type: memcached\n"
    )
    with pytest.raises(Exception, match="cache_params.*memcached"):
        proxy.start(config, host="127.0.0.1", port=0)


def test_two_instances_share_a_redis_cache(
    tmp_path: Path, mock: MockServer, redis_url: str, postgres_server: Any
) -> None:
    config = Path(shared_config(tmp_path, mock, redis_url, postgres_server.new_database()))
    config.write_text(
        config.read_text()
        + f"litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    url: {redis_url}\n    ttl: 600\n"
    )
    a = proxy.start(str(config), host="127.0.0.1", port=0)
    try:
        b = Remote(str(config))
        try:
            _, made = admin(a, "POST", "/key/generate", {})
            first = ask(client(a, made["key"]))
            assert "x-litellm-cache-hit" not in first.headers
            # the other instance answers from the Redis the first one filled
            other = ask(client(b, made["key"]))
            assert other.headers["x-litellm-cache-hit"] == "True"
            assert other.parse().choices[0].message.content == mock.chat_text
            assert mock.count("/chat/completions") == 1
        finally:
            b.stop()
    finally:
        a.shutdown()
        a.wait(10)

"""Two proxy instances behind one Redis and one PostgreSQL database act as one: a key's rpm limit
and budget hold across both, a key blocked on one is refused by the other from the next request
on, and a budget still applies while Redis is away. One instance runs in this process, the other
in its own (``python -m litellm_rs``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mockserver import MockServer
from test_proxy import ProxyProcess as Remote
from test_proxy import client, write_config
from test_proxy_keys import admin, hi

openai = pytest.importorskip("openai")

from litellm_rs import proxy


def shared_config(tmp_path: Path, mock: MockServer, redis_url: str, database_url: str) -> str:
    path = Path(write_config(tmp_path, mock, database_url=database_url))
    text = path.read_text()
    assert "router_settings:\n  num_retries: 0\n" in text
    path.write_text(text.replace("router_settings:\n", f"router_settings:\n  redis_url: {redis_url}\n", 1))
    return str(path)


@pytest.fixture
def pair(tmp_path: Path, mock: MockServer, redis_url: str, postgres_server: Any) -> Iterator[tuple[Any, Remote]]:
    config = shared_config(tmp_path, mock, redis_url, postgres_server.new_database())
    a = proxy.start(config, host="127.0.0.1", port=0)
    try:
        b = Remote(config)
    except BaseException:
        a.shutdown()
        raise
    try:
        yield a, b
    finally:
        b.stop()
        a.shutdown()
        a.wait(10)


def away_from_a_minute_boundary() -> None:
    """rpm windows are calendar minutes: a test counting requests does not straddle two."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def outcome(c: Any, max_tokens: int = 20) -> str:
    try:
        hi(c, max_tokens=max_tokens)
        return "ok"
    except openai.RateLimitError:
        return "429"
    except openai.BadRequestError as e:
        return "budget" if "Budget" in str(e) else f"400 {e}"
    except openai.AuthenticationError as e:
        return f"401 {e}"


def test_one_rpm_limit_across_two_instances_and_admin_changes_seen_by_both(
    pair: tuple[Any, Remote], mock: MockServer
) -> None:
    a, b = pair
    status, made = admin(a, "POST", "/key/generate", {"rpm_limit": 4})
    assert status == 200, made
    key = made["key"]
    away_from_a_minute_boundary()
    results = [outcome(client(srv, key)) for srv in (a, b, a, b, a, b)]
    # four requests a minute for the key, whichever instance they reach (each alone would allow 4)
    assert results == ["ok", "ok", "ok", "ok", "429", "429"], results
    assert mock.count("/chat/completions") == 4

    # a key in use on both instances, blocked on one: the other refuses its next request
    _, other = admin(a, "POST", "/key/generate", {})
    assert outcome(client(a, other["key"])) == "ok"
    assert outcome(client(b, other["key"])) == "ok"
    assert admin(a, "POST", "/key/block", {"key": other["key"]})[0] == 200
    assert "blocked" in outcome(client(b, other["key"]))
    assert admin(b, "POST", "/key/unblock", {"key": other["key"]})[0] == 200
    assert outcome(client(a, other["key"])) == "ok"
    # a model restriction set on one instance holds on the other
    assert admin(b, "POST", "/key/update", {"key": other["key"], "models": ["embedder"]})[0] == 200
    assert "not allowed to access model" in outcome(client(a, other["key"]))
    # the users' and teams' changes too
    assert admin(a, "POST", "/team/new", {"team_id": "t1"})[0] == 200
    _, member = admin(a, "POST", "/key/generate", {"team_id": "t1"})
    assert outcome(client(b, member["key"])) == "ok"
    assert admin(a, "POST", "/team/block", {"team_id": "t1"})[0] == 200
    assert "team t1 is blocked" in outcome(client(b, member["key"]))


def test_one_budget_across_two_instances_with_concurrent_requests(pair: tuple[Any, Remote], mock: MockServer) -> None:
    a, b = pair
    # what a request reserves (its maximum cost) and what it really costs, seen on an unlimited key
    _, probe = admin(a, "POST", "/key/generate", {})
    raw = hi(client(a, probe["key"]), max_tokens=1000)
    cost = float(raw.headers["x-litellm-response-cost"])
    # room for three requests' reservations in flight, whatever instance they reach
    per_request = 1000 * 0.6e-6  # the output part of gpt-4o-mini's reservation at max_tokens=1000
    budget = 3.6 * per_request
    status, made = admin(a, "POST", "/key/generate", {"max_budget": budget})
    assert status == 200, made
    key = made["key"]
    mock.delay = 0.6
    results: list[str] = []
    lock = threading.Lock()

    def call(srv: Any) -> None:
        r = outcome(client(srv, key), max_tokens=1000)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=call, args=(srv,)) for srv in [a, b] * 6]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # one budget: three reservations fit, in all (each instance alone would have let three through)
    assert sorted(results).count("ok") == 3, results
    assert results.count("budget") == 9, results
    mock.delay = 0.0
    # the key's spend, whichever instance is asked: what both spent (settled within moments)
    deadline = time.monotonic() + 5
    while True:
        spends = [admin(srv, "GET", f"/key/info?key={key}")[1]["info"]["spend"] for srv in (a, b)]
        if spends == pytest.approx([3 * cost, 3 * cost]) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert spends == pytest.approx([3 * cost, 3 * cost]) and spends[0] <= budget
    # and in the one database: a row per request in the spend log, from both instances (each
    # writes its rows in batches, within moments)
    deadline = time.monotonic() + 5
    while len(logs := admin(b, "GET", f"/spend/logs?api_key={key}")[1]) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(logs) == 3 and sum(r["spend"] for r in logs) == pytest.approx(3 * cost)


def test_a_budget_holds_while_redis_is_away(tmp_path: Path, mock: MockServer, postgres_server: Any) -> None:
    import redisserver
    from support import start_or_skip

    redis = start_or_skip(redisserver.RedisServer, redisserver.required, "redis-server")
    config = shared_config(tmp_path, mock, redis.url, postgres_server.new_database())
    a = proxy.start(config, host="127.0.0.1", port=0)
    b = None
    try:
        b = Remote(config)
        _, made = admin(a, "POST", "/key/generate", {"max_budget": 0.0001})
        key = made["key"]
        # spend it through both instances until each has been refused
        refused: set[int] = set()
        spent = 0
        while len(refused) < 2:
            for i, srv in enumerate((a, b)):
                r = outcome(client(srv, key))
                if r == "ok":
                    spent += 1
                else:
                    assert r == "budget", r
                    refused.add(i)
            assert spent < 20, "the budget never ran out"
        assert spent >= 3
        redis.stop()
        # Redis is gone: calls go on (within a bounded delay), and the budget still applies on both
        _, free = admin(a, "POST", "/key/generate", {})
        for srv in (a, b):
            started = time.monotonic()
            assert outcome(client(srv, free["key"])) == "ok"
            assert time.monotonic() - started < 2.0
            assert outcome(client(srv, key)) == "budget"
    finally:
        redis.stop()
        log = b.stop() if b else ""
        a.shutdown()
        a.wait(10)
    # the outage is reported, once
    assert log.count("enforced by each proxy instance alone") == 1, log


def sign_rs256(claims: dict[str, Any]) -> str:
    """A JWT signed by the test identity provider's key (tests/fixtures/jwt/signing-key.pem)."""
    import base64
    import json

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    key: Any = serialization.load_pem_private_key(JWT_KEY.read_bytes(), password=None)
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256()))


JWT_KEY = Path(__file__).resolve().parents[1] / "fixtures" / "jwt" / "signing-key.pem"


def test_a_jwt_caller_follows_admin_changes_made_on_the_other_instance(
    tmp_path: Path, mock: MockServer, redis_url: str, postgres_server: Any
) -> None:
    from cryptography.hazmat.primitives import serialization

    private: Any = serialization.load_pem_private_key(JWT_KEY.read_bytes(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    config = Path(shared_config(tmp_path, mock, redis_url, postgres_server.new_database()))
    pem = "".join(f"      {line}\n" for line in public.decode().splitlines())
    text = config.read_text().replace(
        "general_settings:\n",
        f"general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    public_key: |\n{pem}",
        1,
    )
    config.write_text(text)
    a = proxy.start(str(config), host="127.0.0.1", port=0)
    try:
        b = Remote(str(config))
        try:
            status, made = admin(a, "POST", "/user/new", {"user_id": "jo", "auto_create_key": False})
            assert status == 200, made
            token = sign_rs256({"sub": "jo", "exp": int(time.time()) + 600})
            assert outcome(client(b, token)) == "ok"
            # an admin change on the first instance (another user's): the second reloads its rows
            # and the JWT caller goes on
            assert admin(a, "POST", "/user/new", {"user_id": "someone", "auto_create_key": False})[0] == 200
            assert outcome(client(b, token)) == "ok"
            # a change to the caller's own user is seen by the second instance from the next request
            assert admin(a, "POST", "/user/update", {"user_id": "jo", "models": ["embedder"]})[0] == 200
            result = outcome(client(b, token))
            assert result.startswith("401") and "user not allowed" in result, result
            # and its spend counts for the user, on both instances
            _, info = admin(b, "GET", "/user/info?user_id=jo")
            assert info["user_info"]["spend"] > 0, info
        finally:
            b.stop()
    finally:
        a.shutdown()
        a.wait(10)


def test_a_deployment_cooled_down_on_one_instance_is_skipped_by_the_other(
    tmp_path: Path, mock: MockServer, redis_url: str
) -> None:
    """Router state (cooldowns) goes through the Redis of router_settings: a deployment that
    answered 429 on one instance is not called by the other while it cools down."""
    from mockserver import MockServer as Upstream

    spare = Upstream().start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(
            "model_list:\n"
            + "".join(
                f"  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o-mini\n"
                f"      api_base: {m.url}\n      api_key: sk-upstream\n      order: {order}\n"
                for order, m in ((1, mock), (2, spare))
            )
            + f"router_settings:\n  num_retries: 0\n  cooldown_time: 30\n  redis_url: {redis_url}\n"
        )
        a = proxy.start(str(config), host="127.0.0.1", port=0)
        try:
            b = Remote(str(config))
            try:
                # both instances call the first deployment (order 1) while it is healthy
                for srv in (a, b):
                    assert outcome(client(srv, "anything")) == "ok"
                assert (mock.count("/chat/completions"), spare.count("/chat/completions")) == (2, 0)
                mock.fail(429, "slow down")
                assert outcome(client(a, "anything")) == "429"
                time.sleep(0.5)  # the router's state round (every 100 ms)
                # the other instance skips the cooling deployment: the spare one answers
                for _ in range(3):
                    assert outcome(client(b, "anything")) == "ok"
                assert (mock.count("/chat/completions"), spare.count("/chat/completions")) == (3, 3)
            finally:
                b.stop()
        finally:
            a.shutdown()
            a.wait(10)
    finally:
        spare.stop()

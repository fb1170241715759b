"""Virtual keys on the proxy, end to end over HTTP with the official openai SDK: keys made with
/key/generate, their limits and budgets enforced, their spend in the SQLite ledger, and all of it
kept across a restart."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from mockserver import MockServer
from test_proxy import MASTER, client, write_config

openai = pytest.importorskip("openai")

from litellm_rs import proxy


def admin(srv: Any, method: str, path: str, body: Any = None, key: str = MASTER) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{srv.port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def hi(c: Any, max_tokens: int = 20) -> Any:
    return c.chat.completions.with_raw_response.create(
        model="gpt", messages=[{"role": "user", "content": "hi"}], max_tokens=max_tokens
    )


@pytest.fixture(params=["sqlite", "postgres"])
def config(request: pytest.FixtureRequest, tmp_path: Path, mock: MockServer) -> str:
    """The proxy's config, with its database in SQLite (a file) or in a fresh PostgreSQL database."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        return write_config(tmp_path, mock, database_url=server.new_database())
    return write_config(tmp_path, mock)


def test_keys_limits_spend_and_restart(config: str, tmp_path: Path, mock: MockServer) -> None:
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        status, made = admin(srv, "POST", "/key/generate", {"key_alias": "svc", "models": ["gpt"], "user_id": "u7"})
        assert status == 200, made
        key = made["key"]
        c = client(srv, key)
        costs = []
        ids = []
        for _ in range(3):
            raw = hi(c)
            costs.append(float(raw.headers["x-litellm-response-cost"]))
            ids.append(raw.parse().id)
        # the key's own info: its spend is what the responses cost
        status, info = admin(srv, "GET", "/key/info", key=key)
        assert status == 200 and info["info"]["spend"] == pytest.approx(sum(costs))
        # a model the key may not use
        with pytest.raises(openai.AuthenticationError, match="not allowed to access model"):
            c.embeddings.create(model="embedder", input="x")
        # the spend ledger, one row per request
        status, logs = admin(srv, "GET", f"/spend/logs?api_key={key}")
        assert status == 200
        assert sorted(r["request_id"] for r in logs) == sorted(ids)
        assert all(
            r["user"] == "u7" and r["model"] == "openai/gpt-4o-mini" and r["total_tokens"] == 29 for r in logs
        ), [(r["user"], r["model"], r["total_tokens"]) for r in logs]
        # management is for the master key
        assert admin(srv, "GET", "/key/list", key=key)[0] == 401
    finally:
        srv.shutdown()
        srv.wait(10)

    # a restart: the key, its settings and its spend are still there
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        status, info = admin(srv, "GET", f"/key/info?key={key}")
        assert status == 200 and info["info"]["spend"] == pytest.approx(sum(costs))
        assert info["info"]["key_alias"] == "svc"
        assert hi(client(srv, key)).parse().choices[0].message.content == mock.chat_text
    finally:
        srv.shutdown()
        srv.wait(10)
    # the database holds the key's hash, never the key, nor the upstream's key
    stored = b""
    for p in tmp_path.glob("proxy.db*"):
        try:
            stored += p.read_bytes()
        except FileNotFoundError:  # the WAL file, checkpointed away meanwhile
            pass
    assert key.encode() not in stored and b"sk-upstream" not in stored


def test_budget_and_rate_limit_errors_reach_the_sdk(config: str, mock: MockServer) -> None:
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        _, tiny = admin(srv, "POST", "/key/generate", {"max_budget": 0.000001})
        with pytest.raises(openai.BadRequestError, match="Budget") as info:
            hi(client(srv, tiny["key"]), max_tokens=4000)
        assert info.value.body["type"] == "budget_exceeded"
        _, limited = admin(srv, "POST", "/key/generate", {"rpm_limit": 1})
        c = client(srv, limited["key"])
        hi(c)
        with pytest.raises(openai.RateLimitError, match="rpm_limit"):
            hi(c)
        _, blocked = admin(srv, "POST", "/key/generate", {"blocked": True})
        with pytest.raises(openai.AuthenticationError, match="blocked"):
            hi(client(srv, blocked["key"]))
        status, err = admin(srv, "POST", "/key/generate", {"tpm_limit": -1})
        assert status == 400 and "tpm_limit" in err["error"]["message"]
        # no upstream call was made for a refused request
        assert mock.count("/chat/completions") == 1
    finally:
        srv.shutdown()
        srv.wait(10)


def test_users_and_teams(config: str, mock: MockServer) -> None:
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        status, team = admin(srv, "POST", "/team/new", {"team_id": "search", "max_budget": 5, "models": ["gpt"]})
        assert status == 200, team
        status, user = admin(srv, "POST", "/user/new", {"user_id": "ana", "teams": ["search"], "rpm_limit": 100})
        assert status == 200, user
        _, team_key = admin(srv, "POST", "/key/generate", {"team_id": "search", "user_id": "ana"})
        cost = float(hi(client(srv, team_key["key"])).headers["x-litellm-response-cost"])
        hi(client(srv, user["key"]))
        status, info = admin(srv, "GET", "/team/info?team_id=search")
        assert status == 200 and info["team_info"]["spend"] == pytest.approx(cost)
        assert info["team_info"]["members_with_roles"] == [{"user_id": "ana", "role": "user"}]
        status, uinfo = admin(srv, "GET", "/user/info?user_id=ana")
        assert status == 200 and len(uinfo["keys"]) == 2 and uinfo["teams"][0]["team_id"] == "search"
        # the team's models bound its keys
        with pytest.raises(openai.AuthenticationError, match="team not allowed"):
            client(srv, team_key["key"]).embeddings.create(model="embedder", input="x")
    finally:
        srv.shutdown()
        srv.wait(10)
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        status, uinfo = admin(srv, "GET", "/user/info?user_id=ana")
        assert status == 200 and uinfo["user_info"]["spend"] > cost  # both keys' calls, kept across the restart
        client(srv, team_key["key"]).chat.completions.create(
            model="gpt", messages=[{"role": "user", "content": "hi"}], extra_body={"metadata": {"tags": ["nightly"]}}
        )
        # the daily rollups per user, team and tag (kept across the restart too)
        status, user_days = admin(srv, "GET", "/user/daily/activity?user_id=ana")
        assert status == 200, user_days
        assert user_days["metadata"]["total_api_requests"] == 3
        assert user_days["metadata"]["total_spend"] == pytest.approx(uinfo["user_info"]["spend"] + cost)
        _, team_days = admin(srv, "GET", "/team/daily/activity?team_ids=search")
        assert team_days["metadata"]["total_api_requests"] == 2
        assert team_days["metadata"]["total_spend"] == pytest.approx(2 * cost)
        (day,) = team_days["results"]
        assert day["breakdown"]["entities"]["search"]["metrics"]["successful_requests"] == 2
        assert day["breakdown"]["models"]["openai/gpt-4o-mini"]["metrics"]["total_tokens"] == 58
        _, tag_days = admin(srv, "GET", "/tag/daily/activity?tags=nightly")
        assert tag_days["metadata"]["total_api_requests"] == 1
        # ana's own key reads ana's activity, not the team's
        assert admin(srv, "GET", "/user/daily/activity", key=user["key"])[1]["metadata"]["total_api_requests"] == 3
        assert admin(srv, "GET", "/team/daily/activity", key=user["key"])[0] == 401
    finally:
        srv.shutdown()
        srv.wait(10)


def test_a_database_outage_delays_spend_rows_and_fails_no_request(tmp_path: Path, mock: MockServer) -> None:
    import pgserver
    from support import start_or_skip

    pg = start_or_skip(pgserver.PostgresServer, pgserver.required, "PostgreSQL")
    srv = None
    try:
        srv = proxy.start(write_config(tmp_path, mock, database_url=pg.new_database()), host="127.0.0.1", port=0)
        _, made = admin(srv, "POST", "/key/generate", {"key_alias": "through-an-outage"})
        c = client(srv, made["key"])
        ids = [hi(c).parse().id for _ in range(2)]
        pg.pause()
        # the database is down: a known key's requests go on, their spend rows wait in memory
        ids += [hi(c).parse().id for _ in range(5)]
        pg.resume()
        deadline = time.monotonic() + 20
        while True:
            status, logs = admin(srv, "GET", f"/spend/logs?api_key={made['key']}")
            if status == 200 and len(logs) == 7 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and sorted(r["request_id"] for r in logs) == sorted(ids), logs
    finally:
        if srv is not None:
            srv.shutdown()
            srv.wait(10)
        pg.stop()

"""The proxy end to end: started from config.yaml, called with the official openai SDK; the
deployments are a local mock server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mockserver import MockServer, free_port

openai = pytest.importorskip("openai")

from litellm_rs import proxy

MASTER = "sk-master-1234"


def write_config(tmp_path: Path, mock: MockServer, extra: str = "", database_url: str | None = None) -> str:
    database_url = database_url or f"sqlite://{tmp_path / 'proxy.db'}"
    path = tmp_path / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            model_list:
              - model_name: gpt
                litellm_params:
                  model: openai/gpt-4o-mini
                  api_base: {mock.url}
                  api_key: os.environ/LITELLM_RS_PROXY_TEST_KEY
              - model_name: embedder
                litellm_params:
                  model: openai/text-embedding-3-small
                  api_base: {mock.url}
                  api_key: sk-upstream
              - model_name: instruct
                litellm_params:
                  model: text-completion-openai/gpt-3.5-turbo-instruct
                  api_base: {mock.url}
                  api_key: sk-upstream
            router_settings:
              num_retries: 0
            general_settings:
              master_key: {MASTER}
              database_url: {database_url}
            environment_variables:
              LITELLM_RS_PROXY_TEST_KEY: sk-upstream
            """
        )
        + extra
    )
    return str(path)


class ProxyProcess:
    """A proxy in its own process (`python -m litellm_rs --config ...`), its stderr in a file beside
    the config; `port` as on `proxy.start`'s handle."""

    def __init__(self, config: str) -> None:
        import urllib.request

        self.port = free_port()
        self.log = Path(config).with_name(f"proxy-{self.port}.log")
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "litellm_rs",
                    "--config",
                    config,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/liveliness", timeout=0.5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the proxy did not start: {self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> str:
        """Stops it (SIGTERM, as a supervisor would); its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.log.read_text()


@contextlib.contextmanager
def running(config: str) -> Iterator[Any]:
    """A proxy started in this process from `config`, stopped at the end."""
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.wait(10)


@pytest.fixture
def server(tmp_path: Path, mock: MockServer) -> Iterator[Any]:
    with running(write_config(tmp_path, mock)) as srv:
        yield srv


def client(srv: Any, key: str = MASTER) -> Any:
    return openai.OpenAI(base_url=f"http://127.0.0.1:{srv.port}/v1", api_key=key, max_retries=0)


def test_chat_stream_embeddings_and_models_with_the_openai_sdk(server: Any, mock: MockServer) -> None:
    c = client(server)
    raw = c.chat.completions.with_raw_response.create(model="gpt", messages=[{"role": "user", "content": "hi"}])
    r = raw.parse()
    assert r.choices[0].message.content == mock.chat_text
    assert r.usage.total_tokens == 29
    assert raw.headers["x-litellm-model-group"] == "gpt"
    assert float(raw.headers["x-litellm-response-cost"]) > 0
    assert raw.headers["x-litellm-model-id"]
    # the upstream got the deployment's key (from os.environ/ via environment_variables), not the master key
    assert mock.last.header("authorization") == "Bearer sk-upstream"
    assert mock.last.body["model"] == "gpt-4o-mini"

    text = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in c.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "hi"}], stream=True)
        if chunk.choices
    )
    assert text == mock.chat_text

    e = c.embeddings.create(model="embedder", input=["a", "b"])
    assert len(e.data) == 2 and len(e.data[0].embedding) == mock.embedding_dim

    t = c.completions.create(model="instruct", prompt="say hi")
    assert t.choices[0].text == mock.completion_text

    assert sorted(m.id for m in c.models.list()) == ["embedder", "gpt", "instruct"]
    assert c.models.retrieve("gpt").id == "gpt"


def test_errors_are_openai_errors(server: Any, mock: MockServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(server, key="sk-wrong").models.list()
    c = client(server)
    with pytest.raises(openai.BadRequestError, match="model=nope"):
        c.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    mock.fail(429, headers={"retry-after": "7"})
    with pytest.raises(openai.RateLimitError) as info:
        c.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 429
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve("missing")


def test_async_clients_and_concurrency(server: Any, mock: MockServer) -> None:
    import asyncio

    mock.delay = 0.1

    async def run() -> list[str]:
        ac = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{server.port}/v1", api_key=MASTER, max_retries=0)
        rs = await asyncio.gather(
            *[
                ac.chat.completions.create(model="gpt", messages=[{"role": "user", "content": str(i)}])
                for i in range(20)
            ]
        )
        await ac.close()
        return [r.choices[0].message.content for r in rs]

    started = time.perf_counter()
    answers = asyncio.run(run())
    assert answers == [mock.chat_text] * 20
    assert time.perf_counter() - started < 1.5  # concurrent, not one after another (20 x 0.1 s)


def test_health_endpoints(server: Any, mock: MockServer) -> None:
    import httpx

    base = f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{base}/health/liveliness").json() == "I'm alive!"
    assert httpx.get(f"{base}/health/readiness").json()["status"] == "healthy"
    assert httpx.get(f"{base}/health").status_code == 401
    health = httpx.get(f"{base}/health", headers={"Authorization": f"Bearer {MASTER}"}).json()
    assert health["healthy_count"] == 3 and health["unhealthy_count"] == 0
    assert "sk-upstream" not in str(health)


def test_config_mistakes_stop_the_start(tmp_path: Path, mock: MockServer) -> None:
    path = write_config(tmp_path, mock, "litellm_setings:\n  drop_params: true\n")
    with pytest.raises(Exception, match=r"unknown key `litellm_setings` \(line \d+\)"):
        proxy.check_config(path)
    path = write_config(tmp_path, mock)
    text = (
        Path(path).read_text().replace("os.environ/LITELLM_RS_PROXY_TEST_KEY", "os.environ/LITELLM_RS_UNSET_VARIABLE")
    )
    Path(path).write_text(text)
    assert "LITELLM_RS_UNSET_VARIABLE" not in os.environ
    with pytest.raises(Exception, match=r"`model_list.litellm_params.api_key` \(line 6\).*LITELLM_RS_UNSET_VARIABLE"):
        proxy.check_config(path)


def test_the_command_line_serves_and_stops_gracefully(tmp_path: Path, mock: MockServer) -> None:
    import httpx

    config = write_config(tmp_path, mock)
    ok = subprocess.run(
        [sys.executable, "-m", "litellm_rs", "--config", config, "--validate_config"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "3 model(s)" in ok.stdout
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "litellm_rs", "--config", config, "--host", "127.0.0.1", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the proxy did not start"
            time.sleep(0.05)
        mock.delay = 0.5
        import threading

        answers: list[Any] = []

        def slow_call() -> None:
            answers.append(
                client_at(port).chat.completions.create(model="gpt", messages=[{"role": "user", "content": "x"}])
            )

        t = threading.Thread(target=slow_call)
        t.start()
        time.sleep(0.2)
        proc.terminate()  # SIGTERM while a call is in flight: it still gets its answer
        t.join(10)
        assert answers and answers[0].choices[0].message.content == mock.chat_text
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def client_at(port: int) -> Any:
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=MASTER, max_retries=0)


def test_prometheus_metrics_of_proxied_calls(tmp_path: Path, mock: MockServer) -> None:
    import httpx

    config = write_config(tmp_path, mock, "litellm_settings:\n  callbacks: [prometheus]\n")
    srv = proxy.start(config, host="127.0.0.1", port=0)
    try:
        c = client(srv)
        for _ in range(3):
            c.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "hi"}])
        list(c.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "hi"}], stream=True))
        text = httpx.get(f"http://127.0.0.1:{srv.port}/metrics", headers={"Authorization": f"Bearer {MASTER}"}).text
        line = next(
            ln
            for ln in text.splitlines()
            if ln.startswith("litellm_deployment_success_responses_total")
            and 'litellm_model_name="gpt-4o-mini"' in ln
            and f'api_base="{mock.url}"' in ln  # the registry is the process's: other tests' calls are in it too
        )
        assert float(line.rsplit(" ", 1)[1]) >= 4
        assert "litellm_spend_metric_total" in text
    finally:
        srv.shutdown()
        srv.wait(10)


def test_prometheus_metrics_per_key_and_team(tmp_path: Path, mock: MockServer) -> None:
    import hashlib
    import re

    import httpx

    config = write_config(tmp_path, mock, "litellm_settings:\n  callbacks: [prometheus]\n")
    srv = proxy.start(config, host="127.0.0.1", port=0)
    base = f"http://127.0.0.1:{srv.port}"
    admin = {"Authorization": f"Bearer {MASTER}"}
    try:
        team = f"t-{tmp_path.name[-8:]}"  # the registry is the process's: a team of this test's own
        assert (
            httpx.post(
                f"{base}/team/new",
                json={"team_id": team, "team_alias": "Metrics Team", "max_budget": 10},
                headers=admin,
            ).status_code
            == 200
        )
        made = httpx.post(
            f"{base}/key/generate",
            json={"key_alias": "metrics-key", "team_id": team, "max_budget": 5, "models": ["gpt"]},
            headers=admin,
        ).json()
        key = made["key"]
        hashed = hashlib.sha256(key.encode()).hexdigest()
        c = client(srv, key)
        costs = []
        for _ in range(2):
            raw = c.chat.completions.with_raw_response.create(
                model="gpt",
                messages=[{"role": "user", "content": "hi"}],
                metadata={"user_api_key_hash": "spoofed"},
                user="customer-9",
            )
            costs.append(float(raw.headers["x-litellm-response-cost"]))
        list(c.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "hi"}], stream=True))
        with pytest.raises(openai.AuthenticationError):
            c.embeddings.create(model="embedder", input="x")
        deadline = time.time() + 5
        while True:  # loggers run off the request's path
            text = httpx.get(f"{base}/metrics", headers=admin).text
            mine = [ln for ln in text.splitlines() if f'hashed_api_key="{hashed}"' in ln or f'team="{team}"' in ln]
            if (
                any(ln.startswith("litellm_llm_api_time_to_first_token_metric_count") for ln in mine)
                or time.time() > deadline
            ):
                break
            time.sleep(0.05)

        def value(name: str, *labels: str) -> float:
            found = [ln for ln in mine if ln.startswith(name + "{") and all(lb in ln for lb in labels)]
            assert found, (name, labels, mine)
            return sum(float(ln.rsplit(" ", 1)[1]) for ln in found)

        who = ('api_key_alias="metrics-key"', f'team="{team}"', 'team_alias="Metrics Team"')
        assert (
            value("litellm_proxy_total_requests_metric_total", *who, 'requested_model="gpt"', 'status_code="200"') == 3
        )
        assert value("litellm_proxy_total_requests_metric_total", 'end_user="customer-9"') == 2
        failed = value(
            "litellm_proxy_failed_requests_metric_total",
            *who,
            'requested_model="embedder"',
            'exception_status="401"',
            'exception_class="AuthenticationError"',
        )
        assert failed == 1
        assert value("litellm_spend_metric_total", *who, 'end_user="customer-9"') == pytest.approx(sum(costs))
        assert value("litellm_input_tokens_metric_total", *who, 'requested_model="gpt"', 'model="gpt-4o-mini"') > 0
        assert value("litellm_llm_api_time_to_first_token_metric_count", *who[:2]) == 1
        assert value("litellm_request_total_latency_metric_count", *who[:2]) == 3
        assert value("litellm_api_key_max_budget_metric", 'api_key_alias="metrics-key"') == 5
        assert (
            5 - sum(costs) * 1.5 < value("litellm_remaining_api_key_budget_metric", 'api_key_alias="metrics-key"') < 5
        )
        assert 9.99 < value("litellm_remaining_team_budget_metric", f'team="{team}"') < 10
        # the key's identity is the proxy's to say: the client's "user_api_key_hash" went nowhere
        assert "spoofed" not in text
        assert not re.search(r'hashed_api_key="sk-', text)  # hashes, never keys
    finally:
        srv.shutdown()
        srv.wait(10)


def test_json_logs(tmp_path: Path, mock: MockServer) -> None:
    import json

    config = write_config(tmp_path, mock, "litellm_settings:\n  json_logs: true\n")
    proc = ProxyProcess(config)
    try:
        assert client_at(proc.port).chat.completions.create(model="gpt", messages=[{"role": "user", "content": "x"}])
    finally:
        text = proc.stop()
    port = proc.port
    lines = [ln for ln in text.splitlines() if ln.strip()]
    events = [json.loads(ln) for ln in lines]  # every line one JSON object, the banner included
    listening = next(e for e in events if e.get("message") == "litellm-rs proxy listening")
    assert listening["level"] == "INFO" and listening["target"] == "litellm_rs::proxy"
    assert listening["address"] == f"127.0.0.1:{port}" and "timestamp" in listening
    assert MASTER not in text and "sk-upstream" not in text


def test_model_info_and_token_counter(server: Any) -> None:
    import httpx
    import litellm_rs

    base, auth = f"http://127.0.0.1:{server.port}", {"Authorization": f"Bearer {MASTER}"}
    info = httpx.get(f"{base}/v1/model/info", headers=auth).json()["data"]
    assert [d["model_name"] for d in info] == ["gpt", "embedder", "instruct"]
    gpt = info[0]
    assert gpt["model_info"]["max_input_tokens"] == 128000 and gpt["model_info"]["id"]
    assert "api_key" not in gpt["litellm_params"] and "sk-upstream" not in str(info)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "How many tokens is this?"}]
    counted = httpx.post(
        f"{base}/utils/token_counter", headers=auth, json={"model": "gpt", "messages": messages}
    ).json()
    assert counted["total_tokens"] == litellm_rs.token_counter(model="gpt-4o-mini", messages=messages)
    assert counted["model_used"] == "gpt-4o-mini" and counted["request_model"] == "gpt"

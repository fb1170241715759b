"""Built-in loggers chosen by name: each sends the service's real ingestion payload, checked here
by a local collector standing in for the service."""

from __future__ import annotations

import base64
import time

import litellm_rs
import pytest
from collector import Collector
from litellm_rs import _core
from support import MSGS, chat


@pytest.fixture
def collector():
    c = Collector()
    _core.reset_loggers()
    try:
        yield c
    finally:
        _core.reset_loggers()
        c.stop()


def _sent(collector: Collector, suffix: str, n: int = 1, timeout: float = 5.0) -> list:
    litellm_rs.flush_callbacks()
    deadline = time.monotonic() + timeout
    while len(collector.requests(suffix)) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return collector.requests(suffix)


def test_langfuse_gets_a_trace_and_a_generation(mock, collector, monkeypatch):
    monkeypatch.setenv("LANGFUSE_HOST", collector.url)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-test")
    litellm_rs.success_callback = ["langfuse"]
    resp = chat(mock, temperature=0.2, user="u-1", metadata={"trace_name": "support-bot"}, tags=["prod"])
    req = _sent(collector, "/api/public/ingestion")[0]

    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"pk-lf-test:sk-lf-test").decode()
    events = req.body["batch"]
    assert [e["type"] for e in events] == ["trace-create", "generation-create"]
    trace, gen = events[0]["body"], events[1]["body"]
    assert trace["name"] == "support-bot" and trace["userId"] == "u-1" and trace["tags"] == ["prod"]
    assert gen["traceId"] == trace["id"]
    assert gen["model"] == "gpt-4o-mini"
    assert gen["modelParameters"] == {"temperature": 0.2, "user": "u-1"}
    assert gen["input"] == MSGS
    assert gen["output"]["content"] == resp.choices[0].message.content
    assert gen["usageDetails"] == {
        "input": resp.usage.prompt_tokens,
        "output": resp.usage.completion_tokens,
        "total": resp.usage.total_tokens,
    }
    assert gen["costDetails"]["total"] == pytest.approx(resp._hidden_params["response_cost"])
    assert gen["level"] == "DEFAULT"
    assert gen["startTime"].endswith("Z") and gen["startTime"] <= gen["endTime"]


def test_langfuse_marks_failures_as_errors(mock, collector, monkeypatch):
    monkeypatch.setenv("LANGFUSE_HOST", collector.url)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk")
    litellm_rs.failure_callback = ["langfuse"]
    mock.fail(401, "Incorrect API key provided")
    with pytest.raises(litellm_rs.AuthenticationError):
        chat(mock)
    gen = _sent(collector, "/api/public/ingestion")[0].body["batch"][1]["body"]
    assert gen["level"] == "ERROR" and "Incorrect API key" in gen["statusMessage"]


def test_langsmith_gets_an_llm_run(mock, collector, monkeypatch):
    monkeypatch.setenv("LANGSMITH_BASE_URL", collector.url)
    monkeypatch.setenv("LANGSMITH_API_KEY", "ls-key")
    monkeypatch.setenv("LANGSMITH_PROJECT", "my-project")
    litellm_rs.callbacks = ["langsmith"]
    resp = chat(mock)
    req = _sent(collector, "/runs/batch")[0]
    assert req.headers["x-api-key"] == "ls-key"
    run = req.body["post"][0]
    assert run["run_type"] == "llm" and run["session_name"] == "my-project"
    assert run["inputs"]["messages"] == MSGS
    assert run["outputs"]["choices"][0]["message"]["content"] == resp.choices[0].message.content
    assert run["trace_id"] == run["id"] and run["dotted_order"].endswith(run["id"])
    assert run["error"] is None


def test_datadog_gets_log_items(mock, collector, monkeypatch):
    monkeypatch.setenv("DD_BASE_URL", collector.url)
    monkeypatch.setenv("DD_API_KEY", "dd-key")
    monkeypatch.setenv("DD_ENV", "test")
    litellm_rs.callbacks = ["datadog"]
    chat(mock)
    chat(mock)
    reqs = _sent(collector, "/api/v2/logs")
    items = [item for r in reqs for item in r.body]
    assert len(items) == 2
    assert reqs[0].headers["dd-api-key"] == "dd-key"
    import json

    payload = json.loads(items[0]["message"])
    assert payload["status"] == "success" and payload["model"] == "gpt-4o-mini"
    assert items[0]["ddsource"] == "litellm" and "env:test" in items[0]["ddtags"]


def test_helicone_gets_request_response_and_timing(mock, collector, monkeypatch):
    monkeypatch.setenv("HELICONE_API_BASE", collector.url)
    monkeypatch.setenv("HELICONE_API_KEY", "hc-key")
    litellm_rs.success_callback = ["helicone"]
    resp = chat(mock, temperature=0.5)
    req = _sent(collector, "/custom/v1/log")[0]
    assert req.headers["authorization"] == "Bearer hc-key"
    body = req.body
    assert body["providerRequest"]["json"]["messages"] == MSGS
    assert body["providerRequest"]["json"]["temperature"] == 0.5
    assert body["providerResponse"]["status"] == 200
    assert body["providerResponse"]["json"]["id"] == resp.id
    start, end = body["timing"]["startTime"], body["timing"]["endTime"]
    assert (start["seconds"], start["milliseconds"]) <= (end["seconds"], end["milliseconds"])


def test_wandb_weave_gets_start_and_end_records(mock, collector, monkeypatch):
    monkeypatch.setenv("WF_TRACE_SERVER_URL", collector.url)
    monkeypatch.setenv("WANDB_API_KEY", "wb-key")
    monkeypatch.setenv("WANDB_PROJECT", "team/proj")
    litellm_rs.callbacks = ["wandb"]
    resp = chat(mock)
    req = _sent(collector, "/call/upsert_batch")[0]
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"api:wb-key").decode()
    start, end = req.body["batch"]
    assert start["mode"] == "start" and end["mode"] == "end"
    assert start["req"]["start"]["project_id"] == "team/proj"
    assert start["req"]["start"]["id"] == end["req"]["end"]["id"]
    assert start["req"]["start"]["op_name"] == "litellm.completion"
    usage = end["req"]["end"]["summary"]["usage"]["gpt-4o-mini"]
    assert usage["prompt_tokens"] == resp.usage.prompt_tokens and usage["requests"] == 1


def test_otel_exports_a_genai_span(mock, collector, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=search")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "my-app")
    litellm_rs.callbacks = ["otel"]
    resp = chat(mock, temperature=0.7, max_tokens=64)
    req = _sent(collector, "/v1/traces")[0]
    assert req.headers["x-team"] == "search"
    rs = req.body["resourceSpans"][0]
    service = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}["service.name"]
    assert service == {"stringValue": "my-app"}
    span = rs["scopeSpans"][0]["spans"][0]
    assert span["name"] == "chat gpt-4o-mini"
    assert span["kind"] == 3  # CLIENT
    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
    attrs = {a["key"]: a["value"] for a in span["attributes"]}
    assert attrs["gen_ai.operation.name"] == {"stringValue": "chat"}
    assert attrs["gen_ai.request.model"] == {"stringValue": "gpt-4o-mini"}
    assert attrs["gen_ai.system"] == {"stringValue": "openai"}
    assert attrs["gen_ai.request.temperature"] == {"doubleValue": 0.7}
    assert int(attrs["gen_ai.request.max_tokens"]["intValue"]) == 64
    assert int(attrs["gen_ai.usage.input_tokens"]["intValue"]) == resp.usage.prompt_tokens
    assert int(attrs["gen_ai.usage.output_tokens"]["intValue"]) == resp.usage.completion_tokens
    assert attrs["gen_ai.response.id"] == {"stringValue": resp.id}
    assert span["status"]["code"] == 1
    assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])


def test_webhook_gets_a_batch_of_payloads(mock, collector, monkeypatch):
    monkeypatch.setenv("GENERIC_LOGGER_ENDPOINT", collector.url + "/hook")
    monkeypatch.setenv("GENERIC_LOGGER_HEADERS", "Authorization=Bearer hook-secret")
    litellm_rs.success_callback = ["generic_api"]
    for _ in range(3):
        chat(mock)
    reqs = _sent(collector, "/hook")
    payloads = [p for r in reqs for p in r.body]
    assert len(payloads) == 3
    assert len(reqs) < 3, "payloads are batched"
    assert reqs[0].headers["authorization"] == "Bearer hook-secret"
    assert all(p["status"] == "success" and p["call_type"] == "completion" for p in payloads)


def test_prometheus_counts_calls_in_process(mock):
    from litellm_rs.integrations.prometheus import generate_latest

    def value(text: str, prefix: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    litellm_rs.callbacks = ["prometheus"]
    model_label = 'model="gpt-4o-mini"'
    before = generate_latest().decode()
    resp = chat(mock)
    mock.fail(429)
    with pytest.raises(litellm_rs.RateLimitError):
        chat(mock)
    after = generate_latest().decode()
    # litellm's label set; the proxy's labels (key, team, user) are empty in the SDK
    tokens = (
        'litellm_input_tokens_metric_total{api_key_alias="",end_user="",hashed_api_key="",'
        + model_label
        + ',requested_model="gpt-4o-mini",team="",team_alias="",user=""}'
    )
    assert value(after, tokens) - value(before, tokens) == resp.usage.prompt_tokens
    failures = [line for line in after.splitlines() if line.startswith("litellm_deployment_failure_responses_total")]
    assert any('exception_status="429"' in line and 'exception_class="RateLimitError"' in line for line in failures)
    assert "litellm_llm_api_latency_metric_bucket" in after
    assert "litellm_spend_metric_total" in after


def test_an_unreachable_logger_never_fails_or_slows_the_call(mock, monkeypatch):
    monkeypatch.setenv("GENERIC_LOGGER_ENDPOINT", "http://127.0.0.1:9/unreachable")
    _core.reset_loggers()
    litellm_rs.success_callback = ["webhook"]
    started = time.monotonic()
    resp = chat(mock)
    assert resp.choices[0].message.content
    assert time.monotonic() - started < 2.0
    assert litellm_rs.flush_callbacks(timeout=10)
    _core.reset_loggers()


def test_a_logger_without_its_settings_drops_payloads(mock, monkeypatch):
    monkeypatch.delenv("LANGFUSE_PUBLIC_KEY", raising=False)
    _core.reset_loggers()
    before = _core.dropped_log_events()
    litellm_rs.success_callback = ["langfuse"]
    assert chat(mock).choices[0].message.content
    litellm_rs.flush_callbacks()
    assert _core.dropped_log_events() == before + 1
    _core.reset_loggers()


def test_secrets_never_reach_a_logger(mock, collector, monkeypatch):
    monkeypatch.setenv("GENERIC_LOGGER_ENDPOINT", collector.url + "/hook")
    litellm_rs.success_callback = ["webhook"]
    chat(mock, api_key="sk-very-secret-key")
    reqs = _sent(collector, "/hook")
    assert "sk-very-secret-key" not in repr(reqs[0].body)

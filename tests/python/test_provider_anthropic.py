"""Anthropic Messages over real HTTP against a raw mock: the exact upstream request (path, headers,
body), sync and async answers, streams, a tool round trip, thinking blocks sent back, and error
answers mapped to litellm's exception classes with provider "anthropic" and no key in the text."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import litellm_rs
import pytest
from rawmock import RawMock

KEY = "sk-ant-test"
MODEL = "anthropic/claude-sonnet-4-5-20250929"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "anthropic"

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def fixture(scenario: str, name: str) -> Any:
    return json.loads((FIXTURES / scenario / name).read_text())


def sse_events(scenario: str) -> list[tuple[str, str]]:
    """The recorded stream as (event, data) pairs for RawMock."""
    out = []
    for block in (FIXTURES / scenario / "stream.sse").read_text().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], lines["data"]))
    return out


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


def call(m: RawMock, **kwargs: Any) -> Any:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", [{"role": "user", "content": "Say hello"}])
    return litellm_rs.completion(api_base=m.url, api_key=KEY, **kwargs)


def test_exact_upstream_request_and_response(m):
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    r = call(m)
    seen = m.requests[-1]
    assert (seen.method, seen.path) == ("POST", "/v1/messages")
    assert seen.headers["x-api-key"] == KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert seen.headers["content-type"] == "application/json"
    assert "authorization" not in seen.headers and "anthropic-beta" not in seen.headers
    assert seen.body == fixture("simple", "upstream.json")

    assert r.id == "msg_013Zva2CMHLNnXjNJJKqJ2EF"
    assert r.model == "claude-sonnet-4-5-20250929"
    assert r.choices[0].message.content == "Hello! How can I help you today?"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (10, 12, 22)
    assert r._hidden_params["custom_llm_provider"] == "anthropic"


def test_request_matrix_bodies(m):
    """Every request fixture reaches the server exactly as its upstream.json says (answers repeat)."""
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    for scenario in ["system", "multi_turn", "tool_results", "vision_base64", "pdf", "reasoning", "cache_usage"]:
        req = fixture(scenario, "request.json")
        model = req.pop("model")
        litellm_rs.completion(model="anthropic/" + model, api_base=m.url, api_key=KEY, **req)
        assert m.requests[-1].body == fixture(scenario, "upstream.json"), scenario


def test_api_base_forms_and_beta_header_merge(m):
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    for base in [m.url, m.url + "/v1", m.url + "/v1/messages"]:
        litellm_rs.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}], api_base=base, api_key=KEY)
        assert m.requests[-1].path == "/v1/messages", base
    call(
        m,
        extra_headers={"anthropic-beta": "token-efficient-tools-2025-02-19"},
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "p", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
        },
    )
    assert m.requests[-1].headers["anthropic-beta"] == "token-efficient-tools-2025-02-19,structured-outputs-2025-11-13"


def test_key_from_environment_and_bare_claude_model(m, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    r = litellm_rs.completion(
        model="claude-sonnet-4-5-20250929", messages=[{"role": "user", "content": "hi"}], api_base=m.url
    )
    assert m.requests[-1].headers["x-api-key"] == "sk-ant-from-env"
    assert r.choices[0].message.content.startswith("Hello")


def test_async_completion(m):
    m.on("POST", r"/v1/messages", json_body=fixture("cache_usage", "response.json"))

    async def go() -> Any:
        return await litellm_rs.acompletion(
            model=MODEL, messages=[{"role": "user", "content": "Question one"}], api_base=m.url, api_key=KEY
        )

    r = asyncio.run(go())
    assert r.choices[0].message.content == "Answer one."
    u = r.usage
    assert (u.prompt_tokens, u.completion_tokens) == (4220, 50)
    assert u.prompt_tokens_details.cached_tokens == 3000
    assert u.cache_read_input_tokens == 3000
    assert u.cache_creation_input_tokens == 1200


def test_tool_call_round_trip(m):
    m.on("POST", r"/v1/messages", json_body=fixture("tools_parallel", "response.json"))
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris and time in Tokyo?"}]
    r = call(m, messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    msg = r.choices[0].message
    assert r.choices[0].finish_reason == "tool_calls"
    assert [tc.function.name for tc in msg.tool_calls] == ["get_weather", "get_time"]
    assert json.loads(msg.tool_calls[0].function.arguments) == {"city": "Paris", "unit": "c"}
    assert m.requests[-1].body["tool_choice"] == {"type": "auto"}
    assert m.requests[-1].body["tools"][0]["input_schema"]["required"] == ["city"]

    # Send the assistant turn back with both results: one user turn of tool_result blocks.
    messages.append(msg.model_dump())
    for tc in msg.tool_calls:
        messages.append({"role": "tool", "tool_call_id": tc.id, "content": f"result for {tc.function.name}"})
    call(m, messages=messages, tools=[WEATHER_TOOL])
    sent = m.requests[-1].body["messages"]
    assert [x["role"] for x in sent] == ["user", "assistant", "user"]
    assert [b["type"] for b in sent[1]["content"]] == ["text", "tool_use", "tool_use"]
    assert sent[1]["content"][1]["input"] == {"city": "Paris", "unit": "c"}
    assert [(b["type"], b["tool_use_id"]) for b in sent[2]["content"]] == [
        ("tool_result", "toolu_01A09q90qw90lq917835lq9"),
        ("tool_result", "toolu_01B7yw5rxw8mTzTMgqrWE3vD"),
    ]


def test_thinking_blocks_come_back_and_are_sent_back(m):
    m.on("POST", r"/v1/messages", json_body=fixture("reasoning", "response.json"))
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    r = call(m, messages=[{"role": "user", "content": "Is 1021 prime?"}], reasoning_effort="low")
    assert m.requests[-1].body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    msg = r.choices[0].message
    assert msg.reasoning_content.startswith("Check divisibility")
    assert msg.thinking_blocks[0]["signature"].startswith("EqQB")
    assert msg.thinking_blocks[1]["type"] == "redacted_thinking"

    follow_up = [
        {"role": "user", "content": "Is 1021 prime?"},
        msg.model_dump(),
        {"role": "user", "content": "And 1023?"},
    ]
    call(m, messages=follow_up, reasoning_effort="low")
    assistant = m.requests[-1].body["messages"][1]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "redacted_thinking", "text"]
    assert assistant["content"][0]["signature"] == msg.thinking_blocks[0]["signature"]


def test_json_modes(m):
    m.on("POST", r"/v1/messages", json_body=fixture("json_schema", "response.json"))
    m.on("POST", r"/v1/messages", json_body=fixture("json_object", "response.json"))
    req = fixture("json_schema", "request.json")
    r = call(m, messages=req["messages"], response_format=req["response_format"])
    assert json.loads(r.choices[0].message.content) == {"name": "Ada", "age": 36}
    assert m.requests[-1].body["output_format"]["type"] == "json_schema"

    r = call(m, response_format={"type": "json_object"})
    assert json.loads(r.choices[0].message.content) == {"colors": ["red", "blue"]}
    assert r.choices[0].finish_reason == "stop"
    assert not r.choices[0].message.tool_calls
    assert m.requests[-1].body["tool_choice"] == {"type": "tool", "name": "json_tool_call"}


def test_stream_sync_text_with_usage(m):
    m.on("POST", r"/v1/messages", sse=sse_events("stream_text"))
    chunks = list(call(m, stream=True, stream_options={"include_usage": True}))
    assert m.requests[-1].body["stream"] is True
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage.prompt_tokens == 35 and last.usage.completion_tokens == 15


def test_stream_async_tools(m):
    m.on("POST", r"/v1/messages", sse=sse_events("stream_tools"))

    async def go() -> list[Any]:
        stream = await litellm_rs.acompletion(
            model=MODEL, messages=[{"role": "user", "content": "weather?"}], tools=[WEATHER_TOOL],
            stream=True, api_base=m.url, api_key=KEY,
        )  # fmt: skip
        return [c async for c in stream]

    chunks = asyncio.run(go())
    full = litellm_rs.stream_chunk_builder(chunks)
    tcs = full.choices[0].message.tool_calls
    assert [(t.function.name, json.loads(t.function.arguments)) for t in tcs] == [
        ("get_weather", {"location": "San Francisco, CA"}),
        ("get_time", {}),
    ]
    assert full.choices[0].finish_reason == "tool_calls"


def test_stream_thinking(m):
    m.on("POST", r"/v1/messages", sse=sse_events("stream_thinking"))
    chunks = list(call(m, stream=True, thinking={"type": "enabled", "budget_tokens": 16000}))
    assert m.requests[-1].body["thinking"] == {"type": "enabled", "budget_tokens": 16000}
    reasoning = "".join(c.choices[0].delta.reasoning_content or "" for c in chunks if c.choices)
    assert reasoning.startswith("Let me solve this step by step")
    sigs = [b.get("signature") for c in chunks if c.choices for b in (c.choices[0].delta.thinking_blocks or [])]
    assert any(s and s.startswith("EqQB") for s in sigs)


def test_stream_error_event_and_truncation(m):
    m.on("POST", r"/v1/messages", sse=sse_events("stream_error"))
    m.on("POST", r"/v1/messages", sse=sse_events("stream_truncated"))
    with pytest.raises(litellm_rs.InternalServerError) as ei:
        list(call(m, stream=True))
    assert ei.value.llm_provider == "anthropic"
    assert "Overloaded" in str(ei.value)

    with pytest.raises(litellm_rs.APIConnectionError):
        list(call(m, stream=True))


@pytest.mark.parametrize(
    ("scenario", "cls"),
    [
        ("error_auth", "AuthenticationError"),
        ("error_permission", "PermissionDeniedError"),
        ("error_not_found", "NotFoundError"),
        ("error_invalid_request", "BadRequestError"),
        ("error_context_window", "ContextWindowExceededError"),
        ("error_content_filter", "ContentPolicyViolationError"),
        ("error_rate_limit", "RateLimitError"),
        ("error_api", "InternalServerError"),
        ("error_overloaded", "InternalServerError"),
    ],
)
def test_error_answers_map_to_litellm_classes(m, scenario, cls):
    err = fixture(scenario, "error.json")
    m.on("POST", r"/v1/messages", status=err["status"], json_body=err["body"], headers=err["headers"])
    secret = "sk-ant-secret-do-not-leak-1234"
    with pytest.raises(getattr(litellm_rs.exceptions, cls)) as ei:
        litellm_rs.completion(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], api_base=m.url, api_key=secret, num_retries=0
        )
    e = ei.value
    assert type(e).__name__ == cls
    assert e.llm_provider == "anthropic"
    assert e.status_code == err["status"]
    assert err["body"]["error"]["message"] in str(e)
    assert secret not in str(e) and secret not in repr(e.args)
    assert m.requests[-1].headers["x-api-key"] == secret


def test_unsupported_param_raises_unless_dropped(m):
    m.on("POST", r"/v1/messages", json_body=fixture("simple", "response.json"))
    with pytest.raises(litellm_rs.UnsupportedParamsError) as ei:
        call(m, logit_bias={"1": 2})
    assert "logit_bias" in str(ei.value)
    call(m, logit_bias={"1": 2}, drop_params=True)
    assert "logit_bias" not in m.requests[-1].body

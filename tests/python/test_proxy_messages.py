"""/v1/messages end to end with Anthropic's official SDK: Anthropic's request shape in, any
configured model out (here an OpenAI-compatible deployment on the local mock), answers and
streams in Anthropic's shape, tool use both ways, errors in Anthropic's format, virtual keys
sent as x-api-key and charged."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mockserver import MockServer
from test_proxy import MASTER, running, write_config
from test_proxy_keys import admin

anthropic = pytest.importorskip("anthropic")


@pytest.fixture
def srv(tmp_path: Path, mock: MockServer) -> Iterator[Any]:
    with running(write_config(tmp_path, mock)) as server:
        yield server


def claude(srv: Any, key: str = MASTER) -> Any:
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{srv.port}", api_key=key, max_retries=0)


def upstream_chat(mock: MockServer) -> dict:
    return next(r.body for r in reversed(mock.requests) if r.path.endswith("/chat/completions"))


def test_a_message_and_its_usage(srv: Any, mock: MockServer) -> None:
    r = claude(srv).messages.create(
        model="gpt",
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": "hi"}],
        extra_body={"temperature": 0.3},
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
    )
    assert r.type == "message" and r.role == "assistant" and r.id.startswith("msg_")
    assert [b.type for b in r.content] == ["text"] and r.content[0].text == mock.chat_text
    assert r.stop_reason == "end_turn"
    # the mock's usage: 19 prompt tokens of which 4 cached, 10 completion tokens
    assert (r.usage.input_tokens, r.usage.cache_read_input_tokens, r.usage.output_tokens) == (15, 4, 10)
    sent = upstream_chat(mock)
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert (sent["max_tokens"], sent["temperature"], sent["stop"], sent["user"]) == (64, 0.3, ["END"], "u-1")


def test_a_stream_of_events(srv: Any, mock: MockServer) -> None:
    with claude(srv).messages.stream(
        model="gpt", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == mock.chat_text
    assert final.content[0].text == mock.chat_text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 10
    assert upstream_chat(mock)["stream"] is True


@pytest.mark.parametrize("stream", [False, True])
def test_tool_use_both_ways(srv: Any, mock: MockServer, stream: bool) -> None:
    mock.tool_calls = [{"id": "call_7", "name": "get_weather", "arguments": '{"city": "Paris"}'}]
    tools = [
        {
            "name": "get_weather",
            "description": "The weather of a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ]
    ask = [{"role": "user", "content": "Weather in Paris?"}]
    c = claude(srv)
    if stream:
        with c.messages.stream(model="gpt", max_tokens=64, tools=tools, messages=ask) as s:
            r = s.get_final_message()
    else:
        r = c.messages.create(model="gpt", max_tokens=64, tools=tools, tool_choice={"type": "any"}, messages=ask)
    assert r.stop_reason == "tool_use"
    use = next(b for b in r.content if b.type == "tool_use")
    assert (use.id, use.name, use.input) == ("call_7", "get_weather", {"city": "Paris"})
    sent = upstream_chat(mock)
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["tools"][0]["function"]["parameters"]["required"] == ["city"]
    # the tool's result goes back as OpenAI's tool message
    mock.tool_calls = None
    follow = c.messages.create(
        model="gpt",
        max_tokens=64,
        tools=tools,
        messages=[
            *ask,
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in r.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C and sunny"}]},
        ],
    )
    assert follow.content[0].text == mock.chat_text
    msgs = upstream_chat(mock)["messages"]
    assert msgs[1]["tool_calls"][0]["id"] == "call_7"
    assert json.loads(msgs[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert msgs[2] == {"role": "tool", "tool_call_id": "call_7", "content": "18C and sunny"}


def test_errors_in_anthropics_format(srv: Any, mock: MockServer) -> None:
    with pytest.raises(anthropic.AuthenticationError):
        claude(srv, key="sk-wrong").messages.create(
            model="gpt", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    mock.fail(429)
    with pytest.raises(anthropic.RateLimitError) as info:
        claude(srv).messages.create(model="gpt", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert info.value.body["type"] == "error" and info.value.body["error"]["type"] == "rate_limit_error"
    req = urllib.request.Request(
        f"http://127.0.0.1:{srv.port}/v1/messages",
        data=json.dumps({"model": "gpt", "messages": []}).encode(),
        headers={"x-api-key": MASTER, "content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(req, timeout=10)
    body = json.load(bad.value)
    assert bad.value.code == 400 and body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]


def test_a_virtual_key_as_x_api_key_is_limited_and_charged(srv: Any, mock: MockServer) -> None:
    _, made = admin(srv, "POST", "/key/generate", {"models": ["gpt"], "rpm_limit": 1})
    c = claude(srv, made["key"])
    r = c.messages.create(model="gpt", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    assert r.content[0].text == mock.chat_text
    with pytest.raises(anthropic.RateLimitError):
        c.messages.create(model="gpt", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    status, info = admin(srv, "GET", f"/key/info?key={made['key']}")
    assert status == 200 and info["info"]["spend"] > 0

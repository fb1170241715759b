"""Cohere v2 over real HTTP: ``cohere_chat/`` and ``cohere/`` -> POST /v2/chat (and /v2/embed)
against a local raw mock; SSE streams sync and async, tool round trips with tool_plan, documents
and citations, errors mapped to litellm's classes."""

from __future__ import annotations

import asyncio
import json

import litellm_rs
import pytest
from litellm_rs.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    RateLimitError,
    UnsupportedParamsError,
)
from rawmock import RawMock

KEY = "co-test-key"
MESSAGES = [{"role": "user", "content": "Hello, who are you?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
USAGE = {"billed_units": {"input_tokens": 5, "output_tokens": 9}, "tokens": {"input_tokens": 71, "output_tokens": 9}}


def answer(text=None, finish="COMPLETE", **message) -> dict:
    msg = {"role": "assistant", **message}
    if text is not None:
        msg["content"] = [{"type": "text", "text": text}]
    return {"id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4", "message": msg, "finish_reason": finish, "usage": USAGE}


def ev(kind: str, **fields) -> tuple[str, dict]:
    return (kind, {"type": kind, **fields})


def text(t: str, index: int = 0) -> tuple[str, dict]:
    return ev("content-delta", index=index, delta={"message": {"content": {"text": t}}})


START = ev("message-start", id="29f14a5a-11de-4cae-9800-25e4747408ea", delta={"message": {"role": "assistant"}})


def end(reason: str = "COMPLETE") -> tuple[str, dict]:
    return ev("message-end", delta={"finish_reason": reason, "usage": USAGE})


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


def test_chat_sync_exact_request(m):
    m.on("POST", r"/v2/chat", json_body=answer("I'm Command."))
    r = litellm_rs.completion(
        model="cohere_chat/command-a-03-2025",
        messages=[{"role": "system", "content": "Be brief."}, *MESSAGES],
        api_base=m.url,
        api_key=KEY,
        temperature=0.3,
        top_p=0.8,
        top_k=40,
        max_tokens=100,
        stop=["END"],
        seed=1,
    )
    assert r.choices[0].message.content == "I'm Command."
    assert r.choices[0].finish_reason == "stop"
    assert r.id == "c14c80c3-18eb-4519-9460-6c92edd8cfb4"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (71, 9, 80)
    assert r._hidden_params["custom_llm_provider"] == "cohere"
    seen = m.requests[-1]
    assert seen.path == "/v2/chat"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body == {
        "model": "command-a-03-2025",
        "messages": [{"role": "system", "content": "Be brief."}, *MESSAGES],
        "temperature": 0.3,
        "max_tokens": 100,
        "p": 0.8,
        "k": 40,
        "stop_sequences": ["END"],
        "seed": 1,
    }


def test_async_with_key_from_env(m, monkeypatch):
    monkeypatch.setenv("COHERE_API_KEY", "env-co-key")
    m.on("POST", r"/v2/chat", json_body=answer("Hi", finish="MAX_TOKENS"))
    r = asyncio.run(litellm_rs.acompletion(model="cohere/command-r", messages=MESSAGES, api_base=m.url))
    assert r.choices[0].finish_reason == "length"
    assert m.requests[-1].headers["authorization"] == "Bearer env-co-key"


def test_stream_sync_with_usage(m):
    m.on("POST", r"/v2/chat", sse=[START, text("I'm"), text(" Command."), ev("content-end", index=0), end()])
    chunks = list(
        litellm_rs.completion(
            model="cohere_chat/command-a-03-2025",
            messages=MESSAGES,
            api_base=m.url,
            api_key=KEY,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert m.requests[-1].body["stream"] is True
    assert chunks[0].choices[0].delta.role == "assistant"
    assert {c.model for c in chunks} == {"command-a-03-2025"}
    assert {c.id for c in chunks} == {"29f14a5a-11de-4cae-9800-25e4747408ea"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "I'm Command."
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.total_tokens == 80


def test_stream_async_tools(m):
    m.on(
        "POST",
        r"/v2/chat",
        sse=[
            START,
            ev("tool-plan-delta", delta={"message": {"tool_plan": "I will check."}}),
            ev(
                "tool-call-start",
                index=0,
                delta={
                    "message": {
                        "tool_calls": {
                            "id": "get_weather_nsz5",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    }
                },
            ),
            ev("tool-call-delta", index=0, delta={"message": {"tool_calls": {"function": {"arguments": '{"city": '}}}}),
            ev("tool-call-delta", index=0, delta={"message": {"tool_calls": {"function": {"arguments": '"Oslo"}'}}}}),
            ev("tool-call-end", index=0),
            ("debug", {"type": "debug", "prompt": "..."}),
            end("TOOL_CALL"),
        ],
    )

    async def go():
        stream = await litellm_rs.acompletion(
            model="cohere_chat/command-a-03-2025",
            messages=MESSAGES,
            tools=[WEATHER],
            tool_choice="required",
            api_base=m.url,
            api_key=KEY,
            stream=True,
        )
        return [c async for c in stream]

    chunks = asyncio.run(go())
    assert m.requests[-1].body["tool_choice"] == "REQUIRED"
    built = litellm_rs.stream_chunk_builder(chunks)
    call = built.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "get_weather_nsz5",
        "get_weather",
        {"city": "Oslo"},
    )
    assert built.choices[0].finish_reason == "tool_calls"


def test_tool_round_trip_keeps_tool_plan(m):
    tool_call = {
        "id": "get_weather_1byjy32y4hvq",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Toronto"}'},
    }
    m.on(
        "POST", r"/v2/chat", json_body=answer(None, "TOOL_CALL", tool_plan="I will look it up.", tool_calls=[tool_call])
    )
    m.on("POST", r"/v2/chat", json_body=answer("Sunny, 21 C."))
    r = litellm_rs.completion(
        model="cohere_chat/command-a-03-2025", messages=MESSAGES, tools=[WEATHER], api_base=m.url, api_key=KEY
    )
    msg = r.choices[0].message
    assert r.choices[0].finish_reason == "tool_calls"
    assert msg.content is None
    assert msg.tool_calls[0].id == "get_weather_1byjy32y4hvq"
    assert msg.provider_specific_fields["tool_plan"] == "I will look it up."
    assert m.requests[-1].body["tools"] == [WEATHER]
    r2 = litellm_rs.completion(
        model="cohere_chat/command-a-03-2025",
        messages=[*MESSAGES, msg, {"role": "tool", "tool_call_id": msg.tool_calls[0].id, "content": "21 C, sunny"}],
        tools=[WEATHER],
        api_base=m.url,
        api_key=KEY,
    )
    assert r2.choices[0].message.content == "Sunny, 21 C."
    sent = m.requests[-1].body["messages"]
    assert sent[1] == {"role": "assistant", "tool_plan": "I will look it up.", "tool_calls": [tool_call]}
    assert sent[2] == {"role": "tool", "tool_call_id": "get_weather_1byjy32y4hvq", "content": "21 C, sunny"}


def test_documents_and_citations(m):
    docs = [{"id": "doc:0", "data": {"title": "Tall penguins", "snippet": "Emperor penguins are the tallest."}}]
    citation = {
        "start": 0,
        "end": 16,
        "text": "Emperor penguins",
        "sources": [{"type": "document", "id": "doc:0", "document": {"id": "doc:0", "title": "Tall penguins"}}],
        "type": "TEXT_CONTENT",
    }
    m.on("POST", r"/v2/chat", json_body=answer("Emperor penguins are the tallest.", citations=[citation]))
    r = litellm_rs.completion(
        model="cohere_chat/command-r", messages=MESSAGES, documents=docs, api_base=m.url, api_key=KEY
    )
    assert m.requests[-1].body["documents"] == docs
    msg = r.choices[0].message
    assert msg.annotations == [
        {
            "type": "url_citation",
            "url_citation": {"start_index": 0, "end_index": 16, "title": "Tall penguins", "url": "source:doc:0"},
        }
    ]
    assert msg.provider_specific_fields["citations"] == [citation]


def test_response_format_json_schema(m):
    m.on("POST", r"/v2/chat", json_body=answer('{"ok": true}'))
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    litellm_rs.completion(
        model="cohere_chat/command-a-03-2025",
        messages=MESSAGES,
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": schema}},
        api_base=m.url,
        api_key=KEY,
    )
    assert m.requests[-1].body["response_format"] == {"type": "json_object", "json_schema": schema}


@pytest.mark.parametrize(
    ("status", "message", "exc"),
    [
        (400, "invalid request: all elements in history must have a message.", BadRequestError),
        (400, "too many tokens: total number of tokens in the prompt cannot exceed 256000", ContextWindowExceededError),
        (401, "invalid api token", AuthenticationError),
        (429, "You are using a Trial key, which is limited to 20 API calls / minute.", RateLimitError),
        (500, "internal server error, this has been reported to our developers.", InternalServerError),
    ],
)
def test_errors_map_to_litellm_classes(m, status, message, exc):
    m.on("POST", r"/v2/chat", status=status, json_body={"id": "a7b1c2d3", "message": message})
    with pytest.raises(exc) as ei:
        litellm_rs.completion(model="cohere_chat/command-a-03-2025", messages=MESSAGES, api_base=m.url, api_key=KEY)
    e = ei.value
    assert e.status_code == status
    assert e.llm_provider == "cohere"
    assert message in str(e)
    assert KEY not in str(e)


def test_missing_key_is_an_auth_error(monkeypatch):
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    monkeypatch.delenv("CO_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="COHERE_API_KEY"):
        litellm_rs.completion(model="cohere_chat/command-r", messages=MESSAGES, api_base="http://127.0.0.1:9")


def test_truncated_stream_raises(m):
    m.on("POST", r"/v2/chat", sse=[START, text("Hel")])
    with pytest.raises(APIConnectionError, match="ended before it was complete"):
        list(
            litellm_rs.completion(
                model="cohere_chat/command-r", messages=MESSAGES, api_base=m.url, api_key=KEY, stream=True
            )
        )


def test_unsupported_params_raise_or_drop(m):
    m.on("POST", r"/v2/chat", json_body=answer("ok"))
    with pytest.raises(UnsupportedParamsError, match="logprobs"):
        litellm_rs.completion(
            model="cohere_chat/command-r", messages=MESSAGES, api_base=m.url, api_key=KEY, logprobs=True
        )
    litellm_rs.completion(
        model="cohere_chat/command-r", messages=MESSAGES, api_base=m.url, api_key=KEY, logprobs=True, drop_params=True
    )
    assert "logprobs" not in m.requests[-1].body


def test_embedding(m):
    m.on(
        "POST",
        r"/v2/embed",
        json_body={
            "id": "da6e531f",
            "embeddings": {"float": [[0.1, 0.2], [0.3, 0.4]]},
            "texts": ["a", "b"],
            "meta": {"billed_units": {"input_tokens": 2}},
            "response_type": "embeddings_by_type",
        },
    )
    r = litellm_rs.embedding(model="cohere/embed-english-v3.0", input=["a", "b"], api_base=m.url, api_key=KEY)
    assert [d["embedding"] for d in r.data] == [[0.1, 0.2], [0.3, 0.4]]
    assert r.usage.prompt_tokens == 2
    assert m.requests[-1].body == {"model": "embed-english-v3.0", "texts": ["a", "b"], "input_type": "search_document"}

"""Ollama over real HTTP: ``ollama_chat/`` -> /api/chat, ``ollama/`` -> /api/generate and
/api/embed against a local raw mock; NDJSON streams sync and async, tool round trips, options
mapping, errors mapped to litellm's classes."""

from __future__ import annotations

import asyncio
import json

import litellm_rs
import pytest
from litellm_rs.exceptions import (
    APIConnectionError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    UnsupportedParamsError,
)
from rawmock import RawMock

MESSAGES = [{"role": "user", "content": "Why is the sky blue?"}]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def done(content: str = "", reason: str = "stop", prompt: int = 26, completion: int = 12, **message) -> dict:
    return {
        "model": "llama3.2",
        "created_at": "2025-05-20T14:32:07.123456Z",
        "message": {"role": "assistant", "content": content, **message},
        "done_reason": reason,
        "done": True,
        "total_duration": 4883583458,
        "load_duration": 1334875,
        "prompt_eval_count": prompt,
        "prompt_eval_duration": 342546000,
        "eval_count": completion,
        "eval_duration": 4535599000,
    }


def line(content: str = "", **message) -> dict:
    return {
        "model": "llama3.2",
        "created_at": "2025-05-20T14:32:07.2Z",
        "message": {"role": "assistant", "content": content, **message},
        "done": False,
    }


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


def test_chat_sync_options_and_exact_request(m):
    m.on("POST", r"/api/chat", json_body=done("Rayleigh scattering.", prompt=33, completion=4))
    r = litellm_rs.completion(
        model="ollama_chat/llama3.2",
        messages=[{"role": "system", "content": "Be brief."}, *MESSAGES],
        api_base=m.url,
        temperature=0.2,
        max_tokens=50,
        stop="\n",
        frequency_penalty=1.1,
        seed=7,
        top_k=40,
        num_ctx=4096,
        keep_alive="5m",
    )
    assert r.choices[0].message.content == "Rayleigh scattering."
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "ollama_chat/llama3.2"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (33, 4, 37)
    assert r._hidden_params["custom_llm_provider"] == "ollama_chat"  # litellm reports the route that served the call
    seen = m.requests[-1]
    assert seen.method == "POST"
    assert seen.path == "/api/chat"
    assert "authorization" not in seen.headers
    assert seen.body == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why is the sky blue?"}],
        "options": {
            "num_predict": 50,
            "temperature": 0.2,
            "seed": 7,
            "repeat_penalty": 1.1,
            "stop": ["\n"],
            "top_k": 40,
            "num_ctx": 4096,
        },
        "stream": False,
        "keep_alive": "5m",
    }


def test_chat_async_with_key_from_env(m, monkeypatch):
    monkeypatch.setenv("OLLAMA_API_BASE", m.url)
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-cloud-key")
    m.on("POST", r"/api/chat", json_body=done("Hi!", reason="length"))
    r = asyncio.run(litellm_rs.acompletion(model="ollama_chat/llama3.2", messages=MESSAGES))
    assert r.choices[0].message.content == "Hi!"
    assert r.choices[0].finish_reason == "length"
    assert m.requests[-1].headers["authorization"] == "Bearer ollama-cloud-key"


def test_stream_sync_with_usage(m):
    m.on(
        "POST", r"/api/chat", ndjson=[line("The"), line(" sky"), line(" scatters."), done("", prompt=31, completion=3)]
    )
    chunks = list(
        litellm_rs.completion(
            model="ollama_chat/llama3.2",
            messages=MESSAGES,
            api_base=m.url,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert m.requests[-1].body["stream"] is True
    assert chunks[0].choices[0].delta.role == "assistant"
    assert {c.model for c in chunks} == {"llama3.2"}
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The sky scatters."
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == []
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (31, 3)
    built = litellm_rs.stream_chunk_builder(chunks, messages=MESSAGES)
    assert built.choices[0].message.content == "The sky scatters."


def test_stream_async_thinking(m):
    m.on(
        "POST",
        r"/api/chat",
        ndjson=[line("", thinking="Light scatters"), line("", thinking=" off air."), line("Blue light"), done(".")],
    )

    async def go():
        stream = await litellm_rs.acompletion(
            model="ollama_chat/qwen3:8b", messages=MESSAGES, api_base=m.url, stream=True, reasoning_effort="high"
        )
        return [c async for c in stream]

    chunks = asyncio.run(go())
    assert m.requests[-1].body["think"] is True
    reasoning = "".join(c.choices[0].delta.reasoning_content or "" for c in chunks if c.choices)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert reasoning == "Light scatters off air."
    assert content == "Blue light."


def test_tool_round_trip(m):
    m.on(
        "POST",
        r"/api/chat",
        json_body=done("", tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]),
    )
    m.on("POST", r"/api/chat", json_body=done("It is 18 C in Paris."))
    r = litellm_rs.completion(
        model="ollama_chat/llama3.1", messages=MESSAGES, tools=[WEATHER], tool_choice="auto", api_base=m.url
    )
    assert r.choices[0].finish_reason == "tool_calls"
    call = r.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id
    first = m.requests[-1].body
    assert first["tools"] == [WEATHER]
    assert "tool_choice" not in first
    follow_up = [
        *MESSAGES,
        r.choices[0].message,
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18}'},
    ]
    r2 = litellm_rs.completion(model="ollama_chat/llama3.1", messages=follow_up, tools=[WEATHER], api_base=m.url)
    assert r2.choices[0].message.content == "It is 18 C in Paris."
    sent = m.requests[-1].body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    }
    assert sent[2] == {"role": "tool", "content": '{"temp_c": 18}', "tool_name": "get_weather"}


def test_stream_tool_calls(m):
    m.on(
        "POST",
        r"/api/chat",
        ndjson=[
            line("", tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]),
            line("", tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]),
            done(""),
        ],
    )
    chunks = list(
        litellm_rs.completion(
            model="ollama_chat/llama3.1", messages=MESSAGES, tools=[WEATHER], api_base=m.url, stream=True
        )
    )
    built = litellm_rs.stream_chunk_builder(chunks)
    calls = built.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Rome"]
    assert built.choices[0].finish_reason == "tool_calls"


def test_vision_and_json_schema(m):
    m.on("POST", r"/api/chat", json_body=done('{"colour": "grey"}'))
    schema = {"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]}
    litellm_rs.completion(
        model="ollama_chat/llava",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Colour?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}},
                ],
            }
        ],
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
        api_base=m.url,
    )
    body = m.requests[-1].body
    assert body["messages"] == [{"role": "user", "content": "Colour?", "images": [PNG]}]
    assert body["format"] == schema


def test_generate_flattens_the_prompt(m):
    m.on(
        "POST",
        r"/api/generate",
        json_body={
            "model": "llama3.2",
            "created_at": "2025-05-20T15:00:00.1Z",
            "response": "Bonjour !",
            "done": True,
            "done_reason": "stop",
            "context": [1, 2, 3],
            "prompt_eval_count": 27,
            "eval_count": 4,
        },
    )
    r = litellm_rs.completion(
        model="ollama/llama3.2",
        messages=[{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hello!"}],
        response_format={"type": "json_object"},
        api_base=m.url,
    )
    assert r.choices[0].message.content == "Bonjour !"
    assert r.model == "ollama/llama3.2"
    assert r.usage.total_tokens == 31
    seen = m.requests[-1]
    assert seen.path == "/api/generate"
    assert seen.body == {
        "model": "llama3.2",
        "prompt": "### System:\nAnswer in French.\n\n### User:\nHello!\n\n",
        "options": {},
        "stream": False,
        "format": "json",
    }


def test_generate_stream_and_text_completion(m):
    pieces = [
        {"model": "llama3.2", "created_at": "t", "response": "Hi", "done": False},
        {"model": "llama3.2", "created_at": "t", "response": " there", "done": False},
        {"model": "llama3.2", "created_at": "t", "response": "", "done": True, "done_reason": "stop"},
    ]
    m.on("POST", r"/api/generate", ndjson=pieces)
    m.on("POST", r"/api/generate", json_body={**pieces[2], "response": "Hello."})
    chunks = list(litellm_rs.completion(model="ollama/llama3.2", messages=MESSAGES, api_base=m.url, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hi there"
    assert m.requests[-1].body["stream"] is True
    t = litellm_rs.text_completion(model="ollama/llama3.2", prompt="Say hello", api_base=m.url)
    assert t.choices[0].text == "Hello."
    assert m.requests[-1].body["prompt"] == "### User:\nSay hello\n\n"


@pytest.mark.parametrize(
    ("status", "body", "exc"),
    [
        (404, {"error": 'model "llama9" not found, try pulling it first'}, NotFoundError),
        (400, {"error": 'invalid format: expected "json" or a JSON schema'}, BadRequestError),
        (500, {"error": "llama runner process has terminated: exit status 2"}, InternalServerError),
    ],
)
def test_errors_map_to_litellm_classes(m, status, body, exc):
    m.on("POST", r"/api/chat", status=status, json_body=body)
    with pytest.raises(exc) as ei:
        litellm_rs.completion(model="ollama_chat/llama9", messages=MESSAGES, api_base=m.url)
    e = ei.value
    assert e.status_code == status
    assert e.llm_provider == "ollama_chat"
    assert body["error"] in str(e)


def test_errors_on_generate_name_the_provider(m):
    m.on("POST", r"/api/generate", status=404, json_body={"error": 'model "x" not found'})
    with pytest.raises(NotFoundError) as ei:
        litellm_rs.completion(model="ollama/x", messages=MESSAGES, api_base=m.url)
    assert ei.value.llm_provider == "ollama"


def test_truncated_stream_raises(m):
    m.on("POST", r"/api/chat", ndjson=[line("The"), line(" sky")])
    with pytest.raises(APIConnectionError, match="ended before it was complete"):
        list(litellm_rs.completion(model="ollama_chat/llama3.2", messages=MESSAGES, api_base=m.url, stream=True))


def test_error_line_mid_stream_raises(m):
    m.on("POST", r"/api/chat", ndjson=[line("The"), {"error": "an error was encountered while running the model"}])
    with pytest.raises(InternalServerError, match="running the model"):
        list(litellm_rs.completion(model="ollama_chat/llama3.2", messages=MESSAGES, api_base=m.url, stream=True))


def test_unsupported_params_raise_or_drop(m):
    m.on("POST", r"/api/chat", json_body=done("ok"))
    with pytest.raises(UnsupportedParamsError, match="presence_penalty"):
        litellm_rs.completion(model="ollama_chat/llama3.2", messages=MESSAGES, api_base=m.url, presence_penalty=0.5)
    litellm_rs.completion(
        model="ollama_chat/llama3.2", messages=MESSAGES, api_base=m.url, presence_penalty=0.5, drop_params=True
    )
    assert "presence_penalty" not in json.dumps(m.requests[-1].body)


def test_embedding(m):
    m.on(
        "POST",
        r"/api/embed",
        json_body={"model": "nomic-embed-text", "embeddings": [[0.1, 0.2], [0.3, 0.4]], "prompt_eval_count": 8},
    )
    r = litellm_rs.embedding(model="ollama/nomic-embed-text", input=["a", "b"], api_base=m.url)
    assert [d["embedding"] for d in r.data] == [[0.1, 0.2], [0.3, 0.4]]
    assert r.usage.prompt_tokens == 8
    assert m.requests[-1].path == "/api/embed"
    assert m.requests[-1].body == {"model": "nomic-embed-text", "input": ["a", "b"]}

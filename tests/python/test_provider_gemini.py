"""Gemini (Google AI Studio) over real HTTP: ``gemini/`` -> POST {api_base}/models/{model}:generateContent
(and :streamGenerateContent?alt=sse; the default api_base is .../v1beta, and litellm appends
``/models/...`` to a custom one) against a local raw mock; the key in ``x-goog-api-key``; SSE
streams sync and async; a tool round trip carrying the thought signature back; Google's error
bodies mapped to litellm's classes; and, where litellm is installed, the same calls through
litellm against the same mock (same upstream request, same OpenAI-shaped answer)."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

import litellm_rs
import pytest
from litellm_rs.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UnsupportedParamsError,
)
from rawmock import RawMock

KEY = "gm-test"
MODEL = "gemini/gemini-2.5-flash"
PATH = "/models/gemini-2.5-flash:generateContent"
STREAM_PATH = "/models/gemini-2.5-flash:streamGenerateContent"
MESSAGES = [{"role": "user", "content": "Say hello"}]
SIG = "CtMCAdHtim9aOqFSTXCyMeJkMhNwCd7ya0OgPGe/bSVY+5bcoOXgTCQlO9qYvP5sXGr+ZtDbtpOWBTWJvMVIvXPYOtkZk3f5Uxn2"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
WEATHER_DECL = {
    "name": "get_weather",
    "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def answer(*parts: dict, finish: str = "STOP", model: str = "gemini-2.5-flash", **usage: int) -> dict:
    meta = {"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10, **usage}
    return {
        "candidates": [{"content": {"parts": list(parts), "role": "model"}, "finishReason": finish, "index": 0}],
        "usageMetadata": meta,
        "modelVersion": model,
        "responseId": "hJ2ZaOWqNc-Tz7IPv9vWwAo",
    }


def piece(*parts: dict, finish: str | None = None, **usage: int) -> dict:
    cand: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    out: dict[str, Any] = {"candidates": [cand], "modelVersion": "gemini-2.5-flash", "responseId": "R8qZaPv1HaWtz7IP"}
    if usage:
        out["usageMetadata"] = usage
    return out


def google_error(code: int, message: str, status: str) -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


def test_chat_sync_exact_request(m):
    m.on("POST", PATH, json_body=answer({"text": "Hello there!"}, thoughtsTokenCount=20, totalTokenCount=30))
    r = litellm_rs.completion(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."}, *MESSAGES],
        api_base=m.url,
        api_key=KEY,
        temperature=0.3,
        top_p=0.8,
        top_k=40,
        max_tokens=100,
        stop="END",
        n=1,
    )
    assert r.choices[0].message.content == "Hello there!"
    assert r.choices[0].finish_reason == "stop"
    assert r.id == "hJ2ZaOWqNc-Tz7IPv9vWwAo"
    assert r.model == "gemini-2.5-flash"
    # Thinking tokens are completion tokens (litellm's convention).
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (4, 26, 30)
    assert r.usage.completion_tokens_details.reasoning_tokens == 20
    assert r._hidden_params["custom_llm_provider"] == "gemini"
    seen = m.requests[-1]
    assert seen.method == "POST"
    assert seen.path == PATH
    assert seen.query == {}
    assert seen.headers["x-goog-api-key"] == KEY
    assert "authorization" not in seen.headers
    assert seen.headers["content-type"] == "application/json"
    assert seen.body == {
        "contents": [{"role": "user", "parts": [{"text": "Say hello"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {
            "temperature": 0.3,
            "topP": 0.8,
            "candidateCount": 1,
            "maxOutputTokens": 100,
            "stopSequences": ["END"],
            "topK": 40,
        },
    }


def test_async_with_key_from_env(m, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gm-env-key")
    m.on("POST", PATH, json_body=answer({"text": "1, 2"}, finish="MAX_TOKENS"))
    r = asyncio.run(litellm_rs.acompletion(model=MODEL, messages=MESSAGES, api_base=m.url))
    assert r.choices[0].message.content == "1, 2"
    assert r.choices[0].finish_reason == "length"
    assert m.requests[-1].headers["x-goog-api-key"] == "gm-env-key"


def test_cached_tokens_reach_usage(m):
    m.on(
        "POST",
        PATH,
        json_body=answer(
            {"text": "ok"},
            promptTokenCount=2100,
            candidatesTokenCount=2,
            totalTokenCount=2102,
            cachedContentTokenCount=2006,
        ),
    )
    r = litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY)
    assert r.usage.prompt_tokens == 2100
    assert r.usage.prompt_tokens_details.cached_tokens == 2006


def test_stream_sync_with_usage(m):
    m.on(
        "POST",
        STREAM_PATH,
        sse=[
            piece({"text": "Hello"}, promptTokenCount=4, totalTokenCount=4),
            piece({"text": " there!"}),
            piece({"text": ""}, finish="STOP", promptTokenCount=4, candidatesTokenCount=3, totalTokenCount=7),
        ],
    )
    chunks = list(
        litellm_rs.completion(
            model=MODEL,
            messages=MESSAGES,
            api_base=m.url,
            api_key=KEY,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    seen = m.requests[-1]
    assert seen.path == STREAM_PATH
    assert seen.query == {"alt": ["sse"]}
    assert seen.headers["x-goog-api-key"] == KEY
    assert seen.body == {"contents": [{"role": "user", "parts": [{"text": "Say hello"}]}]}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello there!"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    usage = [c.usage for c in chunks if getattr(c, "usage", None)]
    assert usage and usage[-1].total_tokens == 7
    assert chunks[-1].choices == []


def test_stream_async_tool_calls(m):
    m.on(
        "POST",
        STREAM_PATH,
        sse=[
            piece({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}),
            piece({"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}),
            piece({"text": ""}, finish="STOP", promptTokenCount=20, candidatesTokenCount=10, totalTokenCount=30),
        ],
    )

    async def run() -> list[Any]:
        stream = await litellm_rs.acompletion(
            model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, stream=True, tools=[WEATHER]
        )
        return [c async for c in stream]

    chunks = asyncio.run(run())
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [(tc.index, tc.function.name, tc.function.arguments) for tc in calls] == [
        (0, "get_weather", '{"city": "Paris"}'),
        (1, "get_weather", '{"city": "Rome"}'),
    ]
    assert all(tc.id.startswith("call_") and len(tc.id) == 33 for tc in calls)
    # Arguments are written as litellm writes them (json.dumps separators).
    assert calls[0].function.arguments == '{"city": "Paris"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert m.requests[-1].body["tools"] == [{"functionDeclarations": [WEATHER_DECL]}]


def test_tool_call_round_trip_carries_the_thought_signature(m):
    m.on(
        "POST",
        r"gemini-3-pro-preview:generateContent",
        json_body=answer(
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIG},
            model="gemini-3-pro-preview",
        ),
    )
    m.on("POST", r"gemini-3-pro-preview:generateContent", json_body=answer({"text": "Sunny in Paris."}))
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    kw: dict[str, Any] = {"model": "gemini/gemini-3-pro-preview", "api_base": m.url, "api_key": KEY, "tools": [WEATHER]}
    first = litellm_rs.completion(messages=messages, tool_choice="required", **kw)
    msg = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    call = msg.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.id.endswith("__thought__" + SIG)
    assert call.provider_specific_fields == {"thought_signature": SIG}
    assert m.requests[0].body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert "generationConfig" not in m.requests[0].body

    messages += [msg, {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "sunny"}'}]
    second = litellm_rs.completion(messages=messages, **kw)
    assert second.choices[0].message.content == "Sunny in Paris."
    contents = m.requests[-1].body["contents"]
    call_id = call.id.split("__thought__")[0]
    assert contents[1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": call_id}, "thoughtSignature": SIG}
        ],
    }
    assert contents[2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "sunny"}, "id": call_id}}],
    }


def test_blocked_prompt_is_a_content_filter_answer(m):
    m.on(
        "POST",
        PATH,
        json_body={
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
            "modelVersion": "gemini-2.5-flash",
        },
    )
    r = litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY)
    assert r.choices[0].finish_reason == "content_filter"
    assert r.choices[0].message.content is None


ERRORS = [
    (400, google_error(400, "Invalid value at 'generation_config.temperature'", "INVALID_ARGUMENT"), BadRequestError),
    (
        400,
        google_error(
            400,
            "The input token count (1204581) exceeds the maximum number of tokens allowed (1048576).",
            "INVALID_ARGUMENT",
        ),
        ContextWindowExceededError,
    ),
    (
        400,
        google_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"),
        AuthenticationError,
    ),
    # litellm raises BadRequestError for 403 (status_code stays 403).
    (403, google_error(403, "The caller does not have permission", "PERMISSION_DENIED"), BadRequestError),
    (404, google_error(404, "models/gemini-9 is not found for API version v1beta", "NOT_FOUND"), NotFoundError),
    (429, google_error(429, "You exceeded your current quota.", "RESOURCE_EXHAUSTED"), RateLimitError),
    (500, google_error(500, "An internal error has occurred.", "INTERNAL"), InternalServerError),
    (503, google_error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE"), InternalServerError),
    (503, google_error(503, "The service is currently unavailable.", "UNAVAILABLE"), ServiceUnavailableError),
]


@pytest.mark.parametrize(("status", "body", "cls"), ERRORS, ids=[e[2].__name__ + str(e[0]) for e in ERRORS])
def test_error_statuses(m, status, body, cls):
    m.on("POST", PATH, status=status, json_body=body)
    with pytest.raises(cls) as ei:
        litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, num_retries=0)
    e = ei.value
    assert type(e) is cls
    assert e.llm_provider == "gemini"
    assert body["error"]["message"] in str(e)
    assert KEY not in str(e)


def test_the_key_never_appears_in_errors(m):
    m.on("POST", PATH, status=400, json_body=google_error(400, f"API key not valid: {KEY}", "INVALID_ARGUMENT"))
    with pytest.raises(AuthenticationError) as ei:
        litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY)
    assert ei.value.status_code == 401
    assert KEY not in str(ei.value)
    assert KEY not in repr(ei.value.__dict__)


def test_unsupported_params_raise_or_drop(m):
    with pytest.raises(UnsupportedParamsError) as ei:
        litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, logit_bias={"1": 5})
    assert "logit_bias" in str(ei.value)
    assert m.requests == []
    m.on("POST", PATH, json_body=answer({"text": "hi"}))
    litellm_rs.completion(
        model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, logit_bias={"1": 5}, drop_params=True, user="u-1"
    )
    # `user` is accepted and not sent, as litellm does.
    assert m.requests[-1].body == {"contents": [{"role": "user", "parts": [{"text": "Say hello"}]}]}


def test_stream_errors(m):
    m.on(
        "POST",
        STREAM_PATH,
        sse=[piece({"text": "Once"}), google_error(429, "Resource has been exhausted.", "RESOURCE_EXHAUSTED")],
    )
    with pytest.raises(RateLimitError):
        list(litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, stream=True))


def test_truncated_stream_raises(m):
    m.on("POST", STREAM_PATH, sse=[piece({"text": "Once"}), piece({"text": " upon"})])
    with pytest.raises(APIConnectionError):
        list(litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, stream=True))


# ---------------------------------------------------------------------------------------------
# Differential: the same calls through litellm (when installed) against the same scripted answers.
# Request bodies are compared with keys in one spelling: litellm sends a snake_case/camelCase mix
# (`system_instruction`, `max_output_tokens` beside `thinkingConfig`), litellm_rs Google's
# documented camelCase; Google's JSON parser takes both.

_CALL_ID = re.compile(r"call_[0-9a-f]{28}")


@pytest.fixture(scope="module")
def real_litellm():
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return pytest.importorskip("litellm", reason="litellm is not installed: differential tests skipped")


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _norm(v: Any) -> Any:
    if isinstance(v, dict):
        return {_camel(k): _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, str):
        return _CALL_ID.sub("call_X", v)
    return v


def _run(
    lib: Any, answers: list[tuple[str, dict[str, Any]]], calls: list[dict[str, Any]]
) -> tuple[list[Any], list[Any]]:
    """Runs `calls` through `lib` against a fresh mock scripted with `answers`; a call may be a
    function of the previous results (for multi-turn)."""
    with RawMock() as mock:
        for path, answer in answers:
            mock.on("POST", path, **answer)
        results: list[Any] = []
        for call in calls:
            kw = call(results) if callable(call) else call
            r = lib.completion(api_base=mock.url, api_key=KEY, num_retries=0, **kw)
            if kw.get("stream"):
                chunks = list(r)
                r = (
                    lib.stream_chunk_builder(chunks)
                    if lib is not litellm_rs
                    else litellm_rs.stream_chunk_builder(chunks)
                )
            results.append(r)
        return results, list(mock.requests)


def _answer_view(r: Any) -> dict[str, Any]:
    c = r.choices[0]
    u = r.usage
    details = getattr(u, "prompt_tokens_details", None)
    reasoning = getattr(getattr(u, "completion_tokens_details", None), "reasoning_tokens", None)
    return {
        "content": c.message.content,
        "reasoning_content": getattr(c.message, "reasoning_content", None),
        "tool_calls": [(t.function.name, t.function.arguments) for t in (c.message.tool_calls or [])],
        "finish_reason": c.finish_reason,
        "usage": (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        "cached_tokens": getattr(details, "cached_tokens", None),
        # litellm's stream_chunk_builder reports 0 where no thinking happened; the engine's None.
        "reasoning_tokens": reasoning or None,
    }


def _request_view(seen: Any) -> dict[str, Any]:
    return {
        "method": seen.method,
        "path": seen.path,
        "query": seen.query,
        "key": seen.headers.get("x-goog-api-key"),
        "authorization": seen.headers.get("authorization"),
        "body": _norm(seen.body),
    }


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name"],
}
DIFF_CASES: dict[str, tuple[list[tuple[str, dict[str, Any]]], list[Any]]] = {
    "simple_with_params": (
        [(PATH, {"json_body": answer({"text": "Hello!"}, thoughtsTokenCount=20, totalTokenCount=30)})],
        [
            {
                "model": MODEL,
                "messages": [{"role": "system", "content": "Be brief."}, *MESSAGES],
                "temperature": 0.3,
                "top_p": 0.8,
                "top_k": 40,
                "max_tokens": 100,
                "stop": ["END"],
                "n": 1,
                "frequency_penalty": 0.1,
                "presence_penalty": 0.2,
            }
        ],
    ),
    "tools_parallel_required": (
        [
            (
                PATH,
                {
                    "json_body": answer(
                        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                        {"functionCall": {"name": "get_weather", "args": {"city": "Rome", "days": [1, 2]}}},
                    )
                },
            )
        ],
        [{"model": MODEL, "messages": MESSAGES, "tools": [WEATHER], "tool_choice": "required"}],
    ),
    "tool_choice_function_and_json_schema": (
        [(PATH, {"json_body": answer({"text": '{"name": "Ada"}'})})],
        [
            {
                "model": MODEL,
                "messages": MESSAGES,
                "tools": [WEATHER],
                "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}},
            }
        ],
    ),
    "json_object_and_base64_image": (
        [(PATH, {"json_body": answer({"text": "{}"})})],
        [
            {
                "model": MODEL,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Describe"},
                            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}},
                        ],
                    }
                ],
                "response_format": {"type": "json_object"},
            }
        ],
    ),
    "reasoning_and_cache": (
        [
            (
                PATH,
                {
                    "json_body": answer(
                        {"text": "Counting r's.", "thought": True},
                        {"text": "3", "thoughtSignature": SIG},
                        promptTokenCount=2100,
                        candidatesTokenCount=1,
                        totalTokenCount=2201,
                        thoughtsTokenCount=100,
                        cachedContentTokenCount=2006,
                    )
                },
            )
        ],
        [{"model": MODEL, "messages": MESSAGES, "reasoning_effort": "low"}],
    ),
    "gemini3_tool_round_trip": (
        [
            (
                r"gemini-3-pro-preview:generateContent",
                {
                    "json_body": answer(
                        {"text": "Checking."},
                        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SIG},
                        model="gemini-3-pro-preview",
                    )
                },
            ),
            (r"gemini-3-pro-preview:generateContent", {"json_body": answer({"text": "Sunny."})}),
        ],
        [
            {
                "model": "gemini/gemini-3-pro-preview",
                "messages": [{"role": "user", "content": "Paris?"}],
                "tools": [WEATHER],
            },
            lambda prev: {
                "model": "gemini/gemini-3-pro-preview",
                "tools": [WEATHER],
                "messages": [
                    {"role": "user", "content": "Paris?"},
                    prev[0].choices[0].message.model_dump(),
                    {"role": "tool", "tool_call_id": prev[0].choices[0].message.tool_calls[0].id, "content": "sunny"},
                    {"role": "user", "content": "Thanks"},
                ],
            },
        ],
    ),
    "stream_with_usage": (
        [
            (
                STREAM_PATH,
                {
                    "sse": [
                        piece({"text": "Hel"}, promptTokenCount=4, totalTokenCount=4),
                        piece({"text": "lo"}),
                        piece(
                            {"text": ""}, finish="STOP", promptTokenCount=4, candidatesTokenCount=2, totalTokenCount=6
                        ),
                    ]
                },
            )
        ],
        [{"model": MODEL, "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}],
    ),
}


@pytest.mark.parametrize("case", list(DIFF_CASES))
def test_same_as_litellm(real_litellm, case):
    answers, calls = DIFF_CASES[case]
    ours, our_reqs = _run(litellm_rs, answers, calls)
    theirs, their_reqs = _run(real_litellm, answers, calls)
    assert [_request_view(s) for s in our_reqs] == [_request_view(s) for s in their_reqs]
    assert [_answer_view(r) for r in ours] == [_answer_view(r) for r in theirs]


def test_same_error_class_as_litellm(real_litellm):
    for status, body, _ in ERRORS:
        caught = []
        for lib in (litellm_rs, real_litellm):
            with RawMock() as mock:
                mock.on("POST", PATH, status=status, json_body=body)
                with pytest.raises(Exception) as ei:
                    lib.completion(model=MODEL, messages=MESSAGES, api_base=mock.url, api_key=KEY, num_retries=0)
                caught.append((type(ei.value).__name__, ei.value.status_code, ei.value.llm_provider))
        assert caught[0] == caught[1], body


PARAM_CASES: list[tuple[str, dict[str, Any]]] = [
    ("gemini-3-pro-preview", {"reasoning_effort": "medium"}),
    ("gemini-3-pro-preview", {"reasoning_effort": "minimal"}),
    ("gemini-3-pro-preview", {"reasoning_effort": "none"}),
    ("gemini-3-flash-preview", {"reasoning_effort": "minimal"}),
    ("gemini-3-pro-preview", {"thinking": {"type": "enabled", "budget_tokens": 1000}}),
    ("gemini-3-pro-preview", {"presence_penalty": 0.5, "frequency_penalty": 0.1}),
    ("gemini-2.5-flash", {"reasoning_effort": "minimal"}),
    ("gemini-2.5-pro", {"reasoning_effort": "minimal"}),
    ("gemini-2.5-flash-lite", {"reasoning_effort": "minimal"}),
    ("gemini-2.5-flash", {"reasoning_effort": "high"}),
    ("gemini-2.5-flash", {"reasoning_effort": "none"}),
    ("gemini-2.5-pro", {"thinking": {"type": "enabled", "budget_tokens": 0}}),
    ("gemini-2.5-pro", {"thinking": {"type": "enabled", "budget_tokens": 2048}}),
    ("gemini-2.5-pro", {"thinking": {"type": "disabled"}}),
    ("gemini-2.5-flash", {"seed": 3, "n": 2, "logprobs": True}),
    ("gemini-2.5-flash", {"user": "u", "metadata": {"a": "b"}, "service_tier": "auto"}),
    ("gemini-2.5-flash", {"modalities": ["text", "image"]}),
    ("gemini-2.5-flash", {"web_search_options": {}}),
    ("gemini-2.5-flash", {"response_format": {"type": "text"}}),
    ("gemini-2.5-flash", {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}),
    ("gemini-2.5-flash", {"stop": "END", "max_completion_tokens": 9}),
]


def _body_or_error(lib: Any, model: str, kw: dict[str, Any]) -> Any:
    with RawMock() as mock:
        mock.on("POST", r"Content", json_body=answer({"text": "x"}))
        try:
            lib.completion(
                model="gemini/" + model, messages=MESSAGES, api_base=mock.url, api_key=KEY, num_retries=0, **kw
            )
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e).__name__
        return _norm(mock.requests[-1].body)


@pytest.mark.parametrize(("model", "kw"), PARAM_CASES, ids=[f"{m}-{'-'.join(k)}" for m, k in PARAM_CASES])
def test_same_parameters_as_litellm(real_litellm, model, kw):
    assert _body_or_error(litellm_rs, model, kw) == _body_or_error(real_litellm, model, kw)


@pytest.mark.parametrize(
    "param",
    ["prediction", "audio", "logit_bias", "verbosity", "function_call", "store", "prompt_cache_key", "top_logprobs"],
)
def test_same_unsupported_parameters_as_litellm(real_litellm, param):
    values = {
        "prediction": {"type": "content", "content": "x"},
        "audio": {"voice": "alloy", "format": "pcm16"},
        "logit_bias": {"1": 1},
        "verbosity": "low",
        "function_call": "auto",
        "store": True,
        "prompt_cache_key": "k",
        "top_logprobs": 2,
    }
    kw = {param: values[param]}
    assert _body_or_error(litellm_rs, "gemini-2.5-flash", kw) == "UnsupportedParamsError"
    assert _body_or_error(real_litellm, "gemini-2.5-flash", kw) == "UnsupportedParamsError"


def test_grounded_answers_cost_what_litellm_bills(real_litellm):
    """A Google Search grounded answer: litellm counts its distinct search queries in
    usage.prompt_tokens_details.web_search_requests and bills the grounded prompt once (Gemini
    2.x); the costs are the same."""
    grounded = answer({"text": "It rained."})
    grounded["candidates"][0]["groundingMetadata"] = {
        "webSearchQueries": ["weather paris", "weather paris", "paris rain today"],
        "groundingChunks": [{"web": {"uri": "https://example.com/a", "title": "a"}}],
        "groundingSupports": [],
    }
    costs = []
    for lib in (litellm_rs, real_litellm):
        (r,), _ = _run(lib, [(PATH, {"json_body": grounded})], [{"model": MODEL, "messages": MESSAGES}])
        details = r.usage.prompt_tokens_details
        costs.append((getattr(details, "web_search_requests", None), lib.completion_cost(completion_response=r)))
    assert costs[0][0] == costs[1][0] == 2
    assert costs[0][1] == pytest.approx(costs[1][1])
    assert costs[0][1] > 0.035  # the grounded prompt's charge is in it


def test_a_grounded_stream_costs_what_the_same_answer_costs(m):
    """The searches of a grounded answer are counted in a stream's usage too (its grounding
    metadata comes with the last event), so the stream costs what the whole answer costs."""
    grounding = {
        "webSearchQueries": ["weather paris", "weather paris", "paris rain today"],
        "groundingChunks": [{"web": {"uri": "https://example.com/a", "title": "a"}}],
        "groundingSupports": [],
    }
    last = piece({"text": " rained."}, finish="STOP", promptTokenCount=4, candidatesTokenCount=6, totalTokenCount=10)
    last["candidates"][0]["groundingMetadata"] = grounding
    m.on("POST", STREAM_PATH, sse=[piece({"text": "It"}), last])
    whole = answer({"text": "It rained."})
    whole["candidates"][0]["groundingMetadata"] = grounding
    m.on("POST", PATH, json_body=whole)

    stream = litellm_rs.completion(
        model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].usage.prompt_tokens_details.web_search_requests == 2
    r = litellm_rs.completion(model=MODEL, messages=MESSAGES, api_base=m.url, api_key=KEY)
    assert r.usage.prompt_tokens_details.web_search_requests == 2
    assert stream._hidden_params["response_cost"] == pytest.approx(r._hidden_params["response_cost"])
    assert r._hidden_params["response_cost"] > 0.035

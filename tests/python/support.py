"""Small helpers shared by the test modules (the mock server lives in mockserver.py)."""

from __future__ import annotations

import json
from typing import Any, Callable

import litellm_rs
from mockserver import MockServer

KEY = "sk-test"
MODEL = "openai/gpt-4o-mini"
MSGS: list[dict[str, Any]] = [{"role": "user", "content": "Say hello"}]

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the local time in a timezone",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
}
TOOL_CALLS = [
    {
        "id": "call_Wm4kYbNq3XgQpR7tVcL2aZ8e",
        "name": "get_weather",
        "arguments": json.dumps({"city": "Paris", "unit": "c"}),
    },
    {"id": "call_Jd9sKf2LmN5pQr8TuVw1XyZa", "name": "get_time", "arguments": json.dumps({"tz": "Europe/Paris"})},
]

# What a caller can catch to handle "the provider / the connection failed" (every class the
# engine raises for a failed or broken upstream answer).
_FAMILY_NAMES = (
    "APIError",
    "APIConnectionError",
    "InternalServerError",
    "ServiceUnavailableError",
    "BadGatewayError",
    "APIResponseValidationError",
)


def api_error_family() -> tuple[type, ...]:
    return tuple(getattr(litellm_rs, n) for n in _FAMILY_NAMES if hasattr(litellm_rs, n))


def model_state(obj: Any) -> Any:
    """Everything pydantic keeps on a model instance, nested models included (for comparing
    objects made in different ways exactly)."""
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        return (type(obj), {k: model_state(v) for k, v in obj.__getstate__().items()})
    if isinstance(obj, dict):
        return ("dict", [(k, model_state(v)) for k, v in obj.items()])
    if isinstance(obj, list):
        return ("list", [model_state(v) for v in obj])
    if isinstance(obj, (set, frozenset)):
        return (type(obj), sorted(obj))
    return (type(obj), obj)


def chat(mock: MockServer, **kw: Any) -> Any:
    """litellm_rs.completion against the mock with the usual arguments (overridable)."""
    kw.setdefault("model", MODEL)
    kw.setdefault("messages", MSGS)
    kw.setdefault("api_base", mock.url)
    kw.setdefault("api_key", KEY)
    return litellm_rs.completion(**kw)


async def achat(mock: MockServer, **kw: Any) -> Any:
    kw.setdefault("model", MODEL)
    kw.setdefault("messages", MSGS)
    kw.setdefault("api_base", mock.url)
    kw.setdefault("api_key", KEY)
    return await litellm_rs.acompletion(**kw)


def delta_text(chunks: list[Any]) -> str:
    return "".join((c.choices[0].delta.content or "") for c in chunks if c.choices)


def finish_reasons(chunks: list[Any]) -> list[str]:
    return [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


def tool_call_deltas(chunks: list[Any]) -> dict[int, dict[str, str]]:
    """Tool-call deltas grouped by their index: {index: {"id", "name", "arguments"}}."""
    calls: dict[int, dict[str, str]] = {}
    for c in chunks:
        if not c.choices:
            continue
        for tc in c.choices[0].delta.tool_calls or []:
            slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
            if tc.id:
                slot["id"] = tc.id
            if tc.function is not None:
                if tc.function.name:
                    slot["name"] += tc.function.name
                if tc.function.arguments:
                    slot["arguments"] += tc.function.arguments
    return calls


def start_or_skip(factory: Callable[[], Any], required: Callable[[], bool], what: str) -> Any:
    """A test server from ``factory()``; where ``what`` is not installed the test is skipped, or
    failed under the test command (which installs it and sets ``required``)."""
    import pytest

    try:
        return factory()
    except FileNotFoundError as missing:
        if required():
            pytest.fail(f"{what} is not installed ({missing}; scripts/test.sh installs it)")
        pytest.skip(f"{what} is not installed")

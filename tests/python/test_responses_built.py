"""Non-streamed chat responses are the same objects whichever way they are made: the engine
builds the usual ones directly (`_core.chat_response`), pydantic validates the others; both give
ModelResponse instances (usage kept as an extra holding a Usage) that compare, dump, pickle and
accept new attributes alike. Whatever the engine builds, pydantic would have built the same; what
pydantic rejects, the engine never builds."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import random
from typing import Any

import litellm_rs
import pytest
from litellm_rs import _core
from litellm_rs import main as _main
from litellm_rs.types import utils
from litellm_rs.types.utils import (
    ChatCompletionMessageToolCall,
    Choices,
    CompletionTokensDetailsWrapper,
    Function,
    Message,
    ModelResponse,
    PromptTokensDetailsWrapper,
    Usage,
)
from pydantic import ValidationError
from support import TOOL_CALLS, chat, model_state


def _validated(data: bytes, hidden: dict[str, Any]) -> Any:
    """What the Python layer made of an engine result before the engine built responses."""
    response = ModelResponse.model_validate_json(data)
    response.__pydantic_private__["_hidden_params"] = hidden
    return response


@pytest.fixture(autouse=True)
def _classes_handed_over():
    _main._types()  # hands the classes over (once per process)
    assert _core.chat_response_classes(utils._chat_response_spec()) == 3


def test_the_response_classes_stay_buildable():
    """The engine refuses classes with fields it does not know (and every response is then
    validated, more slowly): a field added to one of these classes must be taught to
    src/python/response.rs."""
    # 3: built, pydantic's slots found and stored directly, instances allocated without
    # object.__new__'s attribute table (2: made by tp_new; 1: slots set the generic way)
    assert _core.chat_response_classes(utils._chat_response_spec()) == 3
    data = b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[]}'
    assert type(_core.chat_response(data, {})) is ModelResponse
    try:
        _core.chat_response_classes(None)
        assert _core.chat_response(data, {}) is None  # turned off: pydantic validates
    finally:
        _core.chat_response_classes(utils._chat_response_spec())


def test_classes_the_engine_cannot_make_turn_the_direct_path_off():
    """A class with a field the engine does not know, or a spec of another shape, answers 0 (and
    every response goes to pydantic) rather than failing the calls."""
    data = b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[]}'
    spec = list(utils._chat_response_spec())
    cls, fields = spec[0]
    spec[0] = (cls, (*fields, ("not_a_known_field", False, None)))
    try:
        assert _core.chat_response_classes(tuple(spec)) == 0
        assert _core.chat_response(data, {}) is None
        assert _core.chat_response_classes((1, 2)) == 0
        assert _core.chat_response(data, {}) is None
    finally:
        _core.chat_response_classes(utils._chat_response_spec())
    assert type(_core.chat_response(data, {})) is ModelResponse


OPENAI = {
    "id": "chatcmpl-AbC123",
    "object": "chat.completion",
    "created": 1764000000,
    "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_0ba0d124f1",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there!", "refusal": None, "annotations": []},
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 9,
        "completion_tokens": 3,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
}
GROQ = {
    "id": "chatcmpl-5f2f6a0e-4c1b-4a57-9d83-2f6c1b9d0e11",
    "object": "chat.completion",
    "created": 1764000001,
    "model": "llama-3.3-70b-versatile",
    "system_fingerprint": "fp_9a8b91ba77",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_Wm4kYbNq3XgQpR7tVcL2aZ8e",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris","unit":"c"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "queue_time": 0.051207771,
        "prompt_tokens": 224,
        "prompt_time": 0.012944305,
        "completion_tokens": 21,
        "completion_time": 0.076363636,
        "total_tokens": 245,
        "total_time": 0.089307941,
    },
    "usage_breakdown": None,
    "x_groq": {"id": "req_01jq8x2y3z4a5b6c7d8e9f0g1h"},
}
REASONING = {
    "id": "gen-1764000002-xyz",
    "object": "chat.completion",
    "created": 1764000002,
    "model": "deepseek/deepseek-r1",
    "provider": "DeepInfra",
    "choices": [
        {
            "index": 0,
            "logprobs": None,
            "finish_reason": "length",
            "native_finish_reason": "length",
            "message": {
                "role": "assistant",
                "content": 'The answer is "42".\n\u00e9\u4e2d\U0001f600',
                "reasoning_content": "Let me think\u2026",
                "thinking_blocks": [{"type": "thinking", "thinking": "hm", "signature": "c2ln"}],
                "provider_specific_fields": {"citations": ["https://example.com"]},
            },
        },
        {"index": 1, "message": {"role": "assistant", "content": [{"type": "text", "text": "b"}]}},
    ],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 300,
        "total_tokens": 312,
        "completion_tokens_details": {"reasoning_tokens": 250, "text_tokens": 50},
        "prompt_tokens_details": {"cached_tokens": 8, "cache_creation_tokens": 4, "cached_tokens_details": {"a": 1}},
        "cache_read_input_tokens": 8,
    },
}
NO_USAGE = {"id": "x", "object": "chat.completion", "created": 5, "model": None, "choices": [], "usage": None}
SEEDS = [OPENAI, GROQ, REASONING, NO_USAGE]


@pytest.mark.parametrize("seed", SEEDS, ids=["openai", "groq", "reasoning", "no-usage"])
def test_built_responses_equal_validated_ones(seed):
    data = json.dumps(seed).encode()
    hidden = {"custom_llm_provider": "openai", "response_cost": 1e-5}
    built = _core.chat_response(data, hidden)
    validated = _validated(data, hidden)
    assert type(built) is ModelResponse
    assert model_state(built) == model_state(validated)
    assert built == validated
    assert repr(built) == repr(validated) and str(built) == str(validated)
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump(exclude_unset=False) == validated.model_dump(exclude_unset=False)
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.json() == validated.json()
    assert list(dict(built)) == list(dict(validated))
    assert built._hidden_params is hidden
    if seed.get("usage"):
        assert type(built.usage) is Usage and "usage" in built.model_extra
        assert built.usage.total_tokens == seed["usage"]["total_tokens"]
    for c in built.choices:
        assert type(c) is Choices and type(c.message) is Message
        for tc in c.message.tool_calls or ():
            assert type(tc) is ChatCompletionMessageToolCall and type(tc.function) is Function


def test_built_responses_behave_like_models():
    data = json.dumps(REASONING).encode()
    built, validated = _core.chat_response(data, {}), _validated(data, {})
    assert built["choices"][0]["message"]["content"] == built.choices[0].message.content
    assert built["usage"]["total_tokens"] == 312 and "usage" in built and built.get("missing", 1) == 1
    assert type(built.usage.completion_tokens_details) is CompletionTokensDetailsWrapper
    assert type(built.usage.prompt_tokens_details) is PromptTokensDetailsWrapper
    assert built.usage.model_extra == {"cache_read_input_tokens": 8}
    assert built._response_headers is None
    again = pickle.loads(pickle.dumps(built))
    assert model_state(again) == model_state(built)
    assert model_state(copy.deepcopy(built)) == model_state(built)
    assert model_state(built.model_copy()) == model_state(built)
    assert ModelResponse.model_validate(built.model_dump()).model_dump() == built.model_dump()
    # new attributes go to the extras, as on validated responses
    for r in (built, validated):
        r.custom = "x"
        r.choices[0].message.custom = 1
        r.choices[0].finish_reason = "stop"
        r.usage.prompt_tokens = 1
    assert model_state(built) == model_state(validated)
    assert built.model_dump()["custom"] == "x"


# ---------------------------------------------------------------------------------------------
# random edits of the seeds: whatever the engine builds equals what pydantic validates, and the
# engine builds nothing pydantic rejects
# ---------------------------------------------------------------------------------------------

_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    7,
    2**63 - 1,
    2**63,
    -(2**63),
    2**70,
    0.5,
    -0.0,
    1e-7,
    123456.789,
    1e300,
    "",
    "text",
    'esc "q"\n\t\\',
    "\u00e9\u4e2d\U0001f600",
    [],
    [1, "a", None, 2.5],
    {},
    {"k": "v", "n": [1, {"x": None}]},
    {"role": "assistant", "content": "c"},
    {"name": "f", "arguments": "{}"},
    {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    {"cached_tokens": 1},
]
_KEYS = ["id", "content", "role", "usage", "index", "message", "choices", "_private", "extra_key", "tool_calls"]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _mutate(rng: random.Random, doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(doc)[1:] or [()])
        if not path:
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        last = path[-1]
        what = rng.random()
        if what < 0.55:
            parent[last] = copy.deepcopy(rng.choice(_VALUES))
        elif what < 0.75 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, dict):
            parent[rng.choice(_KEYS)] = copy.deepcopy(rng.choice(_VALUES))
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


def _text(rng: random.Random, doc: Any) -> bytes:
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.1:
        # a duplicated key (pydantic keeps the last)
        text = text.replace('{"', '{"id": "dup", "', 1)
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text))]  # truncated
    return text.encode()


def test_random_edits_are_built_as_pydantic_validates():
    rng = random.Random(20261127)
    built_count = 0
    for n in range(3000):
        data = _text(rng, _mutate(rng, SEEDS[n % len(SEEDS)]))
        hidden = {"n": n}
        built = _core.chat_response(data, hidden)
        try:
            validated = _validated(data, hidden)
        except ValidationError:
            assert built is None, data
            continue
        if built is not None:
            built_count += 1
            assert model_state(built) == model_state(validated), data
            assert built.model_dump_json() == validated.model_dump_json(), data
    # the edits leave many responses of the usual shape
    assert built_count > 600


def test_large_objects_are_built_and_their_duplicated_keys_noticed():
    body = copy.deepcopy(OPENAI)
    body["metadata"] = {f"k{i}": i for i in range(5000)}
    body["choices"][0]["message"]["provider_specific_fields"] = {f"p{i}": [i] for i in range(100)}
    data = json.dumps(body).encode()
    built = _core.chat_response(data, {})
    assert built is not None
    assert model_state(built) == model_state(_validated(data, {}))
    # the same key twice among thousands: pydantic keeps the last, the engine leaves it to pydantic
    dup = data.replace(b'"k4999": 4999', b'"k4999": 4999, "k17": -1')
    assert _core.chat_response(dup, {}) is None
    assert _validated(dup, {}).metadata["k17"] == -1


# ---------------------------------------------------------------------------------------------
# through the calls
# ---------------------------------------------------------------------------------------------


def _count_validations(monkeypatch) -> list[bytes]:
    seen: list[bytes] = []
    validate = ModelResponse.model_validate_json
    monkeypatch.setattr(
        ModelResponse, "model_validate_json", lambda raw, *a, **k: seen.append(raw) or validate(raw, *a, **k)
    )
    return seen


@pytest.mark.parametrize("flavor", ["openai", "groq"])
@pytest.mark.parametrize("tools", [False, True])
def test_completion_responses_are_built_by_the_engine(mock, monkeypatch, flavor, tools):
    mock.flavor = flavor
    if tools:
        mock.tool_calls = TOOL_CALLS
    validations = _count_validations(monkeypatch)
    built = chat(mock)
    assert validations == []
    assert type(built) is ModelResponse and type(built.usage) is Usage
    assert built._hidden_params["custom_llm_provider"] == "openai"
    monkeypatch.setattr(_core, "chat_response", lambda data, hidden: None)
    validated = chat(mock)
    assert len(validations) == 1
    for r in (built, validated):
        r.__dict__["id"], r.__dict__["created"] = "x", 0  # differ between the two requests
        if "x_groq" in r.model_extra:
            r.model_extra["x_groq"] = None
        r._hidden_params.pop("_response_ms")
        r._hidden_params["additional_headers"] = {}
        for k in ("queue_time", "prompt_time", "completion_time", "total_time"):
            if k in (r.usage.model_extra or {}):
                r.usage.model_extra[k] = 0.0
    assert model_state(built) == model_state(validated)
    if tools:
        calls = built.choices[0].message.tool_calls
        assert [tc.function.name for tc in calls] == [tc["name"] for tc in TOOL_CALLS]


def test_acompletion_and_router_responses_are_built_by_the_engine(mock, monkeypatch):
    validations = _count_validations(monkeypatch)

    async def run() -> list[Any]:
        direct = await litellm_rs.acompletion(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], api_base=mock.url, api_key="k"
        )
        router = litellm_rs.Router(
            model_list=[
                {
                    "model_name": "m",
                    "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": mock.url, "api_key": "k"},
                }
            ]
        )
        routed = await router.acompletion(model="m", messages=[{"role": "user", "content": "hi"}])
        return [direct, routed]

    for r in asyncio.run(run()):
        assert type(r) is ModelResponse and r.choices[0].message.content == mock.chat_text
        assert r.usage.total_tokens > 0
    assert validations == []


def test_a_response_of_another_shape_is_validated(monkeypatch):
    """A response the engine does not build (here with logprobs) still comes back, by pydantic."""
    from rawmock import RawMock

    body = copy.deepcopy(OPENAI)
    body["choices"][0]["logprobs"] = {
        "content": [{"token": "Hello", "logprob": -0.25, "bytes": [72], "top_logprobs": []}]
    }
    validations = _count_validations(monkeypatch)
    with RawMock() as m:
        m.on("POST", r"/chat/completions$", json_body=body)
        r = litellm_rs.completion(model="openai/gpt-4o-mini", messages=[], api_base=m.url, api_key="k", logprobs=True)
    assert len(validations) == 1
    assert r.choices[0].logprobs.content[0].logprob == -0.25
    assert r.usage.total_tokens == 12

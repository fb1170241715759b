"""litellm_rs.completion as a litellm user sees it, over real HTTP to the mock server."""

from __future__ import annotations

import json
import pickle
import time

import litellm_rs
import pytest
from support import KEY, MSGS, TOOL_CALLS, WEATHER_TOOL, chat
from support import MODEL as MODEL_NAME

# -- the response object ------------------------------------------------------------------------


def test_completion_returns_model_response(mock):
    r = chat(mock)

    assert isinstance(r, litellm_rs.ModelResponse)
    assert r.choices[0].message.content == mock.chat_text
    assert r.choices[0].message.content == r["choices"][0]["message"]["content"]
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].index == 0
    assert r.id.startswith("chatcmpl-")
    assert r.object == "chat.completion"
    assert r.created == 1_732_000_000
    assert r.model == "gpt-4o-mini"
    assert r.system_fingerprint == mock.fingerprint


def test_usage_attribute_and_dict_access(mock):
    r = chat(mock)

    assert r.usage.prompt_tokens == 19
    assert r.usage.completion_tokens == 10
    assert r.usage.total_tokens == 29
    assert r["usage"]["total_tokens"] == 29
    assert r.usage.prompt_tokens_details.cached_tokens == 4
    assert r.usage.completion_tokens_details.reasoning_tokens == 2


def test_hidden_params(mock):
    r = chat(mock)

    assert r._hidden_params["custom_llm_provider"] == "openai"
    assert r._hidden_params.get("api_base", mock.url).rstrip("/").startswith(mock.url)


def test_response_dict_helpers(mock):
    r = chat(mock)

    assert "choices" in r
    assert r.get("id") == r.id
    assert r.get("no_such_field", "dflt") == "dflt"


# -- what goes upstream -------------------------------------------------------------------------


def test_upstream_request_has_only_the_params_the_caller_set(mock):
    chat(
        mock,
        temperature=0.2,
        max_tokens=None,
        top_p=None,
        stop=None,
        top_k=5,
        user="user-42",
        seed=7,
        num_retries=0,
        timeout=30,
        extra_body={"guided_choice": ["yes", "no"], "priority": 3},
        extra_headers={"X-Trace-Id": "trace-abc"},
    )

    req = mock.last
    assert req.method == "POST"
    assert req.path == "/v1/chat/completions"
    body = req.body
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == MSGS
    assert body["temperature"] == 0.2
    assert body["top_k"] == 5  # unknown kwargs pass through
    assert body["user"] == "user-42"
    assert body["seed"] == 7
    assert body["guided_choice"] == ["yes", "no"]  # extra_body merged at top level
    assert body["priority"] == 3
    # None never reaches the wire, litellm-owned kwargs never reach the body.
    assert set(body) == {"model", "messages", "temperature", "top_k", "user", "seed", "guided_choice", "priority"}

    assert req.header("authorization") == f"Bearer {KEY}"
    assert req.header("x-trace-id") == "trace-abc"
    assert req.header("content-type", "").startswith("application/json")


def test_connection_is_reused_between_calls(mock):
    # One pooled client per process: calls reuse the keep-alive connection. (Back-to-back calls
    # can race the connection's return to the pool, so the calls are a few ms apart.)
    for _ in range(5):
        chat(mock)
        time.sleep(0.02)

    ids = [r.connection_id for r in mock.requests]
    assert len(ids) == 5
    assert len(set(ids)) == 1, f"calls opened new connections: {ids}"


# -- provider routing and keys ------------------------------------------------------------------


def test_groq_with_api_base_and_key_from_env(mock, monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-from-env")
    mock.flavor = "groq"

    r = litellm_rs.completion(model="groq/llama-3.3-70b-versatile", messages=MSGS, api_base=mock.url)

    assert mock.last.path == "/v1/chat/completions"
    assert mock.last.body["model"] == "llama-3.3-70b-versatile"
    assert mock.last.header("authorization") == "Bearer gsk-from-env"
    assert r.choices[0].message.content == mock.chat_text
    assert r._hidden_params["custom_llm_provider"] == "groq"
    assert r.model == "llama-3.3-70b-versatile"
    assert r.usage.total_tokens == 29


def test_groq_key_precedence_call_then_module_then_env(mock, monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk-from-env")
    mock.flavor = "groq"

    def call(**kw):
        litellm_rs.completion(model="groq/llama-3.3-70b-versatile", messages=MSGS, api_base=mock.url, **kw)
        return mock.last.header("authorization")

    assert call() == "Bearer gsk-from-env"
    litellm_rs.groq_key = "gsk-from-module"
    assert call() == "Bearer gsk-from-module"
    assert call(api_key="gsk-from-call") == "Bearer gsk-from-call"


def test_custom_llm_provider_with_bare_model(mock):
    r = chat(mock, model="my-finetune", custom_llm_provider="openai")

    assert mock.last.body["model"] == "my-finetune"
    assert r._hidden_params["custom_llm_provider"] == "openai"


def test_bare_gpt_model_resolves_to_openai(mock):
    r = chat(mock, model="gpt-4o")

    assert mock.last.body["model"] == "gpt-4o"
    assert mock.last.path == "/v1/chat/completions"
    assert r._hidden_params["custom_llm_provider"] == "openai"


def test_hosted_vllm_needs_no_key(mock):
    r = litellm_rs.completion(model="hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", messages=MSGS, api_base=mock.url)

    assert mock.last.body["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert r.choices[0].message.content == mock.chat_text
    assert r._hidden_params["custom_llm_provider"] == "hosted_vllm"


def test_unknown_provider_is_a_clear_bad_request(mock):
    with pytest.raises(litellm_rs.BadRequestError) as ei:
        litellm_rs.completion(model="foo/bar", messages=MSGS, api_key=KEY, api_base=mock.url)

    if hasattr(litellm_rs, "LiteLLMUnknownProvider"):
        assert isinstance(ei.value, litellm_rs.LiteLLMUnknownProvider)
    msg = str(ei.value)
    assert "foo/bar" in msg
    assert "provider" in msg.lower()
    assert ei.value.status_code == 400
    assert mock.count() == 0


def test_get_llm_provider():
    assert litellm_rs.get_llm_provider("groq/llama-3.3-70b-versatile")[:2] == ("llama-3.3-70b-versatile", "groq")
    assert litellm_rs.get_llm_provider("gpt-4o")[:2] == ("gpt-4o", "openai")
    assert litellm_rs.get_llm_provider("my-model", custom_llm_provider="hosted_vllm")[:2] == ("my-model", "hosted_vllm")


# -- messages and tools -------------------------------------------------------------------------


def test_message_object_from_previous_response_can_be_sent_back(mock):
    first = chat(mock)
    history = MSGS + [first.choices[0].message, {"role": "user", "content": "And again?"}]

    second = chat(mock, messages=history)

    sent = mock.last.body["messages"]
    assert len(sent) == 3
    assert sent[0] == MSGS[0]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["content"] == mock.chat_text
    # OpenAI rejects `tool_calls: []`; null fields have no business on the wire either.
    assert sent[1].get("tool_calls", "absent") not in (None, [])
    assert sent[1].get("function_call", "absent") is not None
    assert sent[2] == {"role": "user", "content": "And again?"}
    assert second.choices[0].message.content == mock.chat_text


def test_tools_round_trip(mock):
    mock.tool_calls = TOOL_CALLS[:1]

    r = chat(mock, tools=[WEATHER_TOOL], tool_choice="auto")

    body = mock.last.body
    assert body["tools"] == [WEATHER_TOOL]
    assert body["tool_choice"] == "auto"
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    tc = choice.message.tool_calls[0]
    assert tc.id == TOOL_CALLS[0]["id"]
    assert tc.type == "function"
    assert tc.function.name == "get_weather"
    assert json.loads(tc.function.arguments) == {"city": "Paris", "unit": "c"}
    assert r["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == tc.function.arguments

    # Send the assistant turn and the tool result back.
    mock.tool_calls = None
    history = MSGS + [choice.message, {"role": "tool", "tool_call_id": tc.id, "content": "18 C, sunny"}]
    r2 = chat(mock, messages=history, tools=[WEATHER_TOOL])

    sent = mock.last.body["messages"]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["tool_calls"][0]["id"] == tc.id
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": tc.function.arguments}
    assert sent[2] == {"role": "tool", "tool_call_id": tc.id, "content": "18 C, sunny"}
    assert r2.choices[0].message.content == mock.chat_text


def test_tool_choice_object_passes_through(mock):
    mock.tool_calls = TOOL_CALLS[:1]
    choice = {"type": "function", "function": {"name": "get_weather"}}

    chat(mock, tools=[WEATHER_TOOL], tool_choice=choice, parallel_tool_calls=False)

    assert mock.last.body["tool_choice"] == choice
    assert mock.last.body["parallel_tool_calls"] is False


def test_response_format_json_schema_passes_through(mock):
    rf = {
        "type": "json_schema",
        "json_schema": {
            "name": "greeting",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
        },
    }
    mock.chat_text = '{"text": "hello"}'

    r = chat(mock, response_format=rf)

    assert mock.last.body["response_format"] == rf
    assert json.loads(r.choices[0].message.content) == {"text": "hello"}


def test_unicode_content_round_trips(mock):
    mock.chat_text = "Grüße — 你好 👋"
    messages = [{"role": "user", "content": "Ünïcödé ✓"}]

    r = chat(mock, messages=messages)

    assert mock.last.body["messages"] == messages
    assert r.choices[0].message.content == "Grüße — 你好 👋"


# -- drop_params --------------------------------------------------------------------------------
# The groq row lists logprobs / logit_bias / top_logprobs as unsupported (Groq rejects them).


def _groq(mock, **kw):
    return litellm_rs.completion(
        model="groq/llama-3.3-70b-versatile", messages=MSGS, api_base=mock.url, api_key="gsk-test", **kw
    )


def test_unsupported_param_without_drop_params_is_rejected_before_any_request(mock):
    expected = getattr(litellm_rs, "UnsupportedParamsError", litellm_rs.BadRequestError)
    with pytest.raises(expected) as ei:
        _groq(mock, logprobs=True, temperature=0.3)

    assert isinstance(ei.value, litellm_rs.BadRequestError)
    assert "logprobs" in str(ei.value)
    assert mock.count() == 0


def test_drop_params_kwarg_drops_unsupported_param(mock):
    _groq(mock, logprobs=True, temperature=0.3, drop_params=True)

    body = mock.last.body
    assert "logprobs" not in body
    assert body["temperature"] == 0.3
    assert "drop_params" not in body


def test_drop_params_module_setting_is_read_at_call_time(mock):
    litellm_rs.drop_params = True
    _groq(mock, logit_bias={"1734": -100}, temperature=0.3)

    assert "logit_bias" not in mock.last.body
    assert mock.last.body["temperature"] == 0.3

    litellm_rs.drop_params = False
    with pytest.raises(litellm_rs.BadRequestError):
        _groq(mock, logit_bias={"1734": -100})
    assert mock.count() == 1


def test_additional_drop_params(mock):
    chat(mock, temperature=0.3, seed=11, additional_drop_params=["seed"])

    assert "seed" not in mock.last.body
    assert mock.last.body["temperature"] == 0.3
    assert "additional_drop_params" not in mock.last.body


# -- mock_response ------------------------------------------------------------------------------


def test_mock_response_string_makes_no_request(mock):
    r = chat(mock, mock_response="hi")

    assert isinstance(r, litellm_rs.ModelResponse)
    assert r.choices[0].message.content == "hi"
    assert r.choices[0].message.role == "assistant"
    assert mock.count() == 0


def test_mock_response_exception_is_raised(mock):
    err = litellm_rs.RateLimitError(message="slow down", llm_provider="openai", model="gpt-4o-mini")

    with pytest.raises(litellm_rs.RateLimitError) as ei:
        chat(mock, mock_response=err)

    assert "slow down" in str(ei.value)
    assert mock.count() == 0


# -- serialisation ------------------------------------------------------------------------------


def test_pickle_model_dump_and_json(mock):
    mock.tool_calls = TOOL_CALLS[:1]
    r = chat(mock, tools=[WEATHER_TOOL])

    clone = pickle.loads(pickle.dumps(r))
    assert isinstance(clone, litellm_rs.ModelResponse)
    assert clone.id == r.id
    assert (
        clone.choices[0].message.tool_calls[0].function.arguments
        == r.choices[0].message.tool_calls[0].function.arguments
    )
    assert clone.usage.total_tokens == 29

    d = r.model_dump()
    assert isinstance(d, dict)
    assert d["id"] == r.id
    assert d["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert d["usage"]["total_tokens"] == 29
    json.dumps(d)  # plain JSON types only

    # litellm's ModelResponse.json() returns model_dump() (a dict), not a string.
    j = r.json()
    assert isinstance(j, dict)
    assert j["choices"][0]["message"]["tool_calls"][0]["id"] == TOOL_CALLS[0]["id"]
    assert json.loads(r.model_dump_json())["id"] == r.id


# -- more of what users rely on -----------------------------------------------------------------


def test_additional_headers_in_hidden_params(mock):
    r = chat(mock)

    extra = r._hidden_params["additional_headers"]
    assert extra["llm_provider-x-request-id"].startswith("req_")
    assert extra["llm_provider-x-ratelimit-remaining-requests"] == "9999"


def test_hidden_params_read_alike_sync_async_and_streamed(mock):
    import asyncio

    async def acall() -> dict:
        r = await litellm_rs.acompletion(model="openai/gpt-4o-mini", messages=MSGS, api_base=mock.url, api_key=KEY)
        return r._hidden_params

    stream = chat(mock, stream=True)
    list(stream)
    keys = [
        "custom_llm_provider",
        "api_base",
        "model_id",
        "litellm_model_name",
        "response_cost",
        "additional_headers",
        "_response_ms",
    ]
    for h in (chat(mock)._hidden_params, asyncio.run(acall()), stream._hidden_params):
        assert list(h) == keys
        assert (h["custom_llm_provider"], h["api_base"], h["model_id"]) == ("openai", mock.url, None)
        assert h["litellm_model_name"] == "openai/gpt-4o-mini"
        assert h["response_cost"] is None or h["response_cost"] > 0
        assert type(h["_response_ms"]) is float and h["additional_headers"]["llm_provider-x-request-id"]


def test_arguments_of_plain_and_unusual_python_types_reach_the_upstream(mock):
    """Plain values are read directly by the engine, others (here a dataclass inside
    response_format; messages are made plain dicts by the Python layer first) the general way: the
    upstream sees the same request either way."""
    import collections
    import dataclasses

    @dataclasses.dataclass
    class Schema:
        type: str
        properties: dict

    plain = {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    odd = collections.OrderedDict(plain)
    extra = {"metadata": {"k": [1, 2.5, None, True, -3, 2**40]}}
    for messages in ([plain], (odd,)):
        chat(
            mock,
            messages=messages,
            temperature=1,
            top_p=0.5,
            stop=("a", "b"),
            seed=2**40,
            logit_bias={"50256": -100},
            extra_body=extra,
        )
        body = mock.last.body
        assert body["messages"] == [plain]
        assert (body["temperature"], body["top_p"], body["stop"], body["seed"]) == (1, 0.5, ["a", "b"], 2**40)
        assert body["logit_bias"] == {"50256": -100} and body["metadata"] == extra["metadata"]
    schema = {"type": "json_schema", "json_schema": {"name": "s", "schema": Schema("object", {})}}
    chat(mock, response_format=schema)
    assert mock.last.body["response_format"]["json_schema"]["schema"] == {"type": "object", "properties": {}}
    with pytest.raises(litellm_rs.BadRequestError, match="invalid completion request"):
        chat(mock, messages=[{"role": "user", "content": object()}])


def test_signatures_and_positional_arguments_are_litellms(mock):
    import asyncio
    import inspect

    params = list(inspect.signature(litellm_rs.completion).parameters)
    assert params[:5] == ["model", "messages", "timeout", "temperature", "top_p"] and params[-1] == "kwargs"
    aparams = list(inspect.signature(litellm_rs.acompletion).parameters)
    assert aparams[:4] == ["model", "messages", "functions", "function_call"] and "stream" in aparams
    assert inspect.iscoroutinefunction(litellm_rs.acompletion) and litellm_rs.completion.__name__ == "completion"

    litellm_rs.completion(MODEL_NAME, MSGS, None, 0.3, api_base=mock.url, api_key=KEY)
    assert mock.last.body["temperature"] == 0.3
    fn = [{"name": "f", "parameters": {"type": "object", "properties": {}}}]
    asyncio.run(litellm_rs.acompletion(MODEL_NAME, MSGS, fn, api_base=mock.url, api_key=KEY))
    assert mock.last.body["functions"] == fn
    with pytest.raises(TypeError, match="multiple values for argument 'timeout'"):
        litellm_rs.completion(MODEL_NAME, MSGS, 30, timeout=3)
    with pytest.raises(TypeError, match="positional arguments"):
        litellm_rs.completion(MODEL_NAME, MSGS, *([None] * 60))


def test_n_choices(mock):
    r = chat(mock, n=2)

    assert mock.last.body["n"] == 2
    assert [c.index for c in r.choices] == [0, 1]
    assert all(c.message.content == mock.chat_text for c in r.choices)


def test_pydantic_class_as_response_format(mock):
    pydantic = pytest.importorskip("pydantic")

    class CalendarEvent(pydantic.BaseModel):
        name: str
        participants: list[str]

    mock.chat_text = '{"name": "standup", "participants": ["ann", "bob"]}'
    r = chat(mock, response_format=CalendarEvent)

    rf = mock.last.body["response_format"]
    assert rf["type"] == "json_schema"
    schema = rf["json_schema"]["schema"]
    assert set(schema["properties"]) == {"name", "participants"}
    assert sorted(schema["required"]) == ["name", "participants"]
    assert CalendarEvent.model_validate_json(r.choices[0].message.content).participants == ["ann", "bob"]


def test_module_api_base_and_api_key_settings(mock):
    litellm_rs.api_base = mock.url
    litellm_rs.api_key = "sk-module"

    r = litellm_rs.completion(model="openai/gpt-4o-mini", messages=MSGS)

    assert mock.last.header("authorization") == "Bearer sk-module"
    assert r.choices[0].message.content == mock.chat_text


def test_openai_env_key_and_base(mock, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_API_BASE", mock.url)

    r = litellm_rs.completion(model="gpt-4o-mini", messages=MSGS)

    assert mock.last.header("authorization") == "Bearer sk-from-env"
    assert mock.last.path == "/v1/chat/completions"
    assert r.choices[0].message.content == mock.chat_text


def test_openai_key_module_setting_beats_env(mock, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    litellm_rs.openai_key = "sk-from-module"

    chat(mock, api_key=None)

    assert mock.last.header("authorization") == "Bearer sk-from-module"


def test_missing_key_is_an_authentication_error_without_a_request(mock):
    with pytest.raises(litellm_rs.AuthenticationError) as ei:
        litellm_rs.completion(model="groq/llama-3.3-70b-versatile", messages=MSGS, api_base=mock.url)

    assert "GROQ_API_KEY" in str(ei.value)
    assert mock.count() == 0


def test_extra_headers_do_not_replace_the_auth_header_silently(mock):
    chat(mock, extra_headers={"OpenAI-Beta": "assistants=v2"})

    assert mock.last.header("openai-beta") == "assistants=v2"
    assert mock.last.header("authorization") == f"Bearer {KEY}"


def test_api_base_with_trailing_slash(mock):
    chat(mock, api_base=mock.url + "/")

    assert mock.last.path == "/v1/chat/completions"


def test_content_parts_pass_through(mock):
    messages = [
        {"role": "system", "content": "You describe images."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            ],
        },
    ]

    chat(mock, messages=messages)

    assert mock.last.body["messages"] == messages


def test_stale_keep_alive_connection_is_replaced(mock):
    chat(mock)
    assert mock.drop_idle_connections() == 1  # the server closes the pooled connection
    time.sleep(0.1)

    r = chat(mock, num_retries=0)

    assert r.choices[0].message.content == mock.chat_text
    assert mock.count() == 2
    assert mock.requests[0].connection_id != mock.requests[1].connection_id


def test_get_supported_openai_params_answers_per_provider():
    openai = litellm_rs.get_supported_openai_params("gpt-4o-mini")
    assert "tools" in openai and "logprobs" in openai
    anthropic = litellm_rs.get_supported_openai_params("claude-sonnet-4-5", custom_llm_provider="anthropic")
    assert "tools" in anthropic and "reasoning_effort" in anthropic
    assert "logit_bias" not in anthropic and "presence_penalty" not in anthropic
    assert "logprobs" not in litellm_rs.get_supported_openai_params("groq/llama-3.3-70b-versatile")
    assert litellm_rs.get_supported_openai_params("nosuchprovider/x") is None
    assert litellm_rs.get_supported_openai_params("gpt-4o", request_type="embeddings") is None

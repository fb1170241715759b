"""Differential tests: the same calls through litellm_rs and through the real litellm (1.110.2),
against the same local mock server. They must send the same upstream request (path, auth, body
modulo key order) and give the same OpenAI-shaped result. Skipped, with the reason, where litellm
is not installed (the test command installs it).

Where litellm is wrong, the test asserts the right answer and says why.
"""

from __future__ import annotations

import os

import pytest
from rawmock import RawMock

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at litellm import
litellm = pytest.importorskip("litellm", reason="the real litellm is not installed: differential tests skipped")

import litellm_rs

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]

CHAT = {
    "id": "chatcmpl-diff",
    "object": "chat.completion",
    "created": 1732000000,
    "model": "served-model",
    "service_tier": "on_demand",
    "system_fingerprint": "fp_1",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 31,
        "completion_tokens": 9,
        "total_tokens": 40,
        "prompt_tokens_details": {"cached_tokens": 16},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}


def _chunk(delta, finish=None):
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1732000000,
        "model": "served-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


STREAM = [
    _chunk({"role": "assistant", "content": ""}),
    _chunk({"content": "Hello"}),
    _chunk({"content": " world"}),
    _chunk({}, "stop"),
    {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1732000000,
        "model": "served-model",
        "choices": [],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    },
    "[DONE]",
]

CASES = [
    ("openai/gpt-4o-mini", {"temperature": 0.3, "max_tokens": 20, "tools": TOOLS, "tool_choice": "auto"}),
    ("groq/llama-3.3-70b-versatile", {"tools": TOOLS, "tool_choice": "required", "seed": 7}),
    ("mistral/mistral-large-latest", {"tools": TOOLS, "tool_choice": "required", "max_completion_tokens": 5}),
    ("deepseek/deepseek-chat", {"response_format": {"type": "json_object"}, "top_p": 0.5}),
    ("together_ai/meta-llama/Llama-3-8b", {"top_k": 3, "stop": ["x"]}),
    ("xai/grok-3", {"user": "u1", "presence_penalty": 0.1}),
    ("openrouter/anthropic/claude-3.5-sonnet", {"max_completion_tokens": 7}),
    ("fireworks_ai/accounts/fireworks/models/llama-v3", {"max_completion_tokens": 7}),
    ("perplexity/sonar", {"max_completion_tokens": 7}),
    ("hosted_vllm/my-model", {"max_completion_tokens": 7, "extra_body": {"guided_choice": ["a", "b"]}}),
    ("cerebras/llama3.1-8b", {"max_completion_tokens": 7}),
    ("deepinfra/meta-llama/Meta-Llama-3-8B", {"max_completion_tokens": 7}),
]


@pytest.fixture(scope="module")
def m():
    with RawMock() as mock:
        mock.on("POST", r"/chat/completions$", json_body=CHAT)
        yield mock


def _call(lib, m, model, kw, **extra):
    lib.completion(model=model, messages=MESSAGES, api_base=m.url + "/v1", api_key="sk-diff", **kw, **extra)
    return m.requests[-1]


@pytest.mark.parametrize(("model", "kw"), CASES, ids=[c[0].split("/")[0] for c in CASES])
def test_same_upstream_request_and_result(m, model, kw):
    ref = _call(litellm, m, model, kw)
    ours = _call(litellm_rs, m, model, kw)
    assert ours.path == ref.path
    assert ours.headers.get("authorization") == ref.headers.get("authorization")
    assert ours.body == ref.body

    r_ref = litellm.completion(model=model, messages=MESSAGES, api_base=m.url + "/v1", api_key="sk-diff", **kw)
    r_ours = litellm_rs.completion(model=model, messages=MESSAGES, api_base=m.url + "/v1", api_key="sk-diff", **kw)
    a, b = r_ref.choices[0], r_ours.choices[0]
    assert b.finish_reason == a.finish_reason
    assert b.message.content == a.message.content
    assert [(t.id, t.function.name, t.function.arguments) for t in b.message.tool_calls] == [
        (t.id, t.function.name, t.function.arguments) for t in a.message.tool_calls
    ]
    for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert getattr(r_ours.usage, field) == getattr(r_ref.usage, field)
    assert r_ours.usage.prompt_tokens_details.cached_tokens == r_ref.usage.prompt_tokens_details.cached_tokens
    # litellm leaves custom_llm_provider out of _hidden_params for some providers (groq,
    # fireworks_ai); ours always names the provider that served the call.
    provider = model.split("/")[0]
    assert r_ours._hidden_params["custom_llm_provider"] == provider
    assert r_ref._hidden_params.get("custom_llm_provider", provider) == provider


def test_same_stream():
    with RawMock() as m:
        m.on("POST", r"/chat/completions$", sse=STREAM)
        out = {}
        for name, lib in (("litellm", litellm), ("rs", litellm_rs)):
            stream = lib.completion(
                model="openai/gpt-4o-mini",
                messages=MESSAGES,
                api_base=m.url + "/v1",
                api_key="sk-diff",
                stream=True,
                stream_options={"include_usage": True},
            )
            chunks = list(stream)
            text = "".join((c.choices[0].delta.content or "") for c in chunks if c.choices)
            finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
            usage = [c.usage for c in chunks if getattr(c, "usage", None) is not None][-1]
            out[name] = (text, finish, usage.total_tokens, m.requests[-1].body)
        assert out["rs"] == out["litellm"]


def test_same_embedding_request():
    answer = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.5]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    }
    with RawMock() as m:
        m.on("POST", r"/embeddings$", json_body=answer)
        kw = {"input": ["a", "b"], "dimensions": 2, "api_base": m.url + "/v1", "api_key": "sk-diff"}
        r_ref = litellm.embedding(model="openai/text-embedding-3-small", **kw)
        ref = m.requests[-1]
        r_ours = litellm_rs.embedding(model="openai/text-embedding-3-small", **kw)
        ours = m.requests[-1]
    assert ours.path == ref.path
    # litellm asks the OpenAI SDK for base64 and decodes it; we send what the caller asked for
    # (nothing), so the upstream answers floats. Both give the caller the same floats.
    ref_body = {k: v for k, v in ref.body.items() if k != "encoding_format"}
    assert ours.body == ref_body
    assert r_ours.data[0]["embedding"] == r_ref.data[0]["embedding"]
    assert r_ours.usage.prompt_tokens == r_ref.usage.prompt_tokens


@pytest.mark.parametrize(
    ("status", "name"),
    [(400, "BadRequestError"), (401, "AuthenticationError"), (404, "NotFoundError"), (429, "RateLimitError"),
     (500, "InternalServerError"), (503, "ServiceUnavailableError")],
)  # fmt: skip
def test_same_exception_class(status, name):
    body = {"error": {"message": f"upstream said {status}", "type": "x", "code": None}}
    with RawMock() as m:
        m.on("POST", r"/chat/completions$", status=status, json_body=body)
        errors = []
        for lib in (litellm, litellm_rs):
            with pytest.raises(Exception) as ei:
                lib.completion(
                    model="openai/gpt-4o-mini",
                    messages=MESSAGES,
                    api_base=m.url + "/v1",
                    api_key="sk-diff",
                    max_retries=0,
                )
            errors.append(ei.value)
    ref, ours = errors
    assert type(ref).__name__ == name
    assert type(ours).__name__ == name
    assert ours.status_code == ref.status_code == status
    assert f"upstream said {status}" in str(ours)


ANTHROPIC_ANSWER = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Hi!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0},
}

ANTHROPIC_CASES = [
    ("anthropic/claude-sonnet-4-5-20250929", {}),
    ("anthropic/claude-sonnet-4-5-20250929", {"max_tokens": 100, "temperature": 0.2, "stop": ["x"]}),
    ("anthropic/claude-sonnet-4-5-20250929", {"tools": TOOLS, "tool_choice": "required", "max_tokens": 50}),
    ("anthropic/claude-3-5-haiku-20241022", {"max_tokens": 10, "top_k": 5}),
]


@pytest.mark.parametrize(("model", "kw"), ANTHROPIC_CASES, ids=["default", "sampling", "tools", "haiku"])
def test_anthropic_same_request_and_result(model, kw):
    with RawMock() as m:
        m.on("POST", r"/v1/messages$", json_body=ANTHROPIC_ANSWER)
        seen = []
        for lib in (litellm, litellm_rs):
            r = lib.completion(model=model, messages=MESSAGES, api_base=m.url, api_key="sk-ant-diff", **kw)
            q = m.requests[-1]
            headers = {k: v for k, v in q.headers.items() if k.startswith("anthropic") or k == "x-api-key"}
            u = r.usage
            seen.append((q.path, headers, q.body, r.choices[0].message.content, r.choices[0].finish_reason,
                         u.prompt_tokens, u.completion_tokens, u.prompt_tokens_details.cached_tokens))  # fmt: skip
    assert seen[1] == seen[0]


@pytest.mark.parametrize(
    "kw",
    [{"api_key": "az-key"}, {"api_key": "az-key", "api_version": "2024-10-21", "temperature": 0.1},
     {"azure_ad_token": "eyJ.token"}],
    ids=["api-key", "api-version", "entra-token"],
)  # fmt: skip
def test_azure_same_request(kw):
    with RawMock() as m:
        m.on("POST", r"/chat/completions$", json_body=CHAT)
        seen = []
        for lib in (litellm, litellm_rs):
            lib.completion(model="azure/my-deployment", messages=MESSAGES, api_base=m.url, **kw)
            q = m.requests[-1]
            seen.append((q.path, q.query, q.headers.get("api-key"), q.headers.get("authorization"), q.body))
    assert seen[1] == seen[0]


BEDROCK_ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hi!"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
    "metrics": {"latencyMs": 100},
}


@pytest.mark.parametrize(
    "kw",
    [{}, {"max_tokens": 100, "temperature": 0.2, "stop": ["x"]}, {"tools": TOOLS, "tool_choice": "required"}],
    ids=["default", "sampling", "tools"],
)
def test_bedrock_same_request_and_result(kw):
    creds = {
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "aws_region_name": "us-west-2",
    }
    with RawMock() as m:
        m.on("POST", r"/converse$", json_body=BEDROCK_ANSWER)
        seen = []
        for lib in (litellm, litellm_rs):
            r = lib.completion(
                model="bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
                messages=MESSAGES,
                aws_bedrock_runtime_endpoint=m.url,
                **creds,
                **kw,
            )
            q = m.requests[-1]
            scope = q.headers["authorization"].split("Credential=")[1].split(",")[0].split("/", 2)[2]
            seen.append((q.path, scope, q.body, r.choices[0].message.content, r.usage.total_tokens))
    assert seen[1] == seen[0]


def test_anthropic_web_searches_are_billed_as_litellm_bills_them():
    """Anthropic's server-side web searches (usage.server_tool_use.web_search_requests) cost
    search_context_cost_per_query each, on top of the tokens — in completion_cost and in the
    response's response_cost, as litellm computes them."""
    answer = dict(ANTHROPIC_ANSWER)
    answer["usage"] = {**ANTHROPIC_ANSWER["usage"], "server_tool_use": {"web_search_requests": 3}}
    with RawMock() as m:
        m.on("POST", r"/v1/messages$", json_body=answer)
        costs = []
        for lib in (litellm, litellm_rs):
            r = lib.completion(
                model="anthropic/claude-sonnet-4-5-20250929", messages=MESSAGES, api_base=m.url, api_key="sk-ant-diff"
            )
            costs.append((lib.completion_cost(completion_response=r), r._hidden_params["response_cost"]))
    ref, ours = costs
    assert ours == pytest.approx(ref)
    # the three searches are in it: $0.01 each for this model
    plain = litellm_rs.completion_cost(
        model="anthropic/claude-sonnet-4-5-20250929", prompt="x", completion="y"
    )  # a sanity floor: tokens alone cost far less than the searches
    assert ours[0] > 0.03 > plain


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("openai/gpt-4o-search-preview", None),
        ("openai/gpt-4o-search-preview", "low"),
        ("openai/gpt-4o-search-preview", "high"),
        ("perplexity/sonar", "high"),
    ],
)
def test_a_search_models_cited_answer_bills_one_search_as_litellm_does(model, size):
    """OpenAI's search models answer with url_citation annotations: litellm bills one search at
    the price of web_search_options.search_context_size (medium without it)."""
    answer = {
        "id": "chatcmpl-search",
        "object": "chat.completion",
        "created": 1732000000,
        "model": "gpt-4o-search-preview-2025-03-11",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "It is sunny [example](https://example.com).",
                    "annotations": [
                        {
                            "type": "url_citation",
                            "url_citation": {
                                "start_index": 13,
                                "end_index": 42,
                                "url": "https://example.com",
                                "title": "x",
                            },
                        }
                    ],
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }
    kw = {"web_search_options": {"search_context_size": size}} if size else {}
    with RawMock() as m:
        m.on("POST", r"/chat/completions$", json_body=answer)
        costs = []
        for lib in (litellm, litellm_rs):
            r = lib.completion(model=model, messages=MESSAGES, api_base=m.url + "/v1", api_key="sk-diff", **kw)
            costs.append(lib.completion_cost(completion_response=r))
    ref, ours = costs
    assert ours == pytest.approx(ref)
    if model.startswith("openai/"):
        assert ours > 0.025  # one search at gpt-4o-search-preview's $0.025 (every size)
    else:
        assert ours < 0.005  # Perplexity's token prices include its searches


@pytest.mark.parametrize(
    ("model", "kw"),
    [
        ("azure/dall-e-3", {"size": "1024x1024", "quality": "hd"}),
        ("azure/dall-e-3", {"size": "1792x1024", "quality": "standard"}),
        ("aiml/dall-e-3", {}),
    ],
)
def test_image_generation_costs_are_litellms(model, kw):
    """Images priced per image or per pixel by the map's size/quality entries, as litellm prices
    an image response (n = its images)."""
    from litellm.types.utils import ImageResponse

    images = [{"url": "https://example.com/1"}, {"url": "https://example.com/2"}]
    provider = model.split("/")[0]
    ref = litellm.completion_cost(
        completion_response=ImageResponse(created=1, data=images),
        model=model,
        custom_llm_provider=provider,
        call_type="image_generation",
        **kw,
    )
    ours = litellm_rs.completion_cost(
        completion_response={"created": 1, "data": images},
        model=model,
        custom_llm_provider=provider,
        call_type="image_generation",
        **kw,
    )
    assert ours == pytest.approx(ref) and ours > 0
    # without a response: n images as asked
    alone = litellm_rs.completion_cost(
        model=model, custom_llm_provider=provider, call_type="image_generation", n=2, **kw
    )
    assert alone == pytest.approx(ours)


def test_an_unpriced_image_model_is_an_error_naming_it():
    with pytest.raises(ValueError, match="no-such-image-model"):
        litellm_rs.completion_cost(model="no-such-image-model", call_type="image_generation")


@pytest.mark.parametrize(
    "kw",
    [
        # per second: whisper-1 bills the file's seconds as output, gpt-4o-transcribe without
        # tokens as input; per token when the usage has tokens
        {"model": "whisper-1", "custom_llm_provider": "openai", "call_type": "transcription"},
        {"model": "gpt-4o-transcribe", "custom_llm_provider": "openai", "call_type": "atranscription"},
        {"model": "gpt-4o-transcribe", "call_type": "transcription", "prompt_tokens": 100, "completion_tokens": 20},
        {"model": "groq/whisper-large-v3", "call_type": "transcription"},
        {"model": "azure/whisper-1", "call_type": "transcription"},
        # per character (tts-1) or per token (gpt-4o-mini-tts)
        {"model": "tts-1", "custom_llm_provider": "openai", "call_type": "speech", "prompt_characters": 40},
        {"model": "tts-1-hd", "call_type": "aspeech", "prompt_characters": 40},
        {"model": "gpt-4o-mini-tts", "call_type": "speech", "prompt_tokens": 30, "completion_tokens": 500},
    ],
)
def test_audio_cost_per_token_is_litellms(kw):
    """cost_per_token for speech and transcription calls: per character, per second of audio,
    or per token, as the model's entry prices them."""
    if "transcription" in kw["call_type"]:
        kw = dict(kw, audio_transcription_file_duration=12.5)
    ref = litellm.cost_per_token(**kw)
    ours = litellm_rs.cost_per_token(**kw)
    assert ours == pytest.approx(ref) and sum(ours) > 0


def test_speech_without_characters_is_an_error():
    for m in (litellm, litellm_rs):
        with pytest.raises(ValueError, match="prompt_characters must be provided"):
            m.cost_per_token(model="tts-1", call_type="speech")


def test_audio_completion_cost_is_litellms():
    """completion_cost of a transcription response (seconds from the hidden params or the
    response's duration; tokens from OpenAI's transcription usage) and of a speech prompt
    (characters without whitespace)."""
    from litellm.types.utils import TranscriptionResponse

    def theirs(hidden=None, **fields):
        r = TranscriptionResponse(text="hello")
        for k, v in fields.items():
            setattr(r, k, v)
        if hidden:
            r._hidden_params = hidden
        return r

    tokens = {
        "type": "tokens",
        "input_tokens": 120,
        "output_tokens": 15,
        "total_tokens": 135,
        "input_token_details": {"audio_tokens": 100, "text_tokens": 20},
    }
    cases = [
        ("whisper-1", {"hidden": {"audio_transcription_duration": 30.0}}),
        ("whisper-1", {"duration": 20.0}),
        ("gpt-4o-transcribe", {"usage": tokens}),
        ("gpt-4o-transcribe", {"usage": {"type": "duration", "seconds": 7}}),
    ]
    for model, fields in cases:
        ref = litellm.completion_cost(
            completion_response=theirs(**fields), model=model, custom_llm_provider="openai", call_type="transcription"
        )
        ours_dict = {"text": "hello", **{k: v for k, v in fields.items() if k != "hidden"}}
        if "hidden" in fields:
            ours_dict["_hidden_params"] = fields["hidden"]
        ours = litellm_rs.completion_cost(
            completion_response=ours_dict, model=model, custom_llm_provider="openai", call_type="transcription"
        )
        assert ours == pytest.approx(ref) and ours > 0, (model, fields)

    for provider in ("openai", None):
        prompt = "Hello there, world!  "
        ref = litellm.completion_cost(model="tts-1", custom_llm_provider=provider, prompt=prompt, call_type="speech")
        ours = litellm_rs.completion_cost(
            model="tts-1", custom_llm_provider=provider, prompt=prompt, call_type="speech"
        )
        assert ours == pytest.approx(ref) and ours > 0


def test_whisper_usage_seconds_are_billed():
    """OpenAI's whisper answers carry ``usage: {"type": "duration", "seconds": N}``: litellm
    1.110.2 reads those seconds only for gpt-4o-transcribe-style models and prices whisper-1 at 0
    from them; whisper-1 is billed per second of audio, so we charge them."""
    response = {"text": "hello", "usage": {"type": "duration", "seconds": 7}}
    cost = litellm_rs.completion_cost(
        completion_response=response, model="whisper-1", custom_llm_provider="openai", call_type="transcription"
    )
    assert cost == pytest.approx(7 * litellm_rs.get_model_info("whisper-1")["output_cost_per_second"])

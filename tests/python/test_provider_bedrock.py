"""AWS Bedrock over real HTTP: Converse and ConverseStream (binary AWS event-stream bodies),
SigV4 with static keys, the Bedrock API key, tool round trips and error mapping."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib

import litellm_rs
import pytest
from litellm_rs.exceptions import AuthenticationError, ContextWindowExceededError, RateLimitError
from rawmock import RawMock

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PATH = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0"
MESSAGES = [{"role": "user", "content": "Hello"}]
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": SECRET, "aws_region_name": "us-west-2"}

CONVERSE = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello from Bedrock"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13},
    "metrics": {"latencyMs": 321},
}

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def event_stream(events: list[tuple[str, dict]]) -> bytes:
    """AWS event-stream framing: prelude (lengths + CRC), string headers, JSON payload, CRC."""
    out = b""
    for name, payload in events:
        if name.startswith("!"):
            headers = _header(":message-type", "exception") + _header(":exception-type", name[1:])
        else:
            headers = _header(":message-type", "event") + _header(":event-type", name)
        headers += _header(":content-type", "application/json")
        body = json.dumps(payload).encode()
        total = 12 + len(headers) + len(body) + 4
        prelude = struct.pack(">II", total, len(headers))
        msg = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + body
        out += msg + struct.pack(">I", zlib.crc32(msg))
    return out


STREAM = [
    ("messageStart", {"role": "assistant"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " world"}}),
    ("contentBlockStop", {"contentBlockIndex": 0}),
    ("messageStop", {"stopReason": "end_turn"}),
    ("metadata", {"usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7}, "metrics": {"latencyMs": 90}}),
]


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch, tmp_path):
    for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
              "AWS_REGION_NAME", "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK", "AWS_BEDROCK_RUNTIME_ENDPOINT"):  # fmt: skip
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))


def test_converse_sync_signed_with_static_keys(m):
    m.on("POST", PATH + "/converse", json_body=CONVERSE, headers={"x-amzn-requestid": "rid-1"})
    r = litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, max_tokens=50, **KEYS)
    assert r.choices[0].message.content == "Hello from Bedrock"
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (9, 4, 13)
    assert r._hidden_params["custom_llm_provider"] == "bedrock"
    assert r._hidden_params["additional_headers"]["llm_provider-x-amzn-requestid"] == "rid-1"
    seen = m.requests[-1]
    assert seen.path == PATH + "/converse"
    auth = seen.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-west-2/bedrock/aws4_request" in auth
    assert "x-amz-date" in seen.headers
    assert SECRET not in json.dumps(seen.headers)
    assert seen.body["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert seen.body["inferenceConfig"] == {"maxTokens": 50}


def test_converse_async_and_env_keys_with_session_token(m, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    m.on("POST", r"/converse$", json_body=CONVERSE)
    r = asyncio.run(litellm_rs.acompletion(model=f"bedrock/converse/eu.{MODEL}", messages=MESSAGES, api_base=m.url))
    assert r.choices[0].message.content == "Hello from Bedrock"
    seen = m.requests[-1]
    assert seen.path == "/model/eu.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    assert "Credential=AKIDENV/" in seen.headers["authorization"]
    assert "/eu-west-1/bedrock/aws4_request" in seen.headers["authorization"]
    assert seen.headers["x-amz-security-token"] == "env-token"


def test_profile_from_shared_files(m, tmp_path):
    (tmp_path / "credentials").write_text("[team]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = p-secret\n")
    (tmp_path / "config").write_text("[profile team]\nregion = ap-northeast-1\n")
    m.on("POST", r"/converse$", json_body=CONVERSE)
    litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, aws_profile_name="team")
    auth = m.requests[-1].headers["authorization"]
    assert "Credential=AKIDPROFILE/" in auth and "/ap-northeast-1/bedrock/" in auth


def test_bedrock_api_key_is_a_bearer_token(m, monkeypatch):
    m.on("POST", r"/converse$", json_body=CONVERSE)
    litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, api_key="ABSK-call-key")
    assert m.requests[-1].headers["authorization"] == "Bearer ABSK-call-key"
    assert "x-amz-date" not in m.requests[-1].headers
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSK-env-key")
    litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url)
    assert m.requests[-1].headers["authorization"] == "Bearer ABSK-env-key"


def test_stream_binary_event_stream(m):
    m.on(
        "POST",
        PATH + "/converse-stream",
        body=event_stream(STREAM),
        headers={"content-type": "application/vnd.amazon.eventstream"},
    )
    chunks = list(
        litellm_rs.completion(
            model=f"bedrock/{MODEL}",
            messages=MESSAGES,
            api_base=m.url,
            stream=True,
            stream_options={"include_usage": True},
            **KEYS,
        )
    )
    assert m.requests[-1].path == PATH + "/converse-stream"
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello world"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.total_tokens == 7
    built = litellm_rs.stream_chunk_builder(chunks)
    assert built.choices[0].message.content == "Hello world"


def test_async_stream(m):
    m.on("POST", r"/converse-stream$", body=event_stream(STREAM))

    async def run():
        out = []
        stream = await litellm_rs.acompletion(
            model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, stream=True, **KEYS
        )
        async for c in stream:
            out.append(c)
        return out

    chunks = asyncio.run(run())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello world"


def test_tool_round_trip(m):
    m.on(
        "POST",
        r"/converse$",
        json_body={
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": 50, "outputTokens": 20, "totalTokens": 70},
        },
    )
    m.on("POST", r"/converse$", json_body=CONVERSE)
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    r = litellm_rs.completion(
        model=f"bedrock/{MODEL}", messages=messages, tools=[WEATHER], tool_choice="auto", api_base=m.url, **KEYS
    )
    assert r.choices[0].finish_reason == "tool_calls"
    call = r.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "tooluse_1",
        "get_weather",
        {"city": "Paris"},
    )
    sent = m.requests[-1].body["toolConfig"]
    assert sent["toolChoice"] == {"auto": {}}
    assert sent["tools"][0]["toolSpec"]["name"] == "get_weather"
    messages += [r.choices[0].message.model_dump(exclude_none=True)]
    messages += [{"role": "tool", "tool_call_id": "tooluse_1", "content": "18C"}]
    litellm_rs.completion(model=f"bedrock/{MODEL}", messages=messages, tools=[WEATHER], api_base=m.url, **KEYS)
    sent = m.requests[-1].body["messages"]
    assert sent[1]["content"][0]["toolUse"] == {
        "toolUseId": "tooluse_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert sent[2] == {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "18C"}]}}],
    }


def test_errors_map_with_provider_and_no_secrets(m):
    m.on(
        "POST",
        PATH + "/converse",
        status=400,
        json_body={"message": "Input is too long for requested model."},
        headers={"x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
    )
    with pytest.raises(ContextWindowExceededError) as ei:
        litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, **KEYS)
    assert ei.value.llm_provider == "bedrock"
    assert "Input is too long" in str(ei.value)
    assert SECRET not in str(ei.value)

    m.on(
        "POST",
        r"/model/x/converse$",
        status=403,
        json_body={"message": "The security token included in the request is invalid."},
        headers={"x-amzn-errortype": "UnrecognizedClientException"},
    )
    with pytest.raises(AuthenticationError) as ei:
        litellm_rs.completion(model="bedrock/x", messages=MESSAGES, api_base=m.url, **KEYS)
    assert ei.value.llm_provider == "bedrock"
    assert SECRET not in str(ei.value)


def test_stream_exception_mid_stream(m):
    events = STREAM[:2] + [("!throttlingException", {"message": "Too many tokens, please wait."})]
    m.on("POST", r"/converse-stream$", body=event_stream(events))
    stream = litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base=m.url, stream=True, **KEYS)
    with pytest.raises(RateLimitError) as ei:
        for _ in stream:
            pass
    assert ei.value.llm_provider == "bedrock"


def test_missing_credentials_is_an_authentication_error():
    with pytest.raises(AuthenticationError) as ei:
        litellm_rs.completion(model=f"bedrock/{MODEL}", messages=MESSAGES, api_base="http://127.0.0.1:9")
    assert "Unable to locate AWS credentials" in str(ei.value)


# --- bedrock/invoke/ for the non-Anthropic families --------------------------------------------

INVOKE_MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}]


def invoke_chunks(payloads: list[dict]) -> bytes:
    """invoke-with-response-stream: `chunk` events, each the base64 of the model's own JSON."""
    import base64

    return event_stream([("chunk", {"bytes": base64.b64encode(json.dumps(p).encode()).decode()}) for p in payloads])


INVOKE_FAMILIES = {
    "meta.llama3-8b-instruct-v1:0": (
        {"generation": "4.", "prompt_token_count": 21, "generation_token_count": 2, "stop_reason": "stop"},
        [
            {"generation": "4", "prompt_token_count": 21, "generation_token_count": 1, "stop_reason": None},
            {
                "generation": ".",
                "generation_token_count": 2,
                "stop_reason": "stop",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 21, "outputTokenCount": 2},
            },
        ],
        (21, 2),
    ),
    "amazon.titan-text-express-v1": (
        {"inputTextTokenCount": 15, "results": [{"tokenCount": 2, "outputText": "4.", "completionReason": "FINISH"}]},
        [
            {"outputText": "4", "index": 0, "completionReason": None},
            {
                "outputText": ".",
                "index": 0,
                "completionReason": "FINISH",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 15, "outputTokenCount": 2},
            },
        ],
        (15, 2),
    ),
    "mistral.mistral-7b-instruct-v0:2": (
        {"outputs": [{"text": "4.", "stop_reason": "stop"}]},
        [
            {"outputs": [{"text": "4", "stop_reason": None}]},
            {
                "outputs": [{"text": ".", "stop_reason": "stop"}],
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 12, "outputTokenCount": 2},
            },
        ],
        None,
    ),
    "us.amazon.nova-lite-v1:0": (
        {
            "output": {"message": {"role": "assistant", "content": [{"text": "4."}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 11, "outputTokens": 2, "totalTokens": 13},
        },
        [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"delta": {"text": "4"}, "contentBlockIndex": 0}},
            {"contentBlockDelta": {"delta": {"text": "."}, "contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 11, "outputTokens": 2, "totalTokens": 13}}},
        ],
        (11, 2),
    ),
    "cohere.command-r-v1:0": (
        {"text": "4.", "finish_reason": "COMPLETE", "meta": {"billed_units": {"input_tokens": 9, "output_tokens": 2}}},
        [
            {"is_finished": False, "event_type": "text-generation", "text": "4"},
            {"is_finished": False, "event_type": "text-generation", "text": "."},
            {
                "is_finished": True,
                "event_type": "stream-end",
                "finish_reason": "COMPLETE",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 9, "outputTokenCount": 2},
            },
        ],
        (9, 2),
    ),
    "us.deepseek.r1-v1:0": (
        {"choices": [{"text": "2 plus 2.</think>\n\n4.", "stop_reason": "stop"}]},
        [
            {"choices": [{"text": "2 plus 2.", "stop_reason": None}]},
            {"choices": [{"text": "</think>\n\n4", "stop_reason": None}]},
            {
                "choices": [{"text": ".", "stop_reason": "stop"}],
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 14, "outputTokenCount": 6},
            },
        ],
        None,
    ),
}


@pytest.mark.parametrize("model", list(INVOKE_FAMILIES), ids=[k.split(".")[-2] for k in INVOKE_FAMILIES])
def test_invoke_families_end_to_end(m, model):
    answer, stream_payloads, usage = INVOKE_FAMILIES[model]
    path = "/model/" + model.replace(":", "%3A")
    m.on("POST", path + "/invoke$", json_body=answer)
    r = litellm_rs.completion(model=f"bedrock/invoke/{model}", messages=INVOKE_MESSAGES, api_base=m.url, max_tokens=20, **KEYS)  # fmt: skip
    seen = m.requests[-1]
    assert seen.path == path + "/invoke"
    assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert r.choices[0].message.content == "4."
    assert r.choices[0].finish_reason == "stop"
    if usage:
        assert (r.usage.prompt_tokens, r.usage.completion_tokens) == usage
    if "deepseek" in model:
        assert r.choices[0].message.reasoning_content == "2 plus 2."
    body = seen.body
    assert "stream" not in body and "model" not in body
    if "llama" in model:
        assert body["max_gen_len"] == 20 and body["prompt"].endswith(
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        )
    elif "titan" in model:
        assert body == {
            "inputText": "\n\nUser: <admin>Be brief.</admin>\n\nUser: What is 2+2?\n\nBot: ",
            "textGenerationConfig": {"maxTokenCount": 20},
        }
    # The stream.
    m.on(
        "POST",
        path + "/invoke-with-response-stream$",
        body=invoke_chunks(stream_payloads),
        headers={"content-type": "application/vnd.amazon.eventstream"},
    )
    chunks = list(
        litellm_rs.completion(
            model=f"bedrock/invoke/{model}",
            messages=INVOKE_MESSAGES,
            api_base=m.url,
            stream=True,
            stream_options={"include_usage": True},
            **KEYS,
        )
    )
    assert m.requests[-1].path == path + "/invoke-with-response-stream"
    assert chunks[0].choices[0].delta.role == "assistant"
    built = litellm_rs.stream_chunk_builder(chunks)
    assert built.choices[0].message.content == "4."
    assert built.choices[0].finish_reason == "stop"
    assert chunks[-1].usage.total_tokens > 0


def test_invoke_unknown_family_and_unsupported_params(m):
    with pytest.raises(litellm_rs.exceptions.BadRequestError, match="Converse route"):
        litellm_rs.completion(
            model="bedrock/invoke/ai21.jamba-instruct-v1:0", messages=MESSAGES, api_base=m.url, **KEYS
        )
    with pytest.raises(litellm_rs.exceptions.UnsupportedParamsError, match="tools"):
        litellm_rs.completion(
            model="bedrock/invoke/meta.llama3-8b-instruct-v1:0",
            messages=MESSAGES,
            api_base=m.url,
            tools=[WEATHER],
            **KEYS,
        )
    params = litellm_rs.get_supported_openai_params(
        "invoke/meta.llama3-8b-instruct-v1:0", custom_llm_provider="bedrock"
    )
    assert "temperature" in params and "tools" not in params

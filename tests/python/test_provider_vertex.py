"""Vertex AI over real HTTP against a local raw mock that also serves the Google token endpoint.

``vertex_ai/<gemini>`` -> POST {api_base}/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent
(``:streamGenerateContent?alt=sse`` for streams) and ``vertex_ai/claude-*`` -> ``.../publishers/anthropic/
models/{m}:rawPredict`` / ``:streamRawPredict``, with ``Authorization: Bearer <token>``. The token comes from
the service-account flow: an RS256 JWT (checked here with the public half of the test-only key pair in
tests/fixtures/vertex/) exchanged at ``vertex_token_url``, once for several calls."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import litellm_rs
import pytest
from litellm_rs.exceptions import AuthenticationError, BadRequestError, NotFoundError, RateLimitError
from rawmock import RawMock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vertex"
PROJECT = "proj-py"
LOCATION = "europe-west4"
PREFIX = f"/v1/projects/{PROJECT}/locations/{LOCATION}/publishers"
PATH = f"{PREFIX}/google/models/gemini-2.5-flash:generateContent"
STREAM_PATH = f"{PREFIX}/google/models/gemini-2.5-flash:streamGenerateContent"
CLAUDE = "claude-sonnet-4@20250514"
TOKEN = "ya29.mock-access-token"
MESSAGES = [{"role": "user", "content": "Say hello"}]
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


# --- RS256 verification with the fixture's public key (pure Python: no crypto package needed) ---


def _der(data: bytes, i: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at i."""
    tag, length = data[i], data[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    return tag, i, i + length


def _public_key() -> tuple[int, int]:
    pem = (FIXTURES / "test_only_public_key.pem").read_text()
    der = base64.b64decode("".join(line for line in pem.splitlines() if "-----" not in line))
    _, start, _ = _der(der, 0)  # SubjectPublicKeyInfo
    _, _, alg_end = _der(der, start)  # AlgorithmIdentifier
    _, bits, _ = _der(der, alg_end)  # BIT STRING
    _, rsa, _ = _der(der, bits + 1)  # RSAPublicKey (after the unused-bits byte)
    _, ns, ne = _der(der, rsa)
    _, es, ee = _der(der, ne)
    return int.from_bytes(der[ns:ne], "big"), int.from_bytes(der[es:ee], "big")


def _b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token: str) -> tuple[dict, dict]:
    """Checks an RS256 JWT against the fixture key (PKCS#1 v1.5, SHA-256); returns (header, claims)."""
    head, payload, sig = token.split(".")
    n, e = _public_key()
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(_b64url(sig), "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")
    digest = hashlib.sha256(f"{head}.{payload}".encode()).digest()
    expected = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info) - len(digest)) + b"\x00" + digest_info + digest
    assert em == expected, "the assertion is not signed with the fixture key"
    return json.loads(_b64url(head)), json.loads(_b64url(payload))


# --- fixtures and helpers ---


@pytest.fixture(autouse=True)
def _clean_google_env(monkeypatch):
    for var in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "VERTEXAI_CREDENTIALS",
        "VERTEXAI_PROJECT",
        "VERTEX_PROJECT",
        "VERTEXAI_LOCATION",
        "VERTEX_LOCATION",
        "GOOGLE_CLOUD_PROJECT",
        "VERTEX_TOKEN_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")


@pytest.fixture
def m():
    with RawMock() as mock:
        mock.on("POST", r"^/token$", json_body={"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"})
        yield mock


@pytest.fixture
def sa() -> dict:
    """The fixture service account with a fresh client_email, so each test has its own cached token."""
    creds = json.loads((FIXTURES / "service_account.json").read_text())
    creds["client_email"] = f"vertex-{uuid.uuid4().hex[:8]}@litellm-rs-test.iam.gserviceaccount.com"
    return creds


def kw(m: RawMock, sa: dict, **extra: Any) -> dict:
    return {
        "api_base": m.url,
        "vertex_credentials": sa,
        "vertex_project": PROJECT,
        "vertex_location": LOCATION,
        "vertex_token_url": f"{m.url}/token",
        **extra,
    }


def answer(*parts: dict, finish: str = "STOP") -> dict:
    return {
        "candidates": [{"content": {"parts": list(parts), "role": "model"}, "finishReason": finish, "index": 0}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "vtx-resp-1",
    }


def token_requests(m: RawMock) -> list:
    return [r for r in m.requests if r.path == "/token"]


def calls(m: RawMock) -> list:
    return [r for r in m.requests if r.path != "/token"]


# --- tests ---


def test_sync_service_account_flow(m, sa):
    m.on("POST", PATH, json_body=answer({"text": "Hello from Vertex"}))
    r = litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, temperature=0.2, **kw(m, sa))
    assert r.choices[0].message.content == "Hello from Vertex"
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (4, 6, 10)
    assert r._hidden_params["custom_llm_provider"] == "vertex_ai"

    (tok,) = token_requests(m)
    form = parse_qs(tok.raw.decode())
    assert form["grant_type"] == [GRANT]
    assert tok.headers["content-type"] == "application/x-www-form-urlencoded"
    header, claims = verify_jwt(form["assertion"][0])
    assert header["alg"] == "RS256" and header["kid"] == sa["private_key_id"]
    assert claims["iss"] == sa["client_email"]
    assert claims["scope"] == SCOPE
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 120

    (call,) = calls(m)
    assert call.path == PATH
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-goog-api-key" not in call.headers
    assert call.body == {
        "contents": [{"role": "user", "parts": [{"text": "Say hello"}]}],
        "generationConfig": {"temperature": 0.2},
    }


def test_token_fetched_once_for_several_calls_sync_and_async(m, sa):
    m.on("POST", PATH, json_body=answer({"text": "ok"}))
    for _ in range(3):
        assert litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, **kw(m, sa)).choices

    async def many() -> list:
        return await asyncio.gather(
            *(
                litellm_rs.acompletion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, **kw(m, sa))
                for _ in range(4)
            )
        )

    out = asyncio.run(many())
    assert [r.choices[0].message.content for r in out] == ["ok"] * 4
    assert len(token_requests(m)) == 1
    assert len(calls(m)) == 7
    assert {c.headers["authorization"] for c in calls(m)} == {f"Bearer {TOKEN}"}


def test_concurrent_first_calls_share_one_token_exchange(m, sa):
    m.on("POST", PATH, json_body=answer({"text": "ok"}))

    async def many() -> list:
        return await asyncio.gather(
            *(
                litellm_rs.acompletion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, **kw(m, sa))
                for _ in range(6)
            )
        )

    assert len(asyncio.run(many())) == 6
    assert len(token_requests(m)) == 1
    assert len(calls(m)) == 6


def test_stream_sync_and_async(m, sa):
    pieces = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}, "index": 0}]},
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "lo!"}]}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        },
    ]
    m.on("POST", STREAM_PATH, sse=pieces)
    chunks = list(
        litellm_rs.completion(
            model="vertex_ai/gemini-2.5-flash",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            **kw(m, sa),
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert any(getattr(c, "usage", None) and c.usage.total_tokens == 5 for c in chunks)
    call = calls(m)[-1]
    assert call.path == STREAM_PATH and call.query == {"alt": ["sse"]}

    async def consume() -> str:
        stream = await litellm_rs.acompletion(
            model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, stream=True, **kw(m, sa)
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(consume()) == "Hello!"
    assert len(token_requests(m)) == 1


def test_tool_call(m, sa):
    m.on(
        "POST",
        PATH,
        json_body=answer({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}),
    )
    r = litellm_rs.completion(
        model="vertex_ai/gemini-2.5-flash",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="auto",
        **kw(m, sa),
    )
    (call,) = r.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert r.choices[0].finish_reason == "tool_calls"
    body = calls(m)[-1].body
    decl = body["tools"][0]["functionDeclarations"][0]
    assert decl["name"] == "get_weather" and decl["parameters"]["properties"] == {"city": {"type": "string"}}


def test_claude_on_vertex_raw_predict_and_stream(m, sa):
    path = f"{PREFIX}/anthropic/models/{CLAUDE}:rawPredict"
    m.on(
        "POST",
        path,
        json_body={
            "id": "msg_vrtx_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-20250514",
            "content": [{"type": "text", "text": "Hi from Claude"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 9, "output_tokens": 4},
        },
    )
    r = litellm_rs.completion(
        model=f"vertex_ai/{CLAUDE}",
        messages=[{"role": "system", "content": "Be brief."}, *MESSAGES],
        max_tokens=64,
        **kw(m, sa),
    )
    assert r.choices[0].message.content == "Hi from Claude"
    assert r.usage.total_tokens == 13
    call = calls(m)[-1]
    assert call.path == path
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-api-key" not in call.headers
    assert call.body["anthropic_version"] == "vertex-2023-10-16"
    assert "model" not in call.body
    assert call.body["max_tokens"] == 64
    assert call.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]

    def ev(name: str, data: dict) -> tuple[str, dict]:
        return (name, {"type": name, **data})

    stream_path = f"{PREFIX}/anthropic/models/{CLAUDE}:streamRawPredict"
    start = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514"}
    start |= {"content": [], "stop_reason": None, "usage": {"input_tokens": 9, "output_tokens": 1}}
    m.on(
        "POST",
        stream_path,
        sse=[
            ev("message_start", {"message": start}),
            ev("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
            ev("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hi "}}),
            ev("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "there"}}),
            ev("content_block_stop", {"index": 0}),
            ev("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}}),
            ev("message_stop", {}),
        ],
    )
    chunks = list(litellm_rs.completion(model=f"vertex_ai/{CLAUDE}", messages=MESSAGES, stream=True, **kw(m, sa)))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hi there"
    assert calls(m)[-1].path == stream_path
    assert calls(m)[-1].body["stream"] is True
    assert len(token_requests(m)) == 1


@pytest.mark.parametrize(
    ("status", "error", "exc"),
    [
        (
            429,
            {"code": 429, "message": "Quota exceeded for aiplatform.googleapis.com", "status": "RESOURCE_EXHAUSTED"},
            RateLimitError,
        ),
        (
            404,
            {"code": 404, "message": "Publisher Model `gemini-9` was not found", "status": "NOT_FOUND"},
            NotFoundError,
        ),
        (
            400,
            {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"},
            BadRequestError,
        ),
        (
            401,
            {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"},
            AuthenticationError,
        ),
    ],
)
def test_google_errors_map_to_litellm_classes(m, sa, status, error, exc):
    m.on("POST", PATH, status=status, json_body={"error": error})
    with pytest.raises(exc) as info:
        litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, num_retries=0, **kw(m, sa))
    assert error["message"] in str(info.value)
    assert "VertexAIException" in str(info.value)


def test_failed_token_exchange_is_authentication_error_without_the_key(sa):
    with RawMock() as m:
        m.on(
            "POST",
            r"^/token$",
            status=400,
            json_body={"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
        )
        with pytest.raises(AuthenticationError) as info:
            litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, **kw(m, sa))
        assert not calls(m)
    text = f"{info.value!s} {info.value!r} {getattr(info.value, 'message', '')}"
    assert "invalid_grant" in text
    key_body = sa["private_key"].splitlines()[1]
    assert key_body not in text and "PRIVATE KEY" not in text


def test_credentials_as_json_string_file_path_and_env(m, sa, tmp_path, monkeypatch):
    m.on("POST", r"/locations/europe-west4/.*:generateContent$", json_body=answer({"text": "ok"}))
    base = {"api_base": m.url, "vertex_token_url": f"{m.url}/token", "vertex_location": LOCATION}
    # a JSON string; the project comes from the credentials' project_id
    litellm_rs.completion(
        model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, vertex_credentials=json.dumps(sa), **base
    )
    assert calls(m)[-1].path == PATH.replace(PROJECT, "litellm-rs-test")
    # a file path, the project from the environment
    sa2 = dict(sa, client_email="file-" + sa["client_email"])
    p = tmp_path / "sa.json"
    p.write_text(json.dumps(sa2))
    monkeypatch.setenv("VERTEXAI_PROJECT", PROJECT)
    litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, vertex_credentials=str(p), **base)
    assert calls(m)[-1].path == PATH
    # GOOGLE_APPLICATION_CREDENTIALS and the location from the environment
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(p))
    monkeypatch.setenv("VERTEXAI_LOCATION", "global")
    m.on("POST", r"/locations/global/", json_body=answer({"text": "global"}))
    r = litellm_rs.completion(
        model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, api_base=m.url, vertex_token_url=f"{m.url}/token"
    )
    assert r.choices[0].message.content == "global"
    assert (
        calls(m)[-1].path
        == f"/v1/projects/{PROJECT}/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    # two identities, two exchanges (the file one reused from the second call)
    assert len(token_requests(m)) == 2


def test_api_key_is_used_as_bearer_without_exchange(m):
    m.on("POST", PATH, json_body=answer({"text": "ok"}))
    litellm_rs.completion(
        model="vertex_ai/gemini-2.5-flash",
        messages=MESSAGES,
        api_base=m.url,
        api_key="ya29.caller-token",
        vertex_project=PROJECT,
        vertex_location=LOCATION,
    )
    assert not token_requests(m)
    assert calls(m)[-1].headers["authorization"] == "Bearer ya29.caller-token"


def test_missing_credentials_is_a_clear_authentication_error(m):
    with pytest.raises(AuthenticationError) as info:
        litellm_rs.completion(model="vertex_ai/gemini-2.5-flash", messages=MESSAGES, api_base=m.url, vertex_project="p")
    assert "vertex_credentials" in str(info.value)
    assert not m.requests

"""Azure OpenAI and Azure AI Foundry over real HTTP: deployment URLs, api-version, api-key and
Entra ID auth (static token, token provider, client credentials against a local token endpoint)."""

from __future__ import annotations

import litellm_rs
import pytest
from litellm_rs.exceptions import AuthenticationError, ContentPolicyViolationError
from rawmock import RawMock

MESSAGES = [{"role": "user", "content": "hi"}]

CHAT = {
    "id": "chatcmpl-AZ1",
    "object": "chat.completion",
    "created": 1732000000,
    "model": "gpt-4o-2024-08-06",
    "prompt_filter_results": [
        {"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}
    ],
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "Hello from Azure"},
            "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}},
        }
    ],
    "usage": {"prompt_tokens": 8, "completion_tokens": 3, "total_tokens": 11},
}


@pytest.fixture
def m():
    with RawMock() as mock:
        yield mock


def test_deployment_url_version_and_api_key(m, monkeypatch):
    monkeypatch.delenv("AZURE_API_VERSION", raising=False)
    m.on("POST", r"/openai/deployments/my-gpt4o/chat/completions", json_body=CHAT)
    r = litellm_rs.completion(model="azure/my-gpt4o", messages=MESSAGES, api_base=m.url, api_key="az-secret")
    assert r.choices[0].message.content == "Hello from Azure"
    assert r._hidden_params["custom_llm_provider"] == "azure"
    seen = m.requests[-1]
    assert seen.path == "/openai/deployments/my-gpt4o/chat/completions"
    assert seen.query["api-version"] == ["2025-02-01-preview"]
    assert seen.headers["api-key"] == "az-secret"
    assert "authorization" not in seen.headers
    assert seen.body["messages"] == MESSAGES


def test_api_version_from_call_env_and_module(m, monkeypatch):
    m.on("POST", r"/chat/completions", json_body=CHAT)
    litellm_rs.completion(model="azure/d", messages=MESSAGES, api_base=m.url, api_key="k", api_version="2024-10-21")
    assert m.requests[-1].query["api-version"] == ["2024-10-21"]
    monkeypatch.setenv("AZURE_API_VERSION", "2024-06-01")
    litellm_rs.completion(model="azure/d", messages=MESSAGES, api_base=m.url, api_key="k")
    assert m.requests[-1].query["api-version"] == ["2024-06-01"]
    monkeypatch.delenv("AZURE_API_VERSION")
    monkeypatch.setattr(litellm_rs, "AZURE_DEFAULT_API_VERSION", "2024-02-15-preview")
    litellm_rs.completion(model="azure/d", messages=MESSAGES, api_base=m.url, api_key="k")
    assert m.requests[-1].query["api-version"] == ["2024-02-15-preview"]


def test_env_base_and_key(m, monkeypatch):
    monkeypatch.setenv("AZURE_API_BASE", m.url)
    monkeypatch.setenv("AZURE_API_KEY", "env-az-key")
    m.on("POST", r"/chat/completions", json_body=CHAT)
    litellm_rs.completion(model="azure/dep", messages=MESSAGES)
    assert m.requests[-1].headers["api-key"] == "env-az-key"


def test_static_entra_token_and_token_provider(m):
    m.on("POST", r"/chat/completions", json_body=CHAT)
    litellm_rs.completion(model="azure/dep", messages=MESSAGES, api_base=m.url, azure_ad_token="eyJ.static")
    assert m.requests[-1].headers["authorization"] == "Bearer eyJ.static"
    assert "api-key" not in m.requests[-1].headers
    litellm_rs.completion(
        model="azure/dep", messages=MESSAGES, api_base=m.url, azure_ad_token_provider=lambda: "eyJ.from-provider"
    )
    assert m.requests[-1].headers["authorization"] == "Bearer eyJ.from-provider"


def test_client_credentials_flow_is_cached(m):
    m.on(
        "POST",
        r"/tenant-1/oauth2/v2.0/token",
        json_body={"token_type": "Bearer", "expires_in": 3599, "access_token": "eyJ.client-cred"},
    )
    m.on("POST", r"/chat/completions", json_body=CHAT)
    kw = {
        "api_base": m.url,
        "tenant_id": "tenant-1",
        "client_id": "app-1",
        "client_secret": "s3cret/+=",
        "azure_authority_host": m.url,
    }
    for _ in range(3):
        litellm_rs.completion(model="azure/dep", messages=MESSAGES, **kw)
    token_calls = [r for r in m.requests if r.path.endswith("/token")]
    assert len(token_calls) == 1
    form = token_calls[0].raw.decode()
    assert "grant_type=client_credentials" in form and "client_secret=s3cret%2F%2B%3D" in form
    assert "scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default" in form
    assert m.requests[-1].headers["authorization"] == "Bearer eyJ.client-cred"


def test_client_credentials_failure_is_an_auth_error_without_the_secret(m):
    m.on(
        "POST",
        r"/tenant-2/oauth2/v2.0/token",
        status=401,
        json_body={"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
    )
    with pytest.raises(AuthenticationError) as ei:
        litellm_rs.completion(
            model="azure/dep",
            messages=MESSAGES,
            api_base=m.url,
            tenant_id="tenant-2",
            client_id="app",
            client_secret="very-secret-value",
            azure_authority_host=m.url,
        )
    assert "very-secret-value" not in str(ei.value) and "very-secret-value" not in repr(ei.value)
    assert ei.value.llm_provider == "azure"


def test_missing_credentials_is_a_clear_auth_error(monkeypatch):
    for var in ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_AD_TOKEN", "AZURE_TENANT_ID"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(AuthenticationError, match="azure_ad_token"):
        litellm_rs.completion(model="azure/dep", messages=MESSAGES, api_base="http://127.0.0.1:9")


def test_content_filter_error(m):
    m.on(
        "POST",
        r"/chat/completions",
        status=400,
        json_body={
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
                "policy. Please modify your prompt and retry.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
            }
        },
    )
    with pytest.raises(ContentPolicyViolationError) as ei:
        litellm_rs.completion(model="azure/dep", messages=MESSAGES, api_base=m.url, api_key="k")
    assert ei.value.status_code == 400 and ei.value.llm_provider == "azure"


def test_stream_with_prompt_filter_chunk(m):
    base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    m.on(
        "POST",
        r"/chat/completions",
        sse=[
            {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": []},
            dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]),
            dict(base, choices=[{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]),
            dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]),
            "[DONE]",
        ],
    )
    chunks = list(litellm_rs.completion(model="azure/dep", messages=MESSAGES, api_base=m.url, api_key="k", stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hi"
    assert m.requests[-1].body["stream"] is True


async def test_async_embedding(m):
    m.on(
        "POST",
        r"/openai/deployments/emb/embeddings",
        json_body={
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 2, "total_tokens": 2},
        },
    )
    r = await litellm_rs.aembedding(model="azure/emb", input=["a"], api_base=m.url, api_key="k")
    assert r.data[0]["embedding"] == [0.1, 0.2]
    assert m.requests[-1].headers["api-key"] == "k"


def test_azure_ai_foundry(m):
    m.on("POST", r"/v1/chat/completions", json_body=CHAT)
    litellm_rs.completion(model="azure_ai/mistral-large", messages=MESSAGES, api_base=m.url + "/v1", api_key="fk")
    seen = m.requests[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer fk"
    assert seen.body["model"] == "mistral-large"

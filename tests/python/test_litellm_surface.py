"""The litellm helpers frameworks call besides completion: environment checks, parameter mapping,
secrets, thinking normalisation, credentials, and the module paths they import them from."""

from __future__ import annotations

import importlib

import litellm_rs
import pytest
from litellm_rs import utils


def test_validate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert litellm_rs.validate_environment() == {"keys_in_environment": False, "missing_keys": []}
    assert litellm_rs.validate_environment("groq/llama-3.3-70b-versatile") == {
        "keys_in_environment": False,
        "missing_keys": ["GROQ_API_KEY"],
    }
    monkeypatch.setenv("GROQ_API_KEY", "gsk-x")
    assert litellm_rs.validate_environment("groq/llama-3.3-70b-versatile")["keys_in_environment"] is True
    # a key given to the call counts; Azure needs its base and version too
    assert litellm_rs.validate_environment("gpt-4o-mini", api_key="sk-x")["keys_in_environment"] is True
    assert litellm_rs.validate_environment("azure/my-deployment", api_key="k")["missing_keys"] == [
        "AZURE_API_BASE",
        "AZURE_API_VERSION",
    ]
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "t")
    assert litellm_rs.validate_environment("anthropic/claude-sonnet-4-5")["keys_in_environment"] is True
    # local servers need nothing; an unknown provider tells nothing
    assert litellm_rs.validate_environment("ollama/llama3") == {"keys_in_environment": True, "missing_keys": []}
    assert litellm_rs.validate_environment("nosuchprovider/x") == {"keys_in_environment": False, "missing_keys": []}


def test_get_optional_params() -> None:
    params = litellm_rs.get_optional_params("gpt-4o-mini", temperature=0.2, stream=False, tools=None, seed=7)
    assert params == {"temperature": 0.2, "seed": 7}
    with pytest.raises(litellm_rs.UnsupportedParamsError) as info:
        litellm_rs.get_optional_params("groq/llama-3.3-70b-versatile", custom_llm_provider="groq", logit_bias={"1": 1})
    assert "logit_bias" in str(info.value) and info.value.llm_provider == "groq"
    dropped = litellm_rs.get_optional_params(
        "groq/llama-3.3-70b-versatile", custom_llm_provider="groq", drop_params=True, logit_bias={"1": 1}, top_p=0.5
    )
    assert dropped == {"top_p": 0.5}
    thinking = litellm_rs.get_optional_params(
        "anthropic/claude-sonnet-4-5", thinking={"type": "enabled", "budgetTokens": 1024}
    )
    assert thinking == {"thinking": {"type": "enabled", "budget_tokens": 1024}}


def test_thinking_secrets_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    assert utils.validate_and_fix_thinking_param(True) == {"type": "enabled", "budget_tokens": 2048}
    assert utils.validate_and_fix_thinking_param(False) is None
    assert utils.validate_and_fix_thinking_param({"type": "enabled", "budget_tokens": 5, "budgetTokens": 9}) == {
        "type": "enabled",
        "budget_tokens": 5,
    }
    monkeypatch.setenv("USE_LITELLM_PROXY", "True")
    monkeypatch.setenv("SOME_FLAG", "maybe")
    assert litellm_rs.get_secret_bool("USE_LITELLM_PROXY") is True
    assert litellm_rs.get_secret_bool("SOME_FLAG") is None
    assert litellm_rs.get_secret_bool("UNSET_FLAG_XYZ") is None
    assert litellm_rs.get_secret("os.environ/USE_LITELLM_PROXY") == "True"
    litellm_rs.credential_list = [
        {"credential_name": "team-a", "credential_values": {"api_key": "sk-a", "api_base": "https://a"}}
    ]
    kwargs = {"litellm_credential_name": "team-a", "api_base": "https://mine"}
    utils.load_credentials_from_list(kwargs)
    assert kwargs == {"litellm_credential_name": "team-a", "api_base": "https://mine", "api_key": "sk-a"}


def test_lists_and_module_paths() -> None:
    assert "gpt-4o-mini" in litellm_rs.model_list and "groq" in litellm_rs.provider_list
    assert litellm_rs.OPENAI_CHAT_COMPLETION_PARAMS.count("temperature") == 2  # litellm's list, as it is
    assert "tools" in litellm_rs.OPENAI_CHAT_COMPLETION_PARAMS
    paths = {
        "litellm_rs.litellm_core_utils.get_supported_openai_params": "get_supported_openai_params",
        "litellm_rs.litellm_core_utils.get_llm_provider_logic": "get_llm_provider",
        "litellm_rs.secret_managers.main": "get_secret_bool",
        "litellm_rs.utils": "ProviderConfigManager",
        "litellm_rs.main": "ModelResponse",
    }
    for module, name in paths.items():
        assert getattr(importlib.import_module(module), name) is not None
    assert utils.ProviderConfigManager.get_provider_responses_api_config(provider="openai", model="gpt-4o") is None
    info, model = importlib.import_module("litellm_rs.main").responses_api_bridge_check("gpt-4o-mini", "openai")
    assert info["mode"] == "chat" and model == "gpt-4o-mini"


def test_internal_flags_are_not_sent(mock) -> None:
    litellm_rs.completion(
        model="openai/gpt-4o-mini",
        api_base=mock.url,
        api_key="sk-x",
        messages=[{"role": "user", "content": "hi"}],
        _skip_mcp_handler=True,
        num_ctx=4096,
        retry_strategy="exponential_backoff_retry",
        cache={"no-cache": True, "no-store": True},
    )
    body = mock.last.body
    assert "_skip_mcp_handler" not in body and "retry_strategy" not in body and "cache" not in body
    assert body["num_ctx"] == 4096  # a provider parameter: passed through, as litellm does for OpenAI-compatible APIs

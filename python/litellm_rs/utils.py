"""Names that user code imports from ``litellm.utils`` (response types, stream wrappers, the call
helpers, model information and token counting). Importing it loads the response types (pydantic)."""

from __future__ import annotations

import os
import sys
from typing import Any

from . import _core
from .constants import DEFAULT_REASONING_EFFORT_MEDIUM_THINKING_BUDGET
from .cost import (
    completion_cost,
    get_max_tokens,
    get_model_info,
    supports_audio_input,
    supports_audio_output,
    supports_function_calling,
    supports_parallel_function_calling,
    supports_pdf_input,
    supports_prompt_caching,
    supports_reasoning,
    supports_response_schema,
    supports_system_messages,
    supports_tool_choice,
    supports_vision,
    supports_web_search,
)
from .main import get_llm_provider, get_supported_openai_params, stream_chunk_builder
from .secret_managers.main import get_secret, get_secret_bool, get_secret_str
from .streaming import CustomStreamWrapper, TextCompletionStreamWrapper
from .tokens import decode, encode, token_counter
from .types.utils import (
    ChatCompletionDeltaToolCall,
    ChatCompletionMessageToolCall,
    Choices,
    Delta,
    Embedding,
    EmbeddingResponse,
    Function,
    FunctionCall,
    Message,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
    TextChoices,
    TextCompletionResponse,
    Usage,
)

_pkg: Any = sys.modules[__package__]
_CHECKED: list[frozenset[str]] = []


def _checked_params() -> frozenset[str]:
    """The OpenAI parameters the engine checks against each provider's supported list."""
    if not _CHECKED:
        _CHECKED.append(frozenset(_core.openai_chat_params()))
    return _CHECKED[0]


_AUTH_WORDS = ("KEY", "TOKEN")


def validate_environment(
    model: str | None = None,
    api_key: str | None = None,
    api_base: str | None = None,
    api_version: str | None = None,
) -> dict[str, Any]:
    """Whether the environment holds what ``model``'s provider needs:
    ``{"keys_in_environment": bool, "missing_keys": [names]}``. A key, base or version given here
    counts as present. Without a model, or for a model no provider serves, nothing is known
    (``keys_in_environment`` False, no missing keys), as in litellm."""
    if model is None:
        return {"keys_in_environment": False, "missing_keys": []}
    try:
        provider = get_llm_provider(model)[1]
    except Exception:  # noqa: BLE001 - no provider serves it: nothing is known, as in litellm
        return {"keys_in_environment": False, "missing_keys": []}
    groups = _core.provider_env_requirements(provider)
    if groups is None:
        return {"keys_in_environment": False, "missing_keys": []}
    missing: list[str] = []
    for names in groups:
        if any(os.environ.get(name) for name in names):
            continue
        first = names[0]
        if api_key and any(word in first for word in _AUTH_WORDS):
            continue
        if api_base and ("API_BASE" in first or "ENDPOINT" in first):
            continue
        if api_version and "API_VERSION" in first:
            continue
        missing.append(first)
    return {"keys_in_environment": not missing, "missing_keys": missing}


def validate_and_fix_thinking_param(thinking: Any) -> Any:
    """``thinking`` as providers take it: True is enabled with the medium budget, False is None,
    and a ``budgetTokens`` key is spelled ``budget_tokens``."""
    if thinking is True:
        return {"type": "enabled", "budget_tokens": DEFAULT_REASONING_EFFORT_MEDIUM_THINKING_BUDGET}
    if thinking is False:
        return None
    if not isinstance(thinking, dict):
        return thinking
    fixed = dict(thinking)
    budget = fixed.pop("budgetTokens", None)
    if budget is not None and "budget_tokens" not in fixed:
        fixed["budget_tokens"] = budget
    return fixed


def get_optional_params(
    model: str, custom_llm_provider: str | None = "", drop_params: bool | None = None, **params: Any
) -> dict[str, Any]:
    """The OpenAI parameters of a call that go to ``model``'s provider: those set (not None), that
    the provider takes. A parameter it does not take raises ``UnsupportedParamsError``, or is left
    out with ``drop_params=True`` (or ``litellm_rs.drop_params``). ``stream=False`` is left out.
    Parameters are given by their OpenAI names; the provider-specific spelling is the engine's."""
    from .exceptions import UnsupportedParamsError

    provider = custom_llm_provider or get_llm_provider(model)[1]
    supported = get_supported_openai_params(model, provider) or []
    allowed = params.pop("allowed_openai_params", None) or []
    drop = drop_params if drop_params is not None else bool(_pkg.drop_params)
    extra = params.pop("additional_drop_params", None) or []
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or name in extra or (name == "stream" and value is False):
            continue
        if name == "thinking":
            value = validate_and_fix_thinking_param(value)
            if value is None:
                continue
        if name in supported or name in allowed or name not in _checked_params():
            out[name] = value  # supported, or a parameter the engine passes through (thinking, top_k, ...)
        elif not drop:
            raise UnsupportedParamsError(
                message=f"{provider} does not support parameters: {[name]}, for model={model}. To drop "
                "these, set `litellm_rs.drop_params=True` or pass `drop_params=True`.",
                model=model,
                llm_provider=provider,
            )
    return out


def load_credentials_from_list(kwargs: dict[str, Any], call_type: str | None = None) -> None:
    """Fills ``kwargs`` from the named credential (``litellm_credential_name``) in
    ``litellm_rs.credential_list``; values given in ``kwargs`` win."""
    name = kwargs.get("litellm_credential_name")
    if not name:
        return
    for item in _pkg.credential_list or []:
        item_name = item.get("credential_name") if isinstance(item, dict) else getattr(item, "credential_name", None)
        if item_name != name:
            continue
        values = item.get("credential_values") if isinstance(item, dict) else getattr(item, "credential_values", None)
        for key, value in (values or {}).items():
            if kwargs.get(key) is None:
                kwargs[key] = value
        return


class ProviderConfigManager:
    """Which per-provider API configurations litellm_rs has. Only the chat, text and embedding
    endpoints are served (through the engine); there is no per-provider Responses API config."""

    @staticmethod
    def get_provider_responses_api_config(provider: Any = None, model: str | None = None) -> None:
        return None


__all__ = [
    "ChatCompletionDeltaToolCall",
    "ChatCompletionMessageToolCall",
    "Choices",
    "CustomStreamWrapper",
    "Delta",
    "Embedding",
    "EmbeddingResponse",
    "Function",
    "FunctionCall",
    "Message",
    "ModelResponse",
    "ModelResponseStream",
    "ProviderConfigManager",
    "StreamingChoices",
    "TextChoices",
    "TextCompletionResponse",
    "TextCompletionStreamWrapper",
    "Usage",
    "completion_cost",
    "decode",
    "encode",
    "get_llm_provider",
    "get_max_tokens",
    "get_model_info",
    "get_optional_params",
    "get_secret",
    "get_secret_bool",
    "get_secret_str",
    "get_supported_openai_params",
    "load_credentials_from_list",
    "stream_chunk_builder",
    "supports_audio_input",
    "supports_audio_output",
    "supports_function_calling",
    "supports_parallel_function_calling",
    "supports_pdf_input",
    "supports_prompt_caching",
    "supports_reasoning",
    "supports_response_schema",
    "supports_system_messages",
    "supports_tool_choice",
    "supports_vision",
    "supports_web_search",
    "token_counter",
    "validate_and_fix_thinking_param",
    "validate_environment",
]

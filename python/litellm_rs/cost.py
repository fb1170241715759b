"""Cost and model information, with litellm's names: ``completion_cost``, ``cost_per_token``,
``get_model_info``, ``get_max_tokens``, ``register_model``, the ``supports_*`` helpers,
``cheaper_alternatives`` and the ``model_cost`` map.

The map is compiled into the engine (generated from litellm's price facts) and parsed on first
use; ``LITELLM_MODEL_COST_MAP_PATH`` names a JSON file in litellm's format merged over it, and
``register_model`` adds or updates entries for every later cost. Nothing here touches the network.
"""
# ruff: noqa: UP007, UP045 (annotations stay evaluable on Python 3.9)

from __future__ import annotations

import json
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

from . import _core

__all__ = [
    "cheaper_alternatives",
    "completion_cost",
    "cost_per_token",
    "get_max_tokens",
    "get_model_info",
    "register_model",
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
]

_MAP_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
_PRICING_KEYS = (
    "input_cost_per_token", "output_cost_per_token", "input_cost_per_second", "output_cost_per_second",
    "base_model", "model_info",
)  # fmt: skip


def _model_cost() -> dict:
    """The ``model_cost`` dict (built once, then kept in step with ``register_model``)."""
    pkg = sys.modules[__package__]
    cached = pkg.__dict__.get("model_cost")
    if cached is None:
        cached = json.loads(_core.model_cost_json())
        pkg.__dict__["model_cost"] = cached
    return cached


def _not_mapped(model: str, custom_llm_provider: Optional[str]) -> Exception:
    from .exceptions import ModelNotMappedError

    return ModelNotMappedError(
        f"This model isn't mapped yet. model={model}, custom_llm_provider={custom_llm_provider}. "
        f"Add it here - {_MAP_URL}.",
        model=model,
        llm_provider=custom_llm_provider,
    )


def register_model(model_cost: Union[dict, str]) -> dict:
    """Add or update model-map entries (litellm's format) from a dict or a JSON file path; later
    costs, ``get_model_info`` and ``model_cost`` use them. Returns the registered entries."""
    if isinstance(model_cost, str):
        if model_cost.startswith(("http://", "https://")):
            raise ValueError("register_model takes a dict or a local JSON file path (no network access)")
        with open(model_cost, encoding="utf-8") as fh:
            model_cost = json.load(fh)
    if not isinstance(model_cost, dict):
        raise TypeError("register_model takes a dict of model entries or a path to a JSON file")
    _core.register_model_json(json.dumps(model_cost))
    pkg = sys.modules[__package__]
    cached = pkg.__dict__.get("model_cost")
    if cached is not None:
        for key, value in model_cost.items():
            if isinstance(value, dict):
                cached.setdefault(key, {}).update(value)
    return model_cost


def get_model_info(model: str, custom_llm_provider: Optional[str] = None) -> dict:
    """The model's limits, prices, mode, provider and capability flags (litellm's ``ModelInfo``
    keys); raises ``ModelNotMappedError`` for a model not in the map."""
    info = _core.model_info(model, custom_llm_provider)
    if info is None:
        raise _not_mapped(model, custom_llm_provider)
    if info.get("supported_openai_params") is None:
        provider = custom_llm_provider or info.get("litellm_provider")
        info["supported_openai_params"] = _core.get_supported_openai_params(model, provider)
    # every key litellm's answer has, in its order (None where the model has no value), then
    # any further key of the entry
    from ._model_info_keys import MODEL_INFO_KEYS

    out = {key: info.pop(key, None) for key in MODEL_INFO_KEYS}
    out.update(info)
    return out


def get_max_tokens(model: str) -> Optional[int]:
    """The model's maximum output tokens; raises for a model not in the map."""
    info = _core.model_info(model, None)
    if info is None:
        raise _not_mapped(model, None)
    return info.get("max_output_tokens") or info.get("max_tokens")


def _supports(flag: str, model: str, custom_llm_provider: Optional[str]) -> bool:
    info = _core.model_info(model, custom_llm_provider)
    return bool(info and info.get(flag))


def supports_function_calling(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_function_calling", model, custom_llm_provider)


def supports_parallel_function_calling(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_parallel_function_calling", model, custom_llm_provider)


def supports_vision(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_vision", model, custom_llm_provider)


def supports_response_schema(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_response_schema", model, custom_llm_provider)


def supports_reasoning(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_reasoning", model, custom_llm_provider)


def supports_prompt_caching(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_prompt_caching", model, custom_llm_provider)


def supports_audio_input(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_audio_input", model, custom_llm_provider)


def supports_audio_output(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_audio_output", model, custom_llm_provider)


def supports_pdf_input(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_pdf_input", model, custom_llm_provider)


def supports_system_messages(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_system_messages", model, custom_llm_provider)


def supports_web_search(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_web_search", model, custom_llm_provider)


def supports_tool_choice(model: str, custom_llm_provider: Optional[str] = None) -> bool:
    return _supports("supports_tool_choice", model, custom_llm_provider)


def cheaper_alternatives(model: str, custom_llm_provider: Optional[str] = None, limit: Optional[int] = None) -> list:
    """Models of the same mode whose capability flags include every flag of ``model``, with a lower
    input + output price per token, cheapest first: dicts with ``model``, ``litellm_provider``,
    ``input_cost_per_token``, ``output_cost_per_token`` and ``savings`` (the fraction saved)."""
    found = _core.cheaper_alternatives(model, custom_llm_provider)
    if found is None:
        raise _not_mapped(model, custom_llm_provider)
    own = _core.model_info(model, custom_llm_provider) or {}
    own_price = (own.get("input_cost_per_token") or 0.0) + (own.get("output_cost_per_token") or 0.0)
    out = []
    for key, provider, price in found[:limit] if limit is not None else found:
        entry = _core.model_info(key, None) or {}
        out.append(
            {
                "model": key,
                "litellm_provider": provider,
                "input_cost_per_token": entry.get("input_cost_per_token"),
                "output_cost_per_token": entry.get("output_cost_per_token"),
                "savings": 1.0 - price / own_price if own_price else 0.0,
            }
        )
    return out


def _usage_dict(usage: Any) -> dict:
    if usage is None:
        return {}
    if isinstance(usage, dict):
        return usage
    dump = getattr(usage, "model_dump", None)
    if dump is not None:
        return dump(exclude_none=True)
    return dict(usage)


def _pricing(
    custom_cost_per_token: Optional[dict],
    custom_cost_per_second: Optional[float],
    base_model: Optional[str],
    extra: Optional[dict] = None,
) -> Optional[str]:
    pricing: dict = {}
    if extra:
        pricing.update({k: v for k, v in extra.items() if k in _PRICING_KEYS and v is not None})
    if custom_cost_per_token:
        for key in ("input_cost_per_token", "output_cost_per_token"):
            if custom_cost_per_token.get(key) is not None:
                pricing[key] = custom_cost_per_token[key]
    if custom_cost_per_second is not None:
        pricing["output_cost_per_second"] = custom_cost_per_second
    if base_model:
        pricing["base_model"] = base_model
    return json.dumps(pricing) if pricing else None


def cost_per_token(
    model: str = "",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    response_time_ms: Optional[float] = 0.0,
    custom_llm_provider: Optional[str] = None,
    region_name: Optional[str] = None,
    prompt_characters: Optional[int] = None,
    completion_characters: Optional[int] = None,
    cache_creation_input_tokens: Optional[int] = 0,
    cache_read_input_tokens: Optional[int] = 0,
    custom_cost_per_token: Optional[dict] = None,
    custom_cost_per_second: Optional[float] = None,
    usage_object: Any = None,
    call_type: str = "completion",
    audio_transcription_file_duration: float = 0.0,
    service_tier: Optional[str] = None,
    response: Any = None,
    base_model: Optional[str] = None,
) -> tuple[float, float]:
    """``(prompt_cost, completion_cost)`` in USD. ``prompt_tokens`` includes the cache reads and
    writes (``cache_read_input_tokens`` / ``cache_creation_input_tokens``), which are priced at the
    model's cache prices; ``usage_object`` (a ``Usage``) gives every bucket at once."""
    if usage_object is not None:
        usage = _usage_dict(usage_object)
    else:
        usage = {"prompt_tokens": prompt_tokens or 0, "completion_tokens": completion_tokens or 0}
        if cache_read_input_tokens:
            usage["cache_read_input_tokens"] = cache_read_input_tokens
        if cache_creation_input_tokens:
            usage["cache_creation_input_tokens"] = cache_creation_input_tokens
    pricing = _pricing(custom_cost_per_token, custom_cost_per_second, base_model)
    kind = _AUDIO_CALLS.get(call_type)
    if kind is not None:
        found = _core.audio_cost(
            model,
            custom_llm_provider,
            kind,
            json.dumps(usage),
            prompt_characters,
            float(audio_transcription_file_duration or 0.0),
            pricing,
        )
    else:
        found = _core.cost_per_token(
            model, custom_llm_provider, json.dumps(usage), pricing, service_tier, float(response_time_ms or 0.0)
        )
    if found is None:
        from .exceptions import NotFoundError

        raise NotFoundError(
            message=f"Model not in model_prices_and_context_window.json. You passed model={model}, "
            f"custom_llm_provider={custom_llm_provider}. Register pricing for model - "
            "https://docs.litellm.ai/docs/proxy/custom_pricing",
            model=model,
            llm_provider=custom_llm_provider or "",
        )
    return found


def _count_tokens(model: str, text: str = "", messages: Optional[list] = None) -> int:
    counter = getattr(sys.modules[__package__], "token_counter", None)
    if counter is not None:
        try:
            return counter(model=model, messages=messages) if messages else counter(model=model, text=text)
        except Exception:  # noqa: BLE001, S110 - fall back to the approximation below
            pass
    if messages:
        text = " ".join(str(m.get("content", "")) if isinstance(m, dict) else str(m) for m in messages)
    return (len(text) + 3) // 4  # about four characters per token


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _image_cost(
    response: Any, model: Optional[str], provider: Optional[str], size: Optional[str], quality: Optional[str], n: Any
) -> float:
    """litellm's image pricing: per image or per pixel of the model's entry for the size and quality;
    ``n`` defaults to the images in the response (else 1)."""
    hidden = _field(response, "_hidden_params") or {}
    name = model or hidden.get("model")
    if not name:
        raise ValueError("completion_cost(call_type='image_generation') needs model=")
    if n is None:
        data = _field(response, "data")
        n = len(data) if isinstance(data, list) and data else 1
    return float(_core.image_cost(name, provider or hidden.get("custom_llm_provider"), size, quality, int(n)))


_AUDIO_CALLS = {
    "speech": "speech",
    "aspeech": "speech",
    "transcription": "transcription",
    "atranscription": "transcription",
}


def _audio_usage(usage: Any) -> dict:
    """A speech or transcription usage as a chat usage: OpenAI's transcription usage of
    ``type: "tokens"`` (input_tokens, output_tokens, input_token_details) or a chat-shaped one."""
    usage = _usage_dict(usage)
    if usage.get("type") == "duration":
        return {}
    if "input_tokens" in usage or "output_tokens" in usage:
        out: dict = {
            "prompt_tokens": usage.get("input_tokens") or 0,
            "completion_tokens": usage.get("output_tokens") or 0,
        }
        details = usage.get("input_token_details") or {}
        if details.get("audio_tokens"):
            out["prompt_tokens_details"] = {"audio_tokens": details["audio_tokens"]}
        return out
    return usage


def _transcription_seconds(response: Any) -> float:
    """The transcribed file's seconds: ``_hidden_params["audio_transcription_duration"]``, the
    response's ``duration``, or the ``seconds`` of a ``type: "duration"`` usage (OpenAI's whisper
    answers carry it; litellm 1.110.2 reads it only for some models and prices the rest at 0)."""
    if response is None:
        return 0.0
    hidden = _field(response, "_hidden_params") or {}
    for value in (hidden.get("audio_transcription_duration"), _field(response, "duration")):
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    usage = _usage_dict(_field(response, "usage"))
    if usage.get("type") == "duration" and isinstance(usage.get("seconds"), (int, float)):
        return float(usage["seconds"])
    return 0.0


def _audio_cost(
    kind: str,
    response: Any,
    model: Optional[str],
    provider: Optional[str],
    prompt: str,
    pricing: Optional[str],
) -> float:
    """A speech call priced by its input characters (whitespace not counted, as litellm counts
    them, or ``_hidden_params["billed_characters"]``) or its usage; a transcription by the file's
    seconds or its usage."""
    hidden = _field(response, "_hidden_params") or {}
    name = model or hidden.get("model")
    if not name:
        raise ValueError(f"completion_cost(call_type={kind!r}) needs model=")
    provider = provider or hidden.get("custom_llm_provider")
    usage = _audio_usage(_field(response, "usage"))
    characters = None
    seconds = 0.0
    if kind == "speech":
        billed = hidden.get("billed_characters")
        characters = billed if isinstance(billed, int) else sum(1 for ch in prompt or "" if not ch.isspace())
    else:
        seconds = _transcription_seconds(response)
    found = _core.audio_cost(name, provider, kind, json.dumps(usage), characters, seconds, pricing)
    if found is None:
        raise _not_mapped(name, provider)
    return found[0] + found[1]


def completion_cost(
    completion_response: Any = None,
    model: Optional[str] = None,
    prompt: str = "",
    messages: Optional[list] = None,
    completion: str = "",
    total_time: Optional[float] = 0.0,
    call_type: str = "completion",
    size: Optional[str] = None,
    quality: Optional[str] = None,
    n: Optional[int] = None,
    custom_llm_provider: Optional[str] = None,
    region_name: Optional[str] = None,
    custom_cost_per_token: Optional[dict] = None,
    custom_cost_per_second: Optional[float] = None,
    base_model: Optional[str] = None,
    service_tier: Optional[str] = None,
    litellm_model_name: Optional[str] = None,
    **kwargs: Any,
) -> float:
    """The USD cost of a response (its usage, model and provider), or of ``prompt``/``messages``
    and ``completion`` texts for ``model``. For a response it equals
    ``response._hidden_params["response_cost"]``."""
    if call_type in ("image_generation", "aimage_generation"):
        return _image_cost(completion_response, model, custom_llm_provider, size, quality, n)
    if call_type in _AUDIO_CALLS:
        pricing = _pricing(custom_cost_per_token, custom_cost_per_second, base_model)
        return _audio_cost(_AUDIO_CALLS[call_type], completion_response, model, custom_llm_provider, prompt, pricing)
    overrides = custom_cost_per_token or custom_cost_per_second is not None or base_model or service_tier
    if completion_response is not None:
        hidden = getattr(completion_response, "_hidden_params", None) or {}
        if isinstance(completion_response, dict):
            hidden = completion_response.get("_hidden_params") or {}
        if model is None and not overrides and hidden.get("response_cost") is not None:
            return float(hidden["response_cost"])
        get = completion_response.get if isinstance(completion_response, dict) else None
        usage = get("usage") if get else getattr(completion_response, "usage", None)
        name = model or hidden.get("litellm_model_name") or litellm_model_name
        if not name:
            name = get("model") if get else getattr(completion_response, "model", None)
        provider = custom_llm_provider or hidden.get("custom_llm_provider")
        usage_dict = _usage_dict(usage)
        response_ms = hidden.get("_response_ms") or 0.0
    else:
        name = model
        provider = custom_llm_provider
        prompt_tokens = _count_tokens(model or "", text=prompt, messages=messages)
        completion_tokens = _count_tokens(model or "", text=completion)
        usage_dict = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        response_ms = (total_time or 0.0) * 1000.0
    if not name:
        raise ValueError("completion_cost needs a completion_response or a model")
    pricing = _pricing(custom_cost_per_token, custom_cost_per_second, base_model)
    found = _core.cost_per_token(name, provider, json.dumps(usage_dict), pricing, service_tier, float(response_ms))
    if found is None:
        raise _not_mapped(name, provider)
    return found[0] + found[1]

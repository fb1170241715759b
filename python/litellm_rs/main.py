"""The call functions: ``completion``, ``acompletion``, ``text_completion``, ``embedding``, ...

Each call sorts its arguments once into two plain dicts and makes one call into the engine:

* ``request``: the OpenAI-shaped body (model, messages, temperature, tools, ... and any
  provider-specific extra such as ``top_k``, which passes through);
* ``options``: litellm-owned kwargs (api_key, api_base, timeout, num_retries, mock_response, ...)
  plus the current module settings (read at call time, so assigning ``litellm_rs.drop_params``
  or a ``*_key`` setting takes effect on the next call).

The engine answers with JSON bytes that pydantic validates in one pass. Importing this module
imports neither pydantic nor asyncio: the response types load on first use.
"""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import sys

from . import _aio, _callbacks, _core
from .streaming import CustomStreamWrapper, TextCompletionStreamWrapper

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at runtime: importing litellm_rs stays cheap
    from typing import Any, Callable, Optional

__all__ = [
    "acompletion",
    "aembedding",
    "atext_completion",
    "completion",
    "embedding",
    "get_llm_provider",
    "get_supported_openai_params",
    "mock_completion",
    "provider_list",  # noqa: F822 - computed on first access by __getattr__
    "stream_chunk_builder",
    "text_completion",
]

_pkg: Any = sys.modules[__package__]

# ---------------------------------------------------------------------------------------------
# argument sorting
# ---------------------------------------------------------------------------------------------

# litellm-owned kwargs: they steer the call and never go upstream.
_OPTION_KEYS = frozenset(
    {
        # endpoint, credentials, transport
        "api_key", "api_base", "base_url", "api_version", "api_type", "organization", "custom_llm_provider",
        "timeout", "request_timeout", "stream_timeout", "force_timeout", "ssl_verify", "client",
        "shared_session", "use_litellm_proxy", "extra_headers", "headers", "extra_body",
        "provider_specific_header", "deployment_id", "model_list", "region_name", "tenant_id", "client_id",
        "client_secret", "azure", "azure_ad_token", "azure_ad_token_provider", "azure_username",
        "azure_password", "azure_scope", "litellm_credential_name", "configurable_clientside_auth_params",
        # reliability
        "num_retries", "max_retries", "retry_policy", "retry_strategy", "fallbacks",
        "context_window_fallback_dict", "context_window_fallbacks", "content_policy_fallbacks",
        "max_fallbacks", "fallback_depth", "cooldown_time", "model_group",
        # parameter handling
        "drop_params", "additional_drop_params", "allowed_openai_params", "modify_params",
        "merge_reasoning_content_in_choices", "enable_json_schema_validation",
        "ensure_alternating_roles", "user_continue_message", "assistant_continue_message",
        "supports_system_message", "disable_add_transform_inline_image_block",
        # prompt templates (huggingface / together / ...)
        "initial_prompt_value", "roles", "final_prompt_value", "bos_token", "eos_token", "hf_model_name",
        # testing
        "mock_response", "mock_timeout", "mock_delay", "mock_tool_calls",
        # logging, tracing, callbacks
        "metadata", "litellm_metadata", "tags", "litellm_call_id", "litellm_session_id", "litellm_trace_id",
        "litellm_logging_obj", "proxy_server_request", "logger_fn", "verbose", "no-log", "no_log",
        "turn_off_message_logging", "litellm_disabled_callbacks", "callbacks", "success_callback",
        "failure_callback", "id", "model_file_id_mapping",
        # caching
        "caching", "cache", "cache_key", "preset_cache_key", "caching_groups", "ttl",
        # pricing and model info
        "input_cost_per_token", "output_cost_per_token", "input_cost_per_second", "output_cost_per_second",
        "base_model", "model_info", "model_config", "cost_per_token",
        # routing metadata
        "rpm", "tpm", "weight", "order", "max_parallel_requests", "max_budget", "budget_duration",
        "allowed_model_region", "fastest_response", "use_in_pass_through", "model_alias_map",
        # prompt management
        "prompt_id", "prompt_variables", "prompt_version", "prompt_label",
        # internal call flags
        "acompletion", "aembedding", "atext_completion", "text_completion", "aimg_generation", "self",
        "use_client", "complete_response", "litellm_proxy_rate_limit_response",
    }
)  # fmt: skip

# kwargs families that are litellm-owned by prefix (mostly per-token pricing overrides and
# provider auth such as aws_access_key_id or vertex_credentials)
_OPTION_PREFIXES = (
    "litellm_", "input_cost_per_", "output_cost_per_", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "aws_", "vertex_", "azure_", "mock_", "langfuse_",
    "langsmith_", "humanloop_", "arize_", "gcs_", "user_api_key",
)  # fmt: skip

# live Python objects the engine cannot take; they are dropped (or resolved) here
_PYTHON_ONLY = frozenset(
    {
        "client", "shared_session", "litellm_logging_obj", "logger_fn", "litellm_parent_otel_span",
        "azure_ad_token_provider", "acompletion", "aembedding", "atext_completion", "text_completion",
        "aimg_generation", "self", "use_client", "complete_response", "verbose",
    }
)  # fmt: skip

_CHAT_BODY = (
    "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_completion_tokens", "max_tokens",
    "modalities", "prediction", "audio", "presence_penalty", "frequency_penalty", "logit_bias", "user",
    "reasoning_effort", "verbosity", "response_format", "seed", "tools", "tool_choice", "logprobs",
    "top_logprobs", "parallel_tool_calls", "web_search_options", "include_server_side_tool_invocations",
    "safety_identifier", "service_tier", "store", "prompt_cache_key", "prompt_cache_retention", "functions",
    "function_call", "thinking",
)  # fmt: skip
_CHAT_OPTIONS = (
    "timeout", "deployment_id", "extra_headers", "base_url", "api_version", "api_key", "model_list",
    "enable_json_schema_validation",
)  # fmt: skip

_TEXT_BODY = (
    "best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "n", "presence_penalty",
    "stop", "stream", "stream_options", "suffix", "temperature", "top_p", "user",
)  # fmt: skip
_TEXT_OPTIONS = ("api_base", "api_version", "api_key", "model_list", "custom_llm_provider")

_EMBEDDING_BODY = ("dimensions", "encoding_format", "user")
_EMBEDDING_OPTIONS = (
    "timeout", "api_base", "api_version", "api_key", "api_type", "caching", "custom_llm_provider",
    "litellm_call_id",
)  # fmt: skip

_DEFAULT_AZURE_API_VERSION = "2025-02-01-preview"
_ENV_PREFIX = "os.environ/"


def _split_kwargs(kwargs: dict[str, Any], request: dict[str, Any], options: dict[str, Any]) -> None:
    for key, value in kwargs.items():
        if value is None or key[:1] == "_":  # litellm-internal flags (``_skip_mcp_handler``, ...)
            continue
        if key in _OPTION_KEYS or key.startswith(_OPTION_PREFIXES):
            if key in _PYTHON_ONLY:
                if key == "azure_ad_token_provider" and callable(value) and "azure_ad_token" not in kwargs:
                    options["azure_ad_token"] = value()
                continue
            options[key] = value
        else:
            request[key] = value


def _message_dict(message: Any) -> Any:
    dump = getattr(message, "model_dump", None)
    if dump is not None:
        return dump(exclude_none=True)
    if hasattr(message, "keys"):
        return dict(message)
    legacy = getattr(message, "dict", None)  # pydantic v1 objects
    if legacy is not None:
        return {k: v for k, v in legacy().items() if v is not None}
    return message


def _messages(messages: Any) -> Any:
    if type(messages) is not list:
        if messages is None:
            return []
        messages = list(messages)
    for message in messages:
        if type(message) is not dict:
            return [m if type(m) is dict else _message_dict(m) for m in messages]
    return messages


def _response_format(value: Any) -> Any:
    """A pydantic class as ``response_format`` becomes a strict json_schema format."""
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        schema = _strict_schema(value.model_json_schema())
        return {
            "type": "json_schema",
            "json_schema": {"name": value.__name__, "schema": schema, "strict": True},
        }
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    return value


def _strict_schema(schema: Any) -> Any:
    # OpenAI's strict mode: every object closed, every property required
    if isinstance(schema, dict):
        out = {k: _strict_schema(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
            out["required"] = list(out["properties"].keys())
        return out
    if isinstance(schema, list):
        return [_strict_schema(v) for v in schema]
    return schema


def _seconds(value: Any) -> Optional[float]:
    """A timeout as seconds: numbers, numeric strings, httpx.Timeout (read) or aiohttp-style (total)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value)
    for attr in ("read", "total", "connect"):
        part = getattr(value, attr, None)
        if part is not None:
            return float(part)
    return None


def _resolve_env(options: dict[str, Any]) -> None:
    # "os.environ/NAME" values (proxy-config style) read the environment
    import os

    for key, value in list(options.items()):
        if type(value) is str and value.startswith(_ENV_PREFIX):
            options[key] = os.environ.get(value[len(_ENV_PREFIX) :])


def _normalize_options(options: dict[str, Any]) -> None:
    """A call's own options in the engine's shapes: ``os.environ/`` references read, ``base_url``
    as ``api_base``, timeouts in seconds."""
    for value in options.values():
        if type(value) is str and value.startswith(_ENV_PREFIX):
            _resolve_env(options)
            break
    base_url = options.pop("base_url", None)
    if base_url is not None:
        options["api_base"] = base_url
    timeout = options.pop("timeout", None)
    if timeout is None:
        timeout = options.pop("request_timeout", None)
    if timeout is not None:
        options["timeout"] = _seconds(timeout)
    stream_timeout = options.get("stream_timeout")
    if stream_timeout is not None:
        options["stream_timeout"] = _seconds(stream_timeout)


def _apply_settings(request: dict[str, Any], options: dict[str, Any]) -> None:
    """Fold the current module settings into one call's request/options (per-call values win)."""
    pkg = _pkg

    max_budget = pkg.max_budget
    if max_budget and pkg._current_cost > max_budget:
        raise _exceptions().BudgetExceededError(current_cost=pkg._current_cost, max_budget=max_budget)

    alias_map = pkg.model_alias_map
    if alias_map:
        model = request.get("model")
        if type(model) is str and model in alias_map:
            request["model"] = alias_map[model]

    _normalize_options(options)
    if "api_base" not in options:
        value = pkg.api_base
        if value is not None:
            options["api_base"] = value
    if "api_key" not in options:
        value = pkg.api_key
        if value is not None:
            options["api_key"] = value
    if "api_version" not in options:
        value = pkg.api_version
        if value is not None:
            options["api_version"] = value
    if "organization" not in options:
        value = pkg.organization
        if value is not None:
            options["organization"] = value

    module_headers = pkg.headers
    call_headers = options.pop("headers", None)
    if module_headers or call_headers:
        merged: dict[str, Any] = {}
        if module_headers:
            merged.update(module_headers)
        if call_headers:
            merged.update(call_headers)
        extra = options.get("extra_headers")
        if extra:
            merged.update(extra)
        options["extra_headers"] = merged

    options["request_timeout"] = _seconds(pkg.request_timeout)

    if "num_retries" not in options:
        value = pkg.num_retries
        if value is not None:
            options["num_retries"] = value
    if "drop_params" not in options and pkg.drop_params:
        options["drop_params"] = True
    if "modify_params" not in options and pkg.modify_params:
        options["modify_params"] = True
    if "ssl_verify" not in options:
        value = pkg.ssl_verify
        if value is not True:
            options["ssl_verify"] = value
    if "enable_json_schema_validation" not in options and pkg.enable_json_schema_validation:
        options["enable_json_schema_validation"] = True
    if "use_litellm_proxy" not in options and pkg.use_litellm_proxy:
        options["use_litellm_proxy"] = True
    if pkg.return_response_headers:
        options["return_response_headers"] = True
    if pkg.include_cost_in_streaming_usage:
        options["include_cost_in_streaming_usage"] = True
    azure_version = pkg.AZURE_DEFAULT_API_VERSION
    if azure_version != _DEFAULT_AZURE_API_VERSION:
        options["azure_default_api_version"] = azure_version
    provider_keys = pkg._provider_keys
    if provider_keys:
        options["provider_keys"] = provider_keys


def _prepare_chat(loc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    request: dict[str, Any] = {"model": loc["model"], "messages": _messages(loc["messages"])}
    for name in _CHAT_BODY:
        value = loc[name]
        if value is not None:
            request[name] = value
    options: dict[str, Any] = {}
    for name in _CHAT_OPTIONS:
        value = loc[name]
        if value is not None:
            options[name] = value
    kwargs = loc["kwargs"]
    if kwargs:
        _split_kwargs(kwargs, request, options)
    response_format = request.get("response_format")
    if response_format is not None and type(response_format) is not dict:
        request["response_format"] = _response_format(response_format)
    _apply_settings(request, options)
    if "deployment_id" in options or "azure" in options:
        # litellm's Azure shorthands: azure=True, or deployment_id as the model
        if options.pop("azure", None) is True:
            options["custom_llm_provider"] = "azure"
        deployment_id = options.pop("deployment_id", None)
        if deployment_id is not None:
            request["model"] = deployment_id
            options["custom_llm_provider"] = "azure"
    return request, options


def _prepare_routed(request: dict[str, Any], kwargs: dict[str, Any]) -> tuple[dict, dict, dict]:
    """A Router call's request, its own options, and the module settings under them (each
    deployment's ``litellm_params`` sit between the two: call > deployment > module)."""
    options: dict[str, Any] = {}
    _split_kwargs(kwargs, request, options)
    if "messages" in request:
        request["messages"] = _messages(request["messages"])
    response_format = request.get("response_format")
    if response_format is not None and type(response_format) is not dict:
        request["response_format"] = _response_format(response_format)
    defaults: dict[str, Any] = {}
    _apply_settings({}, defaults)
    _normalize_options(options)
    call_headers = options.pop("headers", None)
    if call_headers:
        merged = dict(call_headers)
        merged.update(options.get("extra_headers") or {})
        options["extra_headers"] = merged
    return request, options, defaults


def _prepare(
    loc: dict[str, Any], body: tuple[str, ...], option_names: tuple[str, ...], request: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    for name in body:
        value = loc[name]
        if value is not None:
            request[name] = value
    options: dict[str, Any] = {}
    for name in option_names:
        value = loc[name]
        if value is not None:
            options[name] = value
    kwargs = loc["kwargs"]
    if kwargs:
        _split_kwargs(kwargs, request, options)
    _apply_settings(request, options)
    return request, options


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------

_types_module: Any = None
_exceptions_module: Any = None


def _types() -> Any:
    global _types_module
    if _types_module is None:
        from .types import utils

        _types_module = utils
        # from now on the engine makes chat responses of the usual shape itself
        _core.chat_response_classes(utils._chat_response_spec())
    return _types_module


def _exceptions() -> Any:
    global _exceptions_module
    if _exceptions_module is None:
        from . import exceptions

        _exceptions_module = exceptions
    return _exceptions_module


def _track_cost(hidden: Any) -> None:
    if _pkg.max_budget and hidden:
        cost = hidden.get("response_cost")
        if cost:
            _pkg._current_cost = _pkg._current_cost + cost


def _chat_response(data: bytes, hidden: dict[str, Any]) -> Any:
    # made by the engine (the objects pydantic's validation makes); pydantic for other shapes
    response = _core.chat_response(data, hidden)
    if response is None:
        response = _types().ModelResponse.model_validate_json(data)
        response.__pydantic_private__["_hidden_params"] = hidden
    if _pkg.max_budget:
        _track_cost(hidden)
    return response


def _text_response(data: bytes, hidden: dict[str, Any]) -> Any:
    response = _types().TextCompletionResponse.model_validate_json(data)
    response.__pydantic_private__["_hidden_params"] = hidden
    if _pkg.max_budget:
        _track_cost(hidden)
    return response


def _embedding_response(data: bytes, hidden: dict[str, Any]) -> Any:
    response = _types().EmbeddingResponse.model_validate_json(data)
    response.__pydantic_private__["_hidden_params"] = hidden
    if _pkg.max_budget:
        _track_cost(hidden)
    return response


def _chat_stream(stream: Any, request: dict[str, Any], options: dict[str, Any]) -> CustomStreamWrapper:
    return CustomStreamWrapper(
        stream,
        model=request.get("model"),
        custom_llm_provider=options.get("custom_llm_provider"),
        stream_options=request.get("stream_options"),
    )


def _text_stream(stream: Any, request: dict[str, Any], options: dict[str, Any]) -> TextCompletionStreamWrapper:
    return TextCompletionStreamWrapper(
        stream,
        model=request.get("model"),
        custom_llm_provider=options.get("custom_llm_provider"),
        stream_options=request.get("stream_options"),
    )


# ---------------------------------------------------------------------------------------------
# mocks that never reach the engine
# ---------------------------------------------------------------------------------------------

_MOCK_ERRORS = {
    "litellm.RateLimitError": ("RateLimitError", "this is a mock rate limit error"),
    "litellm.ContextWindowExceededError": ("ContextWindowExceededError", "this is a mock context window exceeded error"),
    "litellm.InternalServerError": ("InternalServerError", "this is a mock internal server error"),
}  # fmt: skip

_NO_MOCK = object()


def _mock_provider(options: dict[str, Any]) -> str:
    return options.get("custom_llm_provider") or "openai"


def _mock_timeout_error(request: dict[str, Any]) -> BaseException:
    return _exceptions().Timeout(
        message="This is a mock timeout error", llm_provider="openai", model=request.get("model")
    )


def _mock_result(request: dict[str, Any], options: dict[str, Any]) -> Any:
    """Handle a ``mock_response`` that is not a plain string: raise it, or return it as a
    ModelResponse. Strings go to the engine, which builds (and streams) the mocked answer."""
    mock = options.get("mock_response")
    if mock is None:
        return _NO_MOCK
    if type(mock) is str:
        special = _MOCK_ERRORS.get(mock)
        if special is not None:
            cls = getattr(_exceptions(), special[0])
            raise cls(message=special[1], llm_provider=_mock_provider(options), model=request.get("model"))
        return _NO_MOCK
    if isinstance(mock, BaseException):
        exc = _exceptions()
        if isinstance(mock, exc._APIError):
            raise mock
        raise exc.exception_for_status(
            getattr(mock, "status_code", 500),
            getattr(mock, "text", None) or str(mock),
            llm_provider=getattr(mock, "llm_provider", None) or _mock_provider(options),
            model=request.get("model"),
        )
    types = _types()
    if isinstance(mock, types.ModelResponse):
        return mock
    if isinstance(mock, dict):
        return types.ModelResponse(**mock)
    options["mock_response"] = str(mock)
    return _NO_MOCK


def _check_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    if options.get("mock_timeout") is True and "timeout" in options:
        import time

        time.sleep(options["timeout"])
        raise _mock_timeout_error(request)
    return _mock_result(request, options)


async def _acheck_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    if options.get("mock_timeout") is True and "timeout" in options:
        import asyncio

        await asyncio.sleep(options["timeout"])
        raise _mock_timeout_error(request)
    return _mock_result(request, options)


# ---------------------------------------------------------------------------------------------
# calls with callbacks registered
# ---------------------------------------------------------------------------------------------


def _chat_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    if "mock_response" in options or "mock_timeout" in options:
        return _check_mocks(request, options)
    return _NO_MOCK


def _embedding_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    if "mock_response" in options:
        return _mock_embedding(request, options)
    return _NO_MOCK


def _logged(
    log: _callbacks.CallLogging,
    call: Callable[..., Any],
    build: Callable[..., Any],
    open_stream: Optional[Callable[..., Any]] = None,
    wrap: Optional[Callable[..., Any]] = None,
    mock: Callable[..., Any] = _chat_mocks,
) -> Any:
    """A sync call with callbacks: pre-call hooks, the call, then success or failure hooks
    (a stream's success fires when it ends)."""
    request, options = log.request, log.options
    log.pre()
    try:
        mocked = mock(request, options)
        if mocked is not _NO_MOCK:
            return log.mocked(mocked)
        if open_stream is not None and wrap is not None and request.get("stream"):
            stream = wrap(open_stream(request, options), request, options)
            stream._log = stream.logging_obj = log
            return stream
        data, hidden, payload = call(request, options)
    except Exception as exc:
        log.failure(exc)
        raise
    response = build(data, hidden)
    log.success(response, payload)
    return response


async def _alogged(
    log: _callbacks.CallLogging,
    submit: Callable[..., Any],
    build: Callable[..., Any],
    submit_stream: Optional[Callable[..., Any]] = None,
    wrap: Optional[Callable[..., Any]] = None,
    mock: Callable[..., Any] = _chat_mocks,
) -> Any:
    """The async ``_logged``: async hooks run as tasks on this loop."""
    await log.apre()
    request, options = log.request, log.options
    try:
        if mock is _chat_mocks and options.get("mock_timeout") is True and "timeout" in options:
            mocked = await _acheck_mocks(request, options)
        else:
            mocked = mock(request, options)
        if mocked is not _NO_MOCK:
            return log.mocked(mocked)
        if submit_stream is not None and wrap is not None and request.get("stream"):
            stream = wrap(await _aio.submit(submit_stream, request, options), request, options)
            stream._log = stream.logging_obj = log
            return stream
        data, hidden, payload = await _aio.submit(submit, request, options)
    except Exception as exc:
        log.failure(exc)
        raise
    response = build(data, hidden)
    log.success(response, payload)
    return response


# ---------------------------------------------------------------------------------------------
# chat completions
# ---------------------------------------------------------------------------------------------


def _completion_params(
    model: str,
    messages: list[Any] = [],  # noqa: B006 (litellm's signature; never mutated)
    timeout: Any = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    n: Optional[int] = None,
    stream: Optional[bool] = None,
    stream_options: Optional[dict] = None,
    stop: Any = None,
    max_completion_tokens: Optional[int] = None,
    max_tokens: Optional[int] = None,
    modalities: Optional[list[Any]] = None,
    prediction: Optional[dict] = None,
    audio: Optional[dict] = None,
    presence_penalty: Optional[float] = None,
    frequency_penalty: Optional[float] = None,
    logit_bias: Optional[dict] = None,
    user: Optional[str] = None,
    reasoning_effort: Optional[str] = None,
    verbosity: Optional[str] = None,
    response_format: Any = None,
    seed: Optional[int] = None,
    tools: Optional[list[Any]] = None,
    tool_choice: Any = None,
    logprobs: Optional[bool] = None,
    top_logprobs: Optional[int] = None,
    parallel_tool_calls: Optional[bool] = None,
    web_search_options: Optional[dict] = None,
    include_server_side_tool_invocations: Optional[bool] = None,
    deployment_id: Optional[str] = None,
    extra_headers: Optional[dict] = None,
    safety_identifier: Optional[str] = None,
    service_tier: Optional[str] = None,
    store: Optional[bool] = None,
    prompt_cache_key: Optional[str] = None,
    prompt_cache_retention: Optional[str] = None,
    functions: Optional[list[Any]] = None,
    function_call: Any = None,
    base_url: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    model_list: Optional[list] = None,
    thinking: Optional[dict] = None,
    shared_session: Any = None,
    enable_json_schema_validation: Optional[bool] = None,
    **kwargs: Any,
) -> Any:
    """Chat completion for any supported provider. Returns a ``ModelResponse``, or a
    ``CustomStreamWrapper`` when ``stream=True``."""
    # litellm's signature of ``completion`` (what introspection and type checkers show); calls run
    # ``_completion``, which takes the same arguments without making a dict of all its locals
    raise NotImplementedError


def _completion(model: str, messages: list[Any] = [], *args: Any, **kwargs: Any) -> Any:  # noqa: B006
    loc = _chat_locals(model, messages, args, kwargs, _COMPLETION_POSITIONAL, _COMPLETION_DEFAULTS)
    stream = loc["stream"]

    request, options = _prepare_chat(loc)
    log = _callbacks.start("completion", request, options)
    if log is not None:
        return _logged(log, _core.completion, _chat_response, _core.completion_stream, _chat_stream)
    if "mock_response" in options or "mock_timeout" in options:
        mocked = _check_mocks(request, options)
        if mocked is not _NO_MOCK:
            return mocked
    if stream:
        return _chat_stream(_core.completion_stream(request, options), request, options)
    data, hidden, _ = _core.completion(request, options)
    return _chat_response(data, hidden)


async def _acompletion_params(
    model: str,
    messages: list[Any] = [],  # noqa: B006 (litellm's signature; never mutated)
    functions: Optional[list[Any]] = None,
    function_call: Any = None,
    timeout: Any = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    n: Optional[int] = None,
    stream: Optional[bool] = None,
    stream_options: Optional[dict] = None,
    stop: Any = None,
    max_tokens: Optional[int] = None,
    max_completion_tokens: Optional[int] = None,
    modalities: Optional[list[Any]] = None,
    prediction: Optional[dict] = None,
    audio: Optional[dict] = None,
    presence_penalty: Optional[float] = None,
    frequency_penalty: Optional[float] = None,
    logit_bias: Optional[dict] = None,
    user: Optional[str] = None,
    response_format: Any = None,
    seed: Optional[int] = None,
    tools: Optional[list[Any]] = None,
    tool_choice: Any = None,
    parallel_tool_calls: Optional[bool] = None,
    logprobs: Optional[bool] = None,
    top_logprobs: Optional[int] = None,
    deployment_id: Optional[str] = None,
    reasoning_effort: Optional[str] = None,
    verbosity: Optional[str] = None,
    safety_identifier: Optional[str] = None,
    service_tier: Optional[str] = None,
    store: Optional[bool] = None,
    prompt_cache_key: Optional[str] = None,
    prompt_cache_retention: Optional[str] = None,
    base_url: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    model_list: Optional[list] = None,
    extra_headers: Optional[dict] = None,
    thinking: Optional[dict] = None,
    web_search_options: Optional[dict] = None,
    include_server_side_tool_invocations: Optional[bool] = None,
    shared_session: Any = None,
    enable_json_schema_validation: Optional[bool] = None,
    **kwargs: Any,
) -> Any:
    """Async ``completion``. With ``stream=True`` the awaited result is an async-iterable
    ``CustomStreamWrapper``."""
    # litellm's signature of ``acompletion``, as for ``completion``
    raise NotImplementedError


async def _acompletion(model: str, messages: list[Any] = [], *args: Any, **kwargs: Any) -> Any:  # noqa: B006
    loc = _chat_locals(model, messages, args, kwargs, _ACOMPLETION_POSITIONAL, _ACOMPLETION_DEFAULTS)
    stream = loc["stream"]

    request, options = _prepare_chat(loc)
    log = _callbacks.start("acompletion", request, options)
    if log is not None:
        return await _alogged(
            log, _core.acompletion_submit, _chat_response, _core.acompletion_stream_submit, _chat_stream
        )
    if "mock_response" in options or "mock_timeout" in options:
        mocked = await _acheck_mocks(request, options)
        if mocked is not _NO_MOCK:
            return mocked
    if stream:
        return _chat_stream(await _aio.submit(_core.acompletion_stream_submit, request, options), request, options)
    data, hidden, _ = await _aio.submit(_core.acompletion_submit, request, options)
    return _chat_response(data, hidden)


def _positional(params: Callable[..., Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The parameters after ``model`` and ``messages`` of a signature function, in order, and
    their defaults (read from its code object: no ``inspect`` import)."""
    code = params.__code__
    names = code.co_varnames[2 : code.co_argcount]
    defaults = params.__defaults__ or ()
    return names, dict(zip(names, defaults[len(defaults) - len(names) :]))


def _chat_locals(
    model: Any,
    messages: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    positional: tuple[str, ...],
    defaults: dict[str, Any],
) -> dict[str, Any]:
    """What ``locals()`` held in a function with the full signature: every named parameter (its
    default when not passed) and the rest under ``kwargs``."""
    loc = defaults.copy()
    if args:
        if len(args) > len(positional):
            raise TypeError(f"takes at most {len(positional) + 2} positional arguments ({len(args) + 2} given)")
        loc.update(zip(positional, args))
    extra: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in defaults:
            if args and key in positional[: len(args)]:
                raise TypeError(f"got multiple values for argument '{key}'")
            loc[key] = value
        else:
            extra[key] = value
    loc["model"] = model
    loc["messages"] = messages
    loc["kwargs"] = extra
    return loc


def _exposed(fast: Any, params: Any, name: str) -> Any:
    """``fast`` under the name, documentation and signature of ``params``."""
    fast.__name__ = fast.__qualname__ = name
    fast.__doc__ = params.__doc__
    fast.__wrapped__ = params  # inspect.signature shows the full parameter list
    fast.__annotations__ = params.__annotations__
    return fast


_COMPLETION_POSITIONAL, _COMPLETION_DEFAULTS = _positional(_completion_params)
_ACOMPLETION_POSITIONAL, _ACOMPLETION_DEFAULTS = _positional(_acompletion_params)
if TYPE_CHECKING:
    completion = _completion_params
    acompletion = _acompletion_params
else:
    completion = _exposed(_completion, _completion_params, "completion")
    acompletion = _exposed(_acompletion, _acompletion_params, "acompletion")


def mock_completion(
    model: str,
    messages: list[Any],
    stream: Optional[bool] = False,
    n: Optional[int] = None,
    mock_response: Any = "This is a mock request",
    mock_tool_calls: Optional[list[Any]] = None,
    mock_timeout: Optional[bool] = False,
    logging: Any = None,
    custom_llm_provider: Optional[str] = None,
    timeout: Any = None,
    **kwargs: Any,
) -> Any:
    """A mocked ``completion`` (no provider is called)."""
    return completion(
        model=model,
        messages=messages,
        stream=stream,
        n=n,
        mock_response=mock_response if mock_response is not None else "This is a mock request",
        mock_tool_calls=mock_tool_calls,
        mock_timeout=mock_timeout or None,
        custom_llm_provider=custom_llm_provider,
        timeout=timeout,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------
# text completions
# ---------------------------------------------------------------------------------------------


def _prepare_text(
    prompt: Any = None,
    model: Optional[str] = None,
    best_of: Optional[int] = None,
    echo: Optional[bool] = None,
    frequency_penalty: Optional[float] = None,
    logit_bias: Optional[dict] = None,
    logprobs: Optional[int] = None,
    max_tokens: Optional[int] = None,
    n: Optional[int] = None,
    presence_penalty: Optional[float] = None,
    stop: Any = None,
    stream: Optional[bool] = None,
    stream_options: Optional[dict] = None,
    suffix: Optional[str] = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    user: Optional[str] = None,
    api_base: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    model_list: Optional[list] = None,
    custom_llm_provider: Optional[str] = None,
    *args: Any,
    **kwargs: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    return _prepare(locals(), _TEXT_BODY, _TEXT_OPTIONS, {"model": model, "prompt": prompt})


def text_completion(
    prompt: Any,
    model: Optional[str] = None,
    best_of: Optional[int] = None,
    echo: Optional[bool] = None,
    frequency_penalty: Optional[float] = None,
    logit_bias: Optional[dict] = None,
    logprobs: Optional[int] = None,
    max_tokens: Optional[int] = None,
    n: Optional[int] = None,
    presence_penalty: Optional[float] = None,
    stop: Any = None,
    stream: Optional[bool] = None,
    stream_options: Optional[dict] = None,
    suffix: Optional[str] = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    user: Optional[str] = None,
    api_base: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    model_list: Optional[list] = None,
    custom_llm_provider: Optional[str] = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """Legacy ``/completions`` call. Returns a ``TextCompletionResponse``, or a
    ``TextCompletionStreamWrapper`` when ``stream=True``."""
    request, options = _prepare(locals(), _TEXT_BODY, _TEXT_OPTIONS, {"model": model, "prompt": prompt})
    log = _callbacks.start("text_completion", request, options)
    if log is not None:
        return _logged(log, _core.text_completion, _text_response, _core.text_completion_stream, _text_stream)
    if stream:
        return _text_stream(_core.text_completion_stream(request, options), request, options)
    data, hidden, _ = _core.text_completion(request, options)
    return _text_response(data, hidden)


async def atext_completion(*args: Any, **kwargs: Any) -> Any:
    """Async ``text_completion``."""
    request, options = _prepare_text(*args, **kwargs)
    log = _callbacks.start("atext_completion", request, options)
    if log is not None:
        return await _alogged(
            log, _core.atext_completion_submit, _text_response, _core.atext_completion_stream_submit, _text_stream
        )
    if request.get("stream"):
        return _text_stream(await _aio.submit(_core.atext_completion_stream_submit, request, options), request, options)
    data, hidden, _ = await _aio.submit(_core.atext_completion_submit, request, options)
    return _text_response(data, hidden)


# ---------------------------------------------------------------------------------------------
# embeddings
# ---------------------------------------------------------------------------------------------


def _prepare_embedding(
    model: str,
    input: Any = [],  # noqa: B006 (litellm's signature; never mutated)
    dimensions: Optional[int] = None,
    encoding_format: Optional[str] = None,
    timeout: Any = 600,
    api_base: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    api_type: Optional[str] = None,
    caching: Optional[bool] = None,
    user: Optional[str] = None,
    custom_llm_provider: Optional[str] = None,
    litellm_call_id: Optional[str] = None,
    logger_fn: Any = None,
    **kwargs: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    return _prepare(locals(), _EMBEDDING_BODY, _EMBEDDING_OPTIONS, {"model": model, "input": input})


def embedding(
    model: str,
    input: Any = [],  # noqa: B006 (litellm's signature; never mutated)
    dimensions: Optional[int] = None,
    encoding_format: Optional[str] = None,
    timeout: Any = 600,
    api_base: Optional[str] = None,
    api_version: Optional[str] = None,
    api_key: Optional[str] = None,
    api_type: Optional[str] = None,
    caching: Optional[bool] = None,
    user: Optional[str] = None,
    custom_llm_provider: Optional[str] = None,
    litellm_call_id: Optional[str] = None,
    logger_fn: Any = None,
    **kwargs: Any,
) -> Any:
    """Embeddings for ``input`` (a string or a list). Returns an ``EmbeddingResponse``."""
    request, options = _prepare(locals(), _EMBEDDING_BODY, _EMBEDDING_OPTIONS, {"model": model, "input": input})
    log = _callbacks.start("embedding", request, options)
    if log is not None:
        return _logged(log, _core.embedding, _embedding_response, mock=_embedding_mocks)
    if "mock_response" in options:
        return _mock_embedding(request, options)
    data, hidden, _ = _core.embedding(request, options)
    return _embedding_response(data, hidden)


async def aembedding(*args: Any, **kwargs: Any) -> Any:
    """Async ``embedding``."""
    request, options = _prepare_embedding(*args, **kwargs)
    log = _callbacks.start("aembedding", request, options)
    if log is not None:
        return await _alogged(log, _core.aembedding_submit, _embedding_response, mock=_embedding_mocks)
    if "mock_response" in options:
        return _mock_embedding(request, options)
    data, hidden, _ = await _aio.submit(_core.aembedding_submit, request, options)
    return _embedding_response(data, hidden)


def _mock_embedding(request: dict[str, Any], options: dict[str, Any]) -> Any:
    """A mocked embedding: ``mock_response`` is the vector (a list) returned for every input."""
    mock = options["mock_response"]
    if isinstance(mock, BaseException):
        raise mock
    vector = list(mock) if isinstance(mock, (list, tuple)) else [0.0] * 8
    inputs = request.get("input")
    items = [inputs] if isinstance(inputs, str) or not isinstance(inputs, (list, tuple)) else inputs
    tokens = sum(len(str(item).split()) for item in items)
    response = _types().EmbeddingResponse.model_validate(
        {
            "object": "list",
            "model": request.get("model"),
            "data": [{"object": "embedding", "index": i, "embedding": list(vector)} for i in range(len(items))],
            "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
        }
    )
    response.__pydantic_private__["_hidden_params"] = {
        "custom_llm_provider": _mock_provider(options),
        "model_id": None,
        "api_base": None,
        "response_cost": 0.0,
        "litellm_model_name": request.get("model"),
    }
    return response


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _chunk_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, (bytes, bytearray)):
        return bytes(chunk)
    dump_json = getattr(chunk, "model_dump_json", None)
    if dump_json is not None:
        return dump_json().encode("utf-8")
    import json

    return json.dumps(chunk).encode("utf-8")


def stream_chunk_builder(
    chunks: list[Any],
    messages: Optional[list[Any]] = None,
    start_time: Any = None,
    end_time: Any = None,
) -> Any:
    """Rebuild the complete response (with usage) from the chunks of a stream.

    Chat chunks give a ``ModelResponse``, text-completion chunks a ``TextCompletionResponse``;
    no chunks give ``None``.
    """
    if not chunks:
        return None
    messages_json = None
    if messages:
        import json

        messages_json = json.dumps(_messages(messages), default=str)
    data = _core.stream_chunk_builder([_chunk_bytes(c) for c in chunks], messages_json)
    if data is None:
        return None
    first = chunks[0]
    kind = first.get("object") if hasattr(first, "get") else None
    types = _types()
    if isinstance(kind, str) and kind.startswith("text_completion"):
        return types.TextCompletionResponse.model_validate_json(data)
    built = types.ModelResponse.model_validate_json(data)
    _stamp_cost(built, getattr(first, "_hidden_params", None))
    return built


def _stamp_cost(response: Any, hidden: Any) -> None:
    """litellm writes its bill into the rebuilt response's ``usage.cost`` (and ``response_cost``)."""
    usage = response.usage
    if usage is None or getattr(usage, "cost", None) is not None:
        return
    from .cost import completion_cost

    provider = hidden.get("custom_llm_provider") if isinstance(hidden, dict) else None
    try:
        cost = completion_cost(completion_response=response, custom_llm_provider=provider)
    except Exception:  # noqa: BLE001 - a model without a price (any error): nothing to stamp
        return
    if cost and cost > 0:
        usage.cost = cost
        response._hidden_params["response_cost"] = cost


def _param(params: Any, name: str) -> Any:
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def get_llm_provider(
    model: str,
    custom_llm_provider: Optional[str] = None,
    api_base: Optional[str] = None,
    api_key: Optional[str] = None,
    litellm_params: Any = None,
) -> tuple[str, str, Optional[str], Optional[str]]:
    """``(model, custom_llm_provider, dynamic_api_key, api_base)`` for a model string."""
    if litellm_params is not None:
        api_base = api_base or _param(litellm_params, "api_base")
        api_key = api_key or _param(litellm_params, "api_key")
        custom_llm_provider = custom_llm_provider or _param(litellm_params, "custom_llm_provider")
    return _core.get_llm_provider(model, custom_llm_provider, api_base, api_key)


def get_supported_openai_params(
    model: str, custom_llm_provider: Optional[str] = None, request_type: str = "chat_completion"
) -> Optional[list]:
    """The OpenAI parameters the provider serving ``model`` takes (chat completions), or None when
    the provider is not known. Parameters outside this list raise ``UnsupportedParamsError``
    unless ``drop_params`` is set."""
    if request_type != "chat_completion":
        return None
    return _core.get_supported_openai_params(model, custom_llm_provider)


def responses_api_bridge_check(model: str, custom_llm_provider: Optional[str] = None) -> tuple[dict[str, Any], str]:
    """``(model_info, model)`` and how litellm_rs serves ``model``: always over chat completions
    (``{"mode": "chat"}``), since there is no Responses API bridge in litellm_rs."""
    out = dict(_core.model_info(model, custom_llm_provider) or {})
    out["mode"] = "chat"
    return out, model


# the response types, as ``from litellm.main import ModelResponse`` finds them
_TYPES_HERE = frozenset(
    ("ModelResponse", "ModelResponseStream", "EmbeddingResponse", "TextCompletionResponse", "Usage", "Message")
)


def __getattr__(name: str) -> Any:
    if name == "provider_list":
        value = list(_core.provider_list())
        globals()["provider_list"] = value
        return value
    if name in _TYPES_HERE:
        value = getattr(_types(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""litellm's exception hierarchy.

Every class carries ``message`` (prefixed ``"litellm.<Name>: "``), ``status_code``,
``llm_provider``, ``model``, ``response``, ``litellm_debug_info``, ``max_retries`` and
``num_retries``; ``str(e)`` adds the retry counts the way litellm does.

When the ``openai`` package is installed each class also subclasses the matching ``openai``
exception (``except openai.RateLimitError`` catches ``litellm_rs.RateLimitError``); without it the
same names work on top of small stand-ins with the same constructor contract.

The engine raises these classes with keyword arguments ``message``, ``llm_provider``, ``model``,
``status_code``, ``headers`` (dict), ``body`` (str or None) and ``retry_after`` (float or None);
every class accepts them, next to litellm's own positional signatures.

This module is imported lazily (never by ``import litellm_rs``), because importing ``openai`` is slow.
"""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import importlib.util
from typing import Any, Optional

from ._http import Headers, Request, Response, _has_request, _make_response, _parse_body, _redact

# the response objects carried by the exceptions (``e.response``), importable from here
_RESPONSE_TYPES = (Headers, Request, Response)

__all__ = [
    "LITELLM_EXCEPTION_TYPES",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "BlockedPiiEntityError",
    "BudgetExceededError",
    "ContentPolicyViolationError",
    "ContextWindowExceededError",
    "GuardrailInterventionNormalStringError",
    "GuardrailRaisedException",
    "ImageFetchError",
    "InternalServerError",
    "InvalidRequestError",
    "JSONSchemaValidationError",
    "LiteLLMUnknownProvider",
    "MalformedRequestFieldError",
    "MidStreamFallbackError",
    "MockException",
    "ModelNotMappedError",
    "NotFoundError",
    "OpenAIError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RejectedRequestError",
    "ServiceUnavailableError",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedEndpointError",
    "UnsupportedParamsError",
]

# ---------------------------------------------------------------------------------------------
# bases: openai's classes when installed, stand-ins with the same constructors otherwise
# ---------------------------------------------------------------------------------------------


def _load_openai() -> Any:
    if importlib.util.find_spec("openai") is None:
        return None
    try:
        import openai
    except Exception:  # noqa: BLE001 - a broken openai install must not break error reporting
        return None
    return openai


_openai = _load_openai()
HAS_OPENAI = _openai is not None

if _openai is not None:
    _OpenAIError = _openai.OpenAIError
    _APIError = _openai.APIError
    _APIStatusError = _openai.APIStatusError
    _APIConnectionError = _openai.APIConnectionError
    _APITimeoutError = _openai.APITimeoutError
    _APIResponseValidationError = _openai.APIResponseValidationError
    _BadRequestError = _openai.BadRequestError
    _AuthenticationError = _openai.AuthenticationError
    _PermissionDeniedError = _openai.PermissionDeniedError
    _NotFoundError = _openai.NotFoundError
    _UnprocessableEntityError = _openai.UnprocessableEntityError
    _RateLimitError = _openai.RateLimitError
    _InternalServerError = _openai.InternalServerError
else:

    class _OpenAIError(Exception):  # type: ignore[no-redef]
        pass

    class _APIError(_OpenAIError):  # type: ignore[no-redef]
        def __init__(self, message: str, request: Any, *, body: Any) -> None:
            super().__init__(message)
            self.request = request
            self.message = message
            self.body = body
            if isinstance(body, dict):
                code = body.get("code")
                self.code = str(code) if code is not None else None
                param = body.get("param")
                self.param = param if isinstance(param, str) else None
                kind = body.get("type")
                self.type = kind if isinstance(kind, str) else None
            else:
                self.code = None
                self.param = None
                self.type = None

    class _APIStatusError(_APIError):  # type: ignore[no-redef]
        def __init__(self, message: str, *, response: Any, body: Any) -> None:
            super().__init__(message, response.request, body=body)
            self.response = response
            self.status_code = response.status_code
            self.request_id = response.headers.get("x-request-id")

    class _APIConnectionError(_APIError):  # type: ignore[no-redef]
        def __init__(self, *, message: str = "Connection error.", request: Any) -> None:
            super().__init__(message, request, body=None)

    class _APITimeoutError(_APIConnectionError):  # type: ignore[no-redef]
        def __init__(self, request: Any) -> None:
            super().__init__(message="Request timed out.", request=request)

    class _APIResponseValidationError(_APIError):  # type: ignore[no-redef]
        def __init__(self, response: Any, body: Any, *, message: Optional[str] = None) -> None:
            super().__init__(
                message or "Data returned by API invalid for expected schema.", response.request, body=body
            )
            self.response = response
            self.status_code = response.status_code

    class _BadRequestError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _AuthenticationError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _PermissionDeniedError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _NotFoundError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _UnprocessableEntityError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _RateLimitError(_APIStatusError):  # type: ignore[no-redef]
        pass

    class _InternalServerError(_APIStatusError):  # type: ignore[no-redef]
        pass


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _prefixed(name: str, message: Any) -> str:
    text = "" if message is None else str(message)
    text = _redact(text)
    prefix = "litellm." + name + ": "
    return text if text.startswith(prefix) else prefix + text


class _LiteLLMErrorMixin:
    """str/repr as litellm prints them, and pickling that does not re-run the constructor."""

    message: str
    num_retries: Optional[int]
    max_retries: Optional[int]

    def _litellm_text(self) -> str:
        text = self.message
        num_retries = getattr(self, "num_retries", None)
        max_retries = getattr(self, "max_retries", None)
        if num_retries:
            text += f" LiteLLM Retried: {num_retries} times"
        if max_retries:
            text += f", LiteLLM Max Retries: {max_retries}"
        return text

    def __str__(self) -> str:
        return self._litellm_text()

    def __repr__(self) -> str:
        return self._litellm_text()

    def __reduce__(self) -> Any:
        return (_restore, (type(self), dict(self.__dict__)))


def _restore(cls: Any, state: dict[str, Any]) -> Any:
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    message = state.get("message")
    obj.args = (message,) if message is not None else ()
    return obj


def _common(self: Any, args: dict[str, Any]) -> None:
    self.llm_provider = args.get("llm_provider")
    self.model = args.get("model")
    self.litellm_debug_info = args.get("litellm_debug_info")
    self.max_retries = args.get("max_retries")
    self.num_retries = args.get("num_retries")
    self.retry_after = args.get("retry_after")
    self.litellm_response_headers = args.get("headers")


def _init_status(self: Any, name: str, default_status: int, args: dict[str, Any]) -> None:
    """Set up an APIStatusError-style exception from a constructor's arguments (its ``locals()``)."""
    status = args.get("status_code")
    if status is None:
        status = default_status
    parsed, text = _parse_body(args.get("body"))
    response = args.get("response")
    if response is None or not _has_request(response):
        response = _make_response(status, args.get("headers"), text, args.get("retry_after"))
    self.message = _prefixed(name, args.get("message"))
    _APIStatusError.__init__(self, self.message, response=response, body=parsed)
    self.status_code = status
    self.response = response
    _common(self, args)


# the keyword arguments every BadRequestError-family constructor accepts
_STATUS_KEYS = (
    "message", "model", "llm_provider", "response", "litellm_debug_info", "max_retries", "num_retries", "body",
    "status_code", "headers", "retry_after",
)  # fmt: skip


def _forward(args: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A subclass's arguments, as keywords for its parent's constructor."""
    out = {key: args[key] for key in _STATUS_KEYS if key in args}
    out.update(overrides)
    return out


def _rename(self: Any, message: str) -> None:
    # a subclass re-labels the message after its parent's constructor ran (as litellm does)
    self.message = message
    self.args = (message,)


# ---------------------------------------------------------------------------------------------
# 4xx / 5xx status errors
# ---------------------------------------------------------------------------------------------


class AuthenticationError(_LiteLLMErrorMixin, _AuthenticationError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "AuthenticationError", 401, locals())


class NotFoundError(_LiteLLMErrorMixin, _NotFoundError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "NotFoundError", 404, locals())


class BadRequestError(_LiteLLMErrorMixin, _BadRequestError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        body: Any = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "BadRequestError", 400, locals())


class ImageFetchError(BadRequestError):
    pass


class UnsupportedEndpointError(BadRequestError):
    pass


class MalformedRequestFieldError(BadRequestError):
    pass


class PaymentRequiredError(BadRequestError):
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        body: Any = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(**_forward(locals(), status_code=402 if status_code is None else status_code))


class ContextWindowExceededError(BadRequestError):
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        *,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(**_forward(locals()))
        _rename(self, _prefixed("ContextWindowExceededError", self.message))


class RejectedRequestError(BadRequestError):
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        request_data: Optional[dict] = None,
        litellm_debug_info: Optional[str] = None,
        *,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.request_data = request_data if request_data is not None else {}
        super().__init__(**_forward(locals(), message=_prefixed("RejectedRequestError", message)))


class ContentPolicyViolationError(BadRequestError):
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        provider_specific_fields: Optional[dict] = None,
        body: Any = None,
        *,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.provider_specific_fields = provider_specific_fields
        super().__init__(**_forward(locals(), message=_prefixed("ContentPolicyViolationError", message)))


class UnsupportedParamsError(BadRequestError):
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        status_code: int = 400,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(**_forward(locals(), status_code=400))
        _rename(self, _prefixed("UnsupportedParamsError", message))


class LiteLLMUnknownProvider(BadRequestError):
    def __init__(
        self,
        model: Optional[str] = None,
        custom_llm_provider: Optional[str] = None,
        *,
        message: Any = None,
        llm_provider: Optional[str] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
    ) -> None:
        provider = custom_llm_provider if custom_llm_provider is not None else llm_provider
        if message is None:
            message = (
                f"Unknown LLM provider for model={model}, custom_llm_provider={provider}. "
                "Pass the model as 'provider/model' or set custom_llm_provider."
            )
        super().__init__(**_forward(locals(), llm_provider=provider))


class InvalidRequestError(BadRequestError):
    """Deprecated in litellm; kept for imports."""


class UnprocessableEntityError(_LiteLLMErrorMixin, _UnprocessableEntityError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "UnprocessableEntityError", 422, locals())


class PermissionDeniedError(_LiteLLMErrorMixin, _PermissionDeniedError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "PermissionDeniedError", 403, locals())


class RateLimitError(_LiteLLMErrorMixin, _RateLimitError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        if headers is None and response is not None:
            headers = dict(getattr(response, "headers", None) or {})
            response = None
        _init_status(self, "RateLimitError", 429, locals())
        self.code = "429"
        self.type = "throttling_error"


class InternalServerError(_LiteLLMErrorMixin, _InternalServerError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "InternalServerError", 500, locals())


class ServiceUnavailableError(_LiteLLMErrorMixin, _APIStatusError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "ServiceUnavailableError", 503, locals())


class BadGatewayError(_LiteLLMErrorMixin, _APIStatusError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _init_status(self, "BadGatewayError", 502, locals())


class MidStreamFallbackError(ServiceUnavailableError):
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        original_exception: Optional[BaseException] = None,
        response: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        generated_content: str = "",
        is_pre_first_chunk: bool = False,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.original_exception = original_exception
        self.generated_content = generated_content
        self.is_pre_first_chunk = is_pre_first_chunk
        super().__init__(
            **_forward(
                locals(),
                message=_prefixed("MidStreamFallbackError", message),
                status_code=503 if status_code is None else status_code,
            )
        )

    def _litellm_text(self) -> str:
        text = super()._litellm_text()
        original = getattr(self, "original_exception", None)
        if original is not None:
            text += f" Original exception: {type(original).__name__}: {original}"
        return text


# ---------------------------------------------------------------------------------------------
# errors without an HTTP status from the provider
# ---------------------------------------------------------------------------------------------


class Timeout(_LiteLLMErrorMixin, _APITimeoutError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        exception_status_code: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        _APITimeoutError.__init__(self, request=Request())
        status = status_code or exception_status_code or 408
        self.status_code = status
        self.message = _prefixed("Timeout", message)
        self.args = (self.message,)
        self.headers = headers
        self.response = _make_response(status, headers, _parse_body(body)[1], retry_after)
        _common(self, locals())


class APIError(_LiteLLMErrorMixin, _APIError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        status_code: Optional[int] = None,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        request: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        status = status_code if status_code is not None else 500
        parsed, text = _parse_body(body)
        self.message = _prefixed(type(self)._label, message)
        _APIError.__init__(self, self.message, request if request is not None else Request(), body=parsed)
        self.status_code = status
        self.response = _make_response(status, headers, text, retry_after)
        _common(self, locals())

    _label = "APIError"


class MockException(APIError):
    """Raised by mock calls (litellm uses it in tests)."""

    _label = "MockException"


class APIConnectionError(_LiteLLMErrorMixin, _APIConnectionError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        request: Any = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.message = _prefixed("APIConnectionError", message)
        _APIConnectionError.__init__(self, message=self.message, request=request if request is not None else Request())
        status = status_code if status_code is not None else 500
        self.status_code = status
        self.response = _make_response(status, headers, _parse_body(body)[1], retry_after)
        _common(self, locals())


class APIResponseValidationError(_LiteLLMErrorMixin, _APIResponseValidationError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
        *,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        status = status_code if status_code is not None else 500
        parsed, text = _parse_body(body)
        self.message = _prefixed("APIResponseValidationError", message)
        response = _make_response(status, headers, text, retry_after)
        _APIResponseValidationError.__init__(self, response, parsed, message=self.message)
        self.status_code = status
        _common(self, locals())


class JSONSchemaValidationError(APIResponseValidationError):
    def __init__(
        self,
        model: Optional[str] = None,
        llm_provider: Optional[str] = None,
        raw_response: str = "",
        schema: str = "",
        *,
        message: Any = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
    ) -> None:
        self.raw_response = raw_response
        self.schema = schema
        if message is None:
            message = (
                f"model={model} returned a response that does not match the schema={schema}: "
                f"{raw_response}. The raw text is in `e.raw_response`."
            )
        super().__init__(**_forward(locals(), message=_prefixed("JSONSchemaValidationError", message)))


class OpenAIError(_LiteLLMErrorMixin, _OpenAIError):  # type: ignore[misc,valid-type]
    def __init__(
        self,
        original_exception: Optional[BaseException] = None,
        *,
        message: Any = None,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
        litellm_debug_info: Optional[str] = None,
        max_retries: Optional[int] = None,
        num_retries: Optional[int] = None,
    ) -> None:
        if message is None and original_exception is not None:
            message = str(original_exception)
        self.message = _prefixed("OpenAIError", message)
        _OpenAIError.__init__(self, self.message)
        self.original_exception = original_exception
        self.status_code = status_code if status_code is not None else getattr(original_exception, "status_code", None)
        self.body = _parse_body(body)[0]
        _common(self, {**locals(), "llm_provider": llm_provider or "openai"})


# ---------------------------------------------------------------------------------------------
# plain Exceptions
# ---------------------------------------------------------------------------------------------


class _PicklableError(Exception):
    """Pickles its attributes instead of re-running the constructor with ``args``."""

    def __reduce__(self) -> Any:
        return (_restore, (type(self), dict(self.__dict__)))


class BudgetExceededError(_PicklableError):
    def __init__(
        self,
        current_cost: Optional[float] = None,
        max_budget: Optional[float] = None,
        message: Optional[str] = None,
        *,
        llm_provider: Optional[str] = None,
        model: Optional[str] = None,
        status_code: Optional[int] = None,
        headers: Optional[dict[str, Any]] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
        num_retries: Optional[int] = None,
        max_retries: Optional[int] = None,
    ) -> None:
        self.current_cost = current_cost
        self.max_budget = max_budget
        self.message = _redact(
            str(message)
            if message
            else f"Budget has been exceeded! Current cost: {current_cost}, Max budget: {max_budget}"
        )
        self.llm_provider = llm_provider
        self.model = model
        self.status_code = status_code if status_code is not None else 400
        super().__init__(self.message)


class GuardrailRaisedException(_PicklableError):
    def __init__(
        self,
        guardrail_name: Optional[str] = None,
        message: str = "",
        should_wrap_with_default_message: bool = True,
        **_: Any,
    ) -> None:
        self.guardrail_name = guardrail_name
        self.message = _redact(
            f"Guardrail raised an exception, Guardrail: {guardrail_name}, Message: {message}"
            if should_wrap_with_default_message
            else str(message)
        )
        super().__init__(self.message)


class BlockedPiiEntityError(_PicklableError):
    def __init__(self, entity_type: str = "", guardrail_name: Optional[str] = None, **_: Any) -> None:
        self.entity_type = entity_type
        self.guardrail_name = guardrail_name
        self.message = f"Blocked entity detected: {entity_type} by Guardrail: {guardrail_name}."
        super().__init__(self.message)


class GuardrailInterventionNormalStringError(_PicklableError):
    def __init__(self, message: str = "", **_: Any) -> None:
        self.message = _redact(str(message))
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


class ModelNotMappedError(_PicklableError):
    def __init__(self, message: Any = None, model: Optional[str] = None, **kwargs: Any) -> None:
        self.model = model
        self.llm_provider = kwargs.get("llm_provider")
        self.message = _redact(str(message)) if message is not None else f"Model not mapped: {model}"
        super().__init__(self.message)


LITELLM_EXCEPTION_TYPES = [
    AuthenticationError,
    NotFoundError,
    BadRequestError,
    UnprocessableEntityError,
    UnsupportedParamsError,
    Timeout,
    PermissionDeniedError,
    RateLimitError,
    ContextWindowExceededError,
    RejectedRequestError,
    ContentPolicyViolationError,
    InternalServerError,
    ServiceUnavailableError,
    BadGatewayError,
    APIError,
    APIConnectionError,
    APIResponseValidationError,
    OpenAIError,
    InternalServerError,
    JSONSchemaValidationError,
]

_BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: Timeout,
    422: UnprocessableEntityError,
    429: RateLimitError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: Timeout,
}


def exception_for_status(
    status_code: Optional[int], message: Any, llm_provider: Optional[str] = None, model: Optional[str] = None
) -> Exception:
    """The litellm exception for an HTTP status (APIError for the rest)."""
    status = status_code if isinstance(status_code, int) else 500
    cls = _BY_STATUS.get(status)
    if cls is None:
        return APIError(status_code=status, message=message, llm_provider=llm_provider, model=model)
    return cls(message=message, llm_provider=llm_provider, model=model, status_code=status)

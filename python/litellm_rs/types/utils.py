"""Response types with the shape and quirks of litellm's ``litellm.types.utils``.

Two ways to build every class, and they give the same kind of object:

* ``Cls(...)`` runs the litellm-style constructor (defaults, dicts turned into the nested types,
  finish reasons mapped, ``Usage(prompt_tokens=1, completion_tokens=2)`` summing the total).
* ``Cls.model_validate_json(raw)`` is the path of engine results: one pydantic-core pass, no
  Python per field. Constructors are marked as pydantic's base ``__init__`` so that validation
  never runs them. Chat responses and stream chunks of the usual shape skip even that: the engine
  makes the same objects directly (``_core.chat_response``, ``Stream.build_chunks``; the classes
  and their fields are handed over by ``_chat_response_spec`` and ``_fields_spec`` below, and a
  field the engine does not know turns its direct path off).

Importing this module imports pydantic; ``import litellm_rs`` does not import it.
"""
# ruff: noqa: UP007, UP045 (pydantic evaluates these annotations at runtime, also on Python 3.9)

from __future__ import annotations

import json
import uuid
from typing import Any, Optional, Union

from pydantic import BaseModel, Field, PrivateAttr

from ._base import (
    LiteLLMObject,
    _base_init,
    _dump_model,
    _generate_id,
    _now,
    _osetattr,
    _Shaped,
    map_finish_reason,
)

__all__ = [
    "CacheCreationTokenDetails",
    "ChatCompletionAudioResponse",
    "ChatCompletionDeltaToolCall",
    "ChatCompletionMessageToolCall",
    "ChatCompletionTokenLogprob",
    "ChoiceLogprobs",
    "Choices",
    "CompletionTokensDetails",
    "CompletionTokensDetailsWrapper",
    "Delta",
    "Embedding",
    "EmbeddingResponse",
    "Function",
    "FunctionCall",
    "LiteLLMObject",
    "Logprobs",
    "Message",
    "ModelResponse",
    "ModelResponseBase",
    "ModelResponseStream",
    "PromptTokensDetails",
    "PromptTokensDetailsWrapper",
    "ServerToolUse",
    "StreamingChoices",
    "TextChoices",
    "TextCompletionResponse",
    "TopLogprob",
    "Usage",
    "map_finish_reason",
]

# ---------------------------------------------------------------------------------------------
# tool calls, functions, audio, logprobs
# ---------------------------------------------------------------------------------------------


class FunctionCall(LiteLLMObject):
    arguments: str = ""
    name: Optional[str] = None


class Function(LiteLLMObject):
    arguments: str = ""
    name: Optional[str] = None

    @_base_init
    def __init__(
        self,
        arguments: Optional[Union[dict[str, Any], str]] = None,
        name: Optional[str] = None,
        **params: Any,
    ) -> None:
        if arguments is None:
            parameters = params.get("parameters")
            if isinstance(parameters, dict):
                del params["parameters"]
                arguments = json.dumps(parameters)
            else:
                arguments = ""
        elif isinstance(arguments, dict):
            arguments = json.dumps(arguments)
        super().__init__(arguments=arguments, name=name, **params)


def _as_function(value: Any) -> Any:
    if isinstance(value, dict):
        return Function(**value)
    return value


class ChatCompletionMessageToolCall(LiteLLMObject):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str = "function"
    function: Function = Field(default_factory=Function)

    @_base_init
    def __init__(
        self,
        function: Optional[Union[dict[str, Any], Function]] = None,
        id: Optional[str] = None,
        type: Optional[str] = None,
        **params: Any,
    ) -> None:
        super().__init__(
            id=id if id is not None else str(uuid.uuid4()),
            type=type if type is not None else "function",
            function=_as_function(function) if function is not None else Function(),
            **params,
        )


class ChatCompletionDeltaToolCall(LiteLLMObject):
    id: Optional[str] = None
    function: Function = Field(default_factory=Function)
    type: Optional[str] = None
    index: int = 0


class ChatCompletionAudioResponse(LiteLLMObject):
    id: Optional[str] = None
    data: Optional[str] = None
    expires_at: Optional[int] = None
    transcript: Optional[str] = None


class TopLogprob(LiteLLMObject):
    token: str = ""
    bytes: Optional[list[int]] = None
    logprob: float = 0.0


class ChatCompletionTokenLogprob(LiteLLMObject):
    token: str = ""
    bytes: Optional[list[int]] = None
    logprob: float = 0.0
    top_logprobs: list[TopLogprob] = Field(default_factory=list)


class ChoiceLogprobs(LiteLLMObject):
    content: Optional[list[ChatCompletionTokenLogprob]] = None


def _as_logprobs(value: Any) -> Any:
    if isinstance(value, dict):
        return ChoiceLogprobs(**value)
    return value


# ---------------------------------------------------------------------------------------------
# messages and choices
# ---------------------------------------------------------------------------------------------

_MESSAGE_EXTRAS = ("audio", "images", "reasoning_content", "thinking_blocks", "reasoning_items", "annotations")


class Message(_Shaped):
    content: Optional[Union[str, list[Any]]] = None
    role: str = "assistant"
    tool_calls: Optional[list[ChatCompletionMessageToolCall]] = None
    function_call: Optional[FunctionCall] = None
    audio: Optional[ChatCompletionAudioResponse] = None
    images: Optional[list[Any]] = None
    reasoning_content: Optional[str] = None
    thinking_blocks: Optional[list[Any]] = None
    reasoning_items: Optional[list[Any]] = None
    provider_specific_fields: Optional[dict[str, Any]] = None
    annotations: Optional[list[Any]] = None

    __litellm_omit__ = frozenset(_MESSAGE_EXTRAS)
    __litellm_keep__ = ("content", "role", "tool_calls", "function_call")

    @_base_init
    def __init__(
        self,
        content: Optional[Union[str, list[Any]]] = None,
        role: Optional[str] = "assistant",
        function_call: Any = None,
        tool_calls: Optional[list[Any]] = None,
        audio: Any = None,
        images: Optional[list[Any]] = None,
        provider_specific_fields: Optional[dict[str, Any]] = None,
        reasoning_content: Optional[str] = None,
        thinking_blocks: Optional[list[Any]] = None,
        reasoning_items: Optional[list[Any]] = None,
        annotations: Optional[list[Any]] = None,
        **params: Any,
    ) -> None:
        if isinstance(function_call, dict):
            function_call = FunctionCall(**function_call)
        if tool_calls:
            tool_calls = [ChatCompletionMessageToolCall(**tc) if isinstance(tc, dict) else tc for tc in tool_calls]
        else:
            tool_calls = None
        values: dict[str, Any] = {
            "content": content,
            "role": role or "assistant",
            "function_call": function_call,
            "tool_calls": tool_calls,
        }
        if audio is not None:
            values["audio"] = audio
        if images is not None:
            values["images"] = images
        if reasoning_content is not None:
            values["reasoning_content"] = reasoning_content
        if thinking_blocks is not None:
            values["thinking_blocks"] = thinking_blocks
        if reasoning_items is not None:
            values["reasoning_items"] = reasoning_items
        if annotations is not None:
            values["annotations"] = annotations
        if provider_specific_fields:
            values["provider_specific_fields"] = provider_specific_fields
        super().__init__(**values, **params)


class Delta(_Shaped):
    content: Optional[Union[str, list[Any]]] = None
    role: Optional[str] = None
    function_call: Optional[FunctionCall] = None
    tool_calls: Optional[list[ChatCompletionDeltaToolCall]] = None
    audio: Optional[ChatCompletionAudioResponse] = None
    reasoning_content: Optional[str] = None
    thinking_blocks: Optional[list[Any]] = None
    reasoning_items: Optional[list[Any]] = None
    provider_specific_fields: Optional[dict[str, Any]] = None
    images: Optional[list[Any]] = None
    annotations: Optional[list[Any]] = None

    __litellm_omit__ = frozenset(("reasoning_content", "thinking_blocks", "reasoning_items", "images", "annotations"))
    __litellm_keep__ = ("content", "role", "function_call", "tool_calls", "audio")

    @_base_init
    def __init__(
        self,
        content: Optional[Union[str, list[Any]]] = None,
        role: Optional[str] = None,
        function_call: Any = None,
        tool_calls: Optional[list[Any]] = None,
        audio: Any = None,
        images: Optional[list[Any]] = None,
        reasoning_content: Optional[str] = None,
        thinking_blocks: Optional[list[Any]] = None,
        reasoning_items: Optional[list[Any]] = None,
        annotations: Optional[list[Any]] = None,
        **params: Any,
    ) -> None:
        if reasoning_content is None and "reasoning" in params:
            reasoning_content = params.pop("reasoning")
        if isinstance(function_call, dict):
            function_call = FunctionCall(**function_call)
        if isinstance(tool_calls, list):
            converted = []
            next_index = 0
            for tc in tool_calls:
                if isinstance(tc, dict):
                    tc = dict(tc)
                    if tc.get("index") is None:
                        tc["index"] = next_index
                        next_index += 1
                    if tc.get("type") is None:
                        tc["type"] = "function"
                    if isinstance(tc.get("function"), dict):
                        tc["function"] = Function(**tc["function"])
                    converted.append(ChatCompletionDeltaToolCall(**tc))
                elif isinstance(tc, ChatCompletionDeltaToolCall):
                    converted.append(tc)
            tool_calls = converted
        values: dict[str, Any] = {
            "content": content,
            "role": role,
            "function_call": function_call,
            "tool_calls": tool_calls,
            "audio": audio,
        }
        if reasoning_content is not None:
            values["reasoning_content"] = reasoning_content
        if thinking_blocks is not None:
            values["thinking_blocks"] = thinking_blocks
        if reasoning_items is not None:
            values["reasoning_items"] = reasoning_items
        if annotations is not None:
            values["annotations"] = annotations
        if images:
            values["images"] = images
        super().__init__(**values, **params)


def _as_message(value: Any) -> Any:
    if value is None:
        return Message()
    if isinstance(value, Message):
        return value
    if isinstance(value, dict):
        return Message(**value)
    if isinstance(value, BaseModel) or hasattr(value, "dict"):
        return Message(**_dump_model(value))
    return value


class Choices(_Shaped):
    finish_reason: Optional[str] = None
    index: int = 0
    message: Message = Field(default_factory=Message)
    logprobs: Optional[Union[ChoiceLogprobs, Any]] = None
    provider_specific_fields: Optional[dict[str, Any]] = None

    __litellm_omit__ = frozenset(("logprobs", "provider_specific_fields"))
    __litellm_keep__ = ("finish_reason", "index", "message")

    @_base_init
    def __init__(
        self,
        finish_reason: Optional[str] = None,
        index: Optional[int] = 0,
        message: Any = None,
        logprobs: Any = None,
        enhancements: Any = None,
        provider_specific_fields: Optional[dict[str, Any]] = None,
        **params: Any,
    ) -> None:
        if finish_reason is not None:
            mapped = map_finish_reason(finish_reason)
            if mapped != finish_reason:
                provider_specific_fields = dict(provider_specific_fields or {})
                provider_specific_fields["native_finish_reason"] = finish_reason
            finish_reason = mapped
        else:
            finish_reason = "stop"
        values: dict[str, Any] = {
            "finish_reason": finish_reason,
            "index": index if index is not None else 0,
            "message": _as_message(message),
        }
        if logprobs is not None:
            values["logprobs"] = _as_logprobs(logprobs)
        if provider_specific_fields is not None:
            values["provider_specific_fields"] = provider_specific_fields
        if enhancements is not None:
            values["enhancements"] = enhancements
        super().__init__(**values, **params)


def _as_delta(value: Any) -> Any:
    if value is None:
        return Delta()
    if isinstance(value, dict):
        return Delta(**value)
    return value


class StreamingChoices(_Shaped):
    finish_reason: Optional[str] = None
    index: int = 0
    delta: Delta = Field(default_factory=Delta)
    logprobs: Optional[Union[ChoiceLogprobs, Any]] = None

    __litellm_keep__ = ("finish_reason", "index", "delta", "logprobs")

    @_base_init
    def __init__(
        self,
        finish_reason: Optional[str] = None,
        index: int = 0,
        delta: Any = None,
        logprobs: Any = None,
        enhancements: Any = None,
        **params: Any,
    ) -> None:
        params.pop("message", None)
        values: dict[str, Any] = {
            "finish_reason": map_finish_reason(finish_reason) if finish_reason else None,
            "index": index,
            "delta": _as_delta(delta),
            "logprobs": _as_logprobs(logprobs),
        }
        if enhancements is not None:
            values["enhancements"] = enhancements
        super().__init__(**values, **params)


# ---------------------------------------------------------------------------------------------
# usage
# ---------------------------------------------------------------------------------------------


class CacheCreationTokenDetails(LiteLLMObject):
    ephemeral_5m_input_tokens: Optional[int] = None
    ephemeral_1h_input_tokens: Optional[int] = None


class PromptTokensDetailsWrapper(_Shaped):
    audio_tokens: Optional[int] = None
    cached_tokens: Optional[int] = None
    text_tokens: Optional[int] = None
    image_tokens: Optional[int] = None
    video_tokens: Optional[int] = None
    web_search_requests: Optional[int] = None
    tool_use_tokens: Optional[int] = None
    character_count: Optional[int] = None
    image_count: Optional[int] = None
    video_length_seconds: Optional[float] = None
    audio_length_seconds: Optional[float] = None
    cache_creation_tokens: Optional[int] = None
    cache_creation_token_details: Optional[CacheCreationTokenDetails] = None
    initial_prompt_tokens: Optional[int] = None
    google_maps_grounding_requests: Optional[int] = None
    query_count: Optional[int] = None
    cache_write_tokens: Optional[int] = None
    cached_tokens_details: Optional[dict] = None
    cache_type: Optional[str] = None

    __litellm_omit__ = frozenset(
        (
            "web_search_requests",
            "tool_use_tokens",
            "character_count",
            "image_count",
            "video_length_seconds",
            "audio_length_seconds",
            "cache_creation_tokens",
            "cache_creation_token_details",
            "google_maps_grounding_requests",
            "query_count",
            "cache_write_tokens",
            "cached_tokens_details",
            "cache_type",
        )
    )


class CompletionTokensDetailsWrapper(LiteLLMObject):
    accepted_prediction_tokens: Optional[int] = None
    audio_tokens: Optional[int] = None
    reasoning_tokens: Optional[int] = None
    rejected_prediction_tokens: Optional[int] = None
    text_tokens: Optional[int] = None
    image_tokens: Optional[int] = None
    video_tokens: Optional[int] = None


# litellm imports these names from openai; here they are the wrappers themselves.
PromptTokensDetails = PromptTokensDetailsWrapper
CompletionTokensDetails = CompletionTokensDetailsWrapper


class ServerToolUse(LiteLLMObject):
    web_search_requests: Optional[int] = None
    tool_search_requests: Optional[int] = None


def _details(value: Any, cls: Any) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls(**value)
    if isinstance(value, BaseModel):
        return cls(**value.model_dump())
    return value


class Usage(_Shaped):
    completion_tokens: int = 0
    prompt_tokens: int = 0
    total_tokens: int = 0
    completion_tokens_details: Optional[CompletionTokensDetailsWrapper] = None
    prompt_tokens_details: Optional[PromptTokensDetailsWrapper] = None
    server_tool_use: Optional[ServerToolUse] = None
    cost: Optional[float] = None

    __litellm_omit__ = frozenset(("server_tool_use", "cost"))
    __litellm_keep__ = (
        "completion_tokens",
        "prompt_tokens",
        "total_tokens",
        "completion_tokens_details",
        "prompt_tokens_details",
    )

    @_base_init
    def __init__(
        self,
        prompt_tokens: Optional[int] = None,
        completion_tokens: Optional[int] = None,
        total_tokens: Optional[int] = None,
        reasoning_tokens: Optional[int] = None,
        prompt_tokens_details: Any = None,
        completion_tokens_details: Any = None,
        server_tool_use: Any = None,
        cost: Optional[float] = None,
        **params: Any,
    ) -> None:
        completion_details = _details(completion_tokens_details or None, CompletionTokensDetailsWrapper)
        if reasoning_tokens:
            if completion_details is None:
                completion_details = CompletionTokensDetailsWrapper()
            if completion_details.reasoning_tokens is None:
                completion_details.reasoning_tokens = reasoning_tokens
            if completion_details.text_tokens is None and completion_tokens is not None:
                text = completion_tokens - reasoning_tokens
                text -= completion_details.image_tokens or 0
                text -= completion_details.audio_tokens or 0
                completion_details.text_tokens = max(0, text)

        prompt_details = _details(prompt_tokens_details or None, PromptTokensDetailsWrapper)
        # Anthropic / DeepSeek names for cached prompt tokens
        cache_read = params.get("cache_read_input_tokens")
        if not isinstance(cache_read, int):
            cache_read = params.get("prompt_cache_hit_tokens")
        if isinstance(cache_read, int):
            if prompt_details is None:
                prompt_details = PromptTokensDetailsWrapper(cached_tokens=cache_read)
            else:
                prompt_details.cached_tokens = cache_read
        cache_creation = params.get("cache_creation_input_tokens")
        if isinstance(cache_creation, int):
            if prompt_details is None:
                prompt_details = PromptTokensDetailsWrapper(cache_creation_tokens=cache_creation)
            else:
                prompt_details.cache_creation_tokens = cache_creation

        if total_tokens is None:
            total_tokens = (prompt_tokens or 0) + (completion_tokens or 0)
        values: dict[str, Any] = {
            "prompt_tokens": prompt_tokens or 0,
            "completion_tokens": completion_tokens or 0,
            "total_tokens": total_tokens or 0,
            "completion_tokens_details": completion_details,
            "prompt_tokens_details": prompt_details,
        }
        if server_tool_use is not None:
            values["server_tool_use"] = _details(server_tool_use, ServerToolUse)
        if cost is not None:
            values["cost"] = cost
        super().__init__(**values, **params)


_usage_validate = Usage.model_validate


def _as_usage(value: Any) -> Any:
    """Usage for a value found in ``usage`` (engine JSON dict, another pydantic object, ...)."""
    if isinstance(value, Usage):
        return value
    if isinstance(value, dict):
        return _usage_validate(value)
    if isinstance(value, BaseModel):
        return Usage(**value.model_dump())
    return value


def _as_usage_init(value: Any) -> Any:
    """Usage for a value passed to a constructor (litellm's constructor semantics)."""
    if isinstance(value, Usage):
        return value
    if isinstance(value, dict):
        return Usage(**value)
    if isinstance(value, BaseModel):
        return Usage(**value.model_dump())
    return value


# ---------------------------------------------------------------------------------------------
# chat responses
# ---------------------------------------------------------------------------------------------


class ModelResponseBase(_Shaped):
    id: str = Field(default_factory=_generate_id)
    created: int = Field(default_factory=_now)
    model: Optional[str] = None
    object: str = "chat.completion"
    system_fingerprint: Optional[str] = None

    _hidden_params: dict = PrivateAttr(default_factory=dict)
    _response_headers: Optional[dict] = PrivateAttr(default=None)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        # litellm defaults to exclude_unset here
        if "exclude_unset" not in kwargs and "exclude_none" not in kwargs:
            kwargs["exclude_unset"] = True
        return super().model_dump(**kwargs)

    @property
    def hidden_params(self) -> dict:
        return self._hidden_params

    @hidden_params.setter
    def hidden_params(self, value: dict) -> None:
        self._hidden_params = value


def _convert_choice(choice: Any) -> Any:
    if isinstance(choice, Choices):
        return choice
    if isinstance(choice, dict):
        return Choices(**choice)
    if isinstance(choice, BaseModel):
        return Choices(**_dump_model(choice))
    return choice


class ModelResponse(ModelResponseBase):
    choices: list[Choices] = Field(default_factory=list)

    __litellm_keep__ = ("id", "created", "model", "object", "system_fingerprint", "choices")

    @_base_init
    def __init__(
        self,
        id: Optional[str] = None,
        choices: Optional[list[Any]] = None,
        created: Optional[int] = None,
        model: Optional[str] = None,
        object: Optional[str] = None,
        system_fingerprint: Optional[str] = None,
        usage: Any = None,
        stream: Optional[bool] = None,
        stream_options: Optional[dict] = None,
        response_ms: Optional[float] = None,
        hidden_params: Optional[dict] = None,
        _response_headers: Optional[dict] = None,
        **params: Any,
    ) -> None:
        if isinstance(choices, list):
            choices = [_convert_choice(c) for c in choices]
        else:
            choices = [Choices()]
        usage = _as_usage_init(usage) if usage is not None else Usage()
        super().__init__(
            id=id if id is not None else _generate_id(),
            choices=choices,
            created=created if created is not None else _now(),
            model=model,
            object="chat.completion",
            system_fingerprint=system_fingerprint,
            usage=usage,
            **params,
        )
        if hidden_params:
            self.__pydantic_private__["_hidden_params"] = hidden_params
        if _response_headers:
            self.__pydantic_private__["_response_headers"] = _response_headers


def _convert_streaming_choice(choice: Any) -> Any:
    if isinstance(choice, StreamingChoices):
        return choice
    if isinstance(choice, dict):
        return StreamingChoices(**choice)
    if isinstance(choice, BaseModel):
        return StreamingChoices(**_dump_model(choice))
    return choice


class ModelResponseStream(ModelResponseBase):
    object: str = "chat.completion.chunk"
    choices: list[StreamingChoices] = Field(default_factory=list)
    provider_specific_fields: Optional[dict[str, Any]] = None

    __litellm_keep__ = (
        "id",
        "created",
        "model",
        "object",
        "system_fingerprint",
        "choices",
        "provider_specific_fields",
    )

    @_base_init
    def __init__(
        self,
        choices: Any = None,
        id: Optional[str] = None,
        created: Optional[int] = None,
        provider_specific_fields: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(choices, list):
            choices = [_convert_streaming_choice(c) for c in choices]
        else:
            choices = [StreamingChoices()]
        usage = kwargs.get("usage")
        if usage is not None:
            kwargs["usage"] = _as_usage_init(usage)
        kwargs["object"] = "chat.completion.chunk"
        hidden_params = kwargs.pop("hidden_params", None)
        super().__init__(
            choices=choices,
            id=id if id is not None else _generate_id(),
            created=created if created is not None else _now(),
            provider_specific_fields=provider_specific_fields,
            **kwargs,
        )
        if hidden_params:
            self.__pydantic_private__["_hidden_params"] = hidden_params


# ---------------------------------------------------------------------------------------------
# embeddings
# ---------------------------------------------------------------------------------------------


class Embedding(LiteLLMObject):
    embedding: Union[list[Any], str] = Field(default_factory=list)
    index: int = 0
    object: str = "embedding"


class EmbeddingResponse(_Shaped):
    model: Optional[str] = None
    data: list[Any] = Field(default_factory=list)
    object: str = "list"
    usage: Optional[Usage] = None

    _hidden_params: dict = PrivateAttr(default_factory=dict)
    _response_headers: Optional[dict] = PrivateAttr(default=None)
    _response_ms: Optional[float] = PrivateAttr(default=None)

    __litellm_keep__ = ("model", "data", "object", "usage")

    @_base_init
    def __init__(
        self,
        model: Optional[str] = None,
        usage: Any = None,
        response_ms: Optional[float] = None,
        data: Optional[list[Any]] = None,
        hidden_params: Optional[dict] = None,
        _response_headers: Optional[dict] = None,
        **params: Any,
    ) -> None:
        params.pop("object", None)
        super().__init__(
            model=model,
            object="list",
            data=data if data else [],
            usage=_as_usage_init(usage) if usage else Usage(),
            **params,
        )
        private = self.__pydantic_private__
        if hidden_params:
            private["_hidden_params"] = hidden_params
        if _response_headers:
            private["_response_headers"] = _response_headers
        if response_ms:
            private["_response_ms"] = response_ms

    @property
    def hidden_params(self) -> dict:
        return self._hidden_params

    @hidden_params.setter
    def hidden_params(self, value: dict) -> None:
        self._hidden_params = value


# ---------------------------------------------------------------------------------------------
# text completions
# ---------------------------------------------------------------------------------------------


class Logprobs(LiteLLMObject):
    text_offset: Optional[list[int]] = None
    token_logprobs: Optional[list[Optional[float]]] = None
    tokens: Optional[list[str]] = None
    top_logprobs: Optional[list[Optional[dict[str, float]]]] = None


class TextChoices(_Shaped):
    finish_reason: Optional[str] = None
    index: int = 0
    text: Optional[str] = None
    logprobs: Optional[Union[Logprobs, Any]] = None

    __litellm_keep__ = ("finish_reason", "index", "text", "logprobs")

    @_base_init
    def __init__(
        self,
        finish_reason: Optional[str] = None,
        index: int = 0,
        text: Optional[str] = None,
        logprobs: Any = None,
        **params: Any,
    ) -> None:
        if isinstance(logprobs, dict):
            logprobs = Logprobs(**logprobs)
        super().__init__(
            finish_reason=map_finish_reason(finish_reason) if finish_reason else None,
            index=index,
            text=text,
            logprobs=logprobs,
            **params,
        )


def _convert_text_choice(choice: Any) -> Any:
    if isinstance(choice, TextChoices):
        return choice
    if isinstance(choice, dict):
        return TextChoices(**choice)
    return choice


class TextCompletionResponse(_Shaped):
    id: str = Field(default_factory=_generate_id)
    object: str = "text_completion"
    created: int = Field(default_factory=_now)
    model: Optional[str] = None
    choices: list[TextChoices] = Field(default_factory=list)
    usage: Optional[Usage] = None

    _hidden_params: dict = PrivateAttr(default_factory=dict)
    _response_headers: Optional[dict] = PrivateAttr(default=None)
    _response_ms: Optional[float] = PrivateAttr(default=None)

    __litellm_keep__ = ("id", "object", "created", "model", "choices", "usage")

    @_base_init
    def __init__(
        self,
        id: Optional[str] = None,
        choices: Optional[list[Any]] = None,
        created: Optional[int] = None,
        model: Optional[str] = None,
        usage: Any = None,
        stream: bool = False,
        response_ms: Optional[float] = None,
        object: Optional[str] = None,
        **params: Any,
    ) -> None:
        hidden_params = params.pop("hidden_params", None)
        if stream:
            object = "text_completion.chunk"
            choices = [TextChoices()]
        else:
            object = "text_completion"
            if isinstance(choices, list):
                choices = [_convert_text_choice(c) for c in choices]
            else:
                choices = [TextChoices()]
        super().__init__(
            id=id if id is not None else _generate_id(),
            object=object,
            created=created if created is not None else _now(),
            model=model,
            choices=choices,
            usage=_as_usage_init(usage) if usage else Usage(),
            **params,
        )
        private = self.__pydantic_private__
        if response_ms:
            private["_response_ms"] = response_ms
        if hidden_params:
            private["_hidden_params"] = hidden_params

    @property
    def hidden_params(self) -> dict:
        return self._hidden_params

    @hidden_params.setter
    def hidden_params(self, value: dict) -> None:
        self._hidden_params = value


# ---------------------------------------------------------------------------------------------
# fast private-attribute setup
#
# pydantic initialises private attributes with a generic Python routine that costs several
# microseconds per object; the top-level response objects (one per call, one per stream chunk)
# get a direct initialiser instead. User subclasses keep pydantic's routine: it runs first
# (pydantic wraps this function for them) and the exact-type check below leaves its work alone.
# ---------------------------------------------------------------------------------------------


def _response_post_init(self: Any, context: Any, /) -> None:
    if type(self) in _FAST_PRIVATE:
        _osetattr(self, "__pydantic_private__", {"_hidden_params": {}, "_response_headers": None})
    extra = self.__pydantic_extra__
    if extra:
        usage = extra.get("usage")
        if usage is not None and type(usage) is not Usage:
            extra["usage"] = _as_usage(usage)


def _timed_post_init(self: Any, context: Any, /) -> None:
    if type(self) in _FAST_PRIVATE:
        _osetattr(
            self,
            "__pydantic_private__",
            {"_hidden_params": {}, "_response_headers": None, "_response_ms": None},
        )


_FAST_PRIVATE = {
    ModelResponseBase: _response_post_init,
    ModelResponse: _response_post_init,
    ModelResponseStream: _response_post_init,
    EmbeddingResponse: _timed_post_init,
    TextCompletionResponse: _timed_post_init,
}

for _cls, _fn in _FAST_PRIVATE.items():
    _cls.model_post_init = _fn  # type: ignore[method-assign]
del _cls, _fn


def _fields_spec(*classes: Any) -> tuple[Any, ...]:
    """The classes and their fields as the engine's direct construction takes them: per class,
    ``(cls, ((field, required, default), ...))``; a field with a default factory counts as
    required (objects without it are left to pydantic)."""
    return tuple(
        (
            cls,
            tuple(
                (name, f.is_required() or f.default_factory is not None, f.default)
                for name, f in cls.model_fields.items()
            ),
        )
        for cls in classes
    )


def _chat_response_spec() -> tuple[Any, ...]:
    """The classes of a non-streamed chat response, in the order ``_core.chat_response_classes``
    takes them."""
    return _fields_spec(
        ModelResponse,
        Choices,
        Message,
        Usage,
        CompletionTokensDetailsWrapper,
        PromptTokensDetailsWrapper,
        ChatCompletionMessageToolCall,
        Function,
    )

"""LangChain chat and embedding models on litellm_rs (``pip install litellm-rs[langchain]``).

    from litellm_rs.integrations.langchain import ChatLiteLLM, LiteLLMEmbeddings

    llm = ChatLiteLLM(model="groq/llama-3.3-70b-versatile", temperature=0)
    llm.invoke("hi").content
    llm.bind_tools([get_weather]).invoke("Weather in Paris?").tool_calls
    llm.with_structured_output(Joke).invoke("Tell me a joke")

Every provider litellm_rs serves is reachable by its ``provider/model`` name. The models support
invoke / ainvoke / stream / astream / batch, tool binding, structured output (tool calling, JSON
schema or JSON mode), token usage in ``usage_metadata`` and the call's cost in
``response_metadata["response_cost"]``.
"""
# ruff: noqa: UP006, UP007, UP035, UP045 (pydantic evaluates these field annotations at run time, also on 3.9)

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Callable, Dict, List, Literal, Optional, Union

try:
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
    from langchain_core.messages import (
        AIMessage,
        AIMessageChunk,
        BaseMessage,
        convert_to_openai_messages,
    )
    from langchain_core.messages.ai import UsageMetadata
    from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
    from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
    from langchain_core.utils.pydantic import is_basemodel_subclass
    from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "litellm_rs.integrations.langchain needs langchain-core: pip install 'litellm-rs[langchain]'"
    ) from exc

import litellm_rs

__all__ = ["ChatLiteLLM", "LiteLLMEmbeddings"]

_PROVIDER = "litellm_rs"
# other names LangChain users give these settings
_CHAT_SPELLINGS = {
    "model_name": "model",
    "base_url": "api_base",
    "stop_sequences": "stop",
    "request_timeout": "timeout",
}
_EMBEDDING_SPELLINGS = {"model_name": "model", "base_url": "api_base", "request_timeout": "timeout"}


def _renamed(values: Any, spellings: Dict[str, str]) -> Any:
    if not isinstance(values, dict):
        return values
    out = dict(values)
    for other, name in spellings.items():
        if other in out:
            value = out.pop(other)
            if out.get(name) is None:
                out[name] = value
    return out


def _secret(value: Optional[SecretStr]) -> Optional[str]:
    return value.get_secret_value() if value is not None else None


def _usage_metadata(usage: Any) -> Optional[UsageMetadata]:
    """LangChain's usage record for a litellm ``Usage``."""
    if usage is None:
        return None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion = int(getattr(usage, "completion_tokens", 0) or 0)
    total = int(getattr(usage, "total_tokens", 0) or 0) or prompt + completion
    out = UsageMetadata(input_tokens=prompt, output_tokens=completion, total_tokens=total)
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    input_details: Dict[str, int] = {}
    if prompt_details is not None:
        if getattr(prompt_details, "cached_tokens", None):
            input_details["cache_read"] = prompt_details.cached_tokens
        if getattr(prompt_details, "cache_creation_tokens", None):
            input_details["cache_creation"] = prompt_details.cache_creation_tokens
        if getattr(prompt_details, "audio_tokens", None):
            input_details["audio"] = prompt_details.audio_tokens
    completion_details = getattr(usage, "completion_tokens_details", None)
    output_details: Dict[str, int] = {}
    if completion_details is not None:
        if getattr(completion_details, "reasoning_tokens", None):
            output_details["reasoning"] = completion_details.reasoning_tokens
        if getattr(completion_details, "audio_tokens", None):
            output_details["audio"] = completion_details.audio_tokens
    if input_details:
        out["input_token_details"] = input_details  # type: ignore[typeddict-item]
    if output_details:
        out["output_token_details"] = output_details  # type: ignore[typeddict-item]
    return out


def _tool_calls(raw: Any) -> tuple[list, list]:
    calls: list = []
    invalid: list = []
    for raw_call in raw or []:
        function = raw_call.function
        name = function.name
        arguments = function.arguments or ""
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            invalid.append(invalid_tool_call(name=name, args=arguments, id=raw_call.id, error=str(exc)))
            continue
        if not isinstance(args, dict):
            error = "tool arguments are not a JSON object"
            invalid.append(invalid_tool_call(name=name, args=arguments, id=raw_call.id, error=error))
            continue
        calls.append(tool_call(name=name, args=args, id=raw_call.id))
    return calls, invalid


def _ai_message(response: Any, choice: Any) -> AIMessage:
    message = choice.message
    calls, invalid = _tool_calls(getattr(message, "tool_calls", None))
    hidden = getattr(response, "_hidden_params", None) or {}
    metadata: Dict[str, Any] = {
        "model_name": response.model,
        "finish_reason": choice.finish_reason,
        "id": response.id,
        "model_provider": _PROVIDER,
    }
    if getattr(response, "system_fingerprint", None):
        metadata["system_fingerprint"] = response.system_fingerprint
    if hidden.get("response_cost") is not None:
        metadata["response_cost"] = hidden["response_cost"]
    if hidden.get("custom_llm_provider"):
        metadata["custom_llm_provider"] = hidden["custom_llm_provider"]
    extra: Dict[str, Any] = {}
    reasoning = getattr(message, "reasoning_content", None)
    if reasoning:
        extra["reasoning_content"] = reasoning
    return AIMessage(
        content=message.content or "",
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=_usage_metadata(getattr(response, "usage", None)),
        response_metadata=metadata,
        additional_kwargs=extra,
        id=response.id,
    )


def _chunk_message(chunk: Any) -> Optional[AIMessageChunk]:
    """The AIMessageChunk of one stream chunk (None for a chunk that carries nothing)."""
    choices = chunk.choices or []
    usage = getattr(chunk, "usage", None)
    if not choices:
        if usage is None:
            return None
        return AIMessageChunk(content="", usage_metadata=_usage_metadata(usage), id=chunk.id)
    choice = choices[0]
    delta = choice.delta
    calls = [
        tool_call_chunk(
            name=tc.function.name if tc.function else None,
            args=tc.function.arguments if tc.function else None,
            id=tc.id,
            index=tc.index,
        )
        for tc in (getattr(delta, "tool_calls", None) or [])
    ]
    metadata: Dict[str, Any] = {}
    if choice.finish_reason:
        metadata = {"finish_reason": choice.finish_reason, "model_name": chunk.model, "model_provider": _PROVIDER}
    extra: Dict[str, Any] = {}
    reasoning = getattr(delta, "reasoning_content", None)
    if reasoning:
        extra["reasoning_content"] = reasoning
    return AIMessageChunk(
        content=delta.content or "",
        tool_call_chunks=calls,
        usage_metadata=_usage_metadata(usage),
        response_metadata=metadata,
        additional_kwargs=extra,
        id=chunk.id,
    )


def _tool_choice(choice: Any, tools: Sequence[Dict[str, Any]]) -> Any:
    """OpenAI's tool_choice for LangChain's spellings ("any", a tool name, True)."""
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if choice == "any" or choice is True:
        if choice is True and len(tools) == 1:
            return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        return "required"
    if isinstance(choice, str):
        return {"type": "function", "function": {"name": choice}}
    if isinstance(choice, dict):
        return choice
    raise TypeError(f"unsupported tool_choice {choice!r}")


class ChatLiteLLM(BaseChatModel):
    """A LangChain chat model calling any provider through litellm_rs (``provider/model`` names)."""

    model: str = "gpt-4o-mini"
    """The model, as litellm names it (``groq/llama-3.3-70b-versatile``, ``gpt-4o-mini``, ...)."""
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    top_p: Optional[float] = None
    n: Optional[int] = None
    stop: Optional[Union[List[str], str]] = None
    seed: Optional[int] = None
    api_key: Optional[SecretStr] = None
    """The provider's key (default: the provider's environment variable, as litellm reads it)."""
    api_base: Optional[str] = None
    api_version: Optional[str] = None
    custom_llm_provider: Optional[str] = None
    timeout: Optional[float] = None
    max_retries: Optional[int] = None
    """Retries of a failed call (litellm's ``num_retries``)."""
    streaming: bool = False
    """``invoke`` streams internally (callbacks see each token)."""
    stream_usage: bool = True
    """Ask for token usage at the end of streams."""
    extra_headers: Optional[Dict[str, str]] = None
    model_kwargs: Dict[str, Any] = Field(default_factory=dict)
    """Any other litellm keyword argument or request parameter, passed on every call."""

    model_config = ConfigDict(protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _other_spellings(cls, values: Any) -> Any:
        """LangChain's other names: ``model_name``, ``base_url``, ``stop_sequences``, ``request_timeout``."""
        return _renamed(values, _CHAT_SPELLINGS)

    @property
    def _llm_type(self) -> str:
        return "litellm_rs-chat"

    @property
    def _identifying_params(self) -> Dict[str, Any]:
        return {"model": self.model, **self._default_params}

    @property
    def _default_params(self) -> Dict[str, Any]:
        params: Dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "n": self.n,
            "seed": self.seed,
        }
        return {k: v for k, v in params.items() if v is not None}

    def _get_ls_params(self, stop: Optional[List[str]] = None, **kwargs: Any) -> LangSmithParams:
        params = self._get_invocation_params(stop=stop, **kwargs)
        ls = LangSmithParams(
            ls_provider=self.custom_llm_provider or self._provider_name(),
            ls_model_name=params.get("model", self.model),
            ls_model_type="chat",
        )
        if params.get("temperature") is not None:
            ls["ls_temperature"] = params["temperature"]
        if params.get("max_tokens") is not None:
            ls["ls_max_tokens"] = params["max_tokens"]
        ls_stop = stop or params.get("stop") or self.stop
        if ls_stop:
            ls["ls_stop"] = [ls_stop] if isinstance(ls_stop, str) else list(ls_stop)
        return ls

    def _provider_name(self) -> str:
        try:
            return litellm_rs.get_llm_provider(self.model, api_base=self.api_base)[1]
        except Exception:  # noqa: BLE001 - an unknown model is reported by the call, not here
            return "litellm"

    # -- the call ---------------------------------------------------------------------------------
    def _call_kwargs(self, messages: List[BaseMessage], stop: Optional[List[str]], **kwargs: Any) -> Dict[str, Any]:
        call: Dict[str, Any] = {"model": self.model, **self._default_params, **self.model_kwargs}
        settings = {
            "api_key": _secret(self.api_key),
            "api_base": self.api_base,
            "api_version": self.api_version,
            "custom_llm_provider": self.custom_llm_provider,
            "timeout": self.timeout,
            "num_retries": self.max_retries,
            "extra_headers": self.extra_headers,
        }
        call.update({k: v for k, v in settings.items() if v is not None})
        stop = stop if stop is not None else self.stop
        if stop is not None:
            call["stop"] = stop
        call.update({k: v for k, v in kwargs.items() if v is not None})
        call["messages"] = convert_to_openai_messages(messages)
        return call

    def _result(self, response: Any) -> ChatResult:
        generations = [
            ChatGeneration(
                message=_ai_message(response, choice), generation_info={"finish_reason": choice.finish_reason}
            )
            for choice in response.choices
        ]
        usage = getattr(response, "usage", None)
        llm_output: Dict[str, Any] = {"model_name": response.model}
        if usage is not None:
            llm_output["token_usage"] = usage.model_dump()
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        if cost is not None:
            llm_output["response_cost"] = cost
        return ChatResult(generations=generations, llm_output=llm_output)

    def _generate(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming and not kwargs.get("tools"):
            chunks = list(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
            return self._from_chunks(chunks)
        response = litellm_rs.completion(**self._call_kwargs(messages, stop, **kwargs))
        return self._result(response)

    async def _agenerate(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming and not kwargs.get("tools"):
            chunks = [c async for c in self._astream(messages, stop=stop, run_manager=run_manager, **kwargs)]
            return self._from_chunks(chunks)
        response = await litellm_rs.acompletion(**self._call_kwargs(messages, stop, **kwargs))
        return self._result(response)

    @staticmethod
    def _from_chunks(chunks: List[ChatGenerationChunk]) -> ChatResult:
        if not chunks:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=""))])
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
        message = total.message
        aimessage = AIMessage(
            content=message.content,
            tool_calls=getattr(message, "tool_calls", []),
            usage_metadata=getattr(message, "usage_metadata", None),
            response_metadata=message.response_metadata,
            additional_kwargs=message.additional_kwargs,
            id=message.id,
        )
        return ChatResult(generations=[ChatGeneration(message=aimessage, generation_info=total.generation_info)])

    def _stream_kwargs(self, messages: List[BaseMessage], stop: Optional[List[str]], **kwargs: Any) -> Dict[str, Any]:
        call = self._call_kwargs(messages, stop, **kwargs)
        call["stream"] = True
        if self.stream_usage and "stream_options" not in call:
            call["stream_options"] = {"include_usage": True}
        return call

    @staticmethod
    def _last_chunk(stream: Any, model: Optional[str]) -> ChatGenerationChunk:
        hidden = getattr(stream, "_hidden_params", None) or {}
        metadata: Dict[str, Any] = {"model_provider": _PROVIDER}
        if hidden.get("response_cost") is not None:
            metadata["response_cost"] = hidden["response_cost"]
        if model:
            metadata["model_name"] = model
        return ChatGenerationChunk(
            message=AIMessageChunk(content="", response_metadata=metadata, chunk_position="last")
        )

    def _stream(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stream = litellm_rs.completion(**self._stream_kwargs(messages, stop, **kwargs))
        model = None
        for raw in stream:
            model = raw.model or model
            message = _chunk_message(raw)
            if message is None:
                continue
            chunk = ChatGenerationChunk(message=message)
            if run_manager is not None and isinstance(message.content, str) and message.content:
                run_manager.on_llm_new_token(message.content, chunk=chunk)
            yield chunk
        yield self._last_chunk(stream, model)

    async def _astream(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        stream = await litellm_rs.acompletion(**self._stream_kwargs(messages, stop, **kwargs))
        model = None
        async for raw in stream:
            model = raw.model or model
            message = _chunk_message(raw)
            if message is None:
                continue
            chunk = ChatGenerationChunk(message=message)
            if run_manager is not None and isinstance(message.content, str) and message.content:
                await run_manager.on_llm_new_token(message.content, chunk=chunk)
            yield chunk
        yield self._last_chunk(stream, model)

    # -- tools and structured output --------------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[Union[Dict[str, Any], type, Callable[..., Any], BaseTool]],
        *,
        tool_choice: Optional[Union[Dict[str, Any], str, bool]] = None,
        parallel_tool_calls: Optional[bool] = None,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` on every call (OpenAI's tool format); ``tool_choice`` takes "auto",
        "none", "required"/"any", a tool's name, or True (the only tool)."""
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = _tool_choice(tool_choice, formatted)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Optional[Union[Dict[str, Any], type]] = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Union[Dict[str, Any], BaseModel]]:
        """Answers parsed into ``schema`` (a pydantic class, a TypedDict or a JSON schema): through
        a forced tool call (default), a ``json_schema`` response format, or JSON mode."""
        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: Runnable
        if method == "function_calling":
            if schema is None:
                raise ValueError("schema is required with method='function_calling'")
            tool = convert_to_openai_tool(schema, strict=strict)
            name = tool["function"]["name"]
            llm = self.bind_tools([tool], tool_choice=name, ls_structured_output_format={"schema": tool})
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                raise ValueError("schema is required with method='json_schema'")
            json_schema = convert_to_json_schema(schema)
            name = json_schema.get("title", "response")
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": json_schema, **({"strict": strict} if strict else {})},
            }
            llm = self.bind(response_format=response_format, ls_structured_output_format={"schema": json_schema})
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        elif method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"}, ls_structured_output_format={"schema": schema})
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown method {method!r}: function_calling, json_schema or json_mode")
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")


class LiteLLMEmbeddings(BaseModel, Embeddings):
    """LangChain embeddings through litellm_rs (``text-embedding-3-small``, ``cohere/...``, ...)."""

    model: str = "text-embedding-3-small"
    dimensions: Optional[int] = None
    api_key: Optional[SecretStr] = None
    api_base: Optional[str] = None
    api_version: Optional[str] = None
    custom_llm_provider: Optional[str] = None
    timeout: Optional[float] = None
    max_retries: Optional[int] = None
    chunk_size: int = 1000
    """Texts per request."""
    model_kwargs: Dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _other_spellings(cls, values: Any) -> Any:
        return _renamed(values, _EMBEDDING_SPELLINGS)

    def _kwargs(self) -> Dict[str, Any]:
        settings = {
            "model": self.model,
            "dimensions": self.dimensions,
            "api_key": _secret(self.api_key),
            "api_base": self.api_base,
            "api_version": self.api_version,
            "custom_llm_provider": self.custom_llm_provider,
            "timeout": self.timeout,
            "num_retries": self.max_retries,
        }
        return {**{k: v for k, v in settings.items() if v is not None}, **self.model_kwargs}

    @staticmethod
    def _vectors(response: Any) -> List[List[float]]:
        data: Sequence[Any] = response.data
        items = sorted(data, key=lambda d: d["index"] if isinstance(d, Mapping) else d.index)
        return [list(d["embedding"] if isinstance(d, Mapping) else d.embedding) for d in items]

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        out: List[List[float]] = []
        for start in range(0, len(texts), self.chunk_size):
            batch = texts[start : start + self.chunk_size]
            out.extend(self._vectors(litellm_rs.embedding(input=batch, **self._kwargs())))
        return out

    def embed_query(self, text: str) -> List[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: List[str]) -> List[List[float]]:
        out: List[List[float]] = []
        for start in range(0, len(texts), self.chunk_size):
            batch = texts[start : start + self.chunk_size]
            out.extend(self._vectors(await litellm_rs.aembedding(input=batch, **self._kwargs())))
        return out

    async def aembed_query(self, text: str) -> List[float]:
        return (await self.aembed_documents([text]))[0]

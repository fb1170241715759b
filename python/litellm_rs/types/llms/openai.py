# ruff: noqa: UP006, UP007, UP035, UP045 (typing names: these TypedDicts may be evaluated at run time on Python 3.9)
"""The OpenAI-shaped request pieces litellm types as ``litellm.types.llms.openai`` (TypedDicts:
plain dicts at run time, checked by type checkers)."""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Literal, Optional, Union

if sys.version_info >= (3, 11):
    from typing import Required, TypedDict
else:
    from typing_extensions import Required, TypedDict

__all__ = [
    "AllMessageValues",
    "ChatCompletionAnnotation",
    "ChatCompletionAnnotationURLCitation",
    "ChatCompletionAssistantMessage",
    "ChatCompletionAssistantToolCall",
    "ChatCompletionImageObject",
    "ChatCompletionImageUrlObject",
    "ChatCompletionSystemMessage",
    "ChatCompletionTextObject",
    "ChatCompletionToolCallFunctionChunk",
    "ChatCompletionToolChoiceFunctionParam",
    "ChatCompletionToolChoiceObjectParam",
    "ChatCompletionToolMessage",
    "ChatCompletionToolParam",
    "ChatCompletionToolParamFunctionChunk",
    "ChatCompletionUserMessage",
    "OpenAIMessageContent",
]


class ChatCompletionAnnotationURLCitation(TypedDict, total=False):
    end_index: int
    start_index: int
    title: str
    url: str


class ChatCompletionAnnotation(TypedDict, total=False):
    type: Literal["url_citation"]
    url_citation: ChatCompletionAnnotationURLCitation


class ChatCompletionTextObject(TypedDict, total=False):
    type: Required[Literal["text"]]
    text: Required[str]
    cache_control: Dict[str, Any]


class ChatCompletionImageUrlObject(TypedDict, total=False):
    url: Required[str]
    detail: str
    format: str


class ChatCompletionImageObject(TypedDict, total=False):
    type: Required[Literal["image_url"]]
    image_url: Required[Union[str, ChatCompletionImageUrlObject]]


OpenAIMessageContent = Union[str, List[Union[ChatCompletionTextObject, ChatCompletionImageObject, Dict[str, Any]]]]


class ChatCompletionToolCallFunctionChunk(TypedDict, total=False):
    name: Optional[str]
    arguments: str


class ChatCompletionAssistantToolCall(TypedDict, total=False):
    id: Optional[str]
    type: Literal["function"]
    function: ChatCompletionToolCallFunctionChunk


class ChatCompletionUserMessage(TypedDict, total=False):
    role: Required[Literal["user"]]
    content: Required[OpenAIMessageContent]
    name: str


class ChatCompletionSystemMessage(TypedDict, total=False):
    role: Required[Literal["system", "developer"]]
    content: Required[Union[str, List[Any]]]
    name: str


class ChatCompletionAssistantMessage(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    content: Optional[Union[str, List[Any]]]
    name: Optional[str]
    tool_calls: Optional[List[ChatCompletionAssistantToolCall]]
    function_call: Optional[ChatCompletionToolCallFunctionChunk]
    reasoning_content: Optional[str]
    thinking_blocks: Optional[List[Dict[str, Any]]]


class ChatCompletionToolMessage(TypedDict, total=False):
    role: Required[Literal["tool"]]
    content: Required[Union[str, List[Any]]]
    tool_call_id: Required[str]


AllMessageValues = Union[
    ChatCompletionUserMessage, ChatCompletionAssistantMessage, ChatCompletionToolMessage, ChatCompletionSystemMessage
]


class ChatCompletionToolParamFunctionChunk(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: Dict[str, Any]
    strict: bool


class ChatCompletionToolParam(TypedDict, total=False):
    type: Required[Literal["function"]]
    function: Required[ChatCompletionToolParamFunctionChunk]
    cache_control: Dict[str, Any]


class ChatCompletionToolChoiceFunctionParam(TypedDict):
    name: str


class ChatCompletionToolChoiceObjectParam(TypedDict):
    type: Literal["function"]
    function: ChatCompletionToolChoiceFunctionParam

"""The base class of the response types: pydantic v2, extra fields allowed, dict-style access, and
dumps shaped the way litellm's objects dump."""
# ruff: noqa: UP045 (pydantic evaluates these annotations at runtime, also on Python 3.9)

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, model_serializer

_osetattr = object.__setattr__


def _generate_id() -> str:
    return "chatcmpl-" + str(uuid.uuid4())


def _now() -> int:
    return int(time.time())


# Provider finish reasons -> OpenAI ones (used by the Python constructors only; the engine
# already emits OpenAI values).
_FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "STOP": "stop",
    "COMPLETE": "stop",
    "eos": "stop",
    "eos_token": "stop",
    "length": "length",
    "max_tokens": "length",
    "MAX_TOKENS": "length",
    "model_length": "length",
    "tool_use": "tool_calls",
    "tool_calls": "tool_calls",
    "function_call": "function_call",
    "content_filter": "content_filter",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "guardrail_intervened": "content_filter",
}


def map_finish_reason(finish_reason: str) -> str:
    """Map a provider's finish reason onto OpenAI's (unknown values pass through)."""
    return _FINISH_REASONS.get(finish_reason, finish_reason)


class LiteLLMObject(BaseModel):
    """Base of every response type: pydantic v2, extra fields allowed, dict-style access."""

    model_config = ConfigDict(
        extra="allow",
        protected_namespaces=(),
        arbitrary_types_allowed=True,
        defer_build=True,
    )

    # dict-style access, as litellm's objects allow (``resp["choices"][0]["message"]``)
    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and hasattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def json(self, **kwargs: Any) -> Any:  # type: ignore[override]
        """litellm returns ``model_dump()`` here (a dict), not a JSON string."""
        return self.model_dump()

    def to_dict(
        self,
        *,
        mode: str = "python",
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> dict[str, Any]:
        """A dict of the object (like the openai SDK's ``to_dict``: unset fields left out)."""
        return self.model_dump(
            mode=mode,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )

    def to_json(
        self,
        *,
        indent: Optional[int] = 2,
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> str:
        """A JSON string of the object (like the openai SDK's ``to_json``)."""
        return self.model_dump_json(
            indent=indent,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )

    def __str__(self) -> str:
        return f"{self.__repr_name__()}({self.__repr_str__(', ')})"


class _Shaped(LiteLLMObject):
    """Objects whose dumps follow litellm's visible shape.

    ``__litellm_omit__``: optional fields that disappear from dumps and reprs while they are None
    (litellm deletes them, so that e.g. a Message sent back upstream carries no ``audio: null``).
    ``__litellm_keep__``: fields that litellm always sets, so they stay in dumps even when the
    engine's JSON left them out and the caller asked for ``exclude_unset``.
    """

    __litellm_omit__: ClassVar[frozenset[str]] = frozenset()
    __litellm_keep__: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _litellm_shape(self, handler: Any, info: Any) -> Any:
        data = handler(self)
        if type(data) is not dict:
            return data
        for key in self.__litellm_omit__:
            if key in data and data[key] is None:
                del data[key]
        keep = self.__litellm_keep__
        if keep and info.include is None and not info.exclude_none and not info.exclude_defaults:
            exclude = info.exclude
            for key in keep:
                if key not in data and (not exclude or key not in exclude):
                    value = getattr(self, key, None)
                    if value is None or type(value) in (str, int, float, bool):
                        data[key] = value
        return data

    def __iter__(self) -> Any:
        # ``dict(obj)`` leaves out what litellm deletes while it is None, as the dumps do
        omit = self.__litellm_omit__
        for key, value in super().__iter__():
            if value is None and key in omit:
                continue
            yield key, value

    def __repr_args__(self) -> Any:
        omit = self.__litellm_omit__
        for key, value in super().__repr_args__():
            if value is None and key in omit:
                continue
            yield key, value


def _base_init(fn: Any) -> Any:
    # Tell pydantic this constructor is the base one: validation (model_validate_json, nested
    # dicts) then builds instances directly instead of calling it.
    fn.__pydantic_base_init__ = True
    return fn


def _dump_model(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return dict(obj.dict())

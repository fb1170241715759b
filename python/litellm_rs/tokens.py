"""Token counting: ``token_counter``, ``encode`` and ``decode`` with litellm's signatures.

OpenAI models are counted exactly with their tiktoken encoding (``o200k_base`` for the gpt-4o,
gpt-4.1, gpt-4.5, gpt-5+ and o-series families, ``cl100k_base`` for gpt-4, gpt-3.5 and the
embedding models); the vocabularies are compiled into the extension, so nothing is downloaded.
Every other model is counted with ``cl100k_base``: litellm's own fallback when its HuggingFace
tokenizers (Claude, Cohere, Llama, DeepSeek) are unavailable, and an approximation of the
provider's tokenizer. The BPE tables are built on first use, once per encoding per process.

Messages, images and tools are counted with litellm's arithmetic (see ``src/tokens.rs``).
Unlike litellm, ``encode``/``decode`` use the model's own encoding (litellm's use ``cl100k_base``
for every OpenAI model, even those whose ``token_counter`` uses ``o200k_base``), so that
``len(encode(model, text)) == token_counter(model, text=text)`` for texts up to 1,024 characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from . import _core

__all__ = ["decode", "encode", "token_counter"]


def _plain(value: Any) -> Any:
    """A message, tool or tool choice as plain JSON data (pydantic objects dumped, None fields dropped)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return {k: v for k, v in dump(exclude_none=True).items() if v is not None}
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if v is not None}
    return value


def _json(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(exclude_none=True)
    return str(value)


def token_counter(
    model: str = "",
    custom_tokenizer: Any = None,
    text: str | list[str] | None = None,
    messages: Sequence[Any] | None = None,
    count_response_tokens: bool | None = False,
    tools: list[Any] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    use_default_image_token_count: bool | None = False,
    default_token_count: int | None = None,
) -> int:
    """The number of tokens of ``text`` or of a chat prompt (``messages``, ``tools``, ``tool_choice``) for ``model``.

    ``count_response_tokens=True`` counts the messages only (a streamed response): no reply
    priming, tools or tool choice. ``custom_tokenizer`` (a HuggingFace tokenizer) is not supported.
    """
    if custom_tokenizer is not None:
        raise NotImplementedError("custom_tokenizer is not supported by litellm_rs.token_counter")
    import litellm_rs

    if getattr(litellm_rs, "disable_token_counter", False) is True:
        return 0
    if text is not None and messages is not None:
        raise ValueError("text and messages cannot both be set")
    model = model or ""
    if text is not None:
        if tools or tool_choice:
            raise ValueError("tools or tool_choice cannot be set if using text")
        if isinstance(text, list):
            text = "".join(t for t in text if isinstance(t, str))
        return _core.token_counter(model, text=text)
    if messages is None:
        raise ValueError("Either text or messages must be provided")
    return _core.token_counter(
        model,
        messages_json=_json([_plain(m) for m in messages]),
        tools_json=_json([_plain(t) for t in tools]) if tools else None,
        count_response_tokens=bool(count_response_tokens),
        tool_choice_json=_json(_plain(tool_choice)) if tool_choice is not None else None,
        use_default_image_token_count=bool(use_default_image_token_count),
        default_token_count=default_token_count,
    )


def encode(model: str = "", text: str = "", custom_tokenizer: Any = None) -> list[int]:
    """The token ids of ``text`` in ``model``'s encoding (special-token text is encoded as ordinary text)."""
    if custom_tokenizer is not None:
        raise NotImplementedError("custom_tokenizer is not supported by litellm_rs.encode")
    return _core.encode(model or "", text)


def decode(
    model: str = "",
    tokens: Sequence[int] = (),
    custom_tokenizer: Any = None,
    skip_special_tokens: bool = True,
) -> str:
    """The text of token ids ``tokens`` in ``model``'s encoding (invalid UTF-8 replaced with U+FFFD)."""
    if custom_tokenizer is not None:
        raise NotImplementedError("custom_tokenizer is not supported by litellm_rs.decode")
    return _core.decode(model or "", list(tokens))

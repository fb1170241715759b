"""Per-provider request types (``litellm.types.llms``); ``openai`` holds the OpenAI-shaped ones."""

from __future__ import annotations


def __getattr__(name: str) -> object:
    if name == "openai":
        from importlib import import_module

        return import_module(".openai", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""litellm's ``litellm.caching`` import paths: ``Cache`` and ``LiteLLMCacheType``."""

from .caching import Cache, LiteLLMCacheType

__all__ = ["Cache", "LiteLLMCacheType"]

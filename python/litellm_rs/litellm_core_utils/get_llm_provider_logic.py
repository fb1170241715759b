"""``get_llm_provider`` at litellm's module path."""

from ..main import get_llm_provider

__all__ = ["get_llm_provider"]

"""``get_supported_openai_params`` at litellm's module path."""

from ..main import get_supported_openai_params

__all__ = ["get_supported_openai_params"]

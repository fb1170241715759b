"""Names that user code imports from ``litellm.utils`` (response types, stream wrappers and the
call helpers). Importing it loads the response types (pydantic)."""

from .main import get_llm_provider, stream_chunk_builder
from .streaming import CustomStreamWrapper, TextCompletionStreamWrapper
from .types.utils import (
    ChatCompletionDeltaToolCall,
    ChatCompletionMessageToolCall,
    Choices,
    Delta,
    Embedding,
    EmbeddingResponse,
    Function,
    FunctionCall,
    Message,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
    TextChoices,
    TextCompletionResponse,
    Usage,
)

__all__ = [
    "ChatCompletionDeltaToolCall",
    "ChatCompletionMessageToolCall",
    "Choices",
    "CustomStreamWrapper",
    "Delta",
    "Embedding",
    "EmbeddingResponse",
    "Function",
    "FunctionCall",
    "Message",
    "ModelResponse",
    "ModelResponseStream",
    "StreamingChoices",
    "TextChoices",
    "TextCompletionResponse",
    "TextCompletionStreamWrapper",
    "Usage",
    "get_llm_provider",
    "stream_chunk_builder",
]

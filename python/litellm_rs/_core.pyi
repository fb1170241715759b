# Stubs of the private compiled module `litellm_rs._core` (checked with mypy.stubtest).
#
# The contract between the Rust engine and the Python package:
# * `request` dicts hold the OpenAI-shaped body the caller asked for (model, messages, temperature,
#   tools, ... and any provider-specific extra such as top_k); keys whose value is None are absent.
#   `messages` entries are plain dicts (the Python layer dumps pydantic objects first).
# * `options` dicts hold litellm-owned kwargs and the current module settings (see CallOptions in
#   src/engine/options.rs): api_key, api_base, api_version, custom_llm_provider, timeout,
#   num_retries, extra_headers, extra_body, drop_params, additional_drop_params, mock_response
#   (a string), provider_keys ({"groq_key": "..."} from module settings), organization, ...
#   Unknown option names are ignored.
# * Async calls are `*_submit(queue, ...)`: they return an id, and the outcome is delivered through
#   the loop's CompletionQueue (see python/litellm_rs/_aio.py).
# * Results are JSON-encoded bytes of the OpenAI-shaped object (chat responses of the usual shape
#   made into objects by `chat_response`, anything else validated once by pydantic), a dict of hidden params (custom_llm_provider, api_base, model_id,
#   additional_headers, litellm_model_name, response_cost when known) and the call's LogHandle
#   (None unless `log_payload` or `loggers` was in the options: see src/callbacks/).
# * Logging options: metadata, tags, litellm_call_id, litellm_trace_id, litellm_session_id,
#   turn_off_message_logging, log_payload (bool: a LogHandle is wanted) and loggers (built-in
#   logger names the payload is sent to). A failed call's exception carries its log as
#   `_litellm_log` (a LogHandle, or bytes for a stream).
# * Errors are raised as the classes of `litellm_rs.exceptions`, constructed from Rust with keyword
#   arguments: message, llm_provider, model, status_code, headers (dict), body (str | None),
#   retry_after (float | None), num_retries (int).
from typing import Any, final

from typing_extensions import Self, disjoint_base

__all__ = [
    "CacheHandle",
    "ChunkCursor",
    "CompletionQueue",
    "LogHandle",
    "ProxyServer",
    "RouterHandle",
    "Stream",
    "__version__",
    "acompletion_stream_submit",
    "acompletion_submit",
    "aembedding_submit",
    "atext_completion_stream_submit",
    "atext_completion_submit",
    "audio_cost",
    "chat_response",
    "chat_response_classes",
    "cheaper_alternatives",
    "completion",
    "completion_stream",
    "cost_per_token",
    "decode",
    "dropped_log_events",
    "embedding",
    "encode",
    "flush_loggers",
    "get_llm_provider",
    "get_supported_openai_params",
    "image_cost",
    "log_is_json",
    "log_payload",
    "model_cost_json",
    "model_info",
    "openai_chat_params",
    "prometheus_metrics",
    "provider_env_requirements",
    "provider_list",
    "proxy_check_config",
    "redis_commands",
    "register_model_json",
    "request_cache_key",
    "reset_loggers",
    "set_cache",
    "set_log_level",
    "stream_chunk_builder",
    "text_completion",
    "text_completion_stream",
    "token_counter",
    "tokenizer_encoding_name",
]

__version__: str

def completion(request: dict[str, Any], options: dict[str, Any]) -> tuple[bytes, dict[str, Any], LogHandle | None]: ...
def acompletion_submit(queue: CompletionQueue, request: dict[str, Any], options: dict[str, Any]) -> int: ...
def completion_stream(request: dict[str, Any], options: dict[str, Any]) -> Stream: ...
def acompletion_stream_submit(queue: CompletionQueue, request: dict[str, Any], options: dict[str, Any]) -> int: ...
def text_completion(
    request: dict[str, Any], options: dict[str, Any]
) -> tuple[bytes, dict[str, Any], LogHandle | None]: ...
def atext_completion_submit(queue: CompletionQueue, request: dict[str, Any], options: dict[str, Any]) -> int: ...
def text_completion_stream(request: dict[str, Any], options: dict[str, Any]) -> Stream: ...
def atext_completion_stream_submit(queue: CompletionQueue, request: dict[str, Any], options: dict[str, Any]) -> int: ...
def embedding(request: dict[str, Any], options: dict[str, Any]) -> tuple[bytes, dict[str, Any], LogHandle | None]: ...
def aembedding_submit(queue: CompletionQueue, request: dict[str, Any], options: dict[str, Any]) -> int: ...
def stream_chunk_builder(chunks: list[bytes], messages_json: str | None = None) -> bytes | None: ...
def chat_response_classes(spec: tuple[Any, ...] | None) -> int:
    """Hands over the chat response classes (ModelResponse, Choices, Message, Usage, the two
    details wrappers, ChatCompletionMessageToolCall, Function) with their fields; answers 0 when
    `chat_response` cannot make them (3: fully direct)."""

def chat_response(data: bytes, hidden: dict[str, Any]) -> Any:
    """The `ModelResponse` of an engine result made directly, `hidden` as its `_hidden_params`;
    None when the classes were not handed over or the JSON is not of the shape made here."""

def get_llm_provider(
    model: str, custom_llm_provider: str | None = None, api_base: str | None = None, api_key: str | None = None
) -> tuple[str, str, str | None, str | None]: ...
def provider_list() -> list[str]: ...
def provider_env_requirements(provider: str) -> list[list[str]] | None: ...
def openai_chat_params() -> list[str]: ...
def get_supported_openai_params(model: str, custom_llm_provider: str | None = None) -> list[str] | None: ...
def model_cost_json() -> str: ...
def register_model_json(text: str) -> int: ...
def model_info(model: str, custom_llm_provider: str | None = None) -> dict[str, Any] | None: ...
def cost_per_token(
    model: str,
    custom_llm_provider: str | None,
    usage_json: str,
    pricing_json: str | None = None,
    service_tier: str | None = None,
    response_ms: float = 0.0,
) -> tuple[float, float] | None: ...
def cheaper_alternatives(model: str, custom_llm_provider: str | None = None) -> list[tuple[str, str, float]] | None: ...
def image_cost(
    model: str,
    custom_llm_provider: str | None = None,
    size: str | None = None,
    quality: str | None = None,
    n: int = 1,
) -> float: ...
def audio_cost(
    model: str,
    custom_llm_provider: str | None,
    kind: str,
    usage_json: str,
    characters: int | None = None,
    seconds: float = 0.0,
    pricing_json: str | None = None,
) -> tuple[float, float] | None: ...

# Token counting (src/tokens.rs): exactly one of `text` and `messages_json` is given; the JSON
# arguments are JSON texts of the OpenAI-shaped messages, tools and tool choice. ValueError on bad input.
def token_counter(
    model: str,
    text: str | None = None,
    messages_json: str | None = None,
    tools_json: str | None = None,
    count_response_tokens: bool = False,
    tool_choice_json: str | None = None,
    use_default_image_token_count: bool = False,
    default_token_count: int | None = None,
) -> int: ...
def encode(model: str, text: str) -> list[int]: ...
def decode(model: str, tokens: list[int]) -> str: ...
def tokenizer_encoding_name(model: str) -> str: ...

# Callbacks (src/callbacks/): payloads of calls that ended in Python, and the built-in loggers.
def log_payload(
    call_type: str,
    request: dict[str, Any],
    options: dict[str, Any],
    response: bytes | None = None,
    error: tuple[str, int, str, str] | None = None,
) -> bytes | None: ...
def flush_loggers() -> None: ...
def reset_loggers() -> None: ...
def dropped_log_events() -> int: ...
def prometheus_metrics() -> str: ...
def set_log_level(level: str) -> None: ...
def log_is_json() -> bool: ...

# The response cache (src/cache/): settings are litellm's Cache parameters that apply
# (type "local" | "redis", redis_url, namespace, ttl, mode, supported_call_types, max_size_in_memory).
@final
class CacheHandle:
    def __new__(cls, config: dict[str, Any]) -> CacheHandle: ...
    def key(self, call_type: str, request: dict[str, Any], namespace: str | None = None) -> str: ...
    def clear(self, namespace: str | None = None) -> None: ...
    def insert(
        self, call_type: str, request: dict[str, Any], response: dict[str, Any], namespace: str | None = None
    ) -> str: ...

def set_cache(handle: CacheHandle | None = None) -> None: ...

# The proxy (src/proxy/, src/python/proxy.rs): a server running on the engine's threads.
@final
class ProxyServer:
    host: str
    port: int
    def __new__(
        cls, config: str | None = None, model: str | None = None, host: str = "0.0.0.0", port: int = 4000
    ) -> ProxyServer: ...
    def shutdown(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...

def proxy_check_config(path: str) -> list[str]: ...

# The Router (src/router/, src/python/router.rs). `kind` is "completion", "embedding" or
# "text_completion"; `options` are the call's own, `defaults` the module settings under them.
@final
class RouterHandle:
    def __new__(cls, model_list: list[Any], settings: dict[str, Any]) -> RouterHandle: ...
    def set_model_list(self, model_list: list[Any]) -> None: ...
    def update_settings(self, settings: dict[str, Any]) -> None: ...
    def upsert_deployment(self, entry: dict[str, Any]) -> tuple[bool, str]: ...
    def add_deployment(self, entry: dict[str, Any]) -> str | None: ...
    def delete_deployment(self, id: str) -> dict[str, Any] | None: ...
    def model_list(self, group: str | None = None) -> list[dict[str, Any]]: ...
    def model_names(self) -> list[str]: ...
    def deployment(self, id: str) -> dict[str, Any] | None: ...
    def stats(self) -> list[dict[str, Any]]: ...
    def reset(self) -> None: ...
    def cooldown(self, id: str, seconds: float) -> bool: ...
    def health_check(
        self, group: str | None = None, defaults: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...
    def health_check_submit(
        self, queue: CompletionQueue, group: str | None = None, defaults: dict[str, Any] | None = None
    ) -> int: ...
    def available_deployment(self, request: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]: ...
    def call(
        self, kind: str, request: dict[str, Any], options: dict[str, Any], defaults: dict[str, Any]
    ) -> tuple[bytes, dict[str, Any], LogHandle | None]: ...
    def submit(
        self,
        queue: CompletionQueue,
        kind: str,
        request: dict[str, Any],
        options: dict[str, Any],
        defaults: dict[str, Any],
    ) -> int: ...
    def open(self, kind: str, request: dict[str, Any], options: dict[str, Any], defaults: dict[str, Any]) -> Stream: ...
    def submit_open(
        self,
        queue: CompletionQueue,
        kind: str,
        request: dict[str, Any],
        options: dict[str, Any],
        defaults: dict[str, Any],
    ) -> int: ...

def request_cache_key(call_type: str, request: dict[str, Any]) -> str: ...

# Redis (src/store/redis.rs): commands as lists of strings; replies None, int, float, str or lists.
def redis_commands(url: str, commands: list[list[str]], transaction: bool = False) -> list[Any]: ...

@final
class LogHandle:
    """A finished call's log: ids at once, the standard logging payload (JSON) built on first use."""

    def ids(self) -> tuple[str, str]: ...
    def json(self) -> bytes | None: ...

@final
class Stream:
    """One upstream stream. Chunks are JSON bytes of OpenAI chat.completion.chunk (or text_completion) objects;
    after `build_chunks(spec)`, chat chunks of the usual shape are `ModelResponseStream` objects instead."""

    def next_batch(self) -> list[Any]: ...
    def next_batch_submit(self, queue: CompletionQueue) -> int: ...
    def build_chunks(self, spec: tuple[Any, Any, Any] | None) -> int: ...
    def handed_out(self, unread: int) -> list[Any]: ...
    def handed_count(self) -> int: ...
    def close(self) -> None: ...
    def hidden_params(self) -> dict[str, Any]: ...
    def log_payload(self) -> bytes | None: ...

@disjoint_base
class ChunkCursor:
    """Base class of the stream wrapper: the batch being handed out. `__next__` hands out its
    chunks (JSON bytes through the validator given to `_attach`) and refills from an engine
    `Stream`, calling the subclass's `_finish()` at the end of the stream and `_failed(exc)` on an
    error; another kind of stream is refilled by the subclass's `_refill_sync()`."""

    sent_first_chunk: bool
    sent_last_chunk: bool
    _kept: list[Any] | None
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def _attach(self, stream: Any, validate: Any) -> None: ...
    def _pop(self) -> Any: ...
    def _put(self, batch: list[Any]) -> None: ...
    def _pending(self) -> int: ...
    def _discard(self) -> int: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Any: ...

@final
class CompletionQueue:
    """The async completion queue of one event loop: calls submitted to it are run by the engine,
    and their outcomes are drained on the loop thread when `fileno()` becomes readable."""

    def __new__(cls) -> CompletionQueue: ...
    def fileno(self) -> int: ...
    def drain(self) -> list[tuple[int, bool, Any]]: ...
    def cancel(self, id: int) -> None: ...

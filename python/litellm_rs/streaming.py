"""``CustomStreamWrapper``: the object ``completion(..., stream=True)`` returns.

It wraps one engine stream handle (``_core.Stream``) and yields ``ModelResponseStream`` chunks
(``TextCompletionResponse`` chunks for text completions). Both iterations pull whole batches and
hand them out one by one: a sync stream costs one engine call per network read (made by the
engine's ``ChunkCursor``, the base class, without Python code per chunk), an async stream one
await per batch of every chunk already received, not per chunk.

Chat chunks of the usual shape arrive already built by the engine (``Stream.build_chunks``: the same
``ModelResponseStream`` objects pydantic's validation makes, without its per-chunk overhead); the
others arrive as JSON bytes and are validated here.
"""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at runtime: importing litellm_rs stays cheap
    from typing import Any, Optional

from . import _aio, _core

__all__ = ["CustomStreamWrapper", "TextCompletionStreamWrapper"]


def _chunk_type(kind: str) -> Any:
    from .types import utils

    return utils.TextCompletionResponse if kind == "text" else utils.ModelResponseStream


_spec: Any = None


def _chunk_spec() -> Any:
    """The chat chunk classes and their fields, for the engine's direct construction: per class,
    ``(cls, ((field, required, default), ...))``; a field with a default factory counts as required
    (such chunks are left to pydantic). None turns the direct construction off."""
    global _spec
    if _spec is None:
        from .types import utils

        _spec = utils._fields_spec(utils.ModelResponseStream, utils.StreamingChoices, utils.Delta)
    return _spec


def _complete_type(kind: str) -> Any:
    from .types import utils

    return utils.TextCompletionResponse if kind == "text" else utils.ModelResponse


class CustomStreamWrapper(_core.ChunkCursor):
    """Iterator and async iterator over the chunks of one streamed call.

    The batch being handed out lives in the engine's ``ChunkCursor`` base class, whose
    ``__next__`` hands out each chunk (and refills from the engine stream) without Python code
    per chunk; the methods here run per batch, at the end and on errors."""

    _chunk_kind = "chat"

    def __init__(
        self,
        completion_stream: Any,
        model: Optional[str] = None,
        custom_llm_provider: Optional[str] = None,
        logging_obj: Any = None,
        stream_options: Optional[dict] = None,
        chunk_type: Any = None,
    ) -> None:
        self._closed = False
        self.completion_stream = completion_stream
        self.model = model
        self._provider = custom_llm_provider
        self.logging_obj = logging_obj
        self.stream_options = stream_options
        self._unread = 0  # chunks handed over by the engine but dropped unread by close()
        self.sent_first_chunk = False
        self.sent_last_chunk = False
        self._validate = (chunk_type or _chunk_type(self._chunk_kind)).model_validate_json
        build = getattr(completion_stream, "build_chunks", None)
        if build is not None:
            # chunk objects made by the engine for the plain chat chunk type, JSON bytes otherwise
            build(_chunk_spec() if chunk_type is None and self._chunk_kind == "chat" else None)
        # the cursor (base class) keeps the batch being handed out and ``chunks`` (``_kept``)
        self._attach(completion_stream, self._validate)
        if not hasattr(completion_stream, "handed_out"):
            # no engine record of the chunks handed out to rebuild ``chunks`` from: kept as they go
            self._kept = []
        self._hidden: Optional[dict] = None
        self._log: Any = None  # the call's callbacks (``_callbacks.CallLogging``), when any

    # -- the chunks seen so far ----------------------------------------------------------------
    @property
    def chunks(self) -> list[Any]:
        """The chunks yielded so far (litellm's attribute). The engine keeps their JSON, so the
        objects are made on the first access; from then on every chunk is also appended here.
        Until then a chunk the caller drops is freed at once, not kept for the whole stream."""
        kept = self._kept
        if kept is None:
            kept = self._kept = self._rebuild()
        return kept

    @chunks.setter
    def chunks(self, value: list[Any]) -> None:
        self._kept = value

    def _rebuild(self) -> list[Any]:
        stream = self.completion_stream
        if stream is None or not hasattr(stream, "handed_out"):
            return []
        validate = self._validate
        return [c if c.__class__ is not bytes else validate(c) for c in stream.handed_out(self._not_yielded())]

    def _not_yielded(self) -> int:
        """Chunks the engine handed over that were not yielded: the rest of the current batch and
        what close() dropped."""
        return self._unread + self._pending()

    # -- hidden params ------------------------------------------------------------------------
    def _engine_hidden_params(self) -> dict:
        stream = self.completion_stream
        if stream is not None and hasattr(stream, "hidden_params"):
            return dict(stream.hidden_params() or {})
        return {}

    @property
    def _hidden_params(self) -> dict:
        hidden = self._hidden
        if hidden is None:
            hidden = self._engine_hidden_params()
            if self._provider is not None:
                hidden.setdefault("custom_llm_provider", self._provider)
            self._hidden = hidden
        return hidden

    @_hidden_params.setter
    def _hidden_params(self, value: dict) -> None:
        self._hidden = value

    hidden_params = _hidden_params

    @property
    def custom_llm_provider(self) -> Optional[str]:
        """The provider serving the stream (as resolved by the engine when not given)."""
        provider = self._provider
        if provider is None:
            provider = self._hidden_params.get("custom_llm_provider")
        return provider

    @custom_llm_provider.setter
    def custom_llm_provider(self, value: Optional[str]) -> None:
        self._provider = value

    # -- sync iteration (``__iter__`` and ``__next__``: the cursor's) -------------------------
    def _refill(self, batch: list[Any]) -> bool:
        """Takes a new batch from the engine; False (and the stream finished) when it is empty."""
        if not batch:
            self._finish()
            return False
        self._put(batch)
        self.sent_first_chunk = True
        return True

    def _refill_sync(self) -> bool:
        """Refills from a ``completion_stream`` that is not an engine stream (the cursor refills
        from an engine stream itself)."""
        try:
            batch = self.completion_stream.next_batch()
        except Exception as exc:
            self._failed(exc)
            raise
        return self._refill(batch)

    # -- async iteration ----------------------------------------------------------------------
    def __aiter__(self) -> CustomStreamWrapper:
        return self

    async def __anext__(self) -> Any:
        chunk = self._pop()
        if chunk is not None:
            return chunk
        if self.sent_last_chunk:
            raise StopAsyncIteration
        try:
            batch = await _aio.submit(self.completion_stream.next_batch_submit)
        except Exception as exc:
            self._failed(exc)
            raise
        if not self._refill(batch):
            raise StopAsyncIteration
        return self._pop()

    # -- lifetime -----------------------------------------------------------------------------
    def _finish(self) -> None:
        # the engine knows the final hidden params (cost, usage) once the stream has ended
        self.sent_last_chunk = True
        if self._hidden is None:
            _ = self._hidden_params
        else:
            self._hidden.update(self._engine_hidden_params())
        if self._log is not None:
            self._log_success()

    # -- callbacks ----------------------------------------------------------------------------
    def _log_success(self) -> None:
        """The stream ended: success hooks get the complete response (assembled by the engine)."""
        log, self._log = self._log, None
        payload = self.completion_stream.log_payload()
        response = None
        if payload:
            import json

            data = json.loads(payload).get("response")
            if data:
                response = _complete_type(self._chunk_kind).model_validate(data)
                response.__pydantic_private__["_hidden_params"] = dict(self._hidden or {})
        log.success(response, payload, stream=True)

    def _failed(self, exc: BaseException) -> None:
        """The stream failed: failure hooks get the error (the caller raises it)."""
        log, self._log = self._log, None
        if log is not None:
            log.failure(exc, stream=True)

    def close(self) -> None:
        """Stop the stream and release the upstream connection."""
        if self._closed:
            return
        self._closed = True
        self.sent_last_chunk = True
        self._unread += self._discard()
        stream = self.completion_stream
        if stream is not None:
            stream.close()

    async def aclose(self) -> None:
        self.close()

    def __enter__(self) -> CustomStreamWrapper:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> CustomStreamWrapper:  # noqa: PYI034
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001, S110 - nothing to report to during garbage collection
            pass

    def _seen(self) -> int:
        """How many chunks were yielded so far (without building ``chunks``)."""
        if self._kept is not None:
            return len(self._kept)
        count = getattr(self.completion_stream, "handed_count", None)
        return count() - self._not_yielded() if count is not None else 0

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} model={self.model!r} provider={self.custom_llm_provider!r} chunks={self._seen()}>"
        )


class TextCompletionStreamWrapper(CustomStreamWrapper):
    """Stream of a text completion: yields ``TextCompletionResponse`` chunks."""

    _chunk_kind = "text"

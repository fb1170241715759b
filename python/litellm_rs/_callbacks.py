"""Running the callbacks registered on ``litellm_rs`` (and on a call) around each call.

What is registered is read from the module lists at call time: ``callbacks`` (``CustomLogger``
instances and built-in logger names), ``success_callback`` / ``failure_callback`` /
``input_callback`` (plain functions, ``CustomLogger`` instances, names) and the ``_async_*``
lists. A call with nothing registered pays one check.

The engine builds each call's standard logging payload (``kwargs["standard_logging_object"]``)
with the GIL released and sends it to the built-in loggers itself; this module runs the Python
side: input callbacks before the call on the caller's thread, sync hooks on one background
thread (never on the call's path), async hooks of async calls as tasks on the caller's loop. A
raising hook is logged, never propagated.
"""

from __future__ import annotations

import sys

from . import _core

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

_pkg: Any = sys.modules[__package__]

# names that select a built-in logger (the engine's `callbacks::loggers::canonical`)
BUILT_IN = frozenset(
    (
        "langfuse", "langfuse_otel", "langsmith", "datadog", "datadog_llm_observability", "helicone", "wandb",
        "weave", "otel", "opentelemetry", "open_telemetry", "prometheus", "webhook", "generic", "generic_api",
    )
)  # fmt: skip

_SUCCESS_HOOKS = ("log_success_event", "async_log_success_event", "log_post_api_call")
_OPTION_SECRETS = ("key", "secret", "token", "password", "credential", "authorization")
_HIDDEN_OPTIONS: dict = {}  # option name -> kept out of the kwargs hooks see (secrets, internals)


# ---------------------------------------------------------------------------------------------
# what is registered
# ---------------------------------------------------------------------------------------------


_override_cache: dict = {}


def _overrides(obj: Any, name: str) -> bool:
    """Whether a handler defines hook ``name`` itself (the base class's are no-ops)."""
    key = (type(obj), name)
    found = _override_cache.get(key)
    if found is None:
        from .integrations.custom_logger import CustomLogger

        impl = getattr(type(obj), name, None)
        found = _override_cache[key] = impl is not None and impl is not getattr(CustomLogger, name, None)
    return found


def _is_logger(obj: Any) -> bool:
    return hasattr(obj, "log_success_event") or hasattr(obj, "async_log_success_event")


def _is_async(fn: Any) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


class _Registered:
    """The callbacks in force for a call, sorted by how they are run."""

    __slots__ = (
        "async_failure",
        "async_success",
        "customs",
        "failure",
        "input",
        "loggers",
        "python",
        "success",
    )

    def __init__(self, callbacks: list, success: list, failure: list, inputs: list, async_lists: tuple) -> None:
        customs: list = []
        loggers: list[str] = []
        self.success: list = []
        self.failure: list = []
        self.async_success: list = []
        self.async_failure: list = []
        self.input: list = []

        def add_name(name: str) -> None:
            if name in BUILT_IN:
                if name not in loggers:
                    loggers.append(name)
            else:
                _warn_unknown(name)

        def add_logger(obj: Any) -> None:
            if not any(obj is c for c in customs):
                customs.append(obj)

        for item in callbacks:
            if isinstance(item, str):
                add_name(item)
            elif _is_logger(item):
                add_logger(item)
            elif callable(item):
                (self.async_success if _is_async(item) else self.success).append(item)
        for items, sync_list, async_list in (
            (success, self.success, self.async_success),
            (failure, self.failure, self.async_failure),
            (async_lists[0], self.async_success, self.async_success),
            (async_lists[1], self.async_failure, self.async_failure),
        ):
            for item in items:
                if isinstance(item, str):
                    add_name(item)
                elif _is_logger(item):
                    add_logger(item)
                elif callable(item):
                    (async_list if _is_async(item) else sync_list).append(item)
        for item in inputs:
            if isinstance(item, str):
                add_name(item)
            elif _is_logger(item):
                add_logger(item)
            elif callable(item):
                self.input.append(item)
        self.customs = customs
        self.loggers = loggers
        self.python = bool(customs or self.success or self.failure or self.async_success or self.async_failure)


_warned: set = set()


def _warn_unknown(name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        from ._logging import verbose_logger

        verbose_logger.warning("callback %r is not a built-in logger of litellm_rs; it is ignored", name)


_cache: tuple = ((), None)


def _registered(options: dict) -> _Registered | None:
    global _cache
    pkg = _pkg
    lists = (
        pkg.callbacks, pkg.success_callback, pkg.failure_callback, pkg.input_callback,
        pkg._async_success_callback, pkg._async_failure_callback,
    )  # fmt: skip
    per_call = None
    if "callbacks" in options or "success_callback" in options or "failure_callback" in options:
        per_call = (
            options.pop("callbacks", None) or [],
            options.pop("success_callback", None) or [],
            options.pop("failure_callback", None) or [],
        )
    if per_call is None:
        if not (lists[0] or lists[1] or lists[2] or lists[3] or lists[4] or lists[5]):
            return None
        # compared with copies of the lists (not their ids, which a new list can reuse), so that
        # replacing or editing a list in place takes effect on the next call
        cached = _cache
        if cached[0] == lists:
            return cached[1]
    callbacks = list(lists[0]) + list(per_call[0] if per_call else ())
    success = list(lists[1]) + list(per_call[1] if per_call else ())
    failure = list(lists[2]) + list(per_call[2] if per_call else ())
    reg = _Registered(callbacks, success, failure, list(lists[3]), (lists[4], lists[5]))
    if per_call is None:
        _cache = (tuple(list(x) for x in lists), reg)
    return reg


# ---------------------------------------------------------------------------------------------
# the background thread for sync hooks
# ---------------------------------------------------------------------------------------------


class _Worker:
    """One daemon thread that runs queued hooks in order, in batches: it is woken once for
    everything queued while it slept (and lingers a moment so that a busy caller wakes it
    rarely). Recreated in a forked child."""

    LINGER = 0.02

    def __init__(self) -> None:
        import collections
        import os
        import threading

        self.pid = os.getpid()
        self.items: collections.deque = collections.deque()
        self.awake = False
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="litellm-rs-callbacks", daemon=True)
        self.thread.start()

    def push(self, item: tuple) -> None:
        self.items.append(item)
        if not self.awake:
            self.awake = True
            self.event.set()

    def _run(self) -> None:
        import time

        items, event = self.items, self.event
        while True:
            event.wait()
            event.clear()
            time.sleep(self.LINGER)
            self.awake = False
            while items:
                fn, args = items.popleft()
                try:
                    fn(*args)
                except Exception:  # noqa: BLE001 - a hook never breaks the worker
                    _log_hook_error(fn)


_worker: _Worker | None = None


def _submit(fn: Callable[..., Any], *args: Any) -> None:
    global _worker
    worker = _worker
    if worker is None or worker.pid != _getpid():
        worker = _worker = _Worker()
        import atexit

        atexit.register(_flush_at_exit)
    worker.push((fn, args))


def _getpid() -> int:
    import os

    return os.getpid()


def flush_callbacks(timeout: float | None = 10.0) -> bool:
    """Waits until every queued sync hook has run and every built-in logger has sent what it
    has; True when all of it finished within ``timeout`` seconds."""
    import threading

    done = threading.Event()
    worker = _worker
    if worker is not None and worker.pid == _getpid() and worker.thread.is_alive():
        worker.push((done.set, ()))
        worker.event.set()
        if not done.wait(timeout):
            return False
    _core.flush_loggers()
    return True


def _flush_at_exit() -> None:
    flush_callbacks(5.0)


def _log_hook_error(hook: Any) -> None:
    from ._logging import verbose_logger

    verbose_logger.exception("litellm_rs: callback %r raised; the call was not affected", hook)


# ---------------------------------------------------------------------------------------------
# one call
# ---------------------------------------------------------------------------------------------

_tasks: set = set()


def _spawn(coro: Any) -> None:
    """Runs an async hook as a task on the running loop (kept alive until done)."""
    import asyncio

    task = asyncio.get_running_loop().create_task(_guarded(coro))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _guarded(coro: Any) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001
        _log_hook_error(coro)


_datetime: Any = None


def _now() -> Any:
    global _datetime
    if _datetime is None:
        import datetime

        _datetime = datetime.datetime
    return _datetime.now()


_SLO = "standard_logging_object"
_LOADED = object()


class _Kwargs(dict):
    """The kwargs handed to hooks, filled on first use: the fields when any is read (by key,
    ``get``, ``in``, iteration, ``len`` or copy), and ``standard_logging_object`` (parsed from the
    engine's JSON) when it is read or the whole dict is. A hook that never looks at its kwargs
    costs almost nothing; one that does sees a plain dict."""

    __slots__ = ("_fill", "_payload")

    def _fields(self) -> None:
        fill = self._fill  # (the call's CallLogging, then the arguments of its _fields_of)
        if fill is not None:
            self._fill = None
            for key, value in fill[0]._fields_of(self, *fill[1:]).items():
                dict.setdefault(self, key, value)

    def _load(self) -> None:
        self._fields()
        payload = self._payload
        if payload is not _LOADED:
            self._payload = _LOADED
            if payload is not None and not isinstance(payload, bytes):
                payload = payload.json()  # a LogHandle: the engine builds the payload now
            import json

            dict.setdefault(self, _SLO, json.loads(payload) if payload else {})

    def __missing__(self, key: Any) -> Any:
        self._fields()
        if key == _SLO:
            self._load()
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._fields()
        if key == _SLO:
            self._load()
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._fields()
        if key == _SLO:
            self._load()
        return dict.__contains__(self, key)

    def __iter__(self) -> Any:
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._load()
        return dict.keys(self)

    def items(self) -> Any:
        self._load()
        return dict.items(self)

    def values(self) -> Any:
        self._load()
        return dict.values(self)

    def copy(self) -> dict:
        self._load()
        return dict(dict.items(self))

    def pop(self, key: Any, *default: Any) -> Any:
        self._load()
        return dict.pop(self, key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._load()
        return dict.setdefault(self, key, default)

    def __eq__(self, other: object) -> bool:
        self._load()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._load()
        return dict.__repr__(self)

    def __reduce__(self) -> Any:
        self._load()
        return (dict, (dict(dict.items(self)),))


def _ids(payload: bytes) -> tuple:
    """``(litellm_call_id, trace_id)`` of a payload, read without parsing all of it (they are
    top-level fields near its start, and JSON strings cannot hold an unescaped quote)."""
    out = []
    for key in (b'"litellm_call_id":"', b'"trace_id":"'):
        start = payload.find(key)
        if start < 0:
            out.append(None)
            continue
        start += len(key)
        out.append(payload[start : payload.find(b'"', start)].decode())
    return tuple(out)


def _slo(kwargs: dict) -> dict:
    return kwargs.get(_SLO) or {}


class CallLogging:
    """The callbacks of one call: created by ``start`` when anything is registered."""

    __slots__ = ("call_type", "is_async", "options", "reg", "request", "start_time")

    def __init__(self, reg: _Registered, call_type: str, request: dict, options: dict) -> None:
        self.reg = reg
        self.call_type = call_type
        self.is_async = call_type.startswith("a")
        self.request = request
        self.options = options
        self.start_time = _now()
        if reg.python:
            options["log_payload"] = True
        if reg.loggers:
            options["loggers"] = reg.loggers
        if "turn_off_message_logging" not in options and _pkg.turn_off_message_logging:
            options["turn_off_message_logging"] = True

    # -- before the call --------------------------------------------------------------------
    def pre(self) -> None:
        """Input callbacks and ``log_pre_api_call``, on the caller's thread (as litellm)."""
        reg = self.reg
        if not (reg.input or reg.customs):
            return
        model = self.request.get("model")
        messages = self._messages()
        details = {"model": model, "messages": messages, "optional_params": self._optional_params(),
                   "litellm_params": self._litellm_params(), "call_type": self.call_type,
                   "log_event_type": "pre_api_call", "start_time": self.start_time}  # fmt: skip
        for fn in reg.input:
            try:
                fn(dict(details))
            except Exception:  # noqa: BLE001
                _log_hook_error(fn)
        for logger in reg.customs:
            if _overrides(logger, "log_pre_api_call"):
                try:
                    logger.log_pre_api_call(model=model, messages=messages, kwargs=dict(details))
                except Exception:  # noqa: BLE001
                    _log_hook_error(logger)

    async def apre(self) -> None:
        """Before an async call: ``async_pre_request_hook`` (may rewrite the request), then the
        pre-call hooks."""
        for logger in self.reg.customs:
            if _overrides(logger, "async_pre_request_hook"):
                try:
                    changed = await logger.async_pre_request_hook(
                        self.request.get("model"), self._messages(), {**self.request, **self._litellm_params()}
                    )
                except Exception:  # noqa: BLE001
                    _log_hook_error(logger)
                    continue
                if isinstance(changed, dict):
                    self._apply(changed)
        self.pre()
        for logger in self.reg.customs:
            if _overrides(logger, "async_log_pre_api_call"):
                try:
                    await logger.async_log_pre_api_call(
                        model=self.request.get("model"), messages=self._messages(), kwargs=self._details()
                    )
                except Exception:  # noqa: BLE001
                    _log_hook_error(logger)

    def _apply(self, changed: dict) -> None:
        from .main import _split_kwargs

        request, options = self.request, self.options
        extra: dict = {}
        for key, value in changed.items():
            if key in ("model", "messages", "input", "prompt") or key in request:
                request[key] = value
            elif key in options:
                options[key] = value
            else:
                extra[key] = value
        if extra:
            _split_kwargs(extra, request, options)

    # -- after the call ---------------------------------------------------------------------
    def success(self, response: Any, payload: bytes | None, stream: bool = False) -> None:
        """A finished call (or stream): sync hooks go to the worker, async hooks of async calls
        become tasks on the running loop."""
        end_time = _now()
        reg = self.reg
        if not reg.python:
            return
        if self.is_async and (reg.async_success or any(_overrides(c, "async_log_success_event") for c in reg.customs)):
            _spawn(self._async_success(response, payload, end_time, stream))
            if reg.success or any(self._sync_success_only(c) for c in reg.customs):
                _submit(self._run_success, response, payload, end_time, stream, True)
            return
        _submit(self._run_success, response, payload, end_time, stream, False)

    def _sync_success_only(self, logger: Any) -> bool:
        return not _overrides(logger, "async_log_success_event") and (
            _overrides(logger, "log_success_event") or _overrides(logger, "log_post_api_call")
        )

    def _run_success(self, response: Any, payload: bytes | None, end_time: Any, stream: bool, skip_async: bool) -> None:
        kwargs = self._kwargs(payload, end_time, stream, response)
        start = self.start_time
        for fn in self.reg.success:
            try:
                fn(kwargs, response, start, end_time)
            except Exception:  # noqa: BLE001
                _log_hook_error(fn)
        for logger in self.reg.customs:
            if skip_async and not self._sync_success_only(logger):
                continue
            if (self.is_async and not skip_async) and _overrides(logger, "async_log_success_event"):
                continue
            args = self._for(logger, kwargs, response)
            for name in (
                ("log_success_event", "log_stream_event") if stream else ("log_post_api_call", "log_success_event")
            ):
                if _overrides(logger, name):
                    try:
                        getattr(logger, name)(kwargs=args[0], response_obj=args[1], start_time=start, end_time=end_time)
                    except Exception:  # noqa: BLE001
                        _log_hook_error(logger)

    async def _async_success(self, response: Any, payload: bytes | None, end_time: Any, stream: bool) -> None:
        kwargs = self._kwargs(payload, end_time, stream, response)
        start = self.start_time
        for fn in self.reg.async_success:
            try:
                await fn(kwargs, response, start, end_time)
            except Exception:  # noqa: BLE001
                _log_hook_error(fn)
        names = ("async_log_success_event", "async_log_stream_event") if stream else ("async_log_success_event",)
        for logger in self.reg.customs:
            if _overrides(logger, "async_log_success_event"):
                args = self._for(logger, kwargs, response)
                for name in names:
                    if not _overrides(logger, name):
                        continue
                    try:
                        await getattr(logger, name)(
                            kwargs=args[0], response_obj=args[1], start_time=start, end_time=end_time
                        )
                    except Exception:  # noqa: BLE001
                        _log_hook_error(logger)

    def failure(self, exc: BaseException, stream: bool = False) -> None:
        """A failed call: failure hooks with ``kwargs["exception"]`` and no response."""
        end_time = _now()
        reg = self.reg
        payload = getattr(exc, "_litellm_log", None)
        if payload is None:
            payload = self._python_payload(error=exc)
        if not reg.python:
            return
        if self.is_async and (reg.async_failure or any(_overrides(c, "async_log_failure_event") for c in reg.customs)):
            _spawn(self._async_failure(exc, payload, end_time, stream))
        _submit(self._run_failure, exc, payload, end_time, stream)

    def _failure_kwargs(self, exc: BaseException, payload: bytes | None, end_time: Any, stream: bool) -> dict:
        import traceback

        kwargs = self._kwargs(payload, end_time, stream, None)
        kwargs["exception"] = exc
        kwargs["traceback_exception"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        kwargs["log_event_type"] = "failed_api_call"
        return kwargs

    def _run_failure(self, exc: BaseException, payload: bytes | None, end_time: Any, stream: bool) -> None:
        kwargs = self._failure_kwargs(exc, payload, end_time, stream)
        for fn in self.reg.failure:
            try:
                fn(kwargs, None, self.start_time, end_time)
            except Exception:  # noqa: BLE001
                _log_hook_error(fn)
        for logger in self.reg.customs:
            if self.is_async and _overrides(logger, "async_log_failure_event"):
                continue
            if _overrides(logger, "log_failure_event"):
                try:
                    logger.log_failure_event(
                        kwargs=self._for(logger, kwargs, None)[0],
                        response_obj=None,
                        start_time=self.start_time,
                        end_time=end_time,
                    )
                except Exception:  # noqa: BLE001
                    _log_hook_error(logger)

    async def _async_failure(self, exc: BaseException, payload: bytes | None, end_time: Any, stream: bool) -> None:
        kwargs = self._failure_kwargs(exc, payload, end_time, stream)
        for fn in self.reg.async_failure:
            try:
                await fn(kwargs, None, self.start_time, end_time)
            except Exception:  # noqa: BLE001
                _log_hook_error(fn)
        for logger in self.reg.customs:
            if _overrides(logger, "async_log_failure_event"):
                try:
                    await logger.async_log_failure_event(
                        kwargs=self._for(logger, kwargs, None)[0],
                        response_obj=None,
                        start_time=self.start_time,
                        end_time=end_time,
                    )
                except Exception:  # noqa: BLE001
                    _log_hook_error(logger)

    def mocked(self, response: Any) -> Any:
        """A response made in Python (``mock_response`` as an object): logged like any other."""
        self.success(response, self._python_payload(response=response))
        return response

    def _python_payload(self, response: Any = None, error: BaseException | None = None) -> bytes | None:
        # the engine builds the payload (and feeds the built-in loggers) for outcomes made here
        body = None
        if response is not None:
            dump = getattr(response, "model_dump_json", None)
            body = dump().encode() if dump is not None else None
        err = None
        if error is not None:
            err = (
                type(error).__name__,
                int(getattr(error, "status_code", 500) or 500),
                str(getattr(error, "message", None) or error),
                str(getattr(error, "llm_provider", "") or ""),
            )
        try:
            options = {k: v for k, v in self.options.items() if k not in ("mock_response", "mock_tool_calls")}
            return _core.log_payload(self.call_type, self.request, options, body, err)
        except Exception:  # noqa: BLE001 - logging never fails the call
            return None

    # -- kwargs -----------------------------------------------------------------------------
    def _messages(self) -> Any:
        request = self.request
        for key in ("messages", "input", "prompt"):
            if key in request:
                return request[key]
        return None

    def _optional_params(self) -> dict:
        return {k: v for k, v in self.request.items() if k not in ("model", "messages", "input", "prompt")}

    def _litellm_params(self) -> dict:
        out = {}
        for key, value in self.options.items():
            hidden = _HIDDEN_OPTIONS.get(key)
            if hidden is None:
                low = key.lower()
                hidden = _HIDDEN_OPTIONS[key] = any(s in low for s in _OPTION_SECRETS) or key in (
                    "provider_keys",
                    "extra_headers",
                    "headers",
                    "log_payload",
                    "loggers",
                )
            if not hidden:
                out[key] = value
        if "metadata" not in out:
            out["metadata"] = {}
        return out

    def _details(self) -> dict:
        return {"model": self.request.get("model"), "messages": self._messages(),
                "optional_params": self._optional_params(), "litellm_params": self._litellm_params(),
                "call_type": self.call_type, "start_time": self.start_time}  # fmt: skip

    def _kwargs(self, payload: Any, end_time: Any, stream: bool, response: Any) -> dict:
        kwargs = _Kwargs()
        kwargs._payload = payload
        kwargs._fill = (self, payload, end_time, stream, response)
        return kwargs

    def _fields_of(self, kwargs: _Kwargs, payload: Any, end_time: Any, stream: bool, response: Any) -> dict:
        request, options = self.request, self.options
        redact = bool(options.get("turn_off_message_logging"))
        messages = self._messages()
        if redact:
            messages = _redact_messages(messages)
        hidden = getattr(response, "_hidden_params", None) or {}
        start = self.start_time
        fields = {
            "model": request.get("model"),
            "messages": messages,
            "input": messages,
            "optional_params": self._optional_params(),
            "litellm_params": self._litellm_params(),
            "start_time": start,
            "end_time": end_time,
            "stream": stream,
            "call_type": self.call_type,
            "custom_llm_provider": hidden.get("custom_llm_provider"),
            "response_cost": hidden.get("response_cost"),
            "cache_hit": hidden.get("cache_hit"),
            "api_base": hidden.get("api_base"),
            "user": request.get("user"),
            "metadata": options.get("metadata") or {},
            "log_event_type": "successful_api_call",
            "model_id": hidden.get("model_id"),
            "api_call_start_time": start,
            "completion_start_time": end_time,
            "stream_options": request.get("stream_options"),
            "extra_body": options.get("extra_body") or {},
            "additional_args": {},
            "applied_guardrails": [],
            "standard_callback_dynamic_params": {},
            "original_response": None,
            "zero_cost_diagnostic": None,
        }
        provider = hidden.get("custom_llm_provider")
        model = request.get("model")
        if provider and isinstance(model, str) and model.startswith(provider + "/"):
            fields["model"] = model[len(provider) + 1 :]
        if payload is None:
            fields["litellm_call_id"] = fields["litellm_trace_id"] = None
            return fields
        ids = _ids(payload) if isinstance(payload, bytes) else payload.ids()
        fields["litellm_call_id"], fields["litellm_trace_id"] = ids[0], ids[1]
        if not hidden:  # a failure, or a response made in Python: the payload knows more
            slo = _slo(kwargs)
            for key in ("model", "custom_llm_provider", "response_cost", "api_base"):
                fields[key] = slo.get(key)
        if stream and response is not None:
            fields["complete_streaming_response" if not self.is_async else "async_complete_streaming_response"] = (
                response
            )
        return fields

    def _for(self, logger: Any, kwargs: dict, response: Any) -> tuple[dict, Any]:
        """The kwargs (and response) a handler sees: redacted for one made with
        ``turn_off_message_logging=True`` when the call itself is not."""
        if not getattr(logger, "turn_off_message_logging", False) or self.options.get("turn_off_message_logging"):
            return kwargs, response
        return _redacted(kwargs), _redacted_response(response)


_REDACTED = "redacted-by-litellm"


def _redact_messages(messages: Any) -> Any:
    if isinstance(messages, list):
        return [{**m, "content": _REDACTED} if isinstance(m, dict) and "content" in m else _REDACTED for m in messages]
    return _REDACTED if messages is not None else None


def _redacted(kwargs: dict) -> dict:
    out = dict(kwargs)
    out["messages"] = out["input"] = _redact_messages(kwargs.get("messages"))
    slo = dict(kwargs.get("standard_logging_object") or {})
    if slo:
        slo["messages"] = _redact_messages(slo.get("messages"))
        response = slo.get("response")
        if isinstance(response, dict):
            slo["response"] = _redact_response_dict(response)
        out["standard_logging_object"] = slo
    return out


def _redact_response_dict(response: dict) -> dict:
    out = dict(response)
    choices = []
    for choice in response.get("choices") or []:
        choice = dict(choice)
        if isinstance(choice.get("message"), dict):
            choice["message"] = {**choice["message"], "content": _REDACTED}
        if "text" in choice:
            choice["text"] = _REDACTED
        choices.append(choice)
    out["choices"] = choices
    return out


def _redacted_response(response: Any) -> Any:
    if response is None or not hasattr(response, "model_dump"):
        return response
    data = _redact_response_dict(response.model_dump())
    return type(response).model_validate(data)


def start(call_type: str, request: dict, options: dict) -> CallLogging | None:
    """The callbacks of a call about to start, or None when nothing is registered."""
    reg = _registered(options)
    if reg is None:
        return None
    if not (reg.python or reg.loggers or reg.input):
        return None
    return CallLogging(reg, call_type, request, options)

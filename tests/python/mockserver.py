"""A dependency-free, OpenAI-compatible mock server for the litellm_rs pytest suite.

It runs ``http.server.ThreadingHTTPServer`` (HTTP/1.1, keep-alive) on ``127.0.0.1`` and an
ephemeral port in a daemon thread. Every request is recorded (method, path, lowercased headers,
parsed JSON body, arrival time, TCP connection id). Answers come from a per-test script:

* default answers, shaped like OpenAI's (or Groq's, with ``flavor = "groq"``) real responses,
  configured through attributes (``chat_text``, ``tool_calls``, ``usage``, ``completion_text``,
  ``embedding_dim``, ``stream_interval``, ``delay``, ...). ``/chat/completions`` and
  ``/completions`` answer JSON or SSE depending on the request's ``stream`` flag, with a usage
  chunk (``choices=[]``) when the request asks for ``stream_options.include_usage``;
  ``/embeddings`` answers float lists, or base64 when ``encoding_format == "base64"``;
* planned one-shot answers queued with ``fail()``, ``malformed()``, ``truncate()``, ``slow()`` and
  ``reply_json()``; each is consumed by one request, in order, before the defaults apply again
  (``fail(503, times=2)`` is "fail twice, then succeed").

The server also observes clients that go away (a closed connection while it waits or streams):
``disconnects`` and ``wait_for_disconnect()``.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import math
import re
import secrets
import select
import socket
import string
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union

from typing_extensions import Self

__all__ = ["DEFAULT_USAGE", "MockServer", "RecordedRequest", "embedding_vector", "free_port"]

_ALNUM = string.ascii_letters + string.digits
_CREATED = 1_732_000_000

DEFAULT_USAGE: dict[str, Any] = {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 2,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}

_TEXT_USAGE = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}

# Realistic default error bodies per status: (message, type, code).
_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid value for 'temperature': expected a number <= 2.", "invalid_request_error", None),
    401: (
        (
            "Incorrect API key provided: sk-te****test. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        ),
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ("You are not allowed to sample from this model", "invalid_request_error", None),
    404: (
        "The model `gpt-9` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    408: ("Request timed out.", "timeout", None),
    422: ("Unprocessable Entity: 'messages' could not be parsed", "invalid_request_error", None),
    429: (
        (
            "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again in 20s."
        ),
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
}


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def embedding_vector(index: int, dim: int) -> list[float]:
    """The deterministic vector the mock returns for input number ``index``."""
    return [round(math.sin(index * 7 + j + 1) / 2, 6) for j in range(dim)]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    time: float
    connection_id: int

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class _Step:
    """One planned answer, consumed by one request."""

    kind: str  # "error" | "malformed" | "truncate" | "stream_error" | "json" | "auto"
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    after: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    mock: MockServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-openai/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end eventually

    server: _Server

    # -- connection bookkeeping -------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.mock = self.server.mock
        self.conn_id = self.mock._register_connection(self.connection)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.mock._unregister_connection(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # -- request ----------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        self.mock._set_busy(self.conn_id, True)
        try:
            self._handle_request()
        finally:
            self.mock._set_busy(self.conn_id, False)

    def _handle_request(self) -> None:
        raw = self._read_body()
        path, _, query = self.path.partition("?")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest(
            method=self.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
            time=time.monotonic(),
            connection_id=self.conn_id,
        )
        step = self.mock._record(rec)
        delay = self.mock.delay + (step.delay if step else 0.0)
        if delay > 0 and not self._wait(delay, phase="delay", path=path):
            return
        try:
            self._dispatch(rec, step)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
            self.mock._note_disconnect(path, "write", 0)

    # -- waiting while watching the client ------------------------------------------------------
    def _client_gone(self, timeout: float) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], max(timeout, 0.0))
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        try:
            data = self.connection.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        if data == b"":
            return True
        time.sleep(timeout)  # a pipelined request is waiting; the client is still there
        return False

    def _wait(self, seconds: float, phase: str, path: str, sent: int = 0) -> bool:
        """Sleep ``seconds``; False (and the disconnect noted) if the client leaves or we stop."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self.mock._stopping.is_set():
                self.close_connection = True
                return False
            if self._client_gone(min(remaining, 0.02)):
                self.close_connection = True
                self.mock._note_disconnect(path, phase, sent)
                return False

    # -- answers ----------------------------------------------------------------------------
    def _dispatch(self, rec: RecordedRequest, step: _Step | None) -> None:
        body = rec.body if isinstance(rec.body, dict) else {}
        if step is not None and step.kind == "error":
            return self._send_json(step.status, step.payload, step.headers)
        if step is not None and step.kind == "json":
            return self._send_json(step.status, step.payload, step.headers)
        if step is not None and step.kind == "malformed":
            raw = (
                b'{"id": "chatcmpl-' + _rand(29).encode() + b'", "object": "chat.completion", '
                b'"created": 1732000000, "choices": [{"index": 0, "message": {"role": "assist'
            )
            return self._send_bytes(200, raw, "application/json", step.headers)

        path = rec.path
        if rec.method == "GET" and path.endswith("/models"):
            return self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": "gpt-4o-mini", "object": "model", "created": _CREATED, "owned_by": "system"}],
                },
            )
        if rec.method != "POST":
            return self._not_found(rec)
        stream = bool(body.get("stream"))
        truncate_after = step.after if step is not None and step.kind == "truncate" else None
        if path.endswith("/chat/completions"):
            if stream:
                events = self.mock._chat_events(body)
                if step is not None and step.kind == "stream_error":
                    events = events[: step.after] + [step.payload]
                return self._stream(rec, events, truncate_after)
            return self._send_json(200, self.mock._chat_json(body))
        if path.endswith("/completions"):
            if stream:
                return self._stream(rec, self.mock._text_events(body), truncate_after)
            return self._send_json(200, self.mock._text_json(body))
        if path.endswith("/embeddings"):
            return self._send_json(200, self.mock._embedding_json(body))
        return self._not_found(rec)

    def _not_found(self, rec: RecordedRequest) -> None:
        self._send_json(
            404,
            {
                "error": {
                    "message": f"Invalid URL ({rec.method} {rec.path})",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
        )

    def _common_headers(self, extra: dict[str, str] | None) -> None:
        for k, v in self.mock._response_headers().items():
            self.send_header(k, v)
        for k, v in (extra or {}).items():
            self.send_header(k, v)

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self._send_bytes(status, data, "application/json", headers)

    def _send_bytes(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self._common_headers(headers)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _stream(self, rec: RecordedRequest, events: list[Any], truncate_after: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self._common_headers(None)
        self.end_headers()
        self.wfile.flush()
        payloads = [self.mock._sse_event(json.dumps(e)) for e in events] + [self.mock._sse_event("[DONE]")]
        frag = self.mock.sse_fragment
        if frag == 0 and truncate_after is None:  # everything in one HTTP chunk
            payloads = [b"".join(payloads)]
        elif frag and frag > 0 and truncate_after is None:  # arbitrary cuts, even inside a JSON object
            blob = b"".join(payloads)
            payloads = [blob[i : i + frag] for i in range(0, len(blob), frag)]
        interval = self.mock.stream_interval
        for sent, payload in enumerate(payloads):
            if truncate_after is not None and sent >= truncate_after:
                # Close the connection in the middle of the chunked body: no [DONE], no last chunk.
                self.wfile.flush()
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.close_connection = True
                self.mock._note_truncated(rec.path, sent)
                return
            if sent and interval > 0 and not self._wait(interval, phase="stream", path=rec.path, sent=sent):
                return
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self.close_connection = True
                self.mock._note_disconnect(rec.path, "stream", sent)
                return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.mock._note_stream_completed(rec.path)


TextSpec = Union[str, Callable[[dict], str]]
ToolCallsSpec = Union[list[dict[str, str]], Callable[[dict], "list[dict[str, str]] | None"], None]


class MockServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 with a programmable script."""

    def __init__(self) -> None:
        # Defaults of successful answers (tests change these attributes).
        self.flavor: str = "openai"  # or "groq": Groq's ids, usage fields and x_groq extras
        self.chat_text: TextSpec = "Hello from the mock server, how can I help?"
        # [{"id", "name", "arguments"}], or a function of the request body giving that list or None
        self.tool_calls: ToolCallsSpec = None
        self.stream_pieces: list[str] | None = None  # default: chat_text split into tokens
        self.usage: dict[str, Any] = json.loads(json.dumps(DEFAULT_USAGE))
        self.response_model: str | None = None  # default: echo the request's model
        self.fingerprint: str = "fp_0ba0d124f1"
        self.completion_text: str = "\n\nThis is indeed a test"
        self.embedding_dim: int = 8
        # text -> vector for /embeddings (semantic cache tests); default: vectors by input index
        self.embed_text: Callable[[Any], list[float]] | None = None
        self.stream_interval: float = 0.0  # seconds between SSE events
        self.delay: float = 0.0  # seconds before every answer
        self.extra_response_headers: dict[str, str] = {}
        # SSE framing: None = one event per HTTP chunk; 0 = the whole stream in one chunk;
        # n > 0 = chunks of n bytes cut anywhere. sse_crlf uses CRLF line ends; sse_comments adds
        # ": keep-alive" comment lines and an "event:" field as some providers do.
        self.sse_fragment: int | None = None
        self.sse_crlf = False
        self.sse_comments = False

        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._steps: collections.deque[_Step] = collections.deque()
        self.disconnects: list[dict[str, Any]] = []
        self.truncations: list[dict[str, Any]] = []
        self.streams_completed = 0
        self._conn_ids = itertools.count(1)
        self._connections: dict[int, socket.socket] = {}
        self._busy: set[int] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> MockServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            conns = list(self._connections.values())
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The api_base to give litellm: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.base}/v1"

    # -- script -------------------------------------------------------------------------------
    def fail(
        self,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` requests with an OpenAI-style error."""
        d_msg, d_type, d_code = _DEFAULT_ERRORS.get(status, (f"HTTP {status}", "api_error", None))
        payload = body
        if payload is None:
            payload = {
                "error": {
                    "message": d_msg if message is None else message,
                    "type": d_type if type is None else type,
                    "param": param,
                    "code": d_code if code is None else code,
                }
            }
        elif isinstance(payload, str):
            payload = payload.encode()
        self._push(_Step("error", status=status, headers=dict(headers or {}), payload=payload, delay=delay), times)

    def malformed(self, times: int = 1) -> None:
        """Answer 200 with a JSON body cut in the middle."""
        self._push(_Step("malformed"), times)

    def stream_error(
        self, after: int = 2, message: str = "The server had an error while processing your request.", times: int = 1
    ) -> None:
        """For streaming chat requests: send ``after`` events, then an SSE event carrying an error
        object (as OpenAI and OpenRouter do when a stream fails upstream), then [DONE]."""
        payload = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
        self._push(_Step("stream_error", after=after, payload=payload), times)

    def drop_idle_connections(self) -> int:
        """Close every keep-alive connection that is not serving a request (as servers and load
        balancers do with idle connections). Returns how many were closed."""
        with self._lock:
            # A handler may still be finishing the answer the client already has.
            self._lock.wait_for(lambda: not self._busy, timeout=1.0)
            idle = [c for cid, c in self._connections.items() if cid not in self._busy]
        for conn in idle:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(idle)

    def truncate(self, after: int = 2, times: int = 1) -> None:
        """For streaming requests: send ``after`` SSE events, then drop the connection."""
        self._push(_Step("truncate", after=after), times)

    def slow(self, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` requests normally, after ``seconds``."""
        self._push(_Step("auto", delay=seconds), times)

    def reply_json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self._push(_Step("json", status=status, payload=obj, headers=dict(headers or {})), times)

    def clear_script(self) -> None:
        """Forget the planned answers that no request has consumed yet."""
        with self._lock:
            self._steps.clear()

    def _push(self, step: _Step, times: int) -> None:
        with self._lock:
            for _ in range(times):
                self._steps.append(step)

    # -- observations -------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            assert self._requests, "the mock server received no request"
            return self._requests[-1]

    def count(self, path_suffix: str | None = None) -> int:
        with self._lock:
            if path_suffix is None:
                return len(self._requests)
            return sum(1 for r in self._requests if r.path.endswith(path_suffix))

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self._requests) >= n, timeout)

    def wait_for_disconnect(self, timeout: float = 5.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self.disconnects) > 0, timeout)

    def _record(self, rec: RecordedRequest) -> _Step | None:
        with self._lock:
            self._requests.append(rec)
            step = self._steps.popleft() if self._steps else None
            self._lock.notify_all()
            return step

    def _note_disconnect(self, path: str, phase: str, sent: int) -> None:
        with self._lock:
            self.disconnects.append({"path": path, "phase": phase, "sent": sent, "time": time.monotonic()})
            self._lock.notify_all()

    def _note_truncated(self, path: str, sent: int) -> None:
        with self._lock:
            self.truncations.append({"path": path, "sent": sent})
            self._lock.notify_all()

    def _note_stream_completed(self, path: str) -> None:
        with self._lock:
            self.streams_completed += 1
            self._lock.notify_all()

    def _register_connection(self, conn: socket.socket) -> int:
        with self._lock:
            cid = next(self._conn_ids)
            self._connections[cid] = conn
            return cid

    def _set_busy(self, cid: int, busy: bool) -> None:
        with self._lock:
            if busy:
                self._busy.add(cid)
            else:
                self._busy.discard(cid)
            self._lock.notify_all()

    def _sse_event(self, data: str) -> bytes:
        nl = "\r\n" if self.sse_crlf else "\n"
        head = f": keep-alive{nl}event: message{nl}" if self.sse_comments else ""
        return f"{head}data: {data}{nl}{nl}".encode()

    def _unregister_connection(self, conn: socket.socket) -> None:
        with self._lock:
            for cid, c in list(self._connections.items()):
                if c is conn:
                    del self._connections[cid]

    # -- response bodies ------------------------------------------------------------------------
    def text_for(self, body: dict) -> str:
        return self.chat_text(body) if callable(self.chat_text) else self.chat_text

    def pieces_for(self, body: dict) -> list[str]:
        if self.stream_pieces is not None:
            return list(self.stream_pieces)
        return re.findall(r"\s*\S+", self.text_for(body))

    def _response_headers(self) -> dict[str, str]:
        h = {"x-request-id": f"req_{secrets.token_hex(16)}"}
        if self.flavor == "groq":
            h.update(
                {
                    "x-groq-region": "us-east-1",
                    "x-ratelimit-limit-requests": "14400",
                    "x-ratelimit-limit-tokens": "6000",
                    "x-ratelimit-remaining-requests": "14399",
                    "x-ratelimit-remaining-tokens": "5971",
                    "x-ratelimit-reset-requests": "6s",
                    "x-ratelimit-reset-tokens": "290ms",
                }
            )
        else:
            h.update(
                {
                    "openai-organization": "user-mock",
                    "openai-processing-ms": "212",
                    "openai-version": "2020-10-01",
                    "x-ratelimit-limit-requests": "10000",
                    "x-ratelimit-limit-tokens": "200000",
                    "x-ratelimit-remaining-requests": "9999",
                    "x-ratelimit-remaining-tokens": "199971",
                    "x-ratelimit-reset-requests": "8.64s",
                    "x-ratelimit-reset-tokens": "9ms",
                }
            )
        h.update(self.extra_response_headers)
        return h

    def _chat_id(self) -> str:
        return f"chatcmpl-{uuid.uuid4()}" if self.flavor == "groq" else f"chatcmpl-{_rand(29)}"

    def _usage(self) -> dict[str, Any]:
        if self.flavor == "groq":
            u = {k: v for k, v in self.usage.items() if not k.endswith("_details")}
            u.update({"queue_time": 0.017, "prompt_time": 0.0021, "completion_time": 0.0364, "total_time": 0.0385})
            return u
        return json.loads(json.dumps(self.usage))

    def tool_calls_for(self, body: dict) -> list[dict[str, str]] | None:
        return self.tool_calls(body) if callable(self.tool_calls) else self.tool_calls

    def _tool_calls_payload(self, calls: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [
            {"id": tc["id"], "type": "function", "function": {"name": tc["name"], "arguments": tc["arguments"]}}
            for tc in calls
        ]

    def _envelope(self, body: dict, obj: str, cid: str) -> dict[str, Any]:
        env: dict[str, Any] = {
            "id": cid,
            "object": obj,
            "created": _CREATED,
            "model": self.response_model or body.get("model", "unknown"),
        }
        if self.flavor == "groq":
            env["system_fingerprint"] = "fp_3f3b593e33"
        else:
            env["service_tier"] = "default"
            env["system_fingerprint"] = self.fingerprint
        return env

    def _chat_json(self, body: dict) -> dict[str, Any]:
        out = self._envelope(body, "chat.completion", self._chat_id())
        calls = self.tool_calls_for(body)
        if calls:
            message: dict[str, Any] = {
                "role": "assistant",
                "content": None,
                "tool_calls": self._tool_calls_payload(calls),
            }
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": self.text_for(body)}
            finish = "stop"
        if self.flavor != "groq":
            message.update({"refusal": None, "annotations": []})
        n = body.get("n") if isinstance(body.get("n"), int) and body.get("n", 1) > 1 else 1
        out["choices"] = [
            {"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish} for i in range(n)
        ]
        out["usage"] = self._usage()
        if self.flavor == "groq":
            out["usage_breakdown"] = None
            out["x_groq"] = {"id": f"req_{_rand(26).lower()}"}
            out["service_tier"] = "on_demand"
        return out

    def _chat_events(self, body: dict) -> list[dict[str, Any]]:
        base = self._envelope(body, "chat.completion.chunk", self._chat_id())
        opts = body.get("stream_options")
        include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
        groq_id = f"req_{_rand(26).lower()}"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            c = dict(base)
            c["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            if include_usage and self.flavor != "groq":
                c["usage"] = None
            return c

        events: list[dict[str, Any]] = []
        calls = self.tool_calls_for(body)
        if calls:
            for i, tc in enumerate(calls):
                head: dict[str, Any] = {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": tc["id"],
                            "type": "function",
                            "function": {"name": tc["name"], "arguments": ""},
                        }
                    ]
                }
                if i == 0:
                    head = {"role": "assistant", "content": None, **head}
                    if self.flavor != "groq":
                        head["refusal"] = None
                events.append(chunk(head))
                args = tc["arguments"]
                step = max(1, math.ceil(len(args) / 3))
                for k in range(0, len(args), step):
                    events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[k : k + step]}}]}))
            finish = "tool_calls"
        else:
            first: dict[str, Any] = {"role": "assistant", "content": ""}
            if self.flavor != "groq":
                first["refusal"] = None
            events.append(chunk(first))
            for piece in self.pieces_for(body):
                events.append(chunk({"content": piece}))
            finish = "stop"
        events.append(chunk({}, finish))
        if self.flavor == "groq":
            events[0]["x_groq"] = {"id": groq_id}
            events[-1]["x_groq"] = {"id": groq_id, "usage": self._usage()}
        if include_usage:
            last = dict(base)
            last["choices"] = []
            last["usage"] = self._usage()
            if self.flavor == "groq":
                last["x_groq"] = {"id": groq_id, "usage": self._usage()}
            events.append(last)
        return events

    def _prompts(self, body: dict) -> list[Any]:
        prompt = body.get("prompt", "")
        if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
            return prompt
        return [prompt]

    def _text_json(self, body: dict) -> dict[str, Any]:
        out = {
            "id": f"cmpl-{_rand(29)}",
            "object": "text_completion",
            "created": _CREATED,
            "model": self.response_model or body.get("model", "unknown"),
            "choices": [
                {"text": self.completion_text, "index": i, "logprobs": None, "finish_reason": "stop"}
                for i in range(len(self._prompts(body)))
            ],
            "usage": dict(_TEXT_USAGE),
        }
        return out

    def _text_events(self, body: dict) -> list[dict[str, Any]]:
        cid = f"cmpl-{_rand(29)}"
        model = self.response_model or body.get("model", "unknown")
        opts = body.get("stream_options")
        include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))

        def chunk(text: str, finish: str | None) -> dict[str, Any]:
            return {
                "id": cid,
                "object": "text_completion",
                "created": _CREATED,
                "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
                "model": model,
                "system_fingerprint": None,
            }

        events = [chunk(p, None) for p in re.findall(r"\s*\S+", self.completion_text)]
        events.append(chunk("", "stop"))
        if include_usage:
            events.append(
                {
                    "id": cid,
                    "object": "text_completion",
                    "created": _CREATED,
                    "choices": [],
                    "model": model,
                    "usage": dict(_TEXT_USAGE),
                }
            )
        return events

    def _embedding_json(self, body: dict) -> dict[str, Any]:
        inp = body.get("input", "")
        inputs = inp if isinstance(inp, list) and (not inp or not isinstance(inp[0], int)) else [inp]
        dim = body.get("dimensions") if isinstance(body.get("dimensions"), int) else self.embedding_dim
        b64 = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(inputs):
            vec = self.embed_text(text) if self.embed_text is not None else embedding_vector(i, dim)
            emb: Any = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode() if b64 else vec
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(len(str(x).split()) for x in inputs)
        return {
            "object": "list",
            "data": data,
            "model": self.response_model or body.get("model", "unknown"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

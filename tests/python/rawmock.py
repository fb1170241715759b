"""A scriptable raw HTTP mock for provider translation tests (native provider APIs).

Tests queue answers per path pattern and read back the requests the engine sent:

    with RawMock() as m:
        m.on("POST", r"/v1/messages", json_body={...})                 # one JSON answer
        m.on("POST", r"/v1/messages", status=529, json_body={...})     # an error answer
        m.on("POST", r"/v1/messages", sse=[("message_start", {...}), ...])   # an SSE stream
        m.on("POST", r"/api/chat", ndjson=[{...}, {...}])              # an NDJSON stream
        m.on("POST", r"/raw", body=b"...", headers={"content-type": "..."})
        ... call litellm_rs with api_base=m.url ...
        req = m.requests[-1]   # .method .path .query .headers (lowercase) .body (parsed JSON or None) .raw

Answers registered for a pattern are used in order; the last one repeats. Only 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from typing_extensions import Self

__all__ = ["RawMock", "Seen"]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: Any = None


@dataclass
class _Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        seen = Seen(
            self.command,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in self.headers.items()},
            raw,
            body,
        )
        mock = self.server.mock
        answer = mock._answer_for(seen)
        with mock._lock:
            mock.requests.append(seen)
        if answer is None:
            data = json.dumps({"error": {"message": f"no answer scripted for {seen.method} {seen.path}"}}).encode()
            answer = _Answer(404, {"content-type": "application/json"}, [data])
        streaming = len(answer.chunks) != 1
        self.send_response(answer.status)
        for k, v in answer.headers.items():
            self.send_header(k, v)
        if streaming:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("content-length", str(len(answer.chunks[0])))
        self.end_headers()
        if not streaming:
            self.wfile.write(answer.chunks[0])
            return
        for c in answer.chunks:
            if c:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mock: RawMock


class RawMock:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._routes: list[tuple[str, re.Pattern[str], list[_Answer]]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mock = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def on(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json_body: Any = None,
        sse: list[Any] | None = None,
        ndjson: list[Any] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue an answer. `sse` items are (event, data) pairs or bare data (dict or str)."""
        h = dict(headers or {})
        if json_body is not None:
            h.setdefault("content-type", "application/json")
            chunks = [json.dumps(json_body).encode()]
        elif sse is not None:
            h.setdefault("content-type", "text/event-stream")
            chunks = [_sse(item) for item in sse]
        elif ndjson is not None:
            h.setdefault("content-type", "application/x-ndjson")
            chunks = [json.dumps(item).encode() + b"\n" for item in ndjson]
        else:
            chunks = [body or b""]
        answer = _Answer(status, h, chunks)
        with self._lock:
            for m, pat, answers in self._routes:
                if m == method and pat.pattern == path:
                    answers.append(answer)
                    return
            self._routes.append((method, re.compile(path), [answer]))

    def _answer_for(self, seen: Seen) -> _Answer | None:
        with self._lock:
            for m, pat, answers in self._routes:
                if m == seen.method and pat.search(seen.path):
                    return answers.pop(0) if len(answers) > 1 else answers[0]
        return None


def _sse(item: Any) -> bytes:
    if isinstance(item, tuple):
        event, data = item
        payload = data if isinstance(data, str) else json.dumps(data)
        return f"event: {event}\ndata: {payload}\n\n".encode()
    payload = item if isinstance(item, str) else json.dumps(item)
    return f"data: {payload}\n\n".encode()

"""A local collector for the built-in loggers' ingestion APIs: records every POST (path, headers,
JSON body) and answers as the service does (200, or 207 for Langfuse's ingestion)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Received:
    def __init__(self, path: str, headers: dict[str, str], body: Any) -> None:
        self.path = path
        self.headers = headers
        self.body = body


class Collector:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                with collector._lock:
                    collector.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                status = 207 if self.path.endswith("/ingestion") else collector.status
                data = b"{}"
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def bodies(self, path_suffix: str) -> list[Any]:
        with self._lock:
            return [r.body for r in self.received if r.path.endswith(path_suffix)]

    def requests(self, path_suffix: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.endswith(path_suffix)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

"""A local stand-in for the Qdrant REST endpoints the semantic cache uses, shaped after Qdrant's
public API reference: collections (get, create, delete, payload index), points upsert, search
(cosine, ``score_threshold``, ``filter.must[].match.value``) and delete by filter. Responses
carry Qdrant's envelope (``{"result": ..., "status": "ok", "time": ...}``); an ``api-key``
header is required when the server was given one.
"""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _unit(v: list[float]) -> list[float]:
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]


def _matches(payload: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    for cond in (flt or {}).get("must", []):
        if payload.get(cond["key"]) != cond.get("match", {}).get("value"):
            return False
    return True


class QdrantMock:
    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.collections: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, result: Any) -> None:
                if status >= 400:
                    body = {"status": {"error": result}, "time": 0.0001}
                else:
                    body = {"result": result, "status": "ok", "time": 0.0001}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n) or b"null") if n else None
                path = self.path.split("?", 1)[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                with mock._lock:
                    mock.requests.append((method, self.path, headers))
                    if mock.api_key is not None and headers.get("api-key") != mock.api_key:
                        return self._reply(401, "Must provide an API key or an Authorization bearer token")
                    status, result = mock._route(method, path.strip("/").split("/"), body)
                self._reply(status, result)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _route(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        if len(parts) < 2 or parts[0] != "collections":
            return 404, "Not found"
        name = parts[1]
        col = self.collections.get(name)
        rest = parts[2:]
        if not rest:
            if method == "GET":
                if col is None:
                    return 404, f"Not found: Collection `{name}` doesn't exist!"
                return 200, {"status": "green", "points_count": len(col["points"]), "config": col["config"]}
            if method == "PUT":
                if col is not None:
                    return 409, f"Wrong input: Collection `{name}` already exists!"
                size = body["vectors"]["size"]
                self.collections[name] = {"config": body, "size": size, "points": {}}
                return 200, True
            if method == "DELETE":
                return 200, self.collections.pop(name, None) is not None
        if col is None:
            return 404, f"Not found: Collection `{name}` doesn't exist!"
        if rest == ["index"] and method == "PUT":
            return 200, {"operation_id": 1, "status": "completed"}
        if rest == ["points"] and method == "PUT":
            for p in body["points"]:
                if len(p["vector"]) != col["size"]:
                    return (
                        400,
                        f"Wrong input: Vector dimension error: expected dim: {col['size']}, got {len(p['vector'])}",
                    )
                col["points"][p["id"]] = {"vector": _unit(p["vector"]), "payload": p.get("payload") or {}}
            return 200, {"operation_id": len(col["points"]), "status": "completed"}
        if rest == ["points", "search"] and method == "POST":
            q = _unit(body["vector"])
            hits = []
            for pid, p in col["points"].items():
                if not _matches(p["payload"], body.get("filter")):
                    continue
                score = sum(a * b for a, b in zip(q, p["vector"]))
                if body.get("score_threshold") is not None and score < body["score_threshold"]:
                    continue
                hit = {"id": pid, "version": 0, "score": score}
                if body.get("with_payload"):
                    hit["payload"] = p["payload"]
                hits.append(hit)
            hits.sort(key=lambda h: -h["score"])
            return 200, hits[: body.get("limit", 10)]
        if rest == ["points", "delete"] and method == "POST":
            gone = [pid for pid, p in col["points"].items() if _matches(p["payload"], body.get("filter"))]
            for pid in gone:
                del col["points"][pid]
            return 200, {"operation_id": 0, "status": "completed"}
        return 404, "Not found"

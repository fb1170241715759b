"""Small HTTP-shaped helpers for the exception classes: a case-insensitive header dict, request and
response look-alikes (httpx is not a dependency), body decoding and credential redaction."""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import json
from typing import Any, Optional

_PLACEHOLDER_URL = "https://litellm.ai"


# ---------------------------------------------------------------------------------------------
# small request / response objects (we do not use httpx)
# ---------------------------------------------------------------------------------------------


class Headers(dict):
    """A dict of HTTP headers with case-insensitive lookups (names are stored lower-case)."""

    def __init__(self, headers: Any = None) -> None:
        super().__init__()
        if headers:
            items = headers.items() if hasattr(headers, "items") else headers
            for key, value in items:
                dict.__setitem__(self, str(key).lower(), value)

    def __getitem__(self, key: str) -> Any:
        return dict.__getitem__(self, key.lower())

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key.lower(), value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)


class Request:
    """The request an error belongs to (method and url; the url is a placeholder when unknown)."""

    def __init__(self, method: str = "POST", url: str = _PLACEHOLDER_URL, headers: Any = None) -> None:
        self.method = method
        self.url = url
        self.headers = Headers(headers)

    def __repr__(self) -> str:
        return f"<Request({self.method!r}, {self.url!r})>"


class Response:
    """A small httpx.Response look-alike: status_code, headers, text, content, json(), request."""

    def __init__(
        self,
        status_code: int,
        headers: Any = None,
        text: str = "",
        request: Optional[Request] = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.text = text or ""
        self.request = request if request is not None else Request()

    @property
    def content(self) -> bytes:
        return self.text.encode("utf-8")

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def reason_phrase(self) -> str:
        from http import HTTPStatus

        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400

    def json(self) -> Any:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"


_SECRET_MARKERS = ("sk-", "Bearer ", "bearer ", "AIza", "key=")
_secret_re: Any = None


def _redact(text: str) -> str:
    """Mask things that look like credentials (the engine redacts too; this is a second net)."""
    for marker in _SECRET_MARKERS:
        if marker in text:
            break
    else:
        return text
    global _secret_re
    if _secret_re is None:
        import re

        _secret_re = re.compile(
            r"(sk-(?:ant-|proj-)?)[A-Za-z0-9_\-]{8,}"
            r"|([Bb]earer\s+)[A-Za-z0-9._\-~+/=]{8,}"
            r"|AIza[0-9A-Za-z_\-]{20,}"
            r"|((?:api_?)?key=)[^&\s\"']{8,}"
        )
    return _secret_re.sub(lambda m: (m.group(1) or m.group(2) or m.group(3) or "") + "***", text)


def _parse_body(body: Any) -> tuple[Any, str]:
    """(value for ``e.body``, text for ``e.response.text``). JSON error bodies are decoded and the
    inner ``error`` object is kept, as the openai SDK does."""
    if body is None:
        return None, ""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        text = _redact(body)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                parsed = json.loads(text)
            except ValueError:
                return text, text
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                return parsed["error"], text
            return parsed, text
        return text, text
    try:
        text = json.dumps(body)
    except (TypeError, ValueError):
        text = str(body)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"], text
    return body, text


def _has_request(response: Any) -> bool:
    try:
        return getattr(response, "request", None) is not None
    except Exception:  # noqa: BLE001 - httpx.Response without a request raises RuntimeError
        return False


def _make_response(status: int, headers: Optional[dict[str, Any]], text: str, retry_after: Optional[float]) -> Response:
    hdrs = Headers(headers)
    if retry_after is not None and "retry-after" not in hdrs:
        hdrs["retry-after"] = str(retry_after)
    return Response(status, hdrs, text, Request())

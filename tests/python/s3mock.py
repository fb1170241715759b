"""A local S3-compatible server for the s3 cache tests: path-style buckets, PUT / GET / DELETE of
objects and ListObjectsV2 (prefix, max-keys pages with continuation tokens), with every request's
AWS Signature Version 4 checked against the configured secret (as S3 does: a bad signature is a
403 SignatureDoesNotMatch, a body that does not match x-amz-content-sha256 a 400)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote
from xml.sax.saxutils import escape


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _error(code: str, message: str) -> bytes:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    )


class S3Mock:
    def __init__(self, access_key: str, secret_key: str, region: str = "us-east-1", page_size: int = 2) -> None:
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.page_size = page_size
        self.buckets: dict[str, dict[str, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", ctype: str = "application/xml") -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                with mock._lock:
                    mock.requests.append((self.command, self.path))
                    problem = mock._check_signature(self.command, self.path, self.headers, body)
                    if problem is not None:
                        mock.bad_signatures += 1
                        return self._send(problem[0], _error(problem[1], problem[2]))
                    status, data, ctype = mock._route(self.command, self.path, body)
                self._send(status, data, ctype)

            do_GET = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- SigV4 ------------------------------------------------------------------------------------
    def _check_signature(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, str, str] | None:
        auth = headers.get("authorization") or ""
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return 403, "AccessDenied", "Anonymous access is not allowed"
        fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 ") :].split(","))
        access_key, date, region, service, terminal = fields["Credential"].split("/")
        if access_key != self.access_key:
            return 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        if (region, service, terminal) != (self.region, "s3", "aws4_request"):
            return 400, "AuthorizationHeaderMalformed", f"scope {region}/{service}/{terminal}"
        payload_hash = headers.get("x-amz-content-sha256")
        if payload_hash != hashlib.sha256(body).hexdigest():
            return 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match"
        signed = fields["SignedHeaders"].split(";")
        if not {"host", "x-amz-content-sha256", "x-amz-date"} <= set(signed):
            return 403, "AccessDenied", "host, x-amz-date and x-amz-content-sha256 must be signed"
        path, _, query = raw_path.partition("?")
        pairs = sorted(
            (quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~"))
            for k, v in parse_qsl(query, keep_blank_values=True)
        )
        canonical = "\n".join(
            [
                method,
                path,
                "&".join(f"{k}={v}" for k, v in pairs),
                "".join(f"{h}:{' '.join((headers.get(h) or '').split())}\n" for h in signed),
                ";".join(signed),
                payload_hash,
            ]
        )
        amz_date = headers.get("x-amz-date") or ""
        scope = f"{date}/{region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = _hmac(("AWS4" + self.secret_key).encode(), date)
        for part in (region, "s3", "aws4_request"):
            key = _hmac(key, part)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            return (
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return None

    # -- objects -----------------------------------------------------------------------------------
    def _route(self, method: str, raw_path: str, body: bytes) -> tuple[int, bytes, str]:
        path, _, query = raw_path.partition("?")
        bucket_name, _, key = unquote(path).lstrip("/").partition("/")
        bucket = self.buckets.setdefault(bucket_name, {})
        if not key and method == "GET":
            q = dict(parse_qsl(query))
            prefix = q.get("prefix", "")
            keys = sorted(k for k in bucket if k.startswith(prefix))
            # like S3's, a token continues after the last key of the previous page (keys deleted
            # meanwhile do not shift the next page)
            after = q.get("continuation-token")
            if after is not None:
                keys = [k for k in keys if k > after]
            page = keys[: self.page_size]
            more = len(keys) > self.page_size
            xml = "<?xml version='1.0' encoding='UTF-8'?><ListBucketResult>"
            xml += (
                f"<Name>{escape(bucket_name)}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount>"
            )
            xml += f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
            xml += "".join(f"<Contents><Key>{escape(k)}</Key><Size>{len(bucket[k])}</Size></Contents>" for k in page)
            if more:
                xml += f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>"
            return 200, (xml + "</ListBucketResult>").encode(), "application/xml"
        if method == "PUT":
            bucket[key] = body
            return 200, b"", "application/xml"
        if method == "GET":
            if key not in bucket:
                return 404, _error("NoSuchKey", "The specified key does not exist."), "application/xml"
            return 200, bucket[key], "application/octet-stream"
        if method == "DELETE":
            bucket.pop(key, None)
            return 204, b"", "application/xml"
        return 405, _error("MethodNotAllowed", method), "application/xml"

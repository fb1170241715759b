"""A stand-in for the vector search of Redis Stack (the FT.* commands the redis-semantic cache
uses), in front of a real redis-server: every other command goes to that server unchanged, and
FT.SEARCH reads the indexed hashes from it. Shaped after Redis's public command reference for
FT.CREATE (HASH, PREFIX, TAG and VECTOR fields), FT.INFO, FT.DROPINDEX and FT.SEARCH (a tag
filter with a KNN clause, PARAMS, SORTBY, RETURN, LIMIT, DIALECT), RESP2 replies. Debian's
RediSearch is 1.2 (no vector fields), so this is how the vector path meets a server here.

Each client connection gets its own connection to the real server (MULTI/EXEC and pipelines
pass through as they are); the FT.* commands read the data over another one."""

from __future__ import annotations

import math
import re
import socket
import socketserver
import struct
import threading
from typing import Any

Reply = Any  # bytes | int | list | Error | None


class Error(Exception):
    pass


def read_line(f: Any) -> bytes:
    line = f.readline()
    if not line:
        raise ConnectionError("closed")
    return line[:-2]


def read_command(f: Any) -> list[bytes]:
    head = read_line(f)
    if not head.startswith(b"*"):
        return head.split()  # an inline command
    args = []
    for _ in range(int(head[1:])):
        size = int(read_line(f)[1:])
        args.append(f.read(size + 2)[:-2])
    return args


def read_raw_reply(f: Any) -> bytes:
    """One whole reply of the real server, as its bytes."""
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in b"$=!":
        size = int(rest)
        return line if size < 0 else line + f.read(size + 2)
    if kind in b"*~>%|":
        n = int(rest)
        n = n * 2 if kind in b"%|" else n
        return line + b"".join(read_raw_reply(f) for _ in range(max(n, 0)))
    return line


def parse_reply(f: Any) -> Reply:
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        return Error(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else f.read(size + 2)[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [parse_reply(f) for _ in range(n)]
    raise ValueError(f"unexpected reply {line!r}")


def encode(value: Reply) -> bytes:
    if isinstance(value, Error):
        return b"-" + str(value).encode() + b"\r\n"
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, (list, tuple)):
        return b"*%d\r\n" % len(value) + b"".join(encode(v) for v in value)
    if isinstance(value, str):
        value = value.encode()
    return b"$%d\r\n%s\r\n" % (len(value), value)


class Upstream:
    """A connection to the real server for the FT.* commands' reads."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")

    def call(self, *args: Any) -> Reply:
        self.sock.sendall(encode([a if isinstance(a, bytes) else str(a).encode() for a in args]))
        return parse_reply(self.f)

    def close(self) -> None:
        self.f.close()
        self.sock.close()


KNN = re.compile(
    r"^\s*(?P<filter>\*|\([^)]*\)|@[^=]*?)\s*"
    r"=>\s*\[KNN\s+(?P<k>\d+|\$\w+)\s+@(?P<field>\w+)\s+\$(?P<param>\w+)(?:\s+AS\s+(?P<alias>\w+))?\s*\]\s*$"
)
# the pre-filter's terms: @tag:{a|b} and @num:[lo hi] (a "(" before a bound excludes it)
TERM = re.compile(r"@(?P<field>\w+):(?:\{(?P<tags>[^}]*)\}|\[(?P<lo>\S+)\s+(?P<hi>\S+)\])")


def bound(text: str) -> tuple[float, bool]:
    exclusive = text.startswith("(")
    text = text.lstrip("(")
    value = {"-inf": -math.inf, "+inf": math.inf, "inf": math.inf}.get(text)
    return (float(text) if value is None else value), exclusive


def matches(filter_text: str, spec: dict[str, Any], fields: dict[str, bytes]) -> bool | Error:
    if filter_text.strip() == "*":
        return True
    body = filter_text.strip().removeprefix("(").removesuffix(")")
    terms = list(TERM.finditer(body))
    if not terms or TERM.sub("", body).strip():
        return Error(f"Syntax error in filter `{filter_text}`")
    for t in terms:
        kind = spec["fields"].get(t["field"], {}).get("type")
        value = fields.get(t["field"])
        if t["tags"] is not None:
            if kind != "TAG":
                return Error(f"Unknown field `{t['field']}`")
            want = {x.strip().lower() for x in t["tags"].split("|")}
            if value is None or value.decode().lower() not in want:
                return False
        else:
            if kind != "NUMERIC":
                return Error(f"Unknown field `{t['field']}`")
            (lo, lo_x), (hi, hi_x) = bound(t["lo"]), bound(t["hi"])
            try:
                x = float(value) if value is not None else None
            except ValueError:
                x = None
            if x is None or x < lo or x > hi or (lo_x and x == lo) or (hi_x and x == hi):
                return False
    return True


class SearchShim:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.indexes: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.searches = 0  # FT.SEARCH commands answered
        self.refuse_next: list[str] = []  # errors to answer the next FT.* commands with (then as usual)
        shim = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                up = socket.create_connection(("127.0.0.1", shim.upstream_port))
                up_f = up.makefile("rb")
                data = Upstream(shim.upstream_port)
                try:
                    while True:
                        try:
                            args = read_command(self.rfile)
                        except (ConnectionError, ValueError):
                            return
                        name = args[0].upper() if args else b""
                        if name.startswith(b"FT."):
                            self.wfile.write(encode(shim.ft(name.decode(), [a for a in args[1:]], data)))
                        else:
                            up.sendall(encode(args))
                            self.wfile.write(read_raw_reply(up_f))
                        self.wfile.flush()
                finally:
                    data.close()
                    up_f.close()
                    up.close()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> SearchShim:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the FT.* commands -------------------------------------------------------------------

    def ft(self, name: str, args: list[bytes], data: Upstream) -> Reply:
        with self.lock:
            refusal = self.refuse_next.pop(0) if self.refuse_next else None
        if refusal is not None:
            return Error(refusal)
        try:
            if name == "FT.CREATE":
                return self.create(args)
            if name == "FT.INFO":
                return self.info(args)
            if name == "FT.DROPINDEX":
                with self.lock:
                    if self.indexes.pop(args[0].decode(), None) is None:
                        return Error("Unknown index name")
                return b"OK"
            if name == "FT.SEARCH":
                return self.search(args, data)
            if name == "FT._LIST":
                with self.lock:
                    return [n.encode() for n in self.indexes]
            return Error(f"ERR unknown command '{name}'")
        except (IndexError, ValueError) as e:
            return Error(f"Syntax error: {e}")

    def create(self, args: list[bytes]) -> Reply:
        words = [a.decode() for a in args]
        index, i = words[0], 1
        spec: dict[str, Any] = {"on": "HASH", "prefixes": [""], "fields": {}}
        while i < len(words) and words[i].upper() != "SCHEMA":
            w = words[i].upper()
            if w == "ON":
                spec["on"] = words[i + 1].upper()
                i += 2
            elif w == "PREFIX":
                n = int(words[i + 1])
                spec["prefixes"] = words[i + 2 : i + 2 + n]
                i += 2 + n
            else:
                return Error(f"Unknown argument `{words[i]}`")
        i += 1
        while i < len(words):
            field, kind = words[i], words[i + 1].upper()
            i += 2
            if kind == "VECTOR":
                algorithm, n = words[i].upper(), int(words[i + 1])
                attrs = dict(zip(words[i + 2 : i + 2 + n : 2], words[i + 3 : i + 2 + n : 2]))
                i += 2 + n
                attrs = {k.upper(): v.upper() for k, v in attrs.items()}
                if algorithm not in ("HNSW", "FLAT") or attrs.get("TYPE") != "FLOAT32" or "DIM" not in attrs:
                    return Error("Bad arguments for vector similarity")
                spec["fields"][field] = {
                    "type": "VECTOR",
                    "dim": int(attrs["DIM"]),
                    "metric": attrs.get("DISTANCE_METRIC", "L2"),
                }
            elif kind in ("TAG", "TEXT", "NUMERIC"):
                spec["fields"][field] = {"type": kind}
            else:
                return Error(f"Could not parse field spec `{field}`")
        if spec["on"] != "HASH":
            return Error("only HASH indexes here")
        with self.lock:
            if index in self.indexes:
                return Error("Index already exists")
            self.indexes[index] = spec
        return b"OK"

    def info(self, args: list[bytes]) -> Reply:
        with self.lock:
            spec = self.indexes.get(args[0].decode())
        if spec is None:
            return Error("Unknown index name")
        attributes = []
        for field, f in spec["fields"].items():
            row = ["identifier", field, "attribute", field, "type", f["type"]]
            if f["type"] == "VECTOR":
                row += ["algorithm", "HNSW", "data_type", "FLOAT32", "dim", f["dim"], "distance_metric", f["metric"]]
            attributes.append(row)
        return [b"index_name", args[0], b"index_definition", [b"key_type", b"HASH", b"prefixes", spec["prefixes"]],
                b"attributes", attributes]  # fmt: skip

    def search(self, args: list[bytes], data: Upstream) -> Reply:
        with self.lock:
            spec = self.indexes.get(args[0].decode())
        if spec is None:
            return Error("Unknown index name")
        query = args[1].decode()
        params: dict[str, bytes] = {}
        sortby, returns, offset, limit, dialect = None, None, 0, 10, 1
        i = 2
        while i < len(args):
            w = args[i].decode().upper()
            if w == "PARAMS":
                n = int(args[i + 1])
                pairs = args[i + 2 : i + 2 + n]
                params.update({pairs[j].decode(): pairs[j + 1] for j in range(0, n, 2)})
                i += 2 + n
            elif w == "SORTBY":
                sortby = args[i + 1].decode()
                i += 2
                if i < len(args) and args[i].decode().upper() in ("ASC", "DESC"):
                    i += 1
            elif w == "RETURN":
                n = int(args[i + 1])
                returns = [a.decode() for a in args[i + 2 : i + 2 + n]]
                i += 2 + n
            elif w == "LIMIT":
                offset, limit = int(args[i + 1]), int(args[i + 2])
                i += 3
            elif w == "DIALECT":
                dialect = int(args[i + 1])
                i += 2
            else:
                return Error(f"Unknown argument `{w}`")
        if params and dialect < 2:
            return Error("PARAMS requires DIALECT 2 or greater")
        m = KNN.match(query)
        if m is None:
            return Error(f"Syntax error in query `{query}`")
        field = spec["fields"].get(m["field"])
        if field is None or field["type"] != "VECTOR":
            return Error(f"Unknown vector field `{m['field']}`")
        k = int(params[m["k"][1:]]) if m["k"].startswith("$") else int(m["k"])
        blob = params.get(m["param"])
        if blob is None:
            return Error(f"No such parameter `{m['param']}`")
        if len(blob) != field["dim"] * 4:
            return Error("Error parsing vector similarity query: query vector blob size does not match")
        target = struct.unpack(f"<{field['dim']}f", blob)
        alias = m["alias"] or f"__{m['field']}_score"
        scored = []
        for key in self.keys(spec, data):
            doc = data.call("HGETALL", key)
            if not isinstance(doc, list) or not doc:
                continue  # gone (expired) since the scan
            fields = {doc[j].decode(): doc[j + 1] for j in range(0, len(doc), 2)}
            vec = fields.get(m["field"])
            if vec is None or len(vec) != field["dim"] * 4:
                continue  # not indexed: the server skips a hash whose vector has the wrong size
            ok = matches(m["filter"], spec, fields)
            if isinstance(ok, Error):
                return ok
            if not ok:
                continue
            v = struct.unpack(f"<{field['dim']}f", vec)
            fields[alias] = repr(distance(field["metric"], target, v)).encode()
            scored.append((key, fields))
        scored.sort(key=lambda kf: float(kf[1][alias]))
        scored = scored[:k]
        if sortby is not None:
            scored.sort(key=lambda kf: float(kf[1].get(sortby, b"inf")))
        with self.lock:
            self.searches += 1
        reply: list[Any] = [len(scored)]
        for key, fields in scored[offset : offset + limit]:
            names = returns if returns is not None else list(fields)
            reply += [key, [x for n in names if n in fields for x in (n.encode(), fields[n])]]
        return reply

    def keys(self, spec: dict[str, Any], data: Upstream) -> list[bytes]:
        found: list[bytes] = []
        for prefix in spec["prefixes"]:
            cursor = b"0"
            while True:
                cursor, batch = data.call(
                    "SCAN", cursor, "MATCH", glob_escape(prefix) + "*", "COUNT", 500, "TYPE", "hash"
                )
                found += batch
                if cursor == b"0":
                    break
        return found


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", s)


def distance(metric: str, a: tuple[float, ...], b: tuple[float, ...]) -> float:
    if metric == "COSINE":
        na = math.sqrt(sum(x * x for x in a))
        nb = math.sqrt(sum(x * x for x in b))
        return 1.0 - (sum(x * y for x, y in zip(a, b)) / (na * nb) if na and nb else 0.0)
    if metric == "IP":
        return 1.0 - sum(x * y for x, y in zip(a, b))
    return sum((x - y) ** 2 for x, y in zip(a, b))

"""A real redis-server on 127.0.0.1 for the tests that need one (started per test session)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from mockserver import free_port


class RedisServer:
    def __init__(self, modules: tuple[str, ...] = ()) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="litellm-rs-redis-")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                *[arg for m in modules for arg in ("--loadmodule", m)],
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# Debian's redis-redisearch: RediSearch 1.2 (search without vector fields)
REDISEARCH_1 = "/usr/lib/redis/modules/redisearch.so"


def with_redisearch_1() -> RedisServer:
    if not os.path.exists(REDISEARCH_1):
        raise FileNotFoundError(REDISEARCH_1)
    return RedisServer(modules=(REDISEARCH_1,))


def required() -> bool:
    """Under the test command (scripts/test.sh installs redis-server) the Redis tests must run."""
    return bool(os.environ.get("LITELLM_RS_REQUIRE_REDIS"))


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too (and below 65536)."""
    import random

    for _ in range(200):
        port = random.randint(20000, 50000)
        try:
            for p in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


class RedisCluster:
    """Three redis-server primaries on 127.0.0.1 joined into one Redis Cluster (no replicas)."""

    def __init__(self, nodes: int = 3) -> None:
        binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if binary is None or cli is None:
            raise FileNotFoundError("redis-server")
        self.dir = tempfile.mkdtemp(prefix="litellm-rs-redis-cluster-")
        self.ports = [_cluster_port() for _ in range(nodes)]
        self.procs = []
        for port in self.ports:
            node_dir = os.path.join(self.dir, str(port))
            os.makedirs(node_dir)
            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            args += ["--dir", node_dir, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            for port in self.ports:
                self._wait(port, b"PING\r\n", b"+PONG")
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports), "--cluster-replicas", "0"]
                + ["--cluster-yes"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )
            for port in self.ports:
                self._wait(port, b"CLUSTER INFO\r\n", b"cluster_state:ok", contains=True)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _wait(port: int, ask: bytes, expect: bytes, contains: bool = False) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(ask)
                    reply = s.recv(4096)
                    if (expect in reply) if contains else reply.startswith(expect):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis cluster node {port} did not get ready")

    @property
    def url(self) -> str:
        return "redis-cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    @property
    def startup_nodes(self) -> list:
        return [{"host": "127.0.0.1", "port": str(p)} for p in self.ports]

    def node_urls(self) -> list:
        return [f"redis://127.0.0.1:{p}/0" for p in self.ports]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

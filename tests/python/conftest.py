"""Fixtures of the litellm_rs pytest suite: a mock OpenAI-compatible server per test, a clean
environment (no provider keys or base URLs from the machine) and module settings reset after
each test."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mockserver import MockServer

# Requests to the mock server must never go through a proxy from the machine's environment.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

# Environment variables that change which key or base URL a call uses.
_ENV_PATTERN = re.compile(
    r"^(OPENAI_|GROQ_|HOSTED_VLLM_|TEXT_COMPLETION_OPENAI_|LITELLM_|AZURE_|ANTHROPIC_)"
    r"|(_API_KEY|_API_BASE|_BASE_URL|_API_VERSION)$"
)

_SIMPLE = (type(None), bool, int, float, str, list, dict, tuple, set)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """A real redis-server on 127.0.0.1 (skipped where none is installed, except in CI)."""
    import redisserver
    from support import start_or_skip

    server = start_or_skip(redisserver.RedisServer, redisserver.required, "redis-server")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL server on 127.0.0.1 (skipped where none is installed, except in CI)."""
    import pgserver
    from support import start_or_skip

    server = start_or_skip(pgserver.PostgresServer, pgserver.required, "PostgreSQL")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Any]:
    """A real three-node Redis Cluster on 127.0.0.1 (skipped where redis-server is missing, except in CI)."""
    import redisserver
    from support import start_or_skip

    cluster = start_or_skip(redisserver.RedisCluster, redisserver.required, "redis-server")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_url(redis_server: Any) -> Iterator[str]:
    """The test Redis, emptied before each test."""
    from litellm_rs import _core

    _core.redis_commands(redis_server.url, [["FLUSHALL"]])
    yield redis_server.url


@pytest.fixture
def mock() -> Iterator[MockServer]:
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if _ENV_PATTERN.search(name):
            monkeypatch.delenv(name, raising=False)
    yield


def _settings_snapshot(mod: Any) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for name, value in vars(mod).items():
        if name.startswith("_") or not isinstance(value, _SIMPLE):
            continue
        copy = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        snap[name] = (value, copy)
    return snap


@pytest.fixture(autouse=True)
def reset_litellm_settings() -> Iterator[None]:
    """Restores every plain module setting of litellm_rs (drop_params, num_retries, groq_key,
    callbacks lists, ...) to its value before the test; settings a test added are removed."""
    mod = sys.modules.get("litellm_rs")
    before = _settings_snapshot(mod) if mod is not None else None
    yield
    if mod is None or before is None:
        return
    for name, value in list(vars(mod).items()):
        if name.startswith("_") or not isinstance(value, _SIMPLE):
            continue
        if name not in before:
            delattr(mod, name)
    for name, (obj, copy) in before.items():
        current = getattr(mod, name, None)
        if current is obj and isinstance(obj, list):
            obj[:] = copy
        elif current is obj and isinstance(obj, dict):
            obj.clear()
            obj.update(copy)
        else:
            setattr(mod, name, obj)
            if isinstance(obj, list):
                obj[:] = copy
            elif isinstance(obj, dict):
                obj.clear()
                obj.update(copy)

"""``Cache``: litellm's response cache, served by the engine (``src/cache/``).

``litellm_rs.cache = Cache()`` (or ``enable_cache()``) turns it on for every call;
``Cache(type="redis", host=..., port=..., password=...)`` (or ``redis_url=``) shares it between
processes. Answers are stored by a hash of the request (model, messages or input, parameters);
a hit returns the stored answer with ``_hidden_params["cache_hit"] = True`` and a cost of 0,
and a streamed call replays it as a stream.
"""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["Cache", "LiteLLMCacheType"]

_CALL_TYPES = [
    "completion", "acompletion", "embedding", "aembedding", "text_completion", "atext_completion",
    "transcription", "atranscription", "rerank", "arerank", "responses", "aresponses",
]  # fmt: skip


_TYPES = ("local", "redis", "disk", "s3", "local-semantic", "redis-semantic", "qdrant-semantic")


class LiteLLMCacheType:
    LOCAL = "local"
    REDIS = "redis"
    REDIS_SEMANTIC = "redis-semantic"
    QDRANT_SEMANTIC = "qdrant-semantic"
    S3 = "s3"
    DISK = "disk"
    LOCAL_SEMANTIC = "local-semantic"


def _redis_url(host: Optional[str], port: Any, password: Optional[str], url: Optional[str]) -> str:
    if url:
        return url
    host = host or os.environ.get("REDIS_HOST")
    if url is None and host is None and os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if not host:
        raise ValueError("a redis cache needs host= (and port=, password=), redis_url=, or REDIS_HOST / REDIS_URL")
    port = port or os.environ.get("REDIS_PORT") or 6379
    password = password if password is not None else os.environ.get("REDIS_PASSWORD")
    from urllib.parse import quote

    auth = f":{quote(str(password), safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}"


def _cluster_url(nodes: list, password: Optional[str]) -> str:
    """A Redis Cluster's startup nodes (``[{"host": ..., "port": ...}]``) as the engine's
    ``redis-cluster://`` URL."""
    from urllib.parse import quote

    password = password if password is not None else os.environ.get("REDIS_PASSWORD")
    auth = f":{quote(str(password), safe='')}@" if password else ""
    hosts = ",".join(f"{n['host']}:{n.get('port', 6379)}" for n in nodes)
    return f"redis-cluster://{auth}{hosts}"


class Cache:
    """The response cache (litellm's parameters; ``type`` is ``"local"``, ``"redis"`` or ``"disk"``)."""

    def __init__(
        self,
        type: str = "local",
        mode: str = "default_on",
        host: Optional[str] = None,
        port: Any = None,
        password: Optional[str] = None,
        namespace: Optional[str] = None,
        ttl: Optional[float] = None,
        default_in_memory_ttl: Optional[float] = None,
        default_in_redis_ttl: Optional[float] = None,
        similarity_threshold: Optional[float] = None,
        supported_call_types: Optional[list] = None,
        max_messages: int = 4,
        redis_url: Optional[str] = None,
        max_size_in_memory: Optional[int] = None,
        disk_cache_dir: Optional[str] = None,
        redis_semantic_cache_embedding_model: Optional[str] = None,
        redis_semantic_cache_index_name: Optional[str] = None,
        qdrant_api_base: Optional[str] = None,
        qdrant_api_key: Optional[str] = None,
        qdrant_collection_name: Optional[str] = None,
        qdrant_semantic_cache_embedding_model: Optional[str] = None,
        semantic_cache_embedding_model: Optional[str] = None,
        s3_bucket_name: Optional[str] = None,
        s3_region_name: Optional[str] = None,
        s3_endpoint_url: Optional[str] = None,
        s3_path: Optional[str] = None,
        s3_aws_access_key_id: Optional[str] = None,
        s3_aws_secret_access_key: Optional[str] = None,
        s3_aws_session_token: Optional[str] = None,
        s3_verify: Any = None,
        **kwargs: Any,
    ) -> None:
        type = getattr(type, "value", type)
        if mode not in ("default_on", "default_off"):
            raise ValueError(f"mode must be 'default_on' or 'default_off', not {mode!r}")
        if type not in _TYPES:
            raise ValueError(f"cache type {type!r} is not supported by litellm_rs yet: use one of {list(_TYPES)}")
        semantic = type.endswith("-semantic")
        if semantic and similarity_threshold is None:
            raise ValueError(f"a {type} cache needs similarity_threshold= (0..1)")
        embedding_model = (
            semantic_cache_embedding_model
            or (redis_semantic_cache_embedding_model if type == "redis-semantic" else None)
            or (qdrant_semantic_cache_embedding_model if type == "qdrant-semantic" else None)
        )
        if type == "qdrant-semantic":
            qdrant_api_base = qdrant_api_base or os.environ.get("QDRANT_API_BASE") or os.environ.get("QDRANT_URL")
            qdrant_api_key = qdrant_api_key or os.environ.get("QDRANT_API_KEY")
        self.type = type
        self.mode = mode
        self.namespace = namespace
        self.ttl = ttl if ttl is not None else (default_in_redis_ttl if type == "redis" else default_in_memory_ttl)
        self.supported_call_types = (
            list(supported_call_types) if supported_call_types is not None else list(_CALL_TYPES)
        )
        self.similarity_threshold = similarity_threshold
        self.max_messages = max_messages
        redis_startup_nodes = kwargs.get("redis_startup_nodes")
        if type in ("redis", "redis-semantic") and redis_startup_nodes:
            self._url = _cluster_url(redis_startup_nodes, password)
        elif type in ("redis", "redis-semantic"):
            self._url = _redis_url(host, port, password, redis_url)
        else:
            self._url = None
        from .. import _core

        self._handle = _core.CacheHandle(
            {
                "type": type,
                "redis_url": self._url,
                "namespace": namespace,
                "ttl": self.ttl,
                "mode": mode,
                "supported_call_types": self.supported_call_types,
                "max_size_in_memory": max_size_in_memory,
                "disk_cache_dir": disk_cache_dir,
                "similarity_threshold": similarity_threshold,
                "semantic_embedding_model": embedding_model,
                "redis_semantic_cache_index_name": redis_semantic_cache_index_name,
                "qdrant_api_base": qdrant_api_base,
                "qdrant_api_key": qdrant_api_key,
                "qdrant_collection_name": qdrant_collection_name,
                "s3_bucket_name": s3_bucket_name,
                "s3_region_name": s3_region_name,
                "s3_endpoint_url": s3_endpoint_url,
                "s3_path": s3_path,
                "s3_aws_access_key_id": s3_aws_access_key_id,
                "s3_aws_secret_access_key": s3_aws_secret_access_key,
                "s3_aws_session_token": s3_aws_session_token,
                "s3_profile_name": kwargs.get("s3_profile_name"),
                "s3_verify": s3_verify is not False,
            }
        )

    @staticmethod
    def _call(kwargs: dict[str, Any]) -> tuple[str, dict[str, Any], Optional[str]]:
        """``(call_type, request body, namespace)`` of the call that ``kwargs`` describe."""
        from ..main import _split_kwargs

        call_type = kwargs.pop("call_type", None)
        request: dict[str, Any] = {}
        options: dict[str, Any] = {}
        _split_kwargs(kwargs, request, options)
        if call_type is None:
            call_type = "embedding" if "input" in request and "messages" not in request else "completion"
        return call_type, request, (options.get("cache") or {}).get("namespace")

    def get_cache_key(self, **kwargs: Any) -> str:
        """The key a call with these kwargs uses (the namespace, then a SHA-256 hex digest of
        the model, the messages or input, and the parameters)."""
        return self._handle.key(*self._call(kwargs))

    def clear(self, namespace: Optional[str] = None) -> None:
        """Drops the entries of ``namespace`` (by default the cache's own; a cache without a
        namespace drops every entry)."""
        self._handle.clear(namespace)

    flush_cache = clear

    def add_cache(self, result: Any, **kwargs: Any) -> str:
        """Stores ``result`` (a response object or dict) as the answer to the call ``kwargs``
        describe (``model``, ``messages`` or ``input``, parameters; ``call_type`` optional);
        returns its key."""
        call_type, request, namespace = self._call(kwargs)
        data = result.model_dump() if hasattr(result, "model_dump") else dict(result)
        return self._handle.insert(call_type, request, data, namespace)

    def warm_up(self, path: str) -> int:
        """Loads recorded answers from a JSONL file: one ``{"request": {...}, "response": {...}}``
        per line (``"call_type"`` optional, as for ``add_cache``). Returns how many were stored."""
        import json

        n = 0
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    request, response = record["request"], record["response"]
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(f"{path}:{line_no}: not a {{'request', 'response'}} record ({e})") from None
                self.add_cache(response, call_type=record.get("call_type"), **request)
                n += 1
        return n

    def __repr__(self) -> str:
        return f"Cache(type={self.type!r}, mode={self.mode!r}, namespace={self.namespace!r}, ttl={self.ttl!r})"

"""``litellm_rs.Router``: litellm's Router over the engine's (``src/router/``).

Deployments sharing a ``model_name`` form a group. A call to a group picks one deployment with
the routing strategy, retries inside the group, then tries the fallback groups; every deployment
has a circuit breaker (``allowed_fails`` / ``cooldown_time``) applied the same way to every call
type. With ``redis_url`` (or ``redis_host``), usage, failures, cooldowns and latency are shared
with the other processes using the same Redis.
"""

from __future__ import annotations

from typing import Any

from . import _aio, _callbacks, _core
from . import main as _main

__all__ = ["Router"]

_STRATEGIES = frozenset(
    {
        "simple-shuffle", "least-busy", "usage-based-routing", "usage-based-routing-v2",
        "latency-based-routing", "cost-based-routing", "round-robin", "weighted-round-robin",
        "consistent-hashing", "sticky",
    }
)  # fmt: skip

# constructor parameters the engine acts on (sent to it as the router's settings)
_ENGINE_SETTINGS = (
    "routing_strategy", "routing_strategy_args", "num_retries", "max_fallbacks", "timeout", "stream_timeout",
    "retry_after", "retry_policy", "model_group_retry_policy", "allowed_fails", "allowed_fails_policy",
    "cooldown_time", "disable_cooldowns", "fallbacks", "default_fallbacks", "context_window_fallbacks",
    "content_policy_fallbacks", "model_group_alias", "enable_pre_call_checks", "enable_tag_filtering",
    "tag_filtering_match_any", "default_max_parallel_requests", "canary_rollback", "redis_namespace",
    "health_check_interval", "background_health_check_model_groups", "health_check_timeout",
    "enable_health_check_routing", "health_check_staleness_threshold", "health_check_ignore_transient_errors",
)  # fmt: skip


def _plain(value: Any) -> Any:
    """Policies may be given as pydantic objects (litellm's ``RetryPolicy``, ``AllowedFailsPolicy``)."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return {k: v for k, v in dump().items() if v is not None}
    return value


def _redis_url(url: str | None, host: str | None, port: Any, password: str | None, db: Any) -> str | None:
    if url:
        return url
    if not host:
        return None
    from urllib.parse import quote

    auth = f":{quote(str(password), safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port or 6379}/{db or 0}"


def _chat_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    # a string mock_response (also "litellm.RateLimitError", ...) goes through the routing, so that
    # retries, cooldowns and fallbacks see it; other mocks are answered here
    mock = options.get("mock_response")
    if mock is None or type(mock) is str:
        return _main._NO_MOCK
    return _main._mock_result(request, options)


def _embedding_mocks(request: dict[str, Any], options: dict[str, Any]) -> Any:
    if "mock_response" in options:
        return _main._mock_embedding(request, options)
    return _main._NO_MOCK


class Router:
    """Load balancing, retries, fallbacks and cooldowns over a ``model_list``."""

    def __init__(
        self,
        model_list: list | None = None,
        *,
        redis_url: str | None = None,
        redis_host: str | None = None,
        redis_port: Any = None,
        redis_password: str | None = None,
        redis_db: Any = None,
        cache_responses: bool | None = False,
        cache_kwargs: dict | None = None,
        caching_groups: list | None = None,
        client_ttl: int = 3600,
        num_retries: int | None = None,
        max_fallbacks: int | None = None,
        timeout: float | None = None,
        stream_timeout: float | None = None,
        default_litellm_params: dict | None = None,
        default_max_parallel_requests: int | None = None,
        set_verbose: bool = False,
        debug_level: str = "INFO",
        default_fallbacks: list | None = None,
        fallbacks: list | None = None,
        context_window_fallbacks: list | None = None,
        content_policy_fallbacks: list | None = None,
        model_group_alias: dict | None = None,
        enable_pre_call_checks: bool = False,
        enable_tag_filtering: bool = False,
        tag_filtering_match_any: bool = False,
        retry_after: float = 0,
        retry_policy: Any = None,
        model_group_retry_policy: dict | None = None,
        allowed_fails: int | None = None,
        allowed_fails_policy: Any = None,
        cooldown_time: float | None = None,
        disable_cooldowns: bool | None = None,
        routing_strategy: str = "simple-shuffle",
        routing_strategy_args: dict | None = None,
        canary_rollback: dict | None = None,
        redis_namespace: str | None = None,
        health_check_interval: float | None = None,
        background_health_check_model_groups: list | None = None,
        health_check_timeout: float | None = None,
        enable_health_check_routing: bool = False,
        health_check_staleness_threshold: float | None = None,
        health_check_ignore_transient_errors: bool = False,
        **kwargs: Any,
    ) -> None:
        if routing_strategy not in _STRATEGIES:
            raise ValueError(f"routing_strategy={routing_strategy!r} is not one of {sorted(_STRATEGIES)}")
        if num_retries is None:
            num_retries = _main._pkg.num_retries
            if num_retries is None:
                num_retries = 2
        self.model_list: list = []
        self.num_retries = num_retries
        self.max_fallbacks = max_fallbacks if max_fallbacks is not None else 5
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        self.retry_after = retry_after
        self.retry_policy = retry_policy
        self.model_group_retry_policy = model_group_retry_policy or {}
        self.allowed_fails = allowed_fails
        self.allowed_fails_policy = allowed_fails_policy
        self.cooldown_time = cooldown_time
        self.disable_cooldowns = disable_cooldowns
        self.fallbacks = fallbacks or []
        self.default_fallbacks = default_fallbacks
        self.context_window_fallbacks = context_window_fallbacks or []
        self.content_policy_fallbacks = content_policy_fallbacks or []
        self.model_group_alias = model_group_alias or {}
        self.enable_pre_call_checks = enable_pre_call_checks
        self.enable_tag_filtering = enable_tag_filtering
        self.tag_filtering_match_any = tag_filtering_match_any
        self.routing_strategy = routing_strategy
        self.routing_strategy_args = routing_strategy_args or {}
        self.default_max_parallel_requests = default_max_parallel_requests
        self.canary_rollback = canary_rollback
        self.redis_namespace = redis_namespace
        self.health_check_interval = health_check_interval
        self.background_health_check_model_groups = background_health_check_model_groups
        self.health_check_timeout = health_check_timeout
        self.enable_health_check_routing = enable_health_check_routing
        self.health_check_staleness_threshold = health_check_staleness_threshold
        self.health_check_ignore_transient_errors = health_check_ignore_transient_errors
        self.default_litellm_params = dict(default_litellm_params or {})
        self.cache_responses = bool(cache_responses)
        self.caching_groups = caching_groups
        self.client_ttl = client_ttl
        self.set_verbose = set_verbose
        self.debug_level = debug_level
        self.redis_url = _redis_url(redis_url, redis_host, redis_port, redis_password, redis_db)
        self.extra_settings = kwargs  # accepted for litellm compatibility; not acted on
        if self.cache_responses:
            from . import caching

            cache_kwargs = dict(cache_kwargs or {})
            if self.redis_url:
                cache = caching.Cache(type="redis", redis_url=self.redis_url, **cache_kwargs)
            else:
                cache = caching.Cache(type="local", **cache_kwargs)
            _main._pkg.cache = cache
        self._handle = _core.RouterHandle(list(model_list or []), self._settings())
        self.model_list = self._handle.model_list()

    # -----------------------------------------------------------------------------------------
    # settings and the model list
    # -----------------------------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _ENGINE_SETTINGS:
            value = _plain(getattr(self, name))
            if value is not None and value != [] and value != {}:
                out[name] = value
        if self.redis_url:
            out["redis_url"] = self.redis_url
        return out

    def _refresh(self) -> None:
        self.model_list = self._handle.model_list()

    def set_model_list(self, model_list: list) -> None:
        self._handle.set_model_list(list(model_list))
        self._refresh()

    def add_deployment(self, deployment: Any) -> dict | None:
        """Adds a deployment (a ``model_list`` entry); None when one with its id exists."""
        entry = _plain(deployment)
        added = self._handle.add_deployment(entry)
        self._refresh()
        return None if added is None else self._handle.deployment(added)

    def upsert_deployment(self, deployment: Any) -> dict | None:
        """Adds a deployment or replaces the one with its id; returns it."""
        _, model_id = self._handle.upsert_deployment(_plain(deployment))
        self._refresh()
        return self._handle.deployment(model_id)

    def delete_deployment(self, id: str) -> dict | None:
        removed = self._handle.delete_deployment(id)
        self._refresh()
        return removed

    def update_settings(self, **kwargs: Any) -> None:
        """Changes constructor settings of a running router (litellm's ``update_settings``)."""
        for name, value in kwargs.items():
            if name == "routing_strategy" and value not in _STRATEGIES:
                raise ValueError(f"routing_strategy={value!r} is not one of {sorted(_STRATEGIES)}")
            setattr(self, name, value)
        self._handle.update_settings(self._settings())

    def get_settings(self) -> dict[str, Any]:
        """The router's settings (a Redis password is shown as ``***``)."""
        names = (*_ENGINE_SETTINGS, "default_litellm_params", "cache_responses")
        out = {name: getattr(self, name) for name in names}
        if self.redis_url:
            import re

            out["redis_url"] = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.redis_url)
        return out

    def get_model_list(self, model_name: str | None = None) -> list:
        return self._handle.model_list(model_name)

    def get_model_names(self) -> list:
        return self._handle.model_names()

    def get_model_ids(self, model_name: str | None = None) -> list:
        return [d["model_info"]["id"] for d in self._handle.model_list(model_name)]

    def get_deployment(self, model_id: str) -> dict | None:
        return self._handle.deployment(model_id)

    def get_model_info(self, id: str) -> dict | None:
        return self._handle.deployment(id)

    def get_model_group_info(self, model_group: str) -> dict | None:
        """What a group offers: providers, the smallest context window, prices, limits and the
        capabilities every deployment has."""
        from .cost import get_model_info as _info
        from .exceptions import ModelNotMappedError

        entries = self._handle.model_list(model_group)
        if not entries:
            return None
        out: dict[str, Any] = {"model_group": model_group, "providers": [], "tpm": None, "rpm": None}
        for entry in entries:
            params = entry["litellm_params"]
            try:
                info = dict(_info(params["model"], custom_llm_provider=params.get("custom_llm_provider")))
            except ModelNotMappedError:
                info = {}
            info.update({k: v for k, v in entry.get("model_info", {}).items() if v is not None})
            provider = info.get("litellm_provider") or params["model"].split("/", 1)[0]
            if provider not in out["providers"]:
                out["providers"].append(provider)
            for key in ("max_input_tokens", "max_output_tokens"):
                value = info.get(key)
                if value is not None:
                    out[key] = value if out.get(key) is None else min(out[key], value)
            for key in ("input_cost_per_token", "output_cost_per_token"):
                value = params.get(key, info.get(key))
                if value is not None:
                    out[key] = value if out.get(key) is None else max(out[key], value)
            for key in ("tpm", "rpm"):
                value = params.get(key, entry.get("model_info", {}).get(key))
                if value is not None:
                    out[key] = (out[key] or 0) + value
            out.setdefault("mode", info.get("mode"))
            for key, value in info.items():
                if key.startswith("supports_"):
                    out[key] = bool(value) and out.get(key, True)
        return out

    # -----------------------------------------------------------------------------------------
    # live state
    # -----------------------------------------------------------------------------------------

    def get_deployment_stats(self) -> list:
        """Per deployment: requests, successes, failures, error rate, average and moving-average
        latency, cost, tokens, in-flight calls, this minute's usage, cooldown left, canary state."""
        return self._handle.stats()

    def get_cooldown_deployments(self) -> list:
        return [s["model_id"] for s in self._handle.stats() if s["cooldown_remaining_s"] > 0]

    def cooldown_deployment(self, model_id: str, seconds: float | None = None) -> bool:
        """Takes a deployment out of rotation for ``seconds`` (default: ``cooldown_time``, 5 s)."""
        if seconds is None:
            seconds = self.cooldown_time if self.cooldown_time is not None else 5.0
        return self._handle.cooldown(model_id, float(seconds))

    def reset(self) -> None:
        """Forgets usage, statistics and cooldowns."""
        self._handle.reset()

    def flush_cache(self) -> None:
        self._handle.reset()

    def get_available_deployment(
        self,
        model: str,
        messages: list | None = None,
        input: Any = None,
        specific_deployment: bool | None = False,
        request_kwargs: dict | None = None,
    ) -> dict:
        """The deployment a call to ``model`` would use now (raises like the call would when
        none is available)."""
        if specific_deployment:
            found = self._handle.deployment(model)
            if found is not None:
                return found
        request: dict[str, Any] = {"model": model, "messages": _main._messages(messages or [])}
        if input is not None:
            request["messages"] = [{"role": "user", "content": input if isinstance(input, str) else str(input)}]
        options: dict[str, Any] = {}
        if request_kwargs:
            _main._split_kwargs(dict(request_kwargs), request, options)
        return self._handle.available_deployment(request, options)

    async def async_get_available_deployment(
        self,
        model: str,
        request_kwargs: dict | None = None,
        messages: list | None = None,
        input: Any = None,
        specific_deployment: bool | None = False,
    ) -> dict:
        return self.get_available_deployment(
            model,
            messages=messages,
            input=input,
            specific_deployment=specific_deployment,
            request_kwargs=request_kwargs,
        )

    # -----------------------------------------------------------------------------------------
    # health
    # -----------------------------------------------------------------------------------------

    @staticmethod
    def _health_result(endpoints: list) -> dict[str, Any]:
        healthy = [e for e in endpoints if "error" not in e]
        unhealthy = [e for e in endpoints if "error" in e]
        return {
            "healthy_endpoints": healthy,
            "unhealthy_endpoints": unhealthy,
            "healthy_count": len(healthy),
            "unhealthy_count": len(unhealthy),
        }

    def health_check(self, model: str | None = None) -> dict[str, Any]:
        """Checks every deployment (of group ``model``) with one small real call, at once:
        ``{"healthy_endpoints", "unhealthy_endpoints", "healthy_count", "unhealthy_count"}``
        (credentials left out). With ``enable_health_check_routing`` the results steer routing."""
        defaults: dict[str, Any] = {}
        _main._apply_settings({}, defaults)
        return self._health_result(self._handle.health_check(model, defaults))

    async def ahealth_check(self, model: str | None = None) -> dict[str, Any]:
        """Async ``health_check``."""
        import json

        defaults: dict[str, Any] = {}
        _main._apply_settings({}, defaults)
        data, _, _ = await _aio.submit(self._handle.health_check_submit, model, defaults)
        return self._health_result(json.loads(data))

    # -----------------------------------------------------------------------------------------
    # batches
    # -----------------------------------------------------------------------------------------

    async def abatch_completion(self, models: list, messages: list, **kwargs: Any) -> list:
        """The same messages to several groups at once; one result per group (an exception
        object where that group failed). A list of message lists sends each to every group."""
        import asyncio

        if messages and isinstance(messages[0], list):
            # one list of answers per message list, as litellm returns them
            runs = [self.acompletion(model=m, messages=msgs, **kwargs) for msgs in messages for m in models]
            flat = await asyncio.gather(*runs, return_exceptions=True)
            n = len(models)
            return [list(flat[i * n : (i + 1) * n]) for i in range(len(messages))]
        runs = [self.acompletion(model=m, messages=messages, **kwargs) for m in models]
        return list(await asyncio.gather(*runs, return_exceptions=True))

    async def abatch_completion_one_model_multiple_requests(self, model: str, messages: list, **kwargs: Any) -> list:
        """Several message lists to one group at once; one result (or exception) per list."""
        import asyncio

        runs = [self.acompletion(model=model, messages=m, **kwargs) for m in messages]
        return list(await asyncio.gather(*runs, return_exceptions=True))

    async def abatch_completion_fastest_response(self, model: Any, messages: list, **kwargs: Any) -> Any:
        """The first successful answer among several groups (``model`` is a list or a
        comma-separated string); the slower calls are cancelled. Raises the last error when all
        fail."""
        import asyncio

        models = [m.strip() for m in model.split(",")] if isinstance(model, str) else list(model)
        tasks = [asyncio.ensure_future(self.acompletion(model=m, messages=messages, **kwargs)) for m in models]
        error: BaseException | None = None
        try:
            for next_done in asyncio.as_completed(tasks):
                try:
                    return await next_done
                except Exception as e:  # noqa: BLE001 - the next group may still answer
                    error = e
        finally:
            for t in tasks:
                t.cancel()
        assert error is not None
        raise error

    # -----------------------------------------------------------------------------------------
    # calls
    # -----------------------------------------------------------------------------------------

    def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.default_litellm_params:
            kwargs = {**self.default_litellm_params, **kwargs}
        if not self.cache_responses and "caching" not in kwargs:
            kwargs["caching"] = False  # litellm: a router caches only with cache_responses=True
        return kwargs

    def _run(self, kind: str, call_type: str, request: dict, kwargs: dict, mocks: Any, build: Any, wrap: Any) -> Any:
        request, options, defaults = _main._prepare_routed(request, self._kwargs(kwargs))
        handle = self._handle

        def call(req: dict, opts: dict) -> Any:
            return handle.call(kind, req, opts, defaults)

        def open_stream(req: dict, opts: dict) -> Any:
            return handle.open(kind, req, opts, defaults)

        log = _callbacks.start(call_type, request, options)
        if log is not None:
            return _main._logged(log, call, build, open_stream if wrap else None, wrap, mock=mocks)
        mocked = mocks(request, options)
        if mocked is not _main._NO_MOCK:
            return mocked
        if wrap is not None and request.get("stream"):
            return wrap(open_stream(request, options), request, options)
        data, hidden, _ = call(request, options)
        return build(data, hidden)

    async def _arun(
        self, kind: str, call_type: str, request: dict, kwargs: dict, mocks: Any, build: Any, wrap: Any
    ) -> Any:
        request, options, defaults = _main._prepare_routed(request, self._kwargs(kwargs))
        handle = self._handle

        def submit(queue: Any, req: dict, opts: dict) -> int:
            return handle.submit(queue, kind, req, opts, defaults)

        def submit_open(queue: Any, req: dict, opts: dict) -> int:
            return handle.submit_open(queue, kind, req, opts, defaults)

        log = _callbacks.start(call_type, request, options)
        if log is not None:
            return await _main._alogged(log, submit, build, submit_open if wrap else None, wrap, mock=mocks)
        mocked = mocks(request, options)
        if mocked is not _main._NO_MOCK:
            return mocked
        if wrap is not None and request.get("stream"):
            return wrap(await _aio.submit(submit_open, request, options), request, options)
        data, hidden, _ = await _aio.submit(submit, request, options)
        return build(data, hidden)

    def completion(self, model: str, messages: list, **kwargs: Any) -> Any:
        request = {"model": model, "messages": messages}
        return self._run(
            "completion", "completion", request, kwargs, _chat_mocks, _main._chat_response, _main._chat_stream
        )

    async def acompletion(self, model: str, messages: list, **kwargs: Any) -> Any:
        request = {"model": model, "messages": messages}
        return await self._arun(
            "completion", "acompletion", request, kwargs, _chat_mocks, _main._chat_response, _main._chat_stream
        )

    def text_completion(self, model: str, prompt: Any, **kwargs: Any) -> Any:
        request = {"model": model, "prompt": prompt}
        return self._run(
            "text_completion", "text_completion", request, kwargs, _chat_mocks, _main._text_response,
            _main._text_stream,
        )  # fmt: skip

    async def atext_completion(self, model: str, prompt: Any, **kwargs: Any) -> Any:
        request = {"model": model, "prompt": prompt}
        return await self._arun(
            "text_completion", "atext_completion", request, kwargs, _chat_mocks, _main._text_response,
            _main._text_stream,
        )  # fmt: skip

    def embedding(self, model: str, input: Any, **kwargs: Any) -> Any:
        request = {"model": model, "input": input}
        return self._run("embedding", "embedding", request, kwargs, _embedding_mocks, _main._embedding_response, None)

    async def aembedding(self, model: str, input: Any, **kwargs: Any) -> Any:
        request = {"model": model, "input": input}
        return await self._arun(
            "embedding", "aembedding", request, kwargs, _embedding_mocks, _main._embedding_response, None
        )

    def __repr__(self) -> str:
        return f"Router(model_names={self.get_model_names()!r}, routing_strategy={self.routing_strategy!r})"

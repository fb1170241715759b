"""litellm_rs.Router over real HTTP: local mock servers stand in for the deployments."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import litellm_rs as litellm
import pytest
from litellm_rs import Router
from mockserver import MockServer

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def mock2() -> Iterator[MockServer]:
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()


def deployment(name: str, server: MockServer, id: str, **params: Any) -> dict[str, Any]:
    return {
        "model_name": name,
        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": server.url, "api_key": f"sk-{id}", **params},
        "model_info": {"id": id},
    }


def stats(router: Router, model_id: str) -> dict[str, Any]:
    return next(s for s in router.get_deployment_stats() if s["model_id"] == model_id)


def test_calls_go_to_the_group_with_the_deployments_settings(mock: MockServer, mock2: MockServer) -> None:
    router = Router(model_list=[deployment("gpt", mock, "a", weight=1), deployment("gpt", mock2, "b", weight=1)])
    seen = {"a": 0, "b": 0}
    for _ in range(40):
        r = router.completion(model="gpt", messages=MESSAGES)
        assert r.choices[0].message.content == mock.chat_text
        seen[r._hidden_params["model_id"]] += 1
        assert r._hidden_params["model_group"] == "gpt"
        assert r._hidden_params["response_cost"] > 0
    assert seen["a"] > 5 and seen["b"] > 5, seen
    assert len(mock.requests) == seen["a"] and len(mock2.requests) == seen["b"]
    # each deployment's own key and model
    assert {r.header("authorization") for r in mock.requests} == {"Bearer sk-a"}
    assert {r.body["model"] for r in mock2.requests} == {"gpt-4o-mini"}


def test_the_call_wins_over_the_deployment_which_wins_over_module_settings(mock: MockServer) -> None:
    litellm.api_key = "sk-module"
    router = Router(
        model_list=[
            {"model_name": "g", "litellm_params": {"model": "openai/x", "api_base": mock.url, "temperature": 0.1}},
            {"model_name": "h", "litellm_params": {"model": "openai/x", "api_base": mock.url, "api_key": "sk-dep"}},
        ]
    )
    router.completion(model="g", messages=MESSAGES)
    assert mock.last.header("authorization") == "Bearer sk-module"
    assert mock.last.body["temperature"] == 0.1
    router.completion(model="h", messages=MESSAGES)
    assert mock.last.header("authorization") == "Bearer sk-dep"
    router.completion(model="h", messages=MESSAGES, api_key="sk-call", temperature=0.9)
    assert mock.last.header("authorization") == "Bearer sk-call"
    assert mock.last.body["temperature"] == 0.9


def test_a_failed_deployment_is_retried_on_another(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a", order=1), deployment("gpt", mock2, "b", order=2)],
        num_retries=1,
    )
    mock.fail(503)
    r = router.completion(model="gpt", messages=MESSAGES)
    # order=1 first; its 503 sends the retry to the next order at once
    assert r._hidden_params["model_id"] == "b"
    assert (len(mock.requests), len(mock2.requests)) == (1, 1)
    assert stats(router, "a")["failures"] == 1
    assert stats(router, "b")["successes"] == 1


def test_a_429_cools_the_deployment_down(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a", order=1), deployment("gpt", mock2, "b", order=2)],
        cooldown_time=30,
    )
    mock.fail(429, headers={"retry-after": "1"})
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "b"
    assert router.get_cooldown_deployments() == ["a"]
    for _ in range(5):
        assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "b"
    assert len(mock.requests) == 1
    assert 25 < stats(router, "a")["cooldown_remaining_s"] <= 30


def test_allowed_fails_and_cooldown_time_trip_the_breaker(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a", order=1), deployment("gpt", mock2, "b", order=2)],
        allowed_fails=2,
        cooldown_time=0.4,
        num_retries=0,
    )
    mock.fail(500, times=3)
    for _ in range(3):
        with pytest.raises(litellm.InternalServerError):
            router.completion(model="gpt", messages=MESSAGES)
    # the third failure is more than allowed_fails: "a" is out, "b" answers
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "b"
    time.sleep(0.5)
    # cooled long enough: "a" (order 1) is tried again, and has recovered
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "a"


def test_fallbacks_by_error_type(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[
            deployment("small", mock, "s"),
            deployment("large", mock2, "l"),
            deployment("other", mock2, "o"),
        ],
        fallbacks=[{"small": ["other"]}],
        context_window_fallbacks=[{"small": ["large"]}],
    )
    mock.fail(
        400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."
    )
    r = router.completion(model="small", messages=MESSAGES)
    assert r._hidden_params["model_id"] == "l"
    # a caller's error is not the deployment's fault: no cooldown, no retry
    assert router.get_cooldown_deployments() == []
    assert len(mock.requests) == 1
    mock.fail(500, times=3)
    r = router.completion(model="small", messages=MESSAGES)
    assert r._hidden_params["model_id"] == "o"
    assert len(mock.requests) == 4  # the first try and num_retries=2


def test_a_groups_only_deployment_is_cut_off_after_allowed_fails(mock: MockServer, mock2: MockServer) -> None:
    # litellm #40405: with one deployment per group and fallbacks, litellm never cools the
    # primary down, so every request pays for its failure first
    router = Router(
        model_list=[deployment("primary", mock, "p"), deployment("backup", mock2, "b")],
        fallbacks=[{"primary": ["backup"]}],
        allowed_fails=1,
        num_retries=0,
        cooldown_time=60,
    )
    mock.fail(500, times=100)
    for _ in range(6):
        assert router.completion(model="primary", messages=MESSAGES)._hidden_params["model_id"] == "b"
    assert len(mock.requests) == 2
    assert router.get_cooldown_deployments() == ["p"]


def test_no_available_deployment_is_a_rate_limit_error(mock: MockServer) -> None:
    router = Router(model_list=[deployment("gpt", mock, "a")])
    assert router.cooldown_deployment("a", 10)
    with pytest.raises(litellm.RateLimitError) as info:
        router.completion(model="gpt", messages=MESSAGES)
    assert "No deployments available" in str(info.value)
    assert info.value.status_code == 429
    with pytest.raises(litellm.BadRequestError, match="model=missing"):
        router.completion(model="missing", messages=MESSAGES)
    assert mock.requests == []


def test_usage_based_routing_keeps_to_rpm(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a", rpm=3), deployment("gpt", mock2, "b", rpm=2)],
        routing_strategy="usage-based-routing-v2",
        num_retries=0,
    )
    for _ in range(5):
        router.completion(model="gpt", messages=MESSAGES)
    assert (len(mock.requests), len(mock2.requests)) == (3, 2)
    with pytest.raises(litellm.RateLimitError):
        router.completion(model="gpt", messages=MESSAGES)


def test_latency_based_routing_prefers_the_faster(mock: MockServer, mock2: MockServer) -> None:
    mock.delay = 0.15
    router = Router(
        model_list=[deployment("gpt", mock, "slow"), deployment("gpt", mock2, "fast")],
        routing_strategy="latency-based-routing",
    )
    for _ in range(2):  # both get a sample first
        router.completion(model="gpt", messages=MESSAGES)
    picked = [router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] for _ in range(6)]
    assert picked == ["fast"] * 6
    assert stats(router, "slow")["latency_ewma_ms"] > 100


def test_least_busy_spreads_concurrent_calls(mock: MockServer, mock2: MockServer) -> None:
    mock.delay = mock2.delay = 0.2
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b")],
        routing_strategy="least-busy",
    )

    async def run() -> list[str]:
        out = await asyncio.gather(*(router.acompletion(model="gpt", messages=MESSAGES) for _ in range(6)))
        return [r._hidden_params["model_id"] for r in out]

    ids = asyncio.run(run())
    # picks made at the same instant may race on the in-flight counts: roughly even, never all on one
    assert 2 <= ids.count("a") <= 4, ids


def test_consistent_hashing_is_sticky_per_user(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b")],
        routing_strategy="consistent-hashing",
    )
    for user in ("u1", "u2", "u3", "u4"):
        first = router.completion(model="gpt", messages=MESSAGES, user=user)._hidden_params["model_id"]
        for _ in range(3):
            assert router.completion(model="gpt", messages=MESSAGES, user=user)._hidden_params["model_id"] == first


def test_streams_are_routed_and_retried_before_the_first_chunk(mock: MockServer, mock2: MockServer) -> None:
    router = Router(model_list=[deployment("gpt", mock, "a", order=1), deployment("gpt", mock2, "b", order=2)])
    mock.fail(502)
    stream = router.completion(model="gpt", messages=MESSAGES, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert text == mock2.chat_text
    assert stream._hidden_params["model_id"] == "b"

    async def run() -> str:
        s = await router.acompletion(model="gpt", messages=MESSAGES, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in s])

    assert asyncio.run(run()) == mock.chat_text


def test_embeddings_and_text_completions_are_routed(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[
            {"model_name": "emb", "litellm_params": {"model": "openai/text-embedding-3-small", "api_base": mock.url,
                                                     "api_key": "k"}, "model_info": {"id": "e"}},
            {"model_name": "instruct", "litellm_params": {"model": "text-completion-openai/gpt-3.5-turbo-instruct",
                                                          "api_base": mock2.url, "api_key": "k"},
             "model_info": {"id": "t"}},
        ]
    )  # fmt: skip
    e = router.embedding(model="emb", input=["a", "b"])
    assert len(e.data) == 2 and e._hidden_params["model_id"] == "e"
    t = router.text_completion(model="instruct", prompt="say hi")
    assert t.choices[0].text == mock2.completion_text and t._hidden_params["model_id"] == "t"

    async def run() -> tuple[Any, Any]:
        return await router.aembedding(model="emb", input="x"), await router.atext_completion(
            model="instruct", prompt="p"
        )

    e, t = asyncio.run(run())
    assert (e._hidden_params["model_id"], t._hidden_params["model_id"]) == ("e", "t")


def test_mock_responses_exercise_the_routing() -> None:
    router = Router(
        model_list=[
            {"model_name": "a", "litellm_params": {"model": "openai/x", "mock_response": "litellm.RateLimitError"}},
            {"model_name": "b", "litellm_params": {"model": "openai/x", "mock_response": "from b"}},
            {"model_name": "c", "litellm_params": {"model": "openai/x", "mock_response": "from c"}},
        ],
        fallbacks=[{"a": ["b"]}],
    )
    r = router.completion(model="a", messages=MESSAGES)
    assert r.choices[0].message.content == "from b"
    # per call: fail the primary on purpose, and fall back to the groups given
    r = router.completion(model="b", messages=MESSAGES, mock_testing_fallbacks=True, fallbacks=["a", "c"])
    assert r.choices[0].message.content == "from c"
    with pytest.raises(litellm.InternalServerError, match="mock exception for model=b"):
        router.completion(model="b", messages=MESSAGES, mock_testing_fallbacks=True, fallbacks=[])


def test_callbacks_see_the_deployment(mock: MockServer) -> None:
    from litellm_rs.integrations.custom_logger import CustomLogger

    seen: list[dict[str, Any]] = []

    class Logger(CustomLogger):
        def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            seen.append(kwargs["standard_logging_object"])

    litellm.callbacks = [Logger()]
    router = Router(model_list=[deployment("gpt", mock, "a")])
    router.completion(model="gpt", messages=MESSAGES)
    litellm.flush_callbacks()
    assert seen and seen[0]["model_id"] == "a" and seen[0]["model_group"] == "gpt"
    assert seen[0]["model"] == "gpt-4o-mini"  # the deployment's model, as litellm logs it
    assert seen[0]["hidden_params"]["model_id"] == "a"
    assert "sk-a" not in str(seen[0])


def test_cache_responses_serve_the_group(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b")],
        cache_responses=True,
        routing_strategy="round-robin",
    )
    first = router.completion(model="gpt", messages=MESSAGES)
    second = router.completion(model="gpt", messages=MESSAGES)
    assert second._hidden_params["cache_hit"] is True
    assert second.choices[0].message.content == first.choices[0].message.content
    assert len(mock.requests) + len(mock2.requests) == 1


def test_managing_the_model_list(mock: MockServer) -> None:
    router = Router(model_list=[deployment("gpt", mock, "a")])
    assert router.add_deployment(deployment("gpt", mock, "b")) is not None
    assert router.add_deployment(deployment("gpt", mock, "b")) is None
    assert router.get_model_ids() == ["a", "b"]
    router.upsert_deployment(deployment("gpt", mock, "b", rpm=7))
    assert router.get_deployment("b")["litellm_params"]["rpm"] == 7
    assert router.delete_deployment("a")["model_info"]["id"] == "a"
    assert [d["model_info"]["id"] for d in router.model_list] == ["b"]
    router.set_model_list([deployment("other", mock, "c")])
    assert router.get_model_names() == ["other"]
    info = router.get_model_group_info("other")
    assert info["providers"] == ["openai"] and info["max_input_tokens"] == 128000
    router.update_settings(routing_strategy="round-robin", num_retries=0)
    assert router.get_settings()["routing_strategy"] == "round-robin"
    with pytest.raises(ValueError, match="routing_strategy"):
        router.update_settings(routing_strategy="fastest")
    with pytest.raises(litellm.BadRequestError, match="litellm_params"):
        router.add_deployment({"model_name": "x"})
    assert router.get_available_deployment("other")["model_info"]["id"] == "c"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_deployment_ids_match_litellms() -> None:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at litellm import
    real = pytest.importorskip("litellm", reason="the real litellm is not installed")
    model_list = [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "sk-1", "rpm": 10,
                                                 "temperature": 0.5, "timeout": 30.0, "extra_headers": {"a": "b"}}},
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "tags": ["x", "it's"], "weight": 2}},
    ]  # fmt: skip
    theirs = [d["model_info"]["id"] for d in real.Router(model_list=model_list).get_model_list()]
    assert Router(model_list=model_list).get_model_ids() == theirs


SHARED_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import litellm_rs
    model_list = json.loads(sys.argv[1])
    router = litellm_rs.Router(model_list=model_list, redis_url=sys.argv[2], routing_strategy="round-robin")
    deadline = time.time() + 10
    # wait until the other process's cooldown of "a" is seen here, then route
    while "a" not in router.get_cooldown_deployments() and time.time() < deadline:
        time.sleep(0.05)
    picks = [router.completion(model="gpt", messages=[{"role": "user", "content": "x"}])._hidden_params["model_id"]
             for _ in range(4)]
    time.sleep(0.4)
    print(json.dumps({"picks": picks, "stats": router.get_deployment_stats()}))
    """
)


def test_two_processes_share_cooldowns_and_usage_through_redis(
    redis_url: str, mock: MockServer, mock2: MockServer
) -> None:
    import json

    model_list = [deployment("gpt", mock, "a", order=1), deployment("gpt", mock2, "b", order=2)]
    router = Router(model_list=model_list, redis_url=redis_url, cooldown_time=30)
    mock.fail(429)
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "b"
    out = subprocess.run(
        [sys.executable, "-c", SHARED_SCRIPT, json.dumps(model_list), redis_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # the other process never sent to "a": it was cooling down everywhere
    assert result["picks"] == ["b"] * 4
    assert len(mock.requests) == 1
    # and its view of this minute's usage counts this process's calls too
    b = next(s for s in result["stats"] if s["model_id"] == "b")
    assert b["current_minute_requests"] >= 5


def test_redis_down_routes_on_the_local_view(mock: MockServer) -> None:
    from mockserver import free_port

    router = Router(model_list=[deployment("gpt", mock, "a")], redis_url=f"redis://127.0.0.1:{free_port()}/0")
    started = time.perf_counter()
    for _ in range(3):
        assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "a"
    assert time.perf_counter() - started < 2


def test_health_checks_report_and_steer_routing(mock: MockServer, mock2: MockServer) -> None:
    embedder = {
        "model_name": "emb",
        "litellm_params": {"model": "openai/text-embedding-3-small", "api_base": mock.url, "api_key": "sk-e"},
        "model_info": {"id": "e"},
    }
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b"), embedder],
        enable_health_check_routing=True,
    )
    mock2.fail(401)
    result = router.health_check()
    assert (result["healthy_count"], result["unhealthy_count"]) == (2, 1)
    bad = result["unhealthy_endpoints"][0]
    assert bad["model_id"] == "b" and bad["status_code"] == 401 and "AuthenticationError" in bad["error"]
    assert "api_key" not in bad and "sk-b" not in str(result)
    # one-token chat for chat models, an embedding for embedding models
    assert {r.path for r in mock.requests} == {"/v1/chat/completions", "/v1/embeddings"}
    chat_check = next(r for r in mock.requests if r.path.endswith("/chat/completions"))
    assert chat_check.body["max_tokens"] == 1
    # the failed deployment is left out until a check passes
    for _ in range(5):
        assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "a"
    result = asyncio.run(router.ahealth_check("gpt"))
    assert (result["healthy_count"], result["unhealthy_count"]) == (2, 0)
    picked = {router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] for _ in range(30)}
    assert picked == {"a", "b"}


def test_background_health_checks_take_a_deployment_out(mock: MockServer, mock2: MockServer) -> None:
    mock2.fail(500, times=1000)
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b")],
        enable_health_check_routing=True,
        health_check_interval=0.1,
    )
    deadline = time.time() + 10
    while stats(router, "b")["healthy"] and time.time() < deadline:
        time.sleep(0.05)
    assert not stats(router, "b")["healthy"] and stats(router, "a")["healthy"]
    for _ in range(5):
        assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "a"


def test_batch_helpers(mock: MockServer, mock2: MockServer) -> None:
    mock2.delay = 0.3
    router = Router(
        model_list=[deployment("quick", mock, "q"), deployment("slow", mock2, "s"), deployment("broken", mock, "x")],
        num_retries=0,
    )

    async def run() -> tuple[Any, Any, Any]:
        mock.fail(500)  # the first request to reach mock fails
        many = await router.abatch_completion(models=["broken", "slow"], messages=MESSAGES)
        per_request = await router.abatch_completion_one_model_multiple_requests(
            model="quick", messages=[MESSAGES, [{"role": "user", "content": "again"}]]
        )
        fastest = await router.abatch_completion_fastest_response(model="slow, quick", messages=MESSAGES)
        return many, per_request, fastest

    many, per_request, fastest = asyncio.run(run())
    assert isinstance(many[0], litellm.InternalServerError)
    assert many[1]._hidden_params["model_id"] == "s"
    assert [r._hidden_params["model_id"] for r in per_request] == ["q", "q"]
    assert fastest._hidden_params["model_id"] == "q"


def test_identical_calls_in_flight_on_different_deployments_stay_apart(mock: MockServer, mock2: MockServer) -> None:
    # with a cache on, identical requests in flight share one upstream call, but only on the
    # same deployment: a call routed to "b" must not take "a"'s answer (or its error)
    mock.delay = mock2.delay = 0.2
    mock.fail(401)
    router = Router(
        model_list=[deployment("gpt", mock, "a"), deployment("gpt", mock2, "b")],
        routing_strategy="round-robin",
        cache_responses=True,
        num_retries=0,
    )

    async def run() -> list[Any]:
        calls = [router.acompletion(model="gpt", messages=MESSAGES) for _ in range(2)]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    try:
        results = asyncio.run(run())
    finally:
        litellm.cache = None
    # the two calls start on engine threads at once: either may be the one routed to "a"
    failed = [r for r in results if isinstance(r, Exception)]
    answered = [r for r in results if not isinstance(r, Exception)]
    assert len(failed) == 1 and isinstance(failed[0], litellm.AuthenticationError)
    assert len(answered) == 1 and answered[0]._hidden_params["model_id"] == "b"
    assert (len(mock.requests), len(mock2.requests)) == (1, 1)
    assert stats(router, "b")["failures"] == 0


def test_wildcard_groups_cache_per_requested_model(mock: MockServer) -> None:
    router = Router(
        model_list=[{"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": mock.url,
                                                                  "api_key": "k"}}],
        cache_responses=True,
    )  # fmt: skip
    try:
        first = router.completion(model="openai/gpt-4o", messages=MESSAGES)
        other = router.completion(model="openai/gpt-3.5-turbo", messages=MESSAGES)
        again = router.completion(model="openai/gpt-4o", messages=MESSAGES)
    finally:
        litellm.cache = None
    assert other._hidden_params.get("cache_hit") is not True
    assert other._hidden_params["model_group"] == "openai/gpt-3.5-turbo"
    assert again._hidden_params["cache_hit"] is True and first._hidden_params["model_group"] == "openai/gpt-4o"
    assert [r.body["model"] for r in mock.requests] == ["gpt-4o", "gpt-3.5-turbo"]


def test_bad_requests_do_not_fall_back(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("a", mock, "a"), deployment("b", mock2, "b")],
        fallbacks=[{"a": ["b"]}],
        retry_after=-5,  # a nonsensical setting is ignored, never a crash
    )
    mock.fail(400, "Invalid value for 'temperature'")
    with pytest.raises(litellm.BadRequestError, match="temperature"):
        router.completion(model="a", messages=MESSAGES)
    assert mock2.requests == []


def test_settings_and_health_results_keep_secrets(mock: MockServer) -> None:
    router = Router(
        model_list=[
            deployment("gpt", mock, "a", extra_headers={"Authorization": "Bearer SECRET123"}),
            {"model_name": "any/*", "litellm_params": {"model": "openai/*", "api_base": mock.url, "api_key": "k"}},
        ],
        redis_url="redis://:hunter2pw@127.0.0.1:1/0",
    )
    assert "hunter2pw" not in str(router.get_settings())
    health = router.health_check()
    assert "SECRET123" not in str(health) and "sk-a" not in str(health)
    # the wildcard deployment has no one model to check
    assert health["healthy_count"] + health["unhealthy_count"] == 1


def test_litellm_signatures_of_the_helpers(mock: MockServer, mock2: MockServer) -> None:
    router = Router(model_list=[deployment("a", mock, "a"), deployment("b", mock2, "b")])

    async def run() -> tuple[Any, Any]:
        picked = await router.async_get_available_deployment("a", {"user": "u"})
        nested = await router.abatch_completion(models=["a", "b"], messages=[MESSAGES, MESSAGES, MESSAGES])
        return picked, nested

    picked, nested = asyncio.run(run())
    assert picked["model_info"]["id"] == "a"
    assert len(nested) == 3 and all(len(row) == 2 for row in nested)
    assert [r._hidden_params["model_id"] for r in nested[0]] == ["a", "b"]


def test_an_open_stream_counts_in_flight_until_it_ends(mock: MockServer, mock2: MockServer) -> None:
    router = Router(
        model_list=[deployment("gpt", mock, "a", max_parallel_requests=1, order=1), deployment("gpt", mock2, "b")],
    )
    stream = router.completion(model="gpt", messages=MESSAGES, stream=True)
    assert stream._hidden_params["model_id"] == "a"
    assert stats(router, "a")["in_flight"] == 1
    # "a" is at its max_parallel_requests while its stream is open: the next call goes to "b"
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "b"
    assert "".join(c.choices[0].delta.content or "" for c in stream) == mock.chat_text
    assert stats(router, "a")["in_flight"] == 0
    assert router.completion(model="gpt", messages=MESSAGES)._hidden_params["model_id"] == "a"


def test_when_every_fallback_fails_the_first_error_is_raised(mock: MockServer) -> None:
    router = Router(model_list=[deployment("a", mock, "a")], fallbacks=[{"a": ["missing-group"]}], num_retries=0)
    mock.fail(503)
    with pytest.raises(litellm.ServiceUnavailableError) as info:
        router.completion(model="a", messages=MESSAGES)
    assert "fallbacks tried: missing-group (BadRequestError)" in str(info.value)

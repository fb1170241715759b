"""The cache, the Router's shared state, budgets and the redis-semantic cache on a real
three-node Redis Cluster (started by the tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import litellm_rs as litellm
import pytest
from litellm_rs import BudgetManager, Cache, Router, _core
from mockserver import MockServer

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def cluster(redis_cluster: Any) -> Iterator[Any]:
    for url in redis_cluster.node_urls():
        _core.redis_commands(url, [["FLUSHALL"]])
    yield redis_cluster
    litellm.cache = None


def keys_per_node(cluster: Any) -> list[int]:
    return [_core.redis_commands(url, [["DBSIZE"]])[0] for url in cluster.node_urls()]


def test_the_cache_spreads_over_the_nodes_and_clears_all_of_them(cluster: Any, mock: MockServer) -> None:
    litellm.cache = Cache(type="redis", redis_startup_nodes=cluster.startup_nodes, namespace="team")
    for i in range(12):
        litellm.completion(
            model="openai/gpt-4o-mini",
            messages=[{"role": "user", "content": f"question {i}"}],
            api_base=mock.url,
            api_key="k",
        )
    deadline = time.time() + 5
    while sum(keys_per_node(cluster)) < 12 and time.time() < deadline:
        time.sleep(0.05)
    per_node = keys_per_node(cluster)
    assert sum(per_node) == 12 and sum(1 for n in per_node if n) >= 2, per_node
    hit = litellm.completion(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "question 3"}], api_base=mock.url, api_key="k"
    )
    assert hit._hidden_params["cache_hit"] is True
    litellm.cache.clear()
    assert keys_per_node(cluster) == [0, 0, 0]


def test_router_state_is_shared_through_the_cluster(cluster: Any, mock: MockServer) -> None:
    model_list = [
        {"model_name": "g", "litellm_params": {"model": "openai/x", "api_base": mock.url, "api_key": "k", "order": 1},
         "model_info": {"id": "a"}},
        {"model_name": "g", "litellm_params": {"model": "openai/x", "mock_response": "b", "order": 2},
         "model_info": {"id": "b"}},
    ]  # fmt: skip
    one = Router(model_list=model_list, redis_url=cluster.url, cooldown_time=30)
    two = Router(model_list=model_list, redis_url=cluster.url)
    mock.fail(429)
    assert one.completion(model="g", messages=MESSAGES)._hidden_params["model_id"] == "b"
    deadline = time.time() + 5
    while "a" not in two.get_cooldown_deployments() and time.time() < deadline:
        time.sleep(0.05)
    assert two.get_cooldown_deployments() == ["a"]
    assert two.completion(model="g", messages=MESSAGES)._hidden_params["model_id"] == "b"


def test_budgets_on_the_cluster(cluster: Any) -> None:
    budgets = BudgetManager(project_name="proj", redis_url=cluster.url)
    budgets.create_budget(total_budget=10, user="u1")
    budgets.update_cost(user="u1", model="gpt-4o-mini", input_text="hello", output_text="world")
    again = BudgetManager(project_name="proj", redis_url=cluster.url)
    assert again.get_current_cost("u1") == pytest.approx(budgets.get_current_cost("u1"))
    assert again.get_current_cost("u1") > 0


def test_redis_semantic_on_the_cluster(cluster: Any, mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_semantic_cache import ask, bag_of_words, eventually_hit

    mock.embed_text = bag_of_words
    monkeypatch.setenv("OPENAI_API_BASE", mock.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-embed")
    litellm.cache = Cache(type="redis-semantic", redis_startup_nodes=cluster.startup_nodes, similarity_threshold=0.9)
    ask(mock, "What is the capital of France?")
    assert eventually_hit(lambda: ask(mock, "what is the capital of france"))._hidden_params["cache_hit"] is True

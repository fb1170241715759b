"""BudgetManager (litellm's API, persisted atomically to a local file) and SpendTracker (spend per
user, tag and model with soft-budget alerts)."""

from __future__ import annotations

import json
import threading

import litellm_rs
import pytest
from litellm_rs import BudgetManager, SpendTracker
from support import MSGS, chat


def test_budget_manager_tracks_costs_per_user_and_model(tmp_path, mock):
    path = tmp_path / "budgets.json"
    bm = BudgetManager(project_name="proj", path=str(path))
    assert bm.create_budget(total_budget=0.01, user="alice") == {"total_budget": 0.01}
    assert bm.is_valid_user("alice") and not bm.is_valid_user("bob")
    assert bm.get_users() == ["alice"]

    resp = chat(mock)
    out = bm.update_cost(user="alice", completion_obj=resp)
    cost = resp._hidden_params["response_cost"]
    assert cost > 0
    assert out["user"]["current_cost"] == pytest.approx(cost)
    bm.update_cost(user="alice", model="gpt-4o-mini", input_text="hello there", output_text="general kenobi")
    text_cost = litellm_rs.completion_cost(model="gpt-4o-mini", prompt="hello there", completion="general kenobi")
    assert bm.get_current_cost("alice") == pytest.approx(cost + text_cost)
    assert resp.model == "gpt-4o-mini"
    assert bm.get_model_cost("alice") == {"gpt-4o-mini": pytest.approx(cost + text_cost)}
    assert bm.get_total_budget("alice") == 0.01

    projected = bm.projected_cost(model="gpt-4o-mini", messages=MSGS, user="alice")
    assert projected > bm.get_current_cost("alice")

    bm.save_data()
    again = BudgetManager(project_name="proj", path=str(path))
    assert again.get_current_cost("alice") == pytest.approx(cost + text_cost)
    assert json.loads(path.read_text())["alice"]["total_budget"] == 0.01

    bm.reset_cost("alice")
    assert bm.get_current_cost("alice") == 0 and bm.get_model_cost("alice") == {}


def test_budget_manager_resets_spend_when_the_period_ends(tmp_path):
    bm = BudgetManager(project_name="proj", path=str(tmp_path / "b.json"))
    entry = bm.create_budget(total_budget=5.0, user="bob", duration="daily", created_at=1000.0)
    assert entry["duration"] == 1 and entry["last_updated_at"] == 1000.0
    bm.user_dict["bob"]["current_cost"] = 3.0
    bm.update_budget_all_users()  # created long ago: the day is over
    assert bm.get_current_cost("bob") == 0
    bm.user_dict["bob"]["current_cost"] = 2.0
    bm.reset_on_duration("bob")  # just reset: the new day has not ended
    assert bm.get_current_cost("bob") == 2.0
    with pytest.raises(ValueError, match="duration"):
        bm.create_budget(total_budget=1.0, user="carol", duration="hourly")


def test_budget_manager_saves_are_atomic_under_concurrent_updates(tmp_path):
    path = tmp_path / "b.json"
    bm = BudgetManager(project_name="proj", path=str(path))
    for i in range(20):
        bm.create_budget(total_budget=float(i), user=f"u{i}")

    def save():
        for _ in range(20):
            bm.save_data()
            json.loads(path.read_text())  # never a torn file

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(json.loads(path.read_text())) == 20
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_budget_manager_rejects_unsupported_storage_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="client_type"):
        BudgetManager(project_name="p", client_type="hosted")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        BudgetManager(project_name="p", path=str(bad))
    with pytest.raises(ValueError, match="completion response"):
        BudgetManager(project_name="p", path=str(tmp_path / "x.json")).update_cost(user="u")


def test_spend_tracker_sums_per_user_tag_and_model_and_alerts_once(mock):
    alerts = []
    tracker = SpendTracker(
        soft_budgets={"user:alice": 1e-9, "tag:search": 1e-9, "total": 1e9},
        on_alert=lambda key, spend, budget: alerts.append((key, spend, budget)),
    )
    litellm_rs.callbacks = [tracker]
    r1 = chat(mock, user="alice", tags=["search"])
    r2 = chat(mock, user="alice", metadata={"project": "ads"})
    r3 = chat(mock, user="bob", tags=["search"])
    litellm_rs.flush_callbacks()
    costs = [r._hidden_params["response_cost"] for r in (r1, r2, r3)]
    s = tracker.summary()
    assert s["calls"] == 3
    assert s["total"] == pytest.approx(sum(costs))
    assert s["by_user"]["alice"] == {"spend": pytest.approx(costs[0] + costs[1]), "calls": 2}
    assert s["by_user"]["bob"]["calls"] == 1
    assert s["by_tag"]["search"]["spend"] == pytest.approx(costs[0] + costs[2])
    assert s["by_tag"]["ads"]["calls"] == 1
    assert s["by_model"]["gpt-4o-mini"]["calls"] == 3
    assert tracker.spend("user:alice") == pytest.approx(costs[0] + costs[1])
    assert sorted(k for k, _, _ in alerts) == ["tag:search", "user:alice"], "each alert fires once"


async def test_spend_tracker_counts_async_calls_once(mock):
    from support import achat

    tracker = SpendTracker()
    litellm_rs.callbacks = [tracker]
    await achat(mock, user="carol")
    import asyncio

    for _ in range(100):
        if tracker.summary()["calls"]:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert tracker.summary()["calls"] == 1


def test_budget_manager_in_redis_is_shared_between_instances(redis_url, mock):
    a = BudgetManager(project_name="shared", redis_url=redis_url)
    b = BudgetManager(project_name="shared", redis_url=redis_url)
    a.create_budget(total_budget=2.0, user="alice", duration="weekly")
    assert b.is_valid_user("alice") and b.get_users() == ["alice"]
    resp = chat(mock)
    a.update_cost(user="alice", completion_obj=resp)
    b.update_cost(user="alice", model="gpt-4o-mini", input_text="hello there", output_text="general kenobi")
    text_cost = litellm_rs.completion_cost(model="gpt-4o-mini", prompt="hello there", completion="general kenobi")
    total = resp._hidden_params["response_cost"] + text_cost
    assert a.get_current_cost("alice") == pytest.approx(total)
    assert b.get_model_cost("alice") == {"gpt-4o-mini": pytest.approx(total)}
    c = BudgetManager(project_name="shared", redis_url=redis_url)
    assert c.get_total_budget("alice") == 2.0 and c.user_dict["alice"]["duration"] == 7
    assert c.get_current_cost("alice") == pytest.approx(total)
    c.reset_cost("alice")
    assert a.get_current_cost("alice") == 0 and a.get_model_cost("alice") == {}
    other = BudgetManager(project_name="another", redis_url=redis_url)
    assert other.get_users() == []


def test_budget_manager_in_redis_adds_costs_atomically_across_processes(redis_url):
    import subprocess
    import sys
    import textwrap

    BudgetManager(project_name="race", redis_url=redis_url).create_budget(total_budget=100.0, user="u")
    script = textwrap.dedent(
        f"""
        from litellm_rs import BudgetManager
        bm = BudgetManager(project_name="race", redis_url={redis_url!r})
        for _ in range(25):
            bm.update_cost(user="u", model="gpt-4o-mini", input_text="a b c", output_text="d e f")
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    one = litellm_rs.completion_cost(model="gpt-4o-mini", prompt="a b c", completion="d e f")
    bm = BudgetManager(project_name="race", redis_url=redis_url)
    assert bm.get_current_cost("u") == pytest.approx(100 * one)


def test_an_unreachable_redis_is_a_clear_error_without_the_password():
    with pytest.raises(litellm_rs.APIConnectionError) as caught:
        BudgetManager(project_name="p", redis_url="redis://:pw-secret-1234@127.0.0.1:9/0")
    text = str(caught.value)
    assert "Redis at redis://:***@127.0.0.1:9/0" in text
    assert "pw-secret-1234" not in text

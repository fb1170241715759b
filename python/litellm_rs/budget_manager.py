"""Budgets and spend: litellm's ``BudgetManager``, and ``SpendTracker`` (spend per user, tag and
model with alerts when a soft budget is crossed).

``BudgetManager`` keeps per-user budgets and costs the way litellm's does (same methods, same
stored shape). It persists them to a local JSON file (saves are atomic: a temporary file renamed
over the old one, serialised between threads), or, given a Redis URL, to Redis, where several
processes share them and costs are added atomically (``HINCRBYFLOAT``).
"""
# ruff: noqa: UP045 (annotations stay evaluable on Python 3.9: typing.get_type_hints)

from __future__ import annotations

import json
import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

from .integrations.custom_logger import CustomLogger

__all__ = ["BudgetManager", "SpendTracker"]

_DURATION_DAYS = {"daily": 1, "weekly": 7, "monthly": 28, "yearly": 365}


class BudgetManager:
    """Per-user budgets for one project.

    ``client_type="local"`` (the default) keeps the data in ``path`` (litellm's file name,
    ``user_cost.json`` in the working directory, unless given).
    """

    def __init__(
        self,
        project_name: str,
        client_type: str = "local",
        api_base: Optional[str] = None,
        headers: Optional[dict] = None,
        path: Optional[str] = None,
        redis_url: Optional[str] = None,
    ) -> None:
        if client_type == "redis" and redis_url is None:
            redis_url = _redis_url_from_env()
            if redis_url is None:
                raise ValueError("BudgetManager client_type='redis' needs redis_url= (or REDIS_URL / REDIS_HOST)")
        if redis_url is not None:
            client_type = "redis"
        elif client_type != "local":
            raise ValueError(
                f"BudgetManager client_type={client_type!r} is not supported by litellm_rs: use "
                "client_type='local' (a JSON file, path=...) or redis_url=..."
            )
        self.project_name = project_name
        self.client_type = client_type
        self.api_base = api_base
        self.headers = headers or {"Content-Type": "application/json"}
        self.path = path or "user_cost.json"
        self.user_dict: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._redis = _RedisBudgets(redis_url, project_name) if redis_url is not None else None
        self.load_data()

    # -- persistence ------------------------------------------------------------------------
    def print_verbose(self, print_statement: Any) -> None:
        from ._logging import print_verbose

        print_verbose(print_statement)

    def load_data(self) -> None:
        """Reads the stored budgets (an absent file means none)."""
        if self._redis is not None:
            data = self._redis.load()
            with self._lock:
                self.user_dict = data
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            data = {}
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} does not hold a JSON object of user budgets")  # noqa: TRY004 - bad file content, not a bad argument
        with self._lock:
            self.user_dict = data

    def save_data(self) -> dict:
        """Writes the budgets now (atomically); ``{"status": "success"}``."""
        if self._redis is not None:
            with self._lock:
                entries = {u: dict(e) for u, e in self.user_dict.items()}
            self._redis.save_budgets(entries)
            return {"status": "success"}
        with self._lock:
            text = json.dumps(self.user_dict, indent=4)
        with self._save_lock:
            directory = os.path.dirname(os.path.abspath(self.path))
            tmp = os.path.join(directory, f".{os.path.basename(self.path)}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        return {"status": "success"}

    def _save_data_thread(self) -> None:
        if self._redis is not None:
            return  # Redis is written by each change itself
        threading.Thread(target=self.save_data, name="litellm-rs-budget-save", daemon=False).start()

    # -- budgets ----------------------------------------------------------------------------
    def create_budget(
        self, total_budget: float, user: str, duration: Optional[str] = None, created_at: Optional[float] = None
    ) -> dict:
        """Sets ``user``'s budget (USD); with ``duration`` ("daily", "weekly", "monthly",
        "yearly") the spend resets each period (see ``reset_on_duration``)."""
        if duration is not None and duration not in _DURATION_DAYS:
            raise ValueError(f"duration must be one of {sorted(_DURATION_DAYS)}, not {duration!r}")
        with self._lock:
            entry: dict[str, Any] = {"total_budget": total_budget}
            if duration is not None:
                now = time.time() if created_at is None else created_at
                entry.update(duration=_DURATION_DAYS[duration], created_at=now, last_updated_at=now)
            self.user_dict[user] = entry
        if self._redis is not None:
            self._redis.create(user, entry)
        self._save_data_thread()
        return entry

    def projected_cost(self, model: str, messages: list, user: str) -> float:
        """The user's spend so far plus the prompt cost of ``messages`` on ``model``."""
        from .cost import cost_per_token
        from .tokens import token_counter

        text = "".join(str(m.get("content") or "") for m in messages)
        prompt_tokens = token_counter(model=model, text=text)
        prompt_cost, _ = cost_per_token(model=model, prompt_tokens=prompt_tokens, completion_tokens=0)
        return prompt_cost + self.get_current_cost(user)

    def get_total_budget(self, user: str) -> float:
        return self.user_dict[user]["total_budget"]

    def update_cost(
        self,
        user: str,
        completion_obj: Any = None,
        model: Optional[str] = None,
        input_text: Optional[str] = None,
        output_text: Optional[str] = None,
    ) -> dict:
        """Adds the cost of a response (or of ``input_text``/``output_text`` on ``model``) to the
        user's spend, in total and per model."""
        from .cost import completion_cost

        if model and input_text and output_text:
            cost = completion_cost(model=model, prompt=input_text, completion=output_text)
        elif completion_obj is not None:
            cost = completion_cost(completion_response=completion_obj)
            model = completion_obj["model"]
        else:
            raise ValueError(
                "update_cost needs a completion response (completion_obj=) or model=, input_text= and output_text="
            )
        if self._redis is not None:
            self._entry(user)
            current, per_model = self._redis.add_cost(user, str(model), cost)
            with self._lock:
                entry = self.user_dict[user]
                entry["current_cost"] = current
                entry["model_cost"] = per_model
                return {"user": entry}
        with self._lock:
            entry = self.user_dict[user]
            entry["current_cost"] = cost + entry.get("current_cost", 0)
            per_model = entry.setdefault("model_cost", {})
            per_model[model] = cost + per_model.get(model, 0)
            out = {"user": entry}
        self._save_data_thread()
        return out

    def _entry(self, user: str) -> dict:
        """The user's entry (with Redis, read again: another process may have changed it)."""
        if self._redis is not None:
            fresh = self._redis.load_user(user)
            with self._lock:
                if fresh is None:
                    self.user_dict.pop(user, None)
                else:
                    self.user_dict[user] = fresh
        return self.user_dict[user]

    def get_current_cost(self, user: str) -> float:
        return self._entry(user).get("current_cost", 0)

    def get_model_cost(self, user: str) -> Any:
        return self._entry(user).get("model_cost", 0)

    def is_valid_user(self, user: str) -> bool:
        if self._redis is not None:
            return self._redis.has_user(user)
        return user in self.user_dict

    def get_users(self) -> list:
        if self._redis is not None:
            return self._redis.users()
        return list(self.user_dict.keys())

    def reset_cost(self, user: str) -> dict:
        with self._lock:
            entry = self.user_dict[user]
            entry["current_cost"] = 0
            entry["model_cost"] = {}
        if self._redis is not None:
            self._redis.reset_cost(user)
        self._save_data_thread()
        return {"user": entry}

    def reset_on_duration(self, user: str) -> None:
        """Resets the user's spend when its budget period has passed."""
        entry = self._entry(user)
        with self._lock:
            if "duration" not in entry:
                return
            now = time.time()
            if now - entry["last_updated_at"] < entry["duration"] * 24 * 60 * 60:
                return
            self.reset_cost(user)
            entry["last_updated_at"] = now
        if self._redis is not None:
            self._redis.set_budget(user, entry)
        self._save_data_thread()

    def update_budget_all_users(self) -> None:
        for user in self.get_users():
            if "duration" in self.user_dict[user]:
                self.reset_on_duration(user)


_COST_FIELDS = ("current_cost", "model_cost")


def _redis_url_from_env() -> Optional[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    host = os.environ.get("REDIS_HOST")
    if not host:
        return None
    password = os.environ.get("REDIS_PASSWORD")
    auth = f":{password}@" if password else ""
    return f"redis://{auth}{host}:{os.environ.get('REDIS_PORT', '6379')}"


class _RedisBudgets:
    """Budgets in Redis under ``litellm_rs:budget:{<project>}``: a hash of the users' budget
    settings, a hash of their spend, and one hash of spend per model for each user. Spend is
    added with HINCRBYFLOAT, so concurrent processes never lose an update."""

    def __init__(self, url: str, project: str) -> None:
        self.url = url
        # the project is a hash tag: its keys share a Redis Cluster slot (transactions)
        self.prefix = f"litellm_rs:budget:{{{project}}}"
        self.users_key = f"{self.prefix}:users"
        self.cost_key = f"{self.prefix}:cost"

    def _models_key(self, user: str) -> str:
        return f"{self.prefix}:model_cost:{user}"

    def _run(self, *commands: list, transaction: bool = False) -> list:
        from . import _core

        return _core.redis_commands(self.url, [[str(a) for a in c] for c in commands], transaction)

    @staticmethod
    def _pairs(flat: Any) -> dict:
        flat = flat or []
        return {flat[i]: flat[i + 1] for i in range(0, len(flat) - 1, 2)}

    def load(self) -> dict:
        users, costs = self._run(["HGETALL", self.users_key], ["HGETALL", self.cost_key])
        users, costs = self._pairs(users), self._pairs(costs)
        out = {}
        for user, raw in users.items():
            entry = json.loads(raw)
            entry["current_cost"] = float(costs.get(user, 0) or 0)
            models = self._pairs(self._run(["HGETALL", self._models_key(user)])[0])
            entry["model_cost"] = {m: float(c) for m, c in models.items()}
            out[user] = entry
        return out

    def load_user(self, user: str) -> Optional[dict]:
        raw, cost, models = self._run(
            ["HGET", self.users_key, user], ["HGET", self.cost_key, user], ["HGETALL", self._models_key(user)]
        )
        if raw is None:
            return None
        entry = json.loads(raw)
        entry["current_cost"] = float(cost or 0)
        entry["model_cost"] = {m: float(c) for m, c in self._pairs(models).items()}
        return entry

    def set_budget(self, user: str, entry: dict) -> None:
        settings = {k: v for k, v in entry.items() if k not in _COST_FIELDS}
        self._run(["HSET", self.users_key, user, json.dumps(settings)])

    def save_budgets(self, entries: dict) -> None:
        commands = [
            ["HSET", self.users_key, u, json.dumps({k: v for k, v in e.items() if k not in _COST_FIELDS})]
            for u, e in entries.items()
        ]
        if commands:
            self._run(*commands, transaction=True)

    def create(self, user: str, entry: dict) -> None:
        """A new budget for ``user``: its settings, and no spend yet."""
        self._run(
            ["HSET", self.users_key, user, json.dumps(entry)],
            ["HDEL", self.cost_key, user],
            ["DEL", self._models_key(user)],
            transaction=True,
        )

    def add_cost(self, user: str, model: str, cost: float) -> tuple[float, dict]:
        current, _, models = self._run(
            ["HINCRBYFLOAT", self.cost_key, user, repr(float(cost))],
            ["HINCRBYFLOAT", self._models_key(user), model, repr(float(cost))],
            ["HGETALL", self._models_key(user)],
            transaction=True,
        )
        return float(current), {m: float(c) for m, c in self._pairs(models).items()}

    def reset_cost(self, user: str) -> None:
        self._run(["HSET", self.cost_key, user, "0"], ["DEL", self._models_key(user)], transaction=True)

    def has_user(self, user: str) -> bool:
        return bool(self._run(["HEXISTS", self.users_key, user])[0])

    def users(self) -> list:
        return list(self._run(["HKEYS", self.users_key])[0] or [])


class SpendTracker(CustomLogger):
    """Spend summaries per user, tag (``tags=[...]``, ``metadata["tags"]``, ``metadata["project"]``)
    and model, with alerts when a soft budget is crossed. Put it in ``litellm_rs.callbacks``.

    ``soft_budgets`` maps ``"total"``, ``"user:<id>"``, ``"tag:<name>"`` or ``"model:<name>"`` to
    USD; ``on_alert(key, spend, budget)`` is called once per key when its spend first goes over
    (by default a warning on the ``LiteLLM`` logger). It runs with the other callbacks, off the
    calls' path.
    """

    def __init__(
        self,
        soft_budgets: Optional[dict] = None,
        on_alert: Optional[Callable[[str, float, float], Any]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.soft_budgets = dict(soft_budgets or {})
        self.on_alert = on_alert
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0.0
            self._calls = 0
            self._by: dict[str, dict[str, list]] = {"user": {}, "tag": {}, "model": {}}
            self._alerted: set = set()

    def summary(self) -> dict:
        """``{"total": usd, "calls": n, "by_user": {id: {"spend", "calls"}}, "by_tag": ...,
        "by_model": ...}``."""
        with self._lock:
            out: dict[str, Any] = {"total": self._total, "calls": self._calls}
            for kind, groups in self._by.items():
                out[f"by_{kind}"] = {k: {"spend": v[0], "calls": v[1]} for k, v in groups.items()}
            return out

    def spend(self, key: str = "total") -> float:
        """The spend of ``"total"``, ``"user:<id>"``, ``"tag:<name>"`` or ``"model:<name>"``."""
        if key == "total":
            return self._total
        kind, _, name = key.partition(":")
        entry = self._by.get(kind, {}).get(name)
        return entry[0] if entry else 0.0

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._record(kwargs)

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._record(kwargs)

    def _record(self, kwargs: Any) -> None:
        slo = kwargs.get("standard_logging_object") or {}
        cost = float(slo.get("response_cost") or 0.0)
        metadata = slo.get("metadata") or {}
        user = slo.get("end_user") or metadata.get("user_api_key_user_id")
        tags = [str(t) for t in (slo.get("request_tags") or [])]
        project = metadata.get("project")
        if project is not None and str(project) not in tags:
            tags.append(str(project))
        keys = [("model", slo.get("model") or "")]
        if user:
            keys.append(("user", str(user)))
        keys.extend(("tag", t) for t in tags)
        crossed = []
        with self._lock:
            self._total += cost
            self._calls += 1
            for kind, name in keys:
                entry = self._by[kind].setdefault(name, [0.0, 0])
                entry[0] += cost
                entry[1] += 1
            for key, budget in self.soft_budgets.items():
                if key in self._alerted:
                    continue
                spent = self._total if key == "total" else self._spend_unlocked(key)
                if spent > budget:
                    self._alerted.add(key)
                    crossed.append((key, spent, budget))
        for key, spent, budget in crossed:
            self._alert(key, spent, budget)

    def _spend_unlocked(self, key: str) -> float:
        kind, _, name = key.partition(":")
        entry = self._by.get(kind, {}).get(name)
        return entry[0] if entry else 0.0

    def _alert(self, key: str, spent: float, budget: float) -> None:
        if self.on_alert is not None:
            self.on_alert(key, spent, budget)
            return
        from ._logging import verbose_logger

        verbose_logger.warning("soft budget crossed: %s spent $%.6f of $%.6f", key, spent, budget)

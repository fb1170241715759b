"""Frameworks that import litellm internally, running on litellm_rs through the alias.

Each framework runs in a fresh interpreter (they bind litellm at import time): a program in
tests/frameworks/ drives a plain call, a stream and a tool call through the framework's own
litellm-backed model class against the mock server started here, and prints what the framework
reported. The test asserts the answer, the token counts the framework reports and the requests the
mock server saw. Frameworks that are not installed are skipped, except in CI
(LITELLM_RS_REQUIRE_FRAMEWORKS=1, set by scripts/test.sh, which installs them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from agentmock import ANSWER, agent_text, agent_tool_calls
from mockserver import DEFAULT_USAGE, MockServer

FRAMEWORKS = Path(__file__).resolve().parent.parent / "frameworks"
# read at import: the test fixtures clear LITELLM_* variables from the environment of each test
_REQUIRE = os.environ.get("LITELLM_RS_REQUIRE_FRAMEWORKS") == "1"
_CREWAI_PYTHON = os.environ.get("LITELLM_RS_CREWAI_PYTHON")
WEATHER = "Sunny, 22 degrees in Paris"
PROMPT_TOKENS = DEFAULT_USAGE["prompt_tokens"]
COMPLETION_TOKENS = DEFAULT_USAGE["completion_tokens"]
TOTAL_TOKENS = DEFAULT_USAGE["total_tokens"]


@pytest.fixture
def agent_mock(mock: MockServer) -> MockServer:
    mock.tool_calls = agent_tool_calls
    mock.chat_text = agent_text
    return mock


def _installed(*modules: str) -> None:
    def absent(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is None
        except ModuleNotFoundError:  # its parent package is missing
            return True

    missing = [m for m in modules if absent(m)]
    if missing:
        if _REQUIRE:
            pytest.fail(
                f"not installed: {', '.join(missing)} (scripts/test.sh installs tests/frameworks/requirements.txt)"
            )
        pytest.skip(f"not installed: {', '.join(missing)}")


def run_program(
    name: str, mock: MockServer, alias: str = "env", python: str | None = None, timeout: float = 240
) -> dict[str, Any]:
    """Runs tests/frameworks/<name>.py in a fresh interpreter and returns what it reported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_", "ANTHROPIC_"))}
    env.update(
        MOCK_BASE=mock.url,
        FW_ALIAS=alias,
        NO_PROXY="127.0.0.1,localhost",
        OPENAI_API_KEY="sk-mock-env-key",
        # no telemetry, no network at import time
        DSPY_CACHEDIR=str(Path(os.environ.get("TMPDIR", "/tmp")) / f"dspy-cache-{uuid.uuid4().hex}"),
        ANONYMIZED_TELEMETRY="False",
        CREWAI_DISABLE_TELEMETRY="true",
        OTEL_SDK_DISABLED="true",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        HF_HUB_OFFLINE="1",
    )
    program = str(FRAMEWORKS / f"{name}.py")
    if alias == "env":
        env["LITELLM_RS_AS_LITELLM"] = "1"
        argv = [python or sys.executable, program]
    elif alias == "runner":
        argv = [python or sys.executable, "-m", "litellm_rs.alias", program]
    else:
        argv = [python or sys.executable, program]
    proc = subprocess.run(
        argv, check=False, env=env, capture_output=True, text=True, timeout=timeout, cwd=str(FRAMEWORKS)
    )
    lines = [line[line.index("RESULT ") :] for line in proc.stdout.splitlines() if "RESULT {" in line]
    if proc.returncode != 0 or not lines:
        raise AssertionError(f"{name} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    if alias == "none":
        assert result["litellm_module"] == "litellm", result["litellm_file"]
    else:
        assert result["litellm_module"] == "litellm_rs", result["litellm_file"]
        assert "site-packages/litellm/" not in result["litellm_file"]
    return result


def chat_bodies(mock: MockServer, start: int = 0) -> list[dict[str, Any]]:
    return [r.body for r in mock.requests[start:] if r.path.endswith("/chat/completions")]


def _has_reference(python: str | None) -> bool:
    """Whether the real litellm is installed beside the framework (the reference run)."""
    if python is None:
        return importlib.util.find_spec("litellm") is not None
    probe = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('litellm') else 1)"
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_RS_AS_LITELLM"}
    return subprocess.run([python, "-c", probe], check=False, env=env, timeout=60).returncode == 0


_HOW = ("litellm_module", "litellm_file", "modules")


def run_differential(
    name: str, mock: MockServer, alias: str = "env", python: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Runs the program on litellm_rs, then (where the real litellm is installed) on litellm, and
    asserts that the framework reported the same results and sent the same requests both times.
    Returns litellm_rs's results and the chat requests it sent."""
    start = len(mock.requests)
    ours = run_program(name, mock, alias=alias, python=python)
    ours_bodies = chat_bodies(mock, start)
    if _has_reference(python):
        start = len(mock.requests)
        reference = run_program(name, mock, alias="none", python=python)
        ref_bodies = chat_bodies(mock, start)
        assert {k: v for k, v in ours.items() if k not in _HOW} == {
            k: v for k, v in reference.items() if k not in _HOW
        }, "the framework reported different results on litellm_rs and on litellm"
        assert ours_bodies == ref_bodies, "the framework sent different requests through litellm_rs and litellm"
    elif _REQUIRE:
        pytest.fail("the reference litellm is not installed beside the framework")
    return ours, ours_bodies


# ---------------------------------------------------------------------------------------------


def test_langchain_litellm(agent_mock: MockServer) -> None:
    _installed("langchain_litellm")
    out, bodies = run_differential("fw_langchain_litellm", agent_mock)
    assert out["plain"]["text"] == ANSWER
    assert out["plain"]["usage"]["input_tokens"] == PROMPT_TOKENS
    assert out["plain"]["usage"]["output_tokens"] == COMPLETION_TOKENS
    assert out["plain"]["usage"]["total_tokens"] == TOTAL_TOKENS
    assert out["plain"]["total"] == TOTAL_TOKENS
    assert out["stream"]["text"] == ANSWER and out["stream"]["chunks"] > 3
    assert out["stream"]["usage"]["total_tokens"] == TOTAL_TOKENS
    assert out["async"]["text"] == ANSWER
    assert out["tools"]["calls"][0]["name"] == "get_weather"
    assert out["tools"]["calls"][0]["args"] == {"city": "Paris"}
    assert out["tools"]["final"] == f"The weather is: {WEATHER}."
    assert len(bodies) == 5
    assert bodies[0]["model"] == "mock-chat" and bodies[0]["temperature"] == 0.2
    assert bodies[0]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert bodies[1]["stream"] is True
    assert bodies[3]["tools"][0]["function"]["name"] == "get_weather"
    assert bodies[4]["messages"][-1]["role"] == "tool"
    assert agent_mock.requests[0].header("authorization") == "Bearer sk-mock-framework-key"


def test_dspy(agent_mock: MockServer) -> None:
    _installed("dspy")
    out, bodies = run_differential("fw_dspy", agent_mock)
    assert out["plain"]["texts"] == [ANSWER]
    assert out["plain"]["usage"]["prompt_tokens"] == PROMPT_TOKENS
    assert out["plain"]["usage"]["completion_tokens"] == COMPLETION_TOKENS
    assert out["plain"]["usage"]["total_tokens"] == TOTAL_TOKENS
    assert out["plain"]["cost"] > 0
    assert "".join(out["stream"]["pieces"]).strip() == ANSWER
    assert out["stream"]["answer"] == ANSWER
    (usage,) = out["stream"]["usage"].values()
    assert usage["total_tokens"] == TOTAL_TOKENS
    assert out["tools"]["calls"] == [{"name": "get_weather", "args": {"city": "Paris"}}]
    assert out["tools"]["result"] == WEATHER
    assert out["pickle"] == {"module": "litellm.types.utils", "same_class": True, "text": ANSWER, "usage": TOTAL_TOKENS}
    assert bodies[0]["model"] == "gpt-4o-mini" and bodies[0]["temperature"] == 0.3
    assert bodies[0]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert bodies[1]["stream"] is True and bodies[1]["stream_options"] == {"include_usage": True}
    assert bodies[2]["tools"][0]["function"]["name"] == "get_weather"


def test_smolagents(agent_mock: MockServer) -> None:
    _installed("smolagents")
    out, bodies = run_differential("fw_smolagents", agent_mock)
    assert out["plain"] == {"text": ANSWER, "input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS}
    assert out["stream"]["text"] == ANSWER and out["stream"]["deltas"] > 3
    assert (out["stream"]["input_tokens"], out["stream"]["output_tokens"]) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    assert out["tools"] == {"name": "get_weather", "arguments": {"city": "Paris"}, "result": WEATHER}
    assert bodies[0]["temperature"] == 0.1 and bodies[1]["stream"] is True
    assert bodies[2]["tools"][0]["function"]["name"] == "get_weather"
    assert bodies[2]["tool_choice"] == "required"


def test_instructor(agent_mock: MockServer) -> None:
    _installed("instructor")
    out, bodies = run_differential("fw_instructor", agent_mock)
    weather = {"city": "Paris", "temperature": 42}
    assert out["plain"] == {"text": ANSWER, "total_tokens": TOTAL_TOKENS}
    assert out["tools"] == {"weather": weather, "total_tokens": TOTAL_TOKENS}
    assert out["stream"]["last"] == weather and out["stream"]["partials"] > 1
    assert out["async"] == weather
    assert bodies[1]["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    assert bodies[2]["stream"] is True


def test_openai_agents(agent_mock: MockServer) -> None:
    _installed("agents")
    out, bodies = run_differential("fw_openai_agents", agent_mock)
    assert out["plain"] == {
        "text": ANSWER,
        "input_tokens": PROMPT_TOKENS,
        "output_tokens": COMPLETION_TOKENS,
        "total_tokens": TOTAL_TOKENS,
    }
    assert out["stream"]["text"] == ANSWER and out["stream"]["final"] == ANSWER
    assert out["stream"]["total_tokens"] == TOTAL_TOKENS
    assert out["tools"]["calls"] == ["get_weather"] and out["tools"]["outputs"] == [WEATHER]
    assert out["tools"]["final"] == f"The weather is: {WEATHER}."
    assert out["tools"]["requests"] == 2 and out["tools"]["total_tokens"] == 2 * TOTAL_TOKENS
    assert bodies[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert bodies[1]["stream"] is True
    assert bodies[3]["messages"][-1]["role"] == "tool" and bodies[3]["messages"][-1]["content"] == WEATHER


def test_llama_index(agent_mock: MockServer) -> None:
    _installed("llama_index.llms.litellm")
    out, bodies = run_differential("fw_llama_index", agent_mock)
    assert out["plain"] == {"text": ANSWER, "total_tokens": TOTAL_TOKENS}
    assert out["stream"]["text"] == ANSWER and out["stream"]["deltas"] == ANSWER
    assert out["async"] == {"text": ANSWER}
    assert out["tools"]["name"] == "get_weather" and out["tools"]["args"] == {"city": "Paris"}
    assert out["tools"]["result"] == WEATHER
    assert out["tools"]["metadata_context"] == 128000 and out["tools"]["function_calling"] is True
    assert bodies[0]["temperature"] == 0.5 and bodies[1]["stream"] is True
    assert bodies[3]["tools"][0]["function"]["name"] == "get_weather"


def test_crewai(agent_mock: MockServer) -> None:
    python = _CREWAI_PYTHON
    if not python:
        if _REQUIRE:
            pytest.fail("LITELLM_RS_CREWAI_PYTHON is not set (scripts/test.sh makes CrewAI's own virtualenv)")
        pytest.skip("CrewAI runs in its own virtualenv: set LITELLM_RS_CREWAI_PYTHON to its python")
    out, bodies = run_differential("fw_crewai", agent_mock, python=python)
    usage = {"total_tokens": TOTAL_TOKENS, "prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS}
    assert out["plain"]["text"] == ANSWER
    assert {k: out["plain"]["usage"][k] for k in usage} == usage
    assert out["stream"]["text"] == ANSWER
    assert {k: out["stream"]["usage"][k] for k in usage} == usage
    assert out["tools"]["result"] == WEATHER
    assert out["crew"]["raw"] == ANSWER and out["crew"]["total_tokens"] > 0
    assert bodies[0]["temperature"] == 0.6 and bodies[1]["stream"] is True
    assert bodies[2]["tools"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize("alias", ["call", "runner"])
def test_other_ways_to_switch(agent_mock: MockServer, alias: str) -> None:
    """``install_as_litellm()`` at the top of the program, and ``python -m litellm_rs.alias``."""
    _installed("smolagents")
    out = run_program("fw_smolagents", agent_mock, alias=alias)
    assert out["plain"]["text"] == ANSWER
    assert out["tools"]["arguments"] == {"city": "Paris"}

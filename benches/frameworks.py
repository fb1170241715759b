"""Frameworks on litellm and on litellm_rs, side by side: one framework call repeated against the
local mock upstream, in a fresh interpreter per (framework, implementation). Run by
benches/frameworks.sh, which starts the mock and prints the table.

    python benches/frameworks.py one <framework> --base URL --calls N   # one measurement (JSON line)
    python benches/frameworks.py table results.jsonl                    # the markdown table

The implementation is chosen from outside: with LITELLM_RS_AS_LITELLM=1 the framework's
`import litellm` gives litellm_rs (the wheel's start-up hook), otherwise the real litellm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any, Callable

MODEL = "openai/gpt-4o-mini"
KEY = "sk-bench"


def _langchain_litellm(base: str) -> Callable[[], Any]:
    from langchain_litellm import ChatLiteLLM

    llm = ChatLiteLLM(model=MODEL, api_base=base, api_key=KEY)
    return lambda: llm.invoke("Say hello")


def _dspy(base: str) -> Callable[[], Any]:
    import dspy

    lm = dspy.LM(MODEL, api_base=base, api_key=KEY, engine="litellm", cache=False)
    return lambda: lm("Say hello")


def _smolagents(base: str) -> Callable[[], Any]:
    from smolagents import LiteLLMModel

    model = LiteLLMModel(model_id=MODEL, api_base=base, api_key=KEY)
    messages = [{"role": "user", "content": [{"type": "text", "text": "Say hello"}]}]
    return lambda: model.generate(messages)


def _llama_index(base: str) -> Callable[[], Any]:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.litellm import LiteLLM

    llm = LiteLLM(model=MODEL, api_base=base, api_key=KEY)
    messages = [ChatMessage(role="user", content="Say hello")]
    return lambda: llm.chat(messages)


def _instructor(base: str) -> Callable[[], Any]:
    import instructor
    import litellm
    from pydantic import BaseModel

    class Greeting(BaseModel):
        text: str

    client = instructor.from_litellm(litellm.completion)
    messages = [{"role": "user", "content": "Say hello"}]
    # the mock upstream answers text, so instructor's plain completion path is measured
    return lambda: client.chat.completions.create(
        model=MODEL, api_base=base, api_key=KEY, response_model=None, messages=messages
    )


def _openai_agents(base: str) -> Callable[[], Any]:
    from agents import Agent, Runner, set_tracing_disabled
    from agents.extensions.models.litellm_model import LitellmModel

    set_tracing_disabled(True)
    agent = Agent(name="greeter", instructions="Be brief.", model=LitellmModel(model=MODEL, base_url=base, api_key=KEY))
    return lambda: Runner.run_sync(agent, "Say hello")


FRAMEWORKS: dict[str, Callable[[str], Callable[[], Any]]] = {
    "langchain-litellm": _langchain_litellm,
    "dspy": _dspy,
    "smolagents": _smolagents,
    "llama-index": _llama_index,
    "instructor": _instructor,
    "openai-agents": _openai_agents,
}


def one(framework: str, base: str, calls: int) -> None:
    started = time.perf_counter()
    call = FRAMEWORKS[framework](base)
    for _ in range(max(5, calls // 20)):  # warm-up: connections, lazy imports, caches
        call()
    import litellm

    impl = litellm.__name__
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(calls):
        call()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "framework": framework,
        "impl": impl,
        "calls": calls,
        "wall_us": wall / calls * 1e6,
        "cpu_us": cpu / calls * 1e6,
        "rss_mb": rss_mb,
        "setup_s": t0 - started,
    }
    print(json.dumps(out), flush=True)


def table(path: str) -> None:
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rows.setdefault(r["framework"], {})[r["impl"]] = r
    print(
        "| framework (one call, sequential) | litellm: wall / CPU per call | litellm_rs: wall / CPU per call | faster (wall) | peak RSS litellm / litellm_rs |"
    )
    print("|---|---|---|---|---|")
    for name, by in rows.items():
        ref, ours = by.get("litellm"), by.get("litellm_rs")
        if not ref or not ours:
            continue
        print(
            f"| {name} | {ref['wall_us']:,.0f} µs / {ref['cpu_us']:,.0f} µs | {ours['wall_us']:,.0f} µs / "
            f"{ours['cpu_us']:,.0f} µs | {ref['wall_us'] / ours['wall_us']:.1f}x | "
            f"{ref['rss_mb']:.0f} MB / {ours['rss_mb']:.0f} MB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_one = sub.add_parser("one")
    p_one.add_argument("framework", choices=sorted(FRAMEWORKS))
    p_one.add_argument("--base", required=True)
    p_one.add_argument("--calls", type=int, default=500)
    p_table = sub.add_parser("table")
    p_table.add_argument("path")
    args = parser.parse_args()
    if args.cmd == "one":
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        one(args.framework, args.base, args.calls)
    else:
        table(args.path)


if __name__ == "__main__":
    sys.exit(main())

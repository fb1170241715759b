"""A/B of two litellm_rs builds, interleaved: the bench's phases run round after round, A then B,
each in a fresh interpreter, against one mock upstream. On a shared machine whose speed drifts
within minutes, alternating is what makes two builds comparable; compare the rounds, not runs
made at different times.

    python benches/ab.py --a venv-a/bin/python --b venv-b/bin/python --port 8099 \\
        [--phases completion,cache_hit,stream] [--rounds 3] [--scale 0.5]

Each interpreter must import its own build of litellm_rs (two virtualenvs, each with
`pip install .` of one checkout, or `maturin develop` in each). The mock upstream is
`cargo run --release --example mock_upstream -- 8099` (see benches/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# the figures shown per phase: (result key, heading, digits)
SHOWN = {
    "completion": [("completion_median_us", "sync completion median (µs)", 0)],
    "callback": [("callback_extra_median_us", "callback extra (µs)", 1)],
    "cache_hit": [("cache_hit_median_us", "cache hit median (µs)", 1)],
    "router": [("router_extra_median_us", "Router extra (µs)", 1)],
    "embedding": [("embedding_median_us", "sync embedding median (µs)", 0)],
    "acompletion": [("acompletion_rps", "acompletion req/s", 0), ("acompletion_cpu_us_per_req", "CPU/req (µs)", 1)],
    "stream": [("stream_chunks_per_s", "stream chunks/s", 0), ("stream_cpu_us_per_chunk", "CPU/chunk (µs)", 2)],
}


def one(python: str, port: int, phases: str, scale: float) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        cmd = [python, os.path.join(HERE, "side_by_side.py"), "run", "--impl", "litellm_rs", "--port", str(port)]
        cmd += ["--phases", phases, "--scale", str(scale), "--out", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="python of build A")
    p.add_argument("--b", required=True, help="python of build B")
    p.add_argument("--port", type=int, required=True, help="the mock upstream's port on 127.0.0.1")
    p.add_argument("--phases", default="completion,cache_hit,stream")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--scale", type=float, default=0.5)
    args = p.parse_args()
    phases = [x for x in args.phases.split(",") if x]
    unknown = [x for x in phases if x not in SHOWN]
    if unknown:
        sys.exit(f"unknown phases {unknown}; known: {','.join(SHOWN)}")
    columns = [c for ph in phases for c in SHOWN[ph]]
    rows: list[tuple[int, str, dict]] = []
    for r in range(1, args.rounds + 1):
        for label, python in (("A", args.a), ("B", args.b)):
            res = one(python, args.port, ",".join(phases), args.scale)
            rows.append((r, label, res))
            print(f"round {r} {label} done", file=sys.stderr)

    def fmt(v: object, digits: int) -> str:
        return f"{v:,.{digits}f}" if isinstance(v, (int, float)) else "—"

    print("| round | build | " + " | ".join(h for _, h, _ in columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for r, label, res in rows:
        print(f"| {r} | {label} | " + " | ".join(fmt(res.get(k), d) for k, _, d in columns) + " |")
    for label in ("A", "B"):
        med = [
            statistics.median([res[k] for _, lab, res in rows if lab == label and k in res] or [0])
            for k, _, _ in columns
        ]
        print(f"| median | {label} | " + " | ".join(fmt(v, d) for v, (_, _, d) in zip(med, columns)) + " |")


if __name__ == "__main__":
    main()

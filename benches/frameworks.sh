#!/usr/bin/env bash
# Frameworks side by side on litellm and on litellm_rs (benches/frameworks.py), against the local
# mock upstream (examples/mock_upstream.rs) on 127.0.0.1. Prints one markdown table.
#
# Environment:
#   FRAMEWORKS_PYTHON=/path/to/python  an interpreter with litellm_rs, the real litellm and the
#                                      frameworks installed (default: .venv-test/bin/python, which
#                                      scripts/test.sh builds)
#   BENCH_CALLS=500                    calls per measurement
#   BENCH_OUT=target/bench-results     where frameworks.jsonl and frameworks.md go
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${FRAMEWORKS_PYTHON:-$ROOT/.venv-test/bin/python}
CALLS=${BENCH_CALLS:-500}
OUT=${BENCH_OUT:-$ROOT/target/bench-results}
mkdir -p "$OUT"

cargo build --quiet --release --example mock_upstream
"$ROOT/target/release/examples/mock_upstream" 0 1800 >"$OUT/fw-mock.out" 2>/dev/null &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT INT TERM
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$OUT/fw-mock.out")
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "the mock upstream did not start" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT/v1"

RESULTS=$OUT/frameworks.jsonl
: >"$RESULTS"
for fw in langchain-litellm dspy smolagents llama-index instructor openai-agents; do
  echo "== $fw" >&2
  env -u LITELLM_RS_AS_LITELLM NO_PROXY=127.0.0.1 "$PY" benches/frameworks.py one "$fw" --base "$BASE" --calls "$CALLS" >>"$RESULTS"
  LITELLM_RS_AS_LITELLM=1 NO_PROXY=127.0.0.1 "$PY" benches/frameworks.py one "$fw" --base "$BASE" --calls "$CALLS" >>"$RESULTS"
done
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), nproc: $(nproc), commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), calls: $CALLS"
  echo
  "$PY" benches/frameworks.py table "$RESULTS"
} | tee "$OUT/frameworks.md"

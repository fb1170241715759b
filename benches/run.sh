#!/usr/bin/env bash
# Side-by-side benchmark: litellm_rs (this checkout) vs the real litellm vs a plain httpx/aiohttp
# floor, all against the local mock upstream (examples/mock_upstream.rs) on 127.0.0.1.
# Prints one table. See benches/README.md.
#
# Environment:
#   LITELLM_RS_PYTHON=/path/to/python  use this interpreter's litellm_rs instead of building the
#                                      checkout into bench-venv-rs/
#   BENCH_PYTHON=python3               interpreter used to create the virtualenvs
#   BENCH_SCALE=1                      scale every count and time limit (0.1 = quick smoke run)
#   BENCH_OUT=target/bench-results     where the JSON results and table.md go
#   CARGO_TARGET_DIR                   cargo's target folder (the mock upstream is built there)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${BENCH_PYTHON:-python3}
SCALE=${BENCH_SCALE:-1}
OUT=${BENCH_OUT:-$ROOT/target/bench-results}
LITELLM_VERSION=1.110.2

echo "== building the mock upstream" >&2
cargo build --quiet --release --example mock_upstream
MOCK_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/mock_upstream

echo "== reference venv: bench-venv/ (litellm==$LITELLM_VERSION, httpx, aiohttp)" >&2
if ! bench-venv/bin/python -c "import importlib.metadata as m, httpx, aiohttp; assert m.version('litellm') == '$LITELLM_VERSION'" 2>/dev/null; then
  "$PY" -m venv bench-venv
  bench-venv/bin/python -m pip install --quiet --upgrade pip
  bench-venv/bin/python -m pip install --quiet "litellm==$LITELLM_VERSION" httpx aiohttp
fi
REF_PY=$ROOT/bench-venv/bin/python

if [ -n "${LITELLM_RS_PYTHON:-}" ]; then
  RS_PY=$LITELLM_RS_PYTHON
  echo "== litellm_rs from $RS_PY" >&2
else
  echo "== litellm_rs venv: bench-venv-rs/ (pip install . of this checkout)" >&2
  if [ ! -x bench-venv-rs/bin/python ]; then
    "$PY" -m venv bench-venv-rs
    bench-venv-rs/bin/python -m pip install --quiet --upgrade pip
    bench-venv-rs/bin/python -m pip install --quiet .
  else
    bench-venv-rs/bin/python -m pip install --quiet --force-reinstall --no-deps .
  fi
  RS_PY=$ROOT/bench-venv-rs/bin/python
fi
"$RS_PY" -c "import litellm_rs" || { echo "litellm_rs does not import under $RS_PY" >&2; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT"/*.json
MOCK_LOG_FILE=$OUT/mock.log
"$MOCK_BIN" 0 1800 >"$OUT/mock.out" 2>"$MOCK_LOG_FILE" &
MOCK_PID=$!
cleanup() { kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$OUT/mock.out")
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "the mock upstream did not start" >&2; cat "$MOCK_LOG_FILE" >&2; exit 1; }
echo "== mock upstream on 127.0.0.1:$PORT (pid $MOCK_PID)" >&2

BENCH=$ROOT/benches/side_by_side.py
START=$(date +%s)
echo "== import time and RSS (7 fresh interpreters each)" >&2
"$REF_PY" "$BENCH" import --module litellm --out "$OUT/import_litellm.json"
"$RS_PY" "$BENCH" import --module litellm_rs --out "$OUT/import_litellm_rs.json"
echo "== workload: floor, litellm, litellm_rs" >&2
COMMON=(--port "$PORT" --mock-pid "$MOCK_PID" --scale "$SCALE")
"$REF_PY" "$BENCH" run --impl floor "${COMMON[@]}" --out "$OUT/run_floor.json"
"$REF_PY" "$BENCH" run --impl litellm "${COMMON[@]}" --out "$OUT/run_litellm.json"
"$RS_PY" "$BENCH" run --impl litellm_rs --flat "${COMMON[@]}" --out "$OUT/run_litellm_rs.json"
echo "== done in $(( $(date +%s) - START )) s" >&2

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), nproc: $(nproc), commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)'), scale: $SCALE"
  echo "litellm $("$REF_PY" -c 'import importlib.metadata as m; print(m.version("litellm"))'), httpx $("$REF_PY" -c 'import httpx; print(httpx.__version__)'), aiohttp $("$REF_PY" -c 'import aiohttp; print(aiohttp.__version__)'), litellm_rs $("$RS_PY" -c 'import importlib.metadata as m; print(m.version("litellm-rs"))')"
  echo
  "$REF_PY" "$BENCH" table "$OUT"/*.json
} | tee "$OUT/table.md"

#!/usr/bin/env bash
# The proxy under load: wrk at concurrency 32 against the litellm-rs-proxy binary (one virtual key,
# SQLite spend ledger on), in front of the local mock upstream (examples/mock_upstream.rs), and the
# same load straight at the mock as the floor. Prints a markdown table. Needs wrk (Debian: wrk).
#
# Environment: BENCH_SECONDS=10 (per run), BENCH_CONNECTIONS=32, BENCH_OUT=target/bench-results,
# BENCH_PERF=1 (record a CPU profile of the proxy with perf into $BENCH_OUT/proxy.perf.data),
# BENCH_SOAK_SECONDS=600 (then the same load for that long, the proxy's RSS sampled every 10 s).
# Also measures a streamed completion's time to first byte, directly and through the proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-32}
OUT=${BENCH_OUT:-$ROOT/target/bench-results}
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --quiet --release --example mock_upstream
cargo build --quiet --release --features proxy --bin litellm-rs-proxy
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

"$ROOT/target/release/examples/mock_upstream" 0 900 >"$WORK/mock.out" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do MOCK_PORT=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$WORK/mock.out"); [ -n "$MOCK_PORT" ] && break; sleep 0.05; done
PROXY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MASTER=sk-bench-master
cat >"$WORK/config.yaml" <<YAML
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:$MOCK_PORT/v1
      api_key: sk-upstream
general_settings:
  master_key: $MASTER
  database_url: sqlite://$WORK/proxy.db
YAML

start=$(date +%s.%N)
"$ROOT/target/release/litellm-rs-proxy" --config "$WORK/config.yaml" --host 127.0.0.1 --port "$PROXY_PORT" 2>"$WORK/proxy.err" &
PROXY_PID=$!
PIDS+=($PROXY_PID)
until curl -sf "http://127.0.0.1:$PROXY_PORT/health/readiness" >/dev/null; do sleep 0.01; done
healthy=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
KEY=$(curl -sf "http://127.0.0.1:$PROXY_PORT/key/generate" -H "Authorization: Bearer $MASTER" \
  -H 'content-type: application/json' -d '{"key_alias": "bench", "max_budget": 1000000}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

cat >"$WORK/chat.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.body = '{"model": "MODEL", "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello"}]}'
LUA
sed 's/MODEL/gpt-4o-mini/' "$WORK/chat.lua" >"$WORK/mock.lua"
sed 's/MODEL/gpt/' "$WORK/chat.lua" >"$WORK/proxy.lua"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # url script -> "rps p50 p99"
  wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency -s "$2" "$1" >"$WORK/wrk.out"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
  echo "$rps $p50 $p99 $(awk '/requests in/ {print $1}' "$WORK/wrk.out") $(awk '/Non-2xx/ {print $4}' "$WORK/wrk.out")"
}
run "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$WORK/mock.lua" >/dev/null # warm-up
read -r m_rps m_p50 m_p99 _ _ < <(run "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$WORK/mock.lua")
run "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" "$WORK/proxy.lua" >/dev/null # warm-up
c0=$(cpu "$PROXY_PID")
PERF_PID=
if [ -n "${BENCH_PERF:-}" ]; then  # a CPU profile of the proxy during the measured run
  perf record -F 999 -g -o "$OUT/proxy.perf.data" -p "$PROXY_PID" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
  PERF_PID=$!
fi
read -r p_rps p_p50 p_p99 p_n p_bad < <(run "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" "$WORK/proxy.lua")
[ -z "$PERF_PID" ] || wait "$PERF_PID" || true
c1=$(cpu "$PROXY_PID")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$PROXY_PID/status")
ticks=$(getconf CLK_TCK)
cpu_ms=$(python3 -c "print(f'{($c1 - $c0) / $ticks * 1000 / max(1, $p_n):.3f}')")
# streaming: time to the first byte, the mock directly and through the proxy (sequential requests)
read -r t_mock_p50 t_mock_p99 < <(python3 benches/ttfb.py "$MOCK_PORT" gpt-4o-mini)
read -r t_proxy_p50 t_proxy_p99 < <(python3 benches/ttfb.py "$PROXY_PORT" gpt "$KEY")
ttfb_overhead=$(python3 -c "print(f'{$t_proxy_p50 - $t_mock_p50:.3f}')")
# a soak (BENCH_SOAK_SECONDS, e.g. 600): the same load for that long, the proxy's RSS sampled
soak=""
if [ -n "${BENCH_SOAK_SECONDS:-}" ]; then
  wrk -t2 -c"$CONNS" -d"${BENCH_SOAK_SECONDS}s" -s "$WORK/proxy.lua" "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" >"$WORK/soak.out" &
  SOAK_PID=$!
  samples=()
  while kill -0 "$SOAK_PID" 2>/dev/null; do
    samples+=("$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$PROXY_PID/status")")
    sleep 10
  done
  soak="RSS over ${BENCH_SOAK_SECONDS} s under the same load, every 10 s (MB): ${samples[*]}; $(awk '/Requests\/sec/ {print $2}' "$WORK/soak.out") requests/s"
fi
rows=$(curl -sf "http://127.0.0.1:$PROXY_PORT/global/spend" -H "Authorization: Bearer $MASTER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spend"] > 0)')
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), nproc: $(nproc), commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), wrk -t2 -c$CONNS -d${SECONDS_PER_RUN}s"
  echo
  echo "| target | requests/s | p50 | p99 | CPU per request (proxy) | peak RSS (proxy) | healthy after start |"
  echo "|---|---|---|---|---|---|---|"
  echo "| mock upstream directly (the floor) | $m_rps | $m_p50 | $m_p99 | | | |"
  echo "| litellm-rs proxy (one virtual key, SQLite ledger on) | $p_rps | $p_p50 | $p_p99 | ${cpu_ms} ms | $((rss / 1024)) MB | ${healthy} s |"
  echo
  echo "non-2xx answers from the proxy: ${p_bad:-0}; spend recorded: $rows"
  echo
  echo "streaming, time to first byte (300 sequential requests): mock p50 ${t_mock_p50} ms / p99 ${t_mock_p99} ms;"
  echo "through the proxy p50 ${t_proxy_p50} ms / p99 ${t_proxy_p99} ms; overhead at p50: ${ttfb_overhead} ms"
  [ -z "$soak" ] || { echo; echo "$soak"; }
} | tee "$OUT/proxy.md"

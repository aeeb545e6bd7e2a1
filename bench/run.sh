#!/usr/bin/env bash
# Runs the benchmarks against an optimised build and writes bench/RESULTS.md.
# Usage: bench/run.sh [BUILD_DIR]   (make bench)
# Everything talks to 127.0.0.1 only; every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out"
LEADS="${BENCH_LEADS:-100000}"
DURATION="${BENCH_DURATION:-15s}"
CONNS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_PORT:-18765}"
mkdir -p "$OUT"
rm -f "$OUT"/bench.db*

echo "== seeding $LEADS leads"
KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/bench.db" "$LEADS" "$OUT/ids.txt")

"$BUILD/klozeo" serve --db "sqlite:$OUT/bench.db" --listen "127.0.0.1:$PORT" >"$OUT/server.out" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# Sample the server's resident memory every 200 ms while the load runs.
RSS_LOG="$OUT/rss.txt"
: >"$RSS_LOG"
( while kill -0 $SERVER 2>/dev/null; do
    awk '/VmRSS/ {print $2}' /proc/$SERVER/status >>"$RSS_LOG" 2>/dev/null || true
    sleep 0.2
  done ) &
SAMPLER=$!

cat >"$OUT/get_lead.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/ids.txt") do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["X-API-Key"] = "$KEY"
request = function()
  return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)])
end
LUA

run_wrk() {  # name, then wrk args
  local name=$1; shift
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" >"$OUT/$name.txt"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt") req/s"
}
# Interleaved rounds, medians reported: the machine is shared and its speed drifts.
ROUNDS="${BENCH_ROUNDS:-3}"
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "healthz_$r" "http://127.0.0.1:$PORT/healthz"
  run_wrk "get_lead_$r" -s "$OUT/get_lead.lua" "http://127.0.0.1:$PORT/"
done

kill $SAMPLER 2>/dev/null || true
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
H=$(for r in $(seq 1 "$ROUNDS"); do rps "healthz_$r"; done | median)
G=$(for r in $(seq 1 "$ROUNDS"); do rps "get_lead_$r"; done | median)
ROUND_RATIOS=$(for r in $(seq 1 "$ROUNDS"); do
  awk -v g="$(rps "get_lead_$r")" -v h="$(rps "healthz_$r")" 'BEGIN {printf "%.2f ", g / h}'; done)
RATIO=$(awk -v g="$G" -v h="$H" 'BEGIN {printf "%.2f", g / h}')
P99=$(for r in $(seq 1 "$ROUNDS"); do pct "get_lead_$r" 99% | sed 's/ms$//;s/us$/e-3/'; done | median)
RSS_MAX=$(sort -n "$RSS_LOG" | tail -1)
RSS_MB=$(awk -v k="${RSS_MAX:-0}" 'BEGIN {printf "%.1f", k / 1024}')

{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores: server and"
  echo "load generator (wrk, 2 threads, $CONNS connections, $DURATION a run) share the machine, which"
  echo "is itself shared and noisy. $ROUNDS interleaved rounds; medians and in-round ratios are quoted."
  echo
  echo "## Foundation: point reads over $LEADS leads (SQLite)"
  echo
  echo "| round | \`GET /healthz\` req/s | p99 | \`GET /api/v1/leads/{id}\` req/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "healthz_$r") | $(pct "healthz_$r" 99%) | $(rps "get_lead_$r") | $(pct "get_lead_$r" 50%) | $(pct "get_lead_$r" 99%) | $(errors "get_lead_$r") |"
  done
  echo
  echo "- Median lead reads / median healthz: **$RATIO** (target: at least 0.5); per round: $ROUND_RATIOS"
  echo "- Median lead-read p99 at $CONNS connections: **${P99} ms** (target: under 10 ms)."
  echo "- Server peak resident memory over all runs: **$RSS_MB MB** (target: under 100 MB)."
} >bench/RESULTS.md
cat bench/RESULTS.md

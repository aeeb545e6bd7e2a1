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
  echo "== $name"
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" >"$OUT/$name.txt"
  cat "$OUT/$name.txt"
}
run_wrk healthz "http://127.0.0.1:$PORT/healthz"
run_wrk get_lead -s "$OUT/get_lead.lua" "http://127.0.0.1:$PORT/"
run_wrk healthz2 "http://127.0.0.1:$PORT/healthz"

kill $SAMPLER 2>/dev/null || true
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
H1=$(rps healthz); H2=$(rps healthz2); G=$(rps get_lead)
# Median of the two healthz runs around the lead run, to even out drift on a shared machine.
H=$(awk -v a="$H1" -v b="$H2" 'BEGIN {printf "%.0f", (a + b) / 2}')
RATIO=$(awk -v g="$G" -v h="$H" 'BEGIN {printf "%.2f", g / h}')
RSS_MAX=$(sort -n "$RSS_LOG" | tail -1)
RSS_MB=$(awk -v k="${RSS_MAX:-0}" 'BEGIN {printf "%.1f", k / 1024}')

cat >bench/RESULTS.md <<MD
# Benchmark results

Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores, one run:
server and load generator (wrk, 2 threads, $CONNS connections, $DURATION each) share the machine.
Figures are from one run; the machine is shared and noisy, so compare ratios within a run.

## Foundation: point reads over $LEADS leads (SQLite)

| endpoint | requests/s | p50 | p99 | errors |
|---|---|---|---|---|
| \`GET /healthz\` (before) | $H1 | $(pct healthz 50%) | $(pct healthz 99%) | $(errors healthz) |
| \`GET /api/v1/leads/{id}\` (random ids) | $G | $(pct get_lead 50%) | $(pct get_lead 99%) | $(errors get_lead) |
| \`GET /healthz\` (after) | $H2 | $(pct healthz2 50%) | $(pct healthz2 99%) | $(errors healthz2) |

- Lead reads / healthz (mean of before and after): **$RATIO** (target: at least 0.5).
- Lead read p99 at $CONNS connections: **$(pct get_lead 99%)** (target: under 10 ms).
- Server peak resident memory during the runs: **$RSS_MB MB** (target: under 100 MB).
MD
cat bench/RESULTS.md

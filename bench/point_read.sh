#!/usr/bin/env bash
# Point reads against their ceiling (issue 16): `GET /api/v1/leads/{id}` and MCP
# `tools/call get_lead` on the real server, and the same lead from bench/bare_server (Beast +
# SQLite by primary key, nothing else) on the same SQLite file, in interleaved rounds of the
# same run. wrk 2 threads x 64 connections, random leads (bench/get_lead.lua,
# bench/mcp_get_lead.lua). The file is the kept realistic account (bench/lib.sh,
# BENCH_QUERY_LEADS leads, default 1,000,000). Appends a section to RESULTS.md; besides req/s it
# records each server's CPU time per request, which a shared machine distorts less.
# Usage: bench/point_read.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out/point"
ROUNDS="${BENCH_POINT_ROUNDS:-3}"
DURATION="${BENCH_POINT_DURATION:-10s}"
CONNS="${BENCH_POINT_CONNECTIONS:-64}"
PORT="${BENCH_POINT_PORT:-18785}"
BARE_PORT=$((PORT + 1))
mkdir -p "$OUT"
source bench/lib.sh
bench_realistic_sqlite "${BENCH_QUERY_LEADS:-1000000}"
LEADS=$(sqlite3 "$BENCH_DB_FILE" "SELECT count(*) FROM leads")
ACCOUNT=$(sqlite3 "$BENCH_DB_FILE" "SELECT id FROM accounts WHERE name = 'bench'")

bench_serve server "$BENCH_DB" "$PORT"
SERVER=$BENCH_PID
"$BUILD/bench/bare_server" "$BENCH_DB_FILE" "$ACCOUNT" "$BARE_PORT" 2 &
BARE=$!
BENCH_PIDS+=("$BARE")
# It has no /healthz: any answer (a 404) means it listens.
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$BARE_PORT/" && break; sleep 0.1; done

SID=$(bench_mcp_session "$PORT" "$BENCH_KEY")
FIRST_ID=$(head -1 "$BENCH_IDS")
# Every server answers the same lead before the load.
REST_BODY=$(curl -sf -H "X-API-Key: $BENCH_KEY" "http://127.0.0.1:$PORT/api/v1/leads/$FIRST_ID")
BARE_BODY=$(curl -sf "http://127.0.0.1:$BARE_PORT/api/v1/leads/$FIRST_ID")
for body in "$REST_BODY" "$BARE_BODY"; do
  grep -q "\"id\":\"$FIRST_ID\"" <<<"$body" || { echo "point_read.sh: lead missing" >&2; exit 1; }
done
bench_mcp_get_lead "$PORT" "$BENCH_KEY" "$SID" "$FIRST_ID" ||
  { echo "point_read.sh: get_lead over MCP failed" >&2; exit 1; }

export BENCH_IDS BENCH_MCP_SESSION="$SID"
run_wrk() {  # name, pid, port, script, key
  local before
  before=$(bench_cpu_seconds "$2")
  BENCH_KEY=$5 wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "bench/$4.lua" \
    "http://127.0.0.1:$3/" >"$OUT/$1.txt"
  awk -v a="$before" -v b="$(bench_cpu_seconds "$2")" -v n="$(awk '/requests in/ {print $1}' "$OUT/$1.txt")" \
    'BEGIN {printf "%.1f\n", (b - a) * 1e6 / n}' >"$OUT/$1.cpu"
  echo "$1: $(rps "$1") req/s, $(cat "$OUT/$1.cpu") us of server CPU a request"
}
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "bare_$r" "$BARE" "$BARE_PORT" get_lead ""
  run_wrk "rest_$r" "$SERVER" "$PORT" get_lead "$BENCH_KEY"
  run_wrk "mcp_$r" "$SERVER" "$PORT" mcp_get_lead "$BENCH_KEY"
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
bench_stop_all

cpu() { cat "$OUT/$1.cpu"; }
B=$(for r in $(seq 1 "$ROUNDS"); do rps "bare_$r"; done | median)
G=$(for r in $(seq 1 "$ROUNDS"); do rps "rest_$r"; done | median)
M=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_$r"; done | median)
CB=$(for r in $(seq 1 "$ROUNDS"); do cpu "bare_$r"; done | median)
CG=$(for r in $(seq 1 "$ROUNDS"); do cpu "rest_$r"; done | median)
CM=$(for r in $(seq 1 "$ROUNDS"); do cpu "mcp_$r"; done | median)
ratios() {  # name
  for r in $(seq 1 "$ROUNDS"); do printf '%s ' "$(ratio "$(rps "$1_$r")" "$(rps "bare_$r")")"; done
}
{
  echo
  echo "## Point reads against a bare server (bench/point_read.sh)"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores shared by the servers, wrk and other work (load average"
  echo "at the end: $LOAD). $LEADS realistic leads in one SQLite file (bench/seed_leads); wrk 2"
  echo "threads x $CONNS connections, $DURATION a run, $ROUNDS interleaved rounds. bare:"
  echo "bench/bare_server (Beast, 2 threads, the lead and its attributes by primary key in one"
  echo "statement, JSON by SQLite, nothing else); REST: \`GET /api/v1/leads/{id}\` with an API key"
  echo "(key check, rate limiter, router, metrics, access log at the default level); MCP:"
  echo "\`POST /mcp\` \`tools/call get_lead\` in one session. CPU: the server's user + system time"
  echo "over the run divided by the requests answered."
  echo
  echo "| round | bare req/s | p99 | CPU/req | REST req/s | p50 | p99 | CPU/req | MCP req/s | p50 | p99 | CPU/req | errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "bare_$r") | $(pct "bare_$r" 99%) | $(cpu "bare_$r") us | $(rps "rest_$r") | $(pct "rest_$r" 50%) | $(pct "rest_$r" 99%) | $(cpu "rest_$r") us | $(rps "mcp_$r") | $(pct "mcp_$r" 50%) | $(pct "mcp_$r" 99%) | $(cpu "mcp_$r") us | $(errors "rest_$r")$(errors "mcp_$r") |"
  done
  echo
  echo "- REST / bare (medians): **$(ratio "$G" "$B")** (target: at least 0.7); per round: $(ratios rest); by CPU per request: **$(ratio "$CB" "$CG")**"
  echo "- MCP \`get_lead\` / bare (medians): **$(ratio "$M" "$B")** (target: at least 0.7); per round: $(ratios mcp); by CPU per request: **$(ratio "$CB" "$CM")**"
} >"$OUT/section.md"
[ "${BENCH_POINT_NO_RESULTS:-0}" = 1 ] || python3 bench/results.py "$OUT/section.md"
cat "$OUT/section.md"

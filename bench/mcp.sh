#!/usr/bin/env bash
# MCP over Streamable HTTP beside the REST API, in the same run: `tools/call get_lead` against
# `GET /api/v1/leads/{id}` (wrk, interleaved rounds; bench/mcp_get_lead.lua and
# bench/get_lead.lua), and `GET /api/v1/stats`, on the kept realistic account (bench/lib.sh,
# BENCH_QUERY_LEADS leads, default 1,000,000). Replaces the "## MCP" section of
# bench/RESULTS.md. bench/point_read.sh sets both against the bare-server ceiling.
# Usage: bench/mcp.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out/mcp"
DURATION="${BENCH_DURATION:-15s}"
CONNS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_MCP_PORT:-18767}"
ROUNDS="${BENCH_ROUNDS:-3}"
mkdir -p "$OUT"
source bench/lib.sh
bench_realistic_sqlite "${BENCH_QUERY_LEADS:-1000000}"
LEADS=$(sqlite3 "$BENCH_DB_FILE" "SELECT count(*) FROM leads")
bench_serve server "$BENCH_DB" "$PORT"
SID=$(bench_mcp_session "$PORT" "$BENCH_KEY")
# One call checked before the load: a real lead comes back, not an error result.
bench_mcp_get_lead "$PORT" "$BENCH_KEY" "$SID" "$(head -1 "$BENCH_IDS")" ||
  { echo "mcp.sh: get_lead over MCP failed" >&2; exit 1; }

export BENCH_IDS BENCH_KEY BENCH_MCP_SESSION="$SID"
run_wrk() {  # name, script
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "bench/$2.lua" "http://127.0.0.1:$PORT/" >"$OUT/$1.txt"
  echo "$1: $(rps "$1") req/s"
}
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "mcp_rest_$r" get_lead
  run_wrk "mcp_tool_$r" mcp_get_lead
done
# GET /api/v1/stats over every lead of the account (aggregated in SQL), timed by curl.
for r in 1 2 3; do
  curl -sf -o "$OUT/mcp_stats.json" -w '%{time_total}\n' -H "X-API-Key: $BENCH_KEY" \
    "http://127.0.0.1:$PORT/api/v1/stats?days=365" >"$OUT/mcp_stats_$r.txt"
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
bench_stop_all

REST=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_rest_$r"; done | median)
TOOL=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_tool_$r"; done | median)
RATIO=$(ratio "$TOOL" "$REST")
ROUND_RATIOS=$(for r in $(seq 1 "$ROUNDS"); do printf '%s ' "$(ratio "$(rps "mcp_tool_$r")" "$(rps "mcp_rest_$r")")"; done)
STATS_S=$(cat "$OUT"/mcp_stats_*.txt | median)
STATS_TOTAL=$(grep -o '"total_leads":[0-9]*' "$OUT/mcp_stats.json" | cut -d: -f2)

{
  echo "## MCP"
  echo
  echo "Written by \`bench/mcp.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d): $LEADS realistic leads"
  echo "(SQLite), wrk with 2 threads, $CONNS connections, $DURATION a run, $ROUNDS interleaved rounds on"
  echo "one server (load average at the end: $LOAD). The MCP run is \`POST /mcp\` \`tools/call get_lead\`"
  echo "in one session (JSON-RPC parse, session lookup, the tool, structured content plus its JSON"
  echo "text); the REST run is \`GET /api/v1/leads/{id}\`, both with a key over random leads."
  echo
  echo "| round | REST req/s | p50 | p99 | MCP \`get_lead\` req/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "mcp_rest_$r") | $(pct "mcp_rest_$r" 50%) | $(pct "mcp_rest_$r" 99%) | $(rps "mcp_tool_$r") | $(pct "mcp_tool_$r" 50%) | $(pct "mcp_tool_$r" 99%) | $(errors "mcp_rest_$r")$(errors "mcp_tool_$r") |"
  done
  echo
  echo "- Median MCP \`get_lead\` / median REST read: **$RATIO** (target: at least 0.5); per round: $ROUND_RATIOS"
  echo "- \`GET /api/v1/stats?days=365\` over the account's $STATS_TOTAL leads: **$(awk -v s="$STATS_S" 'BEGIN {printf "%.0f", s * 1000}') ms**"
  echo "  (median of 3, curl end to end: two grouped scans of the rows, the city and creation-time indexes)."
} >"$OUT/mcp_section.md"
python3 bench/results.py "$OUT/mcp_section.md"
echo "mcp: ratio $RATIO"

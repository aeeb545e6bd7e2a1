#!/usr/bin/env bash
# MCP over Streamable HTTP beside the REST API, in the same run: `tools/call get_lead` against
# `GET /api/v1/leads/{id}` (wrk, interleaved rounds), and `GET /api/v1/stats`.
# Replaces the "## MCP" section of bench/RESULTS.md.   Usage: bench/mcp.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out"
LEADS="${BENCH_MCP_LEADS:-100000}"
DURATION="${BENCH_DURATION:-15s}"
CONNS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_MCP_PORT:-18767}"
ROUNDS="${BENCH_ROUNDS:-3}"
mkdir -p "$OUT"
rm -f "$OUT"/mcp.db*

echo "== seeding $LEADS leads for the MCP run"
KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/mcp.db" "$LEADS" "$OUT/mcp_ids.txt")
"$BUILD/klozeo" serve --db "sqlite:$OUT/mcp.db" --listen "127.0.0.1:$PORT" >"$OUT/mcp_server.out" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

SID=$(curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$PORT/mcp" \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
  awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}' | tr -d '\r')
FIRST_ID=$(head -1 "$OUT/mcp_ids.txt")
# One call checked before the load: a real lead comes back, not an error result.
curl -sf -X POST "http://127.0.0.1:$PORT/mcp" -H "Authorization: Bearer $KEY" \
  -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-06-18' -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get_lead\",\"arguments\":{\"id\":\"$FIRST_ID\"}}}" |
  grep -q '"isError":false' || { echo "mcp.sh: get_lead over MCP failed" >&2; exit 1; }

cat >"$OUT/mcp_rest.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/mcp_ids.txt") do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $KEY"
request = function()
  return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)])
end
LUA
cat >"$OUT/mcp_tool.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/mcp_ids.txt") do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$SID"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
local n = 0
request = function()
  n = n + 1
  local body = '{"jsonrpc":"2.0","id":' .. n .. ',"method":"tools/call","params":{"name":"get_lead","arguments":{"id":"' .. ids[math.random(#ids)] .. '"}}}'
  return wrk.format("POST", "/mcp", nil, body)
end
LUA

run_wrk() {  # name, then wrk args
  local name=$1; shift
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" >"$OUT/$name.txt"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt") req/s"
}
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "mcp_rest_$r" -s "$OUT/mcp_rest.lua" "http://127.0.0.1:$PORT/"
  run_wrk "mcp_tool_$r" -s "$OUT/mcp_tool.lua" "http://127.0.0.1:$PORT/"
done
# GET /api/v1/stats over every lead of the account (aggregated in SQL), timed by curl.
for r in 1 2 3; do
  curl -sf -o "$OUT/mcp_stats.json" -w '%{time_total}\n' -H "X-API-Key: $KEY" \
    "http://127.0.0.1:$PORT/api/v1/stats?days=365" >"$OUT/mcp_stats_$r.txt"
done
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT
rm -f "$OUT"/mcp.db*

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
REST=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_rest_$r"; done | median)
TOOL=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_tool_$r"; done | median)
RATIO=$(awk -v t="$TOOL" -v g="$REST" 'BEGIN {printf "%.2f", t / g}')
ROUND_RATIOS=$(for r in $(seq 1 "$ROUNDS"); do
  awk -v t="$(rps "mcp_tool_$r")" -v g="$(rps "mcp_rest_$r")" 'BEGIN {printf "%.2f ", t / g}'; done)
STATS_S=$(cat "$OUT"/mcp_stats_*.txt | median)
STATS_TOTAL=$(grep -o '"total_leads":[0-9]*' "$OUT/mcp_stats.json" | cut -d: -f2)

# Replace this script's section, keep the others.
awk '/^## MCP$/ {skip = 1; next} skip && /^## / {skip = 0} !skip' bench/RESULTS.md >"$OUT/results.tmp" 2>/dev/null || true
{
  cat "$OUT/results.tmp"
  echo
  echo "## MCP"
  echo
  echo "Written by \`bench/mcp.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d): $LEADS leads (SQLite),"
  echo "wrk with 2 threads, $CONNS connections, $DURATION a run, $ROUNDS interleaved rounds on one server."
  echo "The MCP run is \`POST /mcp\` \`tools/call get_lead\` in one session (JSON-RPC parse, session"
  echo "lookup, the tool, structured content plus its JSON text); the REST run is"
  echo "\`GET /api/v1/leads/{id}\`, both with a Bearer key over random leads."
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
} >bench/RESULTS.md
rm -f "$OUT/results.tmp"
echo "mcp: ratio $RATIO"

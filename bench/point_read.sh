#!/usr/bin/env bash
# Point reads against their ceiling (issue 16): `GET /api/v1/leads/{id}` and MCP
# `tools/call get_lead` on the real server, and the same lead from bench/bare_server (Beast +
# SQLite by primary key, nothing else) on the same SQLite file, in interleaved rounds of the
# same run. wrk 2 threads x 64 connections, random leads. Appends a section to RESULTS.md.
# The file is the query matrix's kept 1,000,000-lead database when it exists (bench/out/qm),
# else BENCH_POINT_LEADS (default 100,000) leads seeded for this run.
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
if [ -f bench/out/qm/sqlite.stamp ] && [ -f bench/out/qm/leads.db ]; then
  DB=bench/out/qm/leads.db
  KEY=$(cat bench/out/qm/sqlite.key)
  IDS=bench/out/qm/sqlite.ids
else
  DB="$OUT/point.db"
  rm -f "$OUT"/point.db*
  KEY=$("$BUILD/bench/seed_leads" "sqlite:$DB" "${BENCH_POINT_LEADS:-100000}" "$OUT/ids.txt")
  IDS="$OUT/ids.txt"
fi
LEADS=$(sqlite3 "$DB" "SELECT count(*) FROM leads")
ACCOUNT=$(sqlite3 "$DB" "SELECT id FROM accounts WHERE name = 'bench'")

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
"$BUILD/klozeo" serve --db "sqlite:$DB" --listen "127.0.0.1:$PORT" >"$OUT/server.out" 2>"$OUT/server.err" &
PIDS+=($!)
"$BUILD/bench/bare_server" "$DB" "$ACCOUNT" "$BARE_PORT" 2 &
PIDS+=($!)
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

SID=$(curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$PORT/mcp" \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
  awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}' | tr -d '\r')
FIRST_ID=$(head -1 "$IDS")
# Every server answers the same lead before the load.
REST_BODY=$(curl -sf -H "X-API-Key: $KEY" "http://127.0.0.1:$PORT/api/v1/leads/$FIRST_ID")
BARE_BODY=$(curl -sf "http://127.0.0.1:$BARE_PORT/api/v1/leads/$FIRST_ID")
for body in "$REST_BODY" "$BARE_BODY"; do
  grep -q "\"id\":\"$FIRST_ID\"" <<<"$body" || { echo "point_read.sh: lead missing" >&2; exit 1; }
done
curl -sf -X POST "http://127.0.0.1:$PORT/mcp" -H "Authorization: Bearer $KEY" \
  -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-06-18' -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get_lead\",\"arguments\":{\"id\":\"$FIRST_ID\"}}}" |
  grep -q '"isError":false' || { echo "point_read.sh: get_lead over MCP failed" >&2; exit 1; }

lua_ids="local ids = {}
for line in io.lines(\"$IDS\") do ids[#ids + 1] = line end
math.randomseed(7)"
cat >"$OUT/rest.lua" <<LUA
$lua_ids
wrk.headers["X-API-Key"] = "$KEY"
request = function() return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)]) end
LUA
cat >"$OUT/bare.lua" <<LUA
$lua_ids
request = function() return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)]) end
LUA
cat >"$OUT/mcp.lua" <<LUA
$lua_ids
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

run_wrk() {  # name, port, script
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$OUT/$3.lua" "http://127.0.0.1:$2/" >"$OUT/$1.txt"
  echo "$1: $(awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt") req/s"
}
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "bare_$r" "$BARE_PORT" bare
  run_wrk "rest_$r" "$PORT" rest
  run_wrk "mcp_$r" "$PORT" mcp
done

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
B=$(for r in $(seq 1 "$ROUNDS"); do rps "bare_$r"; done | median)
G=$(for r in $(seq 1 "$ROUNDS"); do rps "rest_$r"; done | median)
M=$(for r in $(seq 1 "$ROUNDS"); do rps "mcp_$r"; done | median)
ratios() {  # name
  for r in $(seq 1 "$ROUNDS"); do
    awk -v g="$(rps "$1_$r")" -v b="$(rps "bare_$r")" 'BEGIN {printf "%.2f ", g / b}'
  done
}
{
  echo
  echo "## Point reads against a bare server (bench/point_read.sh)"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores shared by the servers, wrk and other work. $LEADS leads"
  echo "in one SQLite file; wrk 2 threads x $CONNS connections, $DURATION a run, $ROUNDS interleaved"
  echo "rounds. bare: bench/bare_server (Beast, 2 threads, the lead and its attributes by primary"
  echo "key in one statement, JSON by SQLite, nothing else); REST: \`GET /api/v1/leads/{id}\` with"
  echo "an API key; MCP: \`POST /mcp\` \`tools/call get_lead\` in one session."
  echo
  echo "| round | bare req/s | p99 | REST req/s | p50 | p99 | MCP req/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "bare_$r") | $(pct "bare_$r" 99%) | $(rps "rest_$r") | $(pct "rest_$r" 50%) | $(pct "rest_$r" 99%) | $(rps "mcp_$r") | $(pct "mcp_$r" 50%) | $(pct "mcp_$r" 99%) | $(errors "rest_$r")$(errors "mcp_$r") |"
  done
  echo
  echo "- REST / bare (medians): **$(awk -v g="$G" -v b="$B" 'BEGIN {printf "%.2f", g / b}')** (target: at least 0.7); per round: $(ratios rest)"
  echo "- MCP \`get_lead\` / bare (medians): **$(awk -v g="$M" -v b="$B" 'BEGIN {printf "%.2f", g / b}')** (target: at least 0.7); per round: $(ratios mcp)"
} >"$OUT/section.md"
[ "${BENCH_POINT_NO_RESULTS:-0}" = 1 ] || cat "$OUT/section.md" >>bench/RESULTS.md
cat "$OUT/section.md"

#!/usr/bin/env bash
# Write cost of PostgreSQL's schema 23 (issue 16: creates with dedup and POST /leads/batch may
# lose at most 10 %): one binary, one account of N seeded leads in a cluster, rounds alternating
# ABBA between WITH_SQL and WITHOUT_SQL (files of SQL putting the indexes and the trigger in each
# shape), each round wrk on creates with dedup (bench/create_lead.lua, 2 threads x 32
# connections) then batches of 500 (bench/batch_leads.lua, 4 connections). One request in ten
# names its leads with a non-ASCII character ("Bench Co" -> "Bénch C", the same bytes), as 10 %
# of the query matrix's names do, so the trigger of schema 23 runs as often.
# Usage: bench/query_matrix_pg_writes.sh KLOZEO PG_URL KEY; env ROUNDS=2 (x ABBA), DUR=5s,
# QM_PORT=18474, WITH_SQL, WITHOUT_SQL, PG_PID (the cluster's postmaster, for CPU). Prints one line
# per run: state, requests and CPU ms per request (server + cluster) of each test, the load.
set -euo pipefail
BIN=$1; PG_URL=$2; KEY=$3; OUT=bench/out/qm_pg_writes; mkdir -p "$OUT"
PORT=${QM_PORT:-18474}; ROUNDS=${ROUNDS:-2}; DUR=${DUR:-5s}
for f in create_lead batch_leads; do
  from="Bench Co"; to="Bénch C"
  [ $f = batch_leads ] && from="Import Co" && to="Impört C"
  cat >"$OUT/$f.lua" <<LUA
dofile("bench/$f.lua")
local plain = request
local count = 0
request = function()
  count = count + 1
  local r = plain()
  if count % 10 == 0 then r = r:gsub("$from", "$to") end
  return r
end
LUA
done
# CPU seconds (user + system) of the server and of the cluster's processes (PG_PID: its
# postmaster's pid): throughput on a shared machine follows the load, CPU per request less so.
cpu() {
  local t=0 p
  for p in $1 ${PG_PID:-} $( [ -n "${PG_PID:-}" ] && pgrep -P "$PG_PID"); do
    [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
  done
  echo "$t"
}
run() {  # state sql
  psql -q "$PG_URL" -f "$2" >/dev/null
  "$BIN" serve --db "$PG_URL" --listen "127.0.0.1:$PORT" --log-level warn >"$OUT/server.out" 2>&1 &
  local server=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local c b t0 t1 t2 cn bn hz
  hz=$(getconf CLK_TCK)
  t0=$(cpu $server)
  c=$(wrk -t2 -c32 -d"$DUR" -s "$OUT/create_lead.lua" -H "X-API-Key: $KEY" \
      "http://127.0.0.1:$PORT/" | awk '/requests in/ {print $1}')
  t1=$(cpu $server)
  b=$(wrk -t2 -c4 -d"$DUR" -s "$OUT/batch_leads.lua" -H "X-API-Key: $KEY" \
      "http://127.0.0.1:$PORT/" | awk '/requests in/ {print $1}')
  t2=$(cpu $server)
  kill -TERM $server; wait $server || true
  echo "$1 creates $c cpu_ms/create $(awk -v t=$((t1 - t0)) -v n=$c -v hz=$hz 'BEGIN {printf "%.3f", t * 1000 / hz / n}')" \
    "batches $b cpu_ms/batch $(awk -v t=$((t2 - t1)) -v n=$b -v hz=$hz 'BEGIN {printf "%.1f", t * 1000 / hz / n}')" \
    "load $load"
}
for r in $(seq 1 "$ROUNDS"); do
  run with "$WITH_SQL"; run without "$WITHOUT_SQL"; run without "$WITHOUT_SQL"; run with "$WITH_SQL"
done

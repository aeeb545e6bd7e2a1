#!/usr/bin/env bash
# PostgreSQL beside SQLite, one process and two: point reads, creates (the dedup write path),
# listing pages, and the cost of the shared rate-limit counter. Updates the "PostgreSQL"
# section of bench/RESULTS.md from one round.
# Usage: bench/postgres.sh [BUILD_DIR]
#   BENCH_PG_DSN=postgresql://user@host:port/db  an existing server (a database
#   `klozeo_bench` is created on it and dropped after); without it a throwaway cluster is
#   started by scripts/with-postgres.sh.
# Everything talks to 127.0.0.1 only; every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
source bench/lib.sh
bench_pg_dsn "$0" "$@"

OUT="bench/out/pg"
LEADS="${BENCH_LEADS:-100000}"
DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNECTIONS:-32}"
PORT_A="${BENCH_PORT:-18777}"  # not query_matrix.sh's 18775
PORT_B=$((PORT_A + 1))
mkdir -p "$OUT"
rm -f "$OUT"/bench.db*

# The bench database on the PostgreSQL server, dropped on exit.
bench_pg_database klozeo_bench
SQLITE_URL="sqlite:$OUT/bench.db"

echo "== seeding $LEADS leads into SQLite and PostgreSQL"
KEY_SQLITE=$("$BUILD/bench/seed_leads" "$SQLITE_URL" "$LEADS" "$OUT/ids_sqlite.txt")
T0=$(date +%s.%N)
KEY_PG=$("$BUILD/bench/seed_leads" "$PG_URL" "$LEADS" "$OUT/ids_pg.txt")
T1=$(date +%s.%N)
SEED_PG=$(awk -v a="$T0" -v b="$T1" -v n="$LEADS" 'BEGIN {printf "%.0f", n / (b - a)}')
psql -q "$PG_URL" -c "VACUUM ANALYZE" >/dev/null

start_server() {  # db url, port, extra args...
  local db=$1 port=$2
  shift 2
  bench_serve "server_$port" "$db" "$port" --log-level warn "$@"
}

lua_scripts() {  # key, ids file, instance tag
  local key=$1 ids=$2 tag=$3
  cat >"$OUT/get_$tag.lua" <<LUA
local ids = {}
for line in io.lines("$ids") do ids[#ids + 1] = line end
math.randomseed($RANDOM)
wrk.headers["X-API-Key"] = "$key"
request = function() return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)]) end
LUA
  cat >"$OUT/create_$tag.lua" <<LUA
local n = 0
local thread_ids = 0
function setup(thread) thread_ids = thread_ids + 1; thread:set("tid", thread_ids) end
wrk.method = "POST"
wrk.headers["X-API-Key"] = "$key"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local who = "$tag-" .. tostring(tid) .. "-" .. n
  return wrk.format(nil, "/api/v1/leads", nil,
    '{"name":"Bench ' .. who .. '","source":"bench","email":"' .. who .. '@bench.io","city":"Lyon"}')
end
LUA
  cat >"$OUT/list_$tag.lua" <<LUA
wrk.headers["X-API-Key"] = "$key"
request = function()
  return wrk.format("GET", "/api/v1/leads?limit=50&sort=rating&order=desc&filter=and.eq.city.Paris")
end
LUA
}

run_one() {  # name, port, workload tag-file
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$OUT/$3.lua" "http://127.0.0.1:$2/" >"$OUT/$1.txt"
  echo "$1: $(rps "$1") req/s"
}
run_two() {  # name, workload (two wrk at once, half the connections each, summed)
  wrk -t1 -c$((CONNS / 2)) -d"$DURATION" --latency -s "$OUT/$2_a.lua" "http://127.0.0.1:$PORT_A/" >"$OUT/$1_a.txt" &
  local w=$!
  wrk -t1 -c$((CONNS / 2)) -d"$DURATION" --latency -s "$OUT/$2_b.lua" "http://127.0.0.1:$PORT_B/" >"$OUT/$1_b.txt"
  wait $w
  awk -v a="$(rps "$1_a")" -v b="$(rps "$1_b")" 'BEGIN {printf "Requests/sec: %.2f\n", a + b}' >"$OUT/$1.txt"
  grep -h -E '^ +(50|99)%' "$OUT/$1_a.txt" >>"$OUT/$1.txt"
  echo "$1: $(rps "$1") req/s (sum of two processes)"
}

echo "== SQLite, one process"
lua_scripts "$KEY_SQLITE" "$OUT/ids_sqlite.txt" s
start_server "$SQLITE_URL" "$PORT_A"
run_one sqlite1_get "$PORT_A" get_s
run_one sqlite1_list "$PORT_A" list_s
run_one sqlite1_create "$PORT_A" create_s
bench_stop_all

echo "== PostgreSQL, one process"
lua_scripts "$KEY_PG" "$OUT/ids_pg.txt" p
lua_scripts "$KEY_PG" "$OUT/ids_pg.txt" p_a
lua_scripts "$KEY_PG" "$OUT/ids_pg.txt" p_b
start_server "$PG_URL" "$PORT_A"
run_one pg1_get "$PORT_A" get_p
run_one pg1_list "$PORT_A" list_p
run_one pg1_create "$PORT_A" create_p
bench_stop_all

echo "== PostgreSQL, one process, every request counted in the shared rate window"
start_server "$PG_URL" "$PORT_A" --plan "unlimited:requests=1000000000,window=600"
run_one pg1_get_limited "$PORT_A" get_p
bench_stop_all

echo "== PostgreSQL, two processes"
start_server "$PG_URL" "$PORT_A"
start_server "$PG_URL" "$PORT_B"
run_two pg2_get get_p
run_two pg2_list list_p
run_two pg2_create create_p
bench_stop_all

row() {  # label, run name
  echo "| $1 | $(rps "$2") | $(pct "$2" 50%) | $(pct "$2" 99%) |"
}

SECTION="$OUT/section.md"
{
  echo "## PostgreSQL beside SQLite; two processes on PostgreSQL"
  echo
  echo "Written by \`bench/postgres.sh\` on $(date -u +%Y-%m-%d), one round, $(nproc) cores shared by the"
  echo "PostgreSQL $(psql -tA "$BENCH_PG_DSN" -c 'SHOW server_version' | awk '{print $1}') server, every klozeo process and wrk ($CONNS connections, $DURATION"
  echo "a run; with two processes, two wrk at once with half the connections each, req/s summed,"
  echo "latencies of the first). $LEADS leads seeded by \`seed_leads\` in one account (PostgreSQL:"
  echo "$SEED_PG leads/s through the store). The throwaway cluster of \`scripts/with-postgres.sh\`"
  echo "runs without fsync, as it does for the tests: write figures are an upper bound."
  echo
  echo "| run | req/s | p50 | p99 |"
  echo "|---|---|---|---|"
  row "SQLite, 1 process: \`GET /leads/{id}\`" sqlite1_get
  row "PostgreSQL, 1 process: \`GET /leads/{id}\`" pg1_get
  row "PostgreSQL, 2 processes: \`GET /leads/{id}\`" pg2_get
  row "SQLite, 1 process: list page (city filter, rating sort, 50)" sqlite1_list
  row "PostgreSQL, 1 process: list page" pg1_list
  row "PostgreSQL, 2 processes: list page" pg2_list
  row "SQLite, 1 process: \`POST /leads\` (dedup lookups + insert)" sqlite1_create
  row "PostgreSQL, 1 process: \`POST /leads\`" pg1_create
  row "PostgreSQL, 2 processes: \`POST /leads\`" pg2_create
  row "PostgreSQL, 1 process: \`GET /leads/{id}\`, rate-limited plan (shared counter)" pg1_get_limited
  echo
  echo "- PostgreSQL / SQLite, one process: reads **$(ratio "$(rps pg1_get)" "$(rps sqlite1_get)")**, lists **$(ratio "$(rps pg1_list)" "$(rps sqlite1_list)")**, creates **$(ratio "$(rps pg1_create)" "$(rps sqlite1_create)")**."
  echo "- PostgreSQL, two processes / one: reads **$(ratio "$(rps pg2_get)" "$(rps pg1_get)")**, lists **$(ratio "$(rps pg2_list)" "$(rps pg1_list)")**, creates **$(ratio "$(rps pg2_create)" "$(rps pg1_create)")**. One round on $(nproc) cores shared with the database, wrk and other work, so ratios swing widely between rounds; a second process cannot add CPU here: read this as several processes staying correct at comparable throughput, not as a scale-out figure. Creates all go to one account, whose write transactions the advisory lock serialises across processes."
  echo "- Shared rate-limit counter (budget 10^9, so reserved 1,000 requests at a time): reads at **$(ratio "$(rps pg1_get_limited)" "$(rps pg1_get)")** of the unlimited rate."
  echo "- Non-2xx answers: $(for r in sqlite1_create pg1_create pg2_create_a pg2_create_b pg1_get_limited; do printf '%s=%s ' "$r" "$(non2xx "$r" || true)"; done)(empty: none)."
  echo
} >"$SECTION"

python3 bench/results.py "$SECTION"  # replaces its section of bench/RESULTS.md
cat "$SECTION"

# Sourced by the bench scripts (bench/run.sh, point_read.sh, mcp.sh, postgres.sh,
# ingest_postgres.sh): servers started, awaited and stopped; the realistic account seeded once
# and kept; PostgreSQL databases; an MCP session; wrk's figures. The caller sets BUILD (the
# build directory) and OUT (where its files go) and runs from the repository root.
# Everything talks to 127.0.0.1 only.

BENCH_PIDS=()
BENCH_EXIT=()  # commands run on exit, after the servers are stopped
bench_on_exit() {
  local p c
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${BENCH_EXIT[@]}"; do eval "$c" || true; done
}
trap bench_on_exit EXIT

# bench_wait_healthy PORT PID ERRFILE: waits until /healthz answers (a kept database may build
# new indexes first: up to 10 minutes); fails with the server's errors if it exits.
bench_wait_healthy() {
  local port=$1 pid=$2 err=$3
  for _ in $(seq 1 3000); do
    # Another process answering on the port does not count: ours must still run.
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && sleep 0.1 && kill -0 "$pid" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server on port $port exited" >&2
      cat "$err" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "server on port $port did not start" >&2
  return 1
}

# bench_serve NAME DB_URL PORT [serve flags...]: starts `klozeo serve` (output in
# $OUT/NAME.out and .err), waits for it, and sets BENCH_PID (also kept in BENCH_PIDS, killed on
# exit).
bench_serve() {
  local name=$1 db=$2 port=$3
  shift 3
  "$BUILD/klozeo" serve --db "$db" --listen "127.0.0.1:$port" "$@" \
    >"$OUT/$name.out" 2>"$OUT/$name.err" &
  BENCH_PID=$!
  BENCH_PIDS+=("$BENCH_PID")
  bench_wait_healthy "$port" "$BENCH_PID" "$OUT/$name.err"
}

# bench_stop PID...: SIGTERM (graceful stop) and wait.
bench_stop() {
  local p
  for p in "$@"; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}

# bench_stop_all: stops every server bench_serve started.
bench_stop_all() {
  bench_stop "${BENCH_PIDS[@]}"
  BENCH_PIDS=()
}

# bench_realistic_sqlite LEADS: the realistic account of bench/seed_leads.cpp, seeded once
# into bench/out/qm/leads.db and kept (reseeded when seed_leads.cpp or LEADS changes, or with
# BENCH_QUERY_FRESH=1): the same file and stamp as bench/query_matrix.sh, so one seeding (many
# minutes at 1,000,000) serves every script. Sets BENCH_DB (its URL), BENCH_DB_FILE, BENCH_KEY
# (the account's API key) and BENCH_IDS (a file of every tenth lead id).
bench_realistic_sqlite() {
  local leads=$1 cache=bench/out/qm stamp
  mkdir -p "$cache"
  stamp="$leads $(sha1sum bench/seed_leads.cpp | cut -c1-12)"
  [ "${BENCH_QUERY_FRESH:-0}" = 1 ] && rm -f "$cache/sqlite.stamp"
  if [ ! -f "$cache/sqlite.stamp" ] || [ "$(cat "$cache/sqlite.stamp")" != "$stamp" ]; then
    echo "== seeding $leads realistic leads (kept in $cache)"
    rm -f "$cache/sqlite.stamp" "$cache"/leads.db*
    local t0
    t0=$(date +%s.%N)
    "$BUILD/bench/seed_leads" "sqlite:$cache/leads.db" "$leads" "$cache/sqlite.ids" >"$cache/sqlite.key"
    awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$leads" 'BEGIN {printf "%.0f leads/s\n", n / (b - a)}' \
      >"$cache/sqlite.seed_rate"
    rm -f "$cache/sqlite.rescored"
    echo "$stamp" >"$cache/sqlite.stamp"
  fi
  BENCH_DB_FILE="$cache/leads.db"
  BENCH_DB="sqlite:$BENCH_DB_FILE"
  BENCH_KEY=$(cat "$cache/sqlite.key")
  BENCH_IDS="$cache/sqlite.ids"
}

# bench_pg_dsn SCRIPT ARGS...: makes sure BENCH_PG_DSN names a PostgreSQL server; without one
# (nor KLOZEO_TEST_PG_DSN), runs SCRIPT again under scripts/with-postgres.sh (a throwaway
# cluster). Call it as: bench_pg_dsn "$0" "$@".
bench_pg_dsn() {
  if [ -z "${BENCH_PG_DSN:-}" ]; then
    if [ -z "${KLOZEO_TEST_PG_DSN:-}" ]; then
      exec ./scripts/with-postgres.sh "$@"
    fi
    BENCH_PG_DSN="$KLOZEO_TEST_PG_DSN"
  fi
}

# bench_pg_database NAME: a new, empty database NAME on BENCH_PG_DSN's server, dropped on
# exit; sets PG_URL (the DSN naming it).
bench_pg_database() {
  local name=$1 base query=""
  base="${BENCH_PG_DSN%%\?*}"
  [ "$base" != "$BENCH_PG_DSN" ] && query="?${BENCH_PG_DSN#*\?}"
  PG_URL="${base%/*}/$name$query"
  psql -q "$BENCH_PG_DSN" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
  BENCH_EXIT+=("psql -q \"\$BENCH_PG_DSN\" -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)' >/dev/null 2>&1")
}

# bench_mcp_session PORT KEY: initializes an MCP session over Streamable HTTP; prints its id.
bench_mcp_session() {
  curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$1/mcp" \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
    awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}' | tr -d '\r'
}

# bench_mcp_get_lead PORT KEY SESSION ID: one `tools/call get_lead`; fails unless a lead (not
# an error result) comes back.
bench_mcp_get_lead() {
  curl -sf -X POST "http://127.0.0.1:$1/mcp" -H "Authorization: Bearer $2" \
    -H "Mcp-Session-Id: $3" -H 'MCP-Protocol-Version: 2025-06-18' -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"get_lead\",\"arguments\":{\"id\":\"$4\"}}}" |
    grep -q '"isError":false'
}

# bench_cpu_seconds PID: user + system CPU time the process has used so far.
bench_cpu_seconds() {
  awk -v t="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / t}' "/proc/$1/stat"
}

# bench_job SERVER_PID NAME curl args...: one request timed by curl while the server's resident
# memory is sampled every 100 ms. The answer goes to $OUT/NAME.body; $OUT/NAME.txt gets
# "seconds bytes", then "cpu_after cpu_before rss_before_kb rss_peak_kb load_1min".
bench_job() {
  local server=$1 name=$2 cpu0 rss0 peak=0 sample pid
  shift 2
  cpu0=$(bench_cpu_seconds "$server")
  rss0=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
  curl -sf -o "$OUT/$name.body" -w '%{time_total} %{size_download}\n' "$@" >"$OUT/$name.txt" &
  pid=$!
  while kill -0 $pid 2>/dev/null; do
    sample=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    [ "$sample" -gt "$peak" ] && peak=$sample
    sleep 0.1
  done
  wait $pid
  echo "$(bench_cpu_seconds "$server") $cpu0 $rss0 $peak $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/$name.txt"
}

# wrk's figures, from $OUT/NAME.txt (wrk --latency output).
rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
non2xx() { awk '/Non-2xx/ {print $4}' "$OUT/$1.txt"; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

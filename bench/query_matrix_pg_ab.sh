#!/usr/bin/env bash
# The PostgreSQL query matrix, two binaries alternating on one seeded cluster (new, old, new, ...):
# each run puts the database's indexes in its binary's shape (OLD_SQL / NEW_SQL: files of SQL run
# with psql before the run, e.g. schema 23's indexes dropped for the old binary), starts the
# binary, runs bench/query_matrix.py and stops it; the load average is printed before and after.
# Usage: bench/query_matrix_pg_ab.sh OLD_KLOZEO NEW_KLOZEO PG_URL KEY [OUT_DIR]; env REQUESTS=20,
# RUNS=1 (new, old, new), QM_PORT=18473, ONLY (a regular expression of shape names),
# OLD_SQL, NEW_SQL, OLD_POST_SQL / NEW_POST_SQL (run once the binary is up: its migration done,
# e.g. VACUUM ANALYZE of what it built).
set -euo pipefail
source bench/lib.sh  # bench_wait_healthy
OLD=$1; NEW=$2; PG_URL=$3; KEY=$4; OUT=${5:-bench/out/qm_pg_ab}; mkdir -p "$OUT"
PORT=${QM_PORT:-18473}; REQUESTS=${REQUESTS:-20}; RUNS=${RUNS:-1}
run() {  # label binary sql post_sql
  [ -n "$3" ] && psql -q "$PG_URL" -f "$3" >/dev/null
  "$2" serve --db "$PG_URL" --listen "127.0.0.1:$PORT" --log-level warn >"$OUT/server_$1.out" 2>&1 &
  local server=$!
  bench_wait_healthy "$PORT" $server "$OUT/server_$1.out" || exit 1
  [ -n "${4:-}" ] && psql -q "$PG_URL" -f "$4" >/dev/null
  echo "$1: load before $(cut -d' ' -f1 /proc/loadavg)"
  python3 bench/query_matrix.py "http://127.0.0.1:$PORT/api/v1" "$KEY" "$OUT/$1.json" \
    --requests "$REQUESTS" ${ONLY:+--only "$ONLY"} >"$OUT/$1.txt" 2>&1
  echo "$1: load after $(cut -d' ' -f1 /proc/loadavg)"
  kill -TERM $server; wait $server || true
}
run new_0 "$NEW" "${NEW_SQL:-}" "${NEW_POST_SQL:-}"
for r in $(seq 1 "$RUNS"); do
  run "old_$r" "$OLD" "${OLD_SQL:-}" "${OLD_POST_SQL:-}"
  run "new_$r" "$NEW" "${NEW_SQL:-}" "${NEW_POST_SQL:-}"
done

#!/usr/bin/env bash
# A whole-account rescore on PostgreSQL, binaries alternating on one cluster: for each binary
# (old, new, old, new, ... RUNS times), starts it, alternates the bench rules' `rating` weight
# (bench/score_rules.py: 80 % of the scores change), times POST /leads/score/batch and reads the
# CPU seconds the server and the cluster's processes (backends, walwriter, checkpointer,
# autovacuum) spent meanwhile off /proc. The cluster must already be migrated for both binaries
# (a binary that finds a newer schema refuses it: run NEW after OLD only where NEW's schema is
# a superset, e.g. one with OLD_SQL / NEW_SQL files of SQL run with psql before each run).
# OLD_POST_SQL / NEW_POST_SQL: SQL run once the binary is up (its migration done), e.g. VACUUM.
# Usage: bench/rescore_pg.sh OLD_KLOZEO NEW_KLOZEO|- PG_URL KEY PG_DATA_DIR; env RUNS=1, SAME_RULES=1
# (the rules unchanged: a rescore that writes nothing),
# PORT=28202, OLD_SQL, NEW_SQL. Prints one line per run.
set -euo pipefail
source bench/lib.sh  # bench_wait_healthy
OLD=$1; NEW=$2; PG_URL=$3; KEY=$4; PGDATA=$5
PORT=${PORT:-28202}; RUNS=${RUNS:-1}
OUT=${OUT:-bench/out/rescore_pg}; mkdir -p "$OUT"
pg_cpu() {  # CPU seconds of the cluster's processes (the postmaster's children and itself)
  local pm; pm=$(head -1 "$PGDATA/postmaster.pid")
  local hz; hz=$(getconf CLK_TCK)
  { echo "$pm"; pgrep -P "$pm"; } | while read -r p; do
    [ -r "/proc/$p/stat" ] && awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || true
  done | awk -v hz="$hz" '{s += $1} END {printf "%.2f", s / hz}'
}
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
run() {  # label binary sql post_sql
  [ -n "$3" ] && psql -q "$PG_URL" -f "$3" >/dev/null
  "$2" serve --db "$PG_URL" --listen "127.0.0.1:$PORT" --log-level warn >"$OUT/server_$1.out" 2>&1 &
  local server=$!
  bench_wait_healthy "$PORT" $server "$OUT/server_$1.out" || exit 1
  [ -n "${4:-}" ] && psql -q "$PG_URL" -f "$4" >/dev/null
  if [ "${SAME_RULES:-0}" = 1 ]; then echo same >"$OUT/$1.weight"; else
    python3 bench/score_rules.py "http://127.0.0.1:$PORT/api/v1" "$KEY" "$OUT/$1.weight"
  fi
  local load0 c0 s0 wall c1 s1
  load0=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(pg_cpu); s0=$(proc_cpu $server)
  wall=$(curl -sf -o "$OUT/$1.body" -w '%{time_total}' -X POST -H "X-API-Key: $KEY" \
    "http://127.0.0.1:$PORT/api/v1/leads/score/batch")
  c1=$(pg_cpu); s1=$(proc_cpu $server)
  echo "$1: wall $wall s, postgres CPU $(echo "$c1 - $c0" | bc) s, server CPU $(echo "$s1 - $s0" | bc) s, weight $(cat "$OUT/$1.weight"), load $load0 -> $(cut -d' ' -f1 /proc/loadavg)"
  kill -TERM $server; wait $server || true
}
for r in $(seq 1 "$RUNS"); do
  run "old_$r" "$OLD" "${OLD_SQL:-}" "${OLD_POST_SQL:-}"
  [ "$NEW" = - ] || run "new_$r" "$NEW" "${NEW_SQL:-}" "${NEW_POST_SQL:-}"
done

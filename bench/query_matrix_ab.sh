#!/usr/bin/env bash
# The SQLite query matrix, two binaries alternating on the same file (old, new, old, new):
# each run starts its binary on bench/out/qm/leads.db, runs bench/query_matrix.py and stops it;
# the load average is printed before and after each run. A binary that does not know the
# file's newest schema version leaves it alone (a newer build upgrades it at its first start).
# Usage: bench/query_matrix_ab.sh OLD_KLOZEO NEW_KLOZEO [OUT_DIR]; env REQUESTS=40, RUNS=2,
# QM_PORT=18472, ONLY (a regular expression of shape names).
set -euo pipefail
OLD=$1; NEW=$2; OUT=${3:-bench/out/qm_ab}; mkdir -p "$OUT"
PORT=${QM_PORT:-18472}; REQUESTS=${REQUESTS:-40}; RUNS=${RUNS:-2}
DB=bench/out/qm/leads.db; KEY=$(cat bench/out/qm/sqlite.key)
for r in $(seq 1 "$RUNS"); do
  for v in old new; do
    bin=$OLD; [ $v = new ] && bin=$NEW
    "$bin" serve --db "sqlite:$DB" --listen "127.0.0.1:$PORT" --log-level warn \
      >"$OUT/server_${v}_$r.out" 2>&1 &
    server=$!
    for _ in $(seq 1 3000); do
      curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
      kill -0 $server 2>/dev/null || { cat "$OUT/server_${v}_$r.out" >&2; exit 1; }
      sleep 0.2
    done
    echo "$v run $r: load before $(cut -d' ' -f1 /proc/loadavg)"
    python3 bench/query_matrix.py "http://127.0.0.1:$PORT/api/v1" "$KEY" "$OUT/${v}_$r.json" \
      --requests "$REQUESTS" ${ONLY:+--only "$ONLY"} >"$OUT/${v}_$r.txt" 2>&1
    echo "$v run $r: load after $(cut -d' ' -f1 /proc/loadavg)"
    kill -TERM $server; wait $server || true
  done
done

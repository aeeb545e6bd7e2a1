#!/usr/bin/env bash
# Whole-account jobs, old binary against new, on the same kept realistic SQLite account
# (bench/lib.sh, bench_realistic_sqlite): for each round and binary in turn, a server is
# started on the file, bench/score_rules.py flips the `rating` rule's weight (so about 80 % of
# the scores change), then `POST /leads/score/batch` runs twice (first: the scores change and
# are written; again: nothing to write) and a CSV export follows. Prints one line per job:
# curl's seconds, the server's CPU seconds during the request, its memory growth (peak) and
# the 1-minute load average after it.
# Usage: bench/jobs_ab.sh OLD_KLOZEO NEW_KLOZEO [ROUNDS]   (BENCH_JOBS_LEADS, default 1000000)
# Everything talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1
NEW=$2
ROUNDS=${3:-1}
BUILD=build/release
OUT=bench/out/jobs_ab
PORT=${BENCH_JOBS_PORT:-18767}
mkdir -p "$OUT"
source bench/lib.sh
bench_realistic_sqlite "${BENCH_JOBS_LEADS:-1000000}"
BASE="http://127.0.0.1:$PORT/api/v1"

job() {  # label, curl args...
  local label=$1
  shift
  bench_job "$SERVER" job "$@"
  awk -v label="$label" 'NR == 1 {s = $1} NR == 2 {
    printf "%-28s %6.2f s wall  %6.2f s CPU  %6.1f MB growth  load %s\n", label, s, $1 - $2, ($4 - $3) / 1024, $5 }' "$OUT/job.txt"
  rm -f "$OUT/job.body"
}

for round in $(seq 1 "$ROUNDS"); do
  for which in old new; do
    bin=$OLD
    [ "$which" = new ] && bin=$NEW
    "$bin" serve --db "$BENCH_DB" --listen "127.0.0.1:$PORT" --log-level warn \
      >"$OUT/$which.out" 2>"$OUT/$which.err" &
    SERVER=$!
    BENCH_PIDS+=("$SERVER")
    bench_wait_healthy "$PORT" "$SERVER" "$OUT/$which.err"
    python3 bench/score_rules.py "$BASE" "$BENCH_KEY"
    job "$which rescore first" -X POST -H "X-API-Key: $BENCH_KEY" "$BASE/leads/score/batch"
    job "$which rescore again" -X POST -H "X-API-Key: $BENCH_KEY" "$BASE/leads/score/batch"
    if [ "${BENCH_JOBS_EXPORT:-1}" = 1 ]; then
      job "$which export csv" -H "X-API-Key: $BENCH_KEY" "$BASE/leads/export?format=csv"
    fi
    bench_stop "$SERVER"
  done
done

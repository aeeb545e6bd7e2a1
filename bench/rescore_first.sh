#!/usr/bin/env bash
# The first, writing rescore of a small account, old binary against new: for each round and
# binary in turn, a fresh copy of bench/ab.sh's seeded file (N leads, kept in bench/out/ab) is
# served, bench/ab.sh's five rules are created, and one `POST /leads/score/batch` writes every
# lead's score. Prints curl's wall time and the server's CPU (utime + stime from /proc) for the
# request, per run, and the load average.
# Usage: bench/rescore_first.sh OLD_KLOZEO NEW_KLOZEO [ROUNDS]; env N (20000), AB_PORT.
# Run bench/ab.sh once first (TESTS=rescore, same N) to seed and keep the file. 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1; NEW=$2; ROUNDS=${3:-5}
OUT=bench/out/ab; PORT=${AB_PORT:-18912}
[ -f $OUT/keep.db ] || { echo "no $OUT/keep.db: run bench/ab.sh first" >&2; exit 1; }
KEY=$(cat $OUT/key)
RULES=(
  '{"name":"rating","expression":"rating * 20","weight":0.5}'
  '{"name":"reviews","expression":"review_count > 100 ? 30 : 0"}'
  '{"name":"contact","expression":"(email != nil ? 10 : 0) + (phone != nil ? 10 : 0)"}'
  '{"name":"recent","expression":"days_since(last_interaction_at) < 7 ? 20 : 0"}'
  '{"name":"size","expression":"attr_employees > 500 ? 10 : 0"}'
)
up() { for _ in $(seq 1 600); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && return; sleep 0.1; done; }
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
for v in old new; do  # each binary's copy of the file (the new one upgrades it once)
  bin=$OLD; [ $v = new ] && bin=$NEW
  cp $OUT/keep.db $OUT/first_$v.db; rm -f $OUT/first_$v.db-wal $OUT/first_$v.db-shm
  "$bin" serve --db "sqlite:$OUT/first_$v.db" --listen 127.0.0.1:$PORT >/dev/null 2>&1 & S=$!; up
  kill -TERM $S; wait $S || true
done
TICK=$(getconf CLK_TCK)
for r in $(seq 1 $ROUNDS); do
  for v in old new; do
    bin=$OLD; [ $v = new ] && bin=$NEW
    cp $OUT/first_$v.db $OUT/run_first.db; rm -f $OUT/run_first.db-wal $OUT/run_first.db-shm
    "$bin" serve --db "sqlite:$OUT/run_first.db" --listen 127.0.0.1:$PORT >/dev/null 2>&1 & S=$!; up
    for rule in "${RULES[@]}"; do
      curl -sf -o /dev/null -X POST -H "X-API-Key: $KEY" -d "$rule" "http://127.0.0.1:$PORT/api/v1/scoring-rules"
    done
    c0=$(cpu $S)
    t=$(curl -sf -o /dev/null -w '%{time_total}' -X POST -H "X-API-Key: $KEY" "http://127.0.0.1:$PORT/api/v1/leads/score/batch")
    c1=$(cpu $S)
    t2=$(curl -sf -o /dev/null -w '%{time_total}' -X POST -H "X-API-Key: $KEY" "http://127.0.0.1:$PORT/api/v1/leads/score/batch")
    c2=$(cpu $S)
    awk -v r=$r -v v=$v -v t=$t -v c=$((c1 - c0)) -v t2=$t2 -v c2=$((c2 - c1)) -v k=$TICK -v l="$(cut -d' ' -f1 /proc/loadavg)" \
      'BEGIN {printf "round %d %-3s first %6.0f ms wall %5.0f ms CPU | again %6.0f ms wall %5.0f ms CPU | load %s\n", r, v, t*1000, c*1000/k, t2*1000, c2*1000/k, l}'
    kill -TERM $S; wait $S || true
  done
done
rm -f $OUT/run_first.db* $OUT/first_*.db*

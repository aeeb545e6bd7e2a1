#!/usr/bin/env bash
# A/B of two klozeo binaries in one run (e.g. an old release's and a branch's): each serves a
# fresh copy of the same SQLite file of N seeded leads for every test, in interleaved rounds; prints a Markdown table
# of median requests/s and per-round p99, with the load average before and after. Short runs:
# the machine is shared.
# The file is seeded by SEED_LEADS, by default the old build's own seeder (OLD_KLOZEO's
# directory/bench/seed_leads, when there is one), so the old binary can open it; the new binary
# upgrades a copy of it once, before the rounds, and serves copies of that.
# Tests: get (GET /leads/{id}, 64 connections), list (two filters and a sort, 4), create
# (POST /leads with dedup, 32), batch (POST /leads/batch of 500 users'-like leads, 4), rescore
# (POST /leads/score/batch over every lead, 5 rules created just before, 1 connection), export
# (GET /leads/export?format=csv of every lead, 1 connection).
# Usage: bench/ab.sh OLD_KLOZEO [NEW_KLOZEO [SEED_LEADS]]; env TESTS="get list create batch
# rescore export", DUR=5s, ROUNDS=3, N=50000, AB_PORT.
set -euo pipefail
OLD=$1; NEW=${2:-build/release/klozeo}
SEED=$(dirname "$OLD")/bench/seed_leads
[ -x "$SEED" ] || SEED=${3:-build/release/bench/seed_leads}
OUT=bench/out/ab; mkdir -p $OUT; rm -f $OUT/run.db* $OUT/base_*.db* $OUT/*.txt
PORT=${AB_PORT:-18911}; DUR=${DUR:-5s}; ROUNDS=${ROUNDS:-3}; N=${N:-50000}
TESTS=${TESTS:-get list create batch rescore export}
# The seeded file is kept between runs (bench/out/ab/keep.db); its seeder and size name it.
STAMP="$N $(md5sum <"$SEED" | cut -c1-12)"
if [ ! -f $OUT/keep.db ] || [ "$(cat $OUT/keep.stamp 2>/dev/null)" != "$STAMP" ]; then
  rm -f $OUT/keep.db*
  KEY=$("$SEED" "sqlite:$OUT/keep.db" "$N" $OUT/ids.lst); echo "$KEY" >$OUT/key
  echo "$STAMP" >$OUT/keep.stamp
fi
KEY=$(cat $OUT/key); ID=$(head -1 $OUT/ids.lst)
RULES=(
  '{"name":"rating","expression":"rating * 20","weight":0.5}'
  '{"name":"reviews","expression":"review_count > 100 ? 30 : 0"}'
  '{"name":"contact","expression":"(email != nil ? 10 : 0) + (phone != nil ? 10 : 0)"}'
  '{"name":"recent","expression":"days_since(last_interaction_at) < 7 ? 20 : 0"}'
  '{"name":"size","expression":"attr_employees > 500 ? 10 : 0"}'
)
echo 'wrk.method = "POST"' >$OUT/post.lua
up() { for _ in $(seq 1 600); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && return; sleep 0.1; done; }
start() {  # binary, db file
  "$1" serve --db "sqlite:$2" --listen 127.0.0.1:$PORT >/dev/null 2>&1 & SERVER=$!; up; }
stop() { kill -TERM $SERVER; wait $SERVER || true; }
cp $OUT/keep.db $OUT/base_old.db
cp $OUT/keep.db $OUT/base_new.db
start "$NEW" $OUT/base_new.db; stop  # the new binary's upgrade of the file, done once
serve() {  # old|new
  local bin=$OLD; [ "$1" = new ] && bin=$NEW
  cp $OUT/base_$1.db $OUT/run.db; rm -f $OUT/run.db-wal $OUT/run.db-shm
  start "$bin" $OUT/run.db
}
w() {  # name, connections, path, [script], [threads]
  wrk -t"${5:-2}" -c"$2" -d$DUR --latency -H "X-API-Key: $KEY" ${4:+-s $4} \
    "http://127.0.0.1:$PORT$3" >$OUT/$1.txt
}
echo "load before: $(uptime)" >&2
for r in $(seq 1 $ROUNDS); do
  vs="old new"; [ $((r % 2)) -eq 0 ] && vs="new old"
  for v in $vs; do
    for t in $TESTS; do serve $v; case $t in
      get) w get_${v}_$r 64 /api/v1/leads/$ID ;;
      list) w list_${v}_$r 4 "/api/v1/leads?filter=and.eq.city.Paris&filter=and.gte.rating.2&sort_by=rating&sort_order=DESC&limit=50" ;;
      create) w create_${v}_$r 32 / bench/create_lead.lua ;;
      batch) w batch_${v}_$r 4 / bench/batch_leads.lua ;;
      rescore)
        for rule in "${RULES[@]}"; do
          curl -sf -o /dev/null -X POST -H "X-API-Key: $KEY" -d "$rule" \
            "http://127.0.0.1:$PORT/api/v1/scoring-rules"
        done
        w rescore_${v}_$r 1 /api/v1/leads/score/batch $OUT/post.lua 1 ;;
      export) w export_${v}_$r 1 "/api/v1/leads/export?format=csv" "" 1 ;;
    esac; stop; done
  done
done
echo "load after: $(uptime)" >&2
rps() { awk '/Requests\/sec/ {print $2}' $OUT/$1.txt; }
p99() { awk '$1 == "99%" {print $2}' $OUT/$1.txt; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
echo "| request | old req/s (median) | new req/s (median) | new/old | old p99 (r1..) | new p99 (r1..) |"
echo "|---|---|---|---|---|---|"
for t in $TESTS; do
  o=$(for r in $(seq 1 $ROUNDS); do rps ${t}_old_$r; done | median)
  n=$(for r in $(seq 1 $ROUNDS); do rps ${t}_new_$r; done | median)
  op=$(for r in $(seq 1 $ROUNDS); do p99 ${t}_old_$r; done | tr '\n' ' ')
  np=$(for r in $(seq 1 $ROUNDS); do p99 ${t}_new_$r; done | tr '\n' ' ')
  echo "| $t | $o | $n | $(awk -v a=$n -v b=$o 'BEGIN{printf "%.2f", a/b}') | $op | $np |"
done
for f in $OUT/*.txt; do e=$(awk '/Non-2xx|Socket errors/' $f); [ -n "$e" ] && echo "$(basename $f): $e"; done
rm -f $OUT/run.db* $OUT/base_*.db*

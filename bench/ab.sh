#!/usr/bin/env bash
# A/B of two klozeo binaries in one run (e.g. main's and a branch's): each serves a copy of the
# same SQLite file of N seeded leads, in interleaved rounds; prints a Markdown table of median
# requests/s and per-round p99. Short runs: the machine is shared.
# Usage: bench/ab.sh OLD_KLOZEO [NEW_KLOZEO [SEED_LEADS]]; env TESTS="get list create batch",
# DUR=5s, ROUNDS=3, N=50000.
set -euo pipefail
OLD=$1; NEW=${2:-build/release/klozeo}; SEED=${3:-build/release/bench/seed_leads}
OUT=bench/out/ab; mkdir -p $OUT; rm -f $OUT/run.db* $OUT/base.db* $OUT/*.txt
PORT=${AB_PORT:-18911}; DUR=${DUR:-5s}; ROUNDS=${ROUNDS:-3}; N=${N:-50000}
[ -f $OUT/keep.db ] || { KEY=$($SEED "sqlite:$OUT/keep.db" "$N" $OUT/ids.lst); echo "$KEY" > $OUT/key; }
KEY=$(cat $OUT/key); cp $OUT/keep.db $OUT/base.db
ID=$(head -1 $OUT/ids.lst)
"$(dirname "$0")/batch_body.sh" >$OUT/batch.json
cat >$OUT/batch.lua <<LUA
local f = io.open("$OUT/batch.json"); local body = f:read("*a"); f:close()
request = function() return wrk.format("POST", "/api/v1/leads/batch", nil, body) end
LUA
serve() { cp $OUT/base.db $OUT/run.db; rm -f $OUT/run.db-wal $OUT/run.db-shm
  "$1" serve --db "sqlite:$OUT/run.db" --listen 127.0.0.1:$PORT >/dev/null 2>&1 & SERVER=$!
  for _ in $(seq 1 300); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.1; done; }
stop() { kill -TERM $SERVER; wait $SERVER || true; }
w() { wrk -t2 -c"$2" -d$DUR --latency -H "X-API-Key: $KEY" ${4:+-s $4} "http://127.0.0.1:$PORT$3" > $OUT/$1.txt; }
for r in $(seq 1 $ROUNDS); do
  vs="old new"; [ $((r % 2)) -eq 0 ] && vs="new old"
  for v in $vs; do
    B=$OLD; [ $v = new ] && B=$NEW
    serve $B
    for t in ${TESTS:-get list create batch}; do case $t in
      get) w get_${v}_$r 64 /api/v1/leads/$ID ;;
      list) w list_${v}_$r 4 "/api/v1/leads?filter=and.eq.city.Paris&filter=and.gte.rating.2&sort_by=rating&sort_order=DESC&limit=50" ;;
      create) w create_${v}_$r 32 / bench/create_lead.lua ;;
      batch) w batch_${v}_$r 4 / $OUT/batch.lua ;;
    esac; done
    stop
  done
done
rps() { awk '/Requests\/sec/ {print $2}' $OUT/$1.txt; }
p99() { awk '$1 == "99%" {print $2}' $OUT/$1.txt; }
err() { awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' $OUT/$1.txt; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
echo "| request | old req/s (median) | new req/s (median) | new/old | old p99 (r1..) | new p99 (r1..) |"
echo "|---|---|---|---|---|---|"
for t in ${TESTS:-get list create batch}; do
  o=$(for r in $(seq 1 $ROUNDS); do rps ${t}_old_$r; done | median)
  n=$(for r in $(seq 1 $ROUNDS); do rps ${t}_new_$r; done | median)
  op=$(for r in $(seq 1 $ROUNDS); do p99 ${t}_old_$r; done | tr '\n' ' ')
  np=$(for r in $(seq 1 $ROUNDS); do p99 ${t}_new_$r; done | tr '\n' ' ')
  echo "| $t | $o | $n | $(awk -v a=$n -v b=$o 'BEGIN{printf "%.2f", a/b}') | $op | $np |"
done
for f in $OUT/*.txt; do e=$(awk '/Non-2xx|Socket errors/' $f); [ -n "$e" ] && echo "$(basename $f): $e"; done
rm -f $OUT/run.db* $OUT/base.db*

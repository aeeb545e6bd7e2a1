#!/usr/bin/env bash
# POST /leads with dedup at a million leads, the old release against this build (issue 15:
# "no slower than today", p99 not worse). One file of N leads written by the old release's own
# seeder (kept in bench/out/create_ab/old.db, with its key and a stamp naming seeder and size);
# this build upgrades a copy of it once (kept as new.db, the upgrade timed). Each round then
# serves a fresh copy of its binary's file (copied, served, deleted): wrk, 2 threads, 32
# connections, DUR, bench/create_lead.lua; the order alternates by round. Prints a Markdown
# table of creates/s per round, the medians, their ratio and the p99s, with the load average
# of every round. Disk: three files of the size of old.db at once (about 3 GB each at 1,000,000).
# Usage: bench/create_1m_ab.sh; env OLD_KLOZEO (the old release's binary; its seeder is
# bench/seed_leads beside it), BUILD (this build, build/release), N (1000000), ROUNDS (4),
# DUR (5s), PHONES ("sequential random": the lua script's CREATE_PHONES modes, each a table
# row), PERF=1 (one more round of this build under `perf record --call-graph dwarf`, its
# report in $OUT/perf.txt), KEEP=1 (keep old.db and new.db for the next run), AB_PORT.
set -euo pipefail
OLD=${OLD_KLOZEO:-/work/wt/batch-old/build/release/klozeo}
SEED=$(dirname "$OLD")/bench/seed_leads
BUILD=${BUILD:-build/release}
OUT=bench/out/create_ab
N=${N:-1000000}; ROUNDS=${ROUNDS:-4}; DUR=${DUR:-5s}; PORT=${AB_PORT:-18931}
PHONES=${PHONES:-sequential random}
source bench/lib.sh
mkdir -p $OUT
rm -f $OUT/run.db* $OUT/*.txt

stamp="$N $(md5sum <"$SEED" | cut -c1-12)"
if [ ! -f $OUT/old.db ] || [ "$(cat $OUT/old.stamp 2>/dev/null)" != "$stamp" ]; then
  rm -f $OUT/old.db* $OUT/new.db* $OUT/old.stamp $OUT/new.stamp
  echo "== seeding $N leads with $SEED" >&2
  t0=$(date +%s)
  "$SEED" "sqlite:$OUT/old.db" "$N" $OUT/ids >$OUT/key 2>$OUT/seed.err
  echo "seeded in $(($(date +%s) - t0)) s ($(uptime))" >&2
  echo "$stamp" >$OUT/old.stamp
fi
KEY=$(tail -1 $OUT/key)
new_stamp="$stamp $(md5sum <"$BUILD/klozeo" | cut -c1-12)"
if [ ! -f $OUT/new.db ] || [ "$(cat $OUT/new.stamp 2>/dev/null)" != "$new_stamp" ]; then
  rm -f $OUT/new.db* $OUT/new.stamp
  cp $OUT/old.db $OUT/new.db
  echo "== upgrading a copy with $BUILD/klozeo" >&2
  t0=$(date +%s)
  bench_serve upgrade "sqlite:$OUT/new.db" "$PORT"
  echo "upgraded in $(($(date +%s) - t0)) s ($(uptime))" >&2
  bench_stop_all
  echo "$new_stamp" >$OUT/new.stamp
fi

# round VARIANT PHONES NAME [perf]: one wrk run on a fresh copy of VARIANT's file.
round() {
  local v=$1 phones=$2 name=$3 bin=$OLD
  [ "$v" = new ] && bin=$BUILD/klozeo
  cp $OUT/$v.db $OUT/run.db
  rm -f $OUT/run.db-wal $OUT/run.db-shm
  local saved=$BUILD
  BUILD=$(dirname "$bin")
  bench_serve "$name" "sqlite:$OUT/run.db" "$PORT"
  BUILD=$saved
  local perf_pid=
  if [ "${4:-}" = perf ]; then
    perf record -q --call-graph dwarf,16384 -F 499 -o $OUT/perf.data -p "$BENCH_PID" \
      >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
  fi
  local cpu0
  cpu0=$(bench_cpu_seconds "$BENCH_PID")
  CREATE_PHONES=$phones wrk -t2 -c32 -d"$DUR" --latency -H "X-API-Key: $KEY" \
    -s bench/create_lead.lua "http://127.0.0.1:$PORT/" >$OUT/$name.txt
  echo "load $(cut -d' ' -f1 /proc/loadavg)" >>$OUT/$name.txt
  echo "cpu $(awk -v a="$cpu0" -v b="$(bench_cpu_seconds "$BENCH_PID")" 'BEGIN {print b - a}')" \
    >>$OUT/$name.txt
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
  fi
  bench_stop_all
  rm -f $OUT/run.db*
}

echo "load before: $(uptime)" >&2
for phones in $PHONES; do
  for r in $(seq 1 "$ROUNDS"); do
    vs="old new"
    [ $((r % 2)) -eq 0 ] && vs="new old"
    for v in $vs; do round $v "$phones" "${phones}_${v}_$r"; done
  done
done
if [ "${PERF:-0}" = 1 ]; then
  round new "${PHONES%% *}" perf_new perf
  perf report -i $OUT/perf.data --no-children --percent-limit 1.5 --stdio -g none \
    >$OUT/perf.txt 2>/dev/null || true
  perf report -i $OUT/perf.data --children --percent-limit 3 --stdio -g none \
    >$OUT/perf_children.txt 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -f $OUT/perf.data
fi
echo "load after: $(uptime)" >&2

loadof() { awk '$1 == "load" {print $2}' "$OUT/$1.txt"; }
# The server's CPU milliseconds per request of a round (less sensitive to the load than req/s).
cpums() { awk '$1 == "cpu" {c = $2} / requests in / {n = $1} END {printf "%.2f\n", 1000 * c / n}' "$OUT/$1.txt"; }
echo "| phones | old creates/s (rounds) | new creates/s (rounds) | new/old (medians) | old p99 | new p99 | CPU ms/create old, new (medians) | load (rounds) |"
echo "|---|---|---|---|---|---|---|---|"
for phones in $PHONES; do
  cols=()
  for v in old new; do
    cols+=("$(for r in $(seq 1 "$ROUNDS"); do printf '%.0f / ' "$(rps "${phones}_${v}_$r")"; done |
      sed 's| / $||')")
  done
  o=$(for r in $(seq 1 "$ROUNDS"); do rps "${phones}_old_$r"; done | median)
  n=$(for r in $(seq 1 "$ROUNDS"); do rps "${phones}_new_$r"; done | median)
  op=$(for r in $(seq 1 "$ROUNDS"); do pct "${phones}_old_$r" 99%; done | tr '\n' ' ')
  np=$(for r in $(seq 1 "$ROUNDS"); do pct "${phones}_new_$r" 99%; done | tr '\n' ' ')
  oc=$(for r in $(seq 1 "$ROUNDS"); do cpums "${phones}_old_$r"; done | median)
  nc=$(for r in $(seq 1 "$ROUNDS"); do cpums "${phones}_new_$r"; done | median)
  ld=$(for r in $(seq 1 "$ROUNDS"); do loadof "${phones}_old_$r"; done | tr '\n' ' ')
  echo "| $phones | ${cols[0]} | ${cols[1]} | **$(ratio "$n" "$o")** | $op| $np| $oc, $nc | $ld|"
done
for f in $OUT/*.txt; do
  e=$(awk '/Non-2xx|Socket errors/' "$f")
  [ -n "$e" ] && echo "$(basename "$f"): $e"
done
if [ "${KEEP:-0}" != 1 ]; then rm -f $OUT/old.db* $OUT/new.db* $OUT/old.stamp $OUT/new.stamp; fi

#!/usr/bin/env bash
# Query-engine benchmarks over a large account (SQLite): filtered and sorted pages (page 1 and
# page 1,000), an attribute filter, and CSV/JSON/XLSX exports with the server's memory growth.
# Appends a "Query engine" section to bench/RESULTS.md. Called by bench/run.sh (make bench);
# BENCH_QUERY_LEADS sets the account size (default 1,000,000; 0 skips).
# Usage: bench/query.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
LEADS="${BENCH_QUERY_LEADS:-1000000}"
[ "$LEADS" -gt 0 ] || exit 0
OUT="bench/out"
PORT="${BENCH_QUERY_PORT:-18775}"
DURATION="${BENCH_QUERY_DURATION:-10s}"
CONNS="${BENCH_QUERY_CONNECTIONS:-4}"
mkdir -p "$OUT"
rm -f "$OUT"/query.db*

echo "== seeding $LEADS leads for the query benchmarks"
KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/query.db" "$LEADS" "$OUT/query_ids.txt")
"$BUILD/klozeo" serve --db "sqlite:$OUT/query.db" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
BASE="http://127.0.0.1:$PORT/api/v1"
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }

# The reference's example shape (Paris leads above a rating, best first), with a bound low enough
# that there are more than 1,000 pages of 50.
LIST="filter=and.eq.city.Paris&filter=and.gte.rating.2&sort_by=rating&sort_order=DESC&limit=50"
ATTR="filter=and.gt.attr:employees.4900&limit=50"

echo "== walking to page 1000"
CURSOR=""
for page in $(seq 1 999); do
  CURSOR=$(curl -sf -H "X-API-Key: $KEY" "$BASE/leads?$LIST${CURSOR:+&cursor=$CURSOR}" |
    grep -o '"next_cursor":"[^"]*"' | cut -d'"' -f4 || true)
  [ -n "$CURSOR" ] || { echo "ran out of pages at $page"; break; }
done

run_wrk() {  # name, url
  wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "X-API-Key: $KEY" "$2" >"$OUT/$1.txt"
  echo "$1: $(awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt") req/s"
}
run_wrk list_page1 "$BASE/leads?$LIST"
run_wrk list_page1000 "$BASE/leads?$LIST&cursor=$CURSOR"
run_wrk attr_filter "$BASE/leads?$ATTR"

export_run() {  # format: time one full export, sampling the server's memory meanwhile
  local before peak=0 sample
  before=$(rss)
  curl -sf -o "$OUT/export.$1" -w '%{time_total} %{size_download}\n' -H "X-API-Key: $KEY" \
    "$BASE/leads/export?format=$1" >"$OUT/export_$1.txt" &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    sample=$(rss); [ "$sample" -gt "$peak" ] && peak=$sample
    sleep 0.1
  done
  wait $pid
  echo "$before $peak" >"$OUT/export_$1.rss"
  echo "export $1: $(cat "$OUT/export_$1.txt") (seconds, bytes); rss before/peak kB: $before $peak"
  rm -f "$OUT/export.$1"
}
for f in csv json xlsx; do export_run $f; done

kill -TERM $SERVER; wait $SERVER || true
trap - EXIT
rm -f "$OUT"/query.db*

pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
{
  echo
  echo "## Query engine over $LEADS leads (SQLite)"
  echo
  echo "One account seeded by \`seed_leads\` (10 cities, ratings 0-4.9, one number attribute)."
  echo "Lists: wrk, 1 thread, $CONNS connections (two per core), $DURATION each. List query:"
  echo "\`$LIST\`; page 1,000 reuses the cursor reached by walking 999 pages."
  echo
  echo "| request | requests/s | p50 | p99 |"
  echo "|---|---|---|---|"
  for r in list_page1 list_page1000 attr_filter; do
    echo "| $r | $(rps $r) | $(pct $r 50%) | $(pct $r 99%) |"
  done
  echo
  echo "- Targets: two filters and a sort, median under 5 ms and p99 under 20 ms, page 1,000 as"
  echo "  fast as page 1; \`$ATTR\`: p99 under 50 ms."
  echo
  echo "| export of all $LEADS leads | seconds | size | server memory growth |"
  echo "|---|---|---|---|"
  for f in csv json xlsx; do
    read -r S B <"$OUT/export_$f.txt"
    read -r BEFORE PEAK <"$OUT/export_$f.rss"
    awk -v f="$f" -v s="$S" -v b="$B" -v r0="$BEFORE" -v r1="$PEAK" 'BEGIN {
      printf "| %s | %.2f | %.0f MB | %.1f MB |\n", f, s, b / 1048576, (r1 - r0) / 1024 }'
  done
  echo
  echo "- Targets: CSV under 10 s; memory grows by less than 64 MB during any export."
} >>bench/RESULTS.md

#!/usr/bin/env bash
# Ingestion benchmarks (SQLite): POST /leads with dedup on an account of BENCH_INGEST_LEADS
# leads (default 1,000,000) and on one of 10,000, POST /leads/batch of 500 leads, and
# `klozeo import` of BENCH_IMPORT_ROWS CSV rows (default 1,000,000). Appends an "Ingestion"
# section to bench/RESULTS.md. Called by bench/run.sh (make bench); BENCH_INGEST_LEADS=0 skips.
# Usage: bench/ingest.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
BIG="${BENCH_INGEST_LEADS:-1000000}"
[ "$BIG" -gt 0 ] || exit 0
SMALL="${BENCH_INGEST_SMALL_LEADS:-10000}"
ROWS="${BENCH_IMPORT_ROWS:-1000000}"
OUT="bench/out"
PORT="${BENCH_INGEST_PORT:-18785}"
DURATION="${BENCH_INGEST_DURATION:-10s}"
CONNS="${BENCH_INGEST_CONNECTIONS:-8}"
ROUNDS="${BENCH_INGEST_ROUNDS:-3}"
mkdir -p "$OUT"
rm -f "$OUT"/ingest_*.db*

# Distinct leads on every request: a per-thread prefix and a counter. Every create runs all the
# dedup lookups (e-mail, source_id, phone, name+city) and misses, then inserts.
# Batches of 500 distinct users'-like leads (bench/batch_leads.lua), rows like the ceiling's.

serve() {  # db file -> sets SERVER, KEY must be set
  "$BUILD/klozeo" serve --db "sqlite:$1" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
}
stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; trap - EXIT; }
run_wrk() {  # name, key, script
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "X-API-Key: $2" -s "$3" \
    "http://127.0.0.1:$PORT/" >"$OUT/$1.txt"
  echo "$1: $(awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt") req/s"
}
rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "== seeding $BIG and $SMALL leads for the dedup creates"
BIG_KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/ingest_big.db" "$BIG" /dev/null)
SMALL_KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/ingest_small.db" "$SMALL" /dev/null)

# Interleaved rounds (the machine is shared); each server restarts on its database.
for r in $(seq 1 "$ROUNDS"); do
  serve "$OUT/ingest_big.db"; run_wrk "create_big_$r" "$BIG_KEY" bench/create_lead.lua; stop
  serve "$OUT/ingest_small.db"; run_wrk "create_small_$r" "$SMALL_KEY" bench/create_lead.lua; stop
done
serve "$OUT/ingest_small.db"
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system clock ticks
BATCH_CPU0=$(cpu_of "$SERVER")
for r in $(seq 1 "$ROUNDS"); do CONNS=4 run_wrk "batch_$r" "$SMALL_KEY" bench/batch_leads.lua; done
BATCH_TICKS=$(( $(cpu_of "$SERVER") - BATCH_CPU0 ))
stop
BATCH_LEADS=$(for r in $(seq 1 "$ROUNDS"); do awk '/requests in/ {print $1}' "$OUT/batch_$r.txt"; done |
  awk '{n += $1} END {print n * 500}')
# Leads stored per second of server CPU (one core's worth), as the ceiling counts SQLite's.
BATCH_PER_CPU=$(awk -v n="$BATCH_LEADS" -v t="$BATCH_TICKS" -v hz="$(getconf CLK_TCK)" \
  'BEGIN {printf "%.0f", (t > 0) ? n / (t / hz) : 0}')
rm -f "$OUT"/ingest_big.db* "$OUT"/ingest_small.db*

echo "== import of $ROWS CSV rows"
bench/import_csv.sh "$ROWS" >"$OUT/import.csv"
"$BUILD/klozeo" accounts create --db "sqlite:$OUT/ingest_import.db" --name imp --plan unlimited \
  >/dev/null 2>&1
IMPORT_START=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$OUT/import_cpu.txt" \
  "$BUILD/klozeo" import --db "sqlite:$OUT/ingest_import.db" --account imp "$OUT/import.csv" \
  >"$OUT/import.txt"
IMPORT_S=$(awk -v s="$IMPORT_START" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')
IMPORT_CPU=$(awk '{printf "%.2f", $1 + $2}' "$OUT/import_cpu.txt")
cat "$OUT/import.txt"
IMPORT_SIZE=$(du -m "$OUT/import.csv" | cut -f1)
rm -f "$OUT"/ingest_import.db* "$OUT/import.csv" "$OUT"/import.csv.failed.*

echo "== SQLite alone on the same schema (bench/ingest_ceiling.sh)"
CEILING=$(bench/ingest_ceiling.sh "$BUILD")
echo "$CEILING"
# The all-index row of the ceiling: leads/s per core.
CEIL_RATE=$(echo "$CEILING" | awk -F'|' '/every index of the schema/ {gsub(/ /, "", $4); print $4}')
IMPORT_PER_CPU=$(awk -v n="$ROWS" -v c="$IMPORT_CPU" 'BEGIN {printf "%.0f", n / c}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

CB=$(for r in $(seq 1 "$ROUNDS"); do rps "create_big_$r"; done | median)
CS=$(for r in $(seq 1 "$ROUNDS"); do rps "create_small_$r"; done | median)
B=$(for r in $(seq 1 "$ROUNDS"); do rps "batch_$r"; done | median)
{
  echo
  echo "## Ingestion"
  echo
  echo "wrk, 2 threads, $CONNS connections, $DURATION a run, $ROUNDS interleaved rounds (medians);"
  echo "server and load generator share the machine. Writes queue for the process's one writer"
  echo "connection; those that queue together share one transaction and COMMIT, each in a savepoint"
  echo "(group commit, docs/GROUP-COMMIT.md); a batch request stores its leads with multi-row INSERTs."
  echo
  echo "### \`POST /api/v1/leads\` with dedup: $BIG leads vs $SMALL leads in the account"
  echo
  echo "Every request is a distinct lead, so all four tiers are looked up (indexed) and miss."
  echo
  echo "| round | $BIG leads: creates/s | p99 | $SMALL leads: creates/s | p99 | errors |"
  echo "|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "create_big_$r") | $(pct "create_big_$r" 99%) | $(rps "create_small_$r") | $(pct "create_small_$r" 99%) | $(errors "create_big_$r") $(errors "create_small_$r") |"
  done
  echo
  echo "- Median creates/s on $BIG leads: **$CB** (target: at least 5,000); on $SMALL: **$CS**;"
  echo "  ratio **$(awk -v a="$CB" -v b="$CS" 'BEGIN {printf "%.2f", a / b}')** (target: at least 0.80)."
  echo
  echo "### \`POST /api/v1/leads/batch\` of 500 leads, 4 connections"
  echo
  echo "| round | requests/s | leads/s | p99 | errors |"
  echo "|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "batch_$r") | $(awk -v x="$(rps "batch_$r")" 'BEGIN {printf "%.0f", x * 500}') | $(pct "batch_$r" 99%) | $(errors "batch_$r") |"
  done
  echo
  echo "- Median: **$(awk -v x="$B" 'BEGIN {printf "%.0f", x * 500}') leads/s** (wall clock, server and wrk sharing the machine)."
  echo "- Per second of server CPU: **$BATCH_PER_CPU leads** ($BATCH_LEADS leads in $BATCH_TICKS ticks);"
  echo "  ratio to SQLite alone (all-index SQL insert, same schema, same run): **$(ratio "$BATCH_PER_CPU" "$CEIL_RATE")** (target: at least 0.5)."
  echo
  echo "### \`klozeo import\` of $ROWS CSV rows ($IMPORT_SIZE MB, no dedup)"
  echo
  echo "Rows like users' data: distinct e-mails and phones, five statuses, coordinates, spread"
  echo "ratings, tags, a number attribute and one of text, bool, list or number per row."
  echo
  echo "- $(cat "$OUT/import.txt" | head -1)"
  echo "- Wall time $(awk -v s="$IMPORT_S" 'BEGIN {printf "%.1f", s}') s: **$(awk -v s="$IMPORT_S" -v n="$ROWS" 'BEGIN {printf "%.0f", n / s}') rows/s**;"
  echo "  CPU time $IMPORT_CPU s: **$IMPORT_PER_CPU rows per CPU second**; ratio to SQLite alone"
  echo "  (same run): **$(ratio "$IMPORT_PER_CPU" "$CEIL_RATE")** (target: at least 0.6)."
  echo
  echo "### SQLite alone on the same schema (bench/ingest_ceiling.sh)"
  echo
  echo "Rows generated by SQL in the sqlite3 shell: no HTTP, JSON, CSV or C++; CPU time, one core."
  echo
  echo "$CEILING"
} >"$OUT/ingest_section.md"
python3 bench/results.py "$OUT/ingest_section.md"

#!/usr/bin/env bash
# `klozeo import` on PostgreSQL against `psql \copy` of the same rows into the same tables with
# the same indexes, in the same run: imports BENCH_PG_IMPORT_ROWS CSV rows (default 200,000;
# the users'-like rows of bench/ingest.sh), copies the stored lead and attribute rows out, empties
# the tables and loads the copies back with \copy. Appends an "Ingestion on PostgreSQL" section
# to bench/RESULTS.md (bench/results.py). Called by bench/run.sh (make bench).
# Usage: bench/ingest_postgres.sh [BUILD_DIR]
#   BENCH_PG_DSN=postgresql://user@host:port/db  an existing server (a database
#   `klozeo_ingest` is created on it and dropped after); without it a throwaway cluster is
#   started by scripts/with-postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
source bench/lib.sh
bench_pg_dsn "$0" "$@"
ROWS="${BENCH_PG_IMPORT_ROWS:-200000}"
OUT="bench/out/pg_ingest"
rm -rf "$OUT" && mkdir -p "$OUT"
bench_pg_database klozeo_ingest

bench/import_csv.sh "$ROWS" >"$OUT/import.csv"
"$BUILD/klozeo" accounts create --db "$PG_URL" --name imp --plan unlimited >/dev/null 2>&1
now() { date +%s.%N; }
T0=$(now)
"$BUILD/klozeo" import --db "$PG_URL" --account imp "$OUT/import.csv" >"$OUT/import.txt"
IMPORT_S=$(awk -v s="$T0" -v e="$(now)" 'BEGIN {print e - s}')
cat "$OUT/import.txt"

# The same rows, as stored, loaded by COPY into the same (emptied) tables and indexes.
psql -q "$PG_URL" -c "\\copy leads TO '$OUT/leads.tsv'" -c "\\copy lead_attributes TO '$OUT/attributes.tsv'"
psql -q -v ON_ERROR_STOP=1 "$PG_URL" -c "TRUNCATE lead_attributes, leads CASCADE" -c "CHECKPOINT"
T0=$(now)
psql -q -v ON_ERROR_STOP=1 "$PG_URL" -c "\\copy leads FROM '$OUT/leads.tsv'" \
  -c "\\copy lead_attributes FROM '$OUT/attributes.tsv'"
COPY_S=$(awk -v s="$T0" -v e="$(now)" 'BEGIN {print e - s}')
COUNT=$(psql -tA "$PG_URL" -c "SELECT count(*) FROM leads")
rate() { awk -v n="$ROWS" -v s="$1" 'BEGIN {printf "%.0f", n / s}'; }
RATIO=$(awk -v a="$COPY_S" -v b="$IMPORT_S" 'BEGIN {printf "%.2f", a / b}')
echo "import: $(rate "$IMPORT_S") rows/s; \\copy: $(rate "$COPY_S") rows/s ($COUNT leads); ratio $RATIO"
{
  echo
  echo "## Ingestion on PostgreSQL (bench/ingest_postgres.sh)"
  echo
  echo "\`klozeo import\` of $ROWS users'-like CSV rows (bench/import_csv.sh), then the stored lead and"
  echo "attribute rows copied out and loaded back by \`psql \\copy\` into the same emptied tables"
  echo "with the same indexes. Wall clock, same run, throwaway cluster (fsync off)."
  echo
  echo "| | seconds | rows/s |"
  echo "|---|---|---|"
  echo "| \`klozeo import\` | $(awk -v s="$IMPORT_S" 'BEGIN {printf "%.1f", s}') | $(rate "$IMPORT_S") |"
  echo "| \`psql \\copy\` of the same rows | $(awk -v s="$COPY_S" 'BEGIN {printf "%.1f", s}') | $(rate "$COPY_S") |"
  echo
  echo "- import / \\copy: **$RATIO** (target: at least 0.5)."
} >"$OUT/section.md"
python3 bench/results.py "$OUT/section.md"
rm -rf "$OUT"

#!/usr/bin/env bash
# The query matrix (issue 16) over one account of BENCH_QUERY_LEADS (default 1,000,000)
# realistic leads (bench/seed_leads.cpp), on SQLite and on PostgreSQL: rescoring the whole
# account (5 rules, one reads an attribute), every list shape of bench/query_matrix.py (p99 of
# BENCH_QUERY_REQUESTS sequential requests, one client), CSV export, and GET /stats.
# Appends a "Query engine" section to bench/RESULTS.md. Called by bench/run.sh (make bench).
#
# Seeding 1,000,000 leads takes minutes (8 on PostgreSQL here), so the data is seeded once and
# kept in bench/out/qm/: the SQLite file, and a PostgreSQL cluster of its own (started for the
# run, stopped after). It is reseeded when bench/seed_leads.cpp or the lead count changes; a
# new schema migrates the kept databases as it would a user's. BENCH_QUERY_FRESH=1 reseeds.
# BENCH_QUERY_BACKENDS="sqlite postgres" (default both); BENCH_QUERY_LEADS=0 skips.
# Usage: bench/query_matrix.sh BUILD_DIR [--only REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
shift || true
LEADS="${BENCH_QUERY_LEADS:-1000000}"
[ "$LEADS" -gt 0 ] || exit 0
REQUESTS="${BENCH_QUERY_REQUESTS:-40}"
BACKENDS="${BENCH_QUERY_BACKENDS:-sqlite postgres}"
CACHE="bench/out/qm"
OUT="bench/out/qm/run"
PORT="${BENCH_QUERY_PORT:-18775}"
mkdir -p "$CACHE" "$OUT"
STAMP="$LEADS $(sha1sum bench/seed_leads.cpp | cut -c1-12)"
[ "${BENCH_QUERY_FRESH:-0}" = 1 ] && rm -f "$CACHE"/*.stamp

SERVER=""
PG_STARTED=0
RUN=()
if [ "$(id -u)" -eq 0 ]; then RUN=(runuser -u postgres --); fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  if [ "$PG_STARTED" = 1 ]; then
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$CACHE/pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

start_pg() {
  if [ ! -f "$CACHE/pgdata/PG_VERSION" ]; then
    rm -rf "$CACHE/pgdata" "$CACHE/pgsock"
    mkdir -p "$CACHE/pgdata" "$CACHE/pgsock"
    [ ${#RUN[@]} -gt 0 ] && chown postgres "$CACHE/pgdata" "$CACHE/pgsock"
    "${RUN[@]}" "$PGBIN/initdb" -D "$CACHE/pgdata" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$CACHE/initdb.log" 2>&1
  fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # The bench's data is disposable: no fsync (as the tests' clusters). Memory as a small server.
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$CACHE/pgdata" -l "$CACHE/pgsock/pg.log" -w -t 120 \
    -o "-p $PG_PORT -k $(realpath "$CACHE/pgsock") -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB \
        -c work_mem=16MB -c max_connections=100" start >/dev/null
  PG_STARTED=1
  PG_ADMIN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/klozeo_qm"
}

db_url() {  # backend
  if [ "$1" = sqlite ]; then echo "sqlite:$CACHE/leads.db"; else echo "$PG_URL"; fi
}

seed() {  # backend
  local b=$1
  if [ -f "$CACHE/$b.stamp" ] && [ "$(cat "$CACHE/$b.stamp")" = "$STAMP" ]; then return 0; fi
  echo "== seeding $LEADS leads ($b)"
  rm -f "$CACHE/$b.stamp"
  if [ "$b" = sqlite ]; then
    rm -f "$CACHE"/leads.db*
  else
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS klozeo_qm WITH (FORCE)" -c "CREATE DATABASE klozeo_qm"
  fi
  local t0 t1
  t0=$(date +%s.%N)
  "$BUILD/bench/seed_leads" "$(db_url "$b")" "$LEADS" "$CACHE/$b.ids" >"$CACHE/$b.key"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v n="$LEADS" 'BEGIN {printf "%.0f leads/s\n", n / (b - a)}' \
    >"$CACHE/$b.seed_rate"
  [ "$b" = postgres ] && psql -q "$PG_URL" -c "VACUUM ANALYZE" >/dev/null
  rm -f "$CACHE/$b.rescored"
  echo "$STAMP" >"$CACHE/$b.stamp"
}

start_server() {  # backend
  "$BUILD/klozeo" serve --db "$(db_url "$1")" --listen "127.0.0.1:$PORT" --log-level warn \
    >"$OUT/server_$1.out" 2>"$OUT/server_$1.err" &
  SERVER=$!
  # The first start on a kept database may build new indexes (a migration): wait for it.
  for _ in $(seq 1 3000); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server_$1.err" >&2; return 1; }
    sleep 0.2
  done
  return 1
}

stop_server() {
  kill -TERM "$SERVER"; wait "$SERVER" || true
  SERVER=""
}

run_backend() {  # backend
  local b=$1 key base
  shift
  key=$(cat "$CACHE/$b.key")
  base="http://127.0.0.1:$PORT/api/v1"
  local t0 t1
  t0=$(date +%s.%N)
  start_server "$b"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", b - a}' >"$OUT/${b}_start.txt"
  # The five rules of bench/run.sh's scoring section, scaled so scores spread over 0-100; the
  # `rating` rule's weight alternates between runs (1.0, 0.95) so a rescore rewrites the rows
  # whose score it changes (every lead with a rating: 80 %).
  python3 bench/score_rules.py "$base" "$key" "$OUT/${b}_weight.txt"
  echo "== rescoring ($b)"
  curl -sf -o /dev/null -w '%{time_total}\n' -X POST -H "X-API-Key: $key" \
    "$base/leads/score/batch" >"$OUT/${b}_rescore.txt"
  echo "rescore: $(cat "$OUT/${b}_rescore.txt") s"
  echo "== query matrix ($b)"
  python3 bench/query_matrix.py "$base" "$key" "$OUT/${b}_matrix.json" --requests "$REQUESTS" "$@"
  echo "== export, stats ($b)"
  curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' -H "X-API-Key: $key" \
    "$base/leads/export?format=csv" >"$OUT/${b}_export.txt"
  echo "export csv: $(cat "$OUT/${b}_export.txt")"
  for r in 1 2 3; do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "X-API-Key: $key" "$base/stats?days=365"
  done | sort -n | sed -n 2p >"$OUT/${b}_stats.txt"
  echo "stats: $(cat "$OUT/${b}_stats.txt") s"
  stop_server
}

for b in $BACKENDS; do
  [ "$b" = postgres ] && start_pg
  seed "$b"
  run_backend "$b" "$@"
done

python3 bench/query_matrix_report.py "$OUT" "$LEADS" "$REQUESTS" "$BACKENDS" >"$OUT/section.md"
if [ "${BENCH_QUERY_NO_RESULTS:-0}" != 1 ]; then
  python3 bench/results.py "$OUT/section.md"
fi
cat "$OUT/section.md"

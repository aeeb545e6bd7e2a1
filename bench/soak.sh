#!/usr/bin/env bash
# Soak test (`make soak`, not in CI): the real server under a mixed workload at a bounded rate
# (reads, filtered lists, creates with dedup, batches, notes, updates, exports) for SOAK_SECONDS
# (default 1800), sampling the server's resident memory every SOAK_SAMPLE_SECONDS (default 5).
# Replaces the "Soak" section of bench/RESULTS.md. Fails if any request failed or the server
# died. Usage: bench/soak.sh [BUILD_DIR]
#
# Webhook deliveries are in the mix: soak_load runs a receiver subscribed to every event, and
# reports what it received once the outbox drained (the server allows private addresses).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
SECONDS_TO_RUN="${SOAK_SECONDS:-1800}"
RATE="${SOAK_RATE:-100}"          # requests per second, all workers together
THREADS="${SOAK_THREADS:-4}"
SAMPLE="${SOAK_SAMPLE_SECONDS:-5}"
PORT="${SOAK_PORT:-18795}"
OUT="bench/out/soak"
KEY="sk_live_50a450a450a450a450a450a450a450a4"
mkdir -p "$OUT"
rm -f "$OUT"/soak.db* "$OUT"/rss.csv

KLOZEO_BOOTSTRAP_KEY="$KEY" KLOZEO_LOG_LEVEL=warn "$BUILD/klozeo" serve \
  --db "sqlite:$OUT/soak.db" --listen "127.0.0.1:$PORT" --webhook-allow-private >"$OUT/server.out" 2>"$OUT/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

START=$(date +%s)
( while kill -0 $SERVER 2>/dev/null; do
    echo "$(( $(date +%s) - START )),$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status 2>/dev/null)" >>"$OUT/rss.csv"
    sleep "$SAMPLE"
  done ) &
SAMPLER=$!

echo "== soak: ${SECONDS_TO_RUN}s at ${RATE} req/s over $THREADS connections (server pid $SERVER)"
LOAD_RC=0
"$BUILD/bench/soak_load" "$PORT" "$KEY" "$SECONDS_TO_RUN" "$RATE" "$THREADS" >"$OUT/summary.txt" ||
  LOAD_RC=$?
ALIVE=yes
kill -0 $SERVER 2>/dev/null || ALIVE=no
kill $SAMPLER 2>/dev/null || true
HEALTH=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || true)
LEADS=$(curl -s -H "X-API-Key: $KEY" "http://127.0.0.1:$PORT/api/v1/leads/export?format=json" |
  grep -o '"id":"cl_' | wc -l || true)
STOP_RC=0
kill -TERM $SERVER 2>/dev/null || true
wait $SERVER || STOP_RC=$?
trap - EXIT
DB_MB=$(du -cm "$OUT"/soak.db* | tail -1 | cut -f1)
cat "$OUT/summary.txt"

# Memory: first sample after the warm-up (the first tenth of the run), the peak, the last, and
# the growth over the second half (mid-run sample to the last).
read -r RSS_WARM RSS_MID RSS_LAST RSS_MAX < <(awk -F, -v n="$SECONDS_TO_RUN" '
  $2 != "" { t[NR] = $1; r[NR] = $2; if ($2 > max) max = $2; last = $2
             if (warm == "" && $1 >= n / 10) warm = $2
             if (mid == "" && $1 >= n / 2) mid = $2 }
  END { printf "%d %d %d %d\n", warm, mid, last, max }' "$OUT/rss.csv")
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
TIMELINE=$(awk -F, -v n="$SECONDS_TO_RUN" '$2 != "" && $1 >= next_t {
    printf "%s%ds %.1f", sep, $1, $2 / 1024; sep = " · "; next_t += n / 10 }
  END { print "" }' "$OUT/rss.csv")
read -r _ TOTAL ERRORS ELAPSED RPS < <(grep '^total ' "$OUT/summary.txt")
read -r _ WH_RECEIVED WH_UNIQUE WH_REPEATS WH_DELIVERED WH_FAILED WH_DRAIN < <(
  grep '^webhooks ' "$OUT/summary.txt" || echo "webhooks - - - - - -")

SECTION=$(mktemp)
{
  echo "## Soak"
  echo
  echo "Written by \`make soak\` (bench/soak.sh, build \`$BUILD\`) on $(date -u +%Y-%m-%d): ${SECONDS_TO_RUN} s at a"
  echo "ceiling of $RATE requests/s over $THREADS keep-alive connections (\`bench/soak_load\`), SQLite,"
  echo "$(nproc) cores shared with other work (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))."
  echo "Mix: lead reads 30 %, filtered and sorted lists 15 %, creates 10 % and dedup re-posts 8 %"
  echo "(e-mail merge), batches of 10 2 %, notes 12 % written and 8 % read, updates 12 %, filtered"
  echo "CSV exports 3 %. Every write also queues a webhook delivery to a receiver in \`soak_load\`"
  echo "(subscribed to every event)."
  echo
  echo "| operation | requests | errors | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  grep -v -e '^total ' -e '^webhooks ' "$OUT/summary.txt" | awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
  echo "| **all** | **$TOTAL** | **$ERRORS** | | |"
  echo
  echo "- Throughput: **$RPS requests/s** sustained over $ELAPSED s (the ceiling was $RATE)."
  echo "- Errors: **$ERRORS**; server alive at the end: **$ALIVE**, \`/healthz\` $HEALTH, SIGTERM exit"
  echo "  code $STOP_RC. Leads stored at the end: $LEADS (database $DB_MB MB)."
  echo "- Server resident memory (MB): after warm-up **$(mb "$RSS_WARM")**, at mid-run $(mb "$RSS_MID"),"
  echo "  at the end **$(mb "$RSS_LAST")**, peak $(mb "$RSS_MAX"); growth over the second half"
  echo "  **$(awk -v a="$RSS_MID" -v b="$RSS_LAST" 'BEGIN {printf "%+.1f", (b - a) / 1024}') MB**."
  echo "  SQLite's page caches (16 MB per pooled connection) fill as the database grows, then stay."
  echo "- Memory over time (s, MB): $TIMELINE"
  echo "- Webhooks: **$WH_UNIQUE deliveries received** ($WH_RECEIVED requests, $WH_REPEATS repeats);"
  echo "  the server counted $WH_DELIVERED delivered and $WH_FAILED failed attempts; the outbox"
  echo "  drained ${WH_DRAIN} s after the load stopped."
} >"$SECTION"

python3 bench/results.py "$SECTION"  # replaces the Soak section of bench/RESULTS.md
rm -f "$SECTION"
[ "$LOAD_RC" -eq 0 ] && [ "$ALIVE" = yes ] && [ "$STOP_RC" -eq 0 ]

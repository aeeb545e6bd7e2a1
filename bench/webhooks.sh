#!/usr/bin/env bash
# Webhook benchmarks: delivery throughput to a loopback receiver and event-to-delivery latency
# while the API takes writes (bench/webhook_bench.cpp). Replaces the "Webhooks" section of
# bench/RESULTS.md (other sections are kept as they are).
# Usage: bench/webhooks.sh [BUILD_DIR]   (BENCH_WEBHOOK_BACKLOG, _ROUNDS, _SECONDS, _RATE)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
RESULTS="${BENCH_RESULTS:-bench/RESULTS.md}"
OUT="bench/out"
mkdir -p "$OUT"
"$BUILD/bench/webhook_bench" "${BENCH_WEBHOOK_BACKLOG:-20000}" "${BENCH_WEBHOOK_ROUNDS:-3}" \
  "${BENCH_WEBHOOK_SECONDS:-10}" "${BENCH_WEBHOOK_RATE:-200}" >"$OUT/webhooks.md" 2>"$OUT/webhooks.log"
cat "$OUT/webhooks.log" >&2
touch "$RESULTS"
# Drop an existing "## Webhooks" section (up to the next "## " heading), then append the new one.
awk 'BEGIN {skip = 0}
     /^## / {skip = ($0 == "## Webhooks")}
     !skip {print}' "$RESULTS" >"$OUT/results.tmp"
# No blank line left dangling before the appended section.
sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$OUT/results.tmp" >"$RESULTS"
cat "$OUT/webhooks.md" >>"$RESULTS"
cat "$OUT/webhooks.md"

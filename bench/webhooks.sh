#!/usr/bin/env bash
# Webhook benchmarks: delivery throughput to a loopback receiver and event-to-delivery latency
# while the API takes writes (bench/webhook_bench.cpp). Replaces the "Webhooks" section of
# bench/RESULTS.md (bench/results.py).
# Usage: bench/webhooks.sh [BUILD_DIR]   (BENCH_WEBHOOK_BACKLOG, _ROUNDS, _SECONDS, _RATE)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out"
mkdir -p "$OUT"
"$BUILD/bench/webhook_bench" "${BENCH_WEBHOOK_BACKLOG:-20000}" "${BENCH_WEBHOOK_ROUNDS:-3}" \
  "${BENCH_WEBHOOK_SECONDS:-10}" "${BENCH_WEBHOOK_RATE:-500}" >"$OUT/webhooks.md" 2>"$OUT/webhooks.log"
cat "$OUT/webhooks.log" >&2
python3 bench/results.py "$OUT/webhooks.md"
cat "$OUT/webhooks.md"

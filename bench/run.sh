#!/usr/bin/env bash
# Runs the benchmarks against an optimised build and writes bench/RESULTS.md.
# Usage: bench/run.sh [BUILD_DIR]   (make bench)
# Everything talks to 127.0.0.1 only; every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
OUT="bench/out"
LEADS="${BENCH_LEADS:-100000}"
DURATION="${BENCH_DURATION:-15s}"
CONNS="${BENCH_CONNECTIONS:-64}"
PORT="${BENCH_PORT:-18765}"
mkdir -p "$OUT"
rm -f "$OUT"/bench.db*
# The Soak section comes from `make soak` (bench/soak.sh, 30 minutes): kept across this rewrite.
SOAK_SECTION=$(awk '/^## Soak$/ {keep = 1} keep && /^## / && !/^## Soak$/ {keep = 0} keep' \
  bench/RESULTS.md 2>/dev/null || true)

echo "== seeding $LEADS leads"
KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/bench.db" "$LEADS" "$OUT/ids.txt")

"$BUILD/klozeo" serve --db "sqlite:$OUT/bench.db" --listen "127.0.0.1:$PORT" >"$OUT/server.out" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# Sample the server's resident memory every 200 ms while the load runs.
RSS_LOG="$OUT/rss.txt"
: >"$RSS_LOG"
( while kill -0 $SERVER 2>/dev/null; do
    awk '/VmRSS/ {print $2}' /proc/$SERVER/status >>"$RSS_LOG" 2>/dev/null || true
    sleep 0.2
  done ) &
SAMPLER=$!

cat >"$OUT/get_lead.lua" <<LUA
local ids = {}
for line in io.lines("$OUT/ids.txt") do ids[#ids + 1] = line end
math.randomseed(7)
wrk.headers["X-API-Key"] = "$KEY"
request = function()
  return wrk.format("GET", "/api/v1/leads/" .. ids[math.random(#ids)])
end
LUA

run_wrk() {  # name, then wrk args
  local name=$1; shift
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" >"$OUT/$name.txt"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt") req/s"
}
# Interleaved rounds, medians reported: the machine is shared and its speed drifts.
ROUNDS="${BENCH_ROUNDS:-3}"
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "healthz_$r" "http://127.0.0.1:$PORT/healthz"
  run_wrk "get_lead_$r" -s "$OUT/get_lead.lua" "http://127.0.0.1:$PORT/"
done

kill $SAMPLER 2>/dev/null || true
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT

rps() { awk '/Requests\/sec/ {print $2}' "$OUT/$1.txt"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.txt"; }
errors() { awk '/Non-2xx|Socket errors/ {print}' "$OUT/$1.txt" | tr '\n' ' '; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
H=$(for r in $(seq 1 "$ROUNDS"); do rps "healthz_$r"; done | median)
G=$(for r in $(seq 1 "$ROUNDS"); do rps "get_lead_$r"; done | median)
ROUND_RATIOS=$(for r in $(seq 1 "$ROUNDS"); do
  awk -v g="$(rps "get_lead_$r")" -v h="$(rps "healthz_$r")" 'BEGIN {printf "%.2f ", g / h}'; done)
RATIO=$(awk -v g="$G" -v h="$H" 'BEGIN {printf "%.2f", g / h}')
P99=$(for r in $(seq 1 "$ROUNDS"); do pct "get_lead_$r" 99% | sed 's/ms$//;s/us$/e-3/'; done | median)
RSS_MAX=$(sort -n "$RSS_LOG" | tail -1)
RSS_MB=$(awk -v k="${RSS_MAX:-0}" 'BEGIN {printf "%.1f", k / 1024}')

{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores: server and"
  echo "load generator (wrk, 2 threads, $CONNS connections, $DURATION a run) share the machine, which"
  echo "is itself shared and noisy. $ROUNDS interleaved rounds; medians and in-round ratios are quoted."
  echo
  echo "## Foundation: point reads over $LEADS leads (SQLite)"
  echo
  echo "| round | \`GET /healthz\` req/s | p99 | \`GET /api/v1/leads/{id}\` req/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|"
  for r in $(seq 1 "$ROUNDS"); do
    echo "| $r | $(rps "healthz_$r") | $(pct "healthz_$r" 99%) | $(rps "get_lead_$r") | $(pct "get_lead_$r" 50%) | $(pct "get_lead_$r" 99%) | $(errors "get_lead_$r") |"
  done
  echo
  echo "- Median lead reads / median healthz: **$RATIO** (target: at least 0.5); per round: $ROUND_RATIOS"
  echo "- Median lead-read p99 at $CONNS connections: **${P99} ms** (target: under 10 ms)."
  echo "- Server peak resident memory over all runs: **$RSS_MB MB** (target: under 100 MB)."
} >bench/RESULTS.md

# ---- Scoring: expression evaluation (Google Benchmark) and whole-account recalculation ----
# BENCH_SCORE_LEADS (default 1000000; 0 skips) leads are seeded into their own database.
SCORE_LEADS="${BENCH_SCORE_LEADS:-1000000}"
SCORE_PORT="${BENCH_SCORE_PORT:-18766}"
SCORE_RULES=(
  '{"name":"rating","expression":"rating * 20","weight":0.5}'
  '{"name":"reviews","expression":"review_count > 100 ? 30 : 0"}'
  '{"name":"contact","expression":"(email != nil ? 10 : 0) + (phone != nil ? 10 : 0)"}'
  '{"name":"recent","expression":"days_since(last_interaction_at) < 7 ? 20 : 0"}'
  '{"name":"size","expression":"attr_employees > 500 ? 10 : 0"}'
)

echo "== expression benchmarks"
"$BUILD/bench/expr/expr_bench" --benchmark_filter=FiveRules --benchmark_format=csv \
  --benchmark_min_time=1 >"$OUT/expr_bench.csv" 2>/dev/null
"$BUILD/bench/scoring_bench" --benchmark_format=csv --benchmark_min_time=1 \
  >"$OUT/scoring_bench.csv" 2>/dev/null
# CSV rows: "name",iterations,real_time,cpu_time,time_unit,bytes/s,items/s,...
bench_row() {  # file, benchmark name -> "| name | ns | rule evaluations/s |"
  awk -F, -v n="\"$2\"" '$1 == n {printf "| `%s` | %.0f %s | %.1f million |\n", $1, $4, $5, $7 / 1e6}' "$1" |
    tr -d '"'
}

if [ "$SCORE_LEADS" -gt 0 ]; then
  echo "== seeding $SCORE_LEADS leads for the scoring batch"
  rm -f "$OUT"/score.db*
  SCORE_KEY=$("$BUILD/bench/seed_leads" "sqlite:$OUT/score.db" "$SCORE_LEADS" "$OUT/score_ids.txt")
  "$BUILD/klozeo" serve --db "sqlite:$OUT/score.db" --listen "127.0.0.1:$SCORE_PORT" \
    >"$OUT/score_server.out" 2>/dev/null &
  SCORE_SERVER=$!
  trap 'kill $SCORE_SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$SCORE_PORT/healthz" >/dev/null && break; sleep 0.1; done
  for rule in "${SCORE_RULES[@]}"; do
    curl -sf -o /dev/null -X POST -H "X-API-Key: $SCORE_KEY" -d "$rule" \
      "http://127.0.0.1:$SCORE_PORT/api/v1/scoring-rules"
  done
  score_batch() {  # name: one POST /leads/score/batch, timed end to end by curl
    curl -sf -o "$OUT/$1.json" -w '%{time_total} %{size_download}\n' -X POST \
      -H "X-API-Key: $SCORE_KEY" "http://127.0.0.1:$SCORE_PORT/api/v1/leads/score/batch" \
      >"$OUT/$1.txt"
    echo "$1: $(cat "$OUT/$1.txt") (seconds, bytes)"
  }
  score_batch score_batch_first   # every score changes: every lead row is written
  score_batch score_batch_again   # nothing changes: read and score only
  SCORE_RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$SCORE_SERVER/status)
  kill -TERM $SCORE_SERVER; wait $SCORE_SERVER || true
  trap - EXIT
  SCORE_COUNT=$(grep -o '"count":[0-9]*' "$OUT/score_batch_first.json" | cut -d: -f2)
  rm -f "$OUT"/score.db* "$OUT"/score_batch_*.json
fi

{
  echo
  echo "## Scoring"
  echo
  echo "### Rule evaluation (Google Benchmark, one core)"
  echo
  echo "Five rules per lead; \`expr_bench\` binds the slots once (evaluation only) or per lead by"
  echo "field name; \`scoring_bench\` is the service's \`RuleSet::Score\` on a \`domain::Lead\`"
  echo "(binding, weights, clamping, rounding)."
  echo
  echo "| benchmark | time per lead (5 rules) | rule evaluations / s |"
  echo "|---|---|---|"
  bench_row "$OUT/expr_bench.csv" BM_EvaluateFiveRules
  bench_row "$OUT/expr_bench.csv" BM_BindAndEvaluateFiveRules
  bench_row "$OUT/scoring_bench.csv" BM_ServiceScoreFiveRules
  echo
  echo "- Target: at least 5 million rule evaluations per second on one core."
  if [ "$SCORE_LEADS" -gt 0 ]; then
    read -r FIRST_S FIRST_B <"$OUT/score_batch_first.txt"
    read -r AGAIN_S AGAIN_B <"$OUT/score_batch_again.txt"
    echo
    echo "### \`POST /api/v1/leads/score/batch\` over $SCORE_LEADS leads, 5 rules (SQLite)"
    echo
    echo "One account, leads seeded by \`seed_leads\` (one attribute each); the five rules of"
    echo "\`bench/run.sh\` (\`SCORE_RULES\`, one reads an attribute). Time is curl's, end to end,"
    echo "response included; each chunk of 1,000 leads is read, scored and written in one transaction."
    echo
    echo "| run | seconds | leads/s | response |"
    echo "|---|---|---|---|"
    awk -v s="$FIRST_S" -v b="$FIRST_B" -v n="$SCORE_COUNT" 'BEGIN {
      printf "| first (every score changes, every row written) | %.2f | %.0f | %.1f MB, count %s |\n", s, n / s, b / 1048576, n }'
    awk -v s="$AGAIN_S" -v b="$AGAIN_B" -v n="$SCORE_COUNT" 'BEGIN {
      printf "| again (no score changes, nothing written) | %.2f | %.0f | %.1f MB |\n", s, n / s, b / 1048576 }'
    echo
    echo "- Target: under 5 s end to end. Server peak resident memory: **$(awk -v k="$SCORE_RSS_KB" \
      'BEGIN {printf "%.0f", k / 1024}') MB** (the body is streamed: memory holds one chunk)."
  fi
} >>bench/RESULTS.md
./bench/query_matrix.sh "$BUILD"
./bench/point_read.sh "$BUILD"
./bench/ingest.sh "$BUILD"
./bench/postgres.sh "$BUILD"
./bench/ingest_postgres.sh "$BUILD"
./bench/mcp.sh "$BUILD"
./bench/webhooks.sh "$BUILD"
# Old vs new binary in the same run (reads, lists, creates with dedup at 32 connections, batch
# at 4): BENCH_OLD_KLOZEO names the old binary (e.g. one built from main before a change).
if [ -n "${BENCH_OLD_KLOZEO:-}" ]; then
  echo "== A/B: $BENCH_OLD_KLOZEO vs $BUILD/klozeo"
  AB=$(bench/ab.sh "$BENCH_OLD_KLOZEO" "$BUILD/klozeo" "$BUILD/bench/seed_leads")
  echo "$AB"
  {
    echo
    echo "## Old vs new binary (bench/ab.sh)"
    echo
    echo "\`$BENCH_OLD_KLOZEO\` against this build, each serving a copy of the same SQLite file,"
    echo "interleaved rounds in the same run (get: 64 connections; list: 4; create with dedup: 32;"
    echo "batch of 500 leads: 4)."
    echo
    echo "$AB"
  } >>bench/RESULTS.md
fi
# Dedup quality on the labelled Chicago early-childhood data (issue 15's procedure).
echo "== dedup quality"
python3 bench/dedup_quality.py "$BUILD" --markdown "$OUT/dedup_quality.md" --errors 0
{
  echo
  echo "## Dedup quality"
  echo
  echo "bench/dedup_quality.py: every record of ../shared/dedup/data/chicago_ece POSTed to the real"
  echo "server in a fixed shuffled order; pairwise precision, recall and F1 against \`True Id\`;"
  echo "as the issue's procedure is written, then with the address in the lead's \`address\` field"
  echo "(docs/DEDUP.md)."
  echo
  cat "$OUT/dedup_quality.md"
} >>bench/RESULTS.md
if [ -n "$SOAK_SECTION" ]; then printf '\n%s\n' "$SOAK_SECTION" >>bench/RESULTS.md; fi
cat bench/RESULTS.md

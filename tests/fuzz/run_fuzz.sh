#!/bin/sh
# Runs a libFuzzer target for a bounded time on a copy of its seed corpus (libFuzzer adds new
# inputs to the first corpus directory; the checked-in corpus stays as it is).
#   run_fuzz.sh FUZZER SEED_CORPUS WORK_DIR SECONDS [DICT]
# Exit codes: 0 no failure found, 77 skipped (no fuzzer was built), anything else a failure
# (the crashing input is written to WORK_DIR/artifacts/).
set -eu
FUZZER=$1 SEEDS=$2 WORK=$3 SECONDS_TO_RUN=$4 DICT=${5:-}
if [ ! -x "$FUZZER" ]; then
  echo "SKIPPED: no fuzz target at '$FUZZER': clang++ with the libFuzzer runtime was not found"
  echo "when CMake configured this build (install clang and libclang-rt-14-dev, then reconfigure)."
  exit 77
fi
rm -rf "$WORK/corpus"
mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$SEEDS"/* "$WORK/corpus/"
set -- -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$WORK/artifacts/"
if [ -n "$DICT" ]; then set -- "$@" -dict="$DICT"; fi
echo "fuzzing $FUZZER for ${SECONDS_TO_RUN}s on a copy of $SEEDS (work dir $WORK)"
exec "$FUZZER" "$@" "$WORK/corpus"

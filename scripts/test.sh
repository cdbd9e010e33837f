#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test through ctest,
# then runs each libFuzzer target for a bounded time (scripts/fuzz.sh, clang build in
# build-fuzz/). TRACERY_FUZZ_SECONDS sets the time per fuzzer (default 15; 0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@")
FUZZ_SECONDS="${TRACERY_FUZZ_SECONDS:-15}"
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi

#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 into build-fuzz/ (AddressSanitizer,
# UndefinedBehaviorSanitizer) and runs each one for a bounded time, seeded with the EPCIS
# documents of ../shared/data/epcis (copied into a temporary corpus; nothing is added to the
# repository). Exits non-zero when any fuzzer finds a crash, a sanitizer report, a leak or a
# timeout; the input that did it is kept in build-fuzz/fuzz-artifacts/<fuzzer>/.
#
#   scripts/fuzz.sh [seconds per fuzzer, default 20]
#   TRACERY_SHARED_DATA=/path/to/shared/data FUZZ_JOBS=1 scripts/fuzz.sh 60
#
# Reproduce a finding: build-fuzz/bin/<fuzzer> build-fuzz/fuzz-artifacts/<fuzzer>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_FUZZER="${1:-20}"
case "$SECONDS_PER_FUZZER" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds per fuzzer]" >&2; exit 2 ;;
esac
# The shared data as CMakeLists.txt finds it: TRACERY_SHARED_DATA, ../shared/data, /work/shared/data.
DATA=""
for candidate in ${TRACERY_SHARED_DATA:+"$TRACERY_SHARED_DATA"} "$(pwd)/../shared/data" /work/shared/data; do
  if [ -d "$candidate/epcis" ]; then DATA="$candidate/epcis"; break; fi
done
if [ -z "$DATA" ]; then
  echo "fuzz: no seed documents found (set TRACERY_SHARED_DATA)" >&2
  exit 2
fi
for tool in clang-14 clang++-14; do
  command -v "$tool" > /dev/null || { echo "fuzz: $tool is missing (scripts/deps.sh)" >&2; exit 2; }
done

build_start=$(date +%s)
# -O1 with line tables only: stack traces keep file and line, and a cold build takes about 15%
# less time than -O2 -g at the same speed of execution.
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DTRACERY_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  > /dev/null
ninja -C build-fuzz fuzzers
echo "fuzz: built in $(($(date +%s) - build_start)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# seed <fuzzer> <corpus dir>: the shared documents the fuzzer reads, whole, and for the JSON
# parsers also each event of every document on its own (a checkpoint looks like one event).
seed() {
  local fuzzer="$1" corpus="$2" f
  mkdir -p "$corpus"
  case "$fuzzer" in
    xml_*)
      find "$DATA" -name '*.xml' -exec cp {} "$corpus/" \;
      ;;
    erp_*) find "$DATA/../edi" -name '*.edi' -exec cp {} "$corpus/" \; ;;
    *)
      find "$DATA" \( -name '*.json' -o -name '*.jsonld' \) -exec cp {} "$corpus/" \;
      if command -v jq > /dev/null; then
        for f in "$corpus"/*; do
          jq -c '.epcisBody.eventList[]?' "$f" 2> /dev/null |
            split -l 1 - "$corpus/$(basename "$f").event." || true
        done
      fi
      ;;
  esac
}

dict_for() {
  case "$1" in
    xml_*) echo tests/fuzz/xml.dict ;;
    erp_*) echo tests/fuzz/erp.dict ;;
    *) echo tests/fuzz/json.dict ;;
  esac
}

# run_fuzzer <binary>: one bounded run; its exit status goes to build-fuzz/fuzz-logs/<fuzzer>.status.
run_fuzzer() {
  local binary="$1" fuzzer corpus artifacts log status=0
  fuzzer="$(basename "$binary")"
  corpus="$work/$fuzzer"
  artifacts="build-fuzz/fuzz-artifacts/$fuzzer/"
  log="build-fuzz/fuzz-logs/$fuzzer.log"
  seed "$fuzzer" "$corpus"
  mkdir -p "$artifacts"
  UBSAN_OPTIONS=print_stacktrace=1 "$binary" -max_total_time="$SECONDS_PER_FUZZER" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict="$(dict_for "$fuzzer")" \
    -artifact_prefix="$artifacts" "$corpus" > "$log" 2>&1 || status=$?
  echo "$status" > "build-fuzz/fuzz-logs/$fuzzer.status"
}

# The fuzzers run side by side, at most FUZZ_JOBS at a time (default: one per core), so the
# wall time is about SECONDS_PER_FUZZER x ceil(fuzzers / cores).
jobs_max="${FUZZ_JOBS:-$(nproc)}"
mkdir -p build-fuzz/fuzz-logs
rm -f build-fuzz/fuzz-logs/*.status
binaries=(build-fuzz/bin/*_fuzzer)
running=0
for binary in "${binaries[@]}"; do
  if [ "$running" -ge "$jobs_max" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_fuzzer "$binary" &
  running=$((running + 1))
done
wait

failed=()
for binary in "${binaries[@]}"; do
  fuzzer="$(basename "$binary")"
  log="build-fuzz/fuzz-logs/$fuzzer.log"
  status="$(cat "build-fuzz/fuzz-logs/$fuzzer.status" 2> /dev/null || echo missing)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")"
  if [ "$status" != 0 ]; then
    failed+=("$fuzzer")
    echo "fuzz: $fuzzer FAILED (exit $status); log $log," \
      "input in build-fuzz/fuzz-artifacts/$fuzzer/" >&2
    grep -E "ERROR:|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
  else
    echo "fuzz: $fuzzer: ${runs:-?} runs in ${SECONDS_PER_FUZZER} s (${rate:-?}/s)," \
      "peak RSS ${rss:-?} MB, $(ls "$work/$fuzzer" | wc -l) corpus inputs: no crash"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi

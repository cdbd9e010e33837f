#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 into build-fuzz/ (AddressSanitizer,
# UndefinedBehaviorSanitizer) and runs each one for a bounded time, seeded with the EPCIS
# documents of ../shared/data/epcis (copied into a temporary corpus; nothing is added to the
# repository). Exits non-zero when any fuzzer finds a crash, a sanitizer report, a leak or a
# timeout; the input that did it is kept in build-fuzz/fuzz-artifacts/<fuzzer>/.
#
#   scripts/fuzz.sh [seconds per fuzzer, default 20]
#   TRACERY_SHARED_DATA=/path/to/shared/data scripts/fuzz.sh 60
#
# Reproduce a finding: build-fuzz/bin/<fuzzer> build-fuzz/fuzz-artifacts/<fuzzer>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_FUZZER="${1:-20}"
case "$SECONDS_PER_FUZZER" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds per fuzzer]" >&2; exit 2 ;;
esac
DATA="${TRACERY_SHARED_DATA:-$(pwd)/../shared/data}/epcis"
if [ ! -d "$DATA" ]; then
  echo "fuzz: no seed documents in $DATA (set TRACERY_SHARED_DATA)" >&2
  exit 2
fi
for tool in clang-14 clang++-14; do
  command -v "$tool" > /dev/null || { echo "fuzz: $tool is missing (scripts/deps.sh)" >&2; exit 2; }
done

build_start=$(date +%s)
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DTRACERY_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
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
    *) echo tests/fuzz/json.dict ;;
  esac
}

failed=()
mkdir -p build-fuzz/fuzz-logs
for binary in build-fuzz/bin/*_fuzzer; do
  fuzzer="$(basename "$binary")"
  corpus="$work/$fuzzer"
  artifacts="build-fuzz/fuzz-artifacts/$fuzzer/"
  log="build-fuzz/fuzz-logs/$fuzzer.log"
  seed "$fuzzer" "$corpus"
  mkdir -p "$artifacts"
  status=0
  UBSAN_OPTIONS=print_stacktrace=1 "$binary" -max_total_time="$SECONDS_PER_FUZZER" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict="$(dict_for "$fuzzer")" \
    -artifact_prefix="$artifacts" "$corpus" > "$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")"
  if [ "$status" -ne 0 ]; then
    failed+=("$fuzzer")
    echo "fuzz: $fuzzer FAILED (exit $status); log $log, input in $artifacts" >&2
    grep -E "ERROR:|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
  else
    echo "fuzz: $fuzzer: ${runs:-?} runs in ${SECONDS_PER_FUZZER} s (${rate:-?}/s)," \
      "peak RSS ${rss:-?} MB, $(ls "$corpus" | wc -l) corpus inputs: no crash"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi

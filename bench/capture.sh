#!/usr/bin/env bash
# EPCIS capture end to end on a single node: builds Release into build-bench/, starts a one-org
# solo consortium on loopback and runs tracery_bench_capture (documents of 1,000 events posted
# to POST /v1/capture by 4 clients; the clock stops when every event is committed and indexed),
# BENCH_RUNS (3) times. Prints one JSON document with the median run, every run, and the
# figure of the issue beside it (10,000 events/s), and writes bench/results/capture.json.
#
# usage: bench/capture.sh [--quick]   (--quick: 20,000 events per run instead of 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_args "$@"
need_tools jq ss cmake ninja
EVENTS=100000
[ "$QUICK" = 1 ] && EVENTS=20000
RUNS=${BENCH_RUNS:-3}

build_bench tracery_bench_capture traceryd tracery
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tracery-bench-XXXXXX")"
NODE_UP=0
cleanup() {
  if [ "$NODE_UP" = 1 ]; then "$BIN/tracery" devnet down --dir "$DIR" > /dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
start_solo_node bench || { echo "bench/capture.sh: the node did not start" >&2; exit 1; }

runs=()
for i in $(seq 1 "$RUNS"); do
  log "capture: $EVENTS events, run $i/$RUNS"
  runs+=("$("$BIN/tracery_bench_capture" --node "$NODE_URL" --token-file "$DIR/bench/admin.token" \
    --events "$EVENTS" --per-doc 1000 --clients 4)")
done
mkdir -p bench/results
printf '%s\n' "${runs[@]}" | jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg cmd "bench/capture.sh$([ "$QUICK" = 1 ] && echo ' --quick')" '
  (map(.events_per_s)) as $all
  | sort_by(.events_per_s) | .[(length - 1) / 2 | floor]
  | {command: $cmd, date: $date, median_run: ., runs_events_per_s: $all,
     figure: {value: .events_per_s, bound: 10000, ratio: (.events_per_s / 10000),
              pass: (.events_per_s >= 10000)}}' | tee bench/results/capture.json

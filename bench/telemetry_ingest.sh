#!/usr/bin/env bash
# IoT telemetry ingest over MQTT: builds Release into build-bench/, starts a Mosquitto on a free
# loopback port (persistence on, per-client queue of 1,000,000 messages, 1,000 in flight) and
# runs tracery_bench_telemetry, which signs every batch (100 readings) before the timed windows
# and measures in the same run: what a plain mosquitto_sub receives from the same publisher,
# signed batches through MQTT + Ed25519 check (4 threads) + dedup + rules + synced store up to
# the node's acknowledgement of the last batch, and the 1- and 2-thread Ed25519 verify rates.
# The 2-thread verify rate is measured just before and just after the ingest (their mean is
# the bound). BENCH_RUNS (3) runs; prints one JSON document with the median run (by the ratio
# to the bound), every run, and the figures of issue 5 beside it, and writes
# bench/results/telemetry.json.
#
# The publisher sends BENCH_FRAME (16) signed batches per MQTT message (a TRF1 frame, as
# `tracery gateway simulate --frame` does; 1: one envelope per message); the node verifies on
# BENCH_VERIFY_THREADS (4, the node's default) threads.
#
# usage: bench/telemetry_ingest.sh [--quick]   (--quick: 5,000 batches instead of 20,000)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_args "$@"
need_tools jq ss cmake ninja mosquitto_sub
[ -x /usr/sbin/mosquitto ] || { echo "bench/telemetry_ingest.sh: needs mosquitto (apt-get install mosquitto mosquitto-clients)" >&2; exit 2; }
BATCHES=20000
[ "$QUICK" = 1 ] && BATCHES=5000

build_bench tracery_bench_telemetry
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tracery-bench-XXXXXX")"
BROKER_PID=""
cleanup() {
  if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2> /dev/null || true; wait "$BROKER_PID" 2> /dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT="$(free_base_port 0)"
cat > "$WORK/mosquitto.conf" << CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $WORK/
max_queued_messages 1000000
max_queued_bytes 0
max_inflight_messages 1000
log_type error
log_type warning
CONF
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 200); do ss -Htln "sport = :$PORT" | grep -q . && break; sleep 0.05; done
RUNS=${BENCH_RUNS:-3}
runs=()
for i in $(seq 1 "$RUNS"); do
  log "mosquitto on 127.0.0.1:$PORT; $BATCHES batches of 100 readings, run $i/$RUNS"
  runs+=("$("$BIN/tracery_bench_telemetry" --broker "127.0.0.1:$PORT" --dir "$WORK" \
    --batches "$BATCHES" --readings 100 --verify-threads "${BENCH_VERIFY_THREADS:-4}" --frame "${BENCH_FRAME:-16}")")
done
mkdir -p bench/results
printf '%s\n' "${runs[@]}" | jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg cmd "bench/telemetry_ingest.sh$([ "$QUICK" = 1 ] && echo ' --quick')" '
  (map({batches_per_s: .ingest.batches_per_s, verify_2t: .ed25519_verify_per_s_2t,
        ratio: .batches_vs_verify_2t})) as $all
  | sort_by(.batches_vs_verify_2t) | .[(length - 1) / 2 | floor]
  | {command: $cmd, date: $date, median_run: ., runs: $all,
     figures: {
       batches_vs_verify_2t: {value: .ingest.batches_per_s, bound: (0.5 * .ed25519_verify_per_s_2t),
         bound_is: "50% of ed25519_verify_per_s_2t (same run, mean of before and after)",
         ratio: (.ingest.batches_per_s / (0.5 * .ed25519_verify_per_s_2t)),
         pass: (.ingest.batches_per_s >= 0.5 * .ed25519_verify_per_s_2t)},
       readings_per_s: {value: .ingest.readings_per_s, bound: 100000,
         pass: (.ingest.readings_per_s >= 100000)},
       readings_lost: {value: (.batches * .readings_per_batch - .ingest.readings_accepted),
         pass: (.ingest.all_acknowledged and .ingest.accepted == .batches)}}}' \
  | tee bench/results/telemetry.json

#!/usr/bin/env bash
# IoT telemetry ingest over MQTT: builds Release into build-bench/, starts a Mosquitto on a free
# loopback port (persistence on, per-client queue of 1,000,000 messages, 1,000 in flight) and
# runs tracery_bench_telemetry, which signs every batch (100 readings) before the timed windows
# and measures in the same run: what a plain mosquitto_sub receives from the same publisher,
# signed batches through MQTT + Ed25519 check (2 threads) + dedup + rules + synced store up to
# the node's acknowledgement of the last batch, and the 1- and 2-thread Ed25519 verify rates.
# Prints one JSON document with the figures of issue 5 beside it and writes
# bench/results/telemetry.json.
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
log "mosquitto on 127.0.0.1:$PORT; $BATCHES batches of 100 readings"
result="$("$BIN/tracery_bench_telemetry" --broker "127.0.0.1:$PORT" --dir "$WORK" \
  --batches "$BATCHES" --readings 100 --verify-threads 2)"
mkdir -p bench/results
echo "$result" | jq --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg cmd "bench/telemetry_ingest.sh$([ "$QUICK" = 1 ] && echo ' --quick')" '
  {command: $cmd, date: $date, run: .,
   figures: {
     batches_vs_verify_2t: {value: .ingest.batches_per_s, bound: (0.5 * .ed25519_verify_per_s_2t),
       bound_is: "50% of ed25519_verify_per_s_2t (same run)",
       pass: (.ingest.batches_per_s >= 0.5 * .ed25519_verify_per_s_2t)},
     readings_per_s: {value: .ingest.readings_per_s, bound: 100000,
       pass: (.ingest.readings_per_s >= 100000)}}}' | tee bench/results/telemetry.json

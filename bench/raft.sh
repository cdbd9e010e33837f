#!/usr/bin/env bash
# Tracery's Raft benchmark (issue 3): a 3-node Raft devnet on loopback against a 3-member etcd
# cluster (Debian's etcd-server) under the same load shape, in the same run.
#
#   - bounds: Ed25519 sign and verify rates with 2 threads (tracery_bench_micro); the cluster's
#     signature bound is 1 / (1/sign + 3/verify): each checkpoint signed once, verified by every
#     node;
#   - Tracery: tracery_bench_load against the leader, one checkpoint per transaction and per
#     request, ?wait=committed (committed = in a block synced on a majority and applied), with 1,
#     4, 8, 16 and 64 clients (the p99 figure uses the count nearest half of the maximum); bulk transactions of 1,000 checkpoints with 4 clients;
#   - etcd: tracery_bench_load --etcd against one member, 256-byte puts through its HTTP gateway,
#     1, 16 and 64 clients;
#   - failover: kill -9 of the leader, then the time until a checkpoint submitted to a survivor
#     is committed.
# Prints one JSON document and writes it to bench/results/raft-latest.json.
#
# usage: bench/raft.sh [--quick]   (--quick: 3 s windows, one run per figure)
# Environment: BENCH_RUNS (3), BENCH_LOAD_SECONDS (10), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_args "$@"
need_tools jq ss cmake ninja etcd
if [ "$QUICK" = 1 ]; then
  MICRO_SECONDS=0.5; LOAD_SECONDS=${BENCH_LOAD_SECONDS:-3}; WARMUP=1; RUNS=${BENCH_RUNS:-1}
else
  MICRO_SECONDS=1.5; LOAD_SECONDS=${BENCH_LOAD_SECONDS:-10}; WARMUP=2; RUNS=${BENCH_RUNS:-3}
fi

build_bench tracery_bench_micro tracery_bench_load traceryd tracery

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tracery-raft-bench-XXXXXX")"
DIR="$WORK/devnet"
ETCD_PIDS=()
cleanup() {
  "$BIN/tracery" devnet down --dir "$DIR" > /dev/null 2>&1 || true
  for pid in "${ETCD_PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log "tracery_bench_micro --seconds $MICRO_SECONDS"
MICRO="$("$BIN/tracery_bench_micro" --seconds "$MICRO_SECONDS")"

# --- the Raft devnet ---------------------------------------------------------------------------
BASE="$(free_base_port 400)"
ORGS=(grower processor retailer)
log "raft devnet in $DIR, APIs on 127.0.0.1:$BASE.."
"$BIN/tracery" genesis init --orgs "$(IFS=,; echo "${ORGS[*]}")" --consensus raft --out "$DIR" \
  --base-port "$BASE" --format json > /dev/null
"$BIN/tracery" devnet up --dir "$DIR" >&2

# leader: prints the index of the node that says it leads (waits up to 20 s).
leader() {
  local i role
  for _ in $(seq 1 200); do
    for i in 0 1 2; do
      role="$(curl -s -m 2 -H "Authorization: Bearer $(cat "$DIR/${ORGS[$i]}/auditor.token")" \
        "http://127.0.0.1:$((BASE + i))/readyz" | jq -r '.consensus.role // empty' 2> /dev/null || true)"
      if [ "$role" = leader ]; then echo "$i"; return 0; fi
    done
    sleep 0.1
  done
  return 1
}

# load URL TOKEN_OR_ETCD CLIENTS PER_TX: RUNS runs, the median by throughput with all values.
load() {
  local url=$1 auth=$2 clients=$3 per_tx=$4 runs=() i
  for i in $(seq 1 "$RUNS"); do
    log "load $url: $clients clients, $per_tx per request, run $i/$RUNS (${LOAD_SECONDS} s)"
    if [ "$auth" = etcd ]; then
      runs+=("$("$BIN/tracery_bench_load" --node "$url" --etcd --clients "$clients" \
        --seconds "$LOAD_SECONDS" --warmup "$WARMUP")")
    else
      runs+=("$("$BIN/tracery_bench_load" --node "$url" --token-file "$auth" \
        --clients "$clients" --checkpoints-per-tx "$per_tx" --seconds "$LOAD_SECONDS" \
        --warmup "$WARMUP" --wait)")
    fi
  done
  printf '%s\n' "${runs[@]}" | jq -s '
    (map(.checkpoints_per_s)) as $all
    | sort_by(.checkpoints_per_s) | .[(length - 1) / 2 | floor]
    | . + {runs: ($all | length), runs_per_s: $all}'
}

L="$(leader)" || { echo "bench/raft.sh: no leader elected" >&2; exit 1; }
LEADER_URL="http://127.0.0.1:$((BASE + L))"
LEADER_TOKEN="$DIR/${ORGS[$L]}/admin.token"
log "leader: ${ORGS[$L]}-node"
T1="$(load "$LEADER_URL" "$LEADER_TOKEN" 1 1)"
# 4 and 8 clients: loads near half of the maximum, for the latency figure.
T4="$(load "$LEADER_URL" "$LEADER_TOKEN" 4 1)"
T8="$(load "$LEADER_URL" "$LEADER_TOKEN" 8 1)"
T16="$(load "$LEADER_URL" "$LEADER_TOKEN" 16 1)"
T64="$(load "$LEADER_URL" "$LEADER_TOKEN" 64 1)"
TBULK="$(load "$LEADER_URL" "$LEADER_TOKEN" 4 1000)"

# --- failover ----------------------------------------------------------------------------------
SURVIVOR=$(( (L + 1) % 3 ))
echo '{"eventID":"urn:uuid:00000000-0000-4000-8000-00000000f001","type":"ObjectEvent",
  "action":"OBSERVE","eventTime":"2026-11-27T10:00:00Z",
  "epcList":["urn:epc:id:sgtin:0614141.107346.9001"]}' > "$WORK/failover.json"
log "failover: kill -9 ${ORGS[$L]}-node, then commit through ${ORGS[$SURVIVOR]}-node"
t0="$(now_s)"
kill -9 "$(cat "$DIR/${ORGS[$L]}/traceryd.pid")"
until "$BIN/tracery" checkpoint submit --node "http://127.0.0.1:$((BASE + SURVIVOR))" \
    --token-file "$DIR/${ORGS[$SURVIVOR]}/admin.token" --wait "$WORK/failover.json" \
    > /dev/null 2>&1; do
  sleep 0.05
done
t1="$(now_s)"
FAILOVER_MS="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"
"$BIN/tracery" devnet down --dir "$DIR" >&2

# --- etcd, 3 members ---------------------------------------------------------------------------
CLUSTER=""
for i in 0 1 2; do
  CLUSTER+="${CLUSTER:+,}e$i=http://127.0.0.1:$((BASE + 400 + i))"
done
for i in 0 1 2; do
  etcd --name "e$i" --data-dir "$WORK/etcd-$i" \
    --listen-client-urls "http://127.0.0.1:$((BASE + 300 + i))" \
    --advertise-client-urls "http://127.0.0.1:$((BASE + 300 + i))" \
    --listen-peer-urls "http://127.0.0.1:$((BASE + 400 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((BASE + 400 + i))" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new \
    --initial-cluster-token tracery-bench > "$WORK/etcd-$i.log" 2>&1 &
  ETCD_PIDS+=($!)
done
ETCD_URL="http://127.0.0.1:$((BASE + 300))"
for _ in $(seq 1 100); do
  curl -s -m 1 "$ETCD_URL/health" | grep -q '"true"' && break
  sleep 0.2
done
ETCD_VERSION="$(etcd --version | head -1)"
E1="$(load "$ETCD_URL" etcd 1 1)"
E16="$(load "$ETCD_URL" etcd 16 1)"
E64="$(load "$ETCD_URL" etcd 64 1)"

# --- the report --------------------------------------------------------------------------------
mkdir -p bench/results
jq -n --argjson micro "$MICRO" \
  --argjson t1 "$T1" --argjson t4 "$T4" --argjson t8 "$T8" --argjson t16 "$T16" --argjson t64 "$T64" --argjson bulk "$TBULK" \
  --argjson e1 "$E1" --argjson e16 "$E16" --argjson e64 "$E64" \
  --argjson failover_ms "$FAILOVER_MS" --arg etcd "$ETCD_VERSION" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson nproc "$(nproc)" \
  --argjson quick "$QUICK" --argjson runs "$RUNS" --argjson seconds "$LOAD_SECONDS" '
  (1 / (1 / $micro.ed25519_sign_per_s_2t + 3 / $micro.ed25519_verify_per_s_2t)) as $bound
  | ([$t1, $t4, $t8, $t16, $t64] | map(.checkpoints_per_s) | max) as $max
  | ([$t1, $t4, $t8, $t16, $t64] | min_by((.checkpoints_per_s - $max / 2) | fabs)) as $half
  | {
    command: ("bench/raft.sh" + (if $quick == 1 then " --quick" else "" end)),
    date: $date, vcpus: $nproc, etcd: $etcd,
    settings: {load_seconds: $seconds, runs_per_figure: $runs},
    micro: {sign_per_s_2t: $micro.ed25519_sign_per_s_2t,
            verify_per_s_2t: $micro.ed25519_verify_per_s_2t},
    tracery: {clients_1: $t1, clients_4: $t4, clients_8: $t8, clients_16: $t16, clients_64: $t64, bulk_1000_per_tx_4_clients: $bulk},
    etcd_puts: {clients_1: $e1, clients_16: $e16, clients_64: $e64},
    figures: {
      vs_etcd_64_clients: {value: ($t64.checkpoints_per_s / $e64.checkpoints_per_s),
                           tracery: $t64.checkpoints_per_s, etcd: $e64.checkpoints_per_s,
                           bound: 1.5, pass: ($t64.checkpoints_per_s >= 1.5 * $e64.checkpoints_per_s)},
      vs_etcd_16_clients: ($t16.checkpoints_per_s / $e16.checkpoints_per_s),
      vs_etcd_1_client: ($t1.checkpoints_per_s / $e1.checkpoints_per_s),
      signature_bound: {value: $t64.checkpoints_per_s, bound: (0.6 * $bound),
                        cluster_signature_bound_per_s: $bound,
                        ratio: ($t64.checkpoints_per_s / (0.6 * $bound)),
                        pass: ($t64.checkpoints_per_s >= 0.6 * $bound)},
      bulk: {value: $bulk.checkpoints_per_s, bound: 20000,
             pass: ($bulk.checkpoints_per_s >= 20000)},
      p99_near_half_of_max: {clients: $half.clients, checkpoints_per_s: $half.checkpoints_per_s,
                             fraction_of_max: ($half.checkpoints_per_s / $max),
                             latency_ms_p99: $half.latency_ms_p99, bound_ms: 50,
                             pass: ($half.latency_ms_p99 < 50)},
      failover: {value_ms: $failover_ms, bound_ms: 3000, pass: ($failover_ms <= 3000)}
    }
  }' > bench/results/raft-latest.json
cat bench/results/raft-latest.json
log "written to bench/results/raft-latest.json"

#!/usr/bin/env bash
# Tracery's lineage benchmark: builds Release into build-bench/ and runs tracery_bench_lineage,
# which generates (seed 1) a supply chain of 1,000,000 identifiers and 3,000,000 edges in six
# tiers (farm lots → ingredient lots → intermediate lots → finished lots → cases → pallets), then
#   - times upstream and downstream traces from 200 random identifiers of every tier in the
#     lineage index (in process) and in SQLite's recursive CTE (in-memory database; the plain edge
#     table, and a tuned integer-keyed one), for the same identifiers;
#   - times the recall exposure of the supplier lot whose downstream closure is nearest 10,000;
#   - writes the same chain as signed, certified blocks into a real ledger in a temporary folder,
#     rebuilds the index from it, and times that exposure with a ledger proof for every step.
# Prints one JSON object per line (also written to bench/results/lineage.jsonl), then a summary.
#
# usage: bench/lineage.sh [--quick]     (from the repository root or anywhere)
#   --quick  100,000 identifiers, 100 queries per tier and direction, 5 exposure runs
# Environment: BENCH_LINEAGE_ARGS adds flags (tracery_bench_lineage --help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_args "$@"
need_tools cmake ninja jq

if [ "$QUICK" = 1 ]; then
  ARGS=(--lots 100000 --queries 100 --exposure-runs 5)
else
  ARGS=(--lots 1000000 --queries 200 --exposure-runs 20)
fi
# shellcheck disable=SC2206
ARGS+=(${BENCH_LINEAGE_ARGS:-})

build_bench tracery_bench_lineage
mkdir -p bench/results
OUT=bench/results/lineage.jsonl
log "tracery_bench_lineage ${ARGS[*]} (load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$BIN/tracery_bench_lineage" "${ARGS[@]}" | tee "$OUT"
log "written to $OUT"

# Summary: p50/p99 in µs, ours (nodes with depth, as the CTE returns) and SQLite.
jq -r -s '
  (["tier", "direction", "nodes", "ours_p50", "ours_p99", "full_p99", "sqlite_p50", "sqlite_p99",
    "p99_x", "tuned_p99", "tuned_x"] | @tsv),
  (.[] | select(.figure == "trace")
   | [.tier, .direction, (.mean_nodes | round), (.ours_p50_us * 10 | round / 10),
      (.ours_p99_us | round), (.ours_full_p99_us | round), (.sqlite_p50_us | round),
      (.sqlite_p99_us | round), (.p99_speedup * 10 | round / 10), (.sqlite_tuned_p99_us | round),
      (.tuned_p99_speedup * 10 | round / 10)] | @tsv)
' "$OUT" | column -t -s $'\t' >&2
jq -r -s '
  (.[] | select(.figure == "all_traces")
   | "all traces: ours p99 \(.ours_p99_us | round) µs, SQLite p99 \(.sqlite_p99_us | round) µs (\(.p99_speedup * 10 | round / 10)x), tuned \(.sqlite_tuned_p99_us | round) µs (\(.tuned_p99_speedup * 10 | round / 10)x)"),
  (.[] | select(.figure == "exposure")
   | "exposure (\(.graph)): \(.exposed_identifiers) identifiers, \(.handoffs) hand-offs: p50 \(.p50_ms * 10 | round / 10) ms, max \(.max_ms * 10 | round / 10) ms"),
  (.[] | select(.figure == "exposure_with_proofs")
   | "exposure + \(.proofs) proofs (\(.proved), \(.prover)): p50 \(.p50_ms | round) ms, max \(.max_ms | round) ms")
' "$OUT" >&2

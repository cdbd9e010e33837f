#!/usr/bin/env bash
# Tracery's ERP import benchmark: builds Release into build-bench/ and runs tracery_bench_erp,
# which generates in memory an X12 856 ship notice with 1,000,000 line items (packs of 10 items
# with MAN*GM SSCCs, LIN with a UPC and a lot, SN1 quantities) and times, median of 3 runs,
#   - the bound: splitting the same bytes into segments with memchr (no parsing);
#   - ImportErpDocument (parse, envelope checks, mapping to the canonical Shipment);
#   - ShipmentToEpcisEvents (the EPCIS packing and shipping events).
# The figure to reach: at least 200,000 line items per second for the import.
# Prints one JSON object per line (also written to bench/results/erp.jsonl).
#
# usage: bench/erp.sh [--quick]     (--quick: 100,000 line items)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_args "$@"
need_tools cmake ninja jq

if [ "$QUICK" = 1 ]; then ARGS=(--items 100000 --runs 3); else ARGS=(--items 1000000 --runs 3); fi

build_bench tracery_bench_erp
mkdir -p bench/results
OUT=bench/results/erp.jsonl
log "tracery_bench_erp ${ARGS[*]} (load average $(cut -d' ' -f1-3 /proc/loadavg))"
"$BIN/tracery_bench_erp" "${ARGS[@]}" | tee "$OUT"
jq -r -s '
  (.[] | select(.figure == "erp_856_import")
   | "import: \(.line_items_per_s | round) line items/s (target 200000: \(if .meets_target then "met" else "MISSED" end))"),
  (.[] | select(.figure == "erp_856_split_bound") | "bound (memchr split): \(.line_items_per_s | round) line items/s"),
  (.[] | select(.figure == "erp_856_epcis_mapping") | "EPCIS mapping: \(.line_items_per_s | round) line items/s, \(.events) events")
' "$OUT" >&2
jq -e -s 'any(.[]; .figure == "erp_856_import" and .meets_target)' "$OUT" > /dev/null

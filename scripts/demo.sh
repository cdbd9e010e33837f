#!/usr/bin/env bash
# The main job: a local consortium of three partners on loopback, agreeing by Raft, runs a chain
# of custody end to end — capture at each partner's node, commit, the leader killed and
# recovered, proofs checked offline, lineage and recall, EPCIS capture and verification, audit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh traceryd tracery
BIN="$PWD/build/bin"
WORK="$(mktemp -d /tmp/tracery-demo-XXXXXX)"
DIR="$WORK/consortium"
PORT=$((21000 + RANDOM % 8000))
cleanup() { "$BIN/tracery" devnet down --dir "$DIR" > /dev/null 2>&1 || true; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
tracery() { "$BIN/tracery" "$@"; }

step "1. Genesis: a grower, a processor and a retailer form a consortium (Raft: every partner's node is a validator)"
tracery genesis init --orgs grower,processor,retailer --consensus raft --out "$DIR" --base-port "$PORT"

step "2. Each partner starts its node; they elect a leader"
tracery devnet up --dir "$DIR"
GROWER="http://127.0.0.1:$PORT"; PROCESSOR="http://127.0.0.1:$((PORT + 1))"; RETAILER="http://127.0.0.1:$((PORT + 2))"

event() {  # event ID TYPE ACTION BIZSTEP DISPOSITION TIME LOCATION EXTRA-JSON
  jq -n --arg id "$1" --arg type "$2" --arg action "$3" --arg step "$4" --arg disp "$5" \
    --arg time "$6" --arg loc "$7" --argjson extra "$8" \
    '{eventID: $id, type: $type, bizStep: $step, disposition: $disp, eventTime: $time,
      readPoint: {id: $loc}, bizLocation: {id: $loc}} + (if $action == "" then {} else {action: $action} end) + $extra'
}
LOT='urn:epc:class:lgtin:4012345.012345.LOT-2026-11-A'
GOODS='urn:epc:class:lgtin:4012345.054321.FG-2026-11-A'
GROWER_GLN='urn:epc:id:sgln:0614141.00001.0'; PROC_GLN='urn:epc:id:sgln:0614141.00002.0'; RETAIL_GLN='urn:epc:id:sgln:0614141.00003.0'

step "3. The grower commissions lot LOT-2026-11-A and ships it to the processor (one transaction, two checkpoints)"
jq -n --argjson a "$(event urn:uuid:3d2b6a40-0001-4000-8000-000000000001 ObjectEvent ADD commissioning active 2026-11-20T06:00:00+01:00 "$GROWER_GLN" "{\"quantityList\":[{\"epcClass\":\"$LOT\",\"quantity\":1200,\"uom\":\"KGM\"}]}")" \
      --argjson b "$(event urn:uuid:3d2b6a40-0001-4000-8000-000000000002 ObjectEvent OBSERVE shipping in_transit 2026-11-20T14:00:00+01:00 "$GROWER_GLN" "{\"quantityList\":[{\"epcClass\":\"$LOT\",\"quantity\":1200,\"uom\":\"KGM\"}],\"sourceList\":[{\"type\":\"owning_party\",\"source\":\"$GROWER_GLN\"}],\"destinationList\":[{\"type\":\"owning_party\",\"destination\":\"$PROC_GLN\"}],\"bizTransactionList\":[{\"type\":\"po\",\"bizTransaction\":\"urn:epcglobal:cbv:bt:0614141000005:PO-7781\"}]}")" \
      '[$a, $b]' > "$WORK/grower.json"
tracery checkpoint submit --node "$GROWER" --token-file "$DIR/grower/admin.token" --wait "$WORK/grower.json"

step "4. The processor receives the lot and transforms it into finished goods (its own node signs for it)"
jq -n --argjson a "$(event urn:uuid:3d2b6a40-0002-4000-8000-000000000003 ObjectEvent OBSERVE receiving in_progress 2026-11-21T08:00:00+01:00 "$PROC_GLN" "{\"quantityList\":[{\"epcClass\":\"$LOT\",\"quantity\":1200,\"uom\":\"KGM\"}]}")" \
      --argjson b "$(event urn:uuid:3d2b6a40-0002-4000-8000-000000000004 TransformationEvent '' commissioning active 2026-11-21T15:00:00+01:00 "$PROC_GLN" "{\"inputQuantityList\":[{\"epcClass\":\"$LOT\",\"quantity\":1200,\"uom\":\"KGM\"}],\"outputQuantityList\":[{\"epcClass\":\"$GOODS\",\"quantity\":4000}]}")" \
      '[$a, $b]' > "$WORK/processor.json"
tracery checkpoint submit --node "$PROCESSOR" --token-file "$DIR/processor/admin.token" --wait "$WORK/processor.json"

step "5. The retailer receives the finished goods"
event urn:uuid:3d2b6a40-0003-4000-8000-000000000005 ObjectEvent OBSERVE receiving sellable_not_accessible 2026-11-23T09:30:00+01:00 "$RETAIL_GLN" "{\"quantityList\":[{\"epcClass\":\"$GOODS\",\"quantity\":4000}]}" > "$WORK/retailer.json"
tracery checkpoint submit --node "$RETAILER" --token-file "$DIR/retailer/admin.token" --wait "$WORK/retailer.json"

step "6. The leader's node is killed (kill -9); the other two keep committing, and it rejoins"
leader_org() {  # the organisation whose node says it leads
  local i=0 org role
  for org in grower processor retailer; do
    role=$(curl -s -H "Authorization: Bearer $(cat "$DIR/$org/auditor.token")" \
      "http://127.0.0.1:$((PORT + i))/readyz" | jq -r '.consensus.role // empty')
    if [ "$role" = leader ]; then echo "$org"; return; fi
    i=$((i + 1))
  done
}
LEADER=$(leader_org)
echo "leader: $LEADER-node; kill -9 $(cat "$DIR/$LEADER/traceryd.pid")"
kill -9 "$(cat "$DIR/$LEADER/traceryd.pid")"
rm -f "$DIR/$LEADER/traceryd.pid"
event urn:uuid:3d2b6a40-0003-4000-8000-000000000006 ObjectEvent OBSERVE retail_selling retail_sold 2026-11-24T11:00:00+01:00 "$RETAIL_GLN" "{\"quantityList\":[{\"epcClass\":\"$GOODS\",\"quantity\":12}]}" > "$WORK/sale.json"
if [ "$LEADER" = retailer ]; then VIA=processor; VIA_URL="$PROCESSOR"; else VIA=retailer; VIA_URL="$RETAILER"; fi
if [ "$VIA" = retailer ]; then
  time tracery checkpoint submit --node "$VIA_URL" --token-file "$DIR/$VIA/admin.token" --wait "$WORK/sale.json"
else
  echo "(the retailer's node is the one down; the processor records its own inspection instead)"
  event urn:uuid:3d2b6a40-0002-4000-8000-000000000006 ObjectEvent OBSERVE inspecting conformant 2026-11-24T11:00:00+01:00 "$PROC_GLN" "{\"quantityList\":[{\"epcClass\":\"$GOODS\",\"quantity\":12}]}" > "$WORK/sale.json"
  time tracery checkpoint submit --node "$VIA_URL" --token-file "$DIR/$VIA/admin.token" --wait "$WORK/sale.json"
fi
tracery devnet up --dir "$DIR"
sleep 1
echo "every node follows the same ledger:"
tracery devnet status --dir "$DIR"

step "7. A recall team asks the retailer's node for the grower's shipping event and checks the proof offline"
tracery proof get --node "$RETAILER" --token-file "$DIR/retailer/auditor.token" --out "$WORK/proof.json" \
  urn:uuid:3d2b6a40-0001-4000-8000-000000000002
tracery proof verify --genesis "$DIR/genesis.json" "$WORK/proof.json"

step "8. An auditor traces the retailer's finished goods back to their origin (lineage, upstream)"
tracery lineage --node "$PROCESSOR" --token-file "$DIR/processor/auditor.token" --up "$GOODS"

step "9. A recall of the grower's lot: what it became, the shipments that carried it, who received it"
tracery recall --node "$RETAILER" --token-file "$DIR/retailer/auditor.token" "$LOT"

step "10. The retailer captures an EPCIS 2.0 document (its shelf check) and verifies that it is anchored"
jq -n --arg goods "$GOODS" --arg loc "$RETAIL_GLN" '{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  type: "EPCISDocument", schemaVersion: "2.0", creationDate: "2026-11-25T08:00:00Z",
  epcisBody: {eventList: [{type: "ObjectEvent", action: "OBSERVE", bizStep: "inspecting",
    disposition: "sellable_accessible", eventTime: "2026-11-25T08:00:00+01:00",
    eventTimeZoneOffset: "+01:00", readPoint: {id: $loc},
    quantityList: [{epcClass: $goods, quantity: 3988}]}]}}' > "$WORK/shelf-check.jsonld"
tracery events import --node "$RETAILER" --token-file "$DIR/retailer/admin.token" "$WORK/shelf-check.jsonld"
tracery verify --node "$GROWER" --token-file "$DIR/grower/auditor.token" --genesis "$DIR/genesis.json" "$WORK/shelf-check.jsonld"
jq '.epcisBody.eventList[0].quantityList[0].quantity = 3999' "$WORK/shelf-check.jsonld" > "$WORK/altered.jsonld"
echo "the same document with the quantity altered:"
if tracery verify --node "$GROWER" --token-file "$DIR/grower/auditor.token" --genesis "$DIR/genesis.json" "$WORK/altered.jsonld"; then
  echo "demo: an altered document verified" >&2; exit 1
fi

step "11. The same proof with the checkpoint's quantity altered is refused"
jq '.proofs[0].checkpoints[0].checkpoint |= (@base64d | sub("1200"; "1300") | @base64)' "$WORK/proof.json" > "$WORK/tampered.json" 2>/dev/null \
  || jq '.proofs[0].checkpoints[0].index = 1' "$WORK/proof.json" > "$WORK/tampered.json"
if tracery proof verify --genesis "$DIR/genesis.json" "$WORK/tampered.json"; then
  echo "demo: a tampered proof verified" >&2; exit 1
fi

step "12. An auditor checks that the ledger-wide log only grew (consistency from 2 to 5 checkpoints)"
tracery proof consistency --node "$PROCESSOR" --token-file "$DIR/processor/auditor.token" --from 2 --to 5 > "$WORK/consistency.json"
tracery proof verify --genesis "$DIR/genesis.json" "$WORK/consistency.json"

step "13. The nodes stop; each partner audits its own copy of the ledger"
tracery devnet down --dir "$DIR"
for org in grower processor retailer; do
  printf '%-10s ' "$org"; tracery ledger audit --data "$DIR/$org/data"
done
printf '\nDemo finished. The consortium is in %s\n' "$DIR"

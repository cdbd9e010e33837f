#!/usr/bin/env bash
# The main job: a local consortium of three partners on loopback, agreeing by Raft, runs a chain
# of custody end to end — capture at each partner's node, commit, the leader killed and
# recovered, proofs checked offline, lineage and recall, EPCIS capture and verification — then
# the processor's off-chain SCM core: a cold-chain excursion from an IoT gateway over MQTT to a
# hold, an anchored telemetry window and the ERP, and ERP documents imported; finally an audit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh traceryd tracery
BIN="$PWD/build/bin"
WORK="$(mktemp -d /tmp/tracery-demo-XXXXXX)"
DIR="$WORK/consortium"
PORT=$((21000 + RANDOM % 8000))
BROKER_PORT=$((PORT + 300))
cleanup() {
  "$BIN/tracery" devnet down --dir "$DIR" > /dev/null 2>&1 || true
  [ -f "$WORK/broker/mosquitto.pid" ] && kill "$(cat "$WORK/broker/mosquitto.pid")" 2> /dev/null || true
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
tracery() { "$BIN/tracery" "$@"; }

step "1. Genesis: a grower, a processor and a retailer form a consortium (Raft: every partner's node is a validator)"
tracery genesis init --orgs grower,processor,retailer --consensus raft --out "$DIR" --base-port "$PORT"

# The processor's node also ingests telemetry from an MQTT broker and watches an ERP inbox.
mkdir -p "$WORK/broker" "$WORK/inbox"
cat > "$WORK/broker/mosquitto.conf" <<CONF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $WORK/broker/
max_queued_messages 100000
user root
CONF
/usr/sbin/mosquitto -c "$WORK/broker/mosquitto.conf" > "$WORK/broker/mosquitto.log" 2>&1 &
echo $! > "$WORK/broker/mosquitto.pid"
for _ in $(seq 1 100); do
  (exec 3<> "/dev/tcp/127.0.0.1/$BROKER_PORT") 2> /dev/null && break; sleep 0.05
done
jq --arg broker "127.0.0.1:$BROKER_PORT" --arg inbox "$WORK/inbox" \
  '. + {telemetry: {broker: $broker}, erp: {inbox: $inbox}}' "$DIR/processor/node.json" > "$WORK/node.json"
mv "$WORK/node.json" "$DIR/processor/node.json"

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

# The processor's SCM core from here on: its planner and admin, its finished goods, its DC.
P_PLAN=(--node "$PROCESSOR" --token-file "$DIR/processor/planner.token")
P_ADMIN=(--node "$PROCESSOR" --token-file "$DIR/processor/admin.token")
FG_GTIN=04012345543216; FG_LOT=FG-2026-11-A; DC=0614141000029
api() {  # api METHOD PATH [JSON] as the processor's admin
  curl -sS -X "$1" -H "Authorization: Bearer $(cat "$DIR/processor/admin.token")" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "$PROCESSOR$2"
}

step "13. The processor's SCM core: master data, twelve weeks of shipments (demand), a stock count, a sales order"
tracery masterdata import "${P_ADMIN[@]}" <(jq -n --arg g "$FG_GTIN" --arg dc "$DC" \
  '{items: [{gtin: $g, description: "Frozen vegetable mix 1kg", unit: "EA"}],
    locations: [{gln: $dc, name: "Processor DC, cold store"}]}')
tracery inventory count "${P_PLAN[@]}" --item "$FG_GTIN" --location "$DC" --lot FG-2026-10-B --quantity 5000
NOW_S=$(date +%s)
jq -n --arg cls "https://id.gs1.org/01/$FG_GTIN/10/FG-2026-10-B" --arg loc "https://id.gs1.org/414/$DC" --argjson now "$NOW_S" '{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  type: "EPCISDocument", schemaVersion: "2.0", creationDate: "2026-11-25T08:00:00Z",
  epcisBody: {eventList: [range(1; 13) as $w | {type: "ObjectEvent", action: "OBSERVE",
    bizStep: "shipping", disposition: "in_transit",
    eventTime: (($now - $w * 604800) | todate), eventTimeZoneOffset: "+00:00",
    readPoint: {id: $loc}, quantityList: [{epcClass: $cls, quantity: (if $w % 2 == 0 then 300 else 340 end)}]}]}}' \
  > "$WORK/shipments.jsonld"
tracery events import "${P_ADMIN[@]}" "$WORK/shipments.jsonld"
tracery inventory count "${P_PLAN[@]}" --item "$FG_GTIN" --location "$DC" --lot "$FG_LOT" --quantity 400 --expiry 2027-02-28
tracery inventory count "${P_PLAN[@]}" --item "$FG_GTIN" --location "$DC" --lot FG-2026-10-B --quantity 600 --expiry 2027-01-31
api POST /v1/orders "$(jq -n --arg g "$FG_GTIN" --arg dc "$DC" \
  '{id: "SO-4711", kind: "sales", buyer: "retailer", shipFrom: $dc, lines: [{gtin: $g, quantity: "350"}]}')" \
  | jq -c '{order: .id, allocations: [.allocations[] | {lotNumber, quantity}]}'
api POST /v1/orders "$(jq -n --arg g "$FG_GTIN" --arg dc "$DC" \
  '{id: "SO-4712", kind: "sales", buyer: "retailer", shipFrom: $dc, lines: [{gtin: $g, quantity: "300"}]}')" \
  | jq -c '{order: .id, allocations: [.allocations[] | {lotNumber, quantity}]}'
tracery inventory "${P_PLAN[@]}" --item "$FG_GTIN"
tracery replenish "${P_PLAN[@]}" --item "$FG_GTIN" --location "$DC" --lead-time 1

step "14. 1-2. A reefer's edge gateway (its own Ed25519 key, registered with the node) watches lot $FG_LOT"
GW_KEY=$(tracery gateway keygen --out "$WORK/reefer-12.key")
api POST /v1/gateways "$(jq -n --arg k "$GW_KEY" '{id: "reefer-12", publicKey: $k}')" | jq -c .
api POST /v1/gateways/reefer-12/sensors "$(jq -n --arg g "$FG_GTIN" --arg l "$FG_LOT" '{sensorId: "t-1", gtin: $g, lotNumber: $l}')" | jq -c .
{
  echo "sensor_id,time,kind,value"
  START=$(( (NOW_S - 3 * 3600) * 1000 ))
  for i in $(seq 0 129); do
    if [ "$i" -ge 60 ] && [ "$i" -lt 100 ]; then v=9.5; elif [ "$i" -ge 100 ]; then v=5.0; else v=3.5; fi
    echo "t-1,$((START + i * 60000)),temperature,$v"
  done
} > "$WORK/reefer-12.csv"
echo "readings: 60 min at 3.5 °C, 40 min at 9.5 °C (the reefer fails), 30 min at 5.0 °C; signed batches of 10 over MQTT"
tracery gateway simulate --broker "127.0.0.1:$BROKER_PORT" --gateway reefer-12 --key "$WORK/reefer-12.key" \
  --scenario "$WORK/reefer-12.csv" --genesis "$DIR/genesis.json" --batch 10 --buffer "$WORK/reefer-12.buffer"

step "15. 3. The node verified and stored every batch, and its rule (above 8 °C for 15 minutes) published shipment_temperature_exceeded"
for _ in $(seq 1 50); do
  [ "$(api GET '/v1/eventlog/telemetry?from=1' | jq '.events | length')" -ge 1 ] && break; sleep 0.2
done
api GET /v1/gateways | jq -c '.gateways[] | {id, durableThrough, revoked}'
api GET '/v1/eventlog/telemetry?from=1' | jq -c '.events[] | {type, data: (.data | {lotNumber, start, peakCelsius, windowReadings, windowHash})}'

step "16. 4-5. The lot is on hold for inspection: sellable stock drops and the replenishment recommendation changes"
tracery holds list "${P_PLAN[@]}" --active
tracery inventory "${P_PLAN[@]}" --item "$FG_GTIN"
tracery replenish "${P_PLAN[@]}" --item "$FG_GTIN" --location "$DC" --lead-time 1

step "17. 6. The excursion is anchored: an EPCIS event naming the telemetry window by its hash, with a proof anyone can check"
EXC_ID=$(api GET '/v1/eventlog/telemetry?from=1' | jq -r '.events[0].data.eventID')
api GET "/v1/events/$(jq -rn --arg id "$EXC_ID" '$id | @uri')" \
  | jq -c '.epcisBody.queryResults.resultsBody.eventList[0] | {bizStep, disposition, rawData: .sensorElementList[0].sensorMetadata.rawData}'
tracery proof get "${P_ADMIN[@]}" --out "$WORK/excursion-proof.json" "$EXC_ID"
tracery proof verify --genesis "$DIR/genesis.json" "$WORK/excursion-proof.json"

step "18. 7. The ERP adapter posts the exception and the hold (outbox files; webhooks deliver the same), and SO-4712's allocation of the lot is held"
tracery exceptions "${P_PLAN[@]}" --open
for f in "$DIR/processor/data/erp/outbox/"*.csv; do echo "--- $(basename "$f")"; cat "$f"; done
api GET /v1/orders/SO-4712 | jq -c '{order: .id, allocations: [.allocations[] | {lotNumber, quantity, held}]}'

step "19. ERP documents: an X12 856 ship notice imported (its packing and shipping events anchored), a broken one refused"
EDI=""
for candidate in ${TRACERY_SHARED_DATA:+"$TRACERY_SHARED_DATA"} "$PWD/../shared/data" /work/shared/data; do
  if [ -d "$candidate/edi" ]; then EDI="$candidate/edi"; break; fi
done
if [ -n "$EDI" ]; then
  tracery erp import "${P_ADMIN[@]}" "$EDI/x12/856_4010VICS_SOPI_SSCC_X12Parser-FromGregarican.edi"
  if tracery erp import "${P_ADMIN[@]}" "$EDI/x12/856_4010_INVALID-mixed-terminators_stupidedi-SH856-fail-2.edi"; then
    echo "demo: a broken ship notice was imported" >&2; exit 1
  fi
  cp "$EDI/edifact/DESADV_D96A_php-edifact-D96ADESADV.edi" "$WORK/inbox/desadv.edi"
  for _ in $(seq 1 50); do [ -f "$WORK/inbox/imported/desadv.edi" ] && break; sleep 0.2; done
  echo "the inbox took desadv.edi: $(ls "$WORK/inbox/imported")"
else
  echo "(the shared EDI examples are not here; set TRACERY_SHARED_DATA to see this step)"
fi
tracery recall "${P_PLAN[@]}" "https://id.gs1.org/01/$FG_GTIN/10/$FG_LOT" --format fsma204 --out "$WORK/recall-fsma204.xlsx"

step "20. The nodes stop; each partner audits its own copy of the ledger"
tracery devnet down --dir "$DIR"
for org in grower processor retailer; do
  printf '%-10s ' "$org"; tracery ledger audit --data "$DIR/$org/data"
done
printf '\nDemo finished. The consortium is in %s\n' "$DIR"

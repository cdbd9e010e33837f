#include "scm_service.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/time.h"
#include "tracery/scm_core/model_json.h"
#include "tracery/scm_core/stock_effects.h"

namespace tracery::node {

Result<std::unique_ptr<ScmService>> ScmService::Open(const NodeConfig& config,
                                                     std::set<std::string> own_glns,
                                                     scm_core::EventLog* event_log,
                                                     offchain_store::BlobStore* blobs) {
  TRACERY_CHECK(event_log != nullptr && blobs != nullptr);
  const std::string outbox = config.data_dir + "/erp/outbox";
  std::error_code ec;
  std::filesystem::create_directories(outbox, ec);
  if (ec) return IoError("cannot create the ERP outbox " + outbox + ": " + ec.message());
  ASSIGN_OR_RETURN(auto operations,
                   scm_core::Operations::Open(config.data_dir + "/scm", SystemClock::Get(),
                                              config.demand_period_days));
  scm_core::AnchoringPolicy policy = scm_core::AnchoringPolicy::AnchorAll();
  if (config.anchoring_selective) {
    ASSIGN_OR_RETURN(policy, scm_core::AnchoringPolicy::Select(config.anchoring_biz_steps,
                                                               config.anchoring_dispositions));
  }
  return std::unique_ptr<ScmService>(new ScmService(std::move(operations), std::move(policy),
                                                    std::move(own_glns), event_log, blobs,
                                                    outbox));
}

ScmService::ScmService(std::unique_ptr<scm_core::Operations> operations,
                       scm_core::AnchoringPolicy policy, std::set<std::string> own_glns,
                       scm_core::EventLog* event_log, offchain_store::BlobStore* blobs,
                       std::string outbox_dir)
    : operations_(std::move(operations)),
      policy_(std::move(policy)),
      own_glns_(std::move(own_glns)),
      event_log_(event_log),
      blobs_(blobs),
      outbox_dir_(std::move(outbox_dir)) {}

ScmService::~ScmService() = default;

void ScmService::OnCaptured(const std::string& org,
                            const std::vector<v1::Checkpoint>& checkpoints) {
  (void)org;
  auto own = [this](const std::string& gln) { return IsOwnLocation(gln); };
  for (const v1::Checkpoint& cp : checkpoints) {
    auto moves = scm_core::StockEffects(cp, own);
    Status st = moves.ok() ? operations_->ApplyMovements(*moves) : moves.status();
    if (st.ok()) continue;
    scm_core::ExceptionRecord e;
    e.type = "stock_mismatch";
    e.severity = "warning";
    e.detail = st.message();
    e.reference = cp.event_id();
    (void)RaiseException(e, "exception_raised");
  }
}

void ScmService::Publish(const std::string& topic, const std::string& type,
                         const nlohmann::json& payload, const std::string& correlation_id) {
  auto appended = event_log_->Append(topic, {{type, payload.dump(), correlation_id}});
  if (!appended.ok()) {
    std::fprintf(stderr, "traceryd: event log: %s %s not published: %s\n", topic.c_str(),
                 type.c_str(), appended.status().ToString().c_str());
  }
}

namespace {

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + CsvField(fields[i]);
  return line + "\r\n";
}

std::string TimeOrEmpty(int64_t ms) { return ms == 0 ? "" : FormatRfc3339Utc(ms); }

}  // namespace

void ScmService::WriteOutbox(const std::string& name, const std::vector<std::string>& header,
                             const std::vector<std::string>& row) {
  Status st = WriteFileAtomic(outbox_dir_ + "/" + name + ".csv", CsvLine(header) + CsvLine(row));
  if (!st.ok()) {
    std::fprintf(stderr, "traceryd: ERP outbox: %s not written: %s\n", name.c_str(),
                 st.ToString().c_str());
  }
}

Result<scm_core::Hold> ScmService::PlaceHold(const std::string& gtin,
                                             const std::string& lot_number,
                                             const std::string& gln,
                                             const std::string& reason_code,
                                             const std::string& placed_by) {
  ASSIGN_OR_RETURN(scm_core::Hold hold,
                   operations_->PlaceHold(gtin, lot_number, gln, reason_code, placed_by));
  Announce(hold, "hold_placed");
  return hold;
}

Result<scm_core::Hold> ScmService::ReleaseHold(const std::string& id,
                                               const std::string& released_by,
                                               const std::string& release_reason) {
  ASSIGN_OR_RETURN(scm_core::Hold hold,
                   operations_->ReleaseHold(id, released_by, release_reason));
  Announce(hold, "hold_released");
  return hold;
}

void ScmService::Announce(const scm_core::Hold& hold, const std::string& type) {
  Publish("holds", type, scm_core::ToJson(hold), hold.id);
  WriteOutbox(hold.id + (hold.Active() ? "" : "-released"),
              {"record", "hold_id", "gtin", "lot_number", "gln", "reason_code", "placed_by",
               "placed_at", "released_by", "released_at", "release_reason"},
              {type, hold.id, hold.gtin, hold.lot_number, hold.gln, hold.reason_code,
               hold.placed_by, TimeOrEmpty(hold.placed_at_ms), hold.released_by,
               TimeOrEmpty(hold.released_at_ms), hold.release_reason});
}

Result<scm_core::ExceptionRecord> ScmService::RaiseException(scm_core::ExceptionRecord record,
                                                             const std::string& event_type) {
  ASSIGN_OR_RETURN(scm_core::ExceptionRecord e, operations_->RaiseException(std::move(record)));
  Publish("exceptions", event_type, scm_core::ToJson(e), e.id);
  WriteOutbox(e.id, {"record", "exception_id", "type", "severity", "gtin", "lot_number",
                     "shipment_id", "gln", "opened_at", "detail", "reference"},
              {event_type, e.id, e.type, e.severity, e.gtin, e.lot_number, e.shipment_id, e.gln,
               TimeOrEmpty(e.opened_at_ms), e.detail, e.reference});
  return e;
}

}  // namespace tracery::node

namespace tracery::node {
namespace {

// "ni:///sha-256;<base64url>" (RFC 6920): the telemetry window named by its hash.
std::string NiUri(const Hash32& hash) {
  return "ni:///sha-256;" + Base64UrlEncode(std::string_view(
                                reinterpret_cast<const char*>(hash.data()), hash.size()));
}

std::string Celsius(int64_t milli) {
  return scm_core::Quantity{milli}.ToString();
}

// The EPCIS ObjectEvent that anchors an excursion: what was watched (the lot as a quantity of
// its LGTIN class, the shipment as its SSCC), when, the peak, and the window's hash.
nlohmann::json ExcursionEpcisEvent(const scm_core::ExcursionEvent& e) {
  using nlohmann::json;
  const bool opened = e.kind == scm_core::ExcursionEventKind::kOpened;
  const int64_t time_ms = opened ? e.start_ms : e.end_ms;
  json metadata{{"time", FormatRfc3339Utc(time_ms)},
                {"startTime", FormatRfc3339Utc(e.start_ms)},
                {"deviceID", "urn:tracery:sensor:" + PercentEncode(e.gateway_id) + ":" +
                                 PercentEncode(e.sensor_id)},
                {"rawData", NiUri(e.window_hash)},
                {"bizRules", "urn:tracery:telemetry-rule:" + PercentEncode(e.rule)}};
  if (!opened) metadata["endTime"] = FormatRfc3339Utc(e.end_ms);
  json report{{"type", "gs1:Temperature"},
              {"exception", "ALARM_CONDITION"},
              {"maxValue", static_cast<double>(e.peak_milli) / 1000},
              {"uom", "CEL"}};
  json event{{"type", "ObjectEvent"},
             {"action", "OBSERVE"},
             {"eventTime", FormatRfc3339Utc(time_ms)},
             {"eventTimeZoneOffset", "+00:00"},
             {"bizStep", "sensor_reporting"},
             {"disposition", opened ? "non_conformant" : "conformant"},
             {"sensorElementList", json::array({{{"sensorMetadata", metadata},
                                                 {"sensorReport", json::array({report})}}})}};
  if (!e.shipment.empty()) event["epcList"] = json::array({"https://id.gs1.org/00/" + e.shipment});
  if (!e.gtin.empty()) {
    std::string cls = "https://id.gs1.org/01/" + e.gtin;
    if (!e.lot.empty()) cls += "/10/" + DigitalLinkEscape(e.lot);
    event["quantityList"] = json::array({{{"epcClass", cls}}});
  }
  return event;
}

}  // namespace

void ScmService::OnExcursion(const scm_core::ExcursionEvent& e) {
  const bool opened = e.kind == scm_core::ExcursionEventKind::kOpened;
  const std::string marker = std::string(opened ? "excursion-opened:" : "excursion-closed:") +
                             e.gateway_id + ":" + std::to_string(e.event_seq);
  // Delivered again after a crash: handled already when its exception or record exists.
  for (const scm_core::ExceptionRecord& x : operations_->Exceptions(false)) {
    if (x.reference == marker) return;
  }
  nlohmann::json payload{{"sensorId", e.sensor_id},
                         {"gatewayId", e.gateway_id},
                         {"rule", e.rule},
                         {"start", FormatRfc3339Utc(e.start_ms)},
                         {"peakCelsius", Celsius(e.peak_milli)},
                         {"windowReadings", e.window_readings},
                         {"windowHash", HashHex(e.window_hash)}};
  if (!opened) payload["end"] = FormatRfc3339Utc(e.end_ms);
  if (!e.gtin.empty()) payload["gtin"] = e.gtin;
  if (!e.lot.empty()) payload["lotNumber"] = e.lot;
  if (!e.shipment.empty()) payload["shipment"] = e.shipment;

  // 6. The checkpoint with the hash of the telemetry window.
  if (anchor_) {
    auto anchored = anchor_(ExcursionEpcisEvent(e).dump());
    if (anchored.ok()) {
      payload["eventID"] = *anchored;
    } else {
      std::fprintf(stderr, "traceryd: excursion %s not anchored: %s\n", marker.c_str(),
                   anchored.status().ToString().c_str());
    }
  }
  // 3. On the event log (webhooks deliver it).
  Publish("telemetry", opened ? "shipment_temperature_exceeded" : "shipment_temperature_recovered",
          payload, marker);
  scm_core::ExceptionRecord x;
  x.type = opened ? "temperature_excursion" : "temperature_recovered";
  x.severity = opened ? "critical" : "info";
  x.gtin = e.gtin;
  x.lot_number = e.lot;
  x.shipment_id = e.shipment;
  x.detail = "sensor " + e.sensor_id + " (gateway " + e.gateway_id + "): rule " + e.rule +
             (opened ? " exceeded since " + FormatRfc3339Utc(e.start_ms)
                     : " cleared at " + FormatRfc3339Utc(e.end_ms)) +
             ", peak " + Celsius(e.peak_milli) + " °C over " + std::to_string(e.window_readings) +
             " readings; window " + NiUri(e.window_hash);
  x.reference = marker;
  // 4. A rule flags the lot for inspection: the hold (5. sellable drops; 7. its allocations are
  // held), then the exception, both announced to the ERP outbox.
  // A lot already held everywhere (an earlier excursion, or this one delivered again after a
  // crash) is not held twice.
  if (opened && !e.gtin.empty() && !e.lot.empty() && !operations_->IsHeld(e.gtin, e.lot, "")) {
    auto hold = PlaceHold(e.gtin, e.lot, "", "temperature_excursion", "rule:" + e.rule);
    if (!hold.ok()) {
      std::fprintf(stderr, "traceryd: excursion %s: hold not placed: %s\n", marker.c_str(),
                   hold.status().ToString().c_str());
    }
  }
  auto raised = RaiseException(x, opened ? "exception_raised" : "exception_info");
  // A recovery is information: recorded (and announced) closed.
  if (raised.ok() && !opened) (void)operations_->CloseException(raised->id);
  if (!raised.ok()) {
    std::fprintf(stderr, "traceryd: excursion %s: exception not stored: %s\n", marker.c_str(),
                 raised.status().ToString().c_str());
  }
}

}  // namespace tracery::node

namespace tracery::node {

Result<nlohmann::json> ScmService::ImportErp(std::string_view bytes, scm_core::ErpFormatHint hint,
                                             const std::string& source,
                                             scm_core::ErpProblem* problem) {
  using nlohmann::json;
  ASSIGN_OR_RETURN(scm_core::ErpImport doc, scm_core::ImportErpDocument(bytes, hint, problem));
  // Every shipment's EPCIS events, before anything is stored: a mapping failure refuses all.
  std::vector<std::string> events;
  for (const scm_core::Shipment& s : doc.shipments) {
    ASSIGN_OR_RETURN(std::vector<std::string> e, scm_core::ShipmentToEpcisEvents(s));
    events.insert(events.end(), e.begin(), e.end());
  }
  std::lock_guard lock(import_mu_);
  for (const scm_core::Order& o : doc.orders) {
    if (operations_->GetOrder(o.id).ok()) {
      return AlreadyExists("order " + o.id + " is stored already (a changed order comes as a "
                           "new document number)");
    }
  }
  for (const scm_core::Shipment& s : doc.shipments) {
    if (operations_->GetShipment(s.id).ok()) {
      return AlreadyExists("shipment " + s.id + " is stored already");
    }
  }
  // The document itself, kept off-chain under its hash.
  std::string type = scm_core::ErpFormatName(doc.format);
  if (!doc.transactions.empty()) type += "-" + doc.transactions.front().type;
  for (char& c : type) {  // a document type of the off-chain store: a-z, 0-9, '.', '_', '-'
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a')
        : ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_') ? c : '-';
  }
  ASSIGN_OR_RETURN(const Hash32 document_hash, blobs_->Put(bytes, type.substr(0, 64)));
  RETURN_IF_ERROR(operations_->UpsertMasterData(doc.items, doc.locations, doc.parties));
  for (const scm_core::Order& o : doc.orders) RETURN_IF_ERROR(operations_->AddOrder(o).status());
  for (const scm_core::Shipment& s : doc.shipments) RETURN_IF_ERROR(operations_->AddShipment(s));
  json capture;
  if (!events.empty() && capture_) {
    ASSIGN_OR_RETURN(capture, capture_(events));
  }
  json transactions = json::array();
  for (const scm_core::ErpTransactionOutcome& t : doc.transactions) {
    transactions.push_back({{"type", t.type},
                            {"version", t.version},
                            {"controlNumber", t.control_number},
                            {"status", t.imported ? "imported" : "unsupported"},
                            {"detail", t.detail}});
  }
  json warnings = json::array();
  for (const scm_core::ErpWarning& w : doc.warnings) {
    warnings.push_back({{"where", w.where}, {"detail", w.detail}});
  }
  json order_ids = json::array(), shipment_ids = json::array();
  for (const scm_core::Order& o : doc.orders) order_ids.push_back(o.id);
  for (const scm_core::Shipment& s : doc.shipments) shipment_ids.push_back(s.id);
  json summary{{"format", scm_core::ErpFormatName(doc.format)},
               {"documentHash", HashHex(document_hash)},
               {"source", source},
               {"transactions", transactions},
               {"orders", order_ids},
               {"shipments", shipment_ids},
               {"items", doc.items.size()},
               {"locations", doc.locations.size()},
               {"parties", doc.parties.size()},
               {"warnings", warnings},
               {"events", events.size()}};
  if (doc.warnings_dropped > 0) summary["warningsDropped"] = doc.warnings_dropped;
  if (!capture.is_null()) summary["capture"] = capture;
  json published = summary;
  published.erase("capture");
  Publish("erp", "erp_document_imported", published, HashHex(document_hash));
  return summary;
}

}  // namespace tracery::node

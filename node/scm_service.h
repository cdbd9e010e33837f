// The SCM half of a partner's node (DESIGN.md "Data flow" 2–3): the operational state of the
// scm-core, the anchoring policy, and what happens when events arrive — stock moves at the
// partner's own locations (the genesis GLNs of its organisation) and problems become
// exceptions. Holds and exceptions are published on the event log (topics "holds" and
// "exceptions", docs/scm.md) for webhooks, and written as CSV files to the ERP outbox
// (<dataDir>/erp/outbox) for the partner's ERP to pick up.
//
// A record is stored first and announced after: when the announcement fails (disk full), the
// record stands and the failure is reported on stderr and in the returned status' absence —
// the announcement is what may be lost, never the record. Thread-safety: every method may be
// called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config.h"
#include "telemetry_service.h"
#include "tracery/core/status.h"
#include "tracery/offchain_store/blob_store.h"
#include "tracery/scm_core/anchoring_policy.h"
#include "tracery/scm_core/erp.h"
#include "tracery/scm_core/event_log.h"
#include "tracery/scm_core/operations.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::node {

class Node;

class ScmService final : public ExcursionSink {
 public:
  // Anchors one EPCIS event (JSON) for the node's organisation whatever the anchoring policy
  // says; returns its Event Hash ID. The node provides it (through Capture).
  using AnchorFn = std::function<Result<std::string>(const std::string& event_json)>;
  // Captures EPCIS events (JSON) for the node's organisation under the anchoring policy; returns
  // the capture job as the API shows it. The node provides it (through Capture).
  using CaptureFn = std::function<Result<nlohmann::json>(const std::vector<std::string>& events)>;

  // Opens the SCM store in <dataDir>/scm. `own_glns`: the locations the node's organisation
  // operates (from the genesis).
  static Result<std::unique_ptr<ScmService>> Open(const NodeConfig& config,
                                                  std::set<std::string> own_glns,
                                                  scm_core::EventLog* event_log,
                                                  offchain_store::BlobStore* blobs);
  ~ScmService();

  scm_core::Operations& operations() { return *operations_; }
  const scm_core::AnchoringPolicy& policy() const { return policy_; }
  bool IsOwnLocation(const std::string& gln) const { return own_glns_.count(gln) != 0; }
  const std::set<std::string>& own_glns() const { return own_glns_; }

  // Events of `org` captured for the first time on this node (anchored or kept off-chain):
  // their stock effects at the own locations are applied. A movement the stock cannot take
  // (more shipped than on hand) raises a stock_mismatch exception instead; the capture stands.
  void OnCaptured(const std::string& org, const std::vector<v1::Checkpoint>& checkpoints);

  // Holds and exceptions, stored, then published and written to the outbox.
  Result<scm_core::Hold> PlaceHold(const std::string& gtin, const std::string& lot_number,
                                   const std::string& gln, const std::string& reason_code,
                                   const std::string& placed_by);
  Result<scm_core::Hold> ReleaseHold(const std::string& id, const std::string& released_by,
                                     const std::string& release_reason);
  Result<scm_core::ExceptionRecord> RaiseException(scm_core::ExceptionRecord record,
                                                   const std::string& event_type);
  // Appends one message to a topic of the event log (best effort: a failure is logged).
  void Publish(const std::string& topic, const std::string& type, const nlohmann::json& payload,
               const std::string& correlation_id);
  const std::string& outbox_dir() const { return outbox_dir_; }
  void SetAnchor(AnchorFn anchor) { anchor_ = std::move(anchor); }
  void SetCapture(CaptureFn capture) { capture_ = std::move(capture); }

  // Imports an ERP document (X12 850/856, EDIFACT DESADV, CSV, JSON; docs/formats/erp.md): the
  // document is kept off-chain under its SHA-256, its master data, orders and shipments stored,
  // each shipment's EPCIS events (packing, shipping) captured under the anchoring policy, and
  // erp_document_imported published. A document that does not parse is refused whole
  // (InvalidArgument with *problem set); one whose order or shipment ids are stored already is
  // AlreadyExists, naming the first, and nothing of it is stored. Returns the summary the API
  // answers with. `source` names where it came from (api, inbox:<file>).
  Result<nlohmann::json> ImportErp(std::string_view bytes, scm_core::ErpFormatHint hint,
                                   const std::string& source, scm_core::ErpProblem* problem);


  // ExcursionSink. An opened excursion: published as shipment_temperature_exceeded, an exception
  // raised, the lot (or shipment) put on hold for inspection, and an EPCIS ObjectEvent anchored
  // whose sensor metadata names the telemetry window by its hash (rawData ni:///sha-256;...). A
  // closed one: published as shipment_temperature_recovered and anchored with the hash of the
  // whole window; the hold stays until someone releases it. Idempotent by event_seq.
  void OnExcursion(const scm_core::ExcursionEvent& event) override;

 private:
  ScmService(std::unique_ptr<scm_core::Operations> operations, scm_core::AnchoringPolicy policy,
             std::set<std::string> own_glns, scm_core::EventLog* event_log,
             offchain_store::BlobStore* blobs, std::string outbox_dir);
  void Announce(const scm_core::Hold& hold, const std::string& type);
  // Writes <outbox>/<name>.csv atomically (a header row and one record).
  void WriteOutbox(const std::string& name, const std::vector<std::string>& header,
                   const std::vector<std::string>& row);

  std::unique_ptr<scm_core::Operations> operations_;
  const scm_core::AnchoringPolicy policy_;
  const std::set<std::string> own_glns_;
  scm_core::EventLog* const event_log_;
  AnchorFn anchor_;
  CaptureFn capture_;
  offchain_store::BlobStore* const blobs_;
  std::mutex import_mu_;  // one ERP import at a time (its existence checks, then its writes)
  const std::string outbox_dir_;
};

}  // namespace tracery::node

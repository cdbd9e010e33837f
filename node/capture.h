// Capture of EPCIS events (the capture interface of the EPCIS 2.0 REST binding): each event of
// a validated document becomes a checkpoint of this node's organisation, its full payload goes
// to the off-chain store under its SHA-256, and the checkpoints are submitted in transactions
// of up to 1,000. A capture job records what happened to each event, durably, so that
// GET /v1/capture/{id} answers after a restart too.
//
// Idempotency: an event whose Event Hash ID is already anchored with the same payload (and the
// same error-declaration state) is not anchored again; the job reports it committed at the
// height where it already is. The same event twice in one document, or in two captures at
// once, is anchored once (the later capture's job follows the earlier one's transaction).
//
// The node's anchoring policy decides which events become checkpoints; the others are kept
// off-chain only (their payload stored, status "stored"). The events new to this node (not
// anchored or stored before) go to the SCM core, which moves stock at the partner's locations.
//
// Thread-safety: Run and Load may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/epcis/document.h"

namespace leveldb {
class DB;
}

namespace tracery::node {

class Node;

struct CapturedEvent {
  std::string event_id;         // the Event Hash ID
  std::string client_event_id;  // the eventID the document gave, when different
  bool declaration = false;     // carries an errorDeclaration
  // Where it is: already anchored at `height` when captured, or in transaction `tx` of the
  // job; or refused with `problem` (GS1-Capture-Error-Behaviour: proceed).
  std::optional<uint64_t> height;
  std::optional<size_t> tx;
  std::optional<epcis::Problem> problem;
  // Not anchored: the anchoring policy kept it off-chain (why), its payload stored here only.
  std::string kept_off_chain;
};

struct CaptureJob {
  std::string id;  // 32 hex digits
  std::string org;
  int64_t created_ms = 0;
  bool proceed = false;  // GS1-Capture-Error-Behaviour
  std::vector<CapturedEvent> events;  // document order
  std::vector<Hash32> tx_ids;
};

// What GS1-Capture-Error-Behaviour asks for.
enum class CaptureErrorBehaviour { kRollback, kProceed };

class Capture {
 public:
  static Result<std::unique_ptr<Capture>> Open(Node* node, const std::string& dir);
  ~Capture();

  // Captures the events of a document for `org`. `problems[i]`, when set, is why event i was
  // refused; with kRollback there must be none (the caller refuses the document instead).
  // Payloads are stored and synced, the transactions accepted (synced to the pending log) and
  // the job written before it returns. Nothing is kept when it fails.
  // `always_anchor`: anchor every event whatever the anchoring policy says (excursions).
  Result<CaptureJob> Run(const std::string& org, const std::vector<epcis::Event>& events,
                         const std::vector<std::optional<epcis::Problem>>& problems,
                         CaptureErrorBehaviour behaviour, bool always_anchor = false);
  Result<CaptureJob> Load(const std::string& id) const;
  // The job as the API shows it: captureID, createdAt, finishedAt, running, success,
  // captureErrorBehaviour, errors, and each event's status (pending, committed with height,
  // failed with its problem), read against the ledger now.
  nlohmann::json StatusJson(const CaptureJob& job) const;

 private:
  Capture(Node* node, std::unique_ptr<leveldb::DB> db);
  // The height of a checkpoint with this event id, payload hash and declaration state, when
  // the ledger holds one.
  Result<std::optional<uint64_t>> AnchoredHeight(const v1::Checkpoint& checkpoint) const;
  Status Save(const CaptureJob& job);
  // Forgets in-flight entries whose transaction is committed, once there are many.
  void PruneInFlight();  // REQUIRES: mu_ held

  // In-flight entries beyond which committed ones are forgotten.
  static constexpr size_t kMaxInFlight = 200'000;

  Node* const node_;
  const std::unique_ptr<leveldb::DB> db_;
  std::mutex mu_;  // one capture at a time decides which events are new, and submits them
  // Payload hash + declaration state of each event submitted and maybe not committed yet → its
  // transaction (guarded by mu_). A committed one is found in the ledger instead.
  std::map<std::string, Hash32> in_flight_;
};

}  // namespace tracery::node

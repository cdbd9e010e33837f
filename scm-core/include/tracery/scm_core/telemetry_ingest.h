// The telemetry ingestor: the gateway registry, deduplication by (gateway, sequence), the rule
// engine and the durable store of accepted batches, in one LevelDB (layout in
// docs/formats/telemetry.md). Raw telemetry stays here, off-chain; only excursion events (with
// their window hashes) leave for anchoring.
//
// The flow of a batch: VerifyTelemetry (any thread, on a registry snapshot) -> Stage (dedup and
// rules, in memory) -> Commit (one synced LevelDB write for everything staged: batches, dedup
// state, rule state, events) -> only then the acknowledgements and events Commit returns may
// be published. Rule state is persisted with the batches that changed it, so it survives a
// restart exactly (it is not rebuilt).
//
// Not thread-safe: one owner calls Stage/Commit and the registry methods (the node serialises).
// After a failed Commit the in-memory state is ahead of the disk: the owner must drop this
// ingestor and Open the store again (nothing was acknowledged, so gateways publish again).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/scm_core/telemetry.h"
#include "tracery/scm_core/telemetry_rules.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace tracery::scm_core {

// How far above the contiguous durable prefix a gateway may run: sequence numbers beyond
// durable_through + this are refused (not stored, not acknowledged; the gateway sends them
// again later). It bounds the per-gateway set of sequences seen above the prefix.
constexpr uint64_t kDefaultDedupWindow = 8192;
constexpr size_t kMaxGateways = 100000;
constexpr size_t kMaxSensors = 1000000;

struct IngestOptions {
  std::string data_dir;  // the LevelDB folder (created when missing)
  Hash32 genesis_hash{};
  RuleConfig rules = DefaultColdChainRules();
  uint64_t dedup_window = kDefaultDedupWindow;
};

enum class StageVerdict {
  kAccepted,
  kDuplicate,    // already durable (or staged): not stored again, acknowledged again
  kRevoked,      // the gateway was revoked after the batch was verified
  kTooFarAhead,  // beyond the dedup window
};
const char* StageVerdictName(StageVerdict verdict);

struct CommitOutcome {
  // One acknowledgement per gateway with a batch staged since the last commit (accepted or
  // duplicate), describing what is durable now.
  std::vector<TelemetryAck> acks;
  // Events durable now, event_seq ascending; hand them to the sink, then MarkDelivered.
  std::vector<ExcursionEvent> events;
  size_t batches_written = 0;
};

class TelemetryIngestor {
 public:
  static Result<std::unique_ptr<TelemetryIngestor>> Open(const IngestOptions& options);
  ~TelemetryIngestor();
  TelemetryIngestor(const TelemetryIngestor&) = delete;
  TelemetryIngestor& operator=(const TelemetryIngestor&) = delete;

  // Registry changes, each a synced write before returning.
  Status RegisterGateway(const std::string& gateway_id, const PublicKey& key, int64_t now_ms);
  Status RevokeGateway(const std::string& gateway_id, const std::string& by, int64_t now_ms);
  Status BindSensor(const SensorBinding& binding);
  const GatewayRegistry& registry() const { return registry_; }

  // REQUIRES: verified.verdict == kOk. Late readings are counted in *late (may be null).
  StageVerdict Stage(VerifiedBatch verified, uint64_t* late_readings);
  size_t staged_batches() const { return staged_batches_; }
  bool HasStaged() const { return !ack_gateways_.empty(); }
  // Writes everything staged with sync; returns what may be announced now.
  Result<CommitOutcome> Commit();

  // Events committed but not yet marked delivered (after a restart: what the sink may not have
  // seen), event_seq ascending, at most `limit`.
  Result<std::vector<ExcursionEvent>> UndeliveredEvents(size_t limit) const;
  Status MarkDelivered(uint64_t through_event_seq);

  // The acknowledgement a gateway would get now (durable_through 0 for one never heard from).
  TelemetryAck Progress(const std::string& gateway_id) const;
  // The stored envelope of (gateway, sequence): the exact bytes received.
  Result<std::string> ReadBatch(const std::string& gateway_id, uint64_t sequence) const;
  // Every stored batch of a gateway, in sequence order, decoded (for audits and tests).
  Result<std::vector<TelemetryBatch>> ReadBatches(const std::string& gateway_id) const;

 private:
  struct Dedup {
    uint64_t durable_through = 0;  // every sequence 1..durable_through is stored
    std::set<uint64_t> above;      // stored sequences > durable_through (bounded by the window)
  };
  TelemetryIngestor(const IngestOptions& options, std::unique_ptr<leveldb::DB> db);
  Status Load();
  Status WriteRegistry(const std::string& key, const std::string& value);
  TelemetryAck AckOf(const std::string& gateway_id, const Dedup& d) const;
  static std::string EncodeDedup(const Dedup& d);

  const IngestOptions options_;
  std::unique_ptr<leveldb::DB> db_;
  GatewayRegistry registry_;
  RuleEngine rules_;
  std::map<std::string, Dedup, std::less<>> dedup_;
  uint64_t next_event_seq_ = 1;
  uint64_t delivered_through_ = 0;
  // Staged since the last Commit.
  std::unique_ptr<leveldb::WriteBatch> staged_;
  size_t staged_batches_ = 0;
  std::set<std::string> ack_gateways_;
  std::vector<ExcursionEvent> staged_events_;
};

}  // namespace tracery::scm_core

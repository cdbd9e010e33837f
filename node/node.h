// The node: genesis, ledger, pending log, consensus engine and the owner thread that drives
// the engine (Ready → persist → send → apply). HTTP handlers call Submit and the read
// methods from their own threads.
//
// Solo: the validator builds blocks from its queue. A node that is not a validator (with solo
// consensus, every node but one) is a follower: its forwarder thread sends the transactions
// it signed to the validator's API, and its sync thread fetches each committed block from
// the validator, checks the certificate, re-validates the block and appends it.
//
// Raft (raft_node.cc): every validator runs a RaftEngine and the peer transport. The leader
// builds blocks on top of its uncommitted ones; the others forward the transactions they
// signed to it over the peer links and send each again until it is committed (the pending log
// keeps it meanwhile). A node that fell behind the leader's log fetches committed blocks from
// the leader's ledger.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "capture.h"
#include "config.h"
#include "metrics.h"
#include "named_queries.h"
#include "peer_transport.h"
#include "pending_log.h"
#include "raft_storage.h"
#include "erp_inbox.h"
#include "scm_service.h"
#include "webhook_sender.h"
#include "tracery/consensus/engine.h"
#include "tracery/consensus/raft.h"
#include "tracery/ledger/ledger.h"
#include "tracery/lineage/event_index.h"
#include "tracery/lineage/index.h"
#include "tracery/offchain_store/blob_store.h"

namespace tracery::node {

struct SubmitResult {
  std::vector<Hash32> tx_ids;  // one per transaction, in order
  bool replayed = false;       // the Idempotency-Key was seen before with the same body
};

class Node final : public consensus::ProposalOps {
 public:
  // Loads the genesis and the node key, opens (and verifies) the ledger and the pending log,
  // and re-queues the pending transactions that the ledger does not hold yet.
  static Result<std::unique_ptr<Node>> Open(const NodeConfig& config);
  ~Node() override;

  // Starts the owner thread.
  void Start();
  // Stops taking transactions, finishes the block in progress and joins the owner thread.
  void Stop();

  // Signs each batch of checkpoints as one transaction of `org` with the node key, verifies
  // them, writes them to the pending log in one batch and queues them for the next blocks:
  // all or none.
  // `idempotency`: (key, SHA-256 of the request body), scoped by org; only with one batch.
  // `ack`: kAccepted — the caller acknowledges the transaction as soon as Submit returns, so
  // the pending-log write is synced first; kCommitted — the caller answers only once the
  // transaction is committed (durable in the ledger), so the write is synced only when it
  // carries an idempotency record, which must survive a crash.
  enum class Ack { kAccepted, kCommitted };
  Result<SubmitResult> Submit(const std::string& org,
                              const std::vector<std::vector<v1::Checkpoint>>& batches,
                              const std::optional<std::pair<std::string, Hash32>>& idempotency,
                              Ack ack = Ack::kAccepted);
  // Validator only: takes transactions that another node of `org` signed and forwarded.
  // Each must be valid and of that org; one already in the ledger is accepted again.
  Result<std::vector<Hash32>> AcceptForwarded(const std::string& org,
                                              std::vector<std::string> txs);
  // Waits until the transaction is in the ledger, or the timeout passes (Unavailable).
  Result<ledger::TxLocation> WaitCommitted(const Hash32& tx_id, int64_t timeout_ms);
  // Waits until the ledger reaches `height` or the timeout passes; returns whether it did.
  bool WaitHeight(uint64_t height, int64_t timeout_ms);
  bool is_validator() const { return engine_ != nullptr; }
  // Raft: the consensus state, for /readyz and status; nullopt with solo.
  std::optional<consensus::RaftStatus> raft_status() const;
  std::optional<PeerStats> peer_stats() const;

  const ledger::Ledger& ledger() const { return *ledger_; }
  offchain_store::BlobStore& blobs() { return *blobs_; }
  const lineage::EventIndex& event_index() const { return *event_index_; }
  const lineage::LineageIndex& lineage() const { return *lineage_; }
  // The genesis GLNs of each organisation, canonical.
  const lineage::OrgByLocation& orgs_by_location() const { return orgs_by_location_; }
  Capture& capture() { return *capture_; }
  ScmService& scm() { return *scm_; }
  // The IoT telemetry ingest, when the configuration names a broker (else null). Started with
  // the node.
  TelemetryService* telemetry() { return telemetry_.get(); }
  NamedQueries& named_queries() { return *named_queries_; }
  // The durable event log, webhook subscriptions and their sender (started with the node).
  EventLogService& event_log() { return *event_log_; }
  // Waits until the derived indexes have applied `height` (or the timeout passes); returns
  // whether they have. Queries wait for the ledger head they start at, so that a client
  // reads its own committed writes.
  bool WaitIndexed(uint64_t height, int64_t timeout_ms);
  const ledger::Genesis& genesis() const { return genesis_; }
  const NodeConfig& config() const { return config_; }
  const std::string& org() const { return org_; }
  Metrics& metrics() { return metrics_; }
  size_t pending() const;
  bool running() const;

  // ProposalOps
  Result<Info> Inspect(const std::string& proposal) override;
  v1::CommitSignature SignVote(uint64_t height, const Hash32& hash, uint64_t term) override;
  bool VerifyVote(const v1::CommitSignature& vote, uint64_t height, const Hash32& hash,
                  uint64_t term) override;
  std::string MakeEmpty(uint64_t term) override;

 private:
  Node(NodeConfig config, ledger::Genesis genesis, PrivateKey key);
  Status Recover();
  // Builds, signs and validates one transaction of this node's organisation.
  Result<ledger::ParsedTx> SignTx(const std::vector<v1::Checkpoint>& checkpoints) const;
  Status Enqueue(ledger::ParsedTx tx);
  void Run();
  std::string ValidatorToken() const;
  void RunForwarder();
  void RunSync();
  // Takes up to max_block_txs queued transactions; waits while the queue is empty. Returns an
  // empty batch when the node stops.
  std::vector<ledger::ParsedTx> TakeBatch(size_t max_txs, size_t max_bytes);
  void NotifyCommitted(const ledger::ParsedBlock& block);
  bool Stopping() const;
  void CommitBatch(std::vector<ledger::ParsedTx> batch);
  void ApplyReady();

  // Raft (raft_node.cc).
  Status OpenRaft();
  void RunRaft();
  void HandleFrame(const std::string& from, v1::PeerFrame frame);
  void ProposeBlock(std::vector<ledger::ParsedTx> txs);
  void ForwardToLeader(std::vector<ledger::ParsedTx> txs);
  void AcceptFromPeer(const std::string& from, const v1::ForwardedTxs& txs);
  // Queues again the outstanding transactions due for a resend (`all`: every one).
  void RetryOutstanding(int64_t now_ms, bool all);
  void HandleRaftReady();
  void ApplyCommitted(const consensus::Committed& c);
  void RequestBlocks();
  void ServeBlocks(const std::string& to, const v1::BlockRequest& request);
  void AcceptBlocks(const std::string& from, const v1::BlockBatch& batch);
  void RebuildPending();
  Result<Info> InspectRaft(const std::string& proposal);
  bool CanTakeTxs() const;  // REQUIRES: queue_mu_ held

  const NodeConfig config_;
  const ledger::Genesis genesis_;
  const PrivateKey key_;
  std::string org_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<PendingLog> pending_log_;
  std::unique_ptr<consensus::Engine> engine_;
  Metrics metrics_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<ledger::ParsedTx> queue_;                    // guarded by queue_mu_
  std::map<Hash32, int64_t> accepted_at_ms_;              // guarded by queue_mu_
  size_t in_progress_ = 0;                                // guarded by queue_mu_
  bool stopping_ = false;                                 // guarded by queue_mu_
  bool started_ = false;                                  // guarded by queue_mu_

  struct CommitWaiter {
    std::condition_variable cv;
    std::optional<ledger::TxLocation> location;  // guarded by commit_mu_
  };
  void WakeAllWaiters();

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;  // notified after every block (WaitHeight)
  std::multimap<Hash32, CommitWaiter*> commit_waiters_;  // guarded by commit_mu_

  std::mutex idempotency_mu_;
  std::condition_variable idempotency_cv_;
  std::set<std::string> idempotency_in_flight_;  // guarded by idempotency_mu_

  std::deque<ledger::ParsedBlock> proposed_;  // owner thread only (solo)

  // Raft. The owner thread drives the engine; the transport thread only fills inbox_.
  const bool raft_mode_;
  consensus::RaftEngine* raft_ = nullptr;  // engine_, when it is Raft
  std::unique_ptr<RaftStorage> raft_storage_;
  std::deque<std::pair<std::string, v1::PeerFrame>> inbox_;  // guarded by queue_mu_
  size_t inbox_bytes_ = 0;                                    // guarded by queue_mu_
  bool leader_can_take_ = false;                              // guarded by queue_mu_
  bool follower_can_take_ = false;                            // guarded by queue_mu_
  // The uncommitted entries beyond the ledger head, heights head+1.. (owner thread only).
  std::vector<ledger::ParsedBlock> pending_blocks_;
  // The block the owner thread is proposing, until the engine inspects it (owner thread only).
  std::optional<ledger::ParsedBlock> just_built_;
  // Transactions this node accepted and has not seen committed, with when to send them again.
  struct Outstanding {
    ledger::ParsedTx tx;
    int64_t retry_at_ms = 0;
  };
  std::map<Hash32, Outstanding> outstanding_;  // guarded by queue_mu_
  // Sent to the leader again when not committed this long after it was last sent (the
  // leader may have crashed or lost leadership before it was in a block).
  static constexpr int64_t kResendMs = 3000;
  // What a follower sends in one request (solo) or frame (Raft) to the validator or leader.
  static constexpr size_t kForwardMaxTxs = 1000;
  static constexpr size_t kForwardMaxBytes = 8 << 20;
  static int64_t NowMs();
  mutable std::mutex status_mu_;
  std::optional<consensus::RaftStatus> raft_status_;  // guarded by status_mu_
  std::optional<consensus::CatchUp> catch_up_;  // owner thread only
  int64_t catch_up_requested_ms_ = 0;          // owner thread only

  // Derived state and off-chain payloads. The indexer thread applies committed blocks to the
  // indexes after the ledger has them (catching up on start).
  std::unique_ptr<offchain_store::LevelDbBlobStore> blobs_;
  std::unique_ptr<lineage::EventIndex> event_index_;
  std::unique_ptr<lineage::LineageIndex> lineage_;
  lineage::OrgByLocation orgs_by_location_;
  // The height both indexes have applied.
  uint64_t IndexedHeight() const;
  std::unique_ptr<ScmService> scm_;
  std::unique_ptr<TelemetryService> telemetry_;  // destroyed before scm_, its sink
  std::unique_ptr<ErpInbox> erp_inbox_;          // likewise
  std::unique_ptr<Capture> capture_;
  std::unique_ptr<NamedQueries> named_queries_;
  std::unique_ptr<EventLogService> event_log_;
  void RunIndexer();
  std::mutex indexed_mu_;
  std::condition_variable indexed_cv_;
  std::thread indexer_;

  std::thread owner_;
  std::thread sync_;  // followers only
  // Last, so that it is destroyed first: its thread calls into the members above.
  std::unique_ptr<PeerTransport> transport_;
};

}  // namespace tracery::node

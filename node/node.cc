#include "node.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "tracery/consensus/solo.h"
#include "tracery/scm_core/stock_effects.h"
#include "tracery/epcis/document.h"
#include "tracery/epcis/identifiers.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/time.h"
#include "tracery/ledger/validator.h"

namespace tracery::node {
namespace {

uint64_t RandomNonce() {
  std::string bytes = RandomBytes(8);
  return GetBe64(bytes);
}

}  // namespace

int64_t Node::NowMs() { return SystemClock::Get()->NowMs(); }

Node::Node(NodeConfig config, ledger::Genesis genesis, PrivateKey key)
    : config_(std::move(config)),
      genesis_(std::move(genesis)),
      key_(std::move(key)),
      raft_mode_(genesis_.consensus() == "raft") {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Open(const NodeConfig& config) {
  ASSIGN_OR_RETURN(ledger::Genesis genesis, ledger::Genesis::Load(config.genesis_path));
  if (!ledger::ConsensusSupported(genesis.consensus())) {
    return FailedPrecondition("consensus '" + genesis.consensus() +
                              "' is not supported by this build (supported: solo, raft)");
  }
  ASSIGN_OR_RETURN(PrivateKey key, ReadKeyFile(config.key_path));
  const ledger::NodeInfo* self = genesis.FindNode(config.node_id);
  if (self == nullptr) {
    return FailedPrecondition("node '" + config.node_id + "' is not in the genesis");
  }
  if (self->key.bytes() != key.public_key().bytes()) {
    return FailedPrecondition("the key in " + config.key_path + " is not the key the genesis names for node '" +
                              config.node_id + "'");
  }
  std::unique_ptr<Node> node(new Node(config, std::move(genesis), std::move(key)));
  node->org_ = self->org;
  if (!self->validator && genesis.consensus() == "raft") {
    return FailedPrecondition("node '" + config.node_id +
                              "' is not a validator; with raft consensus every node of this "
                              "version is a validator (give it the validator role in the genesis)");
  }
  if (!self->validator && config.validator_api.empty()) {
    return FailedPrecondition("node '" + config.node_id +
                              "' is not a validator: its configuration must name validatorApi, "
                              "the validator it forwards transactions to and follows");
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return IoError("cannot create data folder " + config.data_dir + ": " + ec.message());
  ASSIGN_OR_RETURN(node->ledger_, ledger::Ledger::Open(config.data_dir + "/ledger", node->genesis_));
  ASSIGN_OR_RETURN(node->pending_log_, PendingLog::Open(config.data_dir + "/pending"));
  offchain_store::LevelDbBlobStoreOptions blob_options;
  blob_options.dir = config.data_dir + "/offchain";
  blob_options.master_key_file = config.offchain_master_key_path.empty()
                                     ? offchain_store::DefaultMasterKeyPath(blob_options.dir)
                                     : config.offchain_master_key_path;
  blob_options.retention = config.retention;
  ASSIGN_OR_RETURN(node->blobs_, offchain_store::LevelDbBlobStore::Open(blob_options));
  ASSIGN_OR_RETURN(node->event_index_, lineage::EventIndex::Open(config.data_dir + "/index-events"));
  // Rebuilt from the ledger when damaged or of another version; caught up before serving.
  ASSIGN_OR_RETURN(node->lineage_, lineage::LineageIndex::OpenAndCatchUp(
                                       config.data_dir + "/index-lineage", *node->ledger_));
  for (const auto& [location, org] : lineage::OrgsFromGenesis(node->genesis_)) {
    auto canonical = epcis::CanonicalIdentifier(location);
    node->orgs_by_location_[canonical.ok() ? *canonical : location] = org;
  }
  std::set<std::string> own_glns;
  for (const auto& [location, org] : node->orgs_by_location_) {
    std::string gln = scm_core::GlnOfLocation(location);
    if (org == node->org_ && !gln.empty()) own_glns.insert(gln);
  }
  ASSIGN_OR_RETURN(node->event_log_, EventLogService::Open(config.data_dir));
  ASSIGN_OR_RETURN(node->scm_,
                   ScmService::Open(config, std::move(own_glns), node->event_log_->log.get(),
                                    node->blobs_.get()));
  ASSIGN_OR_RETURN(node->capture_, Capture::Open(node.get(), config.data_dir + "/capture"));
  Node* raw = node.get();
  node->scm_->SetCapture([raw](const std::vector<std::string>& texts) -> Result<nlohmann::json> {
    std::vector<epcis::Event> events;
    for (const std::string& text : texts) {
      epcis::Problem problem;
      auto event = epcis::ParseEvent(text, epcis::Binding::kJson, &problem);
      if (!event.ok()) return InvalidArgument(problem.ToString());
      events.push_back(std::move(event).value());
    }
    ASSIGN_OR_RETURN(CaptureJob job, raw->capture().Run(raw->org(), events, {},
                                                        CaptureErrorBehaviour::kRollback));
    return raw->capture().StatusJson(job);
  });
  node->scm_->SetAnchor([raw](const std::string& event_json) -> Result<std::string> {
    epcis::Problem problem;
    auto event = epcis::ParseEvent(event_json, epcis::Binding::kJson, &problem);
    if (!event.ok()) return InvalidArgument(problem.ToString());
    ASSIGN_OR_RETURN(CaptureJob job, raw->capture().Run(raw->org(), {*event}, {},
                                                        CaptureErrorBehaviour::kRollback,
                                                        /*always_anchor=*/true));
    return job.events[0].event_id;
  });
  ASSIGN_OR_RETURN(node->named_queries_, NamedQueries::Open(config.data_dir + "/queries"));
  RETURN_IF_ERROR(node->Recover());
  if (self->validator && node->raft_mode_) {
    RETURN_IF_ERROR(node->OpenRaft());
  } else if (self->validator) {
    node->engine_ = std::make_unique<consensus::SoloEngine>(config.node_id, node.get());
  }
  return node;
}

Status Node::Recover() {
  ASSIGN_OR_RETURN(std::vector<std::string> pending, pending_log_->All());
  std::vector<Hash32> done;
  for (std::string& bytes : pending) {
    auto tx = ledger::ParseTx(std::move(bytes));
    if (!tx.ok()) return Corruption("pending log holds a bad transaction: " + tx.status().message());
    if (ledger_->FindTx(tx->id).ok()) {
      done.push_back(tx->id);
      continue;
    }
    Status st = ledger::ValidateTx(*tx, genesis_);
    if (!st.ok()) return Corruption("pending log holds an invalid transaction: " + st.message());
    std::lock_guard lock(queue_mu_);
    accepted_at_ms_[tx->id] = NowMs();
    if (raft_mode_) outstanding_[tx->id] = Outstanding{*tx, NowMs() + kResendMs};
    queue_.push_back(std::move(tx).value());
  }
  return pending_log_->Remove(done);
}

void Node::Start() {
  std::lock_guard lock(queue_mu_);
  if (started_) return;
  started_ = true;
  indexer_ = std::thread([this] { RunIndexer(); });
  event_log_->sender->Start();
  if (!config_.erp_inbox_dir.empty()) {
    erp_inbox_ = std::make_unique<ErpInbox>(config_.erp_inbox_dir, scm_.get());
    erp_inbox_->Start();
  }
  if (!config_.telemetry_broker_host.empty()) {
    TelemetryServiceOptions t;
    t.mqtt.host = config_.telemetry_broker_host;
    t.mqtt.port = config_.telemetry_broker_port;
    t.mqtt.client_id = config_.node_id + "-telemetry";
    t.ingest.data_dir = config_.data_dir + "/telemetry";
    t.ingest.genesis_hash = genesis_.hash();
    t.ingest.rules.allowed_lateness_ms = config_.telemetry_allowed_lateness_ms;
    auto service = TelemetryService::Start(std::move(t), scm_.get());
    if (service.ok()) {
      telemetry_ = std::move(service).value();
    } else {
      std::fprintf(stderr, "traceryd: telemetry ingest not started: %s\n",
                   service.status().ToString().c_str());
    }
  }
  if (raft_ != nullptr) {
    owner_ = std::thread([this] { RunRaft(); });
  } else if (is_validator()) {
    owner_ = std::thread([this] { Run(); });
  } else {
    owner_ = std::thread([this] { RunForwarder(); });
    sync_ = std::thread([this] { RunSync(); });
  }
}

void Node::Stop() {
  // First the telemetry ingest (its sink anchors through this node): it stops its threads, and
  // nothing it had not committed was acknowledged to a gateway.
  telemetry_.reset();
  erp_inbox_.reset();
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;  // the owner thread drains the queue, then ends
  }
  queue_cv_.notify_all();
  WakeAllWaiters();
  if (owner_.joinable()) owner_.join();
  if (sync_.joinable()) sync_.join();
  WakeAllWaiters();
  if (indexer_.joinable()) indexer_.join();
  if (event_log_) event_log_->sender->Stop();
}

void Node::RunIndexer() {
  int64_t next_retention_ms = 0;
  while (!Stopping()) {
    // Retention of off-chain payloads, on the same thread: bounded work per pass.
    if (!config_.retention.empty() && SystemClock::Get()->NowMs() >= next_retention_ms) {
      constexpr size_t kErasuresPerPass = 1000;
      auto run = blobs_->ApplyRetention(SystemClock::Get()->NowMs(), kErasuresPerPass);
      if (!run.ok()) {
        std::fprintf(stderr, "traceryd: retention failed (will retry): %s\n",
                     run.status().ToString().c_str());
      } else if (run->erased > 0) {
        std::fprintf(stderr, "traceryd: retention erased %zu payloads\n", run->erased);
      }
      next_retention_ms = SystemClock::Get()->NowMs() +
                          (run.ok() && !run->complete ? 0 : config_.retention_check_ms);
    }
    const uint64_t next = IndexedHeight() + 1;
    if (!WaitHeight(next, 200)) continue;
    // A failure to index is not a failure of the ledger: report it and try again later.
    Status st = event_index_->CatchUp(*ledger_);
    if (st.ok()) st = lineage_->CatchUp(*ledger_);
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: indexing failed (will retry): %s\n", st.ToString().c_str());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    std::lock_guard lock(indexed_mu_);
    indexed_cv_.notify_all();
  }
}

uint64_t Node::IndexedHeight() const {
  return std::min(event_index_->applied_height(), lineage_->applied_height());
}

bool Node::WaitIndexed(uint64_t height, int64_t timeout_ms) {
  std::unique_lock lock(indexed_mu_);
  return indexed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return IndexedHeight() >= height || Stopping();
  }) && IndexedHeight() >= height;
}

void Node::WakeAllWaiters() {
  std::lock_guard lock(commit_mu_);
  for (auto& [id, waiter] : commit_waiters_) waiter->cv.notify_one();
  commit_cv_.notify_all();
}

bool Node::Stopping() const {
  std::lock_guard lock(queue_mu_);
  return stopping_;
}

bool Node::running() const {
  std::lock_guard lock(queue_mu_);
  return started_ && !stopping_;
}

size_t Node::pending() const {
  std::lock_guard lock(queue_mu_);
  return queue_.size() + in_progress_;
}

Result<ledger::ParsedTx> Node::SignTx(const std::vector<v1::Checkpoint>& checkpoints) const {
  if (checkpoints.empty() || checkpoints.size() > ledger::kMaxCheckpointsPerTx) {
    return InvalidArgument("a transaction carries 1 to 1000 checkpoints");
  }
  v1::Tx tx;
  tx.set_schema_version(ledger::kSchemaVersion);
  std::vector<Hash32> leaves;
  leaves.reserve(checkpoints.size());
  for (const v1::Checkpoint& cp : checkpoints) {
    std::string* bytes = tx.add_checkpoints();
    *bytes = cp.SerializeAsString();
    leaves.push_back(ledger::LeafHash(*bytes));
  }
  v1::TxHeader header;
  header.set_schema_version(ledger::kSchemaVersion);
  header.set_org(org_);
  header.set_key_id(key_.public_key().KeyId());
  header.set_nonce(RandomNonce());
  header.set_time_ms(NowMs());
  header.set_checkpoint_count(static_cast<uint32_t>(checkpoints.size()));
  header.set_checkpoints_root(HashBytes(ledger::CheckpointsRoot(leaves)));
  tx.set_header(header.SerializeAsString());
  tx.set_signature(key_.Sign(Purpose::kTx, genesis_.hash(), tx.header()));
  ASSIGN_OR_RETURN(ledger::ParsedTx parsed, ledger::ParseTx(tx.SerializeAsString()));
  // The proposer admits only valid transactions: verify here, in the request's thread.
  RETURN_IF_ERROR(ledger::ValidateTx(parsed, genesis_));
  return parsed;
}

Result<SubmitResult> Node::Submit(const std::string& org,
                                  const std::vector<std::vector<v1::Checkpoint>>& batches,
                                  const std::optional<std::pair<std::string, Hash32>>& idem,
                                  Ack ack) {
  if (org != org_) {
    return PermissionDenied("this node signs for organisation '" + org_ + "' only; submit '" +
                            org + "' checkpoints through that organisation's node");
  }
  if (batches.empty()) return InvalidArgument("nothing to submit");
  if (idem && batches.size() != 1) {
    return InvalidArgument("an idempotency key covers one transaction");
  }
  // Idempotency: one request per key at a time; the record is written with the transaction.
  std::string scope;
  struct InFlight {
    Node* node;
    std::string scope;
    ~InFlight() {
      if (scope.empty()) return;
      {
        std::lock_guard lock(node->idempotency_mu_);
        node->idempotency_in_flight_.erase(scope);
      }
      node->idempotency_cv_.notify_all();
    }
  } in_flight{this, ""};
  if (idem) {
    scope = PendingLog::IdempotencyScope(org, idem->first);
    std::unique_lock lock(idempotency_mu_);
    idempotency_cv_.wait(lock, [&] { return idempotency_in_flight_.count(scope) == 0; });
    idempotency_in_flight_.insert(scope);
    in_flight.scope = scope;
    lock.unlock();
    ASSIGN_OR_RETURN(auto seen, pending_log_->FindIdempotency(scope));
    if (seen) {
      if (seen->body_hash != idem->second) {
        return FailedPrecondition("Idempotency-Key '" + idem->first +
                                  "' was used before with a different request body");
      }
      return SubmitResult{{seen->tx_id}, true};
    }
  }
  std::vector<ledger::ParsedTx> txs;
  txs.reserve(batches.size());
  for (const std::vector<v1::Checkpoint>& batch : batches) {
    ASSIGN_OR_RETURN(ledger::ParsedTx tx, SignTx(batch));
    txs.push_back(std::move(tx));
  }
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return Unavailable("the node is shutting down");
    if (queue_.size() + in_progress_ + txs.size() > config_.max_pending_txs) {
      return ResourceExhausted("the node has " + std::to_string(config_.max_pending_txs) +
                               " transactions pending at most; retry later");
    }
  }
  std::optional<std::pair<std::string, IdempotencyRecord>> record;
  if (idem) record.emplace(scope, IdempotencyRecord{idem->second, txs[0].id});
  const bool sync = ack == Ack::kAccepted || record.has_value();
  std::vector<std::pair<Hash32, std::string_view>> entries;
  for (const ledger::ParsedTx& tx : txs) entries.emplace_back(tx.id, tx.bytes);
  RETURN_IF_ERROR(pending_log_->Add(entries, record, sync));
  SubmitResult result;
  for (ledger::ParsedTx& tx : txs) {
    result.tx_ids.push_back(tx.id);
    if (raft_mode_) {
      std::lock_guard lock(queue_mu_);
      outstanding_[tx.id] = Outstanding{tx, NowMs() + kResendMs};
    }
    RETURN_IF_ERROR(Enqueue(std::move(tx)));
    metrics_.txs_accepted.fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

Status Node::Enqueue(ledger::ParsedTx tx) {
  {
    std::lock_guard lock(queue_mu_);
    // Accepted and durable: it will be proposed after a restart even if we stop now.
    if (stopping_) return Status::Ok();
    accepted_at_ms_[tx.id] = NowMs();
    queue_.push_back(std::move(tx));
  }
  queue_cv_.notify_one();
  return Status::Ok();
}

Result<ledger::TxLocation> Node::WaitCommitted(const Hash32& tx_id, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Register before looking at the ledger: a block appended in between either is seen by the
  // lookup or fills in the waiter.
  CommitWaiter waiter;
  std::multimap<Hash32, CommitWaiter*>::iterator entry;
  {
    std::lock_guard lock(commit_mu_);
    entry = commit_waiters_.emplace(tx_id, &waiter);
  }
  auto loc = ledger_->FindTx(tx_id);
  std::unique_lock lock(commit_mu_);
  if (!loc.ok() && loc.status().code() == Code::kNotFound) {
    waiter.cv.wait_until(lock, deadline, [&] { return waiter.location || Stopping(); });
    if (waiter.location) {
      loc = *waiter.location;
    } else if (Stopping()) {
      loc = Unavailable("the node is shutting down; the transaction is pending");
    } else {
      loc = Unavailable("transaction " + HashHex(tx_id) + " is accepted but not committed after " +
                        std::to_string(timeout_ms) + " ms");
    }
  }
  commit_waiters_.erase(entry);
  return loc;
}

std::vector<ledger::ParsedTx> Node::TakeBatch(size_t max_txs, size_t max_bytes) {
  std::vector<ledger::ParsedTx> batch;
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return batch;  // stopping, nothing left
  if (config_.block_interval_ms > 0 && queue_.size() < max_txs && !stopping_) {
    queue_cv_.wait_for(lock, std::chrono::milliseconds(config_.block_interval_ms),
                       [&] { return stopping_ || queue_.size() >= max_txs; });
  }
  size_t bytes = 0;
  while (!queue_.empty() && batch.size() < max_txs &&
         (batch.empty() || bytes + queue_.front().bytes.size() <= max_bytes)) {
    bytes += queue_.front().bytes.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  in_progress_ = batch.size();
  return batch;
}

void Node::Run() {
  while (true) {
    std::vector<ledger::ParsedTx> batch = TakeBatch(config_.max_block_txs, config_.max_block_bytes);
    if (batch.empty()) break;
    CommitBatch(std::move(batch));
    std::lock_guard lock(queue_mu_);
    in_progress_ = 0;
  }
}

void Node::CommitBatch(std::vector<ledger::ParsedTx> batch) {
  ledger::BuiltBlock built =
      ledger_->BuildBlock(std::move(batch), config_.node_id, 0, NowMs());
  std::vector<Hash32> done;
  for (const auto& [id, status] : built.rejected) {
    // A transaction already in the ledger (a retry after a crash) is done, not refused.
    if (status.code() != Code::kAlreadyExists) {
      std::fprintf(stderr, "traceryd: transaction %s left out: %s\n", HashHex(id).c_str(),
                   status.ToString().c_str());
      metrics_.txs_rejected.fetch_add(1, std::memory_order_relaxed);
    }
    done.push_back(id);
  }
  if (!built.block.txs.empty()) {
    std::string bytes = built.block.bytes;
    proposed_.push_back(std::move(built.block));
    Status st = engine_->Propose(std::move(bytes));
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: proposal refused: %s\n", st.ToString().c_str());
      proposed_.pop_back();
    }
    ApplyReady();
  }
  Status st = pending_log_->Remove(done);
  if (!st.ok()) std::fprintf(stderr, "traceryd: %s\n", st.ToString().c_str());
}

void Node::ApplyReady() {
  while (engine_->HasReady()) {
    consensus::Ready rd = engine_->GetReady();
    for (const consensus::Committed& c : rd.committed) {
      TRACERY_CHECK(c.certificate.has_value());  // solo certifies every block
      ledger::ParsedBlock block;
      if (!proposed_.empty() && HashBytes(proposed_.front().hash) == c.certificate->block_hash()) {
        block = std::move(proposed_.front());
        proposed_.pop_front();
      } else {
        auto parsed = ledger::ParseBlock(c.proposal);
        TRACERY_CHECK(parsed.ok());  // the engine commits only proposals it inspected
        block = std::move(parsed).value();
      }
      const auto t0 = std::chrono::steady_clock::now();
      Status st = ledger_->Append(block, &*c.certificate);
      if (!st.ok()) {
        // A failed fsync leaves the file state unknown: stop rather than acknowledge.
        std::fprintf(stderr, "traceryd: fatal: ledger append failed: %s\n", st.ToString().c_str());
        std::abort();
      }
      const auto t1 = std::chrono::steady_clock::now();
      metrics_.block_append_latency.Observe(std::chrono::duration<double>(t1 - t0).count());
      NotifyCommitted(block);
    }
    engine_->Advance(rd);
  }
}

void Node::NotifyCommitted(const ledger::ParsedBlock& block) {
  metrics_.blocks_committed.fetch_add(1, std::memory_order_relaxed);
  std::vector<Hash32> ids;
  uint64_t checkpoints = 0;
  const int64_t now = NowMs();
  {
    std::lock_guard lock(queue_mu_);
    for (const ledger::ParsedTx& tx : block.txs) {
      ids.push_back(tx.id);
      checkpoints += tx.leaf_hashes.size();
      outstanding_.erase(tx.id);
      auto it = accepted_at_ms_.find(tx.id);
      if (it != accepted_at_ms_.end()) {
        metrics_.commit_latency.Observe(static_cast<double>(now - it->second) / 1000.0);
        accepted_at_ms_.erase(it);
      }
    }
  }
  metrics_.txs_committed.fetch_add(ids.size(), std::memory_order_relaxed);
  metrics_.checkpoints_committed.fetch_add(checkpoints, std::memory_order_relaxed);
  {
    // Wake only the requests waiting for these transactions; WaitHeight waiters (followers'
    // block fetches) wait on commit_cv_.
    std::lock_guard lock(commit_mu_);
    if (!commit_waiters_.empty()) {
      for (uint32_t pos = 0; pos < block.txs.size(); ++pos) {
        auto [first, last] = commit_waiters_.equal_range(block.txs[pos].id);
        for (auto it = first; it != last; ++it) {
          it->second->location = ledger::TxLocation{block.header.height(), pos};
          it->second->cv.notify_one();
        }
      }
    }
  }
  commit_cv_.notify_all();
  Status trimmed = pending_log_->Remove(ids);
  if (!trimmed.ok()) std::fprintf(stderr, "traceryd: %s\n", trimmed.ToString().c_str());
}

bool Node::WaitHeight(uint64_t height, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock lock(commit_mu_);
  while (ledger_->head().height < height) {
    if (Stopping()) return false;
    if (commit_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return ledger_->head().height >= height;
    }
  }
  return true;
}

Result<std::vector<Hash32>> Node::AcceptForwarded(const std::string& org,
                                                  std::vector<std::string> txs) {
  if (!is_validator()) return FailedPrecondition("this node is not a validator");
  if (raft_mode_) {
    return FailedPrecondition("with raft consensus transactions travel over the peer links; "
                              "submit checkpoints to your own node");
  }
  std::vector<ledger::ParsedTx> parsed;
  std::vector<Hash32> ids;
  // All or nothing: every transaction is checked before any is kept.
  for (size_t i = 0; i < txs.size(); ++i) {
    const std::string where = "transaction " + std::to_string(i);
    auto tx = ledger::ParseTx(std::move(txs[i]));
    if (!tx.ok()) return tx.status().Annotate(where);
    if (tx->header.org() != org) {
      return PermissionDenied(where + " is of org '" + tx->header.org() +
                              "'; this principal writes for '" + org + "'");
    }
    RETURN_IF_ERROR(ledger::ValidateTx(*tx, genesis_).Annotate(where));
    ids.push_back(tx->id);
    parsed.push_back(std::move(tx).value());
  }
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() + in_progress_ + parsed.size() > config_.max_pending_txs) {
      return ResourceExhausted("the validator has " + std::to_string(config_.max_pending_txs) +
                               " transactions pending; retry later");
    }
  }
  for (ledger::ParsedTx& tx : parsed) {
    if (ledger_->FindTx(tx.id).ok()) continue;  // a retry of a committed transaction
    RETURN_IF_ERROR(pending_log_->Add({{tx.id, tx.bytes}}, std::nullopt));
    RETURN_IF_ERROR(Enqueue(std::move(tx)));
    metrics_.txs_accepted.fetch_add(1, std::memory_order_relaxed);
  }
  return ids;
}

std::string Node::ValidatorToken() const {
  auto text = ReadFile(config_.validator_token_path);
  if (!text.ok()) {
    // The validator will answer 401 and the transactions stay pending until this is fixed.
    std::fprintf(stderr, "traceryd: validator token: %s\n", text.status().ToString().c_str());
    return "";
  }
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

void Node::RunForwarder() {
  const std::string token = ValidatorToken();
  std::unique_ptr<client::HttpClient> validator;
  int64_t backoff_ms = 50;
  while (true) {
    // Batches stay well inside the validator's request limits (1,000 transactions, 8 MiB).
    std::vector<ledger::ParsedTx> batch = TakeBatch(kForwardMaxTxs, kForwardMaxBytes);
    if (batch.empty()) break;
    // Frames: 4-byte big-endian length, then the Tx bytes (docs/formats/ledger.md).
    std::string body;
    for (const ledger::ParsedTx& tx : batch) {
      PutBe32(&body, static_cast<uint32_t>(tx.bytes.size()));
      body += tx.bytes;
    }
    while (true) {
      if (!validator) {
        auto c = client::HttpClient::Create(config_.validator_api, 10000);
        if (c.ok()) {
          validator = std::move(c).value();
          validator->set_bearer_token(token);
        }
      }
      Result<client::Response> res = Unavailable("no client");
      if (validator) {
        res = validator->Request("POST", "/v1/txs", body,
                                 {{"Content-Type", "application/x-tracery-txs"}});
      }
      if (res.ok() && res->status == 202) {
        backoff_ms = 50;
        break;
      }
      if (res.ok() && (res->status == 400 || res->status == 403)) {
        // The transactions themselves are refused (invalid or not permitted): they will never
        // commit. Any other answer (401, 413, 422, 5xx, ...) is a configuration or capacity
        // problem: the batch stays pending and is retried.
        std::fprintf(stderr, "traceryd: the validator refused %zu transactions: %s\n",
                     batch.size(), client::DescribeError(*res).c_str());
        std::vector<Hash32> ids;
        for (const ledger::ParsedTx& tx : batch) ids.push_back(tx.id);
        metrics_.txs_rejected.fetch_add(ids.size(), std::memory_order_relaxed);
        (void)pending_log_->Remove(ids);
        break;
      }
      if (!res.ok()) validator.reset();
      // Unreachable or overloaded: keep the batch (it is in the pending log) and retry.
      std::unique_lock lock(queue_mu_);
      if (queue_cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms),
                             [&] { return stopping_; })) {
        in_progress_ = 0;
        return;  // pending transactions are forwarded again after a restart
      }
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 2000);
    }
    std::lock_guard lock(queue_mu_);
    in_progress_ = 0;
  }
}

void Node::RunSync() {
  const std::string token = ValidatorToken();
  std::unique_ptr<client::HttpClient> validator;
  int64_t backoff_ms = 50;
  auto pause = [&] {
    std::unique_lock lock(queue_mu_);
    queue_cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; });
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 2000);
  };
  while (!Stopping()) {
    if (!validator) {
      auto c = client::HttpClient::Create(config_.validator_api, 10000);
      if (!c.ok()) {
        pause();
        continue;
      }
      validator = std::move(c).value();
      validator->set_bearer_token(token);
    }
    const uint64_t next = ledger_->head().height + 1;
    auto res = validator->Request(
        "GET", "/v1/ledger/blocks/" + std::to_string(next) + "?format=raw&waitMs=1000");
    if (!res.ok()) {
      validator.reset();
      pause();
      continue;
    }
    if (res->status == 404) continue;  // not there yet: the validator waited for it
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    auto block_bytes = Base64Decode(j.is_object() ? j.value("block", "") : "");
    auto cert_bytes = Base64Decode(j.is_object() ? j.value("certificateBytes", "") : "");
    v1::CommitCertificate cert;
    Status st = res->status == 200 && block_bytes.ok() && cert_bytes.ok() &&
                        cert.ParseFromString(*cert_bytes)
                    ? Status::Ok()
                    : Unavailable("bad block response: " + client::DescribeError(*res));
    Result<ledger::ParsedBlock> block = st.ok() ? ledger::ParseBlock(*block_bytes) : st;
    if (block.ok()) {
      st = ledger::VerifyCertificate(cert, next, block->hash, block->header.term(), genesis_);
    }
    if (st.ok() && block.ok()) st = ledger_->ValidateBlock(*block);
    if (!block.ok() || !st.ok()) {
      std::fprintf(stderr, "traceryd: block %llu from the validator refused: %s\n",
                   static_cast<unsigned long long>(next),
                   (block.ok() ? st : block.status()).ToString().c_str());
      pause();
      continue;
    }
    st = ledger_->Append(*block, &cert);
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: fatal: ledger append failed: %s\n", st.ToString().c_str());
      std::abort();
    }
    backoff_ms = 50;
    NotifyCommitted(*block);
  }
}

Result<consensus::ProposalOps::Info> Node::Inspect(const std::string& proposal) {
  if (raft_mode_) return InspectRaft(proposal);
  // Solo: the proposal is the block this node just built; name it without re-validating.
  if (!proposed_.empty() && proposed_.back().bytes == proposal) {
    return Info{proposed_.back().header.height(), proposed_.back().hash,
                proposed_.back().header.term()};
  }
  ASSIGN_OR_RETURN(ledger::ParsedBlock block, ledger::ParseBlock(proposal));
  RETURN_IF_ERROR(ledger_->ValidateBlock(block));
  return Info{block.header.height(), block.hash, block.header.term()};
}

bool Node::VerifyVote(const v1::CommitSignature& vote, uint64_t height, const Hash32& hash,
                      uint64_t term) {
  const ledger::NodeInfo* node = genesis_.FindNode(vote.node_id());
  return node != nullptr && node->validator &&
         node->key.Verify(Purpose::kCommit, genesis_.hash(),
                          ledger::CommitVotePayload(height, hash, term), vote.signature());
}

std::string Node::MakeEmpty(uint64_t term) {
  TRACERY_CHECK(raft_mode_);  // solo never asks for one
  ledger::BuiltBlock built =
      ledger_->BuildBlock({}, config_.node_id, term, NowMs(), pending_blocks_);
  std::string bytes = built.block.bytes;
  just_built_ = std::move(built.block);
  return bytes;
}

v1::CommitSignature Node::SignVote(uint64_t height, const Hash32& hash, uint64_t term) {
  v1::CommitSignature s;
  s.set_node_id(config_.node_id);
  s.set_signature(
      key_.Sign(Purpose::kCommit, genesis_.hash(), ledger::CommitVotePayload(height, hash, term)));
  return s;
}

}  // namespace tracery::node

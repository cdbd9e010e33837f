// The Node with Raft consensus: the owner thread's loop (inbox → engine → Ready → persist →
// send → apply), block building on uncommitted blocks, forwarding of transactions to the
// leader, and catch-up by block transfer from the leader's ledger.
#include <chrono>
#include <cstdio>

#include "node.h"
#include "tracery/core/time.h"
#include "tracery/ledger/validator.h"

namespace tracery::node {
namespace {

constexpr size_t kMaxInboxFrames = 10000;
constexpr size_t kMaxInboxBytes = 256u << 20;
constexpr size_t kMaxBlockBatchBytes = 8 << 20;
constexpr size_t kMaxBlocksPerBatch = 4096;
constexpr int64_t kCatchUpRetryMs = 2000;
// Transaction bytes in a block, leaving room for the header and framing in an append.
constexpr size_t kRaftBlockTxBytes = consensus::kRaftMaxMessageBytes / 2 - (1u << 20);
// Committed entries the engine keeps after they are in the ledger, so that a follower a few
// blocks behind catches up from the log rather than by block transfer.
constexpr uint64_t kRetainedEntries = 64;


[[noreturn]] void Fatal(const std::string& what, const Status& st) {
  // A failed fsync or a block the cluster committed that this node cannot apply leaves its
  // state unknown: stop rather than acknowledge anything more.
  std::fprintf(stderr, "traceryd: fatal: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::abort();
}

uint64_t SeedFor(const std::string& node_id) {
  const Hash32 h = Sha256(node_id + '\0' + RandomBytes(8));
  uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = (seed << 8) | h[static_cast<size_t>(i)];
  return seed;
}

}  // namespace

Status Node::OpenRaft() {
  ASSIGN_OR_RETURN(raft_storage_, RaftStorage::Open(config_.data_dir + "/raft"));
  const ledger::Head head = ledger_->head();
  ASSIGN_OR_RETURN(RaftStorage::State stored, raft_storage_->Load(head.height));
  consensus::RaftRestore restore;
  restore.hard_state = stored.hard_state;
  restore.ledger_index = head.height;
  if (head.height > 0) {
    ASSIGN_OR_RETURN(ledger::ParsedBlock top, ledger_->ReadBlock(head.height));
    restore.ledger_term = top.header.term();
  }
  // Entries of a term below the ledger head's block can never commit (a newer block is
  // committed below them): a crash during a catch-up can leave some behind.
  for (consensus::Entry& e : stored.entries) {
    if (e.term < restore.ledger_term) break;
    restore.entries.push_back(std::move(e));
  }
  consensus::RaftConfig rc;
  rc.self = config_.node_id;
  rc.validators = genesis_.validators();
  rc.election_ticks = config_.election_ticks;
  rc.heartbeat_ticks = config_.heartbeat_ticks;
  rc.seed = SeedFor(config_.node_id);
  rc.max_inflight_appends = static_cast<uint32_t>(config_.max_uncommitted_blocks) + 4;
  rc.max_uncommitted_entries = config_.max_uncommitted_blocks;
  // An append carries whole blocks: room for the largest block a leader builds (RunRaft keeps
  // its transactions within kRaftBlockTxBytes).
  rc.max_append_bytes = consensus::kRaftMaxMessageBytes / 2;
  // The engine re-inspects the restored entries, which rebuilds pending_blocks_.
  ASSIGN_OR_RETURN(std::unique_ptr<consensus::RaftEngine> engine,
                   consensus::RaftEngine::Open(rc, this, std::move(restore)));
  RETURN_IF_ERROR(raft_storage_->TruncateAfter(engine->last_index()));
  raft_ = engine.get();
  engine_ = std::move(engine);
  raft_status_ = raft_->status();

  PeerTransportOptions o;
  o.self = config_.node_id;
  const ledger::NodeInfo* self = genesis_.FindNode(config_.node_id);
  o.listen = config_.p2p_listen.empty() ? self->p2p_address : config_.p2p_listen;
  if (o.listen.empty()) {
    return FailedPrecondition("node '" + config_.node_id +
                              "' has no p2p address in the genesis and no raft.listen");
  }
  for (const std::string& id : genesis_.validators()) {
    if (id == config_.node_id) continue;
    const ledger::NodeInfo* peer = genesis_.FindNode(id);
    if (peer->p2p_address.empty()) {
      return FailedPrecondition("validator '" + id + "' has no p2p address in the genesis");
    }
    o.peers[id] = peer->p2p_address;
  }
  o.genesis = &genesis_;
  o.key = &key_;
  o.on_frame = [this](const std::string& from, v1::PeerFrame frame) {
    const size_t bytes = frame.ByteSizeLong();
    {
      std::lock_guard lock(queue_mu_);
      // Full: drop (consensus retransmits, senders resend transactions and block requests).
      if (inbox_.size() >= kMaxInboxFrames || inbox_bytes_ + bytes > kMaxInboxBytes) return;
      inbox_bytes_ += bytes;
      inbox_.emplace_back(from, std::move(frame));
    }
    queue_cv_.notify_one();
  };
  ASSIGN_OR_RETURN(transport_, PeerTransport::Start(std::move(o)));
  return Status::Ok();
}

std::optional<consensus::RaftStatus> Node::raft_status() const {
  std::lock_guard lock(status_mu_);
  return raft_status_;
}

std::optional<PeerStats> Node::peer_stats() const {
  if (transport_ == nullptr) return std::nullopt;
  return transport_->stats();
}

bool Node::CanTakeTxs() const {
  return (leader_can_take_ || follower_can_take_) && !queue_.empty();
}

void Node::RunRaft() {
  const auto tick = std::chrono::milliseconds(config_.tick_ms);
  consensus::NodeId known_leader;
  auto next_tick = std::chrono::steady_clock::now() + tick;
  while (true) {
    std::deque<std::pair<std::string, v1::PeerFrame>> frames;
    std::vector<ledger::ParsedTx> txs;
    bool leader = false;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_until(lock, next_tick,
                           [&] { return stopping_ || !inbox_.empty() || CanTakeTxs(); });
      if (stopping_) break;  // accepted transactions stay in the pending log
      frames.swap(inbox_);
      inbox_bytes_ = 0;
      leader = leader_can_take_;
      if (CanTakeTxs()) {
        const size_t max_txs = leader ? config_.max_block_txs : kForwardMaxTxs;
        const size_t max_bytes =
            leader ? std::min(config_.max_block_bytes, kRaftBlockTxBytes) : kForwardMaxBytes;
        size_t bytes = 0;
        while (!queue_.empty() && txs.size() < max_txs &&
               (txs.empty() || bytes + queue_.front().bytes.size() <= max_bytes)) {
          bytes += queue_.front().bytes.size();
          txs.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    for (auto& [from, frame] : frames) HandleFrame(from, std::move(frame));
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      raft_->Tick();
      next_tick = std::max(next_tick + tick, now);
      RetryOutstanding(NowMs(), false);
      if (catch_up_ && NowMs() - catch_up_requested_ms_ > kCatchUpRetryMs) RequestBlocks();
    }
    if (!txs.empty()) {
      if (leader) {
        ProposeBlock(std::move(txs));
      } else {
        ForwardToLeader(std::move(txs));
      }
    }
    HandleRaftReady();
    // A catch-up ends when its leader is gone or this node has what it asked for.
    if (catch_up_ && (raft_->IsLeader() || raft_->leader() != catch_up_->from ||
                      ledger_->head().height >= catch_up_->index)) {
      catch_up_.reset();
    }
    if (raft_->leader() != known_leader) {
      // A new leader: what the old one did not commit goes to the new one now, rather than
      // after the resend interval.
      known_leader = raft_->leader();
      if (!known_leader.empty()) RetryOutstanding(NowMs(), true);
    }
    {
      std::lock_guard lock(queue_mu_);
      leader_can_take_ = raft_->IsLeader() && !catch_up_ &&
                         pending_blocks_.size() < config_.max_uncommitted_blocks;
      follower_can_take_ = !raft_->IsLeader() && !raft_->leader().empty();
    }
    std::lock_guard lock(status_mu_);
    raft_status_ = raft_->status();
  }
}

void Node::HandleFrame(const std::string& from, v1::PeerFrame frame) {
  switch (frame.kind_case()) {
    case v1::PeerFrame::kConsensus: {
      consensus::Message m{from, config_.node_id, std::move(*frame.mutable_consensus())};
      Status st = raft_->Step(m);
      if (!st.ok()) {
        std::fprintf(stderr, "traceryd: consensus message from %s refused: %s\n", from.c_str(),
                     st.ToString().c_str());
      }
      break;
    }
    case v1::PeerFrame::kTxs:
      AcceptFromPeer(from, frame.txs());
      break;
    case v1::PeerFrame::kBlockRequest:
      ServeBlocks(from, frame.block_request());
      break;
    case v1::PeerFrame::kBlocks:
      AcceptBlocks(from, frame.blocks());
      break;
    default:
      std::fprintf(stderr, "traceryd: unexpected peer frame from %s dropped\n", from.c_str());
  }
}

void Node::ProposeBlock(std::vector<ledger::ParsedTx> txs) {
  ledger::BuiltBlock built =
      ledger_->BuildBlock(std::move(txs), config_.node_id, raft_->term(), NowMs(), pending_blocks_);
  for (const auto& [id, status] : built.rejected) {
    // Already in the ledger or in an uncommitted block: nothing to do. Anything else is a
    // transaction that can never commit.
    if (status.code() == Code::kAlreadyExists) continue;
    std::fprintf(stderr, "traceryd: transaction %s left out: %s\n", HashHex(id).c_str(),
                 status.ToString().c_str());
    metrics_.txs_rejected.fetch_add(1, std::memory_order_relaxed);
  }
  if (built.block.txs.empty()) return;
  std::string bytes = built.block.bytes;
  just_built_ = std::move(built.block);
  Status st = raft_->Propose(std::move(bytes));
  just_built_.reset();
  if (!st.ok()) {
    // Leadership moved or the pipeline is full: the transactions' nodes send them again.
    std::fprintf(stderr, "traceryd: proposal refused: %s\n", st.ToString().c_str());
  }
}

void Node::ForwardToLeader(std::vector<ledger::ParsedTx> txs) {
  v1::PeerFrame frame;
  for (const ledger::ParsedTx& tx : txs) {
    // Other organisations' transactions were forwarded to this node while it led; their own
    // nodes send them to the new leader.
    if (tx.header.org() == org_) frame.mutable_txs()->add_txs(tx.bytes);
  }
  if (frame.txs().txs().empty()) return;
  // A dropped frame is sent again by RetryOutstanding.
  transport_->Send(raft_->leader(), frame);
}

void Node::AcceptFromPeer(const std::string& from, const v1::ForwardedTxs& forwarded) {
  if (!raft_->IsLeader()) return;  // the sender tries again with the leader it learns of
  const ledger::NodeInfo* sender = genesis_.FindNode(from);
  if (sender == nullptr) return;
  std::vector<ledger::ParsedTx> accepted;
  for (const std::string& bytes : forwarded.txs()) {
    auto tx = ledger::ParseTx(bytes);
    Status st = tx.ok() ? Status::Ok() : tx.status();
    // A node forwards only the transactions of its own organisation.
    if (st.ok() && tx->header.org() != sender->org) {
      st = PermissionDenied("transaction of org '" + tx->header.org() + "' forwarded by '" + from +
                            "' of org '" + sender->org + "'");
    }
    if (st.ok()) st = ledger::ValidateTx(*tx, genesis_);
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: transaction forwarded by %s refused: %s\n", from.c_str(),
                   st.ToString().c_str());
      metrics_.txs_rejected.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    accepted.push_back(std::move(tx).value());
  }
  std::lock_guard lock(queue_mu_);
  for (ledger::ParsedTx& tx : accepted) {
    if (queue_.size() >= config_.max_pending_txs) break;  // the sender sends it again
    queue_.push_back(std::move(tx));
  }
}

void Node::RetryOutstanding(int64_t now_ms, bool all) {
  if (raft_->leader().empty()) return;  // nobody to send them to; the queue would only grow
  std::vector<std::pair<Hash32, ledger::ParsedTx>> due;
  {
    std::lock_guard lock(queue_mu_);
    for (auto& [id, o] : outstanding_) {
      if (!all && o.retry_at_ms > now_ms) continue;
      o.retry_at_ms = now_ms + kResendMs;
      due.emplace_back(id, o.tx);
    }
  }
  // Ledger lookups outside the lock the transport thread needs for every frame.
  std::vector<ledger::ParsedTx> resend;
  for (auto& [id, tx] : due) {
    if (!ledger_->FindTx(id).ok()) resend.push_back(std::move(tx));  // NotifyCommitted erases it
  }
  std::lock_guard lock(queue_mu_);
  for (ledger::ParsedTx& tx : resend) {
    if (queue_.size() >= config_.max_pending_txs) break;  // the next round sends the rest
    queue_.push_back(std::move(tx));
  }
}

void Node::HandleRaftReady() {
  while (raft_->HasReady()) {
    consensus::Ready rd = raft_->GetReady();
    Status st = raft_storage_->Save(rd);
    if (!st.ok()) Fatal("raft log write failed", st);
    for (consensus::Message& m : rd.messages) {
      v1::PeerFrame frame;
      frame.set_consensus(std::move(m.payload));
      transport_->Send(m.to, frame);
    }
    for (const consensus::Committed& c : rd.committed) ApplyCommitted(c);
    raft_->Advance(rd);
    const uint64_t applied = std::min(ledger_->head().height, raft_->applied());
    if (!rd.committed.empty() && applied > raft_->compacted_index() + kRetainedEntries) {
      raft_->Compact(applied - kRetainedEntries);
      st = raft_storage_->Compact(applied - kRetainedEntries);
      if (!st.ok()) std::fprintf(stderr, "traceryd: %s\n", st.ToString().c_str());
    }
    // The leader repeats its catch-up notice while we lag; one fetch at a time (RunRaft
    // asks again when an answer does not come).
    if (rd.catch_up && (!catch_up_ || rd.catch_up->index > catch_up_->index ||
                        rd.catch_up->from != catch_up_->from)) {
      catch_up_ = rd.catch_up;
      RequestBlocks();
    }
  }
}

void Node::ApplyCommitted(const consensus::Committed& c) {
  const uint64_t head = ledger_->head().height;
  if (c.index <= head) {
    // A catch-up put it in the ledger already: it must be the same block.
    auto have = ledger_->ReadBlock(c.index);
    if (!have.ok() || have->bytes != c.proposal) {
      Fatal("committed block " + std::to_string(c.index) + " differs from the ledger's",
            have.ok() ? Corruption("different bytes") : have.status());
    }
    return;
  }
  ledger::ParsedBlock block;
  if (!pending_blocks_.empty() && pending_blocks_.front().header.height() == c.index &&
      pending_blocks_.front().bytes == c.proposal) {
    block = std::move(pending_blocks_.front());
    pending_blocks_.erase(pending_blocks_.begin());
  } else {
    // The mirror of the log drifted (it should not): validate this block on the ledger and
    // rebuild the mirror from the engine's entries after it.
    auto parsed = ledger::ParseBlock(c.proposal);
    Status st = parsed.ok() ? ledger_->ValidateBlock(*parsed) : parsed.status();
    if (!st.ok()) Fatal("committed block " + std::to_string(c.index) + " does not apply", st);
    block = std::move(parsed).value();
    pending_blocks_.clear();
  }
  const auto t0 = std::chrono::steady_clock::now();
  Status st = ledger_->Append(block, c.certificate ? &*c.certificate : nullptr);
  if (!st.ok()) Fatal("ledger append failed", st);
  const auto t1 = std::chrono::steady_clock::now();
  metrics_.block_append_latency.Observe(std::chrono::duration<double>(t1 - t0).count());
  NotifyCommitted(block);
  if (pending_blocks_.empty() && raft_->last_index() > c.index) RebuildPending();
}

Result<consensus::ProposalOps::Info> Node::InspectRaft(const std::string& proposal) {
  const ledger::Head head = ledger_->head();
  // A block this thread just built (and is proposing) is taken as built: it is valid on this
  // chain by construction, and parsing it again would redo every transaction's Merkle tree.
  const bool built_here = just_built_ && just_built_->bytes == proposal;
  ledger::ParsedBlock block;
  if (built_here) {
    block = std::move(*just_built_);
  } else {
    ASSIGN_OR_RETURN(block, ledger::ParseBlock(proposal));
  }
  just_built_.reset();
  // The engine hands entries in log order; one at height h replaces what we held from h on.
  const uint64_t height = block.header.height();
  if (height <= head.height) {
    return FailedPrecondition("block " + std::to_string(height) + " is already in the ledger");
  }
  const uint64_t keep = height - head.height - 1;
  if (keep > pending_blocks_.size()) {
    return FailedPrecondition("block " + std::to_string(height) + " does not follow block " +
                              std::to_string(head.height + pending_blocks_.size()));
  }
  pending_blocks_.resize(keep);
  const Hash32& parent = keep == 0 ? head.hash : pending_blocks_.back().hash;
  if (block.header.previous_hash() != HashBytes(parent)) {
    return FailedPrecondition("block " + std::to_string(height) +
                              " does not link to the block before it");
  }
  if (!built_here) {
    Status st = ledger_->ValidateBlock(block, pending_blocks_);
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: block %llu from the leader refused: %s\n",
                   static_cast<unsigned long long>(height), st.ToString().c_str());
      return st;
    }
  }
  Info info{height, block.hash, block.header.term()};
  pending_blocks_.push_back(std::move(block));
  return info;
}

void Node::RequestBlocks() {
  if (!catch_up_) return;
  const uint64_t head = ledger_->head().height;
  v1::PeerFrame frame;
  frame.mutable_block_request()->set_from_height(head + 1);
  frame.mutable_block_request()->set_to_height(catch_up_->index);
  transport_->Send(catch_up_->from, frame);
  catch_up_requested_ms_ = NowMs();
}

void Node::ServeBlocks(const std::string& to, const v1::BlockRequest& request) {
  const uint64_t head = ledger_->head().height;
  const uint64_t last = std::min(request.to_height(), head);
  if (request.from_height() == 0 || request.from_height() > last) return;
  v1::PeerFrame frame;
  v1::BlockBatch* batch = frame.mutable_blocks();
  size_t bytes = 0;
  for (uint64_t h = request.from_height(); h <= last; ++h) {
    auto block = ledger_->ReadBlock(h);
    if (!block.ok()) {
      std::fprintf(stderr, "traceryd: %s\n", block.status().ToString().c_str());
      break;
    }
    auto cert = ledger_->ReadCertificate(h);
    bytes += block->bytes.size();
    batch->add_blocks(std::move(block->bytes));
    batch->add_certificates(cert.ok() ? cert->SerializeAsString() : std::string());
    if (bytes >= kMaxBlockBatchBytes || batch->blocks_size() >= static_cast<int>(kMaxBlocksPerBatch)) {
      break;
    }
  }
  transport_->Send(to, frame);
}

void Node::AcceptBlocks(const std::string& from, const v1::BlockBatch& batch) {
  // Only what we asked for, and never on a leader (its log is ahead of anyone's ledger).
  if (!catch_up_ || from != catch_up_->from || raft_->IsLeader()) return;
  if (batch.blocks_size() != batch.certificates_size()) return;
  // Each block is re-validated on top of the ones before it (hash chain, transactions, log
  // root) and its certificate checked when it carries one. The blocks come from the ledger of
  // the validator that leads, where they are committed; under Raft's crash-fault model a block
  // without a certificate of its own (committed through a descendant) is taken on the chain.
  const uint64_t have = ledger_->head().height;
  std::vector<ledger::ParsedBlock> blocks;
  std::vector<std::optional<v1::CommitCertificate>> certs;
  for (int i = 0; i < batch.blocks_size(); ++i) {
    auto block = ledger::ParseBlock(batch.blocks(i));
    // An answer to an earlier request may overlap what a later one brought.
    if (block.ok() && block->header.height() <= have) continue;
    Status st = block.ok() ? ledger_->ValidateBlock(*block, blocks) : block.status();
    std::optional<v1::CommitCertificate> cert;
    if (st.ok() && !batch.certificates(i).empty()) {
      cert.emplace();
      if (!cert->ParseFromString(batch.certificates(i))) {
        st = InvalidArgument("certificate does not parse");
      } else {
        st = ledger::VerifyCertificate(*cert, block->header.height(), block->hash,
                                       block->header.term(), genesis_);
      }
    }
    if (!st.ok()) {
      std::fprintf(stderr, "traceryd: catch-up block from %s refused: %s\n", from.c_str(),
                   st.ToString().c_str());
      break;
    }
    blocks.push_back(std::move(block).value());
    certs.push_back(std::move(cert));
  }
  if (blocks.empty()) return;  // RunRaft asks again after a pause
  for (size_t i = 0; i < blocks.size(); ++i) {
    Status st = ledger_->Append(blocks[i], certs[i] ? &*certs[i] : nullptr);
    if (!st.ok()) Fatal("ledger append failed", st);
    NotifyCommitted(blocks[i]);
  }
  // The engine follows the ledger after every batch, so that it never holds as uncommitted a
  // block the ledger already has.
  const uint64_t head = blocks.back().header.height();
  const uint64_t term = blocks.back().header.term();
  Status st = raft_->RestoreTo(head, term);
  if (!st.ok()) {
    std::fprintf(stderr, "traceryd: catch-up restore: %s\n", st.ToString().c_str());
  }
  RebuildPending();
  st = raft_storage_->Compact(head);
  if (st.ok()) st = raft_storage_->TruncateAfter(raft_->last_index());
  if (!st.ok()) Fatal("raft log write failed", st);
  if (head >= catch_up_->index) {
    catch_up_.reset();
  } else {
    RequestBlocks();
  }
}

void Node::RebuildPending() {
  // The engine's entries beyond the ledger head, after a catch-up or a commit that did not
  // come from the mirror.
  pending_blocks_.clear();
  const uint64_t head = ledger_->head().height;
  for (uint64_t i = head + 1; i <= raft_->last_index(); ++i) {
    const consensus::Entry* e = raft_->entry(i);
    if (e == nullptr) break;
    auto block = ledger::ParseBlock(e->data);
    if (!block.ok() || !ledger_->ValidateBlock(*block, pending_blocks_).ok()) break;
    pending_blocks_.push_back(std::move(block).value());
  }
}

}  // namespace tracery::node

#include <cstdio>

#include "tracery/consensus/sim.h"

namespace tracery::consensus::sim {

namespace {

constexpr size_t kTraceLines = 80;

}  // namespace

const char* CrashPointName(CrashPoint point) {
  switch (point) {
    case CrashPoint::kNone:
      return "none";
    case CrashPoint::kBeforePersist:
      return "before-persist";
    case CrashPoint::kAfterPersist:
      return "after-persist";
    case CrashPoint::kAfterSend:
      return "after-send";
  }
  return "?";
}

void Checker::Fail(const std::string& what) {
  if (failure_.empty()) failure_ = what;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  for (size_t i = 1; i <= options_.nodes; ++i) ids_.push_back("n" + std::to_string(i));
  for (const NodeId& id : ids_) {
    auto n = std::make_unique<SimNode>();
    n->id = id;
    nodes_[id] = std::move(n);
  }
  for (const NodeId& id : ids_) {
    Status st = Restart(id);
    TRACERY_CHECK(st.ok());
  }
}

Cluster::~Cluster() = default;

SimNode& Cluster::node(const NodeId& id) {
  auto it = nodes_.find(id);
  TRACERY_CHECK(it != nodes_.end());
  return *it->second;
}

const SimNode& Cluster::node(const NodeId& id) const {
  auto it = nodes_.find(id);
  TRACERY_CHECK(it != nodes_.end());
  return *it->second;
}

void Cluster::Trace(const std::string& event) {
  trace_.push_back("t=" + std::to_string(time_) + " " + event);
  if (trace_.size() > kTraceLines) trace_.pop_front();
}

std::string Cluster::RecentTrace() const {
  std::string out;
  for (const std::string& line : trace_) out += "  " + line + "\n";
  return out;
}

std::vector<Message> Cluster::TakeSent() {
  std::vector<Message> out = std::move(sent_);
  sent_.clear();
  return out;
}

void Cluster::Tick(const NodeId& id) {
  SimNode& n = node(id);
  if (!n.engine) return;
  n.engine->Tick();
  Process(id);
}

void Cluster::Campaign(const NodeId& id) {
  SimNode& n = node(id);
  if (!n.engine) return;
  n.engine->Campaign();
  Process(id);
}

Status Cluster::Propose(const NodeId& id, const std::string& payload) {
  SimNode& n = node(id);
  if (!n.engine) return Unavailable(id + " is down");
  Status st = n.engine->Propose(n.ops->MakeBlock(n.engine->term(), payload));
  if (st.ok()) Trace(id + " propose " + payload + " at " + std::to_string(n.engine->last_index()));
  Process(id);
  return st;
}

Status Cluster::Deliver(const Message& message) {
  SimNode& n = node(message.to);
  if (!n.engine) return Unavailable(message.to + " is down");
  Status st = n.engine->Step(message);
  if (!st.ok()) {
    step_errors += 1;
    Trace(message.to + " step error: " + st.ToString());
    // An honest cluster never sends a message that a node must refuse as corrupt.
    if (st.code() == Code::kCorruption || st.code() == Code::kInternal) {
      checker_.Fail(message.to + " refused " + DescribeMessage(message) + ": " + st.ToString());
    }
  }
  Process(message.to);
  return st;
}

void Cluster::Compact(const NodeId& id, uint64_t index) {
  SimNode& n = node(id);
  if (!n.engine) return;
  index = std::min(index, n.engine->applied());
  if (index <= n.engine->compacted_index()) return;
  n.engine->Compact(index);
  // The stored entries <= index are in the ledger now.
  n.durable.entries.erase(n.durable.entries.begin(), n.durable.entries.upper_bound(index));
  Trace(id + " compact to " + std::to_string(index));
}

void Cluster::Crash(const NodeId& id) {
  SimNode& n = node(id);
  if (!n.engine) return;
  n.engine.reset();
  n.ops.reset();
  crash_at_.erase(id);
  crashes += 1;
  Trace(id + " crash");
}

void Cluster::DropStoredOutside(SimNode& n) {
  // The stored log must be exactly the engine's entries: those at or below the ledger head are
  // in the ledger, those above last_index() were dropped by the engine.
  auto& e = n.durable.entries;
  e.erase(e.begin(), e.upper_bound(n.durable.ledger.head()));
  e.erase(e.upper_bound(n.engine->last_index()), e.end());
}

Status Cluster::Restart(const NodeId& id) {
  SimNode& n = node(id);
  if (n.engine) return Status::Ok();
  std::vector<NodeId> validators = ids_;
  n.ops = std::make_unique<FakeOps>(id, validators, &n.durable.ledger);
  RaftConfig config = options_.raft;
  config.self = id;
  config.validators = validators;
  config.seed = options_.seed * 1000003 + n.restarts * 7919 + static_cast<uint64_t>(id.size()) +
                static_cast<uint64_t>(std::stoul(id.substr(1))) * 104729;
  RaftRestore restore;
  restore.hard_state = n.durable.hard_state;
  restore.ledger_index = n.durable.ledger.head();
  restore.ledger_term = n.durable.ledger.TermAt(restore.ledger_index);
  for (const auto& [index, entry] : n.durable.entries) {
    if (index > restore.ledger_index) restore.entries.push_back(entry);
  }
  Result<std::unique_ptr<RaftEngine>> engine = RaftEngine::Open(config, n.ops.get(), restore);
  if (!engine.ok()) {
    n.ops.reset();
    return engine.status();
  }
  n.engine = std::move(engine).value();
  n.ops->set_engine(n.engine.get());
  n.restarts += 1;
  DropStoredOutside(n);
  if (n.restarts > 1) {
    Trace(id + " restart term=" + std::to_string(n.engine->term()) +
          " ledger=" + std::to_string(n.durable.ledger.head()) +
          " last=" + std::to_string(n.engine->last_index()));
  }
  return Status::Ok();
}

// The persistence rule, asserted: what a message depends on is durable before it is sent.
void Cluster::CheckMessageDurable(const SimNode& n, const Message& msg) {
  v1::RaftMessage m;
  TRACERY_CHECK(m.ParseFromString(msg.payload));
  const HardState& hs = n.durable.hard_state;
  std::string violation;
  auto stored_term = [&](uint64_t index) -> std::optional<uint64_t> {
    if (index <= n.durable.ledger.head()) return n.durable.ledger.TermAt(index);
    auto it = n.durable.entries.find(index);
    if (it == n.durable.entries.end()) return std::nullopt;
    return it->second.term;
  };
  const bool pre = m.kind() == v1::RAFT_PRE_VOTE || m.kind() == v1::RAFT_PRE_VOTE_RESPONSE;
  if (!pre && m.term() > hs.term) violation = "term not persisted";
  if (m.kind() == v1::RAFT_VOTE && hs.vote != n.id) violation = "own vote not persisted";
  if (m.kind() == v1::RAFT_VOTE_RESPONSE && !m.reject() &&
      (hs.vote != msg.to || hs.term != m.term())) {
    violation = "granted vote not persisted";
  }
  if (m.kind() == v1::RAFT_APPEND_RESPONSE && !m.reject() &&
      stored_term(m.index()) == std::nullopt) {
    violation = "matched entry " + std::to_string(m.index()) + " not persisted";
  }
  for (const v1::RaftVote& v : m.votes()) {
    if (stored_term(v.index()) != m.term()) violation = "voted entry not persisted";
  }
  if (m.kind() == v1::RAFT_APPEND) {
    for (int i = 0; i < m.entries_size(); ++i) {
      const uint64_t index = m.index() + 1 + static_cast<uint64_t>(i);
      if (stored_term(index) != m.entries(i).term()) violation = "sent entry not persisted";
    }
  }
  if (!violation.empty()) {
    std::fprintf(stderr, "sim seed %llu: %s: %s\n%s",
                 static_cast<unsigned long long>(options_.seed), violation.c_str(),
                 DescribeMessage(msg).c_str(), RecentTrace().c_str());
  }
  TRACERY_CHECK(violation.empty());
}

bool Cluster::PersistAndCheck(SimNode& n, const Ready& rd) {
  if (rd.hard_state_changed) n.durable.hard_state = rd.hard_state;
  if (!rd.entries.empty()) {
    auto& stored = n.durable.entries;
    stored.erase(stored.lower_bound(rd.entries.front().index), stored.end());
    for (const Entry& e : rd.entries) stored[e.index] = e;
  }
  for (const Message& m : rd.messages) CheckMessageDurable(n, m);
  return true;
}

void Cluster::Apply(SimNode& n, const Committed& c) {
  FakeLedger& ledger = n.durable.ledger;
  if (c.index != ledger.head() + 1) {
    checker_.Fail(n.id + " applies " + std::to_string(c.index) + " after ledger head " +
                  std::to_string(ledger.head()));
    return;
  }
  const Hash32 hash = Sha256(c.proposal);
  Result<FakeBlock> block = DecodeFakeBlock(c.proposal);
  if (!block.ok()) {
    checker_.Fail(n.id + " commits an unparsable block at " + std::to_string(c.index));
    return;
  }
  // Agreement: one block per height across all nodes and all time.
  auto [it, fresh] = checker_.committed.emplace(c.index, hash);
  if (!fresh && it->second != hash) {
    checker_.Fail("agreement: " + n.id + " commits another block at height " +
                  std::to_string(c.index));
  }
  if (c.certificate.has_value()) {
    const v1::CommitCertificate& cert = *c.certificate;
    std::set<NodeId> voters;
    bool valid = cert.schema_version() == 1 && cert.height() == c.index &&
                 cert.block_hash() == HashBytes(hash) && cert.term() == block->term;
    for (const v1::CommitSignature& s : cert.signatures()) {
      bool known = false;
      for (const NodeId& id : ids_) known = known || id == s.node_id();
      valid = valid && known &&
              s.signature() == FakeVoteSignature(s.node_id(), c.index, hash, cert.term());
      voters.insert(s.node_id());
    }
    if (!valid || voters.size() < quorum() ||
        voters.size() != static_cast<size_t>(cert.signatures_size())) {
      checker_.Fail("certificate of height " + std::to_string(c.index) + " at " + n.id +
                    " is not a majority of valid votes on that block and term");
    }
    checker_.certified_blocks += 1;
  }
  if (block->payload.rfind("live", 0) == 0) checker_.live_applied[block->payload].insert(n.id);
  Status st = ledger.Append(c.proposal, c.certificate);
  if (!st.ok()) checker_.Fail(n.id + " ledger: " + st.ToString());
  Trace(n.id + " apply " + std::to_string(c.index) + "/t" + std::to_string(block->term) +
        (c.certificate ? " cert" : "") + (block->payload.empty() ? "" : " " + block->payload));
}

void Cluster::DoCatchUp(SimNode& n, const CatchUp& cu) {
  auto src = nodes_.find(cu.from);
  if (src == nodes_.end()) return;
  const SimNode& from = *src->second;
  if (catch_up_needs_up_source && !from.engine) return;  // the fetch fails; the leader repeats
  if (from.durable.ledger.head() < cu.index) return;
  if (cu.index <= n.durable.ledger.head()) return;
  for (uint64_t h = n.durable.ledger.head() + 1; h <= cu.index; ++h) {
    const LedgerBlock& b = from.durable.ledger.At(h);
    Committed c;
    c.index = h;
    c.proposal = b.data;
    c.certificate = b.certificate;
    Apply(n, c);
    if (checker_.failed()) return;
  }
  catch_ups += 1;
  Status st = n.engine->RestoreTo(cu.index, cu.term);
  if (!st.ok()) checker_.Fail(n.id + " RestoreTo: " + st.ToString());
  DropStoredOutside(n);
  Trace(n.id + " caught up to " + std::to_string(cu.index) + " from " + cu.from);
}

void Cluster::Process(const NodeId& id) {
  SimNode& n = node(id);
  while (n.engine && n.engine->HasReady()) {
    CrashPoint crash = CrashPoint::kNone;
    auto it = crash_at_.find(id);
    if (it != crash_at_.end()) {
      crash = it->second;
      crash_at_.erase(it);
    }
    Ready rd = n.engine->GetReady();
    if (crash == CrashPoint::kBeforePersist) {
      Trace(id + " crash before persist");
      Crash(id);
      return;
    }
    PersistAndCheck(n, rd);
    if (crash == CrashPoint::kAfterPersist) {
      Trace(id + " crash after persist");
      Crash(id);
      return;
    }
    for (Message& m : rd.messages) sent_.push_back(m);
    if (crash == CrashPoint::kAfterSend) {
      Trace(id + " crash after send");
      Crash(id);
      return;
    }
    for (const Committed& c : rd.committed) Apply(n, c);
    n.engine->Advance(rd);
    if (rd.catch_up.has_value()) DoCatchUp(n, *rd.catch_up);
  }
  CheckNode(id);
}

void Cluster::CheckNode(const NodeId& id) {
  SimNode& n = node(id);
  if (!n.engine || !n.engine->IsLeader()) return;
  const uint64_t term = n.engine->term();
  // Election safety: at most one leader per term.
  auto [it, fresh] = checker_.leaders.emplace(term, id);
  if (!fresh && it->second != id) {
    checker_.Fail("election safety: " + id + " and " + it->second + " both lead term " +
                  std::to_string(term));
    return;
  }
  if (n.last_leader_term == term) return;
  n.last_leader_term = term;
  Trace(id + " leads term " + std::to_string(term));
  // Leader completeness: a new leader holds every block committed so far.
  for (const auto& [height, hash] : checker_.committed) {
    bool holds = false;
    if (height <= n.durable.ledger.head()) {
      holds = n.durable.ledger.HashAt(height) == hash;
    } else if (const Entry* e = n.engine->entry(height)) {
      holds = Sha256(e->data) == hash;
    }
    if (!holds) {
      checker_.Fail("leader completeness: " + id + " leads term " + std::to_string(term) +
                    " without committed block " + std::to_string(height));
      return;
    }
  }
}

std::string Cluster::StatusReport() const {
  std::string out;
  for (const NodeId& id : ids_) {
    const SimNode& n = node(id);
    out += "  " + id + ": ledger=" + std::to_string(n.durable.ledger.head());
    if (!n.engine) {
      out += " down\n";
      continue;
    }
    const RaftStatus s = n.engine->status();
    out += std::string(" ") + RaftRoleName(s.role) + " term=" + std::to_string(s.term) +
           " leader=" + (s.leader.empty() ? "-" : s.leader) +
           " compacted=" + std::to_string(s.compacted_index) +
           " last=" + std::to_string(s.last_index) + " commit=" + std::to_string(s.commit) +
           " applied=" + std::to_string(s.applied) + "\n";
  }
  return out;
}

void Cluster::CheckLedgersComplete(uint64_t up_to) {
  for (const NodeId& id : ids_) {
    const FakeLedger& ledger = node(id).durable.ledger;
    for (const auto& [height, hash] : checker_.committed) {
      if (height > up_to) break;
      if (height > ledger.head() || ledger.HashAt(height) != hash) {
        checker_.Fail("committed block " + std::to_string(height) + " missing from " + id +
                      "'s ledger (head " + std::to_string(ledger.head()) + ")");
        return;
      }
    }
  }
}

}  // namespace tracery::consensus::sim

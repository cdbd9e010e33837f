#include "tracery/consensus/raft.h"

#include <algorithm>
#include <set>

namespace tracery::consensus {

namespace {

bool SameHardState(const HardState& a, const HardState& b) {
  return a.term == b.term && a.vote == b.vote && a.commit == b.commit;
}

}  // namespace

const char* RaftRoleName(RaftRole role) {
  switch (role) {
    case RaftRole::kFollower:
      return "follower";
    case RaftRole::kPreCandidate:
      return "pre-candidate";
    case RaftRole::kCandidate:
      return "candidate";
    case RaftRole::kLeader:
      return "leader";
  }
  return "?";
}

RaftEngine::RaftEngine(RaftConfig config, ProposalOps* ops)
    : config_(std::move(config)), ops_(ops), rng_state_(config_.seed) {}

RaftEngine::~RaftEngine() = default;

Result<std::unique_ptr<RaftEngine>> RaftEngine::Open(RaftConfig config, ProposalOps* ops,
                                                     RaftRestore restore) {
  TRACERY_CHECK(ops != nullptr);
  if (config.self.empty()) return InvalidArgument("raft: self id is empty");
  if (config.validators.empty() || config.validators.size() > kRaftMaxValidators) {
    return InvalidArgument("raft: between 1 and " + std::to_string(kRaftMaxValidators) +
                           " validators are needed");
  }
  std::set<NodeId> ids(config.validators.begin(), config.validators.end());
  if (ids.size() != config.validators.size()) return InvalidArgument("raft: duplicate validator");
  if (ids.count(config.self) == 0) {
    return InvalidArgument("raft: self '" + config.self + "' is not a validator");
  }
  if (config.election_ticks < 2 || config.heartbeat_ticks == 0 ||
      config.heartbeat_ticks >= config.election_ticks) {
    return InvalidArgument("raft: need 0 < heartbeat_ticks < election_ticks, election_ticks >= 2");
  }
  if (config.max_inflight_appends == 0 || config.max_inflight_appends > kRaftMaxInflightAppends) {
    return InvalidArgument("raft: max_inflight_appends out of range");
  }
  if (config.max_append_entries == 0 || config.max_append_entries > kRaftMaxEntriesPerAppend) {
    return InvalidArgument("raft: max_append_entries out of range");
  }
  if (config.max_append_bytes == 0 || config.max_append_bytes > kRaftMaxMessageBytes / 2) {
    return InvalidArgument("raft: max_append_bytes out of range");
  }
  if (config.max_uncommitted_entries == 0) {
    return InvalidArgument("raft: max_uncommitted_entries must be positive");
  }
  std::sort(config.validators.begin(), config.validators.end());
  std::unique_ptr<RaftEngine> engine(new RaftEngine(std::move(config), ops));
  RETURN_IF_ERROR(engine->Restore(std::move(restore)));
  return engine;
}

Status RaftEngine::Restore(RaftRestore restore) {
  term_ = restore.hard_state.term;
  vote_ = restore.hard_state.vote;
  offset_ = restore.ledger_index;
  offset_term_ = restore.ledger_term;
  commit_ = offset_;
  applied_ = offset_;
  for (Entry& e : restore.entries) {
    if (e.index != last_index() + 1) {
      return InvalidArgument("raft: restored entry " + std::to_string(e.index) +
                             " does not follow " + std::to_string(last_index()));
    }
    if (e.term < LastTerm()) {
      return InvalidArgument("raft: restored entry " + std::to_string(e.index) +
                             " has a lower term than the entry before it");
    }
    // An entry that no longer inspects (it does not chain onto the ledger, e.g. a stale suffix
    // left behind by a crash during catch-up) is dropped with everything after it.
    if (!AppendEntry(e.term, std::move(e.data)).ok()) break;
  }
  stable_ = last_index();
  if (LastTerm() > term_) {  // only if the node broke the atomic-persist rule; stay safe
    term_ = LastTerm();
    vote_.clear();
  }
  last_hard_state_ = restore.hard_state;
  ResetElectionTimer();
  return Status::Ok();
}

// ---- Log ----

const RaftEngine::LogEntry* RaftEngine::At(uint64_t index) const {
  if (index <= offset_ || index > last_index()) return nullptr;
  return &log_[index - offset_ - 1];
}

const Entry* RaftEngine::entry(uint64_t index) const {
  const LogEntry* e = At(index);
  return e == nullptr ? nullptr : &e->entry;
}

std::optional<uint64_t> RaftEngine::TermAt(uint64_t index) const {
  if (index == offset_) return offset_term_;
  const LogEntry* e = At(index);
  if (e == nullptr) return std::nullopt;
  return e->entry.term;
}

uint64_t RaftEngine::LastTerm() const {
  return log_.empty() ? offset_term_ : log_.back().entry.term;
}

void RaftEngine::TruncateFrom(uint64_t index) {
  TRACERY_CHECK(index > commit_);
  TRACERY_CHECK(index > offset_);
  while (last_index() >= index) log_.pop_back();
  stable_ = std::min(stable_, last_index());
  own_votes_.erase(own_votes_.lower_bound(index), own_votes_.end());
}

Status RaftEngine::AppendEntry(uint64_t term, std::string data) {
  const uint64_t index = last_index() + 1;
  ASSIGN_OR_RETURN(ProposalOps::Info info, ops_->Inspect(data));
  if (info.height != index) {
    return InvalidArgument("raft: proposal is for height " + std::to_string(info.height) +
                           ", the next index is " + std::to_string(index));
  }
  if (info.term != term) {
    return InvalidArgument("raft: proposal names term " + std::to_string(info.term) +
                           ", the entry's term is " + std::to_string(term));
  }
  log_.push_back(LogEntry{Entry{index, term, std::move(data)}, info.hash});
  return Status::Ok();
}

// The largest index <= `index` whose term is <= `term` (or the first index whose term is
// unknown here): where a log that has `term` at `index` may first match ours.
uint64_t RaftEngine::FindConflictByTerm(uint64_t index, uint64_t term) const {
  index = std::min(index, last_index());
  while (index > offset_) {
    std::optional<uint64_t> t = TermAt(index);
    if (!t.has_value() || *t <= term) break;
    --index;
  }
  return index;
}

// ---- Roles ----

uint64_t RaftEngine::NextRandom() {
  // splitmix64: small, fast and fully determined by the seed.
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void RaftEngine::ResetElectionTimer() {
  election_elapsed_ = 0;
  randomized_timeout_ =
      config_.election_ticks + static_cast<uint32_t>(NextRandom() % config_.election_ticks);
}

bool RaftEngine::InLease() const {
  return config_.check_quorum && !leader_.empty() && election_elapsed_ < config_.election_ticks;
}

void RaftEngine::BecomeFollower(uint64_t term, const NodeId& leader) {
  if (term != term_) {
    TRACERY_CHECK(term > term_);
    term_ = term;
    vote_.clear();
    own_votes_.clear();
  }
  role_ = RaftRole::kFollower;
  leader_ = leader;
  progress_.clear();
  tallies_.clear();
  election_votes_.clear();
  heartbeat_elapsed_ = 0;
  ResetElectionTimer();
}

void RaftEngine::Campaign() {
  if (role_ == RaftRole::kLeader) return;
  if (config_.pre_vote) {
    BecomePreCandidate();
  } else {
    BecomeCandidate();
  }
}

void RaftEngine::BecomePreCandidate() {
  role_ = RaftRole::kPreCandidate;
  // A pre-vote asks about the next term without moving to it.
  if (StartElection(v1::RAFT_PRE_VOTE, term_ + 1)) BecomeCandidate();
}

void RaftEngine::BecomeCandidate() {
  term_ += 1;
  vote_ = config_.self;
  own_votes_.clear();
  role_ = RaftRole::kCandidate;
  if (StartElection(v1::RAFT_VOTE, term_)) BecomeLeader();
}

bool RaftEngine::StartElection(v1::RaftKind kind, uint64_t term) {
  leader_.clear();
  election_votes_.clear();
  election_votes_[config_.self] = true;
  ResetElectionTimer();
  if (election_votes_.size() >= Quorum()) return true;  // a one-validator network
  for (const NodeId& id : config_.validators) {
    if (id == config_.self) continue;
    v1::RaftMessage m;
    m.set_kind(kind);
    m.set_term(term);
    m.set_index(last_index());
    m.set_log_term(LastTerm());
    Send(id, std::move(m));
  }
  return false;
}

void RaftEngine::BecomeLeader() {
  role_ = RaftRole::kLeader;
  leader_ = config_.self;
  election_votes_.clear();
  tallies_.clear();
  progress_.clear();
  heartbeat_elapsed_ = 0;
  election_elapsed_ = 0;
  for (const NodeId& id : config_.validators) {
    if (id == config_.self) continue;
    Progress pr;
    pr.next = last_index() + 1;
    pr.recent_active = true;  // a fresh leader gives every follower one election timeout
    progress_[id] = pr;
  }
  // The empty block of this term: older-term entries commit through it (Raft §5.4.2, §8).
  // A proposal ops cannot build one is not fatal: the first proposal does the same job.
  std::string empty = ops_->MakeEmpty(term_);
  Status st = AppendEntry(term_, std::move(empty));
  if (st.ok()) {
    const LogEntry& e = log_.back();
    tallies_[e.entry.index][config_.self] = ops_->SignVote(e.entry.index, e.hash, term_);
  }
  MaybeCommit();
  BroadcastAppend();
}

void RaftEngine::TallyElection(const NodeId& from, bool granted) {
  election_votes_.emplace(from, granted);
  size_t yes = 0;
  size_t no = 0;
  for (const auto& [id, g] : election_votes_) (g ? yes : no) += 1;
  if (yes >= Quorum()) {
    if (role_ == RaftRole::kPreCandidate) {
      BecomeCandidate();
    } else {
      BecomeLeader();
    }
  } else if (no >= Quorum()) {
    BecomeFollower(term_, NodeId());
  }
}

// ---- Engine ----

Status RaftEngine::Propose(std::string proposal) {
  TRACERY_CHECK(!ready_outstanding_);
  if (role_ != RaftRole::kLeader) {
    if (leader_.empty()) return FailedPrecondition("raft: not the leader; no leader is known");
    return FailedPrecondition("raft: not the leader; the leader is '" + leader_ + "'");
  }
  if (proposal.size() > config_.max_append_bytes) {
    return ResourceExhausted("raft: proposal of " + std::to_string(proposal.size()) +
                             " bytes exceeds max_append_bytes");
  }
  if (last_index() - commit_ >= config_.max_uncommitted_entries) {
    return ResourceExhausted("raft: " + std::to_string(last_index() - commit_) +
                             " entries are uncommitted (max_uncommitted_entries)");
  }
  RETURN_IF_ERROR(AppendEntry(term_, std::move(proposal)));
  const LogEntry& e = log_.back();
  tallies_[e.entry.index][config_.self] = ops_->SignVote(e.entry.index, e.hash, term_);
  MaybeCommit();
  BroadcastAppend();
  return Status::Ok();
}

void RaftEngine::Tick() {
  TRACERY_CHECK(!ready_outstanding_);
  election_elapsed_ += 1;
  if (role_ != RaftRole::kLeader) {
    if (election_elapsed_ >= randomized_timeout_) Campaign();
    return;
  }
  heartbeat_elapsed_ += 1;
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      size_t active = 1;
      for (auto& [id, pr] : progress_) {
        if (pr.recent_active) active += 1;
        pr.recent_active = false;
      }
      if (active < Quorum()) {
        BecomeFollower(term_, NodeId());
        return;
      }
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

void RaftEngine::Send(const NodeId& to, v1::RaftMessage m) {
  m.set_schema_version(1);
  Message out;
  out.from = config_.self;
  out.to = to;
  TRACERY_CHECK(m.SerializeToString(&out.payload));
  messages_.push_back(std::move(out));
}

Status RaftEngine::Step(const Message& message) {
  TRACERY_CHECK(!ready_outstanding_);
  if (message.payload.size() > kRaftMaxMessageBytes) {
    return ResourceExhausted("raft: message of " + std::to_string(message.payload.size()) +
                             " bytes exceeds kRaftMaxMessageBytes");
  }
  if (message.to != config_.self) {
    return InvalidArgument("raft: message for '" + message.to + "' delivered to '" + config_.self +
                           "'");
  }
  if (message.from == config_.self ||
      !std::binary_search(config_.validators.begin(), config_.validators.end(), message.from)) {
    return PermissionDenied("raft: message from '" + message.from + "', not a peer validator");
  }
  v1::RaftMessage m;
  if (!m.ParseFromString(message.payload)) {
    return InvalidArgument("raft: message from '" + message.from + "' does not parse");
  }
  if (m.schema_version() != 1) {
    return InvalidArgument("raft: schema_version " + std::to_string(m.schema_version()) +
                           " (want 1)");
  }
  if (m.kind() == v1::RAFT_KIND_UNSPECIFIED || !v1::RaftKind_IsValid(m.kind())) {
    return InvalidArgument("raft: unknown message kind");
  }
  if (static_cast<size_t>(m.entries_size()) > kRaftMaxEntriesPerAppend ||
      static_cast<size_t>(m.votes_size()) > kRaftMaxVotesPerResponse ||
      static_cast<size_t>(m.certificates_size()) > kRaftMaxCertificatesPerMessage) {
    return ResourceExhausted("raft: message from '" + message.from + "' exceeds a count limit");
  }
  if (m.index() > UINT64_MAX / 2 || m.commit() > UINT64_MAX / 2 || m.term() > UINT64_MAX / 2) {
    return InvalidArgument("raft: index, commit or term out of range");
  }
  const NodeId& from = message.from;
  const v1::RaftKind kind = m.kind();
  const bool is_request = kind == v1::RAFT_PRE_VOTE || kind == v1::RAFT_VOTE;
  const bool from_leader =
      kind == v1::RAFT_APPEND || kind == v1::RAFT_HEARTBEAT || kind == v1::RAFT_CATCH_UP;
  if (m.term() > term_) {
    // Check-quorum lease: while this node hears from a live leader, a (pre-)vote from a node
    // that lost touch (a rejoining or partitioned node) must not disrupt it.
    if (is_request && InLease()) return Status::Ok();
    const bool keep_term =
        kind == v1::RAFT_PRE_VOTE || (kind == v1::RAFT_PRE_VOTE_RESPONSE && !m.reject());
    if (!keep_term) BecomeFollower(m.term(), from_leader ? from : NodeId());
  } else if (m.term() < term_) {
    if (from_leader && (config_.check_quorum || config_.pre_vote)) {
      // A stale leader (or one cut off while this node moved on) learns the newer term.
      v1::RaftMessage r;
      r.set_kind(v1::RAFT_APPEND_RESPONSE);
      r.set_term(term_);
      r.set_reject(true);
      Send(from, std::move(r));
    } else if (kind == v1::RAFT_PRE_VOTE) {
      v1::RaftMessage r;
      r.set_kind(v1::RAFT_PRE_VOTE_RESPONSE);
      r.set_term(term_);
      r.set_reject(true);
      Send(from, std::move(r));
    }
    return Status::Ok();
  }
  return StepKind(from, m);
}

Status RaftEngine::StepKind(const NodeId& from, const v1::RaftMessage& m) {
  switch (m.kind()) {
    case v1::RAFT_PRE_VOTE:
    case v1::RAFT_VOTE:
      HandleVoteRequest(from, m);
      return Status::Ok();
    case v1::RAFT_PRE_VOTE_RESPONSE:
      if (role_ == RaftRole::kPreCandidate && (m.reject() || m.term() == term_ + 1)) {
        TallyElection(from, !m.reject());
      }
      return Status::Ok();
    case v1::RAFT_VOTE_RESPONSE:
      if (role_ == RaftRole::kCandidate) TallyElection(from, !m.reject());
      return Status::Ok();
    case v1::RAFT_APPEND:
    case v1::RAFT_HEARTBEAT:
    case v1::RAFT_CATCH_UP:
      if (role_ == RaftRole::kLeader) {
        return Internal("raft: two leaders in term " + std::to_string(term_) + ": '" + from +
                        "' and this node");
      }
      if (role_ != RaftRole::kFollower || leader_ != from) BecomeFollower(term_, from);
      election_elapsed_ = 0;
      if (m.kind() == v1::RAFT_APPEND) return HandleAppend(from, m);
      if (m.kind() == v1::RAFT_HEARTBEAT) {
        HandleHeartbeat(from, m);
      } else {
        HandleCatchUp(from, m);
      }
      return Status::Ok();
    case v1::RAFT_APPEND_RESPONSE:
      if (role_ == RaftRole::kLeader) HandleAppendResponse(from, m);
      return Status::Ok();
    case v1::RAFT_HEARTBEAT_RESPONSE:
      if (role_ == RaftRole::kLeader) HandleHeartbeatResponse(from, m);
      return Status::Ok();
    default:
      return InvalidArgument("raft: unknown message kind");
  }
}

void RaftEngine::HandleVoteRequest(const NodeId& from, const v1::RaftMessage& m) {
  const bool pre = m.kind() == v1::RAFT_PRE_VOTE;
  const bool can_vote =
      vote_ == from || (vote_.empty() && leader_.empty()) || (pre && m.term() > term_);
  const bool up_to_date =
      m.log_term() > LastTerm() || (m.log_term() == LastTerm() && m.index() >= last_index());
  v1::RaftMessage r;
  r.set_kind(pre ? v1::RAFT_PRE_VOTE_RESPONSE : v1::RAFT_VOTE_RESPONSE);
  if (can_vote && up_to_date) {
    r.set_term(m.term());
    if (!pre) {
      vote_ = from;
      ResetElectionTimer();
    }
  } else {
    r.set_term(term_);
    r.set_reject(true);
  }
  Send(from, std::move(r));
}

Status RaftEngine::HandleAppend(const NodeId& from, const v1::RaftMessage& m) {
  // Entries of an append are ascending in term, no newer than the leader's term.
  uint64_t t = m.log_term();
  for (const v1::RaftEntry& e : m.entries()) {
    if (e.term() < t || e.term() > m.term()) {
      return InvalidArgument("raft: append from '" + from + "' has entry terms out of order");
    }
    t = e.term();
  }
  StoreCertificates(m);
  uint64_t prev = m.index();
  uint64_t prev_term = m.log_term();
  size_t skip = 0;  // entries at or below our commit index: they match (committed prefix)
  if (prev < commit_) {
    const uint64_t end = prev + static_cast<uint64_t>(m.entries_size());
    if (end <= commit_) {
      v1::RaftMessage r;
      r.set_kind(v1::RAFT_APPEND_RESPONSE);
      r.set_term(term_);
      r.set_index(commit_);
      r.set_commit(commit_);
      Send(from, std::move(r));
      return Status::Ok();
    }
    skip = static_cast<size_t>(commit_ - prev);
    prev_term = m.entries(static_cast<int>(skip) - 1).term();
    prev = commit_;
    std::optional<uint64_t> ours = TermAt(prev);
    if (!ours.has_value() || *ours != prev_term) {
      return Corruption("raft: append from '" + from + "' contradicts committed entry " +
                        std::to_string(prev));
    }
  }
  std::optional<uint64_t> ours = TermAt(prev);
  if (!ours.has_value() || *ours != prev_term) {
    const uint64_t hint = FindConflictByTerm(std::min(prev, last_index()), prev_term);
    v1::RaftMessage r;
    r.set_kind(v1::RAFT_APPEND_RESPONSE);
    r.set_term(term_);
    r.set_reject(true);
    r.set_index(prev);
    r.set_reject_hint(hint);
    r.set_hint_term(TermAt(hint).value_or(0));
    r.set_commit(commit_);
    Send(from, std::move(r));
    return Status::Ok();
  }
  Status status;
  uint64_t matched = prev;
  for (size_t k = skip; k < static_cast<size_t>(m.entries_size()); ++k) {
    const v1::RaftEntry& e = m.entries(static_cast<int>(k));
    const uint64_t index = matched + 1;
    std::optional<uint64_t> held = TermAt(index);
    if (held.has_value() && *held == e.term()) {
      matched = index;
      continue;
    }
    if (held.has_value()) TruncateFrom(index);  // a conflicting suffix (Raft §5.3)
    status = AppendEntry(e.term(), e.data());
    if (!status.ok()) {
      refused_entries_ += 1;
      status = status.Annotate("raft: entry " + std::to_string(index) + " from '" + from + "'");
      break;
    }
    matched = index;
  }
  const uint64_t new_commit = std::min(m.commit(), matched);
  if (new_commit > commit_) commit_ = new_commit;
  v1::RaftMessage r;
  r.set_kind(v1::RAFT_APPEND_RESPONSE);
  r.set_term(term_);
  r.set_index(matched);
  r.set_commit(commit_);
  AddVotes(m.commit(), matched, &r);
  Send(from, std::move(r));
  return status;
}

// Signs (or reuses the signature of) every entry of the current term in (low, matched]: the
// votes this node owes the leader. Lowest first, so the leader commits in order.
void RaftEngine::AddVotes(uint64_t low, uint64_t matched, v1::RaftMessage* response) {
  own_votes_.erase(own_votes_.begin(), own_votes_.upper_bound(std::max(low, offset_)));
  for (uint64_t i = std::max(low, offset_) + 1; i <= matched; ++i) {
    if (static_cast<size_t>(response->votes_size()) >= kRaftMaxVotesPerResponse) break;
    const LogEntry* e = At(i);
    TRACERY_CHECK(e != nullptr);
    if (e->entry.term != term_) continue;
    auto it = own_votes_.find(i);
    if (it == own_votes_.end()) {
      it = own_votes_.emplace(i, ops_->SignVote(i, e->hash, term_)).first;
    }
    v1::RaftVote* v = response->add_votes();
    v->set_index(i);
    *v->mutable_signature() = it->second;
  }
}

void RaftEngine::StoreCertificates(const v1::RaftMessage& m) {
  for (const v1::CommitCertificate& c : m.certificates()) {
    if (c.height() <= applied_) continue;
    PutCertificate(c);
  }
}

void RaftEngine::PutCertificate(v1::CommitCertificate cert) {
  const uint64_t height = cert.height();
  certificates_[height] = std::move(cert);
  while (certificates_.size() > kRaftMaxCertificates) certificates_.erase(certificates_.begin());
}

void RaftEngine::HandleHeartbeat(const NodeId& from, const v1::RaftMessage& m) {
  StoreCertificates(m);
  // The leader tells each follower at most the index it matched, so this is safe.
  const uint64_t new_commit = std::min(m.commit(), last_index());
  if (new_commit > commit_) commit_ = new_commit;
  v1::RaftMessage r;
  r.set_kind(v1::RAFT_HEARTBEAT_RESPONSE);
  r.set_term(term_);
  r.set_commit(commit_);
  Send(from, std::move(r));
}

void RaftEngine::HandleCatchUp(const NodeId& from, const v1::RaftMessage& m) {
  if (m.index() <= commit_) {
    // Nothing to fetch: our committed prefix covers it, and it matches the leader's.
    v1::RaftMessage r;
    r.set_kind(v1::RAFT_APPEND_RESPONSE);
    r.set_term(term_);
    r.set_index(commit_);
    r.set_commit(commit_);
    Send(from, std::move(r));
    return;
  }
  catch_up_ = CatchUp{from, m.index(), m.log_term()};
}

Status RaftEngine::RestoreTo(uint64_t index, uint64_t term) {
  TRACERY_CHECK(!ready_outstanding_);
  if (index <= applied_) return Status::Ok();  // a stale or repeated catch-up
  std::optional<uint64_t> held = TermAt(index);
  if (held.has_value() && *held == term) {
    while (!log_.empty() && log_.front().entry.index <= index) log_.pop_front();
  } else {
    if (role_ == RaftRole::kLeader) {
      return Corruption("raft: the leader's log disagrees with committed block " +
                        std::to_string(index));
    }
    log_.clear();
  }
  offset_ = index;
  offset_term_ = term;
  stable_ = std::clamp(stable_, offset_, last_index());
  commit_ = std::max(commit_, index);
  applied_ = index;
  own_votes_.erase(own_votes_.begin(), own_votes_.upper_bound(index));
  tallies_.erase(tallies_.begin(), tallies_.upper_bound(index));
  certificates_.erase(certificates_.begin(), certificates_.upper_bound(index));
  if (catch_up_.has_value() && catch_up_->index <= index) catch_up_.reset();
  if (!leader_.empty() && leader_ != config_.self) {
    v1::RaftMessage r;
    r.set_kind(v1::RAFT_APPEND_RESPONSE);
    r.set_term(term_);
    r.set_index(index);
    r.set_commit(commit_);
    Send(leader_, std::move(r));
  }
  return Status::Ok();
}

void RaftEngine::Compact(uint64_t index) {
  TRACERY_CHECK(!ready_outstanding_);
  TRACERY_CHECK(index <= applied_);
  if (index <= offset_) return;
  offset_term_ = *TermAt(index);
  while (!log_.empty() && log_.front().entry.index <= index) log_.pop_front();
  offset_ = index;
  stable_ = std::max(stable_, offset_);
  own_votes_.erase(own_votes_.begin(), own_votes_.upper_bound(index));
  tallies_.erase(tallies_.begin(), tallies_.upper_bound(index));
  // Certificates stay (bounded by kRaftMaxCertificates): a follower that holds the entries but
  // has not committed them yet still gets its certificates from the leader.
}

// ---- Leader ----

void RaftEngine::BecomeProbe(Progress* pr) {
  pr->state = ProgressState::kProbe;
  pr->next = pr->match + 1;
  pr->probe_sent = false;
  pr->inflight.clear();
}

void RaftEngine::BecomeReplicate(Progress* pr) {
  pr->state = ProgressState::kReplicate;
  pr->next = pr->match + 1;
  pr->probe_sent = false;
  pr->inflight.clear();
}

void RaftEngine::SendCatchUp(const NodeId& to, Progress* pr) {
  pr->state = ProgressState::kCatchUp;
  pr->catch_up_index = offset_;
  pr->inflight.clear();
  v1::RaftMessage m;
  m.set_kind(v1::RAFT_CATCH_UP);
  m.set_term(term_);
  m.set_index(offset_);
  m.set_log_term(offset_term_);
  Send(to, std::move(m));
}

uint64_t RaftEngine::AttachCertificates(const Progress& pr, v1::RaftMessage* m) const {
  uint64_t commit = commit_;
  for (auto it = certificates_.upper_bound(pr.commit_known);
       it != certificates_.end() && it->first <= commit_; ++it) {
    if (static_cast<size_t>(m->certificates_size()) >= kRaftMaxCertificatesPerMessage) {
      // Tell no commit beyond the certificates sent, so none is committed without its own.
      commit = m->certificates(m->certificates_size() - 1).height();
      break;
    }
    *m->add_certificates() = it->second;
  }
  return commit;
}

bool RaftEngine::SendAppend(const NodeId& to, bool allow_empty) {
  Progress& pr = progress_.at(to);
  if (pr.state == ProgressState::kCatchUp) return false;
  if (pr.state == ProgressState::kProbe && pr.probe_sent) return false;
  if (pr.state == ProgressState::kReplicate && pr.inflight.size() >= config_.max_inflight_appends) {
    return false;
  }
  if (pr.next <= offset_) {
    SendCatchUp(to, &pr);
    return true;
  }
  const uint64_t prev = pr.next - 1;
  v1::RaftMessage m;
  m.set_kind(v1::RAFT_APPEND);
  m.set_term(term_);
  m.set_index(prev);
  m.set_log_term(*TermAt(prev));
  uint64_t bytes = 0;
  for (uint64_t i = pr.next; i <= last_index(); ++i) {
    const Entry& e = At(i)->entry;
    if (static_cast<uint32_t>(m.entries_size()) >= config_.max_append_entries) break;
    if (m.entries_size() > 0 && bytes + e.data.size() > config_.max_append_bytes) break;
    bytes += e.data.size();
    v1::RaftEntry* out = m.add_entries();
    out->set_term(e.term);
    out->set_data(e.data);
  }
  const uint64_t n = static_cast<uint64_t>(m.entries_size());
  if (n == 0 && !allow_empty) return false;
  m.set_commit(AttachCertificates(pr, &m));
  if (pr.state == ProgressState::kReplicate) {
    if (n > 0) {
      pr.next = prev + n + 1;
      pr.inflight.push_back(prev + n);
    }
  } else {
    pr.probe_sent = true;
  }
  Send(to, std::move(m));
  return n > 0;
}

void RaftEngine::BroadcastAppend() {
  for (auto& [id, pr] : progress_) {
    while (SendAppend(id, false) && pr.state == ProgressState::kReplicate) {
    }
  }
}

void RaftEngine::BroadcastHeartbeat() {
  for (auto& [id, pr] : progress_) {
    v1::RaftMessage m;
    m.set_kind(v1::RAFT_HEARTBEAT);
    m.set_term(term_);
    const uint64_t commit = AttachCertificates(pr, &m);
    m.set_commit(std::min(commit, pr.match));
    Send(id, std::move(m));
  }
}

void RaftEngine::HandleAppendResponse(const NodeId& from, const v1::RaftMessage& m) {
  Progress& pr = progress_.at(from);
  pr.recent_active = true;
  pr.commit_known = m.commit();
  if (m.reject()) {
    if (pr.state == ProgressState::kCatchUp) return;
    if (pr.state == ProgressState::kReplicate) {
      if (m.index() <= pr.match) return;  // stale
      BecomeProbe(&pr);
    } else {
      if (pr.next == 0 || pr.next - 1 != m.index()) return;  // stale
      uint64_t next_probe = m.reject_hint();
      if (m.hint_term() > 0) next_probe = FindConflictByTerm(m.reject_hint(), m.hint_term());
      pr.next = std::max(std::min(m.index(), next_probe + 1), pr.match + 1);
      pr.probe_sent = false;
    }
    SendAppend(from, true);
    return;
  }
  CountVotes(from, m);
  if (m.index() > last_index()) return;  // not a response to this leader's appends
  if (m.index() > pr.match) pr.match = m.index();
  switch (pr.state) {
    case ProgressState::kProbe:
      BecomeReplicate(&pr);
      break;
    case ProgressState::kCatchUp:
      if (pr.match >= pr.catch_up_index) BecomeReplicate(&pr);
      break;
    case ProgressState::kReplicate:
      while (!pr.inflight.empty() && pr.inflight.front() <= m.index()) pr.inflight.pop_front();
      if (pr.next <= pr.match) pr.next = pr.match + 1;
      break;
  }
  MaybeCommit();
  if (role_ != RaftRole::kLeader) return;
  while (SendAppend(from, false) && pr.state == ProgressState::kReplicate) {
  }
}

void RaftEngine::HandleHeartbeatResponse(const NodeId& from, const v1::RaftMessage& m) {
  Progress& pr = progress_.at(from);
  pr.recent_active = true;
  pr.commit_known = m.commit();
  if (pr.state == ProgressState::kCatchUp) {
    if (m.commit() >= pr.catch_up_index) {
      pr.match = std::max(pr.match, m.commit());
      BecomeReplicate(&pr);
    } else {
      SendCatchUp(from, &pr);  // the notice may be lost; repeat it once per heartbeat
      return;
    }
  }
  if (pr.match < last_index()) {
    // No progress since the last heartbeat answer: appends or their answers were lost.
    // Probe again from the match.
    if (pr.state != ProgressState::kProbe && pr.match == pr.match_at_heartbeat) BecomeProbe(&pr);
    pr.probe_sent = false;
    pr.match_at_heartbeat = pr.match;
    SendAppend(from, true);
  }
  pr.match_at_heartbeat = pr.match;
}

void RaftEngine::CountVotes(const NodeId& from, const v1::RaftMessage& m) {
  for (const v1::RaftVote& v : m.votes()) {
    const uint64_t i = v.index();
    if (i <= commit_ || i > m.index()) continue;
    const LogEntry* e = At(i);
    if (e == nullptr || e->entry.term != term_) continue;
    auto& tally = tallies_[i];
    if (tally.count(from) != 0) continue;
    if (v.signature().node_id() != from || !ops_->VerifyVote(v.signature(), i, e->hash, term_)) {
      invalid_votes_ += 1;
      continue;
    }
    tally[from] = v.signature();
  }
}

// Commit rule: the highest entry of the current term with votes from a majority on that exact
// entry. Entries before it commit with it; each current-term entry with a majority of votes
// gets its certificate.
void RaftEngine::MaybeCommit() {
  uint64_t new_commit = commit_;
  for (uint64_t i = last_index(); i > commit_; --i) {
    const LogEntry* e = At(i);
    if (e->entry.term != term_) break;  // terms only fall going down the log
    auto it = tallies_.find(i);
    if (it != tallies_.end() && it->second.size() >= Quorum()) {
      new_commit = i;
      break;
    }
  }
  if (new_commit == commit_) return;
  for (uint64_t i = commit_ + 1; i <= new_commit; ++i) {
    const LogEntry* e = At(i);
    auto it = tallies_.find(i);
    if (e->entry.term != term_ || it == tallies_.end() || it->second.size() < Quorum()) continue;
    v1::CommitCertificate cert;
    cert.set_schema_version(1);
    cert.set_height(i);
    cert.set_block_hash(HashBytes(e->hash));
    cert.set_term(term_);
    for (const auto& [id, sig] : it->second) *cert.add_signatures() = sig;
    PutCertificate(std::move(cert));
  }
  commit_ = new_commit;
  tallies_.erase(tallies_.begin(), tallies_.upper_bound(commit_));
}

// ---- Ready ----

bool RaftEngine::HasReady() const {
  if (ready_outstanding_) return false;
  if (!messages_.empty() || catch_up_.has_value()) return true;
  if (last_index() > stable_ || commit_ > applied_) return true;
  return !SameHardState(HardState{term_, vote_, commit_}, last_hard_state_);
}

Ready RaftEngine::GetReady() {
  TRACERY_CHECK(!ready_outstanding_);
  Ready rd;
  rd.hard_state = HardState{term_, vote_, commit_};
  rd.hard_state_changed = !SameHardState(rd.hard_state, last_hard_state_);
  for (uint64_t i = stable_ + 1; i <= last_index(); ++i) rd.entries.push_back(At(i)->entry);
  rd.messages = std::move(messages_);
  messages_.clear();
  for (uint64_t i = applied_ + 1; i <= commit_; ++i) {
    if (rd.committed.size() >= kRaftMaxCommittedPerReady) break;
    const LogEntry* e = At(i);
    TRACERY_CHECK(e != nullptr);
    Committed c;
    c.index = i;
    c.proposal = e->entry.data;
    auto it = certificates_.find(i);
    if (it != certificates_.end() && it->second.block_hash() == HashBytes(e->hash) &&
        it->second.term() == e->entry.term) {
      c.certificate = it->second;
    }
    rd.committed.push_back(std::move(c));
  }
  rd.catch_up = std::move(catch_up_);
  catch_up_.reset();
  ready_outstanding_ = true;
  return rd;
}

void RaftEngine::Advance(const Ready& ready) {
  TRACERY_CHECK(ready_outstanding_);
  ready_outstanding_ = false;
  if (!ready.entries.empty()) {
    TRACERY_CHECK(ready.entries.back().index <= last_index());
    stable_ = std::max(stable_, ready.entries.back().index);
  }
  if (!ready.committed.empty()) {
    TRACERY_CHECK(ready.committed.front().index == applied_ + 1);
    applied_ = ready.committed.back().index;
  }
  last_hard_state_ = ready.hard_state;
  if (role_ != RaftRole::kLeader) {
    certificates_.erase(certificates_.begin(), certificates_.upper_bound(applied_));
  }
}

RaftStatus RaftEngine::status() const {
  RaftStatus s;
  s.id = config_.self;
  s.role = role_;
  s.term = term_;
  s.vote = vote_;
  s.leader = leader_;
  s.compacted_index = offset_;
  s.last_index = last_index();
  s.commit = commit_;
  s.applied = applied_;
  s.invalid_votes = invalid_votes_;
  s.refused_entries = refused_entries_;
  return s;
}

}  // namespace tracery::consensus

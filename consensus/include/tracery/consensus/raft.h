// RaftEngine: Raft (the extended paper, with the thesis's pre-vote and check-quorum) as a pure
// state machine behind the Engine interface. No I/O, no clock, no threads; randomness comes from
// the seed in RaftConfig. Messages are tracery.v1.RaftMessage (docs/formats/raft.md).
//
// Blocks and votes. Log index i is the block at height i. Every validator signs, through
// ProposalOps::SignVote, (height, hash, term) for each entry of its current term that it holds
// as matched with the leader, and sends those votes in its append responses. The leader checks
// each vote (ProposalOps::VerifyVote), commits the highest entry of its current term that a
// majority (itself included) voted for, and builds a CommitCertificate for every current-term
// entry that has a majority of votes. Older-term entries commit through their descendant and have
// no certificate of their own (Raft §5.4.2). The leader sends certificates with later appends and
// heartbeats, so followers attach them when they commit those heights.
//
// Leader forwarding: Propose on a follower fails (FailedPrecondition) naming the known leader;
// the node forwards transactions, not blocks, to the leader, which builds the blocks.
//
// Using it from the node:
//  - Persist Ready::hard_state and Ready::entries atomically and synced before sending
//    Ready::messages. An entry at index i replaces every stored entry >= i.
//  - Apply Ready::committed to the ledger (synced) in order, then call Advance.
//  - Restart: Open() with the persisted HardState, the ledger head (height and its block's term)
//    and the stored entries after the ledger head. The engine re-inspects them in order and keeps
//    the prefix that inspects; afterwards (and after RestoreTo) the node deletes every stored entry
//    above last_index(). HardState::commit is informative: a restarted engine resumes at the ledger
//    head and learns the commit index (with its certificates) from the leader again.
//  - Compact(i) once blocks <= i are in the ledger; the stored entries <= i may be deleted.
//  - Ready::catch_up: fetch blocks (ledger head, index] from catch_up.from's ledger, verify and
//    apply them, then RestoreTo(index, term).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracery/consensus/engine.h"
#include "tracery/v1/raft.pb.h"

namespace tracery::consensus {

// Named limits. Step refuses a message above any of them (ResourceExhausted).
inline constexpr size_t kRaftMaxValidators = 64;
inline constexpr size_t kRaftMaxMessageBytes = 64u << 20;
inline constexpr size_t kRaftMaxEntriesPerAppend = 1024;
inline constexpr size_t kRaftMaxVotesPerResponse = 1024;
inline constexpr size_t kRaftMaxCertificatesPerMessage = 64;
// Certificates an engine keeps for heights it may still have to commit or send.
inline constexpr size_t kRaftMaxCertificates = 4096;
// Committed entries handed out by one Ready; the rest follow in the next.
inline constexpr size_t kRaftMaxCommittedPerReady = 256;
inline constexpr uint32_t kRaftMaxInflightAppends = 256;

struct RaftConfig {
  NodeId self;
  std::vector<NodeId> validators;  // every validator, self included; order is irrelevant
  // A follower campaigns after a randomised timeout in [election_ticks, 2 * election_ticks).
  uint32_t election_ticks = 10;
  uint32_t heartbeat_ticks = 1;       // < election_ticks
  bool pre_vote = true;               // campaign only after a majority would vote (thesis §9.6)
  bool check_quorum = true;           // a leader without a live majority steps down; lease on votes
  uint32_t max_inflight_appends = 8;  // per follower, in replicate mode; <= kRaftMaxInflightAppends
  uint32_t max_append_entries = 64;   // per append; <= kRaftMaxEntriesPerAppend
  uint64_t max_append_bytes = 1u << 20;  // per append (at least one entry is always sent)
  // The leader refuses proposals (ResourceExhausted) while this many entries are uncommitted.
  uint64_t max_uncommitted_entries = 1024;
  uint64_t seed = 1;  // seeds the election-timeout RNG; give every node its own
};

// The durable state an engine restarts from.
struct RaftRestore {
  HardState hard_state;
  uint64_t ledger_index = 0;   // ledger head height (0: only the genesis)
  uint64_t ledger_term = 0;    // the term of the ledger head's block (0 for the genesis)
  std::vector<Entry> entries;  // stored entries after ledger_index, ascending and contiguous
};

enum class RaftRole { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RaftRoleName(RaftRole role);

// A snapshot of an engine's state for tests, metrics and status pages.
struct RaftStatus {
  NodeId id;
  RaftRole role = RaftRole::kFollower;
  uint64_t term = 0;
  NodeId vote;
  NodeId leader;
  uint64_t compacted_index = 0;  // entries <= this are in the ledger only
  uint64_t last_index = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t invalid_votes = 0;    // votes that did not verify (leader)
  uint64_t refused_entries = 0;  // entries an append offered that did not inspect (follower)
};

class RaftEngine final : public Engine {
 public:
  // REQUIRES: ops outlives the engine.
  static Result<std::unique_ptr<RaftEngine>> Open(RaftConfig config, ProposalOps* ops,
                                                  RaftRestore restore);
  ~RaftEngine() override;

  // Engine.
  Status Propose(std::string proposal) override;
  Status Step(const Message& message) override;
  void Tick() override;
  bool HasReady() const override;
  Ready GetReady() override;
  void Advance(const Ready& ready) override;
  bool IsLeader() const override { return role_ == RaftRole::kLeader; }
  NodeId leader() const override { return leader_; }

  // Starts an election now (a pre-vote first when pre_vote is on). No-op on the leader.
  void Campaign();
  // Entries <= index are in the ledger and may be dropped. REQUIRES: index <= applied().
  void Compact(uint64_t index);
  // After a catch-up: blocks up to `index` (whose block has term `term`) are in the ledger.
  // Keeps the entries after `index` if the entry at `index` has `term`, else drops them all.
  // Answers the leader as matched at `index`. REQUIRES: no Ready outstanding.
  Status RestoreTo(uint64_t index, uint64_t term);

  uint64_t term() const { return term_; }
  RaftRole role() const { return role_; }
  uint64_t last_index() const { return offset_ + log_.size(); }
  uint64_t commit_index() const { return commit_; }
  uint64_t applied() const { return applied_; }
  uint64_t compacted_index() const { return offset_; }
  // The entry at `index`, or nullptr when this engine does not hold it (compacted or beyond).
  const Entry* entry(uint64_t index) const;
  RaftStatus status() const;

 private:
  struct LogEntry {
    Entry entry;
    Hash32 hash{};
  };
  enum class ProgressState { kProbe, kReplicate, kCatchUp };
  // The leader's view of one follower.
  struct Progress {
    uint64_t match = 0;
    uint64_t next = 1;
    ProgressState state = ProgressState::kProbe;
    bool probe_sent = false;          // probe: one append in flight; wait for its answer
    std::deque<uint64_t> inflight;    // replicate: last index of each append in flight
    uint64_t catch_up_index = 0;      // catch-up: the compacted head the follower was sent
    uint64_t commit_known = 0;        // the follower's commit index as it last reported it
    uint64_t match_at_heartbeat = 0;  // match at the previous heartbeat answer (stall check)
    bool recent_active = false;       // heard from within this election timeout
  };

  RaftEngine(RaftConfig config, ProposalOps* ops);
  Status Restore(RaftRestore restore);

  // Log.
  std::optional<uint64_t> TermAt(uint64_t index) const;
  const LogEntry* At(uint64_t index) const;
  uint64_t LastTerm() const;
  void TruncateFrom(uint64_t index);
  // Inspects and appends `data` as entry last_index()+1 of `term`.
  Status AppendEntry(uint64_t term, std::string data);
  uint64_t FindConflictByTerm(uint64_t index, uint64_t term) const;

  // Roles.
  size_t Quorum() const { return config_.validators.size() / 2 + 1; }
  bool InLease() const;
  void ResetElectionTimer();
  void BecomeFollower(uint64_t term, const NodeId& leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  // Votes for itself and asks every other validator (`kind`: pre-vote or vote, for `term`).
  // Returns true when its own vote is already a quorum.
  bool StartElection(v1::RaftKind kind, uint64_t term);
  void BecomeLeader();
  void TallyElection(const NodeId& from, bool granted);

  // Messages.
  void Send(const NodeId& to, v1::RaftMessage m);
  Status StepKind(const NodeId& from, const v1::RaftMessage& m);
  void HandleVoteRequest(const NodeId& from, const v1::RaftMessage& m);
  Status HandleAppend(const NodeId& from, const v1::RaftMessage& m);
  void HandleHeartbeat(const NodeId& from, const v1::RaftMessage& m);
  void HandleCatchUp(const NodeId& from, const v1::RaftMessage& m);
  void HandleAppendResponse(const NodeId& from, const v1::RaftMessage& m);
  void HandleHeartbeatResponse(const NodeId& from, const v1::RaftMessage& m);
  void StoreCertificates(const v1::RaftMessage& m);
  void AddVotes(uint64_t low, uint64_t matched, v1::RaftMessage* response);

  // Leader.
  bool SendAppend(const NodeId& to, bool allow_empty);
  void SendCatchUp(const NodeId& to, Progress* pr);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  // Adds the certificates `pr` lacks; returns the commit index to tell the follower.
  uint64_t AttachCertificates(const Progress& pr, v1::RaftMessage* m) const;
  void BecomeProbe(Progress* pr);
  void BecomeReplicate(Progress* pr);
  void CountVotes(const NodeId& from, const v1::RaftMessage& m);
  void MaybeCommit();
  void PutCertificate(v1::CommitCertificate cert);
  uint64_t NextRandom();

  const RaftConfig config_;
  ProposalOps* const ops_;
  uint64_t rng_state_;

  // Persistent state (HardState) and the log. Invariant: log_[k] is entry offset_ + 1 + k;
  // offset_ <= applied_ <= commit_ <= last_index(); entries <= stable_ are persisted.
  uint64_t term_ = 0;
  NodeId vote_;
  uint64_t commit_ = 0;
  uint64_t offset_ = 0;       // compacted head: in the ledger, not in log_
  uint64_t offset_term_ = 0;  // its term
  std::deque<LogEntry> log_;
  uint64_t stable_ = 0;

  RaftRole role_ = RaftRole::kFollower;
  NodeId leader_;
  uint64_t applied_ = 0;
  uint32_t election_elapsed_ = 0;
  uint32_t heartbeat_elapsed_ = 0;
  uint32_t randomized_timeout_ = 0;
  std::map<NodeId, bool> election_votes_;  // (pre-)candidate: answers received

  std::map<NodeId, Progress> progress_;  // leader: every validator but self
  // Leader: verified votes on its current-term entries above commit_, by index.
  std::map<uint64_t, std::map<NodeId, v1::CommitSignature>> tallies_;
  // Certificates by height: formed (leader) or received (follower); bounded.
  std::map<uint64_t, v1::CommitCertificate> certificates_;
  // This node's signed votes on entries of term_, by index (a cache: signing is costly).
  std::map<uint64_t, v1::CommitSignature> own_votes_;

  std::vector<Message> messages_;
  HardState last_hard_state_;  // as handed out by the last Ready
  std::optional<CatchUp> catch_up_;
  bool ready_outstanding_ = false;

  uint64_t invalid_votes_ = 0;
  uint64_t refused_entries_ = 0;
};

}  // namespace tracery::consensus

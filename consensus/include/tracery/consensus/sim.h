// A deterministic simulator for RaftEngine (the design of FoundationDB's and TigerBeetle's
// simulators): N nodes, each with a fake ledger and a fake ProposalOps, driven through the real
// Ready loop on a seeded network that drops, duplicates, reorders and delays messages, with
// partitions, crashes at any point of the Ready loop (losing what was not persisted), restarts,
// clock skew and compaction with block-transfer catch-up. Checkers run on every step.
//
// Everything is a pure function of the seed: no clock, no threads, no unordered iteration. A
// failing run reports its seed and a short trace; RunSeed(seed) replays it exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tracery/consensus/raft.h"

namespace tracery::consensus::sim {

// ---- Fake blocks, ledger and ProposalOps ----

// A fake block: "blk|<height>|<term>|<previous hash, 64 hex>|<payload>". Its hash is SHA-256 of
// those bytes. Height 0 is the genesis, whose hash is FakeGenesisHash().
struct FakeBlock {
  uint64_t height = 0;
  uint64_t term = 0;
  Hash32 previous{};
  std::string payload;
};
std::string EncodeFakeBlock(const FakeBlock& block);
Result<FakeBlock> DecodeFakeBlock(std::string_view bytes);
Hash32 FakeGenesisHash();
// A deterministic stand-in for an Ed25519 vote: SHA-256 over the voter and (height, hash, term).
std::string FakeVoteSignature(const NodeId& voter, uint64_t height, const Hash32& hash,
                              uint64_t term);

struct LedgerBlock {
  std::string data;
  Hash32 hash{};
  uint64_t term = 0;
  std::optional<v1::CommitCertificate> certificate;
};

// A node's ledger of committed blocks. Durable: it survives crashes (appends are synced).
class FakeLedger {
 public:
  uint64_t head() const { return blocks_.size(); }
  // REQUIRES: height <= head(). Height 0 is the genesis.
  Hash32 HashAt(uint64_t height) const;
  uint64_t TermAt(uint64_t height) const;
  const LedgerBlock& At(uint64_t height) const { return blocks_.at(height - 1); }
  // Appends the block at head()+1; fails if it does not chain onto the head.
  Status Append(std::string data, std::optional<v1::CommitCertificate> certificate);

 private:
  std::vector<LedgerBlock> blocks_;
};

class FakeOps final : public ProposalOps {
 public:
  // REQUIRES: ledger outlives this.
  FakeOps(NodeId self, std::vector<NodeId> validators, const FakeLedger* ledger)
      : self_(std::move(self)), validators_(std::move(validators)), ledger_(ledger) {}
  // The engine whose last entry MakeEmpty and MakeBlock follow; set after RaftEngine::Open.
  void set_engine(const RaftEngine* engine) { engine_ = engine; }

  Result<Info> Inspect(const std::string& proposal) override;
  v1::CommitSignature SignVote(uint64_t height, const Hash32& hash, uint64_t term) override;
  bool VerifyVote(const v1::CommitSignature& vote, uint64_t height, const Hash32& hash,
                  uint64_t term) override;
  std::string MakeEmpty(uint64_t term) override { return MakeBlock(term, ""); }
  // A block of `term` with `payload` following this node's last entry.
  std::string MakeBlock(uint64_t term, const std::string& payload) const;

 private:
  Result<Hash32> ChainHash(uint64_t height) const;

  const NodeId self_;
  const std::vector<NodeId> validators_;
  const FakeLedger* const ledger_;
  const RaftEngine* engine_ = nullptr;
  std::map<uint64_t, Hash32> chain_;  // inspected blocks above the ledger, by height
};

// A one-line description of a Raft message for traces and golden files.
std::string DescribeMessage(const Message& message);

// ---- Cluster ----

// Where in the Ready loop a node crashes.
enum class CrashPoint { kNone, kBeforePersist, kAfterPersist, kAfterSend };
const char* CrashPointName(CrashPoint point);

struct ClusterOptions {
  size_t nodes = 3;  // named n1..nN
  RaftConfig raft;   // self, validators and seed are set per node
  uint64_t seed = 1;
};

// What a node keeps across crashes.
struct Durable {
  HardState hard_state;
  std::map<uint64_t, Entry> entries;  // the persisted log
  FakeLedger ledger;
};

struct SimNode {
  NodeId id;
  Durable durable;
  std::unique_ptr<FakeOps> ops;
  std::unique_ptr<RaftEngine> engine;  // null while crashed
  uint64_t restarts = 0;
  uint64_t last_leader_term = 0;  // the last term the checkers saw this node lead
};

// The checkers. Each failure is recorded (the first one is kept) and never aborts by itself.
class Checker {
 public:
  void Fail(const std::string& what);
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  // Blocks applied anywhere, by height: what clients may have been told is committed.
  std::map<uint64_t, Hash32> committed;
  std::map<uint64_t, NodeId> leaders;  // term -> the leader seen in it
  uint64_t certified_blocks = 0;
  // Nodes that applied each block whose payload starts with "live" (the liveness probes).
  std::map<std::string, std::set<NodeId>> live_applied;

 private:
  std::string failure_;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  ~Cluster();

  const std::vector<NodeId>& ids() const { return ids_; }
  SimNode& node(const NodeId& id);
  const SimNode& node(const NodeId& id) const;
  bool up(const NodeId& id) const { return node(id).engine != nullptr; }
  Checker& checker() { return checker_; }
  size_t quorum() const { return ids_.size() / 2 + 1; }

  // Inputs to one node; each runs that node's Ready loop afterwards.
  void Tick(const NodeId& id);
  void Campaign(const NodeId& id);
  // Proposes a block with `payload` following the node's last entry.
  Status Propose(const NodeId& id, const std::string& payload);
  Status Deliver(const Message& message);
  void Compact(const NodeId& id, uint64_t index);
  void Crash(const NodeId& id);
  // Restarts from the durable state. Fails only on a bug (the engine refuses its own state).
  Status Restart(const NodeId& id);
  // The next Ready loop of `id` crashes the node at `point`.
  void CrashAt(const NodeId& id, CrashPoint point) { crash_at_[id] = point; }

  // Messages sent since the last call, in send order.
  std::vector<Message> TakeSent();
  // Every up node's leader-related and chain checks; run after each input.
  void CheckNode(const NodeId& id);
  // Each node's ledger agrees with the committed map and holds every committed height.
  void CheckLedgersComplete(uint64_t up_to);
  // One line per node: role, term, leader, ledger head, log, commit.
  std::string StatusReport() const;

  // Trace of recent events (bounded), for failure reports.
  void Trace(const std::string& event);
  std::string RecentTrace() const;
  void set_time(uint64_t t) { time_ = t; }
  // When set, a catch-up copies blocks only from an up node (the sim); else from any node.
  bool catch_up_needs_up_source = true;
  uint64_t crashes = 0;
  uint64_t catch_ups = 0;
  uint64_t step_errors = 0;  // Step statuses that were not OK (each is traced)

 private:
  void Process(const NodeId& id);
  bool PersistAndCheck(SimNode& n, const Ready& rd);
  void CheckMessageDurable(const SimNode& n, const Message& m);
  void Apply(SimNode& n, const Committed& c);
  void DoCatchUp(SimNode& n, const CatchUp& cu);
  void DropStoredOutside(SimNode& n);

  ClusterOptions options_;
  std::vector<NodeId> ids_;
  std::map<NodeId, std::unique_ptr<SimNode>> nodes_;
  std::map<NodeId, CrashPoint> crash_at_;
  std::vector<Message> sent_;
  Checker checker_;
  std::deque<std::string> trace_;
  uint64_t time_ = 0;
};

// ---- The seeded simulation ----

struct SimOptions {
  // 0: chosen by the seed (3 or 5).
  size_t nodes = 0;
  uint64_t fault_time = 2000;     // time units of faults (a node ticks every ~10 units)
  uint64_t liveness_time = 4000;  // after healing, a proposal must commit everywhere within this
  bool verbose = false;           // print the trace of every run
};

struct SimResult {
  bool ok = true;
  std::string report;  // on failure: the seed, what failed and a short trace
  uint64_t committed_height = 0;
  uint64_t certified_blocks = 0;
  // Nodes that applied each block whose payload starts with "live" (the liveness probes).
  std::map<std::string, std::set<NodeId>> live_applied;
  uint64_t messages = 0;
  uint64_t crashes = 0;
  uint64_t catch_ups = 0;
};

// Runs one seeded simulation: faults, then heal, then a liveness check.
SimResult RunSeed(uint64_t seed, const SimOptions& options = {});

}  // namespace tracery::consensus::sim

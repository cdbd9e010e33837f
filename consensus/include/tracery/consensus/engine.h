// The consensus Engine: a deterministic state machine with no I/O, no clock and no threads
// (the shape of etcd's raft library). The node drives it from one owner thread:
//
//   loop:
//     engine.Tick() every tick; engine.Step(msg) for each peer message; engine.Propose(block)
//     if (engine.HasReady()) {
//       Ready rd = engine.GetReady();
//       persist rd.hard_state (if changed) and rd.entries, synced -- before any message is sent
//       send rd.messages
//       apply rd.committed to the ledger (synced)                  -- then acknowledge clients
//       engine.Advance(rd);
//       if (rd.catch_up) fetch blocks, apply them, engine.RestoreTo(...)
//     }
//
// REQUIRES: between GetReady() and Advance() the node calls nothing else on the engine.
//
// Raft log index == block height: height 1 is the first block (the genesis, height 0, is not an
// entry). Proposals are opaque bytes to the engine (the node puts serialised blocks in them).
// What the engine needs to know about a proposal it learns through ProposalOps, which the node
// implements over its ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::consensus {

using NodeId = std::string;

struct Message {
  NodeId from;
  NodeId to;
  std::string payload;  // serialised by the engine; opaque to the transport
};

struct Entry {
  uint64_t index = 0;  // == the block height
  uint64_t term = 0;
  std::string data;  // a proposal: a serialised block
};

// Durable state: persisted (synced) before the messages of the same Ready are sent.
struct HardState {
  uint64_t term = 0;
  NodeId vote;  // the candidate voted for in `term`, or empty
  uint64_t commit = 0;
};

struct Committed {
  uint64_t index = 0;
  std::string proposal;
  // Present only for a block that has its own certificate. A block committed through a
  // certified descendant (Raft §5.4.2: an older-term entry commits with a current-term one)
  // has none; the hash chain from the descendant proves it.
  std::optional<v1::CommitCertificate> certificate;
};

// This node lags behind what the leader still holds in its log (the leader compacted those
// entries into its ledger). The node fetches the committed blocks up to `index` from `from`'s
// ledger, applies them, then calls RestoreTo(index, term).
struct CatchUp {
  NodeId from;
  uint64_t index = 0;
  uint64_t term = 0;
};

struct Ready {
  bool hard_state_changed = false;
  HardState hard_state;
  // Persist, synced, before sending `messages`. An entry at index i replaces every stored entry
  // with index >= i. Ascending and contiguous.
  std::vector<Entry> entries;
  std::vector<Message> messages;
  std::vector<Committed> committed;  // in order; apply to the ledger
  std::optional<CatchUp> catch_up;
};

class ProposalOps {
 public:
  virtual ~ProposalOps() = default;
  struct Info {
    uint64_t height = 0;
    Hash32 hash{};
    uint64_t term = 0;  // the term the block names (its header's term)
  };
  // Parses and validates `proposal` as the block at its height, following the block at
  // height-1 of this node's chain (ledger + uncommitted entries). The engine calls it, in log
  // order, exactly for each entry it is about to append: the leader in Propose and for its empty
  // block, a follower for each new entry of an append that passed the log-matching check (never
  // for an entry it already holds), and a restarted engine for each restored entry. A call for
  // height h supersedes whatever the chain held at heights >= h. The engine refuses an entry
  // whose height is not its index or whose term is not the entry's term.
  virtual Result<Info> Inspect(const std::string& proposal) = 0;
  // This node's vote (purpose tracery/v1/commit) for (height, hash, term).
  virtual v1::CommitSignature SignVote(uint64_t height, const Hash32& hash, uint64_t term) = 0;
  // Whether `vote` is a valid vote of its node_id, a validator, for (height, hash, term).
  virtual bool VerifyVote(const v1::CommitSignature& vote, uint64_t height, const Hash32& hash,
                          uint64_t term) = 0;
  // The empty block of `term` following the last entry of this node's chain. A new leader
  // appends one at once (after Inspect) so that older-term entries commit through it.
  virtual std::string MakeEmpty(uint64_t term) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Offers a proposal for ordering. Fails (FailedPrecondition, naming the known leader) when
  // this node is not the leader: the node forwards transactions, not blocks, to the leader.
  virtual Status Propose(std::string proposal) = 0;
  // A malformed or unexpected message is an error status and changes nothing.
  virtual Status Step(const Message& message) = 0;
  virtual void Tick() = 0;
  virtual bool HasReady() const = 0;
  virtual Ready GetReady() = 0;
  // Tells the engine that everything in `ready` was persisted, sent and applied.
  virtual void Advance(const Ready& ready) = 0;
  virtual bool IsLeader() const = 0;
  virtual NodeId leader() const = 0;
};

}  // namespace tracery::consensus

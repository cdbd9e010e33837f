// The consensus Engine: a deterministic state machine with no I/O, no clock and no threads
// (the shape of etcd's raft library). The node drives it:
//
//   loop:
//     engine.Tick() every tick; engine.Step(msg) for each peer message; engine.Propose(block)
//     if (engine.HasReady()) {
//       Ready rd = engine.GetReady();
//       persist rd.hard_state and rd.entries (synced)   -- before any message is sent
//       send rd.messages
//       apply rd.committed to the ledger (synced)       -- then acknowledge clients
//       engine.Advance(rd);
//     }
//
// Proposals are opaque bytes to the engine (the node puts serialised blocks in them). What
// the engine needs to know about a proposal it learns through ProposalOps, which the node
// implements over the ledger.
#pragma once

#include <cstdint>
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
  uint64_t index = 0;
  uint64_t term = 0;
  std::string data;  // a proposal
};

struct HardState {
  uint64_t term = 0;
  NodeId vote;
  uint64_t commit = 0;
};

struct Committed {
  std::string proposal;
  v1::CommitCertificate certificate;
};

struct Ready {
  bool hard_state_changed = false;
  HardState hard_state;
  std::vector<Entry> entries;      // persist before sending `messages`
  std::vector<Message> messages;
  std::vector<Committed> committed;  // in order; apply to the ledger
};

class ProposalOps {
 public:
  virtual ~ProposalOps() = default;
  struct Info {
    uint64_t height = 0;
    Hash32 hash{};
  };
  // Parses and validates a proposal as the next block; an invalid one is refused.
  virtual Result<Info> Inspect(const std::string& proposal) = 0;
  // This node's vote (purpose tracery/v1/commit) for (height, hash, term).
  virtual v1::CommitSignature SignVote(uint64_t height, const Hash32& hash, uint64_t term) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Offers a proposal for ordering. Fails when this node cannot propose (not the leader).
  virtual Status Propose(std::string proposal) = 0;
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

// Solo: one validator orders every block by itself. A block it proposes is final at once,
// certified by its own vote (the quorum of a one-validator consortium). Other organisations'
// nodes submit through it.
#pragma once

#include <deque>

#include "tracery/consensus/engine.h"

namespace tracery::consensus {

class SoloEngine final : public Engine {
 public:
  // REQUIRES: ops outlives the engine.
  SoloEngine(NodeId self, ProposalOps* ops) : self_(std::move(self)), ops_(ops) {}

  Status Propose(std::string proposal) override;
  Status Step(const Message& message) override;
  void Tick() override {}
  bool HasReady() const override { return !committed_.empty(); }
  Ready GetReady() override;
  void Advance(const Ready& ready) override;
  bool IsLeader() const override { return true; }
  NodeId leader() const override { return self_; }

 private:
  const NodeId self_;
  ProposalOps* const ops_;
  std::vector<Committed> committed_;  // handed out by GetReady, dropped by Advance
  size_t handed_out_ = 0;
};

}  // namespace tracery::consensus

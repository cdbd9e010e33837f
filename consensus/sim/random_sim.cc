// The seeded simulation: a network with loss, duplication, delay and reordering, partitions,
// crashes at any point of the Ready loop, clock skew and compaction; then heal and check
// liveness.
#include <cstdio>

#include "tracery/consensus/sim.h"

namespace tracery::consensus::sim {

namespace {

// splitmix64: the simulation's only source of randomness.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }  // inclusive
  // True with probability per_mille / 1000.
  bool Chance(uint64_t per_mille) { return Below(1000) < per_mille; }

 private:
  uint64_t state_;
};

struct InFlight {
  uint64_t at = 0;   // delivery time
  uint64_t seq = 0;  // send order, to break ties deterministically
  Message message;
  bool operator<(const InFlight& o) const { return at != o.at ? at < o.at : seq < o.seq; }
};

class Simulation {
 public:
  Simulation(uint64_t seed, const SimOptions& options)
      : seed_(seed), options_(options), rng_(seed ^ 0x5eed5eed5eedULL) {}

  SimResult Run();

 private:
  ClusterOptions MakeClusterOptions();
  void Step(bool faults);
  void Send(const std::vector<Message>& messages);
  void Faults();
  void MaybePropose();
  void MaybeCompact(const NodeId& id);
  void Heal();
  bool Blocked(const NodeId& from, const NodeId& to) const {
    return blocked_.count({from, to}) != 0;
  }
  NodeId RandomNode() { return cluster_->ids()[rng_.Below(cluster_->ids().size())]; }
  SimResult Finish(bool ok, const std::string& what);

  const uint64_t seed_;
  const SimOptions options_;
  Rng rng_;
  std::unique_ptr<Cluster> cluster_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  std::set<InFlight> network_;
  std::set<std::pair<NodeId, NodeId>> blocked_;  // directed links that lose every message
  std::map<NodeId, uint64_t> tick_period_;       // clock skew: time units per tick
  std::map<NodeId, uint64_t> down_until_;
  uint64_t drop_per_mille_ = 0;
  uint64_t dup_per_mille_ = 0;
  uint64_t max_delay_ = 10;
  uint64_t proposals_ = 0;
  uint64_t messages_ = 0;
};

ClusterOptions Simulation::MakeClusterOptions() {
  ClusterOptions o;
  o.nodes = options_.nodes != 0 ? options_.nodes : (rng_.Chance(500) ? 3 : 5);
  o.seed = seed_;
  o.raft.election_ticks = 10;
  o.raft.heartbeat_ticks = 2;
  const uint64_t mode = rng_.Below(8);
  o.raft.pre_vote = mode != 0;  // mostly on, the deployed setting
  o.raft.check_quorum = mode != 1;
  o.raft.max_inflight_appends = static_cast<uint32_t>(rng_.Range(1, 8));
  o.raft.max_append_entries = static_cast<uint32_t>(rng_.Range(1, 8));
  o.raft.max_append_bytes = rng_.Chance(200) ? 200 : (1u << 20);
  o.raft.max_uncommitted_entries = 64;
  return o;
}

void Simulation::Send(const std::vector<Message>& messages) {
  for (const Message& m : messages) {
    messages_ += 1;
    if (Blocked(m.from, m.to) || rng_.Chance(drop_per_mille_)) continue;
    network_.insert(InFlight{now_ + rng_.Range(1, max_delay_), seq_++, m});
    if (rng_.Chance(dup_per_mille_)) {
      network_.insert(InFlight{now_ + rng_.Range(1, max_delay_ * 2), seq_++, m});
    }
  }
}

void Simulation::Faults() {
  Cluster& c = *cluster_;
  const size_t n = c.ids().size();
  if (rng_.Chance(4)) {  // crash, now or at a point of the next Ready loop
    const NodeId id = RandomNode();
    if (c.up(id)) {
      const uint64_t how = rng_.Below(4);
      if (how == 0) {
        c.Crash(id);
      } else {
        c.CrashAt(id, static_cast<CrashPoint>(how));
      }
      down_until_[id] = now_ + rng_.Range(20, 400);
    }
  }
  for (const NodeId& id : c.ids()) {
    if (!c.up(id) && down_until_[id] <= now_) {
      Status st = c.Restart(id);
      if (!st.ok()) c.checker().Fail(id + " restart: " + st.ToString());
    }
  }
  if (rng_.Chance(3)) {  // symmetric partition: a random group against the rest
    blocked_.clear();
    std::set<NodeId> group;
    const size_t size = rng_.Range(1, n / 2);
    while (group.size() < size) group.insert(RandomNode());
    for (const NodeId& a : c.ids()) {
      for (const NodeId& b : c.ids()) {
        if ((group.count(a) != 0) != (group.count(b) != 0)) blocked_.insert({a, b});
      }
    }
    c.Trace("partition, group of " + std::to_string(size));
  }
  if (rng_.Chance(3)) {  // asymmetric: one direction of one link
    const NodeId a = RandomNode();
    const NodeId b = RandomNode();
    if (a != b) {
      blocked_.insert({a, b});
      c.Trace("block " + a + "->" + b);
    }
  }
  if (rng_.Chance(4)) {
    blocked_.clear();
    c.Trace("heal partitions");
  }
  if (rng_.Chance(3)) {
    drop_per_mille_ = rng_.Chance(300) ? rng_.Range(0, 300) : 0;
    dup_per_mille_ = rng_.Range(0, 100);
    max_delay_ = rng_.Range(1, 40);
  }
}

void Simulation::MaybePropose() {
  if (!rng_.Chance(60)) return;
  for (const NodeId& id : cluster_->ids()) {
    SimNode& n = cluster_->node(id);
    if (n.engine && n.engine->IsLeader()) {
      const std::string payload = "p" + std::to_string(proposals_);
      if (cluster_->Propose(id, payload).ok()) proposals_ += 1;
      return;
    }
  }
}

void Simulation::MaybeCompact(const NodeId& id) {
  SimNode& n = cluster_->node(id);
  if (!n.engine || !rng_.Chance(20)) return;
  const uint64_t applied = n.engine->applied();
  const uint64_t slack = rng_.Range(0, 6);
  if (applied > slack) cluster_->Compact(id, applied - slack);
}

void Simulation::Step(bool faults) {
  Cluster& c = *cluster_;
  c.set_time(now_);
  if (faults) Faults();
  for (const NodeId& id : c.ids()) {
    const uint64_t period = tick_period_[id];
    if (now_ % period == 0) c.Tick(id);
    Send(c.TakeSent());
    MaybeCompact(id);
  }
  while (!network_.empty() && network_.begin()->at <= now_) {
    InFlight f = *network_.begin();
    network_.erase(network_.begin());
    if (Blocked(f.message.from, f.message.to) || !c.up(f.message.to)) continue;
    (void)c.Deliver(f.message);
    Send(c.TakeSent());
  }
  MaybePropose();
  Send(c.TakeSent());
  now_ += 1;
}

void Simulation::Heal() {
  Cluster& c = *cluster_;
  blocked_.clear();
  drop_per_mille_ = 0;
  dup_per_mille_ = 0;
  for (const NodeId& id : c.ids()) {
    c.CrashAt(id, CrashPoint::kNone);
    if (!c.up(id)) {
      Status st = c.Restart(id);
      if (!st.ok()) c.checker().Fail(id + " restart: " + st.ToString());
    }
  }
  c.Trace("heal all");
}

SimResult Simulation::Finish(bool ok, const std::string& what) {
  SimResult r;
  r.ok = ok;
  r.messages = messages_;
  r.crashes = cluster_->crashes;
  r.catch_ups = cluster_->catch_ups;
  r.certified_blocks = cluster_->checker().certified_blocks;
  r.committed_height =
      cluster_->checker().committed.empty() ? 0 : cluster_->checker().committed.rbegin()->first;
  if (!ok || options_.verbose) {
    r.report = "sim seed " + std::to_string(seed_) +
               " (replay: TRACERY_SIM_SEED=" + std::to_string(seed_) + "): " + what + "\nnodes:\n" +
               cluster_->StatusReport() + "recent trace:\n" + cluster_->RecentTrace();
  }
  return r;
}

SimResult Simulation::Run() {
  cluster_ = std::make_unique<Cluster>(MakeClusterOptions());
  Cluster& c = *cluster_;
  for (const NodeId& id : c.ids()) tick_period_[id] = rng_.Range(8, 12);
  for (; now_ < options_.fault_time;) {
    Step(true);
    if (c.checker().failed()) return Finish(false, c.checker().failure());
  }
  Heal();
  // Liveness: after healing, a new proposal commits on every node within the bound.
  const uint64_t deadline = now_ + options_.liveness_time;
  uint64_t next_try = now_;
  std::set<std::string> tried;
  while (now_ < deadline) {
    Step(false);
    if (c.checker().failed()) return Finish(false, c.checker().failure());
    uint64_t live_height = 0;
    for (const auto& [payload, nodes] : c.checker().live_applied) {
      if (nodes.size() != c.ids().size()) continue;
      // Every node applied it, so every ledger holds it; find its height on any of them.
      const FakeLedger& l = c.node(c.ids()[0]).durable.ledger;
      for (uint64_t h = l.head(); h > 0 && live_height == 0; --h) {
        Result<FakeBlock> b = DecodeFakeBlock(l.At(h).data);
        if (b.ok() && b->payload == payload) live_height = h;
      }
    }
    const bool everywhere = live_height > 0;
    if (everywhere) {
      c.CheckLedgersComplete(live_height);
      if (c.checker().failed()) return Finish(false, c.checker().failure());
      return Finish(true, "ok");
    }
    if (now_ >= next_try) {
      for (const NodeId& id : c.ids()) {
        SimNode& n = c.node(id);
        if (n.engine && n.engine->IsLeader()) {
          const std::string payload = "live" + std::to_string(tried.size());
          if (c.Propose(id, payload).ok()) tried.insert(payload);
          Send(c.TakeSent());
          break;
        }
      }
      next_try = now_ + 200;
    }
  }
  return Finish(false, "liveness: no proposal committed on every node within " +
                           std::to_string(options_.liveness_time) + " time units after healing");
}

}  // namespace

SimResult RunSeed(uint64_t seed, const SimOptions& options) {
  Simulation sim(seed, options);
  return sim.Run();
}

}  // namespace tracery::consensus::sim

// Golden interaction tests: scripted scenarios in testdata/raft/*.txt run by a small
// interpreter over a simulated cluster with a hand-driven network. Each "> command" line is
// followed by its output; the test fails when the output differs from the file.
// TRACERY_GOLDEN_UPDATE=1 rewrites the files with the current output.
//
// Commands:
//   cluster nodes=N [pre_vote=0|1] [check_quorum=0|1] [election=T] [heartbeat=T]
//           [inflight=K] [entries=K]     a new cluster (must come first)
//   tick <node|all> [times]              ticks (messages are queued, not delivered)
//   campaign <node>                      starts an election at once
//   propose <node> <payload>             proposes a block
//   deliver [from->to]                   delivers the queued messages (matching; * = any) once
//   stabilize                            delivers until nothing is queued
//   run <ticks>                          ticks every node and stabilizes, quietly, per tick
//   drop [from->to]                      drops queued messages (matching)
//   partition <nodes...> | <nodes...>    cuts the links between the two groups; heal rejoins
//   crash <node> [before-persist|after-persist|after-send]
//   restart <node>
//   compact <node> <index>
//   status | ledger <node> | log <node>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tracery/consensus/sim.h"

namespace tracery::consensus::sim {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

class Interpreter {
 public:
  std::string Run(const std::string& command) {
    std::vector<std::string> a = Split(command);
    std::string out;
    if (a.empty()) return out;
    const std::string& op = a[0];
    if (op == "cluster") {
      ClusterOptions o;
      o.raft.election_ticks = 10;
      o.raft.heartbeat_ticks = 1;
      for (size_t i = 1; i < a.size(); ++i) {
        const size_t eq = a[i].find('=');
        const std::string k = a[i].substr(0, eq);
        const uint64_t v = std::stoull(a[i].substr(eq + 1));
        if (k == "nodes") o.nodes = v;
        if (k == "pre_vote") o.raft.pre_vote = v != 0;
        if (k == "check_quorum") o.raft.check_quorum = v != 0;
        if (k == "election") o.raft.election_ticks = static_cast<uint32_t>(v);
        if (k == "heartbeat") o.raft.heartbeat_ticks = static_cast<uint32_t>(v);
        if (k == "inflight") o.raft.max_inflight_appends = static_cast<uint32_t>(v);
        if (k == "entries") o.raft.max_append_entries = static_cast<uint32_t>(v);
      }
      cluster_ = std::make_unique<Cluster>(o);
      queue_.clear();
      blocked_.clear();
    } else if (op == "tick") {
      const int times = a.size() > 2 ? std::stoi(a[2]) : 1;
      for (int i = 0; i < times; ++i) {
        for (const NodeId& id : Targets(a.at(1))) cluster_->Tick(id);
      }
    } else if (op == "campaign") {
      cluster_->Campaign(a.at(1));
    } else if (op == "propose") {
      Status st = cluster_->Propose(a.at(1), a.at(2));
      out += st.ok() ? "ok\n" : st.ToString() + "\n";
    } else if (op == "deliver") {
      out += Deliver(a.size() > 1 ? a[1] : "*->*");
    } else if (op == "stabilize") {
      for (int round = 0; round < 100 && (Collect(), !queue_.empty()); ++round) {
        out += Deliver("*->*");
      }
    } else if (op == "run") {
      const int ticks = std::stoi(a.at(1));
      for (int i = 0; i < ticks; ++i) {
        for (const NodeId& id : cluster_->ids()) cluster_->Tick(id);
        for (int round = 0; round < 100 && (Collect(), !queue_.empty()); ++round) {
          (void)Deliver("*->*");
        }
      }
    } else if (op == "drop") {
      Collect();
      const std::string pattern = a.size() > 1 ? a[1] : "*->*";
      size_t dropped = 0;
      std::deque<Message> keep;
      for (Message& m : queue_) {
        if (Matches(pattern, m)) {
          dropped += 1;
        } else {
          keep.push_back(std::move(m));
        }
      }
      queue_ = std::move(keep);
      out += "dropped " + std::to_string(dropped) + "\n";
    } else if (op == "partition") {
      blocked_.clear();
      std::set<NodeId> left;
      size_t i = 1;
      for (; i < a.size() && a[i] != "|"; ++i) left.insert(a[i]);
      for (++i; i < a.size(); ++i) {
        for (const NodeId& l : left) {
          blocked_.insert({l, a[i]});
          blocked_.insert({a[i], l});
        }
      }
    } else if (op == "heal") {
      blocked_.clear();
    } else if (op == "crash") {
      if (a.size() > 2) {
        CrashPoint p = a[2] == "before-persist"  ? CrashPoint::kBeforePersist
                       : a[2] == "after-persist" ? CrashPoint::kAfterPersist
                                                 : CrashPoint::kAfterSend;
        cluster_->CrashAt(a[1], p);
      } else {
        cluster_->Crash(a.at(1));
        // A crashed node's queued messages are lost with it.
        std::erase_if(queue_, [&](const Message& m) { return m.to == a[1]; });
      }
    } else if (op == "restart") {
      Status st = cluster_->Restart(a.at(1));
      if (!st.ok()) out += st.ToString() + "\n";
    } else if (op == "compact") {
      cluster_->Compact(a.at(1), std::stoull(a.at(2)));
    } else if (op == "status") {
      out += cluster_->StatusReport();
    } else if (op == "ledger") {
      const FakeLedger& l = cluster_->node(a.at(1)).durable.ledger;
      for (uint64_t h = 1; h <= l.head(); ++h) out += "  " + DescribeBlock(l.At(h)) + "\n";
    } else if (op == "log") {
      const SimNode& n = cluster_->node(a.at(1));
      if (n.engine) {
        for (uint64_t i = n.engine->compacted_index() + 1; i <= n.engine->last_index(); ++i) {
          Result<FakeBlock> b = DecodeFakeBlock(n.engine->entry(i)->data);
          out += "  " + std::to_string(i) + "/t" + std::to_string(n.engine->entry(i)->term) +
                 (b.ok() && !b->payload.empty() ? " " + b->payload : "") + "\n";
        }
      }
    } else {
      out += "unknown command '" + op + "'\n";
    }
    Collect();
    if (cluster_ && cluster_->checker().failed()) {
      out += "CHECKER FAILURE: " + cluster_->checker().failure() + "\n";
    }
    return out;
  }

 private:
  static std::string DescribeBlock(const LedgerBlock& b) {
    Result<FakeBlock> fb = DecodeFakeBlock(b.data);
    std::string out = std::to_string(fb->height) + "/t" + std::to_string(fb->term);
    if (!fb->payload.empty()) out += " " + fb->payload;
    if (b.certificate.has_value()) {
      out += " cert(t" + std::to_string(b.certificate->term()) + ":";
      for (const auto& s : b.certificate->signatures()) out += " " + s.node_id();
      out += ")";
    } else {
      out += " (no certificate)";
    }
    return out;
  }

  std::vector<NodeId> Targets(const std::string& who) {
    if (who == "all") return cluster_->ids();
    return {who};
  }

  static bool Matches(const std::string& pattern, const Message& m) {
    const size_t arrow = pattern.find("->");
    const std::string from = pattern.substr(0, arrow);
    const std::string to = pattern.substr(arrow + 2);
    return (from == "*" || from == m.from) && (to == "*" || to == m.to);
  }

  void Collect() {
    if (!cluster_) return;
    for (Message& m : cluster_->TakeSent()) queue_.push_back(std::move(m));
  }

  std::string Deliver(const std::string& pattern) {
    Collect();
    std::deque<Message> now;
    std::deque<Message> keep;
    for (Message& m : queue_) (Matches(pattern, m) ? now : keep).push_back(std::move(m));
    queue_ = std::move(keep);
    std::string out;
    for (const Message& m : now) {
      if (blocked_.count({m.from, m.to}) != 0) {
        out += "  dropped " + DescribeMessage(m) + "\n";
        continue;
      }
      if (!cluster_->up(m.to)) {
        out += "  lost " + DescribeMessage(m) + "\n";
        continue;
      }
      out += "  " + DescribeMessage(m) + "\n";
      Status st = cluster_->Deliver(m);
      if (!st.ok()) out += "    error: " + st.ToString() + "\n";
      // Messages it sends go to the back of the queue, after this round.
      std::vector<Message> sent = cluster_->TakeSent();
      for (Message& s : sent) later_.push_back(std::move(s));
    }
    for (Message& m : later_) queue_.push_back(std::move(m));
    later_.clear();
    return out;
  }

  std::unique_ptr<Cluster> cluster_;
  std::deque<Message> queue_;
  std::vector<Message> later_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
};

std::string RunScript(const std::string& text) {
  Interpreter interp;
  std::istringstream in(text);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.rfind("> ", 0) == 0) {
      out += line + "\n" + interp.Run(line.substr(2));
    } else if (line.empty() || line[0] == '#') {
      out += line + "\n";
    }  // anything else is the previous output, regenerated above
  }
  return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesExpectedOutput) {
  const std::filesystem::path path =
      std::filesystem::path(TRACERY_TESTDATA_DIR) / "raft" / (GetParam() + ".txt");
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << path;
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string expected = buf.str();
  const std::string actual = RunScript(expected);
  const char* update = std::getenv("TRACERY_GOLDEN_UPDATE");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  EXPECT_EQ(actual, expected) << "rerun with TRACERY_GOLDEN_UPDATE=1 to rewrite " << path;
  EXPECT_EQ(actual.find("CHECKER FAILURE"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Raft, Golden,
                         ::testing::Values("election", "replication", "restart", "partition",
                                           "figure8", "catch_up"));

}  // namespace
}  // namespace tracery::consensus::sim

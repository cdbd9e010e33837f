// Raft consortia of real traceryd processes on loopback, with real faults: kill -9 of the
// leader under load, restarts, a node cut off from the others and healed, a node down for many
// blocks. At the end of each: every checkpoint acknowledged to a client is in every node's
// ledger, every ledger has the same head, and `tracery ledger audit` passes on every node.
//
// Knobs: TRACERY_CLUSTER_KILLS (leader kills, default 3), TRACERY_CATCHUP_BLOCKS (blocks a
// node misses, default 1000).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "../e2e/cluster.h"
#include "fault_proxy.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/proof.h"

namespace tracery::cluster {
namespace {

using e2e::Bin;
using e2e::CheckpointJson;
using e2e::Consortium;
using e2e::RunCommand;
using nlohmann::json;

std::string EventId(const std::string& name) { return "urn:tracery:test:" + name; }

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : fallback;
}

// A Raft consortium whose peer links run through fault proxies: the genesis names the proxy
// ports, each node listens behind its proxy (raft.listen in its node.json).
class RaftCluster {
 public:
  explicit RaftCluster(const std::string& orgs) : c_(orgs, "raft") {
    for (size_t i = 0; i < c_.size(); ++i) {
      const std::string path = c_.org_dir(i) + "/node.json";
      json config = json::parse(ReadFile(path).value());
      const int real = c_.base_port() + 200 + static_cast<int>(i);
      config["raft"] = {{"listen", "127.0.0.1:" + std::to_string(real)}};
      TRACERY_CHECK(WriteFileAtomic(path, config.dump(2)).ok());
      proxies_.push_back(std::make_unique<FaultProxy>(c_.p2p_port(i), real));
    }
  }

  Consortium& c() { return c_; }
  std::string node_id(size_t i) const { return org(i) + "-node"; }
  std::string org(size_t i) const { return c_.org_dir(i).substr(c_.dir().size() + 1); }

  bool StartAll() {
    for (size_t i = 0; i < c_.size(); ++i) {
      if (!c_.Start(i)) return false;
    }
    return true;
  }

  // Cuts node i off from every other node in both directions, or heals it.
  void Isolate(size_t i) {
    proxies_[i]->Block("*");
    for (size_t j = 0; j < proxies_.size(); ++j) {
      if (j != i) proxies_[j]->Block(node_id(i));
    }
  }
  void Heal(size_t i) {
    proxies_[i]->Unblock("*");
    for (size_t j = 0; j < proxies_.size(); ++j) proxies_[j]->Unblock(node_id(i));
  }

  // The node's view from /readyz: (role, term, leader), or an empty role when it is down.
  json Consensus(size_t i) {
    if (c_.pid(i) <= 0) return json::object();
    auto client = client::HttpClient::Create(c_.url(i), 2000);
    if (!client.ok()) return json::object();
    (*client)->set_bearer_token(c_.token(i, "auditor"));
    auto r = (*client)->Request("GET", "/readyz");
    if (!r.ok()) return json::object();
    json j = json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("consensus") ? j["consensus"] : json::object();
  }

  // The live node that says it leads, waiting up to `ms`; -1 if none.
  int WaitLeader(int ms = 15000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      for (size_t i = 0; i < c_.size(); ++i) {
        if (Consensus(i).value("role", "") == "leader") return static_cast<int>(i);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  // (height, hash) of node i's ledger head.
  std::pair<uint64_t, std::string> Head(size_t i) {
    auto r = c_.Client(i, "auditor")->Request("GET", "/v1/ledger/head");
    if (!r.ok() || r->status != 200) return {0, ""};
    json j = json::parse(r->body);
    return {j.value("height", uint64_t{0}), j.value("hash", "")};
  }

  // Waits until every live node has the same head, at least `min_height`.
  bool WaitConverged(uint64_t min_height, int ms = 60000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      std::set<std::pair<uint64_t, std::string>> heads;
      for (size_t i = 0; i < c_.size(); ++i) {
        if (c_.pid(i) > 0) heads.insert(Head(i));
      }
      if (heads.size() == 1 && heads.begin()->first >= min_height) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (size_t i = 0; i < c_.size(); ++i) {
      std::printf("node %zu: head %llu, consensus %s\n", i,
                  static_cast<unsigned long long>(Head(i).first), Consensus(i).dump().c_str());
      auto r = c_.Client(i, "auditor")->Request("GET", "/metrics");
      if (!r.ok()) continue;
      std::istringstream lines(r->body);
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("tracery_peer")) std::printf("  %s\n", line.c_str());
      }
    }
    return false;
  }

  // Stops every node (SIGTERM) and audits each one's ledger offline.
  void StopAndAudit() {
    for (size_t i = 0; i < c_.size(); ++i) {
      if (c_.pid(i) > 0) {
        EXPECT_EQ(c_.Stop(i, SIGTERM), 0) << "node " << i;
      }
    }
    for (size_t i = 0; i < c_.size(); ++i) {
      std::string out;
      const int rc = RunCommand(Bin("tracery") + " ledger audit --data " + c_.org_dir(i) +
                                    "/data --format json",
                                &out);
      EXPECT_EQ(rc, 0) << "audit of node " << i << ": " << out;
    }
  }

 private:
  Consortium c_;
  std::vector<std::unique_ptr<FaultProxy>> proxies_;
};

// Clients that keep submitting one checkpoint per request to live nodes and remember every
// transaction a node acknowledged (202).
class Load {
 public:
  Load(RaftCluster* cluster, int clients) : cluster_(cluster) {
    for (int k = 0; k < clients; ++k) {
      threads_.emplace_back([this, k] { Run(k); });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard lock(mu_);
    return acked_;
  }

 private:
  void Run(int k) {
    std::mt19937 rng(static_cast<uint32_t>(k) + 7);
    Consortium& c = cluster_->c();
    int serial = 0;
    while (!stop_) {
      const size_t i = rng() % c.size();
      if (c.pid(i) <= 0) continue;
      auto client = client::HttpClient::Create(c.url(i), 3000);
      if (!client.ok()) continue;
      (*client)->set_bearer_token(c.token(i, "admin"));
      const std::string event = "load-" + std::to_string(k) + "-" + std::to_string(serial++);
      auto r = (*client)->Request("POST", "/v1/checkpoints", CheckpointJson(EventId(event), serial),
                                  {{"Content-Type", "application/json"}});
      if (r.ok() && r->status == 202) {
        std::lock_guard lock(mu_);
        acked_.push_back(json::parse(r->body).value("txId", ""));
      }
      // A steady load, not a flood: the test checks every acknowledged transaction after.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  RaftCluster* cluster_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::string> acked_;  // guarded by mu_
};

// Every acknowledged transaction has a proof on node `i` that verifies offline.
void ExpectAllProven(RaftCluster& cluster, size_t i, const std::vector<std::string>& txs) {
  const ledger::Genesis genesis =
      ledger::Genesis::Load(cluster.c().dir() + "/genesis.json").value();
  auto client = cluster.c().Client(i, "auditor");
  size_t missing = 0;
  for (const std::string& tx : txs) {
    auto r = client->Request("GET", "/v1/proofs/tx/" + tx);
    if (!r.ok() || r->status != 200) {
      ++missing;
      continue;
    }
    auto proof = ledger::ProofFromJson(json::parse(r->body));
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    auto v = ledger::VerifyProof(*proof, genesis);
    EXPECT_TRUE(v.ok()) << tx << ": " << v.status().ToString();
  }
  EXPECT_EQ(missing, 0u) << "of " << txs.size() << " acknowledged transactions";
}

// Commits one checkpoint through node i and waits for it; returns the ms it took, or -1.
int64_t CommitOne(RaftCluster& cluster, size_t i, const std::string& event) {
  const auto t0 = std::chrono::steady_clock::now();
  auto client = cluster.c().Client(i, "admin");
  auto r = client->Request("POST", "/v1/checkpoints?wait=committed", CheckpointJson(EventId(event)),
                           {{"Content-Type", "application/json"}});
  if (!r.ok() || r->status != 200) return -1;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               t0)
      .count();
}

TEST(RaftClusterTest, ThreeNodesKeepEveryAcknowledgedCheckpointThroughLeaderKills) {
  RaftCluster cluster("grower,processor,retailer");
  ASSERT_TRUE(cluster.StartAll());
  ASSERT_GE(cluster.WaitLeader(), 0);
  ASSERT_GE(CommitOne(cluster, 1, "first"), 0);
  Load load(&cluster, 4);
  const int kills = EnvInt("TRACERY_CLUSTER_KILLS", 3);
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const int leader = cluster.WaitLeader();
    ASSERT_GE(leader, 0);
    const auto killed_at = std::chrono::steady_clock::now();
    EXPECT_EQ(cluster.c().Stop(static_cast<size_t>(leader), SIGKILL), -SIGKILL);
    // Commits resume on the survivors.
    const size_t survivor = (static_cast<size_t>(leader) + 1) % 3;
    int64_t resumed_ms = -1;
    for (int attempt = 0; attempt < 100 && resumed_ms < 0; ++attempt) {
      if (CommitOne(cluster, survivor, "after-kill-" + std::to_string(k) + "-" +
                                           std::to_string(attempt)) >= 0) {
        resumed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - killed_at)
                         .count();
      }
    }
    ASSERT_GE(resumed_ms, 0) << "no commit after the leader was killed";
    std::printf("leader %d killed; commits resumed after %lld ms\n", leader,
                static_cast<long long>(resumed_ms));
    ASSERT_TRUE(cluster.c().Start(static_cast<size_t>(leader)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.Stop();
  const std::vector<std::string> acked = load.acknowledged();
  EXPECT_GT(acked.size(), 0u);
  // Acknowledged transactions are in the pending log of the node that took them; they reach a
  // block even when that node was killed right after.
  std::vector<std::string> missing = acked;
  for (int round = 0; round < 60 && !missing.empty(); ++round) {
    auto client = cluster.c().Client(0, "auditor");
    std::vector<std::string> still;
    for (const std::string& tx : missing) {
      auto r = client->Request("GET", "/v1/proofs/tx/" + tx);
      if (!r.ok() || r->status != 200) still.push_back(tx);
    }
    missing.swap(still);
    if (!missing.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << acked.size()
                               << " acknowledged transactions are not committed";
  // Every ledger is the same, so every node holds them.
  ASSERT_TRUE(cluster.WaitConverged(0));
  std::printf("%zu acknowledged transactions, all committed on every node\n", acked.size());
  ExpectAllProven(cluster, 0, acked);
  cluster.StopAndAudit();
}

TEST(RaftClusterTest, TheWholeClusterRestartsFromDiskAndGoesOn) {
  RaftCluster cluster("a,b,c");
  ASSERT_TRUE(cluster.StartAll());
  ASSERT_GE(cluster.WaitLeader(), 0);
  for (int k = 0; k < 10; ++k) ASSERT_GE(CommitOne(cluster, k % 3, "before-" + std::to_string(k)), 0);
  ASSERT_TRUE(cluster.WaitConverged(10));
  const auto before = cluster.Head(0);
  // Every node at once: one with SIGTERM, two with kill -9.
  EXPECT_EQ(cluster.c().Stop(0, SIGTERM), 0);
  cluster.c().Stop(1, SIGKILL);
  cluster.c().Stop(2, SIGKILL);
  ASSERT_TRUE(cluster.StartAll());
  ASSERT_GE(cluster.WaitLeader(), 0);
  for (int k = 0; k < 10; ++k) ASSERT_GE(CommitOne(cluster, k % 3, "after-" + std::to_string(k)), 0);
  ASSERT_TRUE(cluster.WaitConverged(before.first + 10));
  // The ledger before the restart is a prefix of the one after it.
  auto r = cluster.c().Client(0, "auditor")->Request("GET", "/v1/ledger/blocks/" +
                                                         std::to_string(before.first));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["header"].value("hash", ""), before.second);
  cluster.StopAndAudit();
}

TEST(RaftClusterTest, FiveNodesCommitWithTwoDown) {
  RaftCluster cluster("a,b,c,d,e");
  ASSERT_TRUE(cluster.StartAll());
  const int leader = cluster.WaitLeader();
  ASSERT_GE(leader, 0);
  // Take down the leader and one follower: three of five remain, a majority.
  const size_t follower = (static_cast<size_t>(leader) + 1) % 5;
  cluster.c().Stop(static_cast<size_t>(leader), SIGKILL);
  cluster.c().Stop(follower, SIGKILL);
  const size_t live = (static_cast<size_t>(leader) + 2) % 5;
  int64_t ms = -1;
  for (int attempt = 0; attempt < 100 && ms < 0; ++attempt) {
    ms = CommitOne(cluster, live, "two-down-" + std::to_string(attempt));
  }
  ASSERT_GE(ms, 0);
  for (int k = 0; k < 20; ++k) ASSERT_GE(CommitOne(cluster, live, "more-" + std::to_string(k)), 0);
  ASSERT_TRUE(cluster.c().Start(static_cast<size_t>(leader)));
  ASSERT_TRUE(cluster.c().Start(follower));
  ASSERT_TRUE(cluster.WaitConverged(21));
  cluster.StopAndAudit();
}

TEST(RaftClusterTest, AnIsolatedNodeRejoinsWithoutDisruptingTheLeader) {
  RaftCluster cluster("a,b,c");
  ASSERT_TRUE(cluster.StartAll());
  const int leader = cluster.WaitLeader();
  ASSERT_GE(leader, 0);
  const uint64_t term = cluster.Consensus(static_cast<size_t>(leader)).value("term", uint64_t{0});
  const size_t cut = (static_cast<size_t>(leader) + 1) % 3;
  cluster.Isolate(cut);
  // Longer than several election timeouts: the cut node's pre-votes go nowhere.
  for (int k = 0; k < 30; ++k) {
    ASSERT_GE(CommitOne(cluster, static_cast<size_t>(leader), "cut-" + std::to_string(k)), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(cluster.Consensus(cut).value("role", ""), "leader");
  cluster.Heal(cut);
  ASSERT_TRUE(cluster.WaitConverged(30));
  // Pre-vote: the rejoining node did not force an election.
  const json now = cluster.Consensus(static_cast<size_t>(leader));
  EXPECT_EQ(now.value("role", ""), "leader");
  EXPECT_EQ(now.value("term", uint64_t{0}), term);
  cluster.StopAndAudit();
}

TEST(RaftClusterTest, ANodeDownForManyBlocksCatchesUpByBlockTransfer) {
  RaftCluster cluster("a,b,c");
  ASSERT_TRUE(cluster.StartAll());
  int leader = cluster.WaitLeader();
  ASSERT_GE(leader, 0);
  const size_t down = (static_cast<size_t>(leader) + 1) % 3;
  cluster.c().Stop(down, SIGKILL);
  const int blocks = EnvInt("TRACERY_CATCHUP_BLOCKS", 1000);
  // One committed request at a time: one block each.
  for (int k = 0; k < blocks; ++k) {
    ASSERT_GE(CommitOne(cluster, static_cast<size_t>(leader), "while-down-" + std::to_string(k)),
              0);
  }
  const uint64_t height = cluster.Head(static_cast<size_t>(leader)).first;
  EXPECT_GE(height, static_cast<uint64_t>(blocks));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(cluster.c().Start(down));
  ASSERT_TRUE(cluster.WaitConverged(height, 120000));
  std::printf("a node %llu blocks behind caught up in %lld ms\n",
              static_cast<unsigned long long>(height),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0)
                                         .count()));
  cluster.StopAndAudit();
}

}  // namespace
}  // namespace tracery::cluster

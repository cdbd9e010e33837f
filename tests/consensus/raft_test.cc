// Unit tests that map rules of the Raft paper (and the thesis's pre-vote and check-quorum) to
// cases, plus the Tracery rules: votes, certificates, catch-up and refusal of bad messages.
#include "tracery/consensus/raft.h"

#include <gtest/gtest.h>

#include <functional>

#include "tracery/consensus/sim.h"

namespace tracery::consensus::sim {
namespace {

using Filter = std::function<bool(const Message&)>;  // true: deliver

ClusterOptions Options(size_t nodes, bool pre_vote = true, bool check_quorum = true) {
  ClusterOptions o;
  o.nodes = nodes;
  o.raft.election_ticks = 10;
  o.raft.heartbeat_ticks = 1;
  o.raft.pre_vote = pre_vote;
  o.raft.check_quorum = check_quorum;
  return o;
}

// Delivers every message sent until none is left; messages `deliver` rejects are lost.
void Stabilize(Cluster& c, const Filter& deliver = nullptr) {
  for (int round = 0; round < 1000; ++round) {
    std::vector<Message> sent = c.TakeSent();
    if (sent.empty()) return;
    for (const Message& m : sent) {
      if ((deliver && !deliver(m)) || !c.up(m.to)) continue;
      (void)c.Deliver(m);
    }
  }
  FAIL() << "no quiescence";
}

Filter Cut(std::set<NodeId> group) {
  return
      [group](const Message& m) { return (group.count(m.from) != 0) == (group.count(m.to) != 0); };
}

void TickAll(Cluster& c, int times, const Filter& deliver = nullptr) {
  for (int i = 0; i < times; ++i) {
    for (const NodeId& id : c.ids()) c.Tick(id);
    Stabilize(c, deliver);
  }
}

RaftEngine& E(Cluster& c, const NodeId& id) { return *c.node(id).engine; }

NodeId Leader(Cluster& c) {
  NodeId leader;
  for (const NodeId& id : c.ids()) {
    if (c.up(id) && E(c, id).IsLeader()) {
      EXPECT_TRUE(leader.empty()) << "two leaders";
      leader = id;
    }
  }
  return leader;
}

// §5.2: a candidate with a majority of votes becomes leader; the others follow it.
TEST(RaftElection, CampaignWinsWithMajority) {
  Cluster c(Options(3));
  c.Campaign("n1");
  Stabilize(c);
  EXPECT_TRUE(E(c, "n1").IsLeader());
  EXPECT_EQ(E(c, "n1").term(), 1u);
  EXPECT_EQ(E(c, "n2").leader(), "n1");
  EXPECT_EQ(E(c, "n3").leader(), "n1");
  EXPECT_EQ(c.node("n2").durable.hard_state.vote, "n1");
}

// §5.2: randomised timeouts elect exactly one leader without any explicit campaign.
TEST(RaftElection, TimeoutsElectOneLeader) {
  for (size_t nodes : {1u, 3u, 5u}) {
    Cluster c(Options(nodes));
    TickAll(c, 40);
    EXPECT_FALSE(Leader(c).empty()) << nodes << " nodes";
    EXPECT_FALSE(c.checker().failed()) << c.checker().failure();
  }
}

// §5.4.1: a voter denies a candidate whose log is less up-to-date than its own.
TEST(RaftElection, StaleLogLosesElection) {
  Cluster c(Options(3, /*pre_vote=*/false, /*check_quorum=*/false));
  c.Campaign("n1");
  Stabilize(c);
  c.Crash("n3");
  ASSERT_TRUE(c.Propose("n1", "a").ok());
  Stabilize(c);
  c.Crash("n1");
  ASSERT_TRUE(c.Restart("n3").ok());
  c.Campaign("n3");  // n3 lacks "a"; n2 has it
  Stabilize(c);
  EXPECT_FALSE(E(c, "n3").IsLeader());
  c.Campaign("n2");
  Stabilize(c);
  EXPECT_TRUE(E(c, "n2").IsLeader());
}

// Thesis §9.6: a partitioned node's pre-votes fail, so its term does not grow and it does not
// disrupt the leader when it rejoins.
TEST(RaftPreVote, PartitionedNodeKeepsItsTerm) {
  Cluster c(Options(3));
  c.Campaign("n1");
  Stabilize(c);
  const Filter cut = Cut({"n3"});
  TickAll(c, 60, cut);
  EXPECT_EQ(E(c, "n3").term(), 1u);
  EXPECT_EQ(E(c, "n1").term(), 1u);
  EXPECT_TRUE(E(c, "n1").IsLeader());
  TickAll(c, 5);
  EXPECT_TRUE(E(c, "n1").IsLeader());
  EXPECT_EQ(E(c, "n3").leader(), "n1");
  EXPECT_EQ(E(c, "n3").term(), 1u);
}

// Check-quorum: a leader that has not heard from a majority for an election timeout steps down.
TEST(RaftCheckQuorum, IsolatedLeaderStepsDown) {
  Cluster c(Options(3));
  c.Campaign("n1");
  Stabilize(c);
  const Filter cut = Cut({"n1"});
  // Answers heard before the cut count for the first election timeout; the second one fails.
  for (int i = 0; i < 21; ++i) {
    c.Tick("n1");
    Stabilize(c, cut);
  }
  EXPECT_FALSE(E(c, "n1").IsLeader());
}

// Check-quorum lease: while a node hears from a live leader it ignores vote requests of a
// higher term (a node that campaigns without pre-vote cannot take over).
TEST(RaftCheckQuorum, LeaseIgnoresVotes) {
  Cluster c(Options(3, /*pre_vote=*/false));
  c.Campaign("n1");
  Stabilize(c);
  c.Campaign("n3");  // term 2, vote requests to n1 and n2
  std::vector<Message> sent = c.TakeSent();
  ASSERT_EQ(sent.size(), 2u);
  for (const Message& m : sent) ASSERT_TRUE(c.Deliver(m).ok());
  EXPECT_TRUE(c.TakeSent().empty());  // no answer at all
  EXPECT_EQ(E(c, "n2").term(), 1u);
  EXPECT_TRUE(E(c, "n1").IsLeader());
}

// §5.3: a follower's conflicting uncommitted suffix is replaced by the leader's entries.
TEST(RaftLog, ConflictingSuffixIsTruncated) {
  Cluster c(Options(3, /*pre_vote=*/false, /*check_quorum=*/false));
  c.Campaign("n1");
  Stabilize(c);
  TickAll(c, 1);
  // n1 appends two entries only it holds, then is cut off.
  ASSERT_TRUE(c.Propose("n1", "x").ok());
  ASSERT_TRUE(c.Propose("n1", "y").ok());
  (void)c.TakeSent();
  const uint64_t base = E(c, "n2").last_index();
  EXPECT_EQ(E(c, "n1").last_index(), base + 2);
  c.Crash("n1");
  c.Campaign("n2");
  Stabilize(c);
  ASSERT_TRUE(E(c, "n2").IsLeader());
  ASSERT_TRUE(c.Propose("n2", "z").ok());
  Stabilize(c);
  ASSERT_TRUE(c.Restart("n1").ok());
  TickAll(c, 3);
  // n1's "x" and "y" are gone; it holds n2's empty block and "z" at those heights.
  const Entry* e = E(c, "n1").entry(base + 2);
  ASSERT_NE(e, nullptr);
  Result<FakeBlock> b = DecodeFakeBlock(e->data);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->payload, "z");
  EXPECT_EQ(E(c, "n1").commit_index(), base + 2);
  EXPECT_FALSE(c.checker().failed()) << c.checker().failure();
}

// §5.4.2 (Figure 8): an older-term entry on a majority is not committed, and gets no
// certificate, until an entry of the current term is on a majority.
TEST(RaftCommit, OlderTermEntryCommitsOnlyThroughCurrentTerm) {
  ClusterOptions o = Options(3, /*pre_vote=*/false, /*check_quorum=*/false);
  o.raft.max_append_entries = 1;
  Cluster c(o);
  c.Campaign("n1");
  Stabilize(c);
  TickAll(c, 1);
  ASSERT_EQ(E(c, "n1").commit_index(), 1u);
  ASSERT_TRUE(c.Propose("n1", "old").ok());  // index 2, term 1, reaches nobody
  (void)c.TakeSent();
  c.Crash("n1");  // "old" is persisted; n1 restarts as a follower
  ASSERT_TRUE(c.Restart("n1").ok());
  // n1 wins term 2 with n2's vote and appends its empty block at 3. n3 is cut off.
  c.Campaign("n1");
  bool old_on_majority_uncommitted = false;
  for (int round = 0; round < 50; ++round) {
    std::vector<Message> sent = c.TakeSent();
    if (sent.empty()) break;
    for (const Message& m : sent) {
      if (m.from == "n3" || m.to == "n3") continue;
      (void)c.Deliver(m);
      const Entry* held = c.up("n2") ? E(c, "n2").entry(2) : nullptr;
      const bool old_on_n2 = held != nullptr && held->term == 1;
      const bool new_on_n2 = E(c, "n2").last_index() >= 3;
      if (old_on_n2 && !new_on_n2) {
        EXPECT_EQ(E(c, "n1").commit_index(), 1u) << "committed an older-term entry by count";
        old_on_majority_uncommitted = true;
      }
    }
  }
  ASSERT_TRUE(E(c, "n1").IsLeader());
  EXPECT_EQ(E(c, "n1").term(), 2u);
  EXPECT_TRUE(old_on_majority_uncommitted);
  // The term-2 block reached the majority: it commits, and "old" with it.
  EXPECT_EQ(E(c, "n1").commit_index(), 3u);
  const FakeLedger& l = c.node("n1").durable.ledger;
  ASSERT_EQ(l.head(), 3u);
  EXPECT_FALSE(l.At(2).certificate.has_value()) << "an older-term entry got a certificate";
  ASSERT_TRUE(l.At(3).certificate.has_value());
  EXPECT_EQ(l.At(3).certificate->term(), 2u);
  EXPECT_EQ(l.At(3).certificate->signatures_size(), 2);
  EXPECT_FALSE(c.checker().failed()) << c.checker().failure();
}

// Restart: every node crashes; the cluster restarts from persisted state, keeps its ledger
// and commits new proposals.
TEST(RaftRestart, WholeClusterRestarts) {
  Cluster c(Options(3));
  c.Campaign("n1");
  Stabilize(c);
  for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(c.Propose("n1", p).ok());
  Stabilize(c);
  TickAll(c, 2);
  const uint64_t height = c.node("n2").durable.ledger.head();
  EXPECT_EQ(height, 4u);
  for (const NodeId& id : c.ids()) c.Crash(id);
  for (const NodeId& id : c.ids()) ASSERT_TRUE(c.Restart(id).ok());
  EXPECT_EQ(E(c, "n1").term(), 1u);
  TickAll(c, 40);
  const NodeId leader = Leader(c);
  ASSERT_FALSE(leader.empty());
  ASSERT_TRUE(c.Propose(leader, "d").ok());
  TickAll(c, 3);
  for (const NodeId& id : c.ids()) EXPECT_GE(c.node(id).durable.ledger.head(), height + 2);
  c.CheckLedgersComplete(height + 2);
  EXPECT_FALSE(c.checker().failed()) << c.checker().failure();
}

// Catch-up: a follower that needs compacted entries fetches blocks and calls RestoreTo.
TEST(RaftCatchUp, LaggingFollowerRestoresFromLedger) {
  Cluster c(Options(3));
  c.Campaign("n1");
  Stabilize(c);
  c.Crash("n3");
  for (const char* p : {"a", "b", "c", "d"}) ASSERT_TRUE(c.Propose("n1", p).ok());
  Stabilize(c);
  TickAll(c, 2);
  c.Compact("n1", 4);
  c.Compact("n2", 4);
  ASSERT_TRUE(c.Restart("n3").ok());
  TickAll(c, 4);
  EXPECT_EQ(c.catch_ups, 1u);
  EXPECT_EQ(c.node("n3").durable.ledger.head(), 5u);
  EXPECT_EQ(E(c, "n3").compacted_index(), 4u);
  ASSERT_TRUE(c.Propose("n1", "e").ok());
  TickAll(c, 2);
  EXPECT_EQ(c.node("n3").durable.ledger.head(), 6u);
  c.CheckLedgersComplete(6);
  EXPECT_FALSE(c.checker().failed()) << c.checker().failure();
}

// Leader forwarding: a follower refuses proposals and names the leader.
TEST(RaftPropose, FollowerNamesTheLeader) {
  Cluster c(Options(3));
  EXPECT_NE(c.Propose("n2", "x").message().find("no leader"), std::string::npos);
  c.Campaign("n1");
  Stabilize(c);
  Status st = c.Propose("n2", "x");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("'n1'"), std::string::npos) << st.ToString();
}

class StepRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = std::make_unique<Cluster>(Options(3));
    c_->Campaign("n1");
    Stabilize(*c_);
    TickAll(*c_, 1);
    before_ = E(*c_, "n2").status();
  }
  Status Send(const std::string& from, const std::string& to, const v1::RaftMessage& m) {
    Message msg{from, to, m.SerializeAsString()};
    return E(*c_, "n2").Step(msg);
  }
  v1::RaftMessage Append() {
    v1::RaftMessage m;
    m.set_schema_version(1);
    m.set_kind(v1::RAFT_APPEND);
    m.set_term(1);
    m.set_index(1);
    m.set_log_term(1);
    m.set_commit(1);
    return m;
  }
  void ExpectUnchanged() {
    RaftStatus now = E(*c_, "n2").status();
    EXPECT_EQ(now.term, before_.term);
    EXPECT_EQ(now.last_index, before_.last_index);
    EXPECT_EQ(now.commit, before_.commit);
  }
  std::unique_ptr<Cluster> c_;
  RaftStatus before_;
};

TEST_F(StepRefusal, MalformedPayloads) {
  EXPECT_EQ(E(*c_, "n2").Step(Message{"n1", "n2", "\xff\xff\xff garbage"}).code(),
            Code::kInvalidArgument);
  v1::RaftMessage m = Append();
  m.set_schema_version(2);
  EXPECT_EQ(Send("n1", "n2", m).code(), Code::kInvalidArgument);
  m = Append();
  m.set_kind(static_cast<v1::RaftKind>(77));
  EXPECT_FALSE(Send("n1", "n2", m).ok());
  EXPECT_EQ(Send("mallory", "n2", Append()).code(), Code::kPermissionDenied);
  EXPECT_EQ(Send("n2", "n2", Append()).code(), Code::kPermissionDenied);
  EXPECT_EQ(E(*c_, "n2").Step(Message{"n1", "n3", Append().SerializeAsString()}).code(),
            Code::kInvalidArgument);
  m = Append();
  for (size_t i = 0; i <= kRaftMaxEntriesPerAppend; ++i) m.add_entries()->set_term(1);
  EXPECT_EQ(Send("n1", "n2", m).code(), Code::kResourceExhausted);
  ExpectUnchanged();
}

TEST_F(StepRefusal, EntryTermsOutOfOrder) {
  v1::RaftMessage m = Append();
  m.add_entries()->set_term(2);  // newer than the leader's term
  EXPECT_EQ(Send("n1", "n2", m).code(), Code::kInvalidArgument);
  ExpectUnchanged();
}

// A follower refuses an entry that does not inspect, keeps the valid ones before it, and
// does not vote for the bad one.
TEST_F(StepRefusal, BadBlockIsNotAppended) {
  SimNode& n2 = c_->node("n2");
  FakeBlock good;
  good.height = 2;
  good.term = 1;
  good.previous = n2.durable.ledger.HashAt(1);
  good.payload = "good";
  FakeBlock bad = good;
  bad.height = 3;
  bad.previous = Sha256("not the previous block");
  v1::RaftMessage m = Append();
  v1::RaftEntry* e = m.add_entries();
  e->set_term(1);
  e->set_data(EncodeFakeBlock(good));
  e = m.add_entries();
  e->set_term(1);
  e->set_data(EncodeFakeBlock(bad));
  (void)c_->TakeSent();
  EXPECT_FALSE(Send("n1", "n2", m).ok());
  EXPECT_EQ(E(*c_, "n2").last_index(), 2u);
  EXPECT_EQ(E(*c_, "n2").status().refused_entries, 1u);
  ASSERT_TRUE(E(*c_, "n2").HasReady());
  Ready rd = E(*c_, "n2").GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  v1::RaftMessage r;
  ASSERT_TRUE(r.ParseFromString(rd.messages[0].payload));
  EXPECT_FALSE(r.reject());
  EXPECT_EQ(r.index(), 2u);
  ASSERT_EQ(r.votes_size(), 1);
  EXPECT_EQ(r.votes(0).index(), 2u);
  E(*c_, "n2").Advance(rd);
}

// The leader counts only votes that verify: a forged vote neither commits nor certifies.
TEST(RaftVotes, ForgedVotesAreNotCounted) {
  ClusterOptions o = Options(3);
  Cluster c(o);
  c.Campaign("n1");
  Stabilize(c);
  TickAll(c, 1);
  ASSERT_TRUE(c.Propose("n1", "a").ok());
  (void)c.TakeSent();
  const uint64_t index = E(c, "n1").last_index();
  v1::RaftMessage r;
  r.set_schema_version(1);
  r.set_kind(v1::RAFT_APPEND_RESPONSE);
  r.set_term(1);
  r.set_index(index);
  r.set_commit(1);
  v1::RaftVote* v = r.add_votes();
  v->set_index(index);
  v->mutable_signature()->set_node_id("n2");
  v->mutable_signature()->set_signature(std::string(32, 'x'));
  ASSERT_TRUE(E(c, "n1").Step(Message{"n2", "n1", r.SerializeAsString()}).ok());
  EXPECT_EQ(E(c, "n1").commit_index(), index - 1);
  EXPECT_EQ(E(c, "n1").status().invalid_votes, 1u);
  // A vote signed by n3 but sent by n2 is not n2's vote either.
  v->mutable_signature()->set_node_id("n3");
  ASSERT_TRUE(E(c, "n1").Step(Message{"n2", "n1", r.SerializeAsString()}).ok());
  EXPECT_EQ(E(c, "n1").commit_index(), index - 1);
}

TEST(RaftConfig, OpenRefusesBadConfigs) {
  FakeLedger ledger;
  FakeOps ops("n1", {"n1"}, &ledger);
  RaftConfig config;
  config.self = "n1";
  config.validators = {"n2"};
  EXPECT_FALSE(RaftEngine::Open(config, &ops, {}).ok());
  config.validators = {"n1", "n1"};
  EXPECT_FALSE(RaftEngine::Open(config, &ops, {}).ok());
  config.validators = {"n1"};
  config.heartbeat_ticks = config.election_ticks;
  EXPECT_FALSE(RaftEngine::Open(config, &ops, {}).ok());
  config.heartbeat_ticks = 1;
  RaftRestore restore;
  restore.entries.push_back(Entry{5, 1, "x"});  // does not follow the ledger head
  EXPECT_FALSE(RaftEngine::Open(config, &ops, restore).ok());
}

}  // namespace
}  // namespace tracery::consensus::sim

// The LevelDB-backed lineage index on real folders: restart, idempotent and refused applies,
// crash images (a copy of the store taken while it was open, and one with a torn log tail)
// caught up from the ledger, rebuilds, another ledger's index, and queries beside a writer.
#include "tracery/lineage/index.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "lineage_test_util.h"
#include "random_chain.h"

namespace tracery::lineage::testing {
namespace {

namespace fs = std::filesystem;

// Every answer for the first identifiers of the chain, written out: equal fingerprints mean
// equal answers, byte for byte.
std::string Fingerprint(const LineageIndex& index, const RandomChain& chain) {
  std::string out;
  auto lineage = [&](const Lineage& l) {
    for (const LineageNode& n : l.nodes) {
      out += std::string(n.id) + " " + std::to_string(n.depth) + " " +
             std::to_string(n.window.from_ms) + " " + std::to_string(n.window.to_ms) + "\n";
    }
    for (const LineageEdge& e : l.edges) {
      out += std::to_string(e.from) + ">" + std::to_string(e.to) + " " + EdgeKindName(e.kind) +
             " " + std::to_string(e.start_ms) + " " + std::to_string(e.end_ms) + " " +
             std::to_string(e.checkpoint) + " " + std::to_string(e.input_checkpoint) + " " +
             std::to_string(e.end_checkpoint) + "\n";
    }
    for (const CheckpointRef& c : l.checkpoints) {
      out += std::string(c.event_id) + "@" + std::to_string(c.location.height) + "." +
             std::to_string(c.location.tx_position) + "." +
             std::to_string(c.location.checkpoint_index) + "\n";
    }
    out += l.depth_limited ? "limited\n" : "";
    out += l.cycle ? "cycle\n" : "";
  };
  const size_t n = std::min<size_t>(chain.identifiers.size(), 150);
  for (size_t i = 0; i < n; ++i) {
    const std::string& id = chain.identifiers[i];
    out += "== " + id + "\n";
    for (Direction d : {Direction::kUpstream, Direction::kDownstream}) {
      auto r = d == Direction::kUpstream ? index.Upstream(id, {}) : index.Downstream(id, {});
      if (r.ok()) {
        lineage(*r);
      } else {
        out += r.status().ToString() + "\n";
      }
    }
    ExposureOptions eo;
    eo.orgs = &chain.orgs;
    auto x = index.RecallExposure(id, eo);
    if (!x.ok()) continue;
    for (const ExposedItem& item : x->items) {
      out += item.disposition + " " + std::to_string(item.handoffs.size()) + "\n";
    }
    for (const std::string& org : x->receiving_orgs) out += org + "\n";
  }
  const GraphStats s = index.stats();
  out += std::to_string(s.nodes) + " " + std::to_string(s.edges) + " " + std::to_string(s.events) +
         " " + std::to_string(s.withdrawn_events) + "\n";
  return out;
}

class LineageIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chain_ = RandomChainBuilder(42, 500).Build();
    ledger_ = std::make_unique<TestLedger>(dir_.Sub("ledger"));
    for (const std::vector<TxSpec>& spec : chain_.blocks) blocks_.push_back(ledger_->Commit(spec));
  }
  std::unique_ptr<LineageIndex> Open(const std::string& dir) {
    auto r = LineageIndex::Open(dir);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  std::string Rebuilt() {
    auto r = LineageIndex::Rebuild(dir_.Sub("fresh"), ledger_->ledger());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return Fingerprint(**r, chain_);
  }

  TempDir dir_;
  RandomChain chain_;
  std::unique_ptr<TestLedger> ledger_;
  std::vector<ledger::ParsedBlock> blocks_;
};

TEST_F(LineageIndexTest, ReopenGivesTheSameAnswers) {
  const std::string want = Rebuilt();
  {
    std::unique_ptr<LineageIndex> index = Open(dir_.Sub("index"));
    ASSERT_TRUE(index->CatchUp(ledger_->ledger()).ok());
    EXPECT_EQ(index->applied_height(), blocks_.size());
    EXPECT_EQ(index->applied_hash(), blocks_.back().hash);
    EXPECT_EQ(Fingerprint(*index, chain_), want);
  }
  std::unique_ptr<LineageIndex> again = Open(dir_.Sub("index"));
  EXPECT_EQ(again->applied_height(), blocks_.size());
  EXPECT_EQ(Fingerprint(*again, chain_), want);
  EXPECT_TRUE(again->CatchUp(ledger_->ledger()).ok());  // nothing to do
  EXPECT_EQ(Fingerprint(*again, chain_), want);
  EXPECT_GT(again->stats().nodes, 500u);
}

TEST_F(LineageIndexTest, ApplyIsIdempotentAndRefusesGapsAndForks) {
  std::unique_ptr<LineageIndex> index = Open(dir_.Sub("index"));
  ASSERT_TRUE(index->Apply(blocks_[0]).ok());
  ASSERT_TRUE(index->Apply(blocks_[1]).ok());
  const GraphStats before = index->stats();
  EXPECT_TRUE(index->Apply(blocks_[1]).ok());  // again: a no-op
  EXPECT_TRUE(index->Apply(blocks_[0]).ok());
  EXPECT_EQ(index->stats().events, before.events);
  EXPECT_EQ(index->Apply(blocks_[3]).code(), Code::kFailedPrecondition);  // gap
  BlockMaker maker;
  maker.Next({Transform("x", 1, {"urn:a"}, {"urn:b"})});
  // Height 2 again, but not the block the index applied there.
  const ledger::ParsedBlock forged = maker.Next({Transform("y", 1, {"urn:a"}, {"urn:b"})});
  EXPECT_EQ(index->Apply(forged).code(), Code::kFailedPrecondition);
  EXPECT_EQ(index->stats().events, before.events);
  EXPECT_EQ(index->applied_height(), 2u);
}

TEST_F(LineageIndexTest, CrashImagesCatchUpToTheRebuiltAnswers) {
  const std::string want = Rebuilt();
  const size_t half = blocks_.size() / 2;
  {
    std::unique_ptr<LineageIndex> index = Open(dir_.Sub("index"));
    for (size_t i = 0; i < half; ++i) {
      ASSERT_TRUE(index->Apply(blocks_[i]).ok());
      if (i == half / 2) {
        // What a crash (kill -9) leaves on disk: the store's files as they are, still open.
        fs::copy(dir_.Sub("index"), dir_.Sub("crash"), fs::copy_options::recursive);
      }
    }
    // Dropped without any flush beyond what Apply did: the process "dies" here.
  }
  // The crash image restarts at the height it had reached and catches up.
  std::unique_ptr<LineageIndex> crashed = Open(dir_.Sub("crash"));
  EXPECT_EQ(crashed->applied_height(), half / 2 + 1);
  ASSERT_TRUE(crashed->CatchUp(ledger_->ledger()).ok());
  EXPECT_EQ(Fingerprint(*crashed, chain_), want);
  crashed.reset();

  // The store that stopped half way catches up too.
  std::unique_ptr<LineageIndex> stopped = Open(dir_.Sub("index"));
  EXPECT_EQ(stopped->applied_height(), half);
  ASSERT_TRUE(stopped->CatchUp(ledger_->ledger()).ok());
  EXPECT_EQ(Fingerprint(*stopped, chain_), want);
  stopped.reset();

  // A torn write: the tail of LevelDB's log cut off mid-record. The batches that survive are
  // whole; the applied height says where to resume.
  fs::copy(dir_.Sub("index"), dir_.Sub("torn"), fs::copy_options::recursive);
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(dir_.Sub("torn"))) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  }
  ASSERT_FALSE(logs.empty());
  std::sort(logs.begin(), logs.end());
  const uintmax_t size = fs::file_size(logs.back());
  if (size > 100) fs::resize_file(logs.back(), size - 37);
  std::unique_ptr<LineageIndex> torn = Open(dir_.Sub("torn"));
  ASSERT_NE(torn, nullptr);
  EXPECT_LT(torn->applied_height(), blocks_.size());  // the torn batch is gone, whole
  ASSERT_TRUE(torn->CatchUp(ledger_->ledger()).ok());
  EXPECT_EQ(torn->applied_height(), blocks_.size());
  EXPECT_EQ(Fingerprint(*torn, chain_), want);
}

TEST_F(LineageIndexTest, AnotherLedgerOrVersionOrDamageIsRebuilt) {
  const std::string want = Rebuilt();
  // An index built from another ledger with more blocks than ours.
  {
    TestLedger other(dir_.Sub("other-ledger"));
    for (size_t i = 0; i < blocks_.size() + 2; ++i) {
      other.Commit({{"b", {Transform("o" + std::to_string(i), 1, {"urn:x"}, {"urn:y"})}}});
    }
    auto idx = LineageIndex::Rebuild(dir_.Sub("index"), other.ledger());
    ASSERT_TRUE(idx.ok());
    EXPECT_EQ((*idx)->CatchUp(ledger_->ledger()).code(), Code::kFailedPrecondition);
  }
  auto fixed = LineageIndex::OpenAndCatchUp(dir_.Sub("index"), ledger_->ledger());
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(Fingerprint(**fixed, chain_), want);
  fixed->reset();

  // Another format version.
  {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    ASSERT_TRUE(leveldb::DB::Open(options, dir_.Sub("index"), &raw).ok());
    ASSERT_TRUE(raw->Put(leveldb::WriteOptions(), std::string(kLineageVersionKey), "old").ok());
    delete raw;
  }
  EXPECT_EQ(LineageIndex::Open(dir_.Sub("index")).status().code(), Code::kFailedPrecondition);
  fixed = LineageIndex::OpenAndCatchUp(dir_.Sub("index"), ledger_->ledger());
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(Fingerprint(**fixed, chain_), want);
  fixed->reset();

  // A record that no longer parses.
  {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    ASSERT_TRUE(leveldb::DB::Open(options, dir_.Sub("index"), &raw).ok());
    ASSERT_TRUE(raw->Put(leveldb::WriteOptions(), LineageRecordKey({1, 0, 0}),
                         std::string("\0\0\0\1a\xff", 6))
                    .ok());
    delete raw;
  }
  auto damaged = LineageIndex::Open(dir_.Sub("index"));
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), Code::kCorruption);
  EXPECT_NE(damaged.status().message().find("not a Checkpoint"), std::string::npos);
  fixed = LineageIndex::OpenAndCatchUp(dir_.Sub("index"), ledger_->ledger());
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(Fingerprint(**fixed, chain_), want);
}

TEST_F(LineageIndexTest, ReadersRunBesideTheWriter) {
  std::unique_ptr<LineageIndex> index = Open(dir_.Sub("index"));
  std::atomic<bool> done{false};
  std::atomic<int> answers{0}, started{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      Rng rng(t + 1);
      started.fetch_add(1);
      do {
        const std::string& id = rng.Pick(chain_.identifiers);
        auto r = index->Downstream(id, {});
        // Ok, or not indexed yet.
        if (r.ok() || r.status().code() == Code::kNotFound) answers.fetch_add(1);
      } while (!done.load());
    });
  }
  while (started.load() < 2) std::this_thread::yield();
  for (const ledger::ParsedBlock& b : blocks_) EXPECT_TRUE(index->Apply(b).ok());
  done.store(true);
  for (std::thread& th : readers) th.join();
  EXPECT_GT(answers.load(), 0);
  EXPECT_EQ(Fingerprint(*index, chain_), Rebuilt());
}

}  // namespace
}  // namespace tracery::lineage::testing

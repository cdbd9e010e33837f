#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "tracery/ledger/ledger.h"
#include "tracery/ledger/proof.h"
#include "tracery/ledger/validator.h"

namespace tracery::ledger {
namespace {

using testing::Key;
using testing::MakeTx;

using testing::Certify;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tracery-ledger-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::unique_ptr<Ledger> OpenLedger() {
    auto l = Ledger::Open(dir_, genesis_);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? std::move(l).value() : nullptr;
  }

  // Builds, validates, certifies and appends a block of the given transactions.
  ParsedBlock Commit(Ledger* l, std::vector<ParsedTx> txs) {
    BuiltBlock built = l->BuildBlock(std::move(txs), "a-node", 0, 1700000000000);
    EXPECT_TRUE(built.rejected.empty());
    EXPECT_TRUE(l->ValidateBlock(built.block).ok());
    const v1::CommitCertificate cert = Certify(genesis_, built.block);
    EXPECT_TRUE(l->Append(built.block, &cert).ok());
    return built.block;
  }

  std::string dir_;
  Genesis genesis_ = testing::TestGenesis();
};

TEST(GenesisTest, RefusesBadConsortia) {
  EXPECT_TRUE(Genesis::Parse(testing::GenesisText()).ok());
  EXPECT_FALSE(Genesis::Parse("{").ok());
  EXPECT_FALSE(Genesis::Parse("{\"schemaVersion\":1}").ok());
  std::string twice = testing::GenesisText();
  twice.replace(twice.find("\"b-node\""), 8, "\"a-node\"");
  auto dup = Genesis::Parse(twice);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("named twice"), std::string::npos);
  std::string bad_role = testing::GenesisText();
  bad_role.replace(bad_role.find("\"writer\""), 8, "\"reader\"");
  EXPECT_FALSE(Genesis::Parse(bad_role).ok());
  const Genesis g = testing::TestGenesis();
  EXPECT_EQ(g.quorum(), 1u);
  EXPECT_EQ(g.FindNodeByKeyId(Key('b').public_key().KeyId())->id, "b-node");
}

TEST(ValidateTxTest, Rules) {
  const Genesis g = testing::TestGenesis();
  EXPECT_TRUE(ValidateTx(MakeTx(g, "a", Key('a'), {"e1"}), g).ok());
  EXPECT_TRUE(ValidateTx(MakeTx(g, "b", Key('b'), {"e1"}), g).ok());
  // Not a member, another org's key, a key not in the genesis, another network's signature.
  EXPECT_EQ(ValidateTx(MakeTx(g, "z", Key('a'), {"e1"}), g).code(), Code::kPermissionDenied);
  EXPECT_EQ(ValidateTx(MakeTx(g, "a", Key('b'), {"e1"}), g).code(), Code::kPermissionDenied);
  EXPECT_EQ(ValidateTx(MakeTx(g, "a", Key('x'), {"e1"}), g).code(), Code::kPermissionDenied);
  const Genesis other = Genesis::Parse(testing::GenesisText() + " ").value();
  EXPECT_NE(other.hash(), g.hash());
  EXPECT_EQ(ValidateTx(MakeTx(other, "a", Key('a'), {"e1"}), g).code(), Code::kPermissionDenied);
}

TEST(ParseTxTest, StructureRules) {
  const Genesis g = testing::TestGenesis();
  ParsedTx good = MakeTx(g, "a", Key('a'), {"e1", "e2"});
  // A checkpoint swapped after signing breaks the root.
  v1::Tx tx = good.tx;
  tx.set_checkpoints(0, testing::MakeCheckpoint("e9").SerializeAsString());
  EXPECT_FALSE(ParseTx(tx.SerializeAsString()).ok());
  // A dropped checkpoint breaks the count.
  tx = good.tx;
  tx.mutable_checkpoints()->RemoveLast();
  EXPECT_FALSE(ParseTx(tx.SerializeAsString()).ok());
  EXPECT_FALSE(ParseTx("garbage").ok());
  std::vector<std::string> many(1001);
  for (size_t i = 0; i < many.size(); ++i) many[i] = "e" + std::to_string(i);
  v1::Tx big;
  big.set_schema_version(1);
  for (int i = 0; i < 1001; ++i) big.add_checkpoints("x");
  EXPECT_FALSE(ParseTx(big.SerializeAsString()).ok());
  EXPECT_TRUE(ParseTx(MakeTx(g, "a", Key('a'), std::vector<std::string>(many.begin(), many.begin() + 1000)).bytes).ok());
}

TEST_F(LedgerTest, AppendReopenAndIndexes) {
  auto l = OpenLedger();
  EXPECT_EQ(l->head().height, 0u);
  EXPECT_EQ(l->head().hash, genesis_.hash());
  ParsedTx t1 = MakeTx(genesis_, "a", Key('a'), {"e1", "e2"}, 1);
  ParsedTx t2 = MakeTx(genesis_, "b", Key('b'), {"e2"}, 2);
  const Hash32 id1 = t1.id;
  const Hash32 id2 = t2.id;
  ParsedBlock b1 = Commit(l.get(), {t1});
  ParsedBlock b2 = Commit(l.get(), {t2});
  EXPECT_EQ(l->head().height, 2u);
  EXPECT_EQ(l->head().log_size, 3u);
  l.reset();
  l = OpenLedger();
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->head().height, 2u);
  EXPECT_EQ(l->head().hash, b2.hash);
  EXPECT_EQ(l->FindTx(id1)->height, 1u);
  EXPECT_EQ(l->FindTx(id2)->height, 2u);
  auto e2 = l->FindEvent("e2").value();
  ASSERT_EQ(e2.size(), 2u);
  EXPECT_EQ(e2[0].height, 1u);
  EXPECT_EQ(e2[0].checkpoint_index, 1u);
  EXPECT_EQ(e2[1].height, 2u);
  EXPECT_EQ(l->FindEvent("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(l->ReadBlock(1)->hash, b1.hash);
}

TEST_F(LedgerTest, DuplicatesLeftOutAndRefused) {
  auto l = OpenLedger();
  ParsedTx t1 = MakeTx(genesis_, "a", Key('a'), {"e1"});
  Commit(l.get(), {t1});
  BuiltBlock again = l->BuildBlock({t1, t1}, "a-node", 0, 0);
  EXPECT_EQ(again.rejected.size(), 2u);
  EXPECT_TRUE(again.block.txs.empty());
  ParsedTx t2 = MakeTx(genesis_, "a", Key('a'), {"e2"}, 9);
  BuiltBlock twice = l->BuildBlock({t2, t2}, "a-node", 0, 0);
  EXPECT_EQ(twice.rejected.size(), 1u);
  // A block that repeats a transaction is refused by a validator.
  v1::BlockHeader h = twice.block.header;
  ParsedBlock forged = MakeBlock(h, {t2, t2});
  EXPECT_FALSE(l->ValidateBlock(forged).ok());
  // So is one with a wrong log root, or at the wrong height.
  h.set_log_root(HashBytes(Sha256("x")));
  EXPECT_FALSE(l->ValidateBlock(MakeBlock(h, {t2})).ok());
  h = twice.block.header;
  h.set_height(5);
  EXPECT_EQ(l->ValidateBlock(MakeBlock(h, {t2})).code(), Code::kFailedPrecondition);
  // A block carrying a transaction with a bad signature is refused.
  ParsedTx forged_tx = MakeTx(genesis_, "a", Key('b'), {"e3"});
  BuiltBlock bad = l->BuildBlock({forged_tx}, "a-node", 0, 0);  // BuildBlock trusts its caller
  EXPECT_EQ(l->ValidateBlock(bad.block).code(), Code::kPermissionDenied);
}

// Raft: blocks build on uncommitted ones, an older-term block is committed without a
// certificate of its own, and its proof reaches the certified descendant through the chain.
TEST_F(LedgerTest, PendingBlocksAndFinalityThroughADescendant) {
  auto l = OpenLedger();
  ParsedTx t1 = MakeTx(genesis_, "a", Key('a'), {"e1", "e2"}, 1);
  ParsedTx t2 = MakeTx(genesis_, "b", Key('b'), {"e3"}, 2);
  const Hash32 id1 = t1.id;
  std::vector<ParsedBlock> pending;
  pending.push_back(l->BuildBlock({t1}, "a-node", 3, 0).block);
  ASSERT_TRUE(l->ValidateBlock(pending[0]).ok());
  // The next block follows the pending one and leaves out what it already holds.
  BuiltBlock b2 = l->BuildBlock({t1, t2}, "a-node", 4, 0, pending);
  ASSERT_EQ(b2.rejected.size(), 1u);
  EXPECT_EQ(b2.rejected[0].second.code(), Code::kAlreadyExists);
  EXPECT_EQ(b2.block.header.height(), 2u);
  EXPECT_EQ(b2.block.header.log_size(), 3u);
  EXPECT_TRUE(l->ValidateBlock(b2.block, pending).ok());
  // Without the pending block it is at the wrong height; with a repeated tx it is refused.
  EXPECT_EQ(l->ValidateBlock(b2.block).code(), Code::kFailedPrecondition);
  ParsedBlock repeat = MakeBlock(b2.block.header, {t1});
  EXPECT_FALSE(l->ValidateBlock(repeat, pending).ok());
  // A term lower than the block before it is refused.
  v1::BlockHeader older = b2.block.header;
  older.set_term(2);
  EXPECT_FALSE(l->ValidateBlock(MakeBlock(older, b2.block.txs), pending).ok());
  // An empty block of a new term: it keeps the log root and size.
  std::vector<ParsedBlock> two = {pending[0], b2.block};
  ParsedBlock empty = l->BuildBlock({}, "a-node", 5, 0, two).block;
  EXPECT_EQ(empty.header.height(), 3u);
  EXPECT_EQ(empty.header.log_size(), 3u);
  EXPECT_TRUE(l->ValidateBlock(empty, two).ok());

  // Blocks 1 and 2 commit through block 3's certificate.
  ASSERT_TRUE(l->Append(pending[0], nullptr).ok());
  EXPECT_EQ(l->ProveFinality(1).status().code(), Code::kUnavailable);
  EXPECT_EQ(ProveTx(*l, id1).status().code(), Code::kUnavailable);
  ASSERT_TRUE(l->Append(b2.block, nullptr).ok());
  const v1::CommitCertificate cert = Certify(genesis_, empty);
  ASSERT_TRUE(l->Append(empty, &cert).ok());
  auto finality = l->ProveFinality(1);
  ASSERT_TRUE(finality.ok()) << finality.status().ToString();
  EXPECT_EQ(finality->chain.size(), 2u);
  EXPECT_EQ(finality->certificate.height(), 3u);
  auto proof = ProveTx(*l, id1);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  auto v = VerifyProof(*ProofFromJson(ProofToJson(*proof)), genesis_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->height, 1u);
  EXPECT_EQ(v->certified_height, 3u);
  // A broken link in the chain, or a certificate of another term, is refused.
  ProofBundle p = *proof;
  p.chain.erase(p.chain.begin());
  EXPECT_FALSE(VerifyProof(p, genesis_).ok());
  p = *proof;
  p.certificate.set_term(4);
  auto wrong_term = VerifyProof(p, genesis_);
  ASSERT_FALSE(wrong_term.ok());
  EXPECT_NE(wrong_term.status().message().find("term"), std::string::npos);
  l.reset();
  auto report = AuditLedger(dir_, genesis_, SequentialFor, [](uint64_t, uint64_t) {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blocks, 3u);
  EXPECT_EQ(report->uncertified_tail, 0u);
}

TEST_F(LedgerTest, BatchedCheckpointProofsEqualSingleOnes) {
  auto l = OpenLedger();
  Commit(l.get(), {MakeTx(genesis_, "b", Key('b'), {"x0", "x1", "x2"}, 1),
                   MakeTx(genesis_, "a", Key('a'), {"y0", "y1"}, 2)});
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"z0", "z1", "z2", "z3", "z4"}, 3)});
  // Unordered, repeated, across blocks and transactions.
  const std::vector<CheckpointLocation> locs = {{2, 0, 4}, {1, 1, 0}, {1, 0, 2}, {2, 0, 0},
                                                {1, 0, 0}, {2, 0, 4}, {1, 1, 1}};
  auto batch = ProveCheckpoints(*l, locs);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), locs.size());
  for (size_t i = 0; i < locs.size(); ++i) {
    auto single = ProveCheckpoint(*l, locs[i]);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(ProofToJson((*batch)[i]), ProofToJson(*single)) << i;
    EXPECT_TRUE(VerifyProof((*batch)[i], genesis_).ok());
  }
  EXPECT_TRUE(ProveCheckpoints(*l, {}).ok());
  const std::vector<CheckpointLocation> bad = {{1, 0, 0}, {1, 0, 3}};
  EXPECT_EQ(ProveCheckpoints(*l, bad).status().code(), Code::kCorruption);
  const std::vector<CheckpointLocation> missing = {{9, 0, 0}};
  EXPECT_FALSE(ProveCheckpoints(*l, missing).ok());
}

TEST_F(LedgerTest, ProofsVerifyOfflineAndNameTheFailedCheck) {
  auto l = OpenLedger();
  std::vector<std::string> events;
  for (int i = 0; i < 7; ++i) events.push_back("ev" + std::to_string(i));
  Commit(l.get(), {MakeTx(genesis_, "b", Key('b'), {"x0"}, 1)});
  ParsedTx tx = MakeTx(genesis_, "a", Key('a'), events, 2);
  const Hash32 id = tx.id;
  Commit(l.get(), {MakeTx(genesis_, "b", Key('b'), {"x1", "x2"}, 3), tx});
  auto proof = ProveTx(*l, id);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->checkpoints.size(), 7u);
  // Through JSON and back, as an auditor receives it.
  auto parsed = ProofFromJson(ProofToJson(*proof));
  ASSERT_TRUE(parsed.ok());
  auto v = VerifyProof(*parsed, genesis_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->tx_id, id);
  EXPECT_EQ(v->org, "a");
  EXPECT_EQ(v->height, 2u);
  EXPECT_EQ(v->checkpoints[3].event_id(), "ev3");

  auto fails_with = [&](ProofBundle p, const std::string& words) {
    auto r = VerifyProof(p, genesis_);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
  };
  ProofBundle p = *proof;
  p.checkpoints[2].checkpoint = testing::MakeCheckpoint("forged").SerializeAsString();
  fails_with(p, "checkpoint 2 in transaction");
  p = *proof;
  p.checkpoints[1].log_index += 1;
  fails_with(p, "checkpoint 1 in ledger-wide log");
  p = *proof;
  p.tx_signature[0] ^= 1;
  fails_with(p, "transaction signature");
  p = *proof;
  p.tx_path[0][0] ^= 1;
  fails_with(p, "transaction in block");
  p = *proof;
  p.certificate.mutable_signatures(0)->set_signature(std::string(64, 'x'));
  fails_with(p, "commit certificate");
  p = *proof;
  p.certificate.clear_signatures();
  fails_with(p, "quorum");
  // Another network's genesis does not accept it.
  const Genesis other = Genesis::Parse(testing::GenesisText() + "\n").value();
  EXPECT_FALSE(VerifyProof(*proof, other).ok());

  auto loc = l->FindEvent("ev5").value();
  auto one = ProveCheckpoint(*l, loc[0]);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->checkpoints.size(), 1u);
  EXPECT_TRUE(VerifyProof(*one, genesis_).ok());
}

TEST_F(LedgerTest, ConsistencyBetweenLogSizes) {
  auto l = OpenLedger();
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"a", "b", "c"}, 1)});
  const uint64_t old_size = l->head().log_size;
  const Hash32 old_root = l->head().log_root;
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"d", "e"}, 2)});
  auto c = ProveConsistency(*l, old_size, l->head().log_size);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->old_root, old_root);
  auto back = ConsistencyFromJson(ConsistencyToJson(*c)).value();
  EXPECT_TRUE(VerifyConsistency(back.old_size, back.new_size, back.old_root, back.new_root,
                                back.path)
                  .ok());
  EXPECT_FALSE(ProveConsistency(*l, 1, 99).ok());
}

TEST_F(LedgerTest, FlippedByteInAStoredBlockIsDetected) {
  auto l = OpenLedger();
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e1"}, 1)});
  ParsedBlock b2 = Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e2"}, 2)});
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e3"}, 3)});
  std::string bytes = b2.bytes;
  bytes[bytes.size() - 5] ^= 0x01;  // inside the last checkpoint of block 2
  ASSERT_TRUE(l->TEST_PutRaw(BlockKey(2), bytes).ok());
  EXPECT_EQ(l->ReadBlock(2).status().code(), Code::kCorruption);
  l.reset();
  auto report = AuditLedger(dir_, genesis_, SequentialFor, nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("block 2"), std::string::npos)
      << report.status().message();
}

TEST_F(LedgerTest, BrokenHashChainRefusedAtOpenNamingTheHeight) {
  auto l = OpenLedger();
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e1"}, 1)});
  ParsedBlock b2 = Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e2"}, 2)});
  Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e3"}, 3)});
  v1::BlockHeader h = b2.header;
  h.set_time_ms(h.time_ms() + 1);  // header 2 changes, so block 3 no longer links to it
  ASSERT_TRUE(l->TEST_PutRaw(HeaderKey(2), h.SerializeAsString()).ok());
  l.reset();
  auto reopened = Ledger::Open(dir_, genesis_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), Code::kCorruption);
  EXPECT_NE(reopened.status().message().find("height 3"), std::string::npos)
      << reopened.status().message();
}

TEST_F(LedgerTest, AuditPassesAndCatchesABadCertificate) {
  auto l = OpenLedger();
  for (int i = 0; i < 5; ++i) {
    Commit(l.get(), {MakeTx(genesis_, "a", Key('a'), {"e" + std::to_string(i)}, i),
                     MakeTx(genesis_, "b", Key('b'), {"f" + std::to_string(i)}, i)});
  }
  ParsedBlock b4 = l->ReadBlock(4).value();
  l.reset();
  auto report = AuditLedger(dir_, genesis_, SequentialFor, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blocks, 5u);
  EXPECT_EQ(report->txs, 10u);
  EXPECT_EQ(report->checkpoints, 10u);
  // A certificate signed by a writer that is not a validator does not certify.
  l = OpenLedger();
  ASSERT_TRUE(l->TEST_PutRaw(CertificateKey(4),
                             Certify(genesis_, b4, 'b', "b-node").SerializeAsString())
                  .ok());
  l.reset();
  auto bad = AuditLedger(dir_, genesis_, SequentialFor, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("block 4"), std::string::npos);
}

TEST_F(LedgerTest, SecondOpenOfAStoreInUseIsRefused) {
  auto l = OpenLedger();
  auto second = Ledger::Open(dir_, genesis_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace tracery::ledger

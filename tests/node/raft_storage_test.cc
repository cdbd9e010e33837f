#include "raft_storage.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace tracery::node {
namespace {

consensus::Entry E(uint64_t index, uint64_t term) {
  return {index, term, "block " + std::to_string(index) + "/" + std::to_string(term)};
}

class RaftStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tracery-raft-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(RaftStorageTest, SavesReplacesCompactsAndReloads) {
  {
    auto s = RaftStorage::Open(dir_).value();
    EXPECT_TRUE(s->Load(0)->entries.empty());
    consensus::Ready rd;
    rd.hard_state_changed = true;
    rd.hard_state = {3, "b-node", 1};
    rd.entries = {E(1, 2), E(2, 2), E(3, 3), E(4, 3)};
    ASSERT_TRUE(s->Save(rd).ok());
    // A new leader replaces entries 3 and 4 with one entry of term 4.
    consensus::Ready replace;
    replace.entries = {E(3, 4)};
    ASSERT_TRUE(s->Save(replace).ok());
    ASSERT_TRUE(s->Compact(1).ok());
  }
  auto s = RaftStorage::Open(dir_).value();
  auto state = s->Load(1);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->hard_state.term, 3u);
  EXPECT_EQ(state->hard_state.vote, "b-node");
  EXPECT_EQ(state->hard_state.commit, 1u);
  ASSERT_EQ(state->entries.size(), 2u);
  EXPECT_EQ(state->entries[0].index, 2u);
  EXPECT_EQ(state->entries[1].index, 3u);
  EXPECT_EQ(state->entries[1].term, 4u);
  EXPECT_EQ(state->entries[1].data, "block 3/4");
  // A ledger that is ahead of the stored entries skips them.
  EXPECT_TRUE(s->Load(3)->entries.empty());
  // A ledger behind the stored entries is a broken store.
  ASSERT_TRUE(s->Compact(2).ok());
  EXPECT_EQ(s->Load(0).status().code(), Code::kCorruption);
  ASSERT_TRUE(s->Clear().ok());
  EXPECT_TRUE(s->Load(0)->entries.empty());
}

}  // namespace
}  // namespace tracery::node

#include "tracery/offchain_store/blob_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <fstream>

namespace tracery::offchain_store {
namespace {

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("blobs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(BlobStoreTest, StoresUnderSha256AndReadsBackAfterReopen) {
  Hash32 a, b;
  {
    auto store = LevelDbBlobStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto hashes = (*store)->PutAll({"first payload", "second payload"});
    ASSERT_TRUE(hashes.ok());
    ASSERT_EQ(hashes->size(), 2u);
    a = (*hashes)[0];
    b = (*hashes)[1];
    EXPECT_EQ(a, Sha256("first payload"));
    // The same bytes again are a no-op.
    auto again = (*store)->PutAll({"first payload"});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)[0], a);
  }
  auto store = LevelDbBlobStore::Open(dir_.string());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Get(a), "first payload");
  EXPECT_EQ(*(*store)->Get(b), "second payload");
  EXPECT_TRUE(*(*store)->Contains(a));
  auto missing = (*store)->Get(Sha256("never stored"));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_FALSE(*(*store)->Contains(Sha256("never stored")));
}

TEST_F(BlobStoreTest, RefusesOversizedBlobAndStoresNothingOfTheBatch) {
  auto store = LevelDbBlobStore::Open(dir_.string());
  ASSERT_TRUE(store.ok());
  std::string big(kMaxBlobBytes + 1, 'x');
  auto r = (*store)->PutAll({"small", big});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(*(*store)->Contains(Sha256("small")));
}

TEST_F(BlobStoreTest, ReportsABlobThatNoLongerHashesAsCorruption) {
  Hash32 h = Sha256("original");
  {
    auto store = LevelDbBlobStore::Open(dir_.string());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutAll({"original"}).ok());
  }
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "b" + HashBytes(h), "tampered").ok());
  }
  auto store = LevelDbBlobStore::Open(dir_.string());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get(h).status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace tracery::offchain_store

#include "tracery/offchain_store/blob_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"

namespace tracery::offchain_store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kT0 = 1'795'000'000'000;  // 2026-11-18T...Z

class FakeClock final : public Clock {
 public:
  int64_t NowMs() override { return now_ms.load(); }
  std::atomic<int64_t> now_ms{kT0};
};

// SplitMix64: reproducible keys and nonces.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(uint8_t* out, size_t size) override {
    for (size_t i = 0; i < size; ++i) {
      uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      out[i] = static_cast<uint8_t>(z ^ (z >> 31));
    }
  }

 private:
  uint64_t state_;
};

std::string ReadShared(const std::string& relative) {
  auto text = ReadFile(std::string(TRACERY_SHARED_DATA) + "/" + relative);
  TRACERY_CHECK(text.ok());
  return *text;
}
const char kEpcisFile[] = "epcis/gs1-EPCIS/SensorDataExample2.jsonld";
const char kX12File[] = "edi/x12/856_4010VICS_SOPI_SSCC_X12Parser-FromGregarican.edi";

// The files of `dir` (LevelDB's .log, .ldb, MANIFEST, ...) that contain `needle`.
std::vector<std::string> FilesContaining(const fs::path& dir, std::string_view needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    auto bytes = ReadFile(entry.path().string());
    TRACERY_CHECK(bytes.ok());
    if (bytes->find(needle) != std::string::npos) found.push_back(entry.path().filename());
  }
  return found;
}

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("offchain-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    dir_ = root_ / "offchain";
  }
  void TearDown() override { fs::remove_all(root_); }

  LevelDbBlobStoreOptions Options() {
    LevelDbBlobStoreOptions o;
    o.dir = dir_.string();
    o.clock = &clock_;
    o.random = &random_;
    return o;
  }
  std::unique_ptr<LevelDbBlobStore> OpenStore() { return OpenStore(Options()); }
  std::unique_ptr<LevelDbBlobStore> OpenStore(const LevelDbBlobStoreOptions& o) {
    auto store = LevelDbBlobStore::Open(o);
    TRACERY_CHECK(store.ok());
    return std::move(store).value();
  }
  // Writes through a plain LevelDB handle (the store must be closed).
  void RawWrite(const std::function<void(leveldb::WriteBatch*)>& fill) {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    options.create_if_missing = true;
    ASSERT_TRUE(leveldb::DB::Open(options, dir_.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    leveldb::WriteBatch batch;
    fill(&batch);
    ASSERT_TRUE(db->Write(leveldb::WriteOptions(), &batch).ok());
  }

  fs::path root_;
  fs::path dir_;
  FakeClock clock_;
  SeededRandom random_{42};
};

std::string RecordKeyOf(const Hash32& h) { return "k" + HashBytes(h); }
std::string RecordOf(const Hash32& h) { return "b" + HashBytes(h); }

TEST_F(BlobStoreTest, RoundTripsRealDocumentsWithMetadataAcrossReopen) {
  const std::string epcis = ReadShared(kEpcisFile);
  const std::string x12 = ReadShared(kX12File);
  Hash32 e, x;
  {
    auto store = OpenStore();
    auto hashes = store->PutAll({epcis});  // the default type: what capture stores
    ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
    e = (*hashes)[0];
    EXPECT_EQ(e, Sha256(epcis));
    clock_.now_ms += 1000;
    auto xh = store->Put(x12, "x12-856");
    ASSERT_TRUE(xh.ok());
    x = *xh;
    // The same bytes again change nothing, not even the metadata.
    clock_.now_ms += 1000;
    ASSERT_TRUE(store->Put(x12, "order").ok());
  }
  auto store = OpenStore();
  EXPECT_EQ(*store->Get(e), epcis);
  EXPECT_EQ(*store->Get(x), x12);
  auto meta = store->Stat(x);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->document_type, "x12-856");
  EXPECT_EQ(meta->stored_at_ms, kT0 + 1000);
  EXPECT_EQ(meta->size_bytes, x12.size());
  EXPECT_EQ(store->Stat(e)->document_type, "epcis-event");
  auto v = store->Verify(e);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, Verification::State::kIntact);
  EXPECT_EQ(v->record.size_bytes, epcis.size());
  EXPECT_TRUE(*store->Contains(e));
  EXPECT_FALSE(store->Erasure(e)->has_value());
  Hash32 missing = Sha256("never stored");
  EXPECT_EQ(store->Get(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(store->Verify(missing).status().code(), Code::kNotFound);
  EXPECT_FALSE(*store->Contains(missing));
}

TEST_F(BlobStoreTest, KeepsNoPlaintextOrRecordKeyInTheStoreFolder) {
  const std::string epcis = ReadShared(kEpcisFile);
  const std::string needle = "urn:epc:id:sgtin";  // appears in the plaintext
  ASSERT_NE(epcis.find(needle), std::string::npos);
  auto store = OpenStore();
  Hash32 h = *store->Put(epcis, "epcis-event");
  std::string record_key = *store->TEST_RecordKey(h);
  std::string wrapped = *store->TEST_WrappedRecordKey(h);
  EXPECT_EQ(record_key.size(), 32u);
  // The search can succeed: the wrapped key is in the write-ahead log.
  EXPECT_FALSE(FilesContaining(dir_, wrapped).empty());
  EXPECT_TRUE(FilesContaining(dir_, needle).empty());
  EXPECT_TRUE(FilesContaining(dir_, record_key).empty());
  store.reset();
  // The master key lives beside the folder, 0600, 64 hex digits.
  fs::path key_file = root_ / "offchain-master.key";
  struct stat sb;
  ASSERT_EQ(::stat(key_file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(key_file.string())->size(), 65u);
  EXPECT_TRUE(FilesContaining(dir_, needle).empty());
}

TEST_F(BlobStoreTest, RefusesAWrongMissingOrExposedMasterKeyAndChangesNothing) {
  Hash32 h;
  {
    auto store = OpenStore();
    h = *store->Put("payload", "order");
  }
  const fs::path key_file = root_ / "offchain-master.key";
  fs::path other = root_ / "other.key";
  ASSERT_TRUE(WriteKeyFile(other.string(), PrivateKey::Generate()).ok());
  auto o = Options();
  o.master_key_file = other.string();
  auto wrong = LevelDbBlobStore::Open(o);
  ASSERT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("is not the key of off-chain store"), std::string::npos)
      << wrong.status().ToString();

  o.master_key_file = (root_ / "absent.key").string();
  auto missing = LevelDbBlobStore::Open(o);
  ASSERT_EQ(missing.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("is missing"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "absent.key"));  // never created for an existing store

  ASSERT_EQ(::chmod(key_file.c_str(), 0644), 0);
  auto exposed = LevelDbBlobStore::Open(Options());
  ASSERT_EQ(exposed.status().code(), Code::kPermissionDenied);
  EXPECT_NE(exposed.status().message().find("accessible by others"), std::string::npos);
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);

  o.master_key_file = (dir_ / "inside.key").string();
  EXPECT_EQ(LevelDbBlobStore::Open(o).status().code(), Code::kInvalidArgument);

  auto store = OpenStore();
  EXPECT_EQ(*store->Get(h), "payload");
}

TEST_F(BlobStoreTest, RefusesAStoreOfAnotherFormatVersion) {
  { OpenStore(); }
  RawWrite([](leveldb::WriteBatch* b) {
    std::string v("tracery-offchain-store\0", 23);
    PutBe32(&v, 3);
    b->Put("v", v);
  });
  auto r = LevelDbBlobStore::Open(Options());
  ASSERT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("format version 3"), std::string::npos)
      << r.status().ToString();

  // The plaintext layout of format 1: no marker, 'b' + hash → the payload.
  fs::remove_all(dir_);
  fs::remove(root_ / "offchain-master.key");
  RawWrite([](leveldb::WriteBatch* b) { b->Put("b" + HashBytes(Sha256("old")), "old"); });
  auto legacy = LevelDbBlobStore::Open(Options());
  ASSERT_EQ(legacy.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(legacy.status().message().find("plaintext payloads of format version 1"),
            std::string::npos)
      << legacy.status().ToString();
  EXPECT_FALSE(fs::exists(root_ / "offchain-master.key"));
}

TEST_F(BlobStoreTest, ReportsAlteredCiphertextMetadataOrKeysAsCorruption) {
  auto store = OpenStore();
  Hash32 a = *store->Put("first document", "order");
  Hash32 b = *store->Put("second document", "order");
  leveldb::DB* db = store->TEST_db();
  auto flip = [&](const std::string& key, size_t from_end_or_index, bool from_end) {
    std::string v;
    TRACERY_CHECK(db->Get(leveldb::ReadOptions(), key, &v).ok());
    size_t i = from_end ? v.size() - 1 - from_end_or_index : from_end_or_index;
    v[i] = static_cast<char>(v[i] ^ 0x01);
    TRACERY_CHECK(db->Put(leveldb::WriteOptions(), key, v).ok());
    return v;
  };
  std::string original;
  ASSERT_TRUE(db->Get(leveldb::ReadOptions(), RecordOf(a), &original).ok());
  struct Case {
    const char* what;
    std::string key;
    size_t index;
    bool from_end;
  };
  for (const Case& c :
       {Case{"ciphertext", RecordOf(a), 20, true}, Case{"tag", RecordOf(a), 0, true},
        Case{"stored-at metadata", RecordOf(a), 7, false},
        Case{"document type", RecordOf(a), 17, false},
        Case{"wrapped key", RecordKeyOf(a), 30, false}}) {
    std::string before;
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), c.key, &before).ok());
    flip(c.key, c.index, c.from_end);
    EXPECT_EQ(store->Get(a).status().code(), Code::kCorruption) << c.what;
    EXPECT_EQ(store->Verify(a).status().code(), Code::kCorruption) << c.what;
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), c.key, before).ok());
    EXPECT_TRUE(store->Verify(a).ok()) << c.what;
  }
  // A record key moved to another record does not open it: keys are bound to their hash.
  std::string kb;
  ASSERT_TRUE(db->Get(leveldb::ReadOptions(), RecordKeyOf(b), &kb).ok());
  ASSERT_TRUE(db->Put(leveldb::WriteOptions(), RecordKeyOf(a), kb).ok());
  auto swapped = store->Get(a);
  EXPECT_EQ(swapped.status().code(), Code::kCorruption);
  EXPECT_NE(swapped.status().message().find("does not authenticate"), std::string::npos);
  ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), RecordKeyOf(a)).ok());
  EXPECT_EQ(store->Get(a).status().code(), Code::kCorruption);
  ASSERT_TRUE(db->Put(leveldb::WriteOptions(), RecordOf(a), original.substr(0, 10)).ok());
  EXPECT_EQ(store->Get(a).status().code(), Code::kCorruption);
  EXPECT_EQ(*store->Get(b), "second document");
  // A damaged record can still be erased, and retention steps over its stale index entry.
  auto erased = store->Erase(a, "gdpr-art17", "");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(erased->record.document_type, "unknown");
  EXPECT_EQ(store->Get(a).status().code(), Code::kFailedPrecondition);
}

TEST_F(BlobStoreTest, RetentionStepsOverTheIndexEntryOfAnErasedDamagedRecord) {
  auto o = Options();
  o.retention = {{"orders-1y", "order", 365}};
  auto store = OpenStore(o);
  Hash32 damaged = *store->Put("damaged", "order");
  clock_.now_ms += 1;  // the damaged record is the oldest
  Hash32 fine = *store->Put("fine", "order");
  ASSERT_TRUE(store->TEST_db()->Put(leveldb::WriteOptions(), RecordOf(damaged), "x").ok());
  ASSERT_TRUE(store->Erase(damaged, "gdpr-art17", "").ok());
  auto run = store->ApplyRetention(kT0 + 366 * kDayMs, 1);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->erased, 0u);
  EXPECT_FALSE(run->complete);
  run = store->ApplyRetention(kT0 + 366 * kDayMs, 1);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->erased, 1u);
  EXPECT_TRUE(run->complete);
  EXPECT_EQ((*store->Erasure(fine))->policy, "orders-1y");
  EXPECT_EQ((*store->Erasure(damaged))->policy, "gdpr-art17");
}

// Erases `h` and checks that no file of the store holds its key, wrapped or not, or its
// ciphertext, where before the wrapped key and ciphertext were found.
void ExpectShredded(LevelDbBlobStore* store, const fs::path& dir, const Hash32& h,
                    const char* where) {
  SCOPED_TRACE(where);
  const std::string key = *store->TEST_RecordKey(h);
  const std::string wrapped = *store->TEST_WrappedRecordKey(h);
  std::string record;
  ASSERT_TRUE(store->TEST_db()->Get(leveldb::ReadOptions(), "b" + HashBytes(h), &record).ok());
  const std::string ciphertext = record.substr(record.size() - 40);
  EXPECT_FALSE(FilesContaining(dir, wrapped).empty());
  EXPECT_FALSE(FilesContaining(dir, ciphertext).empty());
  EXPECT_TRUE(FilesContaining(dir, key).empty());
  auto erased = store->Erase(h, "gdpr-art17", "data subject request 7");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  EXPECT_EQ(FilesContaining(dir, wrapped), std::vector<std::string>());
  EXPECT_EQ(FilesContaining(dir, ciphertext), std::vector<std::string>());
  EXPECT_EQ(FilesContaining(dir, key), std::vector<std::string>());
}

TEST_F(BlobStoreTest, ErasureLeavesNoCopyOfTheKeyInAnyFile) {
  auto store = OpenStore();
  std::vector<Hash32> hashes;
  for (int i = 0; i < 300; ++i) {
    hashes.push_back(*store->Put("event " + std::to_string(i) + std::string(500, 'x'), "order"));
  }
  // 1: the record is still in the memtable and the write-ahead log, beside its neighbours.
  ExpectShredded(store.get(), dir_, hashes[10], "memtable");
  // 2: the records were compacted into the deepest level of table files.
  leveldb::Slice all_begin("a"), all_end("z");
  store->TEST_db()->CompactRange(&all_begin, &all_end);
  ExpectShredded(store.get(), dir_, hashes[20], "table files");
  // 3: one record in a level-0 table, newer ones in the memtable.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Put("late " + std::to_string(i), "order").ok());
  ExpectShredded(store.get(), dir_, hashes[30], "mixed levels");
  // The neighbours are all readable.
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i == 10 || i == 20 || i == 30) continue;
    ASSERT_TRUE(store->Verify(hashes[i]).ok()) << i;
  }
}

TEST_F(BlobStoreTest, ErasedPayloadSaysWhenAndWhyAndIsNotStoredAgain) {
  const std::string x12 = ReadShared(kX12File);
  Hash32 h, other;
  {
    auto store = OpenStore();
    h = *store->Put(x12, "x12-856");
    other = *store->Put("kept", "order");
    ASSERT_EQ(store->Erase(Sha256("never"), "p", "").status().code(), Code::kNotFound);
    ASSERT_EQ(store->Erase(h, "", "").status().code(), Code::kInvalidArgument);
    ASSERT_EQ(store->Erase(h, "p", std::string(kMaxErasureReasonBytes + 1, 'r')).status().code(),
              Code::kInvalidArgument);
    EXPECT_TRUE(*store->Contains(h));  // bad input erased nothing
    clock_.now_ms = 1'795'000'000'000 + 5 * kDayMs;
    auto e = store->Erase(h, "gdpr-art17", "data subject request 7");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->record.document_type, "x12-856");
    // Erasing again changes nothing: the first record stands.
    clock_.now_ms += kDayMs;
    EXPECT_EQ(store->Erase(h, "other", "")->erased_at_ms, e->erased_at_ms);
  }
  auto store = OpenStore();  // and it survives a reopen
  auto get = store->Get(h);
  ASSERT_EQ(get.status().code(), Code::kFailedPrecondition);
  const std::string expected = "payload " + HashHex(h) + " erased on " +
                               FormatRfc3339Utc(kT0 + 5 * kDayMs) +
                               " under policy gdpr-art17 (data subject request 7)";
  EXPECT_EQ(get.status().message(), expected);
  auto erasure = store->Erasure(h);
  ASSERT_TRUE(erasure.ok());
  ASSERT_TRUE(erasure->has_value());
  EXPECT_EQ((*erasure)->policy, "gdpr-art17");
  EXPECT_EQ((*erasure)->erased_at_ms, kT0 + 5 * kDayMs);
  EXPECT_EQ((*erasure)->record.size_bytes, x12.size());
  EXPECT_EQ((*erasure)->record.stored_at_ms, kT0);
  auto v = store->Verify(h);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, Verification::State::kErased);
  EXPECT_EQ(v->erasure->reason, "data subject request 7");
  EXPECT_FALSE(*store->Contains(h));
  EXPECT_EQ(store->Stat(h).status().code(), Code::kFailedPrecondition);
  // Storing the erased bytes again is refused, and nothing of that batch is stored.
  auto again = store->PutAll({"new one", x12}, "x12-856");
  ASSERT_EQ(again.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("it is not stored again"), std::string::npos);
  EXPECT_FALSE(*store->Contains(Sha256("new one")));
  EXPECT_EQ(*store->Get(other), "kept");
}

TEST_F(BlobStoreTest, FinishesTheCompactionOfAnInterruptedErasure) {
  Hash32 h;
  std::string wrapped;
  {
    auto store = OpenStore();
    h = *store->Put("to be erased", "order");
    wrapped = *store->TEST_WrappedRecordKey(h);
    leveldb::Slice b("a"), e("z");
    store->TEST_db()->CompactRange(&b, &e);
  }
  // What an erasure's synced batch writes before the crash, without the compaction after it.
  RawWrite([&](leveldb::WriteBatch* b) {
    b->Delete(RecordKeyOf(h));
    b->Delete(RecordOf(h));
    std::string e;
    PutBe64(&e, static_cast<uint64_t>(kT0));
    e += static_cast<char>(1);
    e += "p";
    e += std::string(2, '\0');
    PutBe64(&e, static_cast<uint64_t>(kT0));
    PutBe64(&e, 12);
    e += static_cast<char>(5);
    e += "order";
    b->Put("e" + HashBytes(h), e);
    b->Put("s" + HashBytes(h), "");
  });
  EXPECT_FALSE(FilesContaining(dir_, wrapped).empty());
  auto store = OpenStore();
  EXPECT_EQ(FilesContaining(dir_, wrapped), std::vector<std::string>());
  EXPECT_EQ(store->Get(h).status().code(), Code::kFailedPrecondition);
  std::string pending;
  EXPECT_TRUE(
      store->TEST_db()->Get(leveldb::ReadOptions(), "s" + HashBytes(h), &pending).IsNotFound());
}

TEST_F(BlobStoreTest, RetentionErasesExpiredRecordsPerTypeInBoundedResumableSteps) {
  auto o = Options();
  o.retention = {{"telemetry-30d", "telemetry-window", 30}, {"orders-1y", "order", 365}};
  auto store = OpenStore(o);
  std::vector<Hash32> telemetry;
  for (int i = 0; i < 5; ++i) {
    clock_.now_ms = kT0 + i * kDayMs;
    telemetry.push_back(*store->Put("window " + std::to_string(i), "telemetry-window"));
  }
  clock_.now_ms = kT0;
  Hash32 order = *store->Put("order 1", "order");
  Hash32 event = *store->Put("event kept forever", "epcis-event");  // no policy

  // Exactly 30 days old is kept; a millisecond more is due.
  auto none = store->ApplyRetention(kT0 + 30 * kDayMs, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->erased, 0u);
  EXPECT_TRUE(none->complete);
  const int64_t now = kT0 + 33 * kDayMs + 1;  // windows 0..3 are due
  clock_.now_ms = now;
  auto first = store->ApplyRetention(now, 3);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->erased, 3u);
  EXPECT_FALSE(first->complete);
  EXPECT_FALSE(*store->Contains(telemetry[0]));
  EXPECT_FALSE(*store->Contains(telemetry[2]));
  EXPECT_TRUE(*store->Contains(telemetry[3]));  // oldest first
  auto second = store->ApplyRetention(now, 3);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->erased, 1u);
  EXPECT_TRUE(second->complete);
  EXPECT_FALSE(*store->Contains(telemetry[3]));
  EXPECT_TRUE(*store->Contains(telemetry[4]));
  EXPECT_TRUE(*store->Contains(order));
  auto e = store->Erasure(telemetry[1]);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->policy, "telemetry-30d");
  EXPECT_EQ((*e)->reason, "retention: older than 30 days");
  EXPECT_EQ((*e)->erased_at_ms, now);

  auto years = store->ApplyRetention(kT0 + 400 * kDayMs, 100);
  ASSERT_TRUE(years.ok());
  EXPECT_EQ(years->erased, 2u);  // window 4 and the order
  EXPECT_EQ((*store->Erasure(order))->policy, "orders-1y");
  EXPECT_EQ(*store->Get(event), "event kept forever");
  EXPECT_EQ(store->ApplyRetention(now, 0).status().code(), Code::kInvalidArgument);
}

TEST_F(BlobStoreTest, RefusesBadRetentionPoliciesAndBadInput) {
  auto o = Options();
  o.retention = {{"a", "order", 30}, {"b", "order", 60}};
  auto dup = LevelDbBlobStore::Open(o);
  ASSERT_EQ(dup.status().code(), Code::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("both cover document type order"), std::string::npos);
  o.retention = {{"a", "order", 0}};
  EXPECT_EQ(LevelDbBlobStore::Open(o).status().code(), Code::kInvalidArgument);
  o.retention = {{"a", "Order!", 5}};
  EXPECT_EQ(LevelDbBlobStore::Open(o).status().code(), Code::kInvalidArgument);

  auto store = OpenStore();
  EXPECT_EQ(store->Put("x", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store->Put("x", "EPCIS").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store->Put("x", std::string(kMaxDocumentTypeBytes + 1, 'a')).status().code(),
            Code::kInvalidArgument);
  std::string big(kMaxBlobBytes + 1, 'x');
  EXPECT_EQ(store->PutAll({"small", big}).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(*store->Contains(Sha256("small")));
  EXPECT_FALSE(*store->Contains(Sha256("x")));
}

TEST_F(BlobStoreTest, ConcurrentWritersReadersAndErasuresStayConsistent) {
  auto store = OpenStore();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string blob = "t" + std::to_string(t) + " i" + std::to_string(i);
        auto h = store->Put(blob, "telemetry-window");
        if (!h.ok()) {
          ++failures;
          continue;
        }
        if (i % 10 == 0) {
          if (!store->Erase(*h, "test", "").ok()) ++failures;
        }
        // Another thread's earlier blob: stored, or erased, never anything else.
        std::string peer = "t" + std::to_string((t + 1) % kThreads) + " i" + std::to_string(i / 2);
        auto got = store->Get(Sha256(peer));
        bool fine = (got.ok() && *got == peer) || got.status().code() == Code::kNotFound ||
                    got.status().code() == Code::kFailedPrecondition;
        if (!fine) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      Hash32 h = Sha256("t" + std::to_string(t) + " i" + std::to_string(i));
      auto v = store->Verify(h);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_EQ(v->state,
                i % 10 == 0 ? Verification::State::kErased : Verification::State::kIntact);
    }
  }
}

}  // namespace
}  // namespace tracery::offchain_store

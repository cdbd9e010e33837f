#include "tracery/lineage/index.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"

namespace tracery::lineage {
namespace {

constexpr char kRecordPrefix = 'r';
constexpr size_t kRecordKeyBytes = 1 + 8 + 4 + 4;
constexpr size_t kHeadValueBytes = 8 + 32;
// The store's format; a store of another version is rebuilt, never read.
constexpr std::string_view kFormatVersion = "tracery-lineage/1";
// LevelDB memtable size: large enough that CatchUp's batches do not stall on compaction.
constexpr size_t kWriteBufferBytes = 32 << 20;

std::string HeadValue(uint64_t height, const Hash32& hash) {
  std::string v;
  PutBe64(&v, height);
  v += HashBytes(hash);
  return v;
}

std::string RecordValue(std::string_view org, std::string_view checkpoint) {
  std::string v;
  PutBe32(&v, static_cast<uint32_t>(org.size()));
  v.append(org);
  v.append(checkpoint);
  return v;
}

}  // namespace

std::string LineageRecordKey(const ledger::CheckpointLocation& location) {
  std::string key(1, kRecordPrefix);
  PutBe64(&key, location.height);
  PutBe32(&key, location.tx_position);
  PutBe32(&key, location.checkpoint_index);
  return key;
}

LineageIndex::LineageIndex(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
LineageIndex::~LineageIndex() = default;

Result<std::unique_ptr<LineageIndex>> LineageIndex::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db,
                   OpenLevelDb(dir, "lineage index", kWriteBufferBytes));
  std::unique_ptr<LineageIndex> index(new LineageIndex(std::move(db)));
  RETURN_IF_ERROR(index->Load().Annotate("lineage index " + dir));
  return index;
}

Result<std::unique_ptr<LineageIndex>> LineageIndex::Rebuild(const std::string& dir,
                                                            const ledger::Ledger& ledger) {
  RETURN_IF_ERROR(
      FromLevelDb(leveldb::DestroyDB(dir, leveldb::Options()), "delete lineage index " + dir));
  ASSIGN_OR_RETURN(std::unique_ptr<LineageIndex> index, Open(dir));
  RETURN_IF_ERROR(index->CatchUp(ledger));
  return index;
}

Result<std::unique_ptr<LineageIndex>> LineageIndex::OpenAndCatchUp(const std::string& dir,
                                                                   const ledger::Ledger& ledger) {
  auto opened = Open(dir);
  if (!opened.ok()) {
    const Code code = opened.status().code();
    if (code != Code::kCorruption && code != Code::kFailedPrecondition) return opened.status();
    return Rebuild(dir, ledger);
  }
  Status st = (*opened)->CatchUp(ledger);
  if (st.code() == Code::kFailedPrecondition) {
    opened->reset();  // closes the store before it is deleted
    return Rebuild(dir, ledger);
  }
  RETURN_IF_ERROR(st);
  return opened;
}

Status LineageIndex::Load() {
  std::string version;
  leveldb::Status s = db_->Get(CheckedRead(), std::string(kLineageVersionKey), &version);
  if (s.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
    it->SeekToFirst();
    if (it->Valid()) return FailedPrecondition("store without a format version");
    leveldb::WriteOptions wo;
    wo.sync = true;  // once, at creation
    return FromLevelDb(db_->Put(wo, std::string(kLineageVersionKey), std::string(kFormatVersion)),
                       "write lineage index version");
  }
  RETURN_IF_ERROR(FromLevelDb(s, "read lineage index version"));
  if (version != kFormatVersion) {
    return FailedPrecondition("store format '" + version + "', this build reads '" +
                              std::string(kFormatVersion) + "'");
  }
  std::string head;
  s = db_->Get(CheckedRead(), std::string(kLineageHeadKey), &head);
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromLevelDb(s, "read lineage index head"));
    if (head.size() != kHeadValueBytes) return Corruption("head record has a bad size");
    applied_height_ = GetBe64(head);
    ASSIGN_OR_RETURN(applied_hash_, HashFromBytes(std::string_view(head).substr(8)));
  }
  leveldb::ReadOptions ro = CheckedRead();
  ro.fill_cache = false;  // one pass over everything
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  v1::Checkpoint cp;
  for (it->Seek(std::string(1, kRecordPrefix)); it->Valid() && it->key()[0] == kRecordPrefix;
       it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (key.size() != kRecordKeyBytes) return Corruption("record key has a bad size");
    const ledger::CheckpointLocation loc{GetBe64(key.substr(1)), GetBe32(key.substr(9)),
                                         GetBe32(key.substr(13))};
    if (loc.height == 0 || loc.height > applied_height_) {
      return Corruption("record of height " + std::to_string(loc.height) +
                        " outside the applied heights 1.." + std::to_string(applied_height_));
    }
    if (value.size() < 4 || value.size() - 4 < GetBe32(value)) {
      return Corruption("record at height " + std::to_string(loc.height) + " is truncated");
    }
    const uint32_t org_size = GetBe32(value);
    if (!cp.ParseFromArray(value.data() + 4 + org_size,
                           static_cast<int>(value.size() - 4 - org_size))) {
      return Corruption("record at height " + std::to_string(loc.height) +
                        " is not a Checkpoint message");
    }
    RETURN_IF_ERROR(graph_.ApplyCheckpoint(cp, {loc, value.substr(4, org_size)}));
  }
  return FromLevelDb(it->status(), "read lineage index records");
}

uint64_t LineageIndex::applied_height() const {
  std::shared_lock lock(mu_);
  return applied_height_;
}

Hash32 LineageIndex::applied_hash() const {
  std::shared_lock lock(mu_);
  return applied_hash_;
}

Status LineageIndex::Apply(const ledger::ParsedBlock& block) {
  std::lock_guard writer(write_mu_);
  const uint64_t height = block.header.height();
  if (height <= applied_height_) {
    if (height == applied_height_ && block.hash != applied_hash_) {
      return FailedPrecondition("block " + std::to_string(height) +
                                " is not the block the lineage index applied at that height");
    }
    return Status::Ok();
  }
  if (height != applied_height_ + 1) {
    return FailedPrecondition("the lineage index is at height " + std::to_string(applied_height_) +
                              "; block " + std::to_string(height) + " does not follow it");
  }
  return ApplyBlocks({&block});
}

Status LineageIndex::ApplyBlocks(const std::vector<const ledger::ParsedBlock*>& blocks) {
  if (blocks.empty()) return Status::Ok();
  CheckpointBatch batch;
  leveldb::WriteBatch writes;
  for (const ledger::ParsedBlock* block : blocks) {
    RETURN_IF_ERROR(batch.AddBlock(*block));
    const uint64_t height = block->header.height();
    for (size_t pos = 0; pos < block->txs.size(); ++pos) {
      const ledger::ParsedTx& tx = block->txs[pos];
      for (int i = 0; i < tx.tx.checkpoints_size(); ++i) {
        writes.Put(LineageRecordKey({height, static_cast<uint32_t>(pos), static_cast<uint32_t>(i)}),
                   RecordValue(tx.header.org(), tx.tx.checkpoints(i)));
      }
    }
  }
  RETURN_IF_ERROR(graph_.CanApply(batch));  // the writer alone mutates graph_: no lock needed
  const ledger::ParsedBlock& last = *blocks.back();
  writes.Put(std::string(kLineageHeadKey), HeadValue(last.header.height(), last.hash));
  leveldb::WriteOptions wo;
  // Not synced: the index is derived state. A crash may lose the last batches (never part of
  // one: LevelDB's log replays whole batches); the applied height says where CatchUp resumes.
  wo.sync = false;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &writes), "write lineage index"));
  std::unique_lock lock(mu_);
  Status st = graph_.ApplyBatch(batch);
  TRACERY_CHECK(st.ok());  // CanApply passed and nothing else mutates graph_
  applied_height_ = last.header.height();
  applied_hash_ = last.hash;
  return Status::Ok();
}

Status LineageIndex::CatchUp(const ledger::Ledger& ledger) {
  std::lock_guard writer(write_mu_);
  const uint64_t head = ledger.head().height;
  if (applied_height_ > head) {
    return FailedPrecondition("the lineage index is at height " + std::to_string(applied_height_) +
                              ", above the ledger's head " + std::to_string(head) +
                              ": it was built from another ledger");
  }
  if (applied_height_ > 0) {
    ASSIGN_OR_RETURN(std::string header, ledger.ReadHeaderBytes(applied_height_));
    if (Sha256(header) != applied_hash_) {
      return FailedPrecondition("the lineage index's block " + std::to_string(applied_height_) +
                                " is not the ledger's: it was built from another ledger");
    }
  }
  std::vector<ledger::ParsedBlock> pending;
  size_t pending_checkpoints = 0;
  auto flush = [&]() -> Status {
    std::vector<const ledger::ParsedBlock*> blocks;
    for (const ledger::ParsedBlock& b : pending) blocks.push_back(&b);
    RETURN_IF_ERROR(ApplyBlocks(blocks));
    pending.clear();
    pending_checkpoints = 0;
    return Status::Ok();
  };
  for (uint64_t h = applied_height_ + 1; h <= head; ++h) {
    ASSIGN_OR_RETURN(ledger::ParsedBlock block, ledger.ReadBlock(h));
    for (const ledger::ParsedTx& tx : block.txs) pending_checkpoints += tx.tx.checkpoints_size();
    pending.push_back(std::move(block));
    if (pending_checkpoints >= kCatchUpBatchCheckpoints) RETURN_IF_ERROR(flush());
  }
  return flush();
}

Result<Lineage> LineageIndex::Upstream(std::string_view id, const QueryOptions& options) const {
  std::shared_lock lock(mu_);
  return lineage::Upstream(graph_, id, options);
}

Result<Lineage> LineageIndex::Downstream(std::string_view id, const QueryOptions& options) const {
  std::shared_lock lock(mu_);
  return lineage::Downstream(graph_, id, options);
}

Result<Exposure> LineageIndex::RecallExposure(std::string_view lot,
                                              const ExposureOptions& options) const {
  std::shared_lock lock(mu_);
  return lineage::RecallExposure(graph_, lot, options);
}

GraphStats LineageIndex::stats() const {
  std::shared_lock lock(mu_);
  return graph_.stats();
}

}  // namespace tracery::lineage

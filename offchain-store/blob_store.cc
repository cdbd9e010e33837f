#include "tracery/offchain_store/blob_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "tracery/core/leveldb.h"

namespace tracery::offchain_store {
namespace {

constexpr char kBlobPrefix = 'b';

std::string BlobKey(const Hash32& hash) { return std::string(1, kBlobPrefix) + HashBytes(hash); }

}  // namespace

LevelDbBlobStore::LevelDbBlobStore(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
LevelDbBlobStore::~LevelDbBlobStore() = default;

Result<std::unique_ptr<LevelDbBlobStore>> LevelDbBlobStore::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "off-chain store", 16 << 20));
  return std::unique_ptr<LevelDbBlobStore>(new LevelDbBlobStore(std::move(db)));
}

Result<std::vector<Hash32>> LevelDbBlobStore::PutAll(const std::vector<std::string_view>& blobs) {
  std::vector<Hash32> hashes;
  hashes.reserve(blobs.size());
  leveldb::WriteBatch batch;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (blobs[i].size() > kMaxBlobBytes) {
      return InvalidArgument("blob " + std::to_string(i) + " has " +
                             std::to_string(blobs[i].size()) + " bytes, more than the limit of " +
                             std::to_string(kMaxBlobBytes));
    }
    hashes.push_back(Sha256(blobs[i]));
    batch.Put(BlobKey(hashes.back()), leveldb::Slice(blobs[i].data(), blobs[i].size()));
  }
  if (blobs.empty()) return hashes;
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write off-chain store"));
  return hashes;
}

Result<std::string> LevelDbBlobStore::Get(const Hash32& hash) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), BlobKey(hash), &value);
  if (s.IsNotFound()) return NotFound("no payload with hash " + HashHex(hash) + " in this node");
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  if (Sha256(value) != hash) {
    return Corruption("payload stored under " + HashHex(hash) + " does not hash to it");
  }
  return value;
}

Result<bool> LevelDbBlobStore::Contains(const Hash32& hash) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), BlobKey(hash), &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  return true;
}

}  // namespace tracery::offchain_store

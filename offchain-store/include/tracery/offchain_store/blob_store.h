// Content-addressed store of off-chain payloads (full EPCIS events, documents): each blob is
// kept under its SHA-256, which is what a checkpoint anchors on the ledger. Payloads never leave
// the partner's node; the ledger carries only their hashes.
//
// Encryption at rest with a key per record, erasure by crypto-shredding and retention policies
// come with the SCM core; this interface is what they build on.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"

namespace leveldb {
class DB;
}

namespace tracery::offchain_store {

// Bytes of one blob.
inline constexpr size_t kMaxBlobBytes = 16 << 20;

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores every blob under its SHA-256, all or none, durable (synced) before it returns.
  // Storing bytes that are already there is a no-op. Returns the hashes in order.
  virtual Result<std::vector<Hash32>> PutAll(const std::vector<std::string_view>& blobs) = 0;
  // NotFound when absent; Corruption when the stored bytes no longer hash to `hash`.
  virtual Result<std::string> Get(const Hash32& hash) const = 0;
  virtual Result<bool> Contains(const Hash32& hash) const = 0;
};

// The LevelDB implementation: key 'b' + hash, value the blob.
class LevelDbBlobStore final : public BlobStore {
 public:
  static Result<std::unique_ptr<LevelDbBlobStore>> Open(const std::string& dir);
  ~LevelDbBlobStore() override;

  Result<std::vector<Hash32>> PutAll(const std::vector<std::string_view>& blobs) override;
  Result<std::string> Get(const Hash32& hash) const override;
  Result<bool> Contains(const Hash32& hash) const override;

 private:
  explicit LevelDbBlobStore(std::unique_ptr<leveldb::DB> db);
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace tracery::offchain_store

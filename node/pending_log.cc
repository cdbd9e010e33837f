#include "pending_log.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "tracery/core/leveldb.h"

namespace tracery::node {
namespace {

constexpr char kTxPrefix = 'p';
constexpr char kIdempotencyPrefix = 'i';

}  // namespace

PendingLog::PendingLog(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
PendingLog::~PendingLog() = default;

Result<std::unique_ptr<PendingLog>> PendingLog::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "pending log"));
  return std::unique_ptr<PendingLog>(new PendingLog(std::move(db)));
}

std::string PendingLog::IdempotencyScope(const std::string& org, const std::string& key) {
  return std::string(1, kIdempotencyPrefix) + HashBytes(Sha256(org + '\0' + key));
}

Status PendingLog::Add(const std::vector<std::pair<Hash32, std::string_view>>& txs,
                       const std::optional<std::pair<std::string, IdempotencyRecord>>& idem,
                       bool sync) {
  leveldb::WriteBatch batch;
  for (const auto& [id, bytes] : txs) {
    batch.Put(std::string(1, kTxPrefix) + HashBytes(id), leveldb::Slice(bytes.data(), bytes.size()));
  }
  if (idem) {
    batch.Put(idem->first, HashBytes(idem->second.body_hash) + HashBytes(idem->second.tx_id));
  }
  leveldb::WriteOptions wo;
  wo.sync = sync;  // a client that hears 202 hears it only after this
  return FromLevelDb(db_->Write(wo, &batch), "write pending log");
}

Status PendingLog::Remove(const std::vector<Hash32>& tx_ids) {
  leveldb::WriteBatch batch;
  for (const Hash32& id : tx_ids) batch.Delete(std::string(1, kTxPrefix) + HashBytes(id));
  return FromLevelDb(db_->Write(leveldb::WriteOptions(), &batch), "trim pending log");
}

Result<std::vector<std::string>> PendingLog::All() const {
  std::vector<std::string> out;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  const std::string prefix(1, kTxPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.push_back(it->value().ToString());
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read pending log"));
  return out;
}

Result<std::optional<IdempotencyRecord>> PendingLog::FindIdempotency(
    const std::string& scope) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), scope, &value);
  if (s.IsNotFound()) return std::optional<IdempotencyRecord>();
  RETURN_IF_ERROR(FromLevelDb(s, "read idempotency record"));
  if (value.size() != 64) return Corruption("idempotency record is not 64 bytes");
  IdempotencyRecord r;
  ASSIGN_OR_RETURN(r.body_hash, HashFromBytes(value.substr(0, 32)));
  ASSIGN_OR_RETURN(r.tx_id, HashFromBytes(value.substr(32)));
  return std::optional<IdempotencyRecord>(r);
}

}  // namespace tracery::node

// The durable log of accepted transactions that are not yet in a block, and the record of
// idempotency keys. A write is acknowledged (202) only after its transaction is synced here;
// after a crash the node re-proposes every pending transaction the ledger does not hold.
// Layout: docs/formats/ledger-store.md.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"

namespace leveldb {
class DB;
}

namespace tracery::node {

struct IdempotencyRecord {
  Hash32 body_hash{};
  Hash32 tx_id{};
};

class PendingLog {
 public:
  static Result<std::unique_ptr<PendingLog>> Open(const std::string& dir);
  ~PendingLog();

  // Writes the transactions (and, when given, the idempotency record) in one batch: all or
  // none; with `sync`, to disk before it returns. Concurrent callers share fsyncs (LevelDB
  // groups their writes).
  Status Add(const std::vector<std::pair<Hash32, std::string_view>>& txs,
             const std::optional<std::pair<std::string, IdempotencyRecord>>& idempotency,
             bool sync = true);
  // Forgets transactions that are now in the ledger (or were refused). Not synced: a
  // transaction found again after a crash is checked against the ledger.
  Status Remove(const std::vector<Hash32>& tx_ids);
  // Every pending transaction, in id order.
  Result<std::vector<std::string>> All() const;

  // Keys are scoped by the principal's organisation.
  static std::string IdempotencyScope(const std::string& org, const std::string& key);
  Result<std::optional<IdempotencyRecord>> FindIdempotency(const std::string& scope) const;

 private:
  explicit PendingLog(std::unique_ptr<leveldb::DB> db);
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace tracery::node

// The Raft log's durable state, beside the ledger in <dataDir>/raft: the hard state (term,
// vote, commit) and the entries beyond the ledger head. The ledger holds committed blocks only;
// entries here may still be replaced by a new leader. Layout: docs/formats/ledger-store.md.
//
// Thread-safety: the node's owner thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tracery/consensus/engine.h"

namespace leveldb {
class DB;
}

namespace tracery::node {

class RaftStorage {
 public:
  static Result<std::unique_ptr<RaftStorage>> Open(const std::string& dir);
  ~RaftStorage();

  struct State {
    consensus::HardState hard_state;
    std::vector<consensus::Entry> entries;  // indexes above `applied`, consecutive
  };
  // The stored hard state and the entries above `applied` (the ledger head).
  Result<State> Load(uint64_t applied);
  // Syncs the hard state (when it changed) and the entries in one write before it returns: the
  // node sends a Ready's messages only after this. An entry at index i replaces every stored
  // entry at i and above.
  Status Save(const consensus::Ready& ready);
  // Forgets entries at `index` and below: the ledger holds them. Not synced (a crash only
  // leaves entries that Load skips).
  Status Compact(uint64_t index);
  // Forgets every entry above `index` (those a restarted or caught-up engine did not keep).
  // Synced.
  Status TruncateAfter(uint64_t index);
  // Forgets every entry.
  Status Clear();

 private:
  explicit RaftStorage(std::unique_ptr<leveldb::DB> db);
  std::unique_ptr<leveldb::DB> db_;
  uint64_t first_index_ = 0;  // lowest stored entry, 0 when none
  uint64_t last_index_ = 0;   // highest stored entry, 0 when none
};

}  // namespace tracery::node

// What the node's own LevelDB stores (the pending log, the Raft log) share: opening a store
// that checks itself, and turning LevelDB statuses into ours.
#pragma once

#include <leveldb/db.h>

#include <memory>
#include <string>

#include "tracery/core/status.h"

namespace tracery::node {

// `what` names the operation in the message ("write raft log").
Status FromLevelDb(const leveldb::Status& s, const std::string& what);

// Opens (creating when missing) the store in `dir` with paranoid checks; `what` names it.
Result<std::unique_ptr<leveldb::DB>> OpenLevelDb(const std::string& dir, const std::string& what);

}  // namespace tracery::node

// What every LevelDB store of Tracery shares (the ledger, the node's pending log and Raft log,
// the off-chain store, the lineage index): opening a store that checks itself, and turning
// LevelDB statuses into ours.
#pragma once

#include <leveldb/db.h>

#include <memory>
#include <string>

#include "tracery/core/status.h"

namespace tracery {

// `what` names the operation in the message ("write raft log"). NotFound stays NotFound,
// corruption is Corruption, anything else IoError.
Status FromLevelDb(const leveldb::Status& s, const std::string& what);

// Opens (creating when missing) the store in `dir` with paranoid checks; `what` names it.
// A store that another process holds open is Unavailable, saying so.
Result<std::unique_ptr<leveldb::DB>> OpenLevelDb(const std::string& dir, const std::string& what,
                                                 size_t write_buffer_bytes = 4 << 20);

// ReadOptions that verify checksums.
leveldb::ReadOptions CheckedRead();

}  // namespace tracery

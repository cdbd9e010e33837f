// The lineage index: the lot graph (graph.h) kept in memory for queries, with its durable copy
// in its own LevelDB store. Layout and recovery: docs/formats/lineage-store.md; semantics:
// docs/lineage.md.
//
// The store holds every applied checkpoint (its exact bytes, its location and the organisation
// that wrote it) and the height and hash of the last applied block, written in one WriteBatch
// per Apply. Opening replays the stored checkpoints through the same code that applied them,
// so the graph after a restart is the graph before it. It is derived state: CatchUp brings it
// to the ledger's head, and Rebuild makes it again from the ledger alone.
//
// Thread-safety: one writer at a time calls Apply, CatchUp (serialised by an internal mutex);
// any number of readers call the const methods concurrently. A reader never sees half a block:
// the writer takes the exclusive lock only to apply a block's checkpoints to memory, after the
// store has them; queries hold the shared lock while they run.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/ledger/block.h"
#include "tracery/ledger/ledger.h"
#include "tracery/lineage/graph.h"
#include "tracery/lineage/query.h"

namespace leveldb {
class DB;
}

namespace tracery::lineage {

// CatchUp writes one WriteBatch per this many checkpoints (whole blocks), not one per block.
inline constexpr size_t kCatchUpBatchCheckpoints = 20'000;

class LineageIndex {
 public:
  // Opens (creating when missing) the store in `dir` and loads the graph from it. A store of
  // another format version is FailedPrecondition; a damaged one Corruption (Rebuild it).
  static Result<std::unique_ptr<LineageIndex>> Open(const std::string& dir);
  // Deletes any store in `dir` and builds the index again from the ledger's blocks.
  static Result<std::unique_ptr<LineageIndex>> Rebuild(const std::string& dir,
                                                       const ledger::Ledger& ledger);
  // What the node does on start: Open, Rebuild instead when the store is damaged, of another
  // version or of another ledger, then CatchUp.
  static Result<std::unique_ptr<LineageIndex>> OpenAndCatchUp(const std::string& dir,
                                                              const ledger::Ledger& ledger);
  ~LineageIndex();

  // The last applied block (0 and the zero hash: none yet).
  uint64_t applied_height() const;
  Hash32 applied_hash() const;

  // Applies the committed block at applied_height()+1. A block at or below the applied height
  // is a no-op (Ok), unless it is the applied block's height with another hash
  // (FailedPrecondition: the index follows another ledger). A gap is FailedPrecondition.
  // Corruption or ResourceExhausted leave the index unchanged.
  Status Apply(const ledger::ParsedBlock& block);
  // Applies the ledger's blocks above applied_height(). FailedPrecondition when the index is
  // ahead of the ledger or its applied block is not the ledger's block at that height.
  Status CatchUp(const ledger::Ledger& ledger);

  Result<Lineage> Upstream(std::string_view id, const QueryOptions& options) const;
  Result<Lineage> Downstream(std::string_view id, const QueryOptions& options) const;
  Result<Exposure> RecallExposure(std::string_view lot, const ExposureOptions& options) const;
  GraphStats stats() const;

  // Runs fn(const LotGraph&) under the shared lock (for queries beyond the three above).
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(graph_);
  }

 private:
  explicit LineageIndex(std::unique_ptr<leveldb::DB> db);
  Status Load();
  // Stores and applies consecutive blocks in one WriteBatch. REQUIRES: write_mu_ held, blocks
  // follow the applied height.
  Status ApplyBlocks(const std::vector<const ledger::ParsedBlock*>& blocks);

  std::unique_ptr<leveldb::DB> db_;
  std::mutex write_mu_;           // one writer
  mutable std::shared_mutex mu_;  // guards graph_, applied_height_, applied_hash_
  LotGraph graph_;
  uint64_t applied_height_ = 0;
  Hash32 applied_hash_{};
};

// Keys of the store (for tests and docs/formats/lineage-store.md).
std::string LineageRecordKey(const ledger::CheckpointLocation& location);
inline constexpr std::string_view kLineageHeadKey = "h";
inline constexpr std::string_view kLineageVersionKey = "v";

}  // namespace tracery::lineage

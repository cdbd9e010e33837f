// The ledger: committed blocks only, in LevelDB, with the indexes and the ledger-wide
// checkpoint log that proofs need. Layout: docs/formats/ledger-store.md.
//
// Thread-safety: one writer (the node's consensus owner thread) calls BuildBlock,
// ValidateBlock and Append; any number of readers may call the const methods concurrently.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tracery/ledger/block.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/merkle.h"

namespace leveldb {
class DB;
}

namespace tracery::ledger {

struct TxLocation {
  uint64_t height = 0;
  uint32_t position = 0;
};

struct CheckpointLocation {
  uint64_t height = 0;
  uint32_t tx_position = 0;
  uint32_t checkpoint_index = 0;
};

struct Head {
  uint64_t height = 0;  // 0: no block yet
  Hash32 hash{};        // the genesis hash while height is 0
  uint64_t log_size = 0;
  Hash32 log_root{};
};

struct BuiltBlock {
  ParsedBlock block;
  // Candidates left out, with the reason (invalid, or already in the ledger or the block).
  std::vector<std::pair<Hash32, Status>> rejected;
};

class Ledger {
 public:
  // Opens (creating when missing) the store in `dir`. Verifies the header hash chain, the
  // head block, and the ledger-wide log against the head header; a broken store is refused
  // with a Corruption status naming the height where it breaks.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir, const Genesis& genesis);
  ~Ledger();

  const Genesis& genesis() const { return genesis_; }
  Head head() const;

  // Builds the block at height head+1 from candidate transactions, in order. Candidates that
  // repeat a transaction id (of the ledger or of the block) are left out and reported.
  // REQUIRES: every candidate passed ValidateTx (the node checks each on admission, in the
  // request's thread, so that signature checks run in parallel).
  BuiltBlock BuildBlock(std::vector<ParsedTx> candidates, const std::string& proposer,
                        uint64_t term, int64_t time_ms);
  // Re-validates a block as every validator does before it accepts one: the next height,
  // previous hash, each transaction valid and new, the ledger-wide log root and size.
  Status ValidateBlock(const ParsedBlock& block);
  // Appends a validated block with its certificate, synced to disk before it returns.
  Status Append(const ParsedBlock& block, const v1::CommitCertificate& certificate);

  Result<ParsedBlock> ReadBlock(uint64_t height) const;
  Result<std::string> ReadHeaderBytes(uint64_t height) const;
  Result<v1::CommitCertificate> ReadCertificate(uint64_t height) const;
  Result<TxLocation> FindTx(const Hash32& tx_id) const;
  // Every checkpoint that carries `event_id`, in ledger order.
  Result<std::vector<CheckpointLocation>> FindEvent(const std::string& event_id) const;

  // Log proofs (sizes are checkpoint counts of the ledger-wide log).
  Result<std::vector<Hash32>> LogInclusionProof(uint64_t index, uint64_t size) const;
  Result<std::vector<Hash32>> LogConsistencyProof(uint64_t old_size, uint64_t new_size) const;
  Result<Hash32> LogRootAt(uint64_t size) const;

  // Test hook: overwrites a raw store value (to simulate corruption on disk).
  Status TEST_PutRaw(const std::string& key, const std::string& value);

 private:
  Ledger(const Genesis& genesis, std::unique_ptr<leveldb::DB> db);
  Status Load();
  Status CheckNewTx(const ParsedTx& tx, const std::vector<Hash32>& earlier_in_block) const;

  const Genesis genesis_;
  std::unique_ptr<leveldb::DB> db_;
  mutable std::shared_mutex mu_;  // guards head_ and log_
  Head head_;
  MerkleTree log_;
};

// Keys of the store (exposed for the audit and for tests).
std::string BlockKey(uint64_t height);
std::string HeaderKey(uint64_t height);
std::string CertificateKey(uint64_t height);

// Re-verifies a stopped node's store from scratch: every block against its header and the
// hash chain, every transaction's structure, authorisation and signature, every certificate,
// the transaction index and the ledger-wide log root of every header. `parallel_for(n, fn)` runs fn(0..n-1)
// (the caller decides on threads); `progress(done, total)` is called after each block.
struct AuditReport {
  uint64_t blocks = 0;
  uint64_t txs = 0;
  uint64_t checkpoints = 0;
  Hash32 head_hash{};
};
using ParallelFor = std::function<void(size_t n, const std::function<void(size_t)>& fn)>;
void SequentialFor(size_t n, const std::function<void(size_t)>& fn);
Result<AuditReport> AuditLedger(const std::string& dir, const Genesis& genesis,
                                const ParallelFor& parallel_for,
                                const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace tracery::ledger

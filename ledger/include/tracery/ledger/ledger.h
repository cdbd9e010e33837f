// The ledger: committed blocks only, in LevelDB, with the indexes and the ledger-wide
// checkpoint log that proofs need. Layout: docs/formats/ledger-store.md.
//
// Thread-safety: one writer (the node's consensus owner thread) calls BuildBlock,
// ValidateBlock and Append; any number of readers may call the const methods concurrently.
#pragma once

#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
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

// Later headers a proof may carry to reach a certified block.
constexpr size_t kMaxProofChain = 100000;

// Uncommitted blocks above the ledger head that a new block follows, in height order from
// head+1: the entries of a Raft log beyond what the ledger holds. Empty for solo.
using PendingBlocks = std::span<const ParsedBlock>;

// What makes a block final: the certificate of the block itself, or the headers of its
// descendants up to the first certified one and that one's certificate.
struct Finality {
  std::vector<std::string> chain;  // header bytes of heights h+1 .. certified height
  v1::CommitCertificate certificate;
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

  // Builds the block that follows the head and `pending` from candidate transactions, in
  // order. Candidates that repeat a transaction id (of the ledger, of `pending` or of the
  // block) are left out and reported. An empty candidate list builds an empty block.
  // REQUIRES: every candidate passed ValidateTx (the node checks each on admission, in the
  // request's thread, so that signature checks run in parallel).
  BuiltBlock BuildBlock(std::vector<ParsedTx> candidates, const std::string& proposer,
                        uint64_t term, int64_t time_ms, PendingBlocks pending = {});
  // Re-validates a block as every validator does before it accepts one: the height after the
  // head and `pending`, previous hash, each transaction valid and new, the ledger-wide log
  // root and size.
  Status ValidateBlock(const ParsedBlock& block, PendingBlocks pending = {});
  // Appends a validated block, synced to disk before it returns. `certificate` is null for a
  // block that is final through a certified descendant (Raft commits older-term blocks so).
  Status Append(const ParsedBlock& block, const v1::CommitCertificate* certificate);

  Result<ParsedBlock> ReadBlock(uint64_t height) const;
  Result<std::string> ReadHeaderBytes(uint64_t height) const;
  // NotFound for a block without a certificate of its own.
  Result<v1::CommitCertificate> ReadCertificate(uint64_t height) const;
  // The certificate of `height` or of its first certified descendant (at most kMaxProofChain
  // headers later); Unavailable while no certified descendant is in the ledger yet.
  Result<Finality> ProveFinality(uint64_t height) const;
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
  // Not yet in the ledger, in `pending`, or earlier in the block.
  Status CheckNewTx(const ParsedTx& tx, const std::vector<Hash32>& earlier_in_block,
                    const std::vector<Hash32>& pending_ids) const;
  // Root and size of the ledger-wide log after `pending` and then `txs`.
  std::pair<Hash32, uint64_t> LogAfter(PendingBlocks pending, const std::vector<ParsedTx>& txs);

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
  // Blocks at the head without a certified descendant yet (a Raft follower learns the
  // certificate with the leader's next message); every block below them is certified.
  uint64_t uncertified_tail = 0;
  Hash32 head_hash{};
};
using ParallelFor = std::function<void(size_t n, const std::function<void(size_t)>& fn)>;
void SequentialFor(size_t n, const std::function<void(size_t)>& fn);
Result<AuditReport> AuditLedger(const std::string& dir, const Genesis& genesis,
                                const ParallelFor& parallel_for,
                                const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace tracery::ledger

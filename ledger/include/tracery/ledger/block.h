// Parsed transactions and blocks that keep the exact bytes they were parsed from, and the
// structural checks that need nothing but those bytes (Merkle roots, counts, limits).
// Membership, signatures and duplicates are checked by the Validator against a genesis and a
// ledger.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::ledger {

constexpr uint32_t kSchemaVersion = 1;
constexpr uint32_t kMaxCheckpointsPerTx = 1000;
constexpr size_t kMaxCheckpointBytes = 1 << 20;
constexpr size_t kMaxTxBytes = 16 << 20;
constexpr uint32_t kMaxTxsPerBlock = 20000;
constexpr size_t kMaxBlockBytes = 64 << 20;

struct ParsedTx {
  std::string bytes;  // the serialised Tx
  v1::Tx tx;
  v1::TxHeader header;
  Hash32 id;                       // SHA-256 of tx.header(), the signed bytes
  std::vector<Hash32> leaf_hashes;  // LeafHash of each checkpoint's bytes
};

// Parses a Tx and checks its structure: schema versions, 1..kMaxCheckpointsPerTx checkpoints,
// checkpoint_count and checkpoints_root matching the checkpoints it carries, limits.
Result<ParsedTx> ParseTx(std::string bytes);

struct ParsedBlock {
  std::string bytes;  // the serialised Block
  v1::BlockHeader header;
  std::string header_bytes;
  Hash32 hash;  // SHA-256 of header_bytes
  std::vector<ParsedTx> txs;
};

// Parses a Block and checks its structure: each transaction's, tx_count, txs_root.
Result<ParsedBlock> ParseBlock(std::string bytes);
Result<v1::BlockHeader> ParseBlockHeader(const std::string& header_bytes);

// Assembles a block from a header and transactions (whose structure was checked).
ParsedBlock MakeBlock(const v1::BlockHeader& header, std::vector<ParsedTx> txs);

// The Merkle root over transaction ids (the leaves are the 32 id bytes).
Hash32 TxsRoot(const std::vector<ParsedTx>& txs);
Hash32 CheckpointsRoot(const std::vector<Hash32>& leaf_hashes);

// The 48 bytes a validator signs for a block: height ‖ block hash ‖ term (big-endian).
std::string CommitVotePayload(uint64_t height, const Hash32& block_hash, uint64_t term);

}  // namespace tracery::ledger

#include "tracery/ledger/block.h"

#include "tracery/core/encoding.h"
#include "tracery/ledger/merkle.h"

namespace tracery::ledger {

Hash32 CheckpointsRoot(const std::vector<Hash32>& leaf_hashes) {
  return MerkleTree(leaf_hashes).Root();
}

Hash32 TxsRoot(const std::vector<ParsedTx>& txs) {
  MerkleTree tree;
  for (const ParsedTx& tx : txs) tree.Append(LeafHash(HashBytes(tx.id)));
  return tree.Root();
}

Result<ParsedTx> ParseTx(std::string bytes) {
  if (bytes.size() > kMaxTxBytes) {
    return InvalidArgument("transaction is " + std::to_string(bytes.size()) +
                           " bytes, above the limit of " + std::to_string(kMaxTxBytes));
  }
  ParsedTx p;
  if (!p.tx.ParseFromString(bytes)) return InvalidArgument("transaction: not a valid Tx message");
  if (p.tx.schema_version() != kSchemaVersion) {
    return InvalidArgument("transaction: unsupported schema version " +
                           std::to_string(p.tx.schema_version()));
  }
  if (!p.header.ParseFromString(p.tx.header())) {
    return InvalidArgument("transaction header: not a valid TxHeader message");
  }
  if (p.header.schema_version() != kSchemaVersion) {
    return InvalidArgument("transaction header: unsupported schema version " +
                           std::to_string(p.header.schema_version()));
  }
  const int n = p.tx.checkpoints_size();
  if (n < 1 || static_cast<uint32_t>(n) > kMaxCheckpointsPerTx) {
    return InvalidArgument("transaction carries " + std::to_string(n) +
                           " checkpoints; a transaction carries 1 to " +
                           std::to_string(kMaxCheckpointsPerTx));
  }
  if (p.header.checkpoint_count() != static_cast<uint32_t>(n)) {
    return InvalidArgument("transaction header says " +
                           std::to_string(p.header.checkpoint_count()) + " checkpoints, it carries " +
                           std::to_string(n));
  }
  p.leaf_hashes.reserve(n);
  for (const std::string& cp : p.tx.checkpoints()) {
    if (cp.size() > kMaxCheckpointBytes) return InvalidArgument("checkpoint above the size limit");
    p.leaf_hashes.push_back(LeafHash(cp));
  }
  if (HashBytes(CheckpointsRoot(p.leaf_hashes)) != p.header.checkpoints_root()) {
    return InvalidArgument("transaction: checkpoints_root does not match its checkpoints");
  }
  p.id = Sha256(p.tx.header());
  p.bytes = std::move(bytes);
  return p;
}

Result<v1::BlockHeader> ParseBlockHeader(const std::string& header_bytes) {
  v1::BlockHeader h;
  if (!h.ParseFromString(header_bytes)) return InvalidArgument("not a valid BlockHeader message");
  if (h.schema_version() != kSchemaVersion) {
    return InvalidArgument("block header: unsupported schema version " +
                           std::to_string(h.schema_version()));
  }
  if (h.previous_hash().size() != 32 || h.txs_root().size() != 32 || h.log_root().size() != 32) {
    return InvalidArgument("block header: a hash field is not 32 bytes");
  }
  return h;
}

Result<ParsedBlock> ParseBlock(std::string bytes) {
  if (bytes.size() > kMaxBlockBytes) return InvalidArgument("block above the size limit");
  v1::Block block;
  if (!block.ParseFromString(bytes)) return InvalidArgument("not a valid Block message");
  if (block.schema_version() != kSchemaVersion) {
    return InvalidArgument("block: unsupported schema version " +
                           std::to_string(block.schema_version()));
  }
  ParsedBlock p;
  ASSIGN_OR_RETURN(p.header, ParseBlockHeader(block.header()));
  const std::string where = "block " + std::to_string(p.header.height());
  if (block.txs_size() > static_cast<int>(kMaxTxsPerBlock)) {
    return InvalidArgument(where + ": too many transactions");
  }
  if (p.header.tx_count() != static_cast<uint32_t>(block.txs_size())) {
    return InvalidArgument(where + ": tx_count does not match the transactions it carries");
  }
  p.txs.reserve(block.txs_size());
  for (int i = 0; i < block.txs_size(); ++i) {
    auto tx = ParseTx(std::move(*block.mutable_txs(i)));
    if (!tx.ok()) return tx.status().Annotate(where + " tx " + std::to_string(i));
    p.txs.push_back(std::move(tx).value());
  }
  if (HashBytes(TxsRoot(p.txs)) != p.header.txs_root()) {
    return Corruption(where + ": txs_root does not match its transactions");
  }
  p.header_bytes = std::move(*block.mutable_header());
  p.hash = Sha256(p.header_bytes);
  p.bytes = std::move(bytes);
  return p;
}

ParsedBlock MakeBlock(const v1::BlockHeader& header, std::vector<ParsedTx> txs) {
  v1::Block block;
  block.set_schema_version(kSchemaVersion);
  ParsedBlock p;
  p.header = header;
  p.header_bytes = header.SerializeAsString();
  block.set_header(p.header_bytes);
  for (const ParsedTx& tx : txs) block.add_txs(tx.bytes);
  p.hash = Sha256(p.header_bytes);
  p.bytes = block.SerializeAsString();
  p.txs = std::move(txs);
  return p;
}

std::string CommitVotePayload(uint64_t height, const Hash32& block_hash, uint64_t term) {
  std::string out;
  out.reserve(48);
  PutBe64(&out, height);
  out.append(HashBytes(block_hash));
  PutBe64(&out, term);
  return out;
}

}  // namespace tracery::ledger

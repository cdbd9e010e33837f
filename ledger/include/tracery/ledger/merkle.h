// RFC 9162 (RFC 6962) Merkle trees: leaf hash SHA-256(0x00 || data), node hash
// SHA-256(0x01 || left || right), the empty tree's root SHA-256(""). Used for a checkpoint's
// inclusion in its transaction, a transaction's inclusion in its block, and the ledger-wide
// log of all checkpoints (with inclusion and consistency proofs).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"

namespace tracery::ledger {

Hash32 LeafHash(std::string_view data);
Hash32 NodeHash(const Hash32& left, const Hash32& right);
Hash32 EmptyRoot();

// An append-only Merkle tree that keeps the hash of every perfect subtree (2n hashes in all),
// so roots and proofs for any earlier size cost O(log² n) hashes.
//
// levels_[k][i] is the hash of leaves [i·2^k, (i+1)·2^k).
class MerkleTree {
 public:
  MerkleTree() = default;
  explicit MerkleTree(const std::vector<Hash32>& leaf_hashes);

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  void Append(const Hash32& leaf_hash);
  // Drops the leaves at and after `size` (used to evaluate a block before it is accepted).
  // REQUIRES: size <= this->size().
  void TruncateTo(uint64_t size);

  Hash32 Root() const { return RootAt(size()); }
  // REQUIRES: size <= this->size().
  Hash32 RootAt(uint64_t size) const;
  // The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).
  Result<std::vector<Hash32>> InclusionProof(uint64_t index, uint64_t size) const;
  // The consistency proof between the trees of the first `old_size` and `new_size` leaves
  // (RFC 9162 §2.1.4.1). Empty when old_size is 0 or equals new_size.
  Result<std::vector<Hash32>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

 private:
  Hash32 Subtree(uint64_t begin, uint64_t end) const;
  void Path(uint64_t index, uint64_t begin, uint64_t end, std::vector<Hash32>* out) const;
  void SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                std::vector<Hash32>* out) const;

  std::vector<std::vector<Hash32>> levels_;
};

// Both return Ok or a Corruption status that says which check failed.
Status VerifyInclusion(const Hash32& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash32>& path, const Hash32& root);
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash32& old_root,
                         const Hash32& new_root, const std::vector<Hash32>& path);

}  // namespace tracery::ledger

#include "tracery/ledger/merkle.h"

#include <bit>

namespace tracery::ledger {
namespace {

// The largest power of two strictly less than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

Hash32 LeafHash(std::string_view data) {
  Sha256Hasher h;
  const uint8_t prefix = 0x00;
  h.Update(&prefix, 1);
  h.Update(data);
  return h.Finish();
}

Hash32 NodeHash(const Hash32& left, const Hash32& right) {
  uint8_t buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return Sha256(std::string_view(reinterpret_cast<const char*>(buf), sizeof(buf)));
}

Hash32 EmptyRoot() { return Sha256(""); }

MerkleTree::MerkleTree(const std::vector<Hash32>& leaf_hashes) {
  for (const Hash32& h : leaf_hashes) Append(h);
}

void MerkleTree::Append(const Hash32& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Close every perfect subtree that this leaf completes.
  for (size_t k = 0; levels_[k].size() % 2 == 0; ++k) {
    if (k + 1 == levels_.size()) levels_.emplace_back();
    const auto& level = levels_[k];
    levels_[k + 1].push_back(NodeHash(level[level.size() - 2], level.back()));
  }
}

void MerkleTree::TruncateTo(uint64_t size) {
  TRACERY_CHECK(size <= this->size());
  for (size_t k = 0; k < levels_.size(); ++k) levels_[k].resize(size >> k);
  while (!levels_.empty() && levels_.back().empty() && levels_.size() > 1) levels_.pop_back();
  if (size == 0) levels_.clear();
}

Hash32 MerkleTree::Subtree(uint64_t begin, uint64_t end) const {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    return levels_[std::countr_zero(n)][begin / n];
  }
  const uint64_t k = SplitPoint(n);
  return NodeHash(Subtree(begin, begin + k), Subtree(begin + k, end));
}

Hash32 MerkleTree::RootAt(uint64_t size) const {
  TRACERY_CHECK(size <= this->size());
  return size == 0 ? EmptyRoot() : Subtree(0, size);
}

void MerkleTree::Path(uint64_t index, uint64_t begin, uint64_t end,
                      std::vector<Hash32>* out) const {
  const uint64_t n = end - begin;
  if (n <= 1) return;
  const uint64_t k = SplitPoint(n);
  if (index < k) {
    Path(index, begin, begin + k, out);
    out->push_back(Subtree(begin + k, end));
  } else {
    Path(index - k, begin + k, end, out);
    out->push_back(Subtree(begin, begin + k));
  }
}

Result<std::vector<Hash32>> MerkleTree::InclusionProof(uint64_t index, uint64_t size) const {
  if (size > this->size()) {
    return NotFound("tree size " + std::to_string(size) + " is beyond the current size " +
                    std::to_string(this->size()));
  }
  if (index >= size) {
    return InvalidArgument("leaf index " + std::to_string(index) + " is not below tree size " +
                           std::to_string(size));
  }
  std::vector<Hash32> path;
  Path(index, 0, size, &path);
  return path;
}

void MerkleTree::SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                          std::vector<Hash32>* out) const {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out->push_back(Subtree(begin, end));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, whole, out);
    out->push_back(Subtree(begin + k, end));
  } else {
    SubProof(m - k, begin + k, end, false, out);
    out->push_back(Subtree(begin, begin + k));
  }
}

Result<std::vector<Hash32>> MerkleTree::ConsistencyProof(uint64_t old_size,
                                                         uint64_t new_size) const {
  if (new_size > size()) {
    return NotFound("tree size " + std::to_string(new_size) + " is beyond the current size " +
                    std::to_string(size()));
  }
  if (old_size > new_size) {
    return InvalidArgument("old size " + std::to_string(old_size) + " is above new size " +
                           std::to_string(new_size));
  }
  std::vector<Hash32> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  SubProof(old_size, 0, new_size, true, &proof);
  return proof;
}

Status VerifyInclusion(const Hash32& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash32>& path, const Hash32& root) {
  if (index >= size) return Corruption("inclusion: leaf index is not below the tree size");
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash32 r = leaf_hash;
  for (const Hash32& p : path) {
    if (sn == 0) return Corruption("inclusion: the path is longer than the tree is deep");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("inclusion: the path is shorter than the tree is deep");
  if (r != root) return Corruption("inclusion: the path does not lead to the root");
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash32& old_root,
                         const Hash32& new_root, const std::vector<Hash32>& path) {
  if (old_size > new_size) return Corruption("consistency: old size is above new size");
  if (old_size == new_size) {
    if (!path.empty()) return Corruption("consistency: proof must be empty for equal sizes");
    if (old_root != new_root) return Corruption("consistency: equal sizes with different roots");
    return Status::Ok();
  }
  if (old_size == 0) {
    if (!path.empty()) return Corruption("consistency: proof must be empty from size 0");
    if (old_root != EmptyRoot()) return Corruption("consistency: size 0 has the empty root");
    return Status::Ok();
  }
  if (path.empty()) return Corruption("consistency: the proof is empty");
  std::vector<Hash32> p;
  if (std::has_single_bit(old_size)) p.push_back(old_root);
  p.insert(p.end(), path.begin(), path.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash32 fr = p[0];
  Hash32 sr = p[0];
  for (size_t i = 1; i < p.size(); ++i) {
    if (sn == 0) return Corruption("consistency: the proof is too long");
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(p[i], fr);
      sr = NodeHash(p[i], sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, p[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("consistency: the proof is too short");
  if (fr != old_root) return Corruption("consistency: the proof does not lead to the old root");
  if (sr != new_root) return Corruption("consistency: the proof does not lead to the new root");
  return Status::Ok();
}

}  // namespace tracery::ledger

// Differential tests: MerkleTree's roots and proofs against the recursive definitions of
// RFC 9162 §2.1, computed naively from the leaves.
#include <gtest/gtest.h>

#include <bit>
#include <random>

#include "tracery/ledger/merkle.h"

namespace tracery::ledger {
namespace {

using Leaves = std::vector<Hash32>;

Leaves MakeLeaves(size_t n) {
  Leaves out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash("leaf " + std::to_string(i)));
  return out;
}

uint64_t Split(uint64_t n) { return std::bit_floor(n - 1); }

Hash32 NaiveRoot(const Leaves& l, uint64_t b, uint64_t e) {
  if (e == b) return EmptyRoot();
  if (e - b == 1) return l[b];
  const uint64_t k = Split(e - b);
  return NodeHash(NaiveRoot(l, b, b + k), NaiveRoot(l, b + k, e));
}

void NaivePath(const Leaves& l, uint64_t m, uint64_t b, uint64_t e, Leaves* out) {
  if (e - b <= 1) return;
  const uint64_t k = Split(e - b);
  if (m < k) {
    NaivePath(l, m, b, b + k, out);
    out->push_back(NaiveRoot(l, b + k, e));
  } else {
    NaivePath(l, m - k, b + k, e, out);
    out->push_back(NaiveRoot(l, b, b + k));
  }
}

void NaiveSubProof(const Leaves& l, uint64_t m, uint64_t b, uint64_t e, bool whole, Leaves* out) {
  if (m == e - b) {
    if (!whole) out->push_back(NaiveRoot(l, b, e));
    return;
  }
  const uint64_t k = Split(e - b);
  if (m <= k) {
    NaiveSubProof(l, m, b, b + k, whole, out);
    out->push_back(NaiveRoot(l, b + k, e));
  } else {
    NaiveSubProof(l, m - k, b + k, e, false, out);
    out->push_back(NaiveRoot(l, b, b + k));
  }
}

TEST(Merkle, KnownRoots) {
  EXPECT_EQ(HashHex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The leaf and node prefixes keep a leaf from passing for a node.
  const Hash32 a = LeafHash("a");
  EXPECT_NE(LeafHash(std::string(1, '\x01') + HashBytes(a) + HashBytes(a)), NodeHash(a, a));
  EXPECT_EQ(MerkleTree({a}).Root(), a);
}

TEST(Merkle, RootsMatchNaiveForEverySize) {
  const Leaves l = MakeLeaves(130);
  MerkleTree tree;
  EXPECT_EQ(tree.Root(), EmptyRoot());
  for (uint64_t n = 1; n <= l.size(); ++n) {
    tree.Append(l[n - 1]);
    ASSERT_EQ(tree.Root(), NaiveRoot(l, 0, n)) << "size " << n;
    for (uint64_t m = 0; m <= n; m += 7) EXPECT_EQ(tree.RootAt(m), NaiveRoot(l, 0, m));
  }
}

TEST(Merkle, InclusionProofsMatchNaiveAndVerify) {
  const Leaves l = MakeLeaves(70);
  const MerkleTree tree(l);
  for (uint64_t n = 1; n <= l.size(); ++n) {
    const Hash32 root = NaiveRoot(l, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      auto path = tree.InclusionProof(i, n);
      ASSERT_TRUE(path.ok());
      Leaves naive;
      NaivePath(l, i, 0, n, &naive);
      ASSERT_EQ(*path, naive) << "index " << i << " size " << n;
      ASSERT_TRUE(VerifyInclusion(l[i], i, n, *path, root).ok());
      // Wrong index, wrong size, wrong leaf, tampered path, truncated path: all refused.
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(l[i], (i + 1) % n, n, *path, root).ok());
      }
      EXPECT_FALSE(VerifyInclusion(LeafHash("other"), i, n, *path, root).ok());
      if (!path->empty()) {
        Leaves bad = *path;
        bad[bad.size() / 2][0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(l[i], i, n, bad, root).ok());
        bad = *path;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(l[i], i, n, bad, root).ok());
      }
      Leaves longer = *path;
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(l[i], i, n, longer, root).ok());
    }
  }
  EXPECT_FALSE(tree.InclusionProof(5, 5).ok());
  EXPECT_FALSE(tree.InclusionProof(0, 71).ok());
}

TEST(Merkle, InclusionRefusedAtAWrongTreeSize) {
  const Leaves l = MakeLeaves(12);
  const MerkleTree tree(l);
  auto path = tree.InclusionProof(5, 12).value();
  const Hash32 root = tree.RootAt(12);
  // Sizes 9..16 give leaf 5 the same path shape (the size is bound by the signed header that
  // carries the root); sizes that change the shape must be refused.
  for (uint64_t size : {6u, 8u, 17u, 32u}) {
    EXPECT_FALSE(VerifyInclusion(l[5], 5, size, path, root).ok()) << size;
  }
}

TEST(Merkle, ConsistencyProofsMatchNaiveAndVerify) {
  const Leaves l = MakeLeaves(48);
  const MerkleTree tree(l);
  for (uint64_t n = 1; n <= l.size(); ++n) {
    for (uint64_t m = 1; m <= n; ++m) {
      auto proof = tree.ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok());
      Leaves naive;
      if (m < n) NaiveSubProof(l, m, 0, n, true, &naive);
      ASSERT_EQ(*proof, naive) << m << " -> " << n;
      const Hash32 old_root = NaiveRoot(l, 0, m);
      const Hash32 new_root = NaiveRoot(l, 0, n);
      ASSERT_TRUE(VerifyConsistency(m, n, old_root, new_root, *proof).ok()) << m << " -> " << n;
      if (m < n) {
        EXPECT_FALSE(VerifyConsistency(m, n, LeafHash("x"), new_root, *proof).ok());
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, LeafHash("x"), *proof).ok());
        Leaves bad = *proof;
        bad.back()[3] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, bad).ok());
        if (n + 1 <= l.size()) {
          EXPECT_FALSE(VerifyConsistency(m, n + 1, old_root, NaiveRoot(l, 0, n + 1), *proof).ok());
        }
      }
    }
  }
  EXPECT_TRUE(VerifyConsistency(0, 5, EmptyRoot(), NaiveRoot(l, 0, 5), {}).ok());
  EXPECT_FALSE(tree.ConsistencyProof(6, 5).ok());
}

TEST(Merkle, TruncateRestoresEarlierState) {
  const Leaves l = MakeLeaves(100);
  std::mt19937_64 rng(7);
  MerkleTree tree;
  for (int round = 0; round < 200; ++round) {
    const uint64_t target = rng() % l.size();
    if (target < tree.size()) {
      tree.TruncateTo(target);
    } else {
      while (tree.size() < target) tree.Append(l[tree.size()]);
    }
    ASSERT_EQ(tree.Root(), NaiveRoot(l, 0, tree.size()));
  }
}

}  // namespace
}  // namespace tracery::ledger

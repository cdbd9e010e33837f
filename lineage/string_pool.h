// Interning of strings to dense uint32 ids, compactly: one byte arena, one offset per string and
// an open-addressing table of ids. The lot graph holds a million identifiers, so a
// std::unordered_map<std::string, uint32_t> (about 100 bytes of overhead per entry) would cost
// more than the identifiers themselves.
//
// Ids are assigned 0, 1, 2, ... in the order strings are first interned, so two pools fed the
// same sequence assign the same ids (the index depends on this to be deterministic).
//
// Thread-compatible: const methods may run concurrently; Intern needs exclusive access.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"

namespace tracery::lineage {

class StringPool {
 public:
  // Returns the id of `s`, adding it when new; `*added` (when given) says which.
  uint32_t Intern(std::string_view s, bool* added = nullptr);
  std::optional<uint32_t> Find(std::string_view s) const {
    return Find(s, [](uint32_t) {});
  }
  // Find, calling candidate(id) for each slot whose tag matches before its bytes are compared
  // (so a caller can prefetch what it will read about that id while the comparison waits).
  template <typename OnCandidate>
  std::optional<uint32_t> Find(std::string_view s, OnCandidate&& candidate) const {
    const uint64_t hash = Hash(s);
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    const size_t mask = slots_.size() - 1;
    for (size_t h = hash & mask; slots_[h].id_plus_one != 0; h = (h + 1) & mask) {
      if (slots_[h].tag != tag) continue;
      candidate(slots_[h].id_plus_one - 1);
      if (Matches(slots_[h], tag, s)) return slots_[h].id_plus_one - 1;
    }
    return std::nullopt;
  }
  // REQUIRES: id < size().
  std::string_view Get(uint32_t id) const {
    TRACERY_CHECK(id < size());
    return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  uint32_t size() const { return static_cast<uint32_t>(offsets_.size() - 1); }
  // Stage 0 fetches the offset of `id`, stage 1 its bytes (see LotGraph::PrefetchNodeId).
  void Prefetch(uint32_t id, int stage) const {
    if (stage == 0) {
      __builtin_prefetch(&offsets_[id]);
    } else {
      __builtin_prefetch(arena_.data() + offsets_[id]);
    }
  }
  size_t arena_bytes() const { return arena_.size(); }

 private:
  // A hash slot holds where its string is, so a lookup reads the slot and then the bytes: two
  // dependent memory accesses, not three (the offsets array is not on the way).
  struct Slot {
    uint32_t id_plus_one = 0;  // 0: empty
    uint32_t tag = 0;          // high bits of the hash: most mismatches never read the bytes
    uint64_t where = 0;        // offset << kSizeBits | size
  };
  static constexpr int kSizeBits = 24;  // strings come from checkpoints of at most 1 MiB
  static uint64_t Hash(std::string_view s) { return std::hash<std::string_view>()(s); }
  bool Matches(const Slot& slot, uint32_t tag, std::string_view s) const {
    return slot.tag == tag && (slot.where & ((1u << kSizeBits) - 1)) == s.size() &&
           std::string_view(arena_).substr(slot.where >> kSizeBits, s.size()) == s;
  }
  void Grow();

  std::string arena_;
  std::vector<uint64_t> offsets_{0};  // string i is arena_[offsets_[i], offsets_[i+1])
  std::vector<Slot> slots_ = std::vector<Slot>(16);  // linear probing; at most half full
};

// An open-addressing map from uint32 keys (never 0xffffffff) to uint32 values, for the
// per-query visited sets: far cheaper than std::unordered_map when a query touches thousands of
// nodes, and reusable: Clear() costs what the last use inserted, not the capacity. Iteration
// order is not offered, so nothing can depend on it.
class FlatMap32 {
 public:
  static constexpr uint32_t kEmpty = 0xffffffff;
  explicit FlatMap32(size_t expected = 16);
  // The value of `key`, or nullptr.
  const uint32_t* Find(uint32_t key) const {
    for (size_t h = Mix(key) & mask_; entries_[h].key != kEmpty; h = (h + 1) & mask_) {
      if (entries_[h].key == key) return &entries_[h].value;
    }
    return nullptr;
  }
  // Inserts (key, value) when absent; returns false (and keeps the old value) when present.
  bool Insert(uint32_t key, uint32_t value);
  // Empties the map, keeping its capacity unless it is above `max_kept_entries`.
  void Clear(size_t max_kept_entries);
  size_t size() const { return used_.size(); }

 private:
  struct Entry {
    uint32_t key;
    uint32_t value;
  };
  static size_t Mix(uint32_t key) { return static_cast<size_t>(key) * 0x9E3779B97F4A7C15ull >> 7; }
  void Allocate(size_t capacity);
  void Grow();
  std::vector<Entry> entries_;
  std::vector<uint32_t> used_;  // positions of the entries in use
  size_t mask_ = 0;
};

}  // namespace tracery::lineage

#include "string_pool.h"

#include <bit>

namespace tracery::lineage {

uint32_t StringPool::Intern(std::string_view s, bool* added) {
  const uint64_t hash = Hash(s);
  const uint32_t tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  size_t h = hash & mask;
  for (; slots_[h].id_plus_one != 0; h = (h + 1) & mask) {
    if (Matches(slots_[h], tag, s)) {
      if (added != nullptr) *added = false;
      return slots_[h].id_plus_one - 1;
    }
  }
  TRACERY_CHECK(size() < 0xfffffffe);  // callers bound the pool far below (kMaxGraphNodes)
  TRACERY_CHECK(s.size() < (1u << kSizeBits));
  const uint32_t id = size();
  slots_[h] = {id + 1, tag, (static_cast<uint64_t>(arena_.size()) << kSizeBits) | s.size()};
  arena_.append(s);
  offsets_.push_back(arena_.size());
  if (added != nullptr) *added = true;
  if (static_cast<size_t>(size()) * 2 > slots_.size()) Grow();
  return id;
}

void StringPool::Grow() {
  std::vector<Slot> slots(slots_.size() * 2);
  const size_t mask = slots.size() - 1;
  for (const Slot& slot : slots_) {
    if (slot.id_plus_one == 0) continue;
    const uint64_t hash = Hash(Get(slot.id_plus_one - 1));
    size_t h = hash & mask;
    while (slots[h].id_plus_one != 0) h = (h + 1) & mask;
    slots[h] = slot;
  }
  slots_ = std::move(slots);
}

FlatMap32::FlatMap32(size_t expected) {
  Allocate(std::bit_ceil(std::max<size_t>(16, expected * 2)));
}

void FlatMap32::Allocate(size_t capacity) {
  entries_.assign(capacity, Entry{kEmpty, 0});
  used_.clear();
  mask_ = capacity - 1;
}

bool FlatMap32::Insert(uint32_t key, uint32_t value) {
  TRACERY_CHECK(key != kEmpty);
  size_t h = Mix(key) & mask_;
  for (; entries_[h].key != kEmpty; h = (h + 1) & mask_) {
    if (entries_[h].key == key) return false;
  }
  entries_[h] = {key, value};
  used_.push_back(static_cast<uint32_t>(h));
  if (used_.size() * 2 > entries_.size()) Grow();
  return true;
}

void FlatMap32::Clear(size_t max_kept_entries) {
  if (entries_.size() > max_kept_entries) {
    std::vector<Entry>().swap(entries_);
    std::vector<uint32_t>().swap(used_);
    Allocate(16);
    return;
  }
  for (uint32_t h : used_) entries_[h].key = kEmpty;
  used_.clear();
}

void FlatMap32::Grow() {
  std::vector<Entry> old;
  old.swap(entries_);
  Allocate(old.size() * 2);
  for (const Entry& e : old) {
    if (e.key == kEmpty) continue;
    size_t h = Mix(e.key) & mask_;
    while (entries_[h].key != kEmpty) h = (h + 1) & mask_;
    entries_[h] = e;
    used_.push_back(static_cast<uint32_t>(h));
  }
}

}  // namespace tracery::lineage

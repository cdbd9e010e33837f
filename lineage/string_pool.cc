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

std::optional<uint32_t> StringPool::Find(std::string_view s) const {
  const uint64_t hash = Hash(s);
  const uint32_t tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t h = hash & mask; slots_[h].id_plus_one != 0; h = (h + 1) & mask) {
    if (Matches(slots_[h], tag, s)) return slots_[h].id_plus_one - 1;
  }
  return std::nullopt;
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
  const size_t cap = std::bit_ceil(std::max<size_t>(16, expected * 2));
  keys_.assign(cap, kEmpty);
  values_.resize(cap);
  mask_ = cap - 1;
}

const uint32_t* FlatMap32::Find(uint32_t key) const {
  for (size_t h = Mix(key) & mask_; keys_[h] != kEmpty; h = (h + 1) & mask_) {
    if (keys_[h] == key) return &values_[h];
  }
  return nullptr;
}

bool FlatMap32::Insert(uint32_t key, uint32_t value) {
  TRACERY_CHECK(key != kEmpty);
  size_t h = Mix(key) & mask_;
  for (; keys_[h] != kEmpty; h = (h + 1) & mask_) {
    if (keys_[h] == key) return false;
  }
  keys_[h] = key;
  values_[h] = value;
  if (++size_ * 2 > keys_.size()) Grow();
  return true;
}

void FlatMap32::Grow() {
  std::vector<uint32_t> keys(keys_.size() * 2, kEmpty);
  std::vector<uint32_t> values(keys.size());
  const size_t mask = keys.size() - 1;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == kEmpty) continue;
    size_t h = Mix(keys_[i]) & mask;
    while (keys[h] != kEmpty) h = (h + 1) & mask;
    keys[h] = keys_[i];
    values[h] = values_[i];
  }
  keys_ = std::move(keys);
  values_ = std::move(values);
  mask_ = mask;
}

}  // namespace tracery::lineage

#include "raft_storage.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "tracery/core/leveldb.h"
#include "tracery/core/encoding.h"

namespace tracery::node {
namespace {

constexpr char kHardStateKey[] = "s";
constexpr char kEntryPrefix = 'e';

std::string EntryKey(uint64_t index) {
  std::string k(1, kEntryPrefix);
  PutBe64(&k, index);
  return k;
}

}  // namespace

RaftStorage::RaftStorage(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
RaftStorage::~RaftStorage() = default;

Result<std::unique_ptr<RaftStorage>> RaftStorage::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "raft log"));
  return std::unique_ptr<RaftStorage>(new RaftStorage(std::move(db)));
}

Result<RaftStorage::State> RaftStorage::Load(uint64_t applied) {
  State state;
  std::string value;
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  leveldb::Status s = db_->Get(ro, kHardStateKey, &value);
  if (s.ok()) {
    if (value.size() < 16) return Corruption("raft hard state is shorter than 16 bytes");
    state.hard_state.term = GetBe64(value);
    state.hard_state.commit = GetBe64(value.substr(8));
    state.hard_state.vote = value.substr(16);
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "read raft hard state");
  }
  first_index_ = last_index_ = 0;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  const std::string start(1, kEntryPrefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    const std::string key = it->key().ToString();
    const std::string v = it->value().ToString();
    if (key.size() != 9 || v.size() < 8) return Corruption("raft log entry has a bad key or value");
    consensus::Entry e;
    e.index = GetBe64(key.substr(1));
    e.term = GetBe64(v);
    if (first_index_ == 0) first_index_ = e.index;
    if (last_index_ != 0 && e.index != last_index_ + 1) {
      return Corruption("raft log has a gap after entry " + std::to_string(last_index_));
    }
    last_index_ = e.index;
    if (e.index <= applied) continue;  // in the ledger already
    e.data = v.substr(8);
    state.entries.push_back(std::move(e));
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read raft log"));
  if (!state.entries.empty() && state.entries.front().index != applied + 1) {
    return Corruption("raft log starts at entry " + std::to_string(state.entries.front().index) +
                      " but the ledger ends at block " + std::to_string(applied));
  }
  return state;
}

Status RaftStorage::Save(const consensus::Ready& ready) {
  if (!ready.hard_state_changed && ready.entries.empty()) return Status::Ok();
  leveldb::WriteBatch batch;
  if (ready.hard_state_changed) {
    std::string v;
    PutBe64(&v, ready.hard_state.term);
    PutBe64(&v, ready.hard_state.commit);
    v += ready.hard_state.vote;
    batch.Put(kHardStateKey, v);
  }
  uint64_t first = first_index_;
  uint64_t last = last_index_;
  if (!ready.entries.empty()) {
    const uint64_t from = ready.entries.front().index;
    // A new leader's entries replace a conflicting suffix.
    for (uint64_t i = std::max(from, first_index_); last_index_ != 0 && i <= last_index_; ++i) {
      batch.Delete(EntryKey(i));
    }
    for (const consensus::Entry& e : ready.entries) {
      std::string v;
      v.reserve(8 + e.data.size());
      PutBe64(&v, e.term);
      v += e.data;
      batch.Put(EntryKey(e.index), v);
    }
    if (first == 0 || from < first) first = from;
    last = ready.entries.back().index;
  }
  leveldb::WriteOptions wo;
  wo.sync = true;  // persist before any message of the same Ready is sent
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write raft log"));
  first_index_ = first;
  last_index_ = last;
  return Status::Ok();
}

Status RaftStorage::Compact(uint64_t index) {
  if (first_index_ == 0 || index < first_index_) return Status::Ok();
  leveldb::WriteBatch batch;
  const uint64_t upto = std::min(index, last_index_);
  for (uint64_t i = first_index_; i <= upto; ++i) batch.Delete(EntryKey(i));
  RETURN_IF_ERROR(FromLevelDb(db_->Write(leveldb::WriteOptions(), &batch), "compact raft log"));
  if (upto == last_index_) {
    first_index_ = last_index_ = 0;
  } else {
    first_index_ = upto + 1;
  }
  return Status::Ok();
}

Status RaftStorage::TruncateAfter(uint64_t index) {
  if (last_index_ == 0 || index >= last_index_) return Status::Ok();
  leveldb::WriteBatch batch;
  for (uint64_t i = std::max(index + 1, first_index_); i <= last_index_; ++i) {
    batch.Delete(EntryKey(i));
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "truncate raft log"));
  if (index < first_index_) {
    first_index_ = last_index_ = 0;
  } else {
    last_index_ = index;
  }
  return Status::Ok();
}

Status RaftStorage::Clear() { return Compact(last_index_); }

}  // namespace tracery::node

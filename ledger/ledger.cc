#include "tracery/ledger/ledger.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"
#include "tracery/ledger/validator.h"

namespace tracery::ledger {
namespace {

constexpr char kBlockPrefix = 'b';
constexpr char kHeaderPrefix = 'h';
constexpr char kCertificatePrefix = 'c';
constexpr char kTxPrefix = 't';
constexpr char kEventPrefix = 'e';
constexpr char kLogPrefix = 'l';

std::string HeightKey(char prefix, uint64_t height) {
  std::string k(1, prefix);
  PutBe64(&k, height);
  return k;
}

std::string TxKey(const Hash32& id) { return std::string(1, kTxPrefix) + HashBytes(id); }

std::string EventPrefixKey(const std::string& event_id) {
  std::string k(1, kEventPrefix);
  k += event_id;
  k.push_back('\0');
  return k;
}

}  // namespace

std::string BlockKey(uint64_t height) { return HeightKey(kBlockPrefix, height); }
std::string HeaderKey(uint64_t height) { return HeightKey(kHeaderPrefix, height); }
std::string CertificateKey(uint64_t height) { return HeightKey(kCertificatePrefix, height); }

Ledger::Ledger(const Genesis& genesis, std::unique_ptr<leveldb::DB> db)
    : genesis_(genesis), db_(std::move(db)) {}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, const Genesis& genesis) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "ledger store", 32 << 20));
  std::unique_ptr<Ledger> ledger(new Ledger(genesis, std::move(db)));
  RETURN_IF_ERROR(ledger->Load());
  return ledger;
}

Status Ledger::Load() {
  head_ = Head{0, genesis_.hash(), 0, EmptyRoot()};
  // The header hash chain.
  std::vector<std::pair<uint64_t, Hash32>> log_marks;  // (log size, log root) per header
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  const std::string start(1, kHeaderPrefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    const uint64_t expected = head_.height + 1;
    const std::string where = "ledger chain breaks at height " + std::to_string(expected);
    if (it->key().size() != 9 || GetBe64(it->key().ToString().substr(1)) != expected) {
      return Corruption(where + ": header missing or out of order");
    }
    std::string bytes = it->value().ToString();
    auto header = ParseBlockHeader(bytes);
    if (!header.ok()) return Corruption(where + ": " + header.status().message());
    if (header->height() != expected) return Corruption(where + ": header names another height");
    if (header->previous_hash() != HashBytes(head_.hash)) {
      return Corruption(where + ": previous_hash does not match block " +
                        std::to_string(head_.height));
    }
    if (header->log_size() < head_.log_size) return Corruption(where + ": log size decreases");
    head_.height = expected;
    head_.hash = Sha256(bytes);
    head_.log_size = header->log_size();
    ASSIGN_OR_RETURN(head_.log_root, HashFromBytes(header->log_root()));
    log_marks.emplace_back(head_.log_size, head_.log_root);
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read ledger headers"));
  // The ledger-wide log.
  const std::string log_start(1, kLogPrefix);
  for (it->Seek(log_start); it->Valid() && it->key().starts_with(log_start); it->Next()) {
    if (GetBe64(it->key().ToString().substr(1)) != log_.size() || it->value().size() != 32) {
      return Corruption("ledger log entry " + std::to_string(log_.size()) + " is missing or bad");
    }
    ASSIGN_OR_RETURN(Hash32 leaf, HashFromBytes(it->value().ToString()));
    log_.Append(leaf);
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read ledger log"));
  if (log_.size() != head_.log_size) {
    return Corruption("ledger log holds " + std::to_string(log_.size()) +
                      " checkpoints, the head header says " + std::to_string(head_.log_size));
  }
  for (size_t i = 0; i < log_marks.size(); ++i) {
    if (log_.RootAt(log_marks[i].first) != log_marks[i].second) {
      return Corruption("ledger log root does not match the header of block " +
                        std::to_string(i + 1));
    }
  }
  if (head_.height > 0) {
    auto block = ReadBlock(head_.height);
    if (!block.ok()) return block.status();
  }
  return Status::Ok();
}

Head Ledger::head() const {
  std::shared_lock lock(mu_);
  return head_;
}

Status Ledger::CheckNewTx(const ParsedTx& tx, const std::vector<Hash32>& earlier,
                          const std::vector<Hash32>& pending_ids) const {
  for (const Hash32& id : earlier) {
    if (id == tx.id) return AlreadyExists("transaction " + HashHex(tx.id) + " is twice in the block");
  }
  if (std::binary_search(pending_ids.begin(), pending_ids.end(), tx.id)) {
    return AlreadyExists("transaction " + HashHex(tx.id) + " is in an uncommitted block");
  }
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), TxKey(tx.id), &value);
  if (s.ok()) return AlreadyExists("transaction " + HashHex(tx.id) + " is already in the ledger");
  if (!s.IsNotFound()) return FromLevelDb(s, "read tx index");
  return Status::Ok();
}

namespace {

// Sorted ids of the transactions in `pending`.
std::vector<Hash32> PendingTxIds(PendingBlocks pending) {
  std::vector<Hash32> ids;
  for (const ParsedBlock& b : pending) {
    for (const ParsedTx& tx : b.txs) ids.push_back(tx.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

std::pair<Hash32, uint64_t> Ledger::LogAfter(PendingBlocks pending,
                                             const std::vector<ParsedTx>& txs) {
  std::unique_lock lock(mu_);
  const uint64_t base = log_.size();
  for (const ParsedBlock& b : pending) {
    for (const ParsedTx& tx : b.txs) {
      for (const Hash32& leaf : tx.leaf_hashes) log_.Append(leaf);
    }
  }
  for (const ParsedTx& tx : txs) {
    for (const Hash32& leaf : tx.leaf_hashes) log_.Append(leaf);
  }
  std::pair<Hash32, uint64_t> out{log_.Root(), log_.size()};
  log_.TruncateTo(base);
  return out;
}

BuiltBlock Ledger::BuildBlock(std::vector<ParsedTx> candidates, const std::string& proposer,
                              uint64_t term, int64_t time_ms, PendingBlocks pending) {
  const Head head = this->head();
  TRACERY_CHECK(pending.empty() || pending.front().header.height() == head.height + 1);
  BuiltBlock out;
  const std::vector<Hash32> pending_ids = PendingTxIds(pending);
  std::vector<ParsedTx> accepted;
  std::vector<Hash32> ids;
  for (ParsedTx& tx : candidates) {
    Status st = CheckNewTx(tx, ids, pending_ids);
    if (!st.ok()) {
      out.rejected.emplace_back(tx.id, st);
      continue;
    }
    ids.push_back(tx.id);
    accepted.push_back(std::move(tx));
  }
  const auto [log_root, log_size] = LogAfter(pending, accepted);
  v1::BlockHeader h;
  h.set_schema_version(kSchemaVersion);
  h.set_height(head.height + pending.size() + 1);
  h.set_previous_hash(HashBytes(pending.empty() ? head.hash : pending.back().hash));
  h.set_txs_root(HashBytes(TxsRoot(accepted)));
  h.set_tx_count(static_cast<uint32_t>(accepted.size()));
  h.set_log_root(HashBytes(log_root));
  h.set_log_size(log_size);
  h.set_proposer(proposer);
  h.set_term(term);
  h.set_time_ms(time_ms);
  out.block = MakeBlock(h, std::move(accepted));
  return out;
}

Status Ledger::ValidateBlock(const ParsedBlock& block, PendingBlocks pending) {
  const std::string where = "block " + std::to_string(block.header.height());
  const Head head = this->head();
  TRACERY_CHECK(pending.empty() || pending.front().header.height() == head.height + 1);
  const uint64_t expected = head.height + pending.size() + 1;
  if (block.header.height() != expected) {
    return FailedPrecondition(where + ": expected height " + std::to_string(expected));
  }
  const Hash32& parent = pending.empty() ? head.hash : pending.back().hash;
  if (block.header.previous_hash() != HashBytes(parent)) {
    return InvalidArgument(where + ": previous_hash does not match the block before it");
  }
  if (!pending.empty() && block.header.term() < pending.back().header.term()) {
    return InvalidArgument(where + ": term is lower than the term of the block before it");
  }
  const std::vector<Hash32> pending_ids = PendingTxIds(pending);
  std::vector<Hash32> ids;
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const ParsedTx& tx = block.txs[i];
    Status st = ValidateTx(tx, genesis_);
    if (st.ok()) st = CheckNewTx(tx, ids, pending_ids);
    if (!st.ok()) return st.Annotate(where + " tx " + std::to_string(i));
    ids.push_back(tx.id);
  }
  const auto [log_root, log_size] = LogAfter(pending, block.txs);
  if (block.header.log_size() != log_size || block.header.log_root() != HashBytes(log_root)) {
    return InvalidArgument(where + ": ledger-wide log root or size is wrong");
  }
  return Status::Ok();
}

Status Ledger::Append(const ParsedBlock& block, const v1::CommitCertificate* certificate) {
  const uint64_t height = block.header.height();
  TRACERY_CHECK(height == head().height + 1);
  leveldb::WriteBatch batch;
  batch.Put(BlockKey(height), block.bytes);
  batch.Put(HeaderKey(height), block.header_bytes);
  if (certificate != nullptr) batch.Put(CertificateKey(height), certificate->SerializeAsString());
  uint64_t log_index = head().log_size;
  std::vector<Hash32> leaves;
  for (size_t pos = 0; pos < block.txs.size(); ++pos) {
    const ParsedTx& tx = block.txs[pos];
    std::string loc;
    PutBe64(&loc, height);
    PutBe32(&loc, static_cast<uint32_t>(pos));
    batch.Put(TxKey(tx.id), loc);
    for (int i = 0; i < tx.tx.checkpoints_size(); ++i) {
      v1::Checkpoint cp;
      TRACERY_CHECK(cp.ParseFromString(tx.tx.checkpoints(i)));  // validated before Append
      std::string key = EventPrefixKey(cp.event_id());
      PutBe64(&key, height);
      PutBe32(&key, static_cast<uint32_t>(pos));
      PutBe32(&key, static_cast<uint32_t>(i));
      batch.Put(key, "");
      batch.Put(HeightKey(kLogPrefix, log_index++), HashBytes(tx.leaf_hashes[i]));
      leaves.push_back(tx.leaf_hashes[i]);
    }
  }
  leveldb::WriteOptions wo;
  wo.sync = true;  // durability is promised: the block is on disk before anyone hears of it
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "append block"));
  std::unique_lock lock(mu_);
  for (const Hash32& leaf : leaves) log_.Append(leaf);
  head_.height = height;
  head_.hash = block.hash;
  head_.log_size = log_.size();
  head_.log_root = log_.Root();
  return Status::Ok();
}

Result<Finality> Ledger::ProveFinality(uint64_t height) const {
  const uint64_t head_height = head().height;
  if (height == 0 || height > head_height) {
    return NotFound("no block at height " + std::to_string(height));
  }
  Finality f;
  for (uint64_t h = height; h <= head_height && f.chain.size() <= kMaxProofChain; ++h) {
    if (h > height) {
      ASSIGN_OR_RETURN(std::string header, ReadHeaderBytes(h));
      f.chain.push_back(std::move(header));
    }
    auto cert = ReadCertificate(h);
    if (cert.ok()) {
      f.certificate = std::move(cert).value();
      return f;
    }
    if (cert.status().code() != Code::kNotFound) return cert.status();
  }
  return Unavailable("block " + std::to_string(height) +
                     " is committed but no certified descendant is in this ledger yet; retry");
}

Result<std::string> Ledger::ReadHeaderBytes(uint64_t height) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), HeaderKey(height), &value);
  if (s.IsNotFound()) return NotFound("no block at height " + std::to_string(height));
  RETURN_IF_ERROR(FromLevelDb(s, "read header " + std::to_string(height)));
  return value;
}

Result<ParsedBlock> Ledger::ReadBlock(uint64_t height) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), BlockKey(height), &value);
  if (s.IsNotFound()) return NotFound("no block at height " + std::to_string(height));
  RETURN_IF_ERROR(FromLevelDb(s, "read block " + std::to_string(height)));
  auto block = ParseBlock(std::move(value));
  const std::string where = "stored block " + std::to_string(height);
  if (!block.ok()) return Corruption(where + " does not verify: " + block.status().message());
  ASSIGN_OR_RETURN(std::string header_bytes, ReadHeaderBytes(height));
  if (header_bytes != block->header_bytes || block->header.height() != height) {
    return Corruption(where + " does not match its header in the hash chain");
  }
  return block;
}

Result<v1::CommitCertificate> Ledger::ReadCertificate(uint64_t height) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), CertificateKey(height), &value);
  if (s.IsNotFound()) return NotFound("no certificate at height " + std::to_string(height));
  RETURN_IF_ERROR(FromLevelDb(s, "read certificate"));
  v1::CommitCertificate cert;
  if (!cert.ParseFromString(value)) {
    return Corruption("stored certificate " + std::to_string(height) + " does not parse");
  }
  return cert;
}

Result<TxLocation> Ledger::FindTx(const Hash32& tx_id) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), TxKey(tx_id), &value);
  if (s.IsNotFound()) return NotFound("transaction " + HashHex(tx_id) + " is not in the ledger");
  RETURN_IF_ERROR(FromLevelDb(s, "read tx index"));
  if (value.size() != 12) return Corruption("tx index entry is not 12 bytes");
  return TxLocation{GetBe64(value), GetBe32(std::string_view(value).substr(8))};
}

Result<std::vector<CheckpointLocation>> Ledger::FindEvent(const std::string& event_id) const {
  std::vector<CheckpointLocation> out;
  const std::string prefix = EventPrefixKey(event_id);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view rest(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    if (rest.size() != 16) return Corruption("event index entry has a bad key");
    out.push_back({GetBe64(rest), GetBe32(rest.substr(8)), GetBe32(rest.substr(12))});
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read event index"));
  if (out.empty()) return NotFound("event " + event_id + " is not in the ledger");
  return out;
}

Result<std::vector<Hash32>> Ledger::LogInclusionProof(uint64_t index, uint64_t size) const {
  std::shared_lock lock(mu_);
  return log_.InclusionProof(index, size);
}

Result<std::vector<Hash32>> Ledger::LogConsistencyProof(uint64_t old_size,
                                                        uint64_t new_size) const {
  std::shared_lock lock(mu_);
  return log_.ConsistencyProof(old_size, new_size);
}

Result<Hash32> Ledger::LogRootAt(uint64_t size) const {
  std::shared_lock lock(mu_);
  if (size > head_.log_size) {
    return NotFound("log size " + std::to_string(size) + " is beyond the head's " +
                    std::to_string(head_.log_size));
  }
  return log_.RootAt(size);
}

Status Ledger::TEST_PutRaw(const std::string& key, const std::string& value) {
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, key, value), "put raw");
}

}  // namespace tracery::ledger

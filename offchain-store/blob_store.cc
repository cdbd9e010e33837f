#include "tracery/offchain_store/blob_store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "aead.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/leveldb.h"

namespace tracery::offchain_store {
namespace {

// Key prefixes (docs/formats/offchain-store.md).
constexpr char kFormatKey[] = "v";
constexpr char kMasterKeyIdKey[] = "m";
constexpr char kRecordPrefix = 'b';
constexpr char kRecordKeyPrefix = 'k';
constexpr char kErasurePrefix = 'e';
constexpr char kShredPrefix = 's';
constexpr char kTimeIndexPrefix = 't';

constexpr std::string_view kFormatMagic{"tracery-offchain-store\0", 23};
constexpr size_t kMasterKeyIdBytes = 8;
constexpr std::string_view kMasterKeyIdTag{"tracery/offchain/v2/master-key-id\0", 34};
constexpr std::string_view kRecordKeyTag{"tracery/offchain/v2/record-key\0", 31};
constexpr std::string_view kPayloadTag{"tracery/offchain/v2/payload\0", 28};
constexpr int64_t kMsPerDay = 86'400'000;
constexpr size_t kHashBytes = 32;

// A key no record can have: compacting it only flushes LevelDB's memtable.
constexpr std::string_view kFlushOnlyKey{"\xff\xff", 2};

std::string Key(char prefix, const Hash32& hash) {
  return std::string(1, prefix) + HashBytes(hash);
}

uint64_t OrderedTime(int64_t ms) { return static_cast<uint64_t>(ms) ^ (uint64_t{1} << 63); }
int64_t FromOrderedTime(uint64_t v) { return static_cast<int64_t>(v ^ (uint64_t{1} << 63)); }

std::string TimeIndexPrefix(std::string_view document_type) {
  std::string k(1, kTimeIndexPrefix);
  k += document_type;
  k += '\0';
  return k;
}
std::string TimeIndexKey(const RecordMeta& meta, const Hash32& hash) {
  std::string k = TimeIndexPrefix(meta.document_type);
  PutBe64(&k, OrderedTime(meta.stored_at_ms));
  k += HashBytes(hash);
  return k;
}

std::string FormatValue() {
  std::string v(kFormatMagic);
  PutBe32(&v, kStoreFormatVersion);
  return v;
}

// The clear part of a record value, authenticated as associated data of its ciphertext.
std::string EncodeMeta(const RecordMeta& meta) {
  std::string out;
  PutBe64(&out, static_cast<uint64_t>(meta.stored_at_ms));
  PutBe64(&out, meta.size_bytes);
  out += static_cast<char>(meta.document_type.size());
  out += meta.document_type;
  return out;
}

// Reads EncodeMeta's bytes from the front of `in`, advancing it.
bool DecodeMeta(std::string_view* in, RecordMeta* meta) {
  if (in->size() < 17) return false;
  meta->stored_at_ms = static_cast<int64_t>(GetBe64(*in));
  meta->size_bytes = GetBe64(in->substr(8));
  size_t type_size = static_cast<uint8_t>((*in)[16]);
  in->remove_prefix(17);
  if (in->size() < type_size || type_size == 0) return false;
  meta->document_type = std::string(in->substr(0, type_size));
  in->remove_prefix(type_size);
  return true;
}

std::string EncodeErasure(const ErasureRecord& e) {
  std::string out;
  PutBe64(&out, static_cast<uint64_t>(e.erased_at_ms));
  out += static_cast<char>(e.policy.size());
  out += e.policy;
  out += static_cast<char>(e.reason.size() >> 8);
  out += static_cast<char>(e.reason.size() & 0xff);
  out += e.reason;
  out += EncodeMeta(e.record);
  return out;
}

Result<ErasureRecord> DecodeErasure(const Hash32& hash, std::string_view in) {
  auto bad = [&] { return Corruption("erasure record of " + HashHex(hash) + " is malformed"); };
  ErasureRecord e;
  if (in.size() < 9) return bad();
  e.erased_at_ms = static_cast<int64_t>(GetBe64(in));
  size_t policy_size = static_cast<uint8_t>(in[8]);
  in.remove_prefix(9);
  if (in.size() < policy_size + 2) return bad();
  e.policy = std::string(in.substr(0, policy_size));
  in.remove_prefix(policy_size);
  size_t reason_size = (size_t{static_cast<uint8_t>(in[0])} << 8) | static_cast<uint8_t>(in[1]);
  in.remove_prefix(2);
  if (in.size() < reason_size) return bad();
  e.reason = std::string(in.substr(0, reason_size));
  in.remove_prefix(reason_size);
  if (!DecodeMeta(&in, &e.record) || !in.empty()) return bad();
  return e;
}

std::string PayloadAssociated(const Hash32& hash, const std::string& meta_bytes) {
  std::string a(kPayloadTag);
  a += HashBytes(hash);
  a += meta_bytes;
  return a;
}
std::string RecordKeyAssociated(const Hash32& hash) {
  return std::string(kRecordKeyTag) + HashBytes(hash);
}

Status ValidateDocumentType(std::string_view type) {
  if (type.empty() || type.size() > kMaxDocumentTypeBytes) {
    return InvalidArgument("document type must have 1 to " + std::to_string(kMaxDocumentTypeBytes) +
                           " bytes, not " + std::to_string(type.size()));
  }
  for (char c : type) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument("document type '" + std::string(type) +
                             "' may hold only a-z, 0-9, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Status ValidatePolicyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPolicyNameBytes) {
    return InvalidArgument("policy name must have 1 to " + std::to_string(kMaxPolicyNameBytes) +
                           " bytes, not " + std::to_string(name.size()));
  }
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgument("policy name '" + std::string(name) +
                             "' may hold only printable ASCII");
    }
  }
  return Status::Ok();
}

Status ValidateReason(std::string_view reason) {
  if (reason.size() > kMaxErasureReasonBytes) {
    return InvalidArgument("erasure reason has " + std::to_string(reason.size()) +
                           " bytes, more than the limit of " +
                           std::to_string(kMaxErasureReasonBytes));
  }
  return Status::Ok();
}

std::string MasterKeyId(std::string_view key) {
  std::string m(kMasterKeyIdTag);
  m += key;
  std::string id = HashBytes(Sha256(m));
  Wipe(&m);
  return id.substr(0, kMasterKeyIdBytes);
}

std::string RandomString(RandomSource* random, size_t size) {
  std::string out(size, '\0');
  random->Fill(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

class SystemRandomSource final : public RandomSource {
 public:
  void Fill(uint8_t* out, size_t size) override {
    std::string bytes = RandomBytes(size);
    std::copy(bytes.begin(), bytes.end(), out);
    Wipe(&bytes);
  }
};

bool FileExists(const std::string& path) {
  struct stat sb;
  return ::stat(path.c_str(), &sb) == 0;
}

// What a store without a format marker holds, for the refusal.
std::string DescribeUnmarked(leveldb::DB* db) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  it->SeekToFirst();
  if (!it->Valid()) return "";
  std::string_view key(it->key().data(), it->key().size());
  if (key.size() == 1 + kHashBytes && key[0] == kRecordPrefix) {
    return "holds plaintext payloads of format version 1 (written before encryption at rest)";
  }
  return "holds data without a format marker";
}

}  // namespace

std::string DescribeErasure(const Hash32& hash, const ErasureRecord& erasure) {
  std::string out = "payload " + HashHex(hash) + " erased on " +
                    FormatRfc3339Utc(erasure.erased_at_ms) + " under policy " + erasure.policy;
  if (!erasure.reason.empty()) out += " (" + erasure.reason + ")";
  return out;
}

Status ValidateRetentionPolicies(const std::vector<RetentionPolicy>& policies) {
  if (policies.size() > kMaxRetentionPolicies) {
    return InvalidArgument(std::to_string(policies.size()) +
                           " retention policies, more than the limit of " +
                           std::to_string(kMaxRetentionPolicies));
  }
  std::map<std::string, std::string> by_type;
  for (const RetentionPolicy& p : policies) {
    RETURN_IF_ERROR(ValidatePolicyName(p.name).Annotate("retention policy"));
    RETURN_IF_ERROR(ValidateDocumentType(p.document_type).Annotate("retention policy " + p.name));
    if (p.retain_days < 1 || p.retain_days > kMaxRetainDays) {
      return InvalidArgument("retention policy " + p.name + ": retain_days must be 1 to " +
                             std::to_string(kMaxRetainDays) + ", not " +
                             std::to_string(p.retain_days));
    }
    auto [it, fresh] = by_type.emplace(p.document_type, p.name);
    if (!fresh) {
      return InvalidArgument("retention policies " + it->second + " and " + p.name +
                             " both cover document type " + p.document_type +
                             "; one policy per document type");
    }
  }
  return Status::Ok();
}

RandomSource* SystemRandom() {
  static SystemRandomSource* source = new SystemRandomSource();
  return source;
}

Result<Hash32> BlobStore::Put(std::string_view blob, std::string_view document_type) {
  ASSIGN_OR_RETURN(std::vector<Hash32> hashes, PutAll({blob}, document_type));
  TRACERY_CHECK(hashes.size() == 1);
  return hashes[0];
}

std::string DefaultMasterKeyPath(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d + "-master.key";
}

struct LevelDbBlobStore::MasterKey {
  std::string key;  // kAeadKeyBytes
  ~MasterKey() { Wipe(&key); }
};

LevelDbBlobStore::LevelDbBlobStore(std::unique_ptr<leveldb::DB> db,
                                   std::unique_ptr<MasterKey> master, Clock* clock,
                                   RandomSource* random, std::vector<RetentionPolicy> retention)
    : db_(std::move(db)),
      master_(std::move(master)),
      clock_(clock),
      random_(random),
      retention_(std::move(retention)) {}

LevelDbBlobStore::~LevelDbBlobStore() = default;

Result<std::unique_ptr<LevelDbBlobStore>> LevelDbBlobStore::Open(const std::string& dir) {
  LevelDbBlobStoreOptions options;
  options.dir = dir;
  return Open(options);
}

Result<std::unique_ptr<LevelDbBlobStore>> LevelDbBlobStore::Open(
    const LevelDbBlobStoreOptions& options) {
  RETURN_IF_ERROR(ValidateRetentionPolicies(options.retention));
  const std::string& dir = options.dir;
  const std::string key_path =
      options.master_key_file.empty() ? DefaultMasterKeyPath(dir) : options.master_key_file;
  {
    std::error_code ec;
    auto store_dir = std::filesystem::weakly_canonical(dir, ec);
    auto key_dir = std::filesystem::weakly_canonical(key_path, ec).parent_path();
    for (auto p = key_dir; !ec && p.has_relative_path(); p = p.parent_path()) {
      if (p == store_dir) {
        return InvalidArgument("master key file " + key_path +
                               " lies inside the off-chain store's folder " + dir +
                               "; it must live outside it");
      }
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "off-chain store", 16 << 20));
  auto master = std::make_unique<MasterKey>();
  std::string marker;
  leveldb::Status s = db->Get(CheckedRead(), kFormatKey, &marker);
  if (s.IsNotFound()) {
    std::string unmarked = DescribeUnmarked(db.get());
    if (!unmarked.empty()) {
      return FailedPrecondition("off-chain store " + dir + " " + unmarked +
                                "; this version of Tracery reads format version " +
                                std::to_string(kStoreFormatVersion) +
                                " only (move the folder away to start a new store)");
    }
    // A new store: adopt the key file the operator provided, or create one.
    if (!FileExists(key_path)) {
      RandomSource* random = options.random != nullptr ? options.random : SystemRandom();
      std::string seed = RandomString(random, kAeadKeyBytes);
      auto as_key = PrivateKey::FromSeed(seed);
      Wipe(&seed);
      RETURN_IF_ERROR(as_key.status());
      RETURN_IF_ERROR(WriteKeyFile(key_path, *as_key).Annotate("off-chain master key"));
    }
  } else {
    RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store format marker"));
    if (marker.size() != kFormatMagic.size() + 4 ||
        std::string_view(marker).substr(0, kFormatMagic.size()) != kFormatMagic) {
      return Corruption("off-chain store " + dir + " has an unreadable format marker");
    }
    uint32_t version = GetBe32(std::string_view(marker).substr(kFormatMagic.size()));
    if (version != kStoreFormatVersion) {
      return FailedPrecondition("off-chain store " + dir + " is of format version " +
                                std::to_string(version) + "; this version of Tracery reads " +
                                "format version " + std::to_string(kStoreFormatVersion) + " only");
    }
    if (!FileExists(key_path)) {
      return FailedPrecondition("master key file " + key_path + " of off-chain store " + dir +
                                " is missing; the payloads cannot be read without it: restore it "
                                "from its backup");
    }
  }
  {
    auto read = ReadKeyFile(key_path);
    if (!read.ok()) return read.status().Annotate("off-chain master key");
    master->key = read->seed();
  }
  const std::string id = MasterKeyId(master->key);
  if (s.IsNotFound()) {
    leveldb::WriteBatch batch;
    batch.Put(kFormatKey, FormatValue());
    batch.Put(kMasterKeyIdKey, id);
    leveldb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(FromLevelDb(db->Write(wo, &batch), "initialise off-chain store " + dir));
  } else {
    std::string stored_id;
    RETURN_IF_ERROR(FromLevelDb(db->Get(CheckedRead(), kMasterKeyIdKey, &stored_id),
                                "read master key id of off-chain store " + dir));
    if (stored_id != id) {
      return PermissionDenied("master key file " + key_path + " (key id " + HexEncode(id) +
                              ") is not the key of off-chain store " + dir + " (key id " +
                              HexEncode(stored_id) + ")");
    }
  }
  std::unique_ptr<LevelDbBlobStore> store(new LevelDbBlobStore(
      std::move(db), std::move(master),
      options.clock != nullptr ? options.clock : SystemClock::Get(),
      options.random != nullptr ? options.random : SystemRandom(), options.retention));
  RETURN_IF_ERROR(store->FinishInterruptedShreds());
  return store;
}

Result<std::vector<Hash32>> LevelDbBlobStore::PutAll(const std::vector<std::string_view>& blobs,
                                                     std::string_view document_type) {
  RETURN_IF_ERROR(ValidateDocumentType(document_type));
  size_t total = 0;
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (blobs[i].size() > kMaxBlobBytes) {
      return InvalidArgument("blob " + std::to_string(i) + " has " +
                             std::to_string(blobs[i].size()) + " bytes, more than the limit of " +
                             std::to_string(kMaxBlobBytes));
    }
    total += blobs[i].size();
  }
  if (total > kMaxPutBatchBytes) {
    return ResourceExhausted("blobs of one put have " + std::to_string(total) +
                             " bytes, more than the limit of " + std::to_string(kMaxPutBatchBytes));
  }
  std::vector<Hash32> hashes;
  hashes.reserve(blobs.size());
  for (std::string_view blob : blobs) hashes.push_back(Sha256(blob));

  std::lock_guard write_lock(write_mu_);
  std::shared_lock read_lock(mu_);
  leveldb::WriteBatch batch;
  std::set<Hash32> in_batch;
  size_t new_records = 0;
  const int64_t now_ms = clock_->NowMs();
  for (size_t i = 0; i < blobs.size(); ++i) {
    const Hash32& hash = hashes[i];
    if (!in_batch.insert(hash).second) continue;
    std::string value;
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), Key(kRecordPrefix, hash), &value);
    if (s.ok()) continue;
    if (!s.IsNotFound()) return FromLevelDb(s, "read off-chain store");
    ASSIGN_OR_RETURN(std::optional<ErasureRecord> erased, ReadErasure(hash));
    if (erased) {
      return FailedPrecondition("blob " + std::to_string(i) + ": " +
                                DescribeErasure(hash, *erased) + "; it is not stored again");
    }
    RecordMeta meta{std::string(document_type), now_ms, blobs[i].size()};
    const std::string meta_bytes = EncodeMeta(meta);
    std::string record_key = RandomString(random_, kAeadKeyBytes);
    const std::string nonces = RandomString(random_, 2 * kAeadNonceBytes);
    std::string record = meta_bytes;
    record += AeadSeal(record_key, std::string_view(nonces).substr(0, kAeadNonceBytes),
                       PayloadAssociated(hash, meta_bytes), blobs[i]);
    const std::string wrapped =
        AeadSeal(master_->key, std::string_view(nonces).substr(kAeadNonceBytes),
                 RecordKeyAssociated(hash), record_key);
    Wipe(&record_key);
    batch.Put(Key(kRecordPrefix, hash), record);
    batch.Put(Key(kRecordKeyPrefix, hash), wrapped);
    batch.Put(TimeIndexKey(meta, hash), "");
    ++new_records;
  }
  if (new_records == 0) return hashes;
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write off-chain store"));
  return hashes;
}

Result<std::optional<ErasureRecord>> LevelDbBlobStore::ReadErasure(const Hash32& hash) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), Key(kErasurePrefix, hash), &value);
  if (s.IsNotFound()) return std::optional<ErasureRecord>();
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  ASSIGN_OR_RETURN(ErasureRecord e, DecodeErasure(hash, value));
  return std::optional<ErasureRecord>(std::move(e));
}

Result<std::string> LevelDbBlobStore::ReadRecordKey(const Hash32& hash) const {
  std::string wrapped;
  leveldb::Status s = db_->Get(CheckedRead(), Key(kRecordKeyPrefix, hash), &wrapped);
  if (s.IsNotFound()) {
    return Corruption("record key of payload " + HashHex(hash) + " is missing");
  }
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  std::optional<std::string> key = AeadOpen(master_->key, RecordKeyAssociated(hash), wrapped);
  if (!key || key->size() != kAeadKeyBytes) {
    return Corruption("record key of payload " + HashHex(hash) +
                      " does not authenticate under the master key");
  }
  return std::move(*key);
}

// NotFound / FailedPrecondition (erased) / Corruption, or the stored record with its metadata
// decoded; *meta_size is how many bytes of the record the metadata takes.
Result<std::string> LevelDbBlobStore::ReadRecord(const Hash32& hash, RecordMeta* meta,
                                                 size_t* meta_size) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), Key(kRecordPrefix, hash), &value);
  if (s.IsNotFound()) {
    ASSIGN_OR_RETURN(std::optional<ErasureRecord> erased, ReadErasure(hash));
    if (erased) return FailedPrecondition(DescribeErasure(hash, *erased));
    return NotFound("no payload with hash " + HashHex(hash) + " in this node");
  }
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  std::string_view rest(value);
  if (!DecodeMeta(&rest, meta)) {
    return Corruption("record of payload " + HashHex(hash) + " is malformed");
  }
  *meta_size = value.size() - rest.size();
  return value;
}

// NotFound / FailedPrecondition (erased) / Corruption, or the plaintext and its metadata.
Result<std::string> LevelDbBlobStore::Decrypt(const Hash32& hash, RecordMeta* meta) const {
  size_t meta_size = 0;
  ASSIGN_OR_RETURN(const std::string value, ReadRecord(hash, meta, &meta_size));
  const std::string_view record(value);
  const std::string meta_bytes(record.substr(0, meta_size));
  ASSIGN_OR_RETURN(std::string record_key, ReadRecordKey(hash));
  std::optional<std::string> plain =
      AeadOpen(record_key, PayloadAssociated(hash, meta_bytes), record.substr(meta_size));
  Wipe(&record_key);
  if (!plain) {
    return Corruption("payload " + HashHex(hash) +
                      ": ciphertext or metadata altered (authentication failed)");
  }
  if (plain->size() != meta->size_bytes || Sha256(*plain) != hash) {
    return Corruption("payload stored under " + HashHex(hash) + " does not hash to it");
  }
  return std::move(*plain);
}

Result<std::string> LevelDbBlobStore::Get(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  RecordMeta meta;
  return Decrypt(hash, &meta);
}

Result<bool> LevelDbBlobStore::Contains(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), Key(kRecordPrefix, hash), &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
  return true;
}

Result<RecordMeta> LevelDbBlobStore::Stat(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  RecordMeta meta;
  size_t meta_size = 0;
  RETURN_IF_ERROR(ReadRecord(hash, &meta, &meta_size).status());
  return meta;
}

Result<Verification> LevelDbBlobStore::Verify(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  Verification v;
  auto plain = Decrypt(hash, &v.record);
  if (plain.ok()) {
    std::string p = std::move(plain).value();
    Wipe(&p);
    v.state = Verification::State::kIntact;
    return v;
  }
  if (plain.status().code() != Code::kFailedPrecondition) return plain.status();
  ASSIGN_OR_RETURN(v.erasure, ReadErasure(hash));
  TRACERY_CHECK(v.erasure.has_value());
  v.state = Verification::State::kErased;
  v.record = v.erasure->record;
  return v;
}

Result<std::optional<ErasureRecord>> LevelDbBlobStore::Erasure(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  return ReadErasure(hash);
}

Result<ErasureRecord> LevelDbBlobStore::Erase(const Hash32& hash, std::string_view policy,
                                              std::string_view reason) {
  ASSIGN_OR_RETURN(std::vector<ErasureRecord> records, EraseAll({hash}, policy, reason));
  TRACERY_CHECK(records.size() == 1);
  return std::move(records[0]);
}

Result<std::vector<ErasureRecord>> LevelDbBlobStore::EraseAll(const std::vector<Hash32>& hashes,
                                                              std::string_view policy,
                                                              std::string_view reason) {
  std::lock_guard write_lock(write_mu_);
  std::unique_lock lock(mu_);
  return EraseLocked(hashes, policy, reason);
}

Result<std::vector<ErasureRecord>> LevelDbBlobStore::EraseLocked(const std::vector<Hash32>& hashes,
                                                                 std::string_view policy,
                                                                 std::string_view reason) {
  RETURN_IF_ERROR(ValidatePolicyName(policy));
  RETURN_IF_ERROR(ValidateReason(reason));
  if (hashes.size() > kMaxErasuresPerCall) {
    return InvalidArgument(std::to_string(hashes.size()) +
                           " payloads to erase at once, more than the limit of " +
                           std::to_string(kMaxErasuresPerCall));
  }
  std::vector<ErasureRecord> records(hashes.size());
  std::vector<Hash32> to_shred;
  std::set<Hash32> in_batch;
  leveldb::WriteBatch batch;
  const int64_t now_ms = clock_->NowMs();
  for (size_t i = 0; i < hashes.size(); ++i) {
    const Hash32& hash = hashes[i];
    ASSIGN_OR_RETURN(std::optional<ErasureRecord> erased, ReadErasure(hash));
    if (erased) {
      records[i] = std::move(*erased);
      continue;
    }
    std::string value;
    leveldb::Status s = db_->Get(CheckedRead(), Key(kRecordPrefix, hash), &value);
    if (s.IsNotFound()) {
      return NotFound("no payload with hash " + HashHex(hash) + " in this node to erase");
    }
    RETURN_IF_ERROR(FromLevelDb(s, "read off-chain store"));
    ErasureRecord& e = records[i];
    std::string_view rest(value);
    if (!DecodeMeta(&rest, &e.record)) {
      // A damaged record can still be erased; its retention index entry, if any, is left for
      // ApplyRetention to drop.
      e.record = RecordMeta{"unknown", 0, 0};
    }
    e.erased_at_ms = now_ms;
    e.policy = std::string(policy);
    e.reason = std::string(reason);
    if (!in_batch.insert(hash).second) continue;
    batch.Delete(Key(kRecordKeyPrefix, hash));
    batch.Delete(Key(kRecordPrefix, hash));
    batch.Delete(TimeIndexKey(e.record, hash));
    batch.Put(Key(kErasurePrefix, hash), EncodeErasure(e));
    batch.Put(Key(kShredPrefix, hash), "");
    to_shred.push_back(hash);
  }
  if (to_shred.empty()) return records;
  // Flush the memtable first, so that the deletions below never land in the same table file as
  // the values they delete: LevelDB drops a shadowed value only when a compaction merges it with
  // its deletion, and a table that holds both at the deepest level would never be compacted
  // again by CompactRange.
  leveldb::Slice flush(kFlushOnlyKey.data(), kFlushOnlyKey.size());
  db_->CompactRange(&flush, &flush);
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write off-chain store erasure"));
  RETURN_IF_ERROR(Shred(to_shred));
  return records;
}

Status LevelDbBlobStore::Shred(const std::vector<Hash32>& hashes) {
  if (hashes.empty()) return Status::Ok();
  auto [min, max] = std::minmax_element(hashes.begin(), hashes.end());
  // CompactRange flushes the memtable (and so retires the log file holding the old values'
  // writes), then merges every level's tables over the range down to the deepest level that
  // holds any, where each deletion meets its value and both are dropped; the old files are
  // deleted as soon as no reader holds them, and mu_ is held exclusively so none does.
  for (char prefix : {kRecordKeyPrefix, kRecordPrefix}) {
    std::string begin = Key(prefix, *min);
    std::string end = Key(prefix, *max);
    leveldb::Slice b(begin), e(end);
    db_->CompactRange(&b, &e);
  }
  leveldb::WriteBatch done;
  for (const Hash32& h : hashes) done.Delete(Key(kShredPrefix, h));
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Write(wo, &done), "write off-chain store");
}

Status LevelDbBlobStore::FinishInterruptedShreds() {
  std::lock_guard write_lock(write_mu_);
  std::unique_lock lock(mu_);
  std::vector<Hash32> pending;
  {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
    const std::string prefix(1, kShredPrefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto hash = HashFromBytes(std::string_view(it->key().data() + 1, it->key().size() - 1));
      if (!hash.ok()) return Corruption("off-chain store: malformed pending-shred key");
      pending.push_back(*hash);
    }
    RETURN_IF_ERROR(FromLevelDb(it->status(), "scan off-chain store"));
  }
  return Shred(pending);
}

Result<RetentionRun> LevelDbBlobStore::ApplyRetention(int64_t now_ms, size_t limit) {
  if (limit == 0 || limit > kMaxErasuresPerCall) {
    return InvalidArgument("retention limit must be 1 to " + std::to_string(kMaxErasuresPerCall) +
                           ", not " + std::to_string(limit));
  }
  std::lock_guard write_lock(write_mu_);
  std::unique_lock lock(mu_);
  RetentionRun run;
  // Due records per policy, oldest first; the iterator is gone before anything is erased.
  std::vector<std::pair<const RetentionPolicy*, std::vector<Hash32>>> due;
  leveldb::WriteBatch stale;
  size_t total = 0;  // index entries handled: the bound on this call's work
  {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
    for (const RetentionPolicy& p : retention_) {
      const int64_t cutoff_ms = now_ms - p.retain_days * kMsPerDay;  // erase if stored before
      const std::string prefix = TimeIndexPrefix(p.document_type);
      std::vector<Hash32> hashes;
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        std::string_view key(it->key().data(), it->key().size());
        if (key.size() != prefix.size() + 8 + kHashBytes) {
          return Corruption("off-chain store: malformed time index key");
        }
        int64_t stored_at_ms = FromOrderedTime(GetBe64(key.substr(prefix.size())));
        if (stored_at_ms >= cutoff_ms) break;
        if (total == limit) {
          run.complete = false;
          break;
        }
        ++total;
        Hash32 hash = *HashFromBytes(key.substr(prefix.size() + 8));
        std::string unused;
        leveldb::Status rs = db_->Get(leveldb::ReadOptions(), Key(kRecordPrefix, hash), &unused);
        if (rs.IsNotFound()) {
          stale.Delete(it->key());  // left by the erasure of a damaged record
          continue;
        }
        RETURN_IF_ERROR(FromLevelDb(rs, "read off-chain store"));
        hashes.push_back(hash);
      }
      RETURN_IF_ERROR(FromLevelDb(it->status(), "scan off-chain store"));
      if (!hashes.empty()) due.emplace_back(&p, std::move(hashes));
    }
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &stale), "write off-chain store"));
  for (const auto& [policy, hashes] : due) {
    const std::string reason =
        "retention: older than " + std::to_string(policy->retain_days) + " days";
    ASSIGN_OR_RETURN(std::vector<ErasureRecord> records, EraseLocked(hashes, policy->name, reason));
    run.erased += records.size();
  }
  return run;
}

Result<std::string> LevelDbBlobStore::TEST_WrappedRecordKey(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  std::string wrapped;
  RETURN_IF_ERROR(FromLevelDb(db_->Get(CheckedRead(), Key(kRecordKeyPrefix, hash), &wrapped),
                              "read record key"));
  return wrapped;
}

Result<std::string> LevelDbBlobStore::TEST_RecordKey(const Hash32& hash) const {
  std::shared_lock lock(mu_);
  return ReadRecordKey(hash);
}

}  // namespace tracery::offchain_store

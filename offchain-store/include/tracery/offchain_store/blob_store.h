// Content-addressed store of off-chain payloads (full EPCIS events, telemetry windows, ERP
// documents): each blob is kept under the SHA-256 of its plaintext, which is what a checkpoint
// anchors on the ledger. Payloads never leave the partner's node; the ledger carries only their
// hashes.
//
// At rest every payload is encrypted (AES-256-GCM) under a key of its own, and that record key is
// stored wrapped (AES-256-GCM) under the node's master key, which lives in a key file outside the
// store's folder. Erasing a payload destroys its record key and compacts the key range, so that
// no copy of the key survives in the store's files (crypto-shredding); the anchored hash stays
// valid and the store keeps an erasure record that a proof can show ("anchored; payload erased
// on DATE under policy P"). docs/formats/offchain-store.md describes the layout.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/core/time.h"

namespace leveldb {
class DB;
}

namespace tracery::offchain_store {

// Bytes of one blob.
inline constexpr size_t kMaxBlobBytes = 16 << 20;
// Bytes of all the blobs of one PutAll (they are encrypted into one write batch in memory).
inline constexpr size_t kMaxPutBatchBytes = 256 << 20;
// A document type: 1 to 64 of [a-z0-9._-] ("epcis-event", "telemetry-window", "x12-856").
inline constexpr size_t kMaxDocumentTypeBytes = 64;
// A retention policy's or erasure's policy name: 1 to 64 printable ASCII bytes.
inline constexpr size_t kMaxPolicyNameBytes = 64;
// The free-text reason of an erasure: at most 1,024 bytes (UTF-8 is not checked).
inline constexpr size_t kMaxErasureReasonBytes = 1024;
// Hashes erased by one EraseAll call (and by one ApplyRetention call at most).
inline constexpr size_t kMaxErasuresPerCall = 10'000;
// Retention policies of one store, and the longest retention (100 years).
inline constexpr size_t kMaxRetentionPolicies = 256;
inline constexpr int64_t kMaxRetainDays = 36'500;
// The document type of PutAll without one: the payloads that capture stores.
inline constexpr std::string_view kDefaultDocumentType = "epcis-event";
// The on-disk format this version reads and writes (1 was the plaintext layout without a marker).
inline constexpr uint32_t kStoreFormatVersion = 2;

// What the store knows of a record besides its bytes. Stored in clear beside the ciphertext and
// authenticated with it (Get and Verify report Corruption when it was altered).
struct RecordMeta {
  std::string document_type;
  int64_t stored_at_ms = 0;  // Unix ms, from the store's Clock when first stored
  uint64_t size_bytes = 0;   // plaintext size
};

// Kept under the hash after its payload was erased; never deleted.
struct ErasureRecord {
  int64_t erased_at_ms = 0;  // Unix ms, from the store's Clock
  std::string policy;        // a retention policy's name, or the caller's (e.g. "gdpr-art17")
  std::string reason;
  RecordMeta record;  // the metadata the payload had
};
// "payload <hex> erased on 2026-11-28T03:00:00.000Z under policy P (reason)": the text of Get's
// FailedPrecondition and of proofs.
std::string DescribeErasure(const Hash32& hash, const ErasureRecord& erasure);

// Records of `document_type` are erased (under `name`) once older than `retain_days` days, that
// is when now_ms - stored_at_ms > retain_days * 86,400,000.
struct RetentionPolicy {
  std::string name;
  std::string document_type;
  int64_t retain_days = 0;  // 1 .. kMaxRetainDays
};
// InvalidArgument naming the policy and the rule: bad name, type or days, two policies for one
// document type, more than kMaxRetentionPolicies.
Status ValidateRetentionPolicies(const std::vector<RetentionPolicy>& policies);

struct RetentionRun {
  size_t erased = 0;
  // True when no record was due after this call; false when `limit` stopped it (call again).
  bool complete = true;
};

// The answer to "is the stored document the one anchored?".
struct Verification {
  enum class State { kIntact, kErased };
  State state = State::kIntact;
  RecordMeta record;                     // from the record (kIntact) or the erasure (kErased)
  std::optional<ErasureRecord> erasure;  // set when kErased
};

// Source of record keys and nonces. Called only under the store's writer lock.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(uint8_t* out, size_t size) = 0;
};
// The operating system's random source (Crypto++ AutoSeededRandomPool); thread-safe.
RandomSource* SystemRandom();

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores every blob under its SHA-256 as `document_type`, all or none, durable (synced) before
  // it returns. Returns the hashes in order. A blob already stored is left as it is (its first
  // metadata stays). A blob that was erased is refused (FailedPrecondition naming the erasure) and
  // then nothing of the call is stored: erased data does not come back by being captured again.
  virtual Result<std::vector<Hash32>> PutAll(const std::vector<std::string_view>& blobs,
                                             std::string_view document_type) = 0;
  // As above with kDefaultDocumentType.
  Result<std::vector<Hash32>> PutAll(const std::vector<std::string_view>& blobs) {
    return PutAll(blobs, kDefaultDocumentType);
  }
  Result<Hash32> Put(std::string_view blob, std::string_view document_type);

  // The plaintext. NotFound when never stored; FailedPrecondition (DescribeErasure) when erased;
  // Corruption when the ciphertext, its metadata or its wrapped key was altered, or the plaintext
  // no longer hashes to `hash`.
  virtual Result<std::string> Get(const Hash32& hash) const = 0;
  // True when the payload is stored (not erased). Reads no ciphertext.
  virtual Result<bool> Contains(const Hash32& hash) const = 0;
  // Metadata of a stored payload, unauthenticated (Verify authenticates it). NotFound when never
  // stored, FailedPrecondition when erased.
  virtual Result<RecordMeta> Stat(const Hash32& hash) const = 0;
  // Decrypts and checks that the plaintext hashes to `hash`. kIntact, or kErased with the erasure
  // record; NotFound when never stored; Corruption as Get.
  virtual Result<Verification> Verify(const Hash32& hash) const = 0;

  // Crypto-shredding: deletes the wrapped record key and the ciphertext, writes the erasure record
  // (one synced batch), then compacts the affected key ranges so that neither survives in the
  // store's files. NotFound when never stored (nothing is written). Erasing an erased payload
  // changes nothing and returns the first erasure record. A damaged record can be erased (its
  // erasure record then has document type "unknown").
  virtual Result<ErasureRecord> Erase(const Hash32& hash, std::string_view policy,
                                      std::string_view reason) = 0;
  // The erasure record, or nullopt when the payload was not erased (stored or never stored).
  virtual Result<std::optional<ErasureRecord>> Erasure(const Hash32& hash) const = 0;
  // Erases, under each policy's name and the reason "retention: older than N days", every record
  // of the policy's document type that is older than its retention at `now_ms`, oldest first, at
  // most `limit` records per call (1 .. kMaxErasuresPerCall); call again while !complete.
  // Document types without a policy are kept forever.
  virtual Result<RetentionRun> ApplyRetention(int64_t now_ms, size_t limit) = 0;
};

// Where a store's master key lives unless told: `<dir>-master.key`, beside the store's folder
// (data/offchain → data/offchain-master.key), never inside it.
std::string DefaultMasterKeyPath(const std::string& dir);

struct LevelDbBlobStoreOptions {
  std::string dir;
  // The master key file: 32 bytes as 64 hex digits on one line, mode 0600 (the key file format of
  // docs/formats/signatures.md). Empty: DefaultMasterKeyPath(dir). Created (from `random`) only
  // when the store itself is new; refused when the group or others may access it.
  std::string master_key_file;
  Clock* clock = nullptr;          // null: SystemClock::Get()
  RandomSource* random = nullptr;  // null: SystemRandom()
  // Validated at Open (ValidateRetentionPolicies).
  std::vector<RetentionPolicy> retention;
};

// The LevelDB implementation (layout in docs/formats/offchain-store.md).
//
// Thread-safety: every method may be called from any thread at once. Writers (PutAll, Erase,
// ApplyRetention) run one at a time; readers run together, and wait while an erasure compacts (so
// that no reader keeps an old LevelDB file, holding the destroyed key, alive past the erasure).
class LevelDbBlobStore final : public BlobStore {
 public:
  // Opens or creates the store. Refused, with a message saying why: a store of another format
  // version (or of the plaintext format 1), a master key file that is missing for an existing
  // store, accessible by others, malformed, or not the key of this store. Finishes the compaction
  // of an erasure that a crash interrupted.
  static Result<std::unique_ptr<LevelDbBlobStore>> Open(const LevelDbBlobStoreOptions& options);
  // Open({.dir = dir}): the default master key path, the system clock and random source.
  static Result<std::unique_ptr<LevelDbBlobStore>> Open(const std::string& dir);
  ~LevelDbBlobStore() override;

  using BlobStore::PutAll;
  Result<std::vector<Hash32>> PutAll(const std::vector<std::string_view>& blobs,
                                     std::string_view document_type) override;
  Result<std::string> Get(const Hash32& hash) const override;
  Result<bool> Contains(const Hash32& hash) const override;
  Result<RecordMeta> Stat(const Hash32& hash) const override;
  Result<Verification> Verify(const Hash32& hash) const override;
  Result<ErasureRecord> Erase(const Hash32& hash, std::string_view policy,
                              std::string_view reason) override;
  // Erases many at once: one synced batch and one compaction. Hashes never stored are NotFound
  // and nothing is erased; hashes already erased are skipped. Returns the records in order.
  Result<std::vector<ErasureRecord>> EraseAll(const std::vector<Hash32>& hashes,
                                              std::string_view policy, std::string_view reason);
  Result<std::optional<ErasureRecord>> Erasure(const Hash32& hash) const override;
  Result<RetentionRun> ApplyRetention(int64_t now_ms, size_t limit) override;

  const std::vector<RetentionPolicy>& retention() const { return retention_; }

  // Test hooks. The stored (wrapped) record key of a stored payload, and the record key itself.
  Result<std::string> TEST_WrappedRecordKey(const Hash32& hash) const;
  Result<std::string> TEST_RecordKey(const Hash32& hash) const;
  // The LevelDB underneath, to alter stored bytes directly.
  leveldb::DB* TEST_db() { return db_.get(); }

 private:
  struct MasterKey;
  LevelDbBlobStore(std::unique_ptr<leveldb::DB> db, std::unique_ptr<MasterKey> master, Clock* clock,
                   RandomSource* random, std::vector<RetentionPolicy> retention);

  // REQUIRES: mu_ held (shared or exclusive).
  Result<std::optional<ErasureRecord>> ReadErasure(const Hash32& hash) const;
  Result<std::string> ReadRecordKey(const Hash32& hash) const;
  Result<std::string> ReadRecord(const Hash32& hash, RecordMeta* meta, size_t* meta_size) const;
  Result<std::string> Decrypt(const Hash32& hash, RecordMeta* meta) const;
  // REQUIRES: write_mu_ held.
  Result<std::vector<ErasureRecord>> EraseLocked(const std::vector<Hash32>& hashes,
                                                 std::string_view policy, std::string_view reason);
  // Compacts the record-key and record ranges of `hashes` and clears their pending-shred marks.
  // REQUIRES: write_mu_ and mu_ held exclusively, no iterator open.
  Status Shred(const std::vector<Hash32>& hashes);
  Status FinishInterruptedShreds();

  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<MasterKey> master_;
  Clock* clock_;
  RandomSource* random_;
  const std::vector<RetentionPolicy> retention_;
  std::mutex write_mu_;           // one writer at a time (taken before mu_)
  mutable std::shared_mutex mu_;  // readers shared; an erasure exclusive while it compacts
};

}  // namespace tracery::offchain_store

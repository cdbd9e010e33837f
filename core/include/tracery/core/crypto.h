// SHA-256 and Ed25519 (RFC 8032) through Crypto++, and Tracery's domain-separated signatures.
//
// Every signature Tracery makes covers DomainMessage(purpose, genesis_hash, payload):
//   purpose tag (ASCII, e.g. "tracery/v1/tx") || 0x00 || genesis hash (32 bytes) || payload
// so that a signature made for one purpose or one network never verifies as another.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery {

using Hash32 = std::array<uint8_t, 32>;

Hash32 Sha256(std::string_view data);
// The bytes of a hash as a std::string (for protobuf bytes fields and map keys).
std::string HashBytes(const Hash32& h);
Result<Hash32> HashFromBytes(std::string_view bytes);
std::string HashHex(const Hash32& h);

// Incremental SHA-256 for data that arrives in pieces (Merkle prefixes, large files).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  void Update(const uint8_t* data, size_t size);
  Hash32 Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class Purpose {
  kTx,         // "tracery/v1/tx": a transaction header
  kCommit,     // "tracery/v1/commit": a validator's vote for (height, block hash, term)
  kHandshake,  // "tracery/v1/handshake": a peer link handshake
  kTelemetry,  // "tracery/v1/telemetry": a gateway's batch of sensor readings
};
const char* PurposeTag(Purpose purpose);
std::string DomainMessage(Purpose purpose, const Hash32& genesis_hash, std::string_view payload);

constexpr size_t kEd25519SeedSize = 32;
constexpr size_t kEd25519PublicKeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;

class PublicKey {
 public:
  static Result<PublicKey> FromBytes(std::string_view bytes);
  const std::string& bytes() const { return bytes_; }
  // A short, stable name for the key: hex of the first 8 bytes of SHA-256(public key).
  std::string KeyId() const;
  bool VerifyRaw(std::string_view message, std::string_view signature) const;
  bool Verify(Purpose purpose, const Hash32& genesis_hash, std::string_view payload,
              std::string_view signature) const;

 private:
  struct Verifier;
  std::string bytes_;
  std::shared_ptr<const Verifier> verifier_;  // immutable after construction; thread-safe
};

class PrivateKey {
 public:
  static Result<PrivateKey> FromSeed(std::string_view seed);
  // A new key from the operating system's random source.
  static PrivateKey Generate();
  const std::string& seed() const { return seed_; }
  const PublicKey& public_key() const { return public_key_; }
  std::string SignRaw(std::string_view message) const;
  std::string Sign(Purpose purpose, const Hash32& genesis_hash, std::string_view payload) const;

 private:
  struct Signer;
  std::string seed_;
  PublicKey public_key_;
  std::shared_ptr<const Signer> signer_;
};

// Fills `size` bytes from the operating system's random source.
std::string RandomBytes(size_t size);

}  // namespace tracery

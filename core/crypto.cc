#include "tracery/core/crypto.h"

#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include "tracery/core/encoding.h"

namespace tracery {

Hash32 Sha256(std::string_view data) {
  Hash32 out;
  CryptoPP::SHA256().CalculateDigest(out.data(), reinterpret_cast<const uint8_t*>(data.data()),
                                     data.size());
  return out;
}

std::string HashBytes(const Hash32& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

Result<Hash32> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) {
    return InvalidArgument("a hash is 32 bytes, got " + std::to_string(bytes.size()));
  }
  Hash32 h;
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(h.data()));
  return h;
}

std::string HashHex(const Hash32& h) { return HexEncode(HashBytes(h)); }

struct Sha256Hasher::Impl {
  CryptoPP::SHA256 sha;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(std::string_view data) {
  impl_->sha.Update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}
void Sha256Hasher::Update(const uint8_t* data, size_t size) { impl_->sha.Update(data, size); }

Hash32 Sha256Hasher::Finish() {
  Hash32 out;
  impl_->sha.Final(out.data());
  return out;
}

const char* PurposeTag(Purpose purpose) {
  switch (purpose) {
    case Purpose::kTx: return "tracery/v1/tx";
    case Purpose::kCommit: return "tracery/v1/commit";
    case Purpose::kHandshake: return "tracery/v1/handshake";
    case Purpose::kTelemetry: return "tracery/v1/telemetry";
  }
  CheckFailed(__FILE__, __LINE__, "unknown purpose");
}

std::string DomainMessage(Purpose purpose, const Hash32& genesis_hash, std::string_view payload) {
  std::string tag = PurposeTag(purpose);
  std::string msg;
  msg.reserve(tag.size() + 1 + 32 + payload.size());
  msg.append(tag);
  msg.push_back('\0');
  msg.append(HashBytes(genesis_hash));
  msg.append(payload);
  return msg;
}

struct PublicKey::Verifier {
  CryptoPP::ed25519Verifier v;
  explicit Verifier(const uint8_t* key) : v(key) {}
};

Result<PublicKey> PublicKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kEd25519PublicKeySize) {
    return InvalidArgument("an Ed25519 public key is 32 bytes, got " +
                           std::to_string(bytes.size()));
  }
  PublicKey key;
  key.bytes_ = std::string(bytes);
  key.verifier_ =
      std::make_shared<const Verifier>(reinterpret_cast<const uint8_t*>(key.bytes_.data()));
  return key;
}

std::string PublicKey::KeyId() const { return HexEncode(HashBytes(Sha256(bytes_)).substr(0, 8)); }

bool PublicKey::VerifyRaw(std::string_view message, std::string_view signature) const {
  if (!verifier_ || signature.size() != kEd25519SignatureSize) return false;
  return verifier_->v.VerifyMessage(reinterpret_cast<const uint8_t*>(message.data()),
                                    message.size(),
                                    reinterpret_cast<const uint8_t*>(signature.data()),
                                    signature.size());
}

bool PublicKey::Verify(Purpose purpose, const Hash32& genesis_hash, std::string_view payload,
                       std::string_view signature) const {
  return VerifyRaw(DomainMessage(purpose, genesis_hash, payload), signature);
}

struct PrivateKey::Signer {
  CryptoPP::ed25519Signer s;
  explicit Signer(const uint8_t* seed) : s(seed) {}
};

Result<PrivateKey> PrivateKey::FromSeed(std::string_view seed) {
  if (seed.size() != kEd25519SeedSize) {
    return InvalidArgument("an Ed25519 private key seed is 32 bytes, got " +
                           std::to_string(seed.size()));
  }
  PrivateKey key;
  key.seed_ = std::string(seed);
  auto signer = std::make_shared<Signer>(reinterpret_cast<const uint8_t*>(key.seed_.data()));
  const auto& priv = static_cast<const CryptoPP::ed25519PrivateKey&>(signer->s.GetPrivateKey());
  const uint8_t* pub = priv.GetPublicKeyBytePtr();
  ASSIGN_OR_RETURN(key.public_key_, PublicKey::FromBytes(std::string_view(
                                        reinterpret_cast<const char*>(pub), kEd25519PublicKeySize)));
  key.signer_ = std::move(signer);
  return key;
}

PrivateKey PrivateKey::Generate() {
  auto key = FromSeed(RandomBytes(kEd25519SeedSize));
  TRACERY_CHECK(key.ok());
  return std::move(key).value();
}

std::string PrivateKey::SignRaw(std::string_view message) const {
  TRACERY_CHECK(signer_ != nullptr);
  std::string sig(kEd25519SignatureSize, '\0');
  size_t n = signer_->s.SignMessage(CryptoPP::NullRNG(),  // deterministic: no randomness drawn
                                     reinterpret_cast<const uint8_t*>(message.data()),
                                    message.size(), reinterpret_cast<uint8_t*>(sig.data()));
  TRACERY_CHECK(n == kEd25519SignatureSize);
  return sig;
}

std::string PrivateKey::Sign(Purpose purpose, const Hash32& genesis_hash,
                             std::string_view payload) const {
  return SignRaw(DomainMessage(purpose, genesis_hash, payload));
}

std::string RandomBytes(size_t size) {
  thread_local CryptoPP::AutoSeededRandomPool pool;
  std::string out(size, '\0');
  pool.GenerateBlock(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

}  // namespace tracery

#include "aead.h"

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/misc.h>

#include <cstdio>

#include "tracery/core/status.h"

namespace tracery::offchain_store {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* Bytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

// Crypto++ throws only on misuse (key or IV sizes), which is a programmer error here.
[[noreturn]] void CryptoFailed(const CryptoPP::Exception& e) {
  std::fprintf(stderr, "AES-GCM: %s\n", e.what());
  CheckFailed(__FILE__, __LINE__, "Crypto++ threw");
}

}  // namespace

std::string AeadSeal(std::string_view key, std::string_view nonce, std::string_view associated,
                     std::string_view plaintext) {
  TRACERY_CHECK(key.size() == kAeadKeyBytes);
  TRACERY_CHECK(nonce.size() == kAeadNonceBytes);
  std::string out(kAeadOverheadBytes + plaintext.size(), '\0');
  std::copy(nonce.begin(), nonce.end(), out.begin());
  // Crypto++ throws only for wrong key or IV sizes, which the checks above exclude.
  try {
    CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
    enc.SetKeyWithIV(Bytes(key), key.size(), Bytes(nonce), nonce.size());
    enc.EncryptAndAuthenticate(Bytes(out) + kAeadNonceBytes,
                               Bytes(out) + kAeadNonceBytes + plaintext.size(), kAeadTagBytes,
                               Bytes(nonce), nonce.size(), Bytes(associated), associated.size(),
                               Bytes(plaintext), plaintext.size());
  } catch (const CryptoPP::Exception& e) {
    CryptoFailed(e);
  }
  return out;
}

std::optional<std::string> AeadOpen(std::string_view key, std::string_view associated,
                                    std::string_view sealed) {
  TRACERY_CHECK(key.size() == kAeadKeyBytes);
  if (sealed.size() < kAeadOverheadBytes) return std::nullopt;
  const size_t size = sealed.size() - kAeadOverheadBytes;
  std::string plain(size, '\0');
  bool ok = false;
  try {
    CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
    dec.SetKeyWithIV(Bytes(key), key.size(), Bytes(sealed), kAeadNonceBytes);
    ok = dec.DecryptAndVerify(Bytes(plain), Bytes(sealed) + kAeadNonceBytes + size, kAeadTagBytes,
                              Bytes(sealed), kAeadNonceBytes, Bytes(associated), associated.size(),
                              Bytes(sealed) + kAeadNonceBytes, size);
  } catch (const CryptoPP::Exception& e) {
    CryptoFailed(e);
  }
  if (!ok) {
    Wipe(&plain);
    return std::nullopt;
  }
  return plain;
}

void Wipe(std::string* secret) {
  CryptoPP::SecureWipeBuffer(Bytes(*secret), secret->size());
  secret->clear();
}

}  // namespace tracery::offchain_store

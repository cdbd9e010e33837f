// AES-256-GCM through Crypto++, for the off-chain store's record keys and payloads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tracery::offchain_store {

inline constexpr size_t kAeadKeyBytes = 32;    // AES-256
inline constexpr size_t kAeadNonceBytes = 12;  // GCM's 96-bit IV
inline constexpr size_t kAeadTagBytes = 16;    // full 128-bit tag
inline constexpr size_t kAeadOverheadBytes = kAeadNonceBytes + kAeadTagBytes;

// Returns nonce || ciphertext || tag. `associated` is authenticated, not encrypted.
// REQUIRES: key.size() == kAeadKeyBytes, nonce.size() == kAeadNonceBytes.
std::string AeadSeal(std::string_view key, std::string_view nonce, std::string_view associated,
                     std::string_view plaintext);
// The plaintext of AeadSeal's output, or nullopt when `sealed` (or `associated`) was altered or
// was sealed under another key.
std::optional<std::string> AeadOpen(std::string_view key, std::string_view associated,
                                    std::string_view sealed);

// Overwrites a secret in memory before it is freed (the compiler may not elide it).
void Wipe(std::string* secret);

}  // namespace tracery::offchain_store

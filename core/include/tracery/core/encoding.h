// Hex, base64 (RFC 4648, with padding) and base64url (RFC 4648 §5, without padding), and
// fixed-width big-endian integers for keys and signed byte strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery {

std::string HexEncode(std::string_view bytes);
Result<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

void PutBe32(std::string* out, uint32_t v);
void PutBe64(std::string* out, uint64_t v);
// REQUIRES: in.size() >= 4 (8).
uint32_t GetBe32(std::string_view in);
uint64_t GetBe64(std::string_view in);

// Percent-decoding of one URL path segment or query value (RFC 3986).
Result<std::string> PercentDecode(std::string_view in);
std::string PercentEncode(std::string_view in);

}  // namespace tracery

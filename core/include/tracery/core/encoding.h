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
// A GS1 application identifier value (a lot, a serial) as a path segment of its canonical GS1
// Digital Link URI: the characters of GS1's CSET 82 that mean something in URIs or in EPC URNs
// (! " # % & ( ) * + , / : < > ?) become %XX (upper-case hex), and so do bytes outside it that
// an identifier may not hold (space, controls, non-ASCII); every other byte is kept. The
// encoding of the CBV 2.0 Event Hash ID's reference implementation; every module that writes a
// Digital Link value uses it, so that one lot has one canonical identifier.
std::string DigitalLinkEscape(std::string_view raw);

// One CSV field as RFC 4180 writes it: in double quotes (with quotes doubled) when it holds a
// comma, a double quote, a carriage return or a line feed; as it is otherwise.
std::string CsvField(std::string_view field);

// The GS1 mod-10 check digit of `digits` (a GS1 key without its check digit, ASCII digits only):
// weights 3, 1, 3, ... from the right, and the digit that brings the sum to a multiple of 10.
char Gs1CheckDigit(std::string_view digits);

}  // namespace tracery

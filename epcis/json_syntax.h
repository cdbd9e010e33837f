// Syntax shared by the JSON forms of epcis/: the checkpoint codec (checkpoint_json.cc) and the
// EPCIS document binding (document.cc, validate.cc). Internal to epcis/.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery::epcis {

// Text from the input, quoted and cut short so that an error message stays readable.
std::string Shown(std::string_view text);

// Whether `s` has a byte <= 0x20 (space or control) or 0x7f.
bool HasSpaceOrControl(std::string_view s);

// "<path>: <size> bytes exceed the limit of 2048 bytes per identifier (kMaxIdentifierBytes)"
Status IdentifierTooLong(const std::string& path, size_t size);

// An identifier or URI: non-empty, at most kMaxIdentifierBytes, no space or control character.
// The message starts with `path`.
Status CheckIdentifier(std::string_view s, const std::string& path);

// scheme ":" at least one more character, where scheme is ALPHA *(ALPHA / DIGIT / "+" / "-" /
// "."), as RFC 3986 §3.1 has it. Says nothing about spaces: see CheckIdentifier.
bool IsAbsoluteUri(std::string_view s);

// UN/ECE Recommendation 20 unit codes: two or three upper-case letters or digits.
bool IsUom(std::string_view s);

// digits ["." digits] [("e" | "E") ["+" | "-"] digits]
bool IsDecimal(std::string_view s);

// A quantity as the canonical decimal string the checkpoint stores (checkpoint_json.h): from a
// JSON number or a decimal string, at least 0 and below kMaxQuantity. Messages start with
// `path`.
Result<std::string> CanonicalQuantity(const nlohmann::json& v, const std::string& path);
// The canonical decimal string of a double (see CanonicalQuantity).
Result<std::string> FormatQuantity(double d, const std::string& path);

// Refuses nesting deeper than kMaxJsonDepth. Iterative, so that a hostile depth cannot overflow
// the stack here either.
Status CheckDepth(const nlohmann::json& root, const std::string& path);

// What was wrong with JSON text: where (the path of the member, "" for the text as a whole, in
// the form "epcisBody.eventList[3].action") and what.
struct JsonTextProblem {
  enum class Kind {
    kSyntax,           // not JSON: "not valid JSON at byte 12: ..."
    kDepth,            // "nesting deeper than 64 levels (kMaxJsonDepth)"
    kDuplicateMember,  // "duplicate member 'action' in an object"
  };
  Kind kind;
  std::string path;
  std::string detail;
};

// Parses JSON text into `*out`, refusing what JSON parsers disagree on or what could exhaust the
// stack: a member that occurs twice in one object, and nesting deeper than kMaxJsonDepth.
// Never throws. Returns the first problem, or nullopt when `*out` was set.
std::optional<JsonTextProblem> ParseJsonText(std::string_view text, nlohmann::json* out);

}  // namespace tracery::epcis

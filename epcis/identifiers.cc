#include "tracery/epcis/identifiers.h"

#include "tracery/core/encoding.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "json_syntax.h"
#include "tracery/epcis/checkpoint_json.h"

namespace tracery::epcis {
namespace {

constexpr std::string_view kCanonicalHost = "https://id.gs1.org/";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit); }

// GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
bool IsCset82(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!\"%&'()*+,-./:;<=>?_").find(c) != std::string_view::npos;
}

// GS1 AI encodable character set 39 (component/part identifiers, AI 8010).
bool IsCset39(char c) {
  return (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '#' || c == '-' || c == '/';
}

Status Malformed(std::string_view id, std::string_view why) {
  return InvalidArgument(Shown(id) + ": " + std::string(why));
}

// %XX escapes decoded; nullopt when an escape is broken.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}


// An AI value component: its escapes decoded, 1..max_length characters of CSET 82 (or digits
// only). Returns the raw value.
Result<std::string> ReadComponent(std::string_view id, std::string_view text, std::string_view what,
                                  size_t max_length, bool digits_only) {
  std::optional<std::string> raw = Unescape(text);
  if (!raw) return Malformed(id, std::string(what) + " has a broken %-escape");
  if (raw->empty() || raw->size() > max_length) {
    return Malformed(
        id, std::string(what) + " must have 1 to " + std::to_string(max_length) + " characters");
  }
  for (char c : *raw) {
    if (digits_only ? !IsDigit(c) : !IsCset82(c)) {
      return Malformed(id, std::string(what) + (digits_only ? " must be digits"
                                                            : " has a character outside the GS1 "
                                                              "character set 82"));
    }
  }
  return std::move(*raw);
}

// ---------------------------------------------------------------------------------------------
// EPC URNs (GS1 EPC Tag Data Standard 2.x, §6 and §8; the Digital Link forms of its §7 tables).

// What follows the numeric key in the Digital Link URI.
enum class Tail {
  kNone,          // sscc, pgln, gsrn, gsrnp, gsin
  kQualifier,     // "/21/<serial>", "/10/<lot>", "/235/<tpx>"
  kAppended,      // grai, gdti, sgcn: the serial follows the key in the same segment
  kGlnExtension,  // sgln: "/254/<extension>" unless the extension is "0"
  kPattern,       // idpat: "*", the class of all serials
};

// A scheme whose key is digits: company prefix + reference, then the check digit.
struct NumericScheme {
  std::string_view urn_prefix;  // "urn:epc:id:sgtin:"
  std::string_view ai;          // "01"
  size_t digits;                // company prefix + reference, without the check digit
  bool indicator_first;         // the reference's first digit leads the key (GTIN, SSCC)
  std::string_view key_prefix;  // "0" for GRAI (AI 8003 is N1 + N13 + X..16)
  size_t two_digit_fields;      // itip: piece and total, appended to the key
  Tail tail;
  std::string_view qualifier;  // for kQualifier
  size_t max_tail;
  bool tail_digits_only;
};

constexpr NumericScheme kNumericSchemes[] = {
    {"urn:epc:id:sgtin:", "01", 13, true, "", 0, Tail::kQualifier, "21", 20, false},
    {"urn:epc:class:lgtin:", "01", 13, true, "", 0, Tail::kQualifier, "10", 20, false},
    {"urn:epc:idpat:sgtin:", "01", 13, true, "", 0, Tail::kPattern, "", 0, false},
    {"urn:epc:id:sscc:", "00", 17, true, "", 0, Tail::kNone, "", 0, false},
    {"urn:epc:id:sgln:", "414", 12, false, "", 0, Tail::kGlnExtension, "254", 20, false},
    {"urn:epc:id:pgln:", "417", 12, false, "", 0, Tail::kNone, "", 0, false},
    {"urn:epc:id:grai:", "8003", 12, false, "0", 0, Tail::kAppended, "", 16, false},
    {"urn:epc:idpat:grai:", "8003", 12, false, "0", 0, Tail::kPattern, "", 0, false},
    {"urn:epc:id:gdti:", "253", 12, false, "", 0, Tail::kAppended, "", 17, false},
    {"urn:epc:idpat:gdti:", "253", 12, false, "", 0, Tail::kPattern, "", 0, false},
    {"urn:epc:id:sgcn:", "255", 12, false, "", 0, Tail::kAppended, "", 12, true},
    {"urn:epc:idpat:sgcn:", "255", 12, false, "", 0, Tail::kPattern, "", 0, false},
    {"urn:epc:id:gsrn:", "8018", 17, false, "", 0, Tail::kNone, "", 0, false},
    {"urn:epc:id:gsrnp:", "8017", 17, false, "", 0, Tail::kNone, "", 0, false},
    {"urn:epc:id:gsin:", "402", 16, false, "", 0, Tail::kNone, "", 0, false},
    {"urn:epc:id:itip:", "8006", 13, true, "", 2, Tail::kQualifier, "21", 20, false},
    {"urn:epc:idpat:itip:", "8006", 13, true, "", 2, Tail::kPattern, "", 0, false},
    {"urn:epc:id:upui:", "01", 13, true, "", 0, Tail::kQualifier, "235", 28, false},
    {"urn:epc:idpat:upui:", "01", 13, true, "", 0, Tail::kPattern, "", 0, false},
};

// A scheme whose key is the company prefix followed by an alphanumeric reference, with no check
// digit: giai, ginc, cpi.
struct AlphanumericScheme {
  std::string_view urn_prefix;
  std::string_view ai;
  bool cset39;  // cpi's reference is CSET 39, the others' CSET 82
  Tail tail;    // kNone, kQualifier ("8011": cpi serial) or kPattern
};

constexpr AlphanumericScheme kAlphanumericSchemes[] = {
    {"urn:epc:id:giai:", "8004", false, Tail::kNone},
    {"urn:epc:id:ginc:", "401", false, Tail::kNone},
    {"urn:epc:id:cpi:", "8010", true, Tail::kQualifier},
    {"urn:epc:idpat:cpi:", "8010", true, Tail::kPattern},
};
constexpr size_t kMaxAlphanumericKey = 30;  // AIs 8004, 401, 8010: X..30
constexpr size_t kMaxCpiSerial = 12;        // AI 8011: N..12

// Splits `body` at its first `n - 1` dots into n fields (the last one keeps any further dots:
// serials may contain them). Empty when there are fewer.
std::vector<std::string_view> SplitFields(std::string_view body, size_t n) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < n) {
    size_t dot = body.find('.');
    if (dot == std::string_view::npos) return {};
    fields.push_back(body.substr(0, dot));
    body = body.substr(dot + 1);
  }
  fields.push_back(body);
  return fields;
}

Status CheckCompanyPrefix(std::string_view id, std::string_view prefix) {
  if (!IsDigits(prefix) || prefix.size() < 6 || prefix.size() > 12) {
    return Malformed(id, "the GS1 company prefix must be 6 to 12 digits");
  }
  return Status::Ok();
}

Result<std::string> NumericUrnToDigitalLink(std::string_view id, const NumericScheme& s) {
  const std::string_view body = id.substr(s.urn_prefix.size());
  if (s.tail == Tail::kPattern && body.find('*') + 1 != body.size()) {
    return Malformed(id, "only class-level patterns, with '*' as the last field, are supported");
  }
  const size_t n = 2 + s.two_digit_fields + (s.tail == Tail::kNone ? 0 : 1);
  std::vector<std::string_view> f = SplitFields(body, n);
  if (f.empty()) return Malformed(id, "expected " + std::to_string(n) + " fields separated by '.'");
  RETURN_IF_ERROR(CheckCompanyPrefix(id, f[0]));
  if (!(f[1].empty() || IsDigits(f[1])) || f[0].size() + f[1].size() != s.digits) {
    return Malformed(id, "company prefix and reference must be " + std::to_string(s.digits) +
                             " digits together");
  }
  std::string digits =
      s.indicator_first && !f[1].empty()
          ? std::string(f[1].substr(0, 1)) + std::string(f[0]) + std::string(f[1].substr(1))
          : std::string(f[0]) + std::string(f[1]);
  std::string key = std::string(s.key_prefix) + digits + Gs1CheckDigit(digits);
  for (size_t i = 0; i < s.two_digit_fields; ++i) {
    std::string_view part = f[2 + i];
    if (part.size() != 2 || !IsDigits(part))
      return Malformed(id, "piece and total must be 2 digits");
    key += part;
  }
  std::string uri = std::string(kCanonicalHost) + std::string(s.ai) + "/" + key;
  const std::string_view tail = f.back();
  switch (s.tail) {
    case Tail::kNone:
      return uri;
    case Tail::kPattern:
      if (tail != "*") return Malformed(id, "the last field of a class-level pattern must be '*'");
      return uri;
    case Tail::kGlnExtension: {
      ASSIGN_OR_RETURN(std::string ext,
                       ReadComponent(id, tail, "the extension", s.max_tail, false));
      if (ext == "0") return uri;
      return uri + "/254/" + DigitalLinkEscape(ext);
    }
    case Tail::kQualifier: {
      ASSIGN_OR_RETURN(std::string raw, ReadComponent(id, tail, "the serial or lot", s.max_tail,
                                                      s.tail_digits_only));
      return uri + "/" + std::string(s.qualifier) + "/" + DigitalLinkEscape(raw);
    }
    case Tail::kAppended: {
      ASSIGN_OR_RETURN(std::string raw,
                       ReadComponent(id, tail, "the serial", s.max_tail, s.tail_digits_only));
      return uri + DigitalLinkEscape(raw);
    }
  }
  return uri;
}

Result<std::string> AlphanumericUrnToDigitalLink(std::string_view id, const AlphanumericScheme& s) {
  const std::string_view body = id.substr(s.urn_prefix.size());
  std::vector<std::string_view> f = SplitFields(body, s.tail == Tail::kNone ? 2 : 3);
  if (f.empty()) return Malformed(id, "missing '.' after the company prefix");
  RETURN_IF_ERROR(CheckCompanyPrefix(id, f[0]));
  // giai and ginc references may contain '.', and keep them (f[1] is the rest of the URN); a
  // cpi reference may not, so its serial is the third field.
  std::optional<std::string> ref = Unescape(f[1]);
  if (!ref || ref->empty()) return Malformed(id, "the reference is empty or has a broken %-escape");
  for (char c : *ref) {
    if (s.cset39 ? !IsCset39(c) : !IsCset82(c)) {
      return Malformed(id, "the reference has a character outside the GS1 character set");
    }
  }
  std::string key = std::string(f[0]) + *ref;
  if (key.size() > kMaxAlphanumericKey) {
    return Malformed(id, "company prefix and reference must be at most 30 characters together");
  }
  std::string uri = std::string(kCanonicalHost) + std::string(s.ai) + "/" + DigitalLinkEscape(key);
  if (s.tail == Tail::kPattern) {
    if (f[2] != "*") return Malformed(id, "only class-level patterns ending in '.*' are supported");
    return uri;
  }
  if (s.tail == Tail::kQualifier) {
    ASSIGN_OR_RETURN(std::string serial,
                     ReadComponent(id, f[2], "the serial", kMaxCpiSerial, true));
    return uri + "/8011/" + serial;
  }
  return uri;
}

// nullopt: not an EPC URN of a GS1 key (so kept as it is).
std::optional<Result<std::string>> EpcUrnToDigitalLink(std::string_view id) {
  for (const NumericScheme& s : kNumericSchemes) {
    if (StartsWith(id, s.urn_prefix)) return NumericUrnToDigitalLink(id, s);
  }
  for (const AlphanumericScheme& s : kAlphanumericSchemes) {
    if (StartsWith(id, s.urn_prefix)) return AlphanumericUrnToDigitalLink(id, s);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// GS1 Digital Link URIs (GS1 Digital Link: URI Syntax 1.2).

enum class KeyFormat {
  kGtin,          // 8, 12, 13 or 14 digits, written as 14
  kDigits,        // exactly `length` digits
  kDigitsSerial,  // `length` digits, then up to `max_serial` CSET 82 (digits) characters
  kText,          // 1..30 CSET 82
  kText39,        // 1..30 CSET 39
};

struct PrimaryKey {
  std::string_view ai;
  std::string_view short_name;
  KeyFormat format;
  size_t length;
  size_t max_serial;
  bool serial_digits_only;
  // Key qualifiers that may follow, finest first: the canonical form keeps only the first one
  // present (a serial over a lot, say). Others the key allows (22 CPV, 8019 SRIN) are dropped.
  std::string_view kept[3];
  std::string_view dropped[1];
};

constexpr PrimaryKey kPrimaryKeys[] = {
    {"01", "gtin", KeyFormat::kGtin, 14, 0, false, {"21", "235", "10"}, {"22"}},
    {"8006", "itip", KeyFormat::kDigits, 18, 0, false, {"21", "10"}, {"22"}},
    {"8010", "cpid", KeyFormat::kText39, 30, 0, false, {"8011"}, {}},
    {"414", "gln", KeyFormat::kDigits, 13, 0, false, {"254"}, {}},
    {"417", "party", KeyFormat::kDigits, 13, 0, false, {}, {}},
    {"8017", "gsrnp", KeyFormat::kDigits, 18, 0, false, {}, {"8019"}},
    {"8018", "gsrn", KeyFormat::kDigits, 18, 0, false, {}, {"8019"}},
    {"255", "gcn", KeyFormat::kDigitsSerial, 13, 12, true, {}, {}},
    {"00", "sscc", KeyFormat::kDigits, 18, 0, false, {}, {}},
    {"253", "gdti", KeyFormat::kDigitsSerial, 13, 17, false, {}, {}},
    {"401", "ginc", KeyFormat::kText, 30, 0, false, {}, {}},
    {"402", "gsin", KeyFormat::kDigits, 17, 0, false, {}, {}},
    {"8003", "grai", KeyFormat::kDigitsSerial, 14, 16, false, {}, {}},
    {"8004", "giai", KeyFormat::kText, 30, 0, false, {}, {}},
};

struct QualifierSpec {
  std::string_view ai;
  std::string_view short_name;
  size_t max_length;
  bool digits_only;
};

constexpr QualifierSpec kQualifiers[] = {
    {"10", "lot", 20, false},   {"21", "ser", 20, false},   {"22", "cpv", 20, false},
    {"235", "tpx", 28, false},  {"254", "glnx", 20, false}, {"8011", "cpsn", 12, true},
    {"8019", "srin", 10, true},
};

const PrimaryKey* FindPrimaryKey(std::string_view segment) {
  for (const PrimaryKey& k : kPrimaryKeys) {
    if (segment == k.ai || segment == k.short_name) return &k;
  }
  return nullptr;
}

const QualifierSpec* FindQualifier(std::string_view segment) {
  for (const QualifierSpec& q : kQualifiers) {
    if (segment == q.ai || segment == q.short_name) return &q;
  }
  return nullptr;
}

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  if (!segments.empty() && segments.back().empty()) segments.pop_back();  // a trailing '/'
  return segments;
}

// The index of the segment naming the primary key: the first AI (or short name) followed by a
// segment that starts with four digits, as GS1's reference implementation detects a Digital
// Link URI. Returns segments.size() when there is none.
size_t FindKeySegment(const std::vector<std::string_view>& segments) {
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    std::string_view value = segments[i + 1];
    if (FindPrimaryKey(segments[i]) != nullptr && value.size() >= 4 &&
        IsDigits(value.substr(0, 4))) {
      return i;
    }
  }
  return segments.size();
}

Result<std::string> ReadKeyValue(std::string_view id, const PrimaryKey& k, std::string_view text) {
  std::optional<std::string> raw = Unescape(text);
  if (!raw) return Malformed(id, "the key has a broken %-escape");
  const std::string what = "the value of AI (" + std::string(k.ai) + ")";
  switch (k.format) {
    case KeyFormat::kGtin: {
      const size_t n = raw->size();
      if (!IsDigits(*raw) || (n != 8 && n != 12 && n != 13 && n != 14)) {
        return Malformed(id, "a GTIN must be 8, 12, 13 or 14 digits");
      }
      return std::string(14 - n, '0') + *raw;
    }
    case KeyFormat::kDigits:
      if (!IsDigits(*raw) || raw->size() != k.length) {
        return Malformed(id, what + " must be " + std::to_string(k.length) + " digits");
      }
      return std::move(*raw);
    case KeyFormat::kDigitsSerial: {
      std::string_view key = std::string_view(*raw).substr(0, k.length);
      if (raw->size() < k.length || !IsDigits(key)) {
        return Malformed(id, what + " must start with " + std::to_string(k.length) + " digits");
      }
      if (raw->size() == k.length) return std::move(*raw);
      ASSIGN_OR_RETURN(std::string serial, ReadComponent(id, raw->substr(k.length), "the serial",
                                                         k.max_serial, k.serial_digits_only));
      return std::string(key) + serial;
    }
    case KeyFormat::kText:
    case KeyFormat::kText39:
      if (raw->empty() || raw->size() > k.length) {
        return Malformed(id, what + " must have 1 to " + std::to_string(k.length) + " characters");
      }
      for (char c : *raw) {
        if (k.format == KeyFormat::kText39 ? !IsCset39(c) : !IsCset82(c)) {
          return Malformed(id, what + " has a character outside the GS1 character set");
        }
      }
      return std::move(*raw);
  }
  return std::move(*raw);
}

bool Contains(const std::string_view (&list)[3], std::string_view ai) {
  return std::find(std::begin(list), std::end(list), ai) != std::end(list);
}

// nullopt: not a Digital Link URI (so kept as it is).
std::optional<Result<std::string>> DigitalLinkToCanonical(std::string_view id) {
  std::string_view rest;
  if (StartsWith(id, "https://")) {
    rest = id.substr(8);
  } else if (StartsWith(id, "http://")) {
    rest = id.substr(7);
  } else {
    return std::nullopt;
  }
  rest = rest.substr(0, rest.find_first_of("?#"));  // the query and fragment are not the key
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> segments = PathSegments(rest.substr(slash + 1));
  const size_t at = FindKeySegment(segments);
  if (at == segments.size()) return std::nullopt;
  const PrimaryKey& key = *FindPrimaryKey(segments[at]);
  if ((segments.size() - at) % 2 != 0) {
    return Malformed(id, "key qualifiers must come in AI/value pairs");
  }
  auto key_value = ReadKeyValue(id, key, segments[at + 1]);
  if (!key_value.ok()) return key_value.status();
  std::string uri = std::string(kCanonicalHost) + std::string(key.ai) + "/" + DigitalLinkEscape(*key_value);
  std::string_view finest_ai;
  std::string finest_value;
  for (size_t i = at + 2; i < segments.size(); i += 2) {
    const QualifierSpec* q = FindQualifier(segments[i]);
    if (q == nullptr || (!Contains(key.kept, q->ai) && key.dropped[0] != q->ai)) {
      return Malformed(
          id, Shown(segments[i]) + " is not a key qualifier of AI (" + std::string(key.ai) + ")");
    }
    auto value = ReadComponent(id, segments[i + 1], "the value of AI (" + std::string(q->ai) + ")",
                               q->max_length, q->digits_only);
    if (!value.ok()) return value.status();
    const auto rank = [&](std::string_view ai) {
      return std::find(std::begin(key.kept), std::end(key.kept), ai) - std::begin(key.kept);
    };
    if (Contains(key.kept, q->ai) && (finest_ai.empty() || rank(q->ai) < rank(finest_ai))) {
      finest_ai = q->ai;
      finest_value = *value;
    }
  }
  if (!finest_ai.empty()) uri += "/" + std::string(finest_ai) + "/" + DigitalLinkEscape(finest_value);
  return uri;
}

}  // namespace

Result<std::string> CanonicalIdentifier(std::string_view id) {
  if (id.empty()) return InvalidArgument("must not be empty");
  if (id.size() > kMaxIdentifierBytes) {
    return InvalidArgument(std::to_string(id.size()) + " bytes exceed the limit of " +
                           std::to_string(kMaxIdentifierBytes) +
                           " bytes per identifier (kMaxIdentifierBytes)");
  }
  if (HasSpaceOrControl(id)) {
    return Malformed(id, "an identifier must not contain spaces or control characters");
  }
  if (std::optional<Result<std::string>> dl = EpcUrnToDigitalLink(id)) return std::move(*dl);
  if (std::optional<Result<std::string>> dl = DigitalLinkToCanonical(id)) return std::move(*dl);
  if (!IsAbsoluteUri(id)) {
    return Malformed(id, "not an absolute URI (an EPC URN, a GS1 Digital Link URI or another URI)");
  }
  return std::string(id);
}

}  // namespace tracery::epcis

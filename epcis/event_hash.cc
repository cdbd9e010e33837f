// The CBV 2.0 EPCIS Event Hash ID (CBV 2.0 §8.9), checked against GS1's reference
// implementation (github.com/RalphTro/epcis-event-hash-generator). docs/formats/epcis.md states
// the rules in full.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "namespaces.h"
#include "tracery/core/crypto.h"
#include "tracery/core/time.h"
#include "tracery/epcis/document.h"
#include "tracery/epcis/identifiers.h"
#include "vocabulary.h"

namespace tracery::epcis {
namespace {

using nlohmann::json;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// Sorted (byte order) and concatenated: the order of list entries and extensions never matters.
std::string Concat(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

// `name` followed by what it holds, or "" when it holds nothing (rule 4: absent data adds
// nothing).
std::string Group(std::string_view name, const std::string& inner) {
  return inner.empty() ? std::string() : std::string(name) + inner;
}

std::string Pair(std::string_view name, const std::string& value) {
  return value.empty() ? std::string() : std::string(name) + "=" + value;
}

// ---------------------------------------------------------------------------------------------
// Values.

// A double as Python's repr() writes it: the shortest digits that read back as the same double,
// in positional notation when the decimal exponent is in [-4, 16), else as "1.5e-05".
std::string PythonFloat(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  TRACERY_CHECK(ec == std::errc());
  std::string_view text(buf, end - buf);
  const bool negative = text[0] == '-';
  if (negative) text.remove_prefix(1);
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'), text.data() + text.size(), exponent);
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return out + "0." + std::string(-exponent - 1, '0') + digits;
    if (digits.size() <= static_cast<size_t>(exponent) + 1) {
      return out + digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    }
    return out + digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  const std::string magnitude = std::to_string(std::abs(exponent));
  return out + (exponent < 0 ? "e-" : "e+") + (magnitude.size() < 2 ? "0" : "") + magnitude;
}

// Rules 6 and 7: a numeric value without trailing zeros. As the reference implementation does,
// every value that reads as a decimal number is rewritten: "23.0" → "23", "0.50" → "0.5".
std::optional<std::string> NumericForm(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  size_t digits = 0;
  auto skip_digits = [&] {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  };
  skip_digits();
  if (i < s.size() && s[i] == '.') ++i, skip_digits();
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const double d = std::strtod(std::string(s).c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  if (d != std::floor(d)) return PythonFloat(d);
  if (std::fabs(d) < 9e18) return std::to_string(static_cast<int64_t>(d));
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.0f", d);
  return buf;
}

// Rule 14: CBV URNs as CBV Web URIs, whatever member holds them.
std::string CbvUrnAsWebUri(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kUrns[] = {
      {"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"},
      {"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"},
      {"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"},
      {"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"},
      {"urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"},
  };
  for (const auto& [urn, web] : kUrns) {
    if (StartsWith(s, urn)) return std::string(web) + std::string(s.substr(urn.size()));
  }
  return std::string(s);
}

// Every value: trimmed (rule 5), CBV URNs as Web URIs (14), numbers without trailing zeros
// (6, 7), GS1 keys as canonical Digital Link URIs (17, 18).
std::string CanonicalValue(std::string_view raw) {
  std::string s = CbvUrnAsWebUri(Trim(raw));
  if (std::optional<std::string> number = NumericForm(s)) return *number;
  Result<std::string> identifier = CanonicalIdentifier(s);
  return identifier.ok() ? std::move(identifier).value() : s;
}

std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return PythonFloat(v.get<double>());
  return "";  // null, and structures where a scalar belongs (refused by ValidateEvent)
}

// Rules 8 and 9: a time in UTC with milliseconds.
std::string TimeValue(const json& v) {
  const std::string text(Trim(ScalarText(v)));
  Result<Timestamp> ts = ParseRfc3339(text);
  return ts.ok() ? FormatRfc3339Utc(ts->unix_ms) : text;
}

// ---------------------------------------------------------------------------------------------
// The pre-hash string.

enum class Kind { kValue, kTime, kVocabulary };

struct OrderedField {
  std::string_view name;
  Kind kind;
  Vocabulary vocabulary;
};

constexpr OrderedField kSensorMetadataOrder[] = {
    {"time", Kind::kTime, {}},
    {"startTime", Kind::kTime, {}},
    {"endTime", Kind::kTime, {}},
    {"deviceID", Kind::kValue, {}},
    {"deviceMetadata", Kind::kValue, {}},
    {"rawData", Kind::kValue, {}},
    {"dataProcessingMethod", Kind::kValue, {}},
    {"bizRules", Kind::kValue, {}},
};

constexpr OrderedField kSensorReportOrder[] = {
    {"type", Kind::kVocabulary, Vocabulary::kMeasurementType},
    {"exception", Kind::kVocabulary, Vocabulary::kSensorAlertType},
    {"deviceID", Kind::kValue, {}},
    {"deviceMetadata", Kind::kValue, {}},
    {"rawData", Kind::kValue, {}},
    {"dataProcessingMethod", Kind::kValue, {}},
    {"time", Kind::kTime, {}},
    {"microorganism", Kind::kValue, {}},
    {"chemicalSubstance", Kind::kValue, {}},
    {"value", Kind::kValue, {}},
    {"component", Kind::kVocabulary, Vocabulary::kComponent},
    {"stringValue", Kind::kValue, {}},
    {"booleanValue", Kind::kValue, {}},
    {"hexBinaryValue", Kind::kValue, {}},
    {"uriValue", Kind::kValue, {}},
    {"minValue", Kind::kValue, {}},
    {"maxValue", Kind::kValue, {}},
    {"meanValue", Kind::kValue, {}},
    {"sDev", Kind::kValue, {}},
    {"percRank", Kind::kValue, {}},
    {"percValue", Kind::kValue, {}},
    {"uom", Kind::kValue, {}},
    {"coordinateReferenceSystem", Kind::kValue, {}},
};

constexpr OrderedField kQuantityOrder[] = {
    {"epcClass", Kind::kValue, {}}, {"quantity", Kind::kValue, {}}, {"uom", Kind::kValue, {}}};

// The members of an event that are not user extensions. Those the hash leaves out (rule: eventID,
// recordTime, errorDeclaration, certificationInfo) are here too.
constexpr std::string_view kStandardMembers[] = {
    "@context",
    "type",
    "eventID",
    "recordTime",
    "errorDeclaration",
    "certificationInfo",
    "eventTime",
    "eventTimeZoneOffset",
    "epcList",
    "parentID",
    "inputEPCList",
    "childEPCs",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "action",
    "transformationID",
    "bizStep",
    "disposition",
    "persistentDisposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "ilmd",
};

class PreHash {
 public:
  explicit PreHash(const Event& event) : event_(event.json), ns_(event.context) {}

  std::string Build() {
    std::string out = "eventType=" + ScalarText(Member(event_, "type"));
    out += Pair("eventTime", TimeValue(Member(event_, "eventTime")));
    out += Pair("eventTimeZoneOffset", Value(Member(event_, "eventTimeZoneOffset")));
    out += IdList("epcList");
    out += Pair("parentID", Value(Member(event_, "parentID")));
    out += IdList("inputEPCList");
    out += IdList("childEPCs");
    out += QuantityList("quantityList");
    out += QuantityList("childQuantityList");
    out += QuantityList("inputQuantityList");
    out += IdList("outputEPCList");
    out += QuantityList("outputQuantityList");
    out += Pair("action", Value(Member(event_, "action")));
    out += Pair("transformationID", Value(Member(event_, "transformationID")));
    out += Pair("bizStep", VocabularyValue(Member(event_, "bizStep"), Vocabulary::kBizStep));
    out += Pair("disposition",
                VocabularyValue(Member(event_, "disposition"), Vocabulary::kDisposition));
    out += PersistentDisposition();
    out += Location("readPoint");
    out += Location("bizLocation");
    out += TypedList("bizTransactionList", "bizTransaction", Vocabulary::kBizTransactionType);
    // destinationList before sourceList: the CBV 2.0 table lists them the other way round, but
    // GS1's reference implementation, which computed the published test vectors, writes them in
    // this order (epcisDocWithVariousEventTypes.jsonld, events 1 and 2).
    out += TypedList("destinationList", "destination", Vocabulary::kSourceDestType);
    out += TypedList("sourceList", "source", Vocabulary::kSourceDestType);
    out += SensorElements();
    out += Group("ilmd", Concat(Extensions(Member(event_, "ilmd"), {})));
    for (std::string& s : Extensions(event_, kStandardMembers)) extensions_.push_back(std::move(s));
    return out + Concat(std::move(extensions_));
  }

 private:
  static const json& Member(const json& object, std::string_view name) {
    static const json kNull;
    if (!object.is_object()) return kNull;
    auto it = object.find(name);
    return it == object.end() ? kNull : *it;
  }

  static std::string Value(const json& v) {
    return v.is_null() ? "" : CanonicalValue(ScalarText(v));
  }

  std::string VocabularyValue(const json& v, Vocabulary vocabulary) const {
    if (v.is_null()) return "";
    const std::string text(Trim(ScalarText(v)));
    Result<std::string> uri = VocabularyUri(vocabulary, text, ns_);
    return uri.ok() ? std::move(uri).value() : CanonicalValue(text);
  }

  std::string FieldValue(const json& v, const OrderedField& field) const {
    switch (field.kind) {
      case Kind::kTime:
        return v.is_null() ? "" : TimeValue(v);
      case Kind::kVocabulary:
        return VocabularyValue(v, field.vocabulary);
      case Kind::kValue:
        return Value(v);
    }
    return "";
  }

  // The fields of `object` in `order`.
  std::string Ordered(const json& object, std::span<const OrderedField> order) const {
    std::string out;
    for (const OrderedField& field : order) {
      out += Pair(field.name, FieldValue(Member(object, field.name), field));
    }
    return out;
  }

  // Rules 19-20: the pre-hash strings of the members of `object` not in `standard`, each
  // "{namespace}name=value" or "{namespace}name" followed by its own members; an array gives one
  // string per element.
  std::vector<std::string> Extensions(const json& object,
                                      std::span<const std::string_view> standard) const {
    std::vector<std::string> out;
    if (!object.is_object()) return out;
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (std::find(standard.begin(), standard.end(), it.key()) != standard.end()) continue;
      AppendExtension(it.key(), it.value(), &out);
    }
    return out;
  }

  void AppendExtension(std::string_view name, const json& v, std::vector<std::string>* out) const {
    if (v.is_array()) {
      for (const json& element : v) AppendExtension(name, element, out);
      return;
    }
    const std::string key = ns_.HashName(name);
    if (v.is_object()) {
      out->push_back(key + Concat(Extensions(v, {})));
      return;
    }
    const std::string text = Value(v);
    out->push_back(text.empty() ? key : key + "=" + text);
  }

  // Rule 21 (CBV 2.0): extensions inside a standard member go to the trailing block, after the
  // name of the member that holds them.
  void KeepNested(std::string_view holder, std::vector<std::string> nested,
                  std::vector<std::string>* block) const {
    if (!nested.empty()) block->push_back(std::string(holder) + Concat(std::move(nested)));
  }

  std::string IdList(std::string_view name) const {
    std::vector<std::string> entries;
    for (const json& v : Array(name)) entries.push_back(Pair("epc", Value(v)));
    return Group(name, Concat(std::move(entries)));
  }

  std::string QuantityList(std::string_view name) const {
    std::vector<std::string> entries;
    for (const json& q : Array(name))
      entries.push_back(Group("quantityElement", Ordered(q, kQuantityOrder)));
    return Group(name, Concat(std::move(entries)));
  }

  // Rule 13: the type first, then the identifier; entries sorted as wholes.
  std::string TypedList(std::string_view name, std::string_view id_member, Vocabulary types) const {
    std::vector<std::string> entries;
    for (const json& entry : Array(name)) {
      entries.push_back(Pair("type", VocabularyValue(Member(entry, "type"), types)) +
                        Pair(id_member, Value(Member(entry, id_member))));
    }
    return Group(name, Concat(std::move(entries)));
  }

  std::string PersistentDisposition() const {
    const json& pd = Member(event_, "persistentDisposition");
    std::string out;
    for (std::string_view part : {"set", "unset"}) {
      std::vector<std::string> values;
      const json& list = Member(pd, part);
      if (!list.is_array()) continue;
      for (const json& v : list) {
        values.push_back(Pair(part, VocabularyValue(v, Vocabulary::kDisposition)));
      }
      out += Concat(std::move(values));
    }
    return Group("persistentDisposition", out);
  }

  std::string Location(std::string_view name) {
    const json& location = Member(event_, name);
    static constexpr std::string_view kId[] = {"id"};
    KeepNested(name, Extensions(location, kId), &extensions_);
    return Group(name, Pair("id", Value(Member(location, "id"))));
  }

  // CBV 2.0 writes no "sensorElementList" (CBV 2.1 does): each element is "sensorElement",
  // its metadata, then its reports sorted; the elements sorted.
  std::string SensorElements() {
    static constexpr std::string_view kElementMembers[] = {"sensorMetadata", "sensorReport"};
    std::vector<std::string> elements;
    for (const json& element : Array("sensorElementList")) {
      const json& metadata = Member(element, "sensorMetadata");
      std::vector<std::string> nested;
      KeepNested("sensorMetadata", Extensions(metadata, FieldNames(kSensorMetadataOrder)), &nested);
      std::vector<std::string> reports;
      const json& report_list = Member(element, "sensorReport");
      if (report_list.is_array()) {
        for (const json& report : report_list) {
          reports.push_back(Group("sensorReport", Ordered(report, kSensorReportOrder)));
          KeepNested("sensorReport", Extensions(report, FieldNames(kSensorReportOrder)), &nested);
        }
      }
      for (std::string& s : Extensions(element, kElementMembers)) nested.push_back(std::move(s));
      KeepNested("sensorElement", std::move(nested), &extensions_);
      elements.push_back(
          Group("sensorElement", Group("sensorMetadata", Ordered(metadata, kSensorMetadataOrder)) +
                                     Concat(std::move(reports))));
    }
    return Concat(std::move(elements));
  }

  template <size_t N>
  static std::vector<std::string_view> FieldNames(const OrderedField (&order)[N]) {
    std::vector<std::string_view> names;
    for (const OrderedField& f : order) names.push_back(f.name);
    return names;
  }

  const json& Array(std::string_view name) const {
    static const json kEmpty = json::array();
    const json& v = Member(event_, name);
    return v.is_array() ? v : kEmpty;
  }

  const json& event_;
  const Namespaces ns_;
  std::vector<std::string> extensions_;  // rule 20-21: sorted, at the end
};

}  // namespace

std::string EventPreHash(const Event& event) { return PreHash(event).Build(); }

std::string EventHashId(const Event& event) {
  return "ni:///sha-256;" + HashHex(Sha256(EventPreHash(event))) + "?ver=CBV2.0";
}

}  // namespace tracery::epcis

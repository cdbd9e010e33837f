// ValidateEvent: the rules of EPCIS 2.0 (§7 and its JSON schema) for one event. The rule names
// of the Problems are listed in docs/formats/epcis.md.
#include <algorithm>
#include <optional>
#include <span>
#include <string>

#include "event_types.h"
#include "json_syntax.h"
#include "namespaces.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/epcis/document.h"
#include "tracery/epcis/identifiers.h"
#include "vocabulary.h"

namespace tracery::epcis {
namespace {

using nlohmann::json;

#define RETURN_IF_PROBLEM(expr)                        \
  do {                                                 \
    if (std::optional<Problem> _p = (expr)) return _p; \
  } while (0)

using MaybeProblem = std::optional<Problem>;

// Times and offsets are short; longer text is refused before it is parsed or echoed.
constexpr size_t kMaxTimeText = 64;

std::string Field(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}
std::string At(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

MaybeProblem Make(const std::string& path, std::string rule, std::string detail) {
  return Problem{path, std::move(rule), std::move(detail)};
}

// The message of a Status without any "<path>: " prefix a shared helper put in front of it.
std::string Detail(const Status& status, const std::string& path) {
  const std::string& m = status.message();
  const std::string prefix = path + ": ";
  return m.compare(0, prefix.size(), prefix) == 0 ? m.substr(prefix.size()) : m;
}

const json* Find(const json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

bool NonEmpty(const json& object, std::string_view name) {
  const json* v = Find(object, name);
  return v != nullptr && v->is_array() && !v->empty();
}

// ---------------------------------------------------------------------------------------------
// Scalars.

MaybeProblem String(const json& v, const std::string& path) {
  if (!v.is_string()) return Make(path, "json.type", "expected a string");
  return std::nullopt;
}

MaybeProblem Object(const json& v, const std::string& path) {
  if (!v.is_object()) return Make(path, "json.type", "expected an object");
  return std::nullopt;
}

MaybeProblem List(const json& v, const std::string& path) {
  if (!v.is_array()) return Make(path, "json.type", "expected an array");
  if (v.size() > kMaxListEntries) {
    return Make(path, "list.limit",
                std::to_string(v.size()) + " entries exceed the limit of " +
                    std::to_string(kMaxListEntries) + " (kMaxListEntries)");
  }
  return std::nullopt;
}

// An EPC, class, location, party, business transaction, ...: an EPC URN, a GS1 Digital Link URI
// or another absolute URI, in the syntax CanonicalIdentifier accepts.
MaybeProblem Identifier(const json& v, const std::string& path, const Namespaces&) {
  RETURN_IF_PROBLEM(String(v, path));
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxIdentifierBytes) {
    return Make(path, "identifier.length", Detail(IdentifierTooLong(path, s.size()), path));
  }
  Result<std::string> canonical = CanonicalIdentifier(s);
  if (!canonical.ok()) return Make(path, "identifier.syntax", canonical.status().message());
  return std::nullopt;
}

// An event ID or another URI that is kept as written.
MaybeProblem Uri(const json& v, const std::string& path, std::string_view rule) {
  RETURN_IF_PROBLEM(String(v, path));
  const std::string& s = v.get_ref<const std::string&>();
  Status status = CheckIdentifier(s, path);
  if (!status.ok()) return Make(path, std::string(rule), Detail(status, path));
  if (!IsAbsoluteUri(s))
    return Make(path, std::string(rule), "expected an absolute URI, got " + Shown(s));
  return std::nullopt;
}

MaybeProblem PlainUri(const json& v, const std::string& path, const Namespaces&) {
  return Uri(v, path, "uri.syntax");
}

// The rule of a time member is "<member>.format" ("eventTime.format").
MaybeProblem Time(const json& v, const std::string& path, std::string_view member) {
  const std::string rule = std::string(member) + ".format";
  if (!v.is_string()) return Make(path, rule, "expected an RFC 3339 time string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxTimeText) return Make(path, rule, "not an RFC 3339 time (too long)");
  Result<Timestamp> ts = ParseRfc3339(s);
  if (!ts.ok()) return Make(path, rule, ts.status().message());
  return std::nullopt;
}

MaybeProblem Vocab(const json& v, const std::string& path, Vocabulary vocabulary,
                   const Namespaces& ns) {
  RETURN_IF_PROBLEM(String(v, path));
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxIdentifierBytes) {
    return Make(path, "identifier.length", Detail(IdentifierTooLong(path, s.size()), path));
  }
  Result<std::string> uri = VocabularyUri(vocabulary, s, ns);
  if (!uri.ok()) return Make(path, "vocabulary.value", uri.status().message());
  return std::nullopt;
}

// sensorReport numbers: a JSON number, or a decimal string with an optional sign (XML input).
MaybeProblem Number(const json& v, const std::string& path, const Namespaces&) {
  if (v.is_number()) return std::nullopt;
  if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    if (s.size() <= kMaxIdentifierBytes && IsDecimal(s)) return std::nullopt;
  }
  return Make(path, "sensor.value", "expected a number");
}

// ---------------------------------------------------------------------------------------------
// Extensions.

// A member name that is not one of the standard's: it must be "prefix:name" with a prefix the
// @context declares (or an absolute IRI), since the Event Hash ID includes its namespace.
MaybeProblem ExtensionName(std::string_view name, const std::string& path, const Namespaces& ns) {
  std::optional<std::string_view> prefix = Namespaces::PrefixOf(name);
  if (!prefix) {
    if (name.find(':') != std::string_view::npos) return std::nullopt;  // an absolute IRI
    return Make(path, "member.unknown",
                "not a member of EPCIS 2.0 here; a user extension needs a namespace prefix "
                "declared in @context ('example:" +
                    std::string(name) + "')");
  }
  if (ns.Find(*prefix) == nullptr) {
    return Make(path, "extension.namespace",
                "the prefix '" + std::string(*prefix) + "' is not declared in @context");
  }
  return std::nullopt;
}

// The content of an extension is free, but prefixed member names inside it must be declared
// too. Recursion is bounded by kMaxJsonDepth, checked when the text was parsed.
MaybeProblem ExtensionValue(const json& v, const std::string& path, const Namespaces& ns) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) RETURN_IF_PROBLEM(ExtensionValue(v[i], At(path, i), ns));
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string member = Field(path, it.key());
      if (Namespaces::PrefixOf(it.key())) RETURN_IF_PROBLEM(ExtensionName(it.key(), member, ns));
      RETURN_IF_PROBLEM(ExtensionValue(it.value(), member, ns));
    }
  }
  return std::nullopt;
}

MaybeProblem Extension(std::string_view name, const json& v, const std::string& path,
                       const Namespaces& ns) {
  RETURN_IF_PROBLEM(ExtensionName(name, path, ns));
  return ExtensionValue(v, path, ns);
}

// ---------------------------------------------------------------------------------------------
// Structures. A MemberCheck validates one member's value; a table of them describes an object.

using MemberCheck = MaybeProblem (*)(const json& v, const std::string& path, const Namespaces& ns);

struct MemberRule {
  std::string_view name;
  MemberCheck check;
};

// Checks the members of `object` by `rules`; other members are user extensions when
// `extensible`, refused otherwise. `required` names members that must be present.
MaybeProblem Members(const json& object, const std::string& path, std::span<const MemberRule> rules,
                     bool extensible, const Namespaces& ns) {
  RETURN_IF_PROBLEM(Object(object, path));
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string member = Field(path, it.key());
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const MemberRule& r) { return r.name == it.key(); });
    if (rule != rules.end()) {
      RETURN_IF_PROBLEM(rule->check(it.value(), member, ns));
    } else if (extensible) {
      RETURN_IF_PROBLEM(Extension(it.key(), it.value(), member, ns));
    } else {
      return Make(member, "member.unknown", "not a member of this EPCIS 2.0 structure");
    }
  }
  return std::nullopt;
}

MaybeProblem Required(const json& object, const std::string& path, std::string_view name) {
  if (Find(object, name) == nullptr) {
    return Make(Field(path, name), std::string(name) + ".required", "required");
  }
  return std::nullopt;
}

template <MemberCheck kElement>
MaybeProblem ListOf(const json& v, const std::string& path, const Namespaces& ns) {
  RETURN_IF_PROBLEM(List(v, path));
  for (size_t i = 0; i < v.size(); ++i) RETURN_IF_PROBLEM(kElement(v[i], At(path, i), ns));
  return std::nullopt;
}

template <Vocabulary kVocabulary>
MaybeProblem VocabMember(const json& v, const std::string& path, const Namespaces& ns) {
  return Vocab(v, path, kVocabulary, ns);
}

template <const char* kMember>
MaybeProblem TimeMember(const json& v, const std::string& path, const Namespaces&) {
  return Time(v, path, kMember);
}

constexpr char kEventTime[] = "eventTime";
constexpr char kRecordTime[] = "recordTime";
constexpr char kDeclarationTime[] = "declarationTime";
constexpr char kTimeMember[] = "time";
constexpr char kStartTime[] = "startTime";
constexpr char kEndTime[] = "endTime";

// Quantity elements: {"epcClass", "quantity", "uom"}.
MaybeProblem QuantityValue(const json& v, const std::string& path, const Namespaces&) {
  Result<std::string> q = CanonicalQuantity(v, path);
  if (!q.ok()) return Make(path, "quantity.value", Detail(q.status(), path));
  return std::nullopt;
}

MaybeProblem Uom(const json& v, const std::string& path, const Namespaces&) {
  RETURN_IF_PROBLEM(String(v, path));
  if (!IsUom(v.get_ref<const std::string&>())) {
    return Make(path, "quantity.uom",
                "expected a UN/ECE Rec. 20 unit code (2 or 3 of A-Z, 0-9), got " +
                    Shown(v.get_ref<const std::string&>()));
  }
  return std::nullopt;
}

MaybeProblem QuantityElement(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {
      {"epcClass", Identifier}, {"quantity", QuantityValue}, {"uom", Uom}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, false, ns));
  RETURN_IF_PROBLEM(Required(v, path, "epcClass"));
  if (Find(v, "uom") != nullptr && Find(v, "quantity") == nullptr) {
    return Make(Field(path, "uom"), "quantity.uom", "given without a quantity");
  }
  return std::nullopt;
}

// readPoint and bizLocation: {"id": ...} and user extensions.
MaybeProblem Location(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"id", Identifier}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, true, ns));
  return Required(v, path, "id");
}

// sourceList, destinationList and bizTransactionList entries.
template <const char* kIdMember, bool kTypeRequired, Vocabulary kTypes>
MaybeProblem TypedEntry(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"type", VocabMember<kTypes>}, {kIdMember, Identifier}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, false, ns));
  if (kTypeRequired) RETURN_IF_PROBLEM(Required(v, path, "type"));
  return Required(v, path, kIdMember);
}

constexpr char kSource[] = "source";
constexpr char kDestination[] = "destination";
constexpr char kBizTransaction[] = "bizTransaction";

MaybeProblem PersistentDisposition(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"set", ListOf<VocabMember<Vocabulary::kDisposition>>},
                                          {"unset", ListOf<VocabMember<Vocabulary::kDisposition>>}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, false, ns));
  if (!NonEmpty(v, "set") && !NonEmpty(v, "unset")) {
    return Make(path, "persistentDisposition.required", "needs a non-empty set or unset");
  }
  return std::nullopt;
}

MaybeProblem CorrectiveEventId(const json& v, const std::string& path, const Namespaces&) {
  return Uri(v, path, "eventID.format");
}

MaybeProblem ErrorDeclaration(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"declarationTime", TimeMember<kDeclarationTime>},
                                          {"reason", VocabMember<Vocabulary::kErrorReason>},
                                          {"correctiveEventIDs", ListOf<CorrectiveEventId>}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, true, ns));
  return Required(v, path, "declarationTime");
}

MaybeProblem HexBinary(const json& v, const std::string& path, const Namespaces&) {
  RETURN_IF_PROBLEM(String(v, path));
  const std::string& s = v.get_ref<const std::string&>();
  bool hex = s.size() % 2 == 0 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
             });
  if (!hex) return Make(path, "sensor.value", "expected hexadecimal digits in pairs");
  return std::nullopt;
}

MaybeProblem Boolean(const json& v, const std::string& path, const Namespaces&) {
  if (v.is_boolean() || v == "true" || v == "false") return std::nullopt;
  return Make(path, "sensor.value", "expected true or false");
}

MaybeProblem Text(const json& v, const std::string& path, const Namespaces&) {
  return String(v, path);
}

MaybeProblem SensorUom(const json& v, const std::string& path, const Namespaces& ns) {
  return Uom(v, path, ns);
}

MaybeProblem SensorMetadata(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {
      {"time", TimeMember<kTimeMember>},    {"startTime", TimeMember<kStartTime>},
      {"endTime", TimeMember<kEndTime>},    {"deviceID", Identifier},
      {"deviceMetadata", Identifier},       {"rawData", Identifier},
      {"dataProcessingMethod", Identifier}, {"bizRules", Identifier}};
  return Members(v, path, kRules, true, ns);
}

MaybeProblem SensorReport(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"type", VocabMember<Vocabulary::kMeasurementType>},
                                          {"exception", VocabMember<Vocabulary::kSensorAlertType>},
                                          {"deviceID", Identifier},
                                          {"deviceMetadata", Identifier},
                                          {"rawData", Identifier},
                                          {"dataProcessingMethod", Identifier},
                                          {"time", TimeMember<kTimeMember>},
                                          {"microorganism", PlainUri},
                                          {"chemicalSubstance", PlainUri},
                                          {"value", Number},
                                          {"component", VocabMember<Vocabulary::kComponent>},
                                          {"stringValue", Text},
                                          {"booleanValue", Boolean},
                                          {"hexBinaryValue", HexBinary},
                                          {"uriValue", PlainUri},
                                          {"minValue", Number},
                                          {"maxValue", Number},
                                          {"meanValue", Number},
                                          {"sDev", Number},
                                          {"percRank", Number},
                                          {"percValue", Number},
                                          {"uom", SensorUom},
                                          {"coordinateReferenceSystem", PlainUri},
                                          // A metadata attribute, but GS1's own examples
                                          // (SensorDataExamples.xml) put it on a report too.
                                          {"bizRules", Identifier}};
  return Members(v, path, kRules, true, ns);
}

MaybeProblem SensorElement(const json& v, const std::string& path, const Namespaces& ns) {
  static constexpr MemberRule kRules[] = {{"sensorMetadata", SensorMetadata},
                                          {"sensorReport", ListOf<SensorReport>}};
  RETURN_IF_PROBLEM(Members(v, path, kRules, true, ns));
  if (!NonEmpty(v, "sensorReport")) {
    return Make(Field(path, "sensorReport"), "sensorReport.required", "needs at least one report");
  }
  return std::nullopt;
}

// ILMD: user extensions only; the CBV lot number, which the checkpoint carries, must be an
// identifier-like string.
MaybeProblem Ilmd(const json& v, const std::string& path, const Namespaces& ns) {
  RETURN_IF_PROBLEM(Members(v, path, {}, true, ns));
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!IsLotNumberMember(it.key(), ns)) continue;
    const std::string member = Field(path, it.key());
    RETURN_IF_PROBLEM(String(it.value(), member));
    Status status = CheckIdentifier(it.value().get_ref<const std::string&>(), member);
    if (!status.ok()) return Make(member, "ilmd.lotNumber", Detail(status, member));
  }
  return std::nullopt;
}

MaybeProblem CertificationInfo(const json& v, const std::string& path, const Namespaces& ns) {
  if (v.is_array()) return ListOf<PlainUri>(v, path, ns);
  return PlainUri(v, path, ns);
}

MaybeProblem EventId(const json& v, const std::string& path, const Namespaces&) {
  return Uri(v, path, "eventID.format");
}

MaybeProblem TimeZoneOffset(const json& v, const std::string& path, const Namespaces&) {
  const char* kRule = "eventTimeZoneOffset.format";
  if (!v.is_string()) return Make(path, kRule, "expected a string +hh:mm or -hh:mm");
  const std::string& s = v.get_ref<const std::string&>();
  Result<int32_t> minutes = s.size() == 6 ? ParseOffset(s) : Result<int32_t>(InvalidArgument(""));
  if (!minutes.ok() || *minutes < -14 * 60 || *minutes > 14 * 60) {
    return Make(path, kRule, "expected +hh:mm or -hh:mm within ±14:00, got " + Shown(s));
  }
  return std::nullopt;
}

MaybeProblem Action(const json& v, const std::string& path, const Namespaces&) {
  if (v != "ADD" && v != "OBSERVE" && v != "DELETE") {
    return Make(path, "action.value", "must be ADD, OBSERVE or DELETE");
  }
  return std::nullopt;
}

MaybeProblem Ignored(const json&, const std::string&, const Namespaces&) { return std::nullopt; }

// ---------------------------------------------------------------------------------------------
// Events.

struct EventMember {
  std::string_view name;
  unsigned types;  // the event types that carry the member
  MemberCheck check;
};

constexpr EventMember kEventMembers[] = {
    {"@context", kAllTypes, Ignored},
    {"type", kAllTypes, Ignored},  // checked first, by EventTypeOf
    {"eventID", kAllTypes, EventId},
    {"eventTime", kAllTypes, TimeMember<kEventTime>},
    {"eventTimeZoneOffset", kAllTypes, TimeZoneOffset},
    {"recordTime", kAllTypes, TimeMember<kRecordTime>},
    {"errorDeclaration", kAllTypes, ErrorDeclaration},
    {"certificationInfo", kAllTypes, CertificationInfo},
    {"action", kAllTypes & ~kTransformation, Action},
    {"epcList", kObject | kTransaction, ListOf<Identifier>},
    {"quantityList", kObject | kTransaction, ListOf<QuantityElement>},
    {"parentID", kAggregation | kTransaction | kAssociation, Identifier},
    {"childEPCs", kAggregation | kAssociation, ListOf<Identifier>},
    {"childQuantityList", kAggregation | kAssociation, ListOf<QuantityElement>},
    {"inputEPCList", kTransformation, ListOf<Identifier>},
    {"inputQuantityList", kTransformation, ListOf<QuantityElement>},
    {"outputEPCList", kTransformation, ListOf<Identifier>},
    {"outputQuantityList", kTransformation, ListOf<QuantityElement>},
    {"transformationID", kTransformation, Identifier},
    {"bizStep", kAllTypes, VocabMember<Vocabulary::kBizStep>},
    {"disposition", kAllTypes, VocabMember<Vocabulary::kDisposition>},
    {"persistentDisposition", kAllTypes, PersistentDisposition},
    {"readPoint", kAllTypes, Location},
    {"bizLocation", kAllTypes, Location},
    {"bizTransactionList", kAllTypes,
     ListOf<TypedEntry<kBizTransaction, false, Vocabulary::kBizTransactionType>>},
    {"sourceList", kAllTypes, ListOf<TypedEntry<kSource, true, Vocabulary::kSourceDestType>>},
    {"destinationList", kAllTypes,
     ListOf<TypedEntry<kDestination, true, Vocabulary::kSourceDestType>>},
    {"sensorElementList", kAllTypes, ListOf<SensorElement>},
    {"ilmd", kObject | kTransformation, Ilmd},
};

Result<TypeBit> EventTypeOf(const json& event) {
  const json* type = Find(event, "type");
  if (type != nullptr && type->is_string()) {
    if (std::optional<TypeBit> bit = EventTypeBit(type->get<std::string>())) return *bit;
  }
  return InvalidArgument("");
}

MaybeProblem EventMembers(const json& event, const std::string& path, TypeBit type,
                          const Namespaces& ns) {
  for (auto it = event.begin(); it != event.end(); ++it) {
    const std::string member = Field(path, it.key());
    auto rule = std::find_if(std::begin(kEventMembers), std::end(kEventMembers),
                             [&](const EventMember& m) { return m.name == it.key(); });
    if (rule == std::end(kEventMembers)) {
      RETURN_IF_PROBLEM(Extension(it.key(), it.value(), member, ns));
    } else if ((rule->types & type) == 0) {
      return Make(member, "member.eventType",
                  "not a member of " + Find(event, "type")->get<std::string>() + " in EPCIS 2.0");
    } else {
      RETURN_IF_PROBLEM(rule->check(it.value(), member, ns));
    }
  }
  return std::nullopt;
}

// What the event is about, by type and action (EPCIS 2.0 §7.4.2–§7.4.7).
MaybeProblem EventWhat(const json& e, const std::string& path, TypeBit type) {
  const std::string self = path.empty() ? "event" : path;
  const json* action = Find(e, "action");
  const bool add = action != nullptr && *action == "ADD";
  const bool add_or_delete = add || (action != nullptr && *action == "DELETE");
  switch (type) {
    case kObject:
      if (NonEmpty(e, "epcList") || NonEmpty(e, "quantityList") ||
          (NonEmpty(e, "sensorElementList") && Find(e, "readPoint") != nullptr)) {
        return std::nullopt;
      }
      return Make(self, "ObjectEvent.what",
                  "an ObjectEvent needs a non-empty epcList or quantityList, or a "
                  "sensorElementList with a readPoint");
    case kAggregation:
    case kAssociation: {
      const std::string name = type == kAggregation ? "AggregationEvent" : "AssociationEvent";
      if (add_or_delete && Find(e, "parentID") == nullptr) {
        return Make(Field(path, "parentID"), name + ".parentID",
                    "required when action is ADD or DELETE");
      }
      if (add && !NonEmpty(e, "childEPCs") && !NonEmpty(e, "childQuantityList")) {
        return Make(self, name + ".what",
                    "action ADD needs a non-empty childEPCs or childQuantityList");
      }
      return std::nullopt;
    }
    case kTransaction:
      if (NonEmpty(e, "bizTransactionList")) return std::nullopt;
      return Make(Field(path, "bizTransactionList"), "TransactionEvent.bizTransactionList",
                  "a TransactionEvent needs at least one business transaction");
    case kTransformation:
      for (std::string_view list :
           {"inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList"}) {
        if (NonEmpty(e, list)) return std::nullopt;
      }
      return Make(self, "TransformationEvent.what",
                  "a TransformationEvent needs at least one input or output");
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<Problem> ValidateEvent(const Event& event, const std::string& path) {
  const json& e = event.json;
  const std::string self = path.empty() ? "event" : path;
  if (!e.is_object()) return Make(self, "event.object", "an event must be a JSON object");
  Result<TypeBit> type = EventTypeOf(e);
  if (!type.ok()) {
    return Make(Field(path, "type"), "event.type",
                "must be ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or "
                "AssociationEvent");
  }
  const Namespaces ns(event.context);
  RETURN_IF_PROBLEM(EventMembers(e, path, *type, ns));
  RETURN_IF_PROBLEM(Required(e, path, "eventTime"));
  RETURN_IF_PROBLEM(Required(e, path, "eventTimeZoneOffset"));
  if (*type != kTransformation) RETURN_IF_PROBLEM(Required(e, path, "action"));
  return EventWhat(e, path, *type);
}

}  // namespace tracery::epcis

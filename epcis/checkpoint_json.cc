#include "tracery/epcis/checkpoint_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/epcis/cbv.h"

namespace tracery::epcis {
namespace {

using google::protobuf::RepeatedPtrField;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Event types and the members each may carry.

enum TypeBit : unsigned {
  kObject = 1u << 0,
  kAggregation = 1u << 1,
  kTransaction = 1u << 2,
  kTransformation = 1u << 3,
  kAssociation = 1u << 4,
  kAllTypes = kObject | kAggregation | kTransaction | kTransformation | kAssociation,
};

struct EventTypeName {
  std::string_view name;
  TypeBit bit;
};
constexpr EventTypeName kEventTypes[] = {
    {"ObjectEvent", kObject},           {"AggregationEvent", kAggregation},
    {"TransactionEvent", kTransaction}, {"TransformationEvent", kTransformation},
    {"AssociationEvent", kAssociation},
};

struct MemberRule {
  std::string_view name;
  unsigned types;  // TypeBits of the event types that may carry the member
};
// Sorted by name (byte order), checked below, for binary search.
constexpr MemberRule kMembers[] = {
    {"@context", kAllTypes},
    {"action", kAllTypes & ~kTransformation},
    {"bizLocation", kAllTypes},
    {"bizStep", kAllTypes},
    {"bizTransactionList", kAllTypes},
    {"childEPCs", kAggregation | kAssociation},
    {"childQuantityList", kAggregation | kAssociation},
    {"destinationList", kAllTypes},
    {"disposition", kAllTypes},
    {"epcList", kObject | kTransaction},
    {"eventID", kAllTypes},
    {"eventTime", kAllTypes},
    {"eventTimeZoneOffset", kAllTypes},
    {"inputEPCList", kTransformation},
    {"inputQuantityList", kTransformation},
    {"outputEPCList", kTransformation},
    {"outputQuantityList", kTransformation},
    {"parentID", kAggregation | kTransaction | kAssociation},
    {"payloadHash", kAllTypes},
    {"quantityList", kObject | kTransaction},
    {"readPoint", kAllTypes},
    {"sourceList", kAllTypes},
    {"type", kAllTypes},
};
constexpr bool MembersSorted() {
  for (size_t i = 1; i < std::size(kMembers); ++i) {
    if (!(kMembers[i - 1].name < kMembers[i].name)) return false;
  }
  return true;
}
static_assert(MembersSorted());

const MemberRule* FindMember(std::string_view name) {
  const MemberRule* end = std::end(kMembers);
  const MemberRule* it =
      std::lower_bound(std::begin(kMembers), end, name,
                       [](const MemberRule& rule, std::string_view n) { return rule.name < n; });
  return it != end && it->name == name ? it : nullptr;
}

constexpr std::string_view kActions[] = {"ADD", "OBSERVE", "DELETE"};

// ---------------------------------------------------------------------------------------------
// Paths and errors. A path is relative to the request body: "" for a single checkpoint object,
// "[2]" for the third element of an array.

class Paths {
 public:
  explicit Paths(std::string root) : root_(std::move(root)) {}
  // The checkpoint object itself.
  std::string Self() const { return root_.empty() ? "checkpoint" : root_; }
  std::string Field(std::string_view name) const {
    return root_.empty() ? std::string(name) : root_ + "." + std::string(name);
  }

 private:
  std::string root_;
};

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
std::string Member(const std::string& path, std::string_view name) {
  return path + "." + std::string(name);
}

// Text from the input, quoted and cut short so that an error message stays readable.
std::string Shown(std::string_view text) {
  constexpr size_t kMaxShown = 100;
  if (text.size() <= kMaxShown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
}

Status Invalid(const std::string& path, std::string_view what) {
  return InvalidArgument(path + ": " + std::string(what));
}

Status TooLong(const std::string& path, size_t size) {
  return InvalidArgument(path + ": " + std::to_string(size) + " bytes exceed the limit of " +
                         std::to_string(kMaxIdentifierBytes) +
                         " bytes per identifier (kMaxIdentifierBytes)");
}

const json* Find(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// Refuses members of `object` other than `allowed`.
Status CheckMembers(const json& object, const std::string& path,
                    std::initializer_list<std::string_view> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (std::string_view name : allowed) known = known || it.key() == name;
    if (!known) return Invalid(path, "unknown member " + Shown(it.key()));
  }
  return Status::Ok();
}

// Iterative, so that a hostile nesting depth cannot overflow the stack here either.
Status CheckDepth(const json& root, const std::string& path) {
  std::vector<std::pair<const json*, size_t>> pending = {{&root, 1}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (!value->is_structured()) continue;
    if (depth > kMaxJsonDepth) {
      return InvalidArgument(path + ": nesting deeper than " + std::to_string(kMaxJsonDepth) +
                             " levels (kMaxJsonDepth)");
    }
    for (const json& child : *value) pending.emplace_back(&child, depth + 1);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Scalars.

Result<std::string> ReadString(const json& v, const std::string& path) {
  if (!v.is_string()) return Invalid(path, "expected a string");
  return v.get<std::string>();
}

// An identifier or URI: non-empty, at most kMaxIdentifierBytes, no space or control character.
Status CheckIdentifier(std::string_view s, const std::string& path) {
  if (s.empty()) return Invalid(path, "must not be empty");
  if (s.size() > kMaxIdentifierBytes) return TooLong(path, s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Invalid(path, "must not contain spaces or control characters");
    }
  }
  return Status::Ok();
}

Result<std::string> ReadIdentifier(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  RETURN_IF_ERROR(CheckIdentifier(s, path));
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The CBV 2.0 Event Hash ID "ni:///sha-256;<64 lowercase hex>?ver=CBV2.0", or any urn: or
// http(s):// URI (EPCIS allows a UUID URN or the like).
Status CheckEventId(std::string_view s, const std::string& path) {
  RETURN_IF_ERROR(CheckIdentifier(s, path));
  constexpr std::string_view kHashPrefix = "ni:///sha-256;";
  constexpr std::string_view kHashSuffix = "?ver=CBV2.0";
  if (StartsWith(s, "ni:")) {
    if (s.size() == kHashPrefix.size() + 64 + kHashSuffix.size() && StartsWith(s, kHashPrefix) &&
        IsLowerHex(s.substr(kHashPrefix.size(), 64)) &&
        s.substr(kHashPrefix.size() + 64) == kHashSuffix) {
      return Status::Ok();
    }
    return Invalid(path,
                   "an ni: event ID must read ni:///sha-256;<64 lowercase hex "
                   "digits>?ver=CBV2.0, got " +
                       Shown(s));
  }
  for (std::string_view scheme : {"urn:", "http://", "https://"}) {
    if (StartsWith(s, scheme) && s.size() > scheme.size()) return Status::Ok();
  }
  return Invalid(path,
                 "must be a URI (ni:///sha-256;...?ver=CBV2.0, urn:... or http(s)://...), "
                 "got " +
                     Shown(s));
}

Result<std::string> ReadCbv(const json& v, const std::string& path, CbvVocabulary vocabulary) {
  ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  if (s.size() > kMaxIdentifierBytes) return TooLong(path, s.size());
  auto uri = NormalizeCbv(vocabulary, s);
  if (!uri.ok()) return uri.status().Annotate(path);
  return uri;
}

// readPoint and bizLocation: {"id": "..."} as in EPCIS, or a plain string.
Result<std::string> ReadLocation(const json& v, const std::string& path) {
  if (v.is_string()) return ReadIdentifier(v, path);
  if (!v.is_object()) return Invalid(path, "expected an object {\"id\": ...} or a string");
  RETURN_IF_ERROR(CheckMembers(v, path, {"id"}));
  const json* id = Find(v, "id");
  if (id == nullptr) return Invalid(Member(path, "id"), "required");
  return ReadIdentifier(*id, Member(path, "id"));
}

// ---------------------------------------------------------------------------------------------
// Quantities.

// The canonical decimal string of a quantity (see the header).
Result<std::string> FormatQuantity(double d, const std::string& path) {
  if (!std::isfinite(d)) return Invalid(path, "must be a finite number");
  if (d < 0) return Invalid(path, "must not be negative");
  if (d >= static_cast<double>(kMaxQuantity)) {
    return InvalidArgument(path + ": must be below 2^53 (kMaxQuantity)");
  }
  if (d == std::floor(d)) return std::to_string(static_cast<uint64_t>(d));  // also -0 → "0"
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  TRACERY_CHECK(ec == std::errc());
  return std::string(buf, end);
}

// digits ["." digits] [("e" | "E") ["+" | "-"] digits]
bool IsDecimal(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Result<double> ParseDecimal(std::string_view s, const std::string& path) {
  if (s.size() > kMaxIdentifierBytes) return TooLong(path, s.size());
  if (StartsWith(s, "-")) return Invalid(path, "must not be negative");
  if (!IsDecimal(s)) return Invalid(path, "not a decimal number: " + Shown(s));
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc::result_out_of_range) return Invalid(path, "out of range: " + Shown(s));
  TRACERY_CHECK(ec == std::errc());
  TRACERY_CHECK(end == s.data() + s.size());
  return d;
}

Result<std::string> ReadQuantityValue(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u >= kMaxQuantity) return InvalidArgument(path + ": must be below 2^53 (kMaxQuantity)");
    return std::to_string(u);
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return Invalid(path, "must not be negative");
    return FormatQuantity(static_cast<double>(i), path);
  }
  if (v.is_number_float()) return FormatQuantity(v.get<double>(), path);
  if (v.is_string()) {
    ASSIGN_OR_RETURN(double d, ParseDecimal(v.get_ref<const std::string&>(), path));
    return FormatQuantity(d, path);
  }
  return Invalid(path, "expected a number or a decimal string");
}

// UN/ECE Recommendation 20 unit codes: two or three upper-case letters or digits.
bool IsUom(std::string_view s) {
  if (s.size() < 2 || s.size() > 3) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<v1::Quantity> ReadQuantity(const json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected an object {\"epcClass\": ...}");
  RETURN_IF_ERROR(CheckMembers(v, path, {"epcClass", "quantity", "uom"}));
  v1::Quantity q;
  const json* epc_class = Find(v, "epcClass");
  if (epc_class == nullptr) return Invalid(Member(path, "epcClass"), "required");
  ASSIGN_OR_RETURN(*q.mutable_epc_class(), ReadIdentifier(*epc_class, Member(path, "epcClass")));
  if (const json* quantity = Find(v, "quantity")) {
    ASSIGN_OR_RETURN(*q.mutable_quantity(), ReadQuantityValue(*quantity, Member(path, "quantity")));
  }
  if (const json* uom = Find(v, "uom")) {
    const std::string uom_path = Member(path, "uom");
    ASSIGN_OR_RETURN(*q.mutable_uom(), ReadString(*uom, uom_path));
    if (!IsUom(q.uom())) {
      return Invalid(uom_path, "expected a UN/ECE Rec. 20 unit code (2 or 3 of A-Z, 0-9), got " +
                                   Shown(q.uom()));
    }
    if (q.quantity().empty()) return Invalid(uom_path, "given without a quantity");
  }
  return q;
}

// ---------------------------------------------------------------------------------------------
// Lists.

Status CheckList(const json& v, const std::string& path) {
  if (!v.is_array()) return Invalid(path, "expected an array");
  if (v.size() > kMaxListEntries) {
    return InvalidArgument(path + ": " + std::to_string(v.size()) +
                           " entries exceed the limit of " + std::to_string(kMaxListEntries) +
                           " (kMaxListEntries)");
  }
  return Status::Ok();
}

Status ReadIdentifierList(const json& v, const std::string& path,
                          RepeatedPtrField<std::string>* out) {
  RETURN_IF_ERROR(CheckList(v, path));
  out->Reserve(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(*out->Add(), ReadIdentifier(v[i], Index(path, i)));
  }
  return Status::Ok();
}

Status ReadQuantityList(const json& v, const std::string& path,
                        RepeatedPtrField<v1::Quantity>* out) {
  RETURN_IF_ERROR(CheckList(v, path));
  out->Reserve(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(*out->Add(), ReadQuantity(v[i], Index(path, i)));
  }
  return Status::Ok();
}

// sourceList, destinationList and bizTransactionList: [{"type": ..., <id_member>: ...}].
struct TypedIdForm {
  const char* id_member;  // "source", "destination", "bizTransaction"
  bool type_required;
  CbvVocabulary vocabulary;
};

Result<v1::TypedId> ReadTypedId(const json& v, const std::string& path, const TypedIdForm& form) {
  if (!v.is_object()) return Invalid(path, "expected an object");
  RETURN_IF_ERROR(CheckMembers(v, path, {"type", form.id_member}));
  v1::TypedId out;
  if (const json* type = Find(v, "type")) {
    ASSIGN_OR_RETURN(*out.mutable_type(), ReadCbv(*type, Member(path, "type"), form.vocabulary));
  } else if (form.type_required) {
    return Invalid(Member(path, "type"), "required");
  }
  const json* id = Find(v, form.id_member);
  if (id == nullptr) return Invalid(Member(path, form.id_member), "required");
  ASSIGN_OR_RETURN(*out.mutable_id(), ReadIdentifier(*id, Member(path, form.id_member)));
  return out;
}

Status ReadTypedIdList(const json& v, const std::string& path, const TypedIdForm& form,
                       RepeatedPtrField<v1::TypedId>* out) {
  RETURN_IF_ERROR(CheckList(v, path));
  out->Reserve(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(*out->Add(), ReadTypedId(v[i], Index(path, i), form));
  }
  return Status::Ok();
}

constexpr TypedIdForm kSourceForm = {"source", true, CbvVocabulary::kSourceDestType};
constexpr TypedIdForm kDestinationForm = {"destination", true, CbvVocabulary::kSourceDestType};
constexpr TypedIdForm kBizTransactionForm = {"bizTransaction", false,
                                             CbvVocabulary::kBizTransactionType};

// ---------------------------------------------------------------------------------------------
// The checkpoint.

Result<TypeBit> ReadType(const json& j, const Paths& p) {
  const json* type = Find(j, "type");
  if (type == nullptr) return Invalid(p.Field("type"), "required");
  ASSIGN_OR_RETURN(std::string name, ReadString(*type, p.Field("type")));
  for (const EventTypeName& t : kEventTypes) {
    if (t.name == name) return t.bit;
  }
  return Invalid(p.Field("type"),
                 "must be ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent "
                 "or AssociationEvent, got " +
                     Shown(name));
}

Status CheckMembersForType(const json& j, const Paths& p, TypeBit type,
                           std::string_view type_name) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const MemberRule* rule = FindMember(it.key());
    if (rule == nullptr) return Invalid(p.Self(), "unknown member " + Shown(it.key()));
    if ((rule->types & type) == 0) {
      return Invalid(p.Field(it.key()), "not a field of " + std::string(type_name));
    }
  }
  return Status::Ok();
}

Status ReadEventTime(const json& j, const Paths& p, v1::Checkpoint* c) {
  // Times and offsets are short; longer text is refused before it is echoed in a message.
  constexpr size_t kMaxTimeText = 64;
  const json* time = Find(j, "eventTime");
  if (time == nullptr) return Invalid(p.Field("eventTime"), "required");
  ASSIGN_OR_RETURN(std::string text, ReadString(*time, p.Field("eventTime")));
  if (text.size() > kMaxTimeText) return Invalid(p.Field("eventTime"), "not an RFC 3339 time");
  auto ts = ParseRfc3339(text);
  if (!ts.ok()) return ts.status().Annotate(p.Field("eventTime"));
  c->set_event_time_ms(ts->unix_ms);
  c->set_event_time_zone_offset_minutes(ts->offset_minutes);
  if (const json* offset = Find(j, "eventTimeZoneOffset")) {
    const std::string path = p.Field("eventTimeZoneOffset");
    ASSIGN_OR_RETURN(std::string offset_text, ReadString(*offset, path));
    if (offset_text.size() > kMaxTimeText) return Invalid(path, "not a time zone offset");
    auto minutes = ParseOffset(offset_text);
    if (!minutes.ok()) return minutes.status().Annotate(path);
    c->set_event_time_zone_offset_minutes(*minutes);
  }
  return Status::Ok();
}

Status ReadPayloadHash(const json& j, const Paths& p, const std::string& dumped,
                       v1::Checkpoint* c) {
  const json* hash = Find(j, "payloadHash");
  if (hash == nullptr) {
    c->set_payload_hash(HashBytes(Sha256(dumped)));
    return Status::Ok();
  }
  const std::string path = p.Field("payloadHash");
  ASSIGN_OR_RETURN(std::string hex, ReadString(*hash, path));
  if (hex.size() != 64) return Invalid(path, "expected 64 hex digits (a SHA-256)");
  auto bytes = HexDecode(hex);
  if (!bytes.ok()) return bytes.status().Annotate(path);
  c->set_payload_hash(std::move(bytes).value());
  return Status::Ok();
}

// The lists; CheckMembersForType has already refused those the event type may not carry.
Status ReadLists(const json& j, const Paths& p, v1::Checkpoint* c) {
  struct IdList {
    const char* name;
    RepeatedPtrField<std::string>* out;
  };
  for (const IdList& list :
       {IdList{"epcList", c->mutable_epc_list()}, IdList{"childEPCs", c->mutable_child_epcs()},
        IdList{"inputEPCList", c->mutable_input_epc_list()},
        IdList{"outputEPCList", c->mutable_output_epc_list()}}) {
    if (const json* v = Find(j, list.name)) {
      RETURN_IF_ERROR(ReadIdentifierList(*v, p.Field(list.name), list.out));
    }
  }
  struct QuantityList {
    const char* name;
    RepeatedPtrField<v1::Quantity>* out;
  };
  for (const QuantityList& list :
       {QuantityList{"quantityList", c->mutable_quantity_list()},
        QuantityList{"childQuantityList", c->mutable_child_quantity_list()},
        QuantityList{"inputQuantityList", c->mutable_input_quantity_list()},
        QuantityList{"outputQuantityList", c->mutable_output_quantity_list()}}) {
    if (const json* v = Find(j, list.name)) {
      RETURN_IF_ERROR(ReadQuantityList(*v, p.Field(list.name), list.out));
    }
  }
  struct TypedList {
    const char* name;
    const TypedIdForm* form;
    RepeatedPtrField<v1::TypedId>* out;
  };
  for (const TypedList& list :
       {TypedList{"sourceList", &kSourceForm, c->mutable_source_list()},
        TypedList{"destinationList", &kDestinationForm, c->mutable_destination_list()},
        TypedList{"bizTransactionList", &kBizTransactionForm, c->mutable_biz_transaction_list()}}) {
    if (const json* v = Find(j, list.name)) {
      RETURN_IF_ERROR(ReadTypedIdList(*v, p.Field(list.name), *list.form, list.out));
    }
  }
  return Status::Ok();
}

// The compact serialisation of j, within kMaxCheckpointJsonBytes.
Result<std::string> Dump(const json& j, const Paths& p) {
  RETURN_IF_ERROR(CheckDepth(j, p.Self()));
  std::string dumped;
  try {
    dumped = j.dump();
  } catch (const json::exception& e) {
    // Only JSON built in memory can get here (parsed text has valid UTF-8).
    return Invalid(p.Self(), std::string("cannot be serialised: ") + e.what());
  }
  if (dumped.size() > kMaxCheckpointJsonBytes) {
    return InvalidArgument(
        p.Self() + ": " + std::to_string(dumped.size()) + " bytes serialised exceed the limit of " +
        std::to_string(kMaxCheckpointJsonBytes) + " bytes (kMaxCheckpointJsonBytes)");
  }
  return dumped;
}

Result<v1::Checkpoint> ParseCheckpoint(const json& j, const Paths& p) {
  if (!j.is_object()) return Invalid(p.Self(), "expected a JSON object");
  ASSIGN_OR_RETURN(std::string dumped, Dump(j, p));
  ASSIGN_OR_RETURN(TypeBit type, ReadType(j, p));
  const std::string& type_name = Find(j, "type")->get_ref<const std::string&>();
  RETURN_IF_ERROR(CheckMembersForType(j, p, type, type_name));

  v1::Checkpoint c;
  c.set_schema_version(1);
  const json* event_id = Find(j, "eventID");
  if (event_id == nullptr) return Invalid(p.Field("eventID"), "required");
  ASSIGN_OR_RETURN(*c.mutable_event_id(), ReadString(*event_id, p.Field("eventID")));
  RETURN_IF_ERROR(CheckEventId(c.event_id(), p.Field("eventID")));
  c.set_type(type_name);

  if (type != kTransformation) {
    const json* action = Find(j, "action");
    if (action == nullptr) return Invalid(p.Field("action"), "required for " + type_name);
    ASSIGN_OR_RETURN(*c.mutable_action(), ReadString(*action, p.Field("action")));
    if (std::find(std::begin(kActions), std::end(kActions), c.action()) == std::end(kActions)) {
      return Invalid(p.Field("action"), "must be ADD, OBSERVE or DELETE, got " + Shown(c.action()));
    }
  }
  if (const json* v = Find(j, "bizStep")) {
    ASSIGN_OR_RETURN(*c.mutable_biz_step(),
                     ReadCbv(*v, p.Field("bizStep"), CbvVocabulary::kBizStep));
  }
  if (const json* v = Find(j, "disposition")) {
    ASSIGN_OR_RETURN(*c.mutable_disposition(),
                     ReadCbv(*v, p.Field("disposition"), CbvVocabulary::kDisposition));
  }
  RETURN_IF_ERROR(ReadEventTime(j, p, &c));
  if (const json* v = Find(j, "readPoint")) {
    ASSIGN_OR_RETURN(*c.mutable_read_point(), ReadLocation(*v, p.Field("readPoint")));
  }
  if (const json* v = Find(j, "bizLocation")) {
    ASSIGN_OR_RETURN(*c.mutable_biz_location(), ReadLocation(*v, p.Field("bizLocation")));
  }
  if (const json* v = Find(j, "parentID")) {
    ASSIGN_OR_RETURN(*c.mutable_parent_id(), ReadIdentifier(*v, p.Field("parentID")));
  }
  RETURN_IF_ERROR(ReadLists(j, p, &c));
  RETURN_IF_ERROR(ReadPayloadHash(j, p, dumped, &c));
  return c;
}

// ---------------------------------------------------------------------------------------------
// Writing.

// A stored quantity as a JSON number when it is canonical (as CheckpointFromJson stores them),
// else as the stored string, so that nothing is lost or invented.
json QuantityJson(const std::string& q) {
  double d = 0;
  auto [end, ec] = std::from_chars(q.data(), q.data() + q.size(), d);
  if (ec != std::errc() || end != q.data() + q.size() || !IsDecimal(q)) return q;
  auto canonical = FormatQuantity(d, "quantity");
  if (!canonical.ok() || *canonical != q) return q;
  if (d == std::floor(d)) return static_cast<uint64_t>(d);
  return d;
}

json QuantityListJson(const RepeatedPtrField<v1::Quantity>& list) {
  json out = json::array();
  for (const v1::Quantity& q : list) {
    json e = json::object();
    e["epcClass"] = q.epc_class();
    if (!q.quantity().empty()) e["quantity"] = QuantityJson(q.quantity());
    if (!q.uom().empty()) e["uom"] = q.uom();
    out.push_back(std::move(e));
  }
  return out;
}

json TypedIdListJson(const RepeatedPtrField<v1::TypedId>& list, const char* id_member) {
  json out = json::array();
  for (const v1::TypedId& t : list) {
    json e = json::object();
    if (!t.type().empty()) e["type"] = t.type();
    e[id_member] = t.id();
    out.push_back(std::move(e));
  }
  return out;
}

void PutString(json& j, const char* name, const std::string& value) {
  if (!value.empty()) j[name] = value;
}

void PutList(json& j, const char* name, const RepeatedPtrField<std::string>& list) {
  if (list.empty()) return;
  json array = json::array();
  for (const std::string& s : list) array.push_back(s);
  j[name] = std::move(array);
}

// Thrown from the parser callback to stop parsing; caught in ParseBody.
struct BodyRejected {
  Status status;
};

Result<json> ParseBody(std::string_view body) {
  // The keys seen so far in each object being parsed, innermost last.
  std::vector<std::set<std::string>> keys;
  json::parser_callback_t callback = [&keys](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) >= kMaxJsonDepth) {
          throw BodyRejected{InvalidArgument("body: nesting deeper than " +
                                             std::to_string(kMaxJsonDepth) +
                                             " levels (kMaxJsonDepth)")};
        }
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.back().insert(parsed.get<std::string>()).second) {
          throw BodyRejected{InvalidArgument("body: duplicate member " +
                                             Shown(parsed.get<std::string>()) + " in an object")};
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(body.begin(), body.end(), callback);
  } catch (const BodyRejected& rejected) {
    return rejected.status;
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return InvalidArgument("body: not valid JSON at byte " + std::to_string(e.byte) + ": " + what);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("body: not valid JSON: ") + e.what());
  }
}

}  // namespace

Result<v1::Checkpoint> CheckpointFromJson(const json& j) { return ParseCheckpoint(j, Paths("")); }

json CheckpointToJson(const v1::Checkpoint& c) {
  json j = json::object();
  PutString(j, "eventID", c.event_id());
  PutString(j, "type", c.type());
  PutString(j, "action", c.action());
  PutString(j, "bizStep", c.biz_step());
  PutString(j, "disposition", c.disposition());
  j["eventTime"] = FormatRfc3339Utc(c.event_time_ms());
  j["eventTimeZoneOffset"] = FormatOffset(c.event_time_zone_offset_minutes());
  if (!c.read_point().empty()) j["readPoint"] = {{"id", c.read_point()}};
  if (!c.biz_location().empty()) j["bizLocation"] = {{"id", c.biz_location()}};
  PutList(j, "epcList", c.epc_list());
  if (!c.quantity_list().empty()) j["quantityList"] = QuantityListJson(c.quantity_list());
  PutString(j, "parentID", c.parent_id());
  PutList(j, "childEPCs", c.child_epcs());
  if (!c.child_quantity_list().empty()) {
    j["childQuantityList"] = QuantityListJson(c.child_quantity_list());
  }
  PutList(j, "inputEPCList", c.input_epc_list());
  if (!c.input_quantity_list().empty()) {
    j["inputQuantityList"] = QuantityListJson(c.input_quantity_list());
  }
  PutList(j, "outputEPCList", c.output_epc_list());
  if (!c.output_quantity_list().empty()) {
    j["outputQuantityList"] = QuantityListJson(c.output_quantity_list());
  }
  if (!c.source_list().empty()) j["sourceList"] = TypedIdListJson(c.source_list(), "source");
  if (!c.destination_list().empty()) {
    j["destinationList"] = TypedIdListJson(c.destination_list(), "destination");
  }
  if (!c.biz_transaction_list().empty()) {
    j["bizTransactionList"] = TypedIdListJson(c.biz_transaction_list(), "bizTransaction");
  }
  if (!c.payload_hash().empty()) j["payloadHash"] = HexEncode(c.payload_hash());
  return j;
}

Result<std::vector<v1::Checkpoint>> CheckpointsFromJsonText(std::string_view body,
                                                            size_t max_checkpoints) {
  TRACERY_CHECK(max_checkpoints >= 1);
  ASSIGN_OR_RETURN(json j, ParseBody(body));
  std::vector<v1::Checkpoint> out;
  if (j.is_object()) {
    ASSIGN_OR_RETURN(v1::Checkpoint c, ParseCheckpoint(j, Paths("")));
    out.push_back(std::move(c));
    return out;
  }
  if (!j.is_array()) return InvalidArgument("body: expected a checkpoint object or an array");
  if (j.empty()) return InvalidArgument("body: expected at least one checkpoint");
  if (j.size() > max_checkpoints) {
    return InvalidArgument("body: " + std::to_string(j.size()) +
                           " checkpoints exceed the limit of " + std::to_string(max_checkpoints) +
                           " per request");
  }
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(v1::Checkpoint c, ParseCheckpoint(j[i], Paths(Index("", i))));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tracery::epcis

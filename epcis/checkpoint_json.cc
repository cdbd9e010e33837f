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

#include "event_types.h"
#include "json_syntax.h"
#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/epcis/cbv.h"
#include "tracery/epcis/identifiers.h"

namespace tracery::epcis {
namespace {

using google::protobuf::RepeatedPtrField;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Event types and the members each may carry.

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
    {"clientEventID", kAllTypes},
    {"destinationList", kAllTypes},
    {"disposition", kAllTypes},
    {"epcList", kObject | kTransaction},
    {"errorDeclaration", kAllTypes},
    {"eventID", kAllTypes},
    {"eventTime", kAllTypes},
    {"eventTimeZoneOffset", kAllTypes},
    {"inputEPCList", kTransformation},
    {"inputQuantityList", kTransformation},
    {"lotNumber", kObject | kTransformation},
    {"outputEPCList", kTransformation},
    {"outputQuantityList", kTransformation},
    {"parentID", kAggregation | kTransaction | kAssociation},
    {"payloadHash", kAllTypes},
    {"quantityList", kObject | kTransaction},
    {"readPoint", kAllTypes},
    {"sourceList", kAllTypes},
    {"transformationID", kTransformation},
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

Status Invalid(const std::string& path, std::string_view what) {
  return InvalidArgument(path + ": " + std::string(what));
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

// ---------------------------------------------------------------------------------------------
// Scalars.

Result<std::string> ReadString(const json& v, const std::string& path) {
  if (!v.is_string()) return Invalid(path, "expected a string");
  return v.get<std::string>();
}

Result<std::string> ReadIdentifier(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, ReadString(v, path));
  RETURN_IF_ERROR(CheckIdentifier(s, path));
  return s;
}

// An identifier of a thing, place or party (EPC, class, location, source, destination, business
// transaction): in its canonical form (identifiers.h), so that the URN and the Digital Link
// form of one identifier are one value on the ledger and in every index.
Result<std::string> ReadSubject(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, ReadIdentifier(v, path));
  auto canonical = CanonicalIdentifier(s);
  if (!canonical.ok()) return canonical.status().Annotate(path);
  return canonical;
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
  if (s.size() > kMaxIdentifierBytes) return IdentifierTooLong(path, s.size());
  auto uri = NormalizeCbv(vocabulary, s);
  if (!uri.ok()) return uri.status().Annotate(path);
  return uri;
}

// readPoint and bizLocation: {"id": "..."} as in EPCIS, or a plain string.
Result<std::string> ReadLocation(const json& v, const std::string& path) {
  if (v.is_string()) return ReadSubject(v, path);
  if (!v.is_object()) return Invalid(path, "expected an object {\"id\": ...} or a string");
  RETURN_IF_ERROR(CheckMembers(v, path, {"id"}));
  const json* id = Find(v, "id");
  if (id == nullptr) return Invalid(Member(path, "id"), "required");
  return ReadSubject(*id, Member(path, "id"));
}

// ---------------------------------------------------------------------------------------------
// Quantities.

Result<v1::Quantity> ReadQuantity(const json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected an object {\"epcClass\": ...}");
  RETURN_IF_ERROR(CheckMembers(v, path, {"epcClass", "quantity", "uom"}));
  v1::Quantity q;
  const json* epc_class = Find(v, "epcClass");
  if (epc_class == nullptr) return Invalid(Member(path, "epcClass"), "required");
  ASSIGN_OR_RETURN(*q.mutable_epc_class(), ReadSubject(*epc_class, Member(path, "epcClass")));
  if (const json* quantity = Find(v, "quantity")) {
    ASSIGN_OR_RETURN(*q.mutable_quantity(), CanonicalQuantity(*quantity, Member(path, "quantity")));
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
    ASSIGN_OR_RETURN(*out->Add(), ReadSubject(v[i], Index(path, i)));
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
  ASSIGN_OR_RETURN(*out.mutable_id(), ReadSubject(*id, Member(path, form.id_member)));
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
  if (std::optional<TypeBit> bit = EventTypeBit(name)) return *bit;
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

// Times and offsets are short; longer text is refused before it is echoed in a message.
constexpr size_t kMaxTimeText = 64;

Result<Timestamp> ReadTime(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadString(v, path));
  if (text.size() > kMaxTimeText) return Invalid(path, "not an RFC 3339 time");
  auto ts = ParseRfc3339(text);
  if (!ts.ok()) return ts.status().Annotate(path);
  return ts;
}

Status ReadEventTime(const json& j, const Paths& p, v1::Checkpoint* c) {
  const json* time = Find(j, "eventTime");
  if (time == nullptr) return Invalid(p.Field("eventTime"), "required");
  ASSIGN_OR_RETURN(Timestamp ts, ReadTime(*time, p.Field("eventTime")));
  c->set_event_time_ms(ts.unix_ms);
  c->set_event_time_zone_offset_minutes(ts.offset_minutes);
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

// An event ID the client chose, or one an error declaration names: any absolute URI.
Result<std::string> ReadUri(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, ReadIdentifier(v, path));
  if (!IsAbsoluteUri(s)) return Invalid(path, "expected an absolute URI, got " + Shown(s));
  return s;
}

// {"declarationTime": ..., "reason": ..., "correctiveEventIDs": [...]}
Status ReadErrorDeclaration(const json& v, const std::string& path, v1::ErrorDeclaration* out) {
  if (!v.is_object()) return Invalid(path, "expected an object");
  RETURN_IF_ERROR(CheckMembers(v, path, {"declarationTime", "reason", "correctiveEventIDs"}));
  const json* time = Find(v, "declarationTime");
  if (time == nullptr) return Invalid(Member(path, "declarationTime"), "required");
  ASSIGN_OR_RETURN(Timestamp ts, ReadTime(*time, Member(path, "declarationTime")));
  out->set_declaration_time_ms(ts.unix_ms);
  if (const json* reason = Find(v, "reason")) {
    ASSIGN_OR_RETURN(*out->mutable_reason(),
                     ReadCbv(*reason, Member(path, "reason"), CbvVocabulary::kErrorReason));
  }
  if (const json* ids = Find(v, "correctiveEventIDs")) {
    const std::string ids_path = Member(path, "correctiveEventIDs");
    RETURN_IF_ERROR(CheckList(*ids, ids_path));
    for (size_t i = 0; i < ids->size(); ++i) {
      ASSIGN_OR_RETURN(*out->add_corrective_event_ids(), ReadUri((*ids)[i], Index(ids_path, i)));
    }
  }
  return Status::Ok();
}

// clientEventID, errorDeclaration, lotNumber and transformationID.
Status ReadEventLinks(const json& j, const Paths& p, v1::Checkpoint* c) {
  if (const json* v = Find(j, "clientEventID")) {
    ASSIGN_OR_RETURN(*c->mutable_client_event_id(), ReadUri(*v, p.Field("clientEventID")));
  }
  if (const json* v = Find(j, "errorDeclaration")) {
    RETURN_IF_ERROR(
        ReadErrorDeclaration(*v, p.Field("errorDeclaration"), c->mutable_error_declaration()));
  }
  if (const json* v = Find(j, "lotNumber")) {
    ASSIGN_OR_RETURN(*c->mutable_lot_number(), ReadIdentifier(*v, p.Field("lotNumber")));
  }
  if (const json* v = Find(j, "transformationID")) {
    ASSIGN_OR_RETURN(*c->mutable_transformation_id(),
                     ReadIdentifier(*v, p.Field("transformationID")));
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
    ASSIGN_OR_RETURN(*c.mutable_parent_id(), ReadSubject(*v, p.Field("parentID")));
  }
  RETURN_IF_ERROR(ReadLists(j, p, &c));
  RETURN_IF_ERROR(ReadEventLinks(j, p, &c));
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

json ErrorDeclarationJson(const v1::ErrorDeclaration& d) {
  json j = json::object();
  j["declarationTime"] = FormatRfc3339Utc(d.declaration_time_ms());
  PutString(j, "reason", d.reason());
  if (!d.corrective_event_ids().empty()) {
    json ids = json::array();
    for (const std::string& id : d.corrective_event_ids()) ids.push_back(id);
    j["correctiveEventIDs"] = std::move(ids);
  }
  return j;
}

void PutList(json& j, const char* name, const RepeatedPtrField<std::string>& list) {
  if (list.empty()) return;
  json array = json::array();
  for (const std::string& s : list) array.push_back(s);
  j[name] = std::move(array);
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
  PutString(j, "clientEventID", c.client_event_id());
  if (c.has_error_declaration())
    j["errorDeclaration"] = ErrorDeclarationJson(c.error_declaration());
  PutString(j, "lotNumber", c.lot_number());
  PutString(j, "transformationID", c.transformation_id());
  return j;
}

Result<std::vector<v1::Checkpoint>> CheckpointsFromJsonText(std::string_view body,
                                                            size_t max_checkpoints) {
  TRACERY_CHECK(max_checkpoints >= 1);
  json j;
  if (std::optional<JsonTextProblem> problem = ParseJsonText(body, &j)) {
    return InvalidArgument("body: " + problem->detail);
  }
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

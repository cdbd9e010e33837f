// EventPayload and EventToCheckpoint. The checkpoint is built in its JSON form and read by
// CheckpointFromJson, so that a checkpoint made from an event obeys exactly the rules of one sent
// to POST /v1/checkpoints, and round-trips through CheckpointToJson.
#include <string>

#include "namespaces.h"
#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/epcis/document.h"
#include "tracery/epcis/identifiers.h"
#include "vocabulary.h"

namespace tracery::epcis {
namespace {

using nlohmann::json;

const json* Find(const json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// The member, or null when it is absent (ValidateEvent has checked what must be present).
const json& Get(const json& object, std::string_view name) {
  static const json kNull;
  const json* v = object.is_object() ? Find(object, name) : nullptr;
  return v == nullptr ? kNull : *v;
}

Result<std::string> Text(const json& v, const std::string& path) {
  if (!v.is_string()) return InvalidArgument(path + ": expected a string");
  return v.get<std::string>();
}

Result<std::string> Canonical(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, Text(v, path));
  Result<std::string> id = CanonicalIdentifier(text);
  if (!id.ok()) return id.status().Annotate(path);
  return id;
}

Result<std::string> Vocab(const json& v, const std::string& path, Vocabulary vocabulary,
                          const Namespaces& ns) {
  ASSIGN_OR_RETURN(std::string text, Text(v, path));
  Result<std::string> uri = VocabularyUri(vocabulary, text, ns);
  if (!uri.ok()) return uri.status().Annotate(path);
  return uri;
}

Result<std::string> UtcTime(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, Text(v, path));
  Result<Timestamp> ts = ParseRfc3339(text);
  if (!ts.ok()) return ts.status().Annotate(path);
  return FormatRfc3339Utc(ts->unix_ms);
}

// The event's members that a checkpoint carries, in the checkpoint's JSON form.
class CheckpointBuilder {
 public:
  CheckpointBuilder(const json& event, const Namespaces& ns) : e_(event), ns_(ns) {}

  Result<json> Build(const std::string& hash_id) {
    out_["eventID"] = hash_id;
    out_["type"] = Get(e_, "type");
    if (const json* v = Find(e_, "action")) out_["action"] = *v;
    if (const json* v = Find(e_, "eventID"); v != nullptr && *v != hash_id)
      out_["clientEventID"] = *v;
    ASSIGN_OR_RETURN(out_["eventTime"], UtcTime(Get(e_, "eventTime"), "eventTime"));
    out_["eventTimeZoneOffset"] = Get(e_, "eventTimeZoneOffset");
    RETURN_IF_ERROR(PutVocab("bizStep", Vocabulary::kBizStep));
    RETURN_IF_ERROR(PutVocab("disposition", Vocabulary::kDisposition));
    for (const char* name : {"readPoint", "bizLocation"}) RETURN_IF_ERROR(PutLocation(name));
    for (const char* name : {"parentID", "transformationID"}) RETURN_IF_ERROR(PutIdentifier(name));
    for (const char* name : {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}) {
      RETURN_IF_ERROR(PutIdentifiers(name));
    }
    for (const char* name :
         {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}) {
      RETURN_IF_ERROR(PutQuantities(name));
    }
    RETURN_IF_ERROR(PutTyped("sourceList", "source", Vocabulary::kSourceDestType));
    RETURN_IF_ERROR(PutTyped("destinationList", "destination", Vocabulary::kSourceDestType));
    RETURN_IF_ERROR(
        PutTyped("bizTransactionList", "bizTransaction", Vocabulary::kBizTransactionType));
    RETURN_IF_ERROR(PutErrorDeclaration());
    PutLotNumber();
    return std::move(out_);
  }

 private:
  Status PutVocab(const char* name, Vocabulary vocabulary) {
    if (const json* v = Find(e_, name)) {
      ASSIGN_OR_RETURN(out_[name], Vocab(*v, name, vocabulary, ns_));
    }
    return Status::Ok();
  }

  Status PutLocation(const char* name) {
    const json* v = Find(e_, name);
    if (v == nullptr || !v->is_object() || !v->contains("id")) return Status::Ok();
    ASSIGN_OR_RETURN(std::string id, Canonical(Get(*v, "id"), std::string(name) + ".id"));
    out_[name] = {{"id", id}};
    return Status::Ok();
  }

  Status PutIdentifier(const char* name) {
    if (const json* v = Find(e_, name)) {
      ASSIGN_OR_RETURN(out_[name], Canonical(*v, name));
    }
    return Status::Ok();
  }

  Status PutIdentifiers(const char* name) {
    const json* list = Find(e_, name);
    if (list == nullptr || list->empty()) return Status::Ok();
    json ids = json::array();
    for (size_t i = 0; i < list->size(); ++i) {
      ASSIGN_OR_RETURN(std::string id, Canonical((*list)[i], Index(name, i)));
      ids.push_back(std::move(id));
    }
    out_[name] = std::move(ids);
    return Status::Ok();
  }

  Status PutQuantities(const char* name) {
    const json* list = Find(e_, name);
    if (list == nullptr || list->empty()) return Status::Ok();
    json quantities = json::array();
    for (size_t i = 0; i < list->size(); ++i) {
      const json& q = (*list)[i];
      json element = q;  // quantity and uom as given: CheckpointFromJson makes them canonical
      ASSIGN_OR_RETURN(element["epcClass"],
                       Canonical(Get(q, "epcClass"), Index(name, i) + ".epcClass"));
      quantities.push_back(std::move(element));
    }
    out_[name] = std::move(quantities);
    return Status::Ok();
  }

  // Identifiers that are not GS1 keys (urn:epcglobal:cbv:bt:..., http://...) are kept as given
  // by CanonicalIdentifier.
  Status PutTyped(const char* name, const char* id_member, Vocabulary types) {
    const json* list = Find(e_, name);
    if (list == nullptr || list->empty()) return Status::Ok();
    json entries = json::array();
    for (size_t i = 0; i < list->size(); ++i) {
      const json& entry = (*list)[i];
      const std::string path = Index(name, i);
      json out = json::object();
      if (const json* type = Find(entry, "type")) {
        ASSIGN_OR_RETURN(out["type"], Vocab(*type, path + ".type", types, ns_));
      }
      ASSIGN_OR_RETURN(out[id_member], Canonical(Get(entry, id_member), path + "." + id_member));
      entries.push_back(std::move(out));
    }
    out_[name] = std::move(entries);
    return Status::Ok();
  }

  Status PutErrorDeclaration() {
    const json* d = Find(e_, "errorDeclaration");
    if (d == nullptr) return Status::Ok();
    json out = json::object();
    ASSIGN_OR_RETURN(out["declarationTime"],
                     UtcTime(Get(*d, "declarationTime"), "errorDeclaration.declarationTime"));
    if (const json* reason = Find(*d, "reason")) {
      ASSIGN_OR_RETURN(out["reason"],
                       Vocab(*reason, "errorDeclaration.reason", Vocabulary::kErrorReason, ns_));
    }
    if (const json* ids = Find(*d, "correctiveEventIDs"); ids != nullptr && !ids->empty()) {
      out["correctiveEventIDs"] = *ids;
    }
    out_["errorDeclaration"] = std::move(out);
    return Status::Ok();
  }

  void PutLotNumber() {
    const json* ilmd = Find(e_, "ilmd");
    if (ilmd == nullptr || !ilmd->is_object()) return;
    for (auto it = ilmd->begin(); it != ilmd->end(); ++it) {
      if (IsLotNumberMember(it.key(), ns_)) out_["lotNumber"] = it.value();
    }
  }

  static std::string Index(const char* name, size_t i) {
    return std::string(name) + "[" + std::to_string(i) + "]";
  }

  const json& e_;
  const Namespaces& ns_;
  json out_ = json::object();
};

}  // namespace

std::string EventPayload(const Event& event) {
  json payload = event.json;
  if (payload.is_object()) {
    payload.erase("recordTime");
    if (!payload.contains("@context") && !event.context.is_null())
      payload["@context"] = event.context;
  }
  // Parsed text is valid UTF-8; `replace` only keeps a value built in memory from throwing.
  return payload.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<v1::Checkpoint> EventToCheckpoint(const Event& event) {
  if (!event.json.is_object()) return InvalidArgument("event: expected a JSON object");
  const Namespaces ns(event.context);
  Result<json> j = CheckpointBuilder(event.json, ns).Build(EventHashId(event));
  if (!j.ok()) return j.status().Annotate("event");
  (*j)["payloadHash"] = HashHex(Sha256(EventPayload(event)));
  Result<v1::Checkpoint> checkpoint = CheckpointFromJson(*j);
  if (!checkpoint.ok()) return checkpoint.status().Annotate("event");
  return checkpoint;
}

}  // namespace tracery::epcis

// The capture entry points: DetectBinding, ParseDocument, ParseEvent. Both bindings end in the
// same JSON-LD form and the same ValidateEvent.
#include "tracery/epcis/document.h"

#include <algorithm>
#include <utility>

#include "json_syntax.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "xml_binding.h"

namespace tracery::epcis {
namespace {

using nlohmann::json;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "Application/LD+JSON; charset=utf-8" → "application/ld+json".
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  std::string media;
  for (char c : content_type) {
    if (c != ' ' && c != '\t')
      media += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return media;
}

Status Refuse(Problem p, Problem* out) {
  Status status = InvalidArgument(p.ToString());
  if (out != nullptr) *out = std::move(p);
  return status;
}

const json* Find(const json& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// The text as JSON: parsed (JSON) or converted (XML), within the limits of document.h.
// `root` names the whole ("document" or "event") in Problems.
Result<json> ReadText(std::string_view text, Binding binding, bool is_document,
                      const std::string& root, Problem* problem) {
  if (text.size() > kMaxDocumentBytes) {
    return Refuse({root, "document.size",
                   std::to_string(text.size()) + " bytes exceed the limit of " +
                       std::to_string(kMaxDocumentBytes) + " bytes (kMaxDocumentBytes)"},
                  problem);
  }
  json j;
  if (binding == Binding::kXml) {
    Problem xml_problem;
    Result<json> converted =
        is_document ? XmlDocumentToJson(text, &xml_problem) : XmlEventToJson(text, &xml_problem);
    if (!converted.ok()) {
      if (xml_problem.field.empty())
        xml_problem = {root, "binding.xml", converted.status().message()};
      return Refuse(std::move(xml_problem), problem);
    }
    j = std::move(converted).value();
    Status depth = CheckDepth(j, root);
    if (!depth.ok()) {
      // The message is "<root>: nesting deeper than ..."; the Problem names the root apart.
      return Refuse({root, "json.depth", depth.message().substr(root.size() + 2)}, problem);
    }
    return j;
  }
  if (std::optional<JsonTextProblem> p = ParseJsonText(text, &j)) {
    static constexpr const char* kRules[] = {"json.syntax", "json.depth", "json.duplicateMember"};
    return Refuse({p->path.empty() ? root : p->path, kRules[static_cast<int>(p->kind)], p->detail},
                  problem);
  }
  return j;
}

// The members of an EPCISDocument other than its events (EPCIS 2.0 JSON schema).
std::optional<Problem> CheckHeader(const json& j) {
  const json* type = Find(j, "type");
  if (type == nullptr || *type != "EPCISDocument") {
    const bool query = type != nullptr && *type == "EPCISQueryDocument";
    return Problem{"type", "document.type",
                   query ? "an EPCISQueryDocument is a query result, not a capture document"
                         : "must be EPCISDocument"};
  }
  const json* context = Find(j, "@context");
  if (context == nullptr ||
      !(context->is_string() || context->is_array() || context->is_object())) {
    return Problem{"@context", "document.context",
                   "required: a context URL, an object, or an array of them"};
  }
  const json* version = Find(j, "schemaVersion");
  if (version == nullptr || !version->is_string() ||
      version->get_ref<const std::string&>().empty()) {
    return Problem{"schemaVersion", "document.schemaVersion", "required: a string such as \"2.0\""};
  }
  const json* created = Find(j, "creationDate");
  if (created == nullptr || !created->is_string() ||
      !ParseRfc3339(created->get_ref<const std::string&>()).ok()) {
    return Problem{"creationDate", "document.creationDate", "required: an RFC 3339 time"};
  }
  const json* body = Find(j, "epcisBody");
  if (body == nullptr || !body->is_object()) {
    return Problem{"epcisBody", "document.epcisBody", "required: an object with an eventList"};
  }
  for (auto it = body->begin(); it != body->end(); ++it) {
    if (it.key() != "eventList") {
      return Problem{"epcisBody." + it.key(), "member.unknown",
                     "a capture document's epcisBody "
                     "holds an eventList only"};
    }
  }
  const json* events = Find(*body, "eventList");
  if (events == nullptr || !events->is_array()) {
    return Problem{"epcisBody.eventList", "document.epcisBody", "required: an array of events"};
  }
  if (events->size() > kMaxDocumentEvents) {
    return Problem{"epcisBody.eventList", "document.eventCount",
                   std::to_string(events->size()) + " events exceed the limit of " +
                       std::to_string(kMaxDocumentEvents) + " (kMaxDocumentEvents)"};
  }
  return std::nullopt;
}

}  // namespace

std::string Problem::ToString() const { return field + ": " + detail; }

Binding DetectBinding(std::string_view text, std::string_view content_type) {
  const std::string media = MediaType(content_type);
  if (EndsWith(media, "/xml") || EndsWith(media, "+xml")) return Binding::kXml;
  if (EndsWith(media, "/json") || EndsWith(media, "+json")) return Binding::kJson;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '<' ? Binding::kXml : Binding::kJson;
}

Result<Document> ParseDocument(std::string_view text, Binding binding, Problem* problem) {
  ASSIGN_OR_RETURN(json j, ReadText(text, binding, true, "document", problem));
  if (!j.is_object()) {
    return Refuse({"document", "document.object", "a document must be a JSON object"}, problem);
  }
  if (std::optional<Problem> p = CheckHeader(j)) return Refuse(std::move(*p), problem);
  Document doc;
  doc.context = j["@context"];
  json& events = j["epcisBody"]["eventList"];
  doc.events.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Event event{std::move(events[i]), doc.context};
    const std::string path = "epcisBody.eventList[" + std::to_string(i) + "]";
    if (std::optional<Problem> p = ValidateEvent(event, path))
      return Refuse(std::move(*p), problem);
    doc.events.push_back(std::move(event));
  }
  j.erase("epcisBody");
  j.erase("@context");
  doc.header = std::move(j);
  return doc;
}

Result<Event> ParseEvent(std::string_view text, Binding binding, Problem* problem) {
  ASSIGN_OR_RETURN(json j, ReadText(text, binding, false, "event", problem));
  if (!j.is_object()) {
    return Refuse({"event", "event.object", "an event must be a JSON object"}, problem);
  }
  const json* type = Find(j, "type");
  if (type != nullptr && (*type == "EPCISDocument" || *type == "EPCISQueryDocument")) {
    return Refuse({"type", "event.type", "a document, not a single event"}, problem);
  }
  Event event;
  if (const json* context = Find(j, "@context")) event.context = *context;
  event.json = std::move(j);
  if (std::optional<Problem> p = ValidateEvent(event, "")) return Refuse(std::move(*p), problem);
  return event;
}

}  // namespace tracery::epcis

// EPCIS 2.0 documents and events, whatever binding they arrive in (JSON/JSON-LD, EPCIS 2.0 XML,
// EPCIS 1.2 XML), held in one form: the JSON-LD form of EPCIS 2.0.
//
// The XML bindings are converted to that form (element names become member names, extension
// elements become "prefix:name" members with the prefix declared in the document's @context),
// so validation, the Event Hash ID, the mapping to a checkpoint and the payload that is stored
// off-chain are the same code for every binding.
//
// Identifiers stay as the client wrote them in the event; the checkpoint and the hash use their
// canonical form (identifiers.h).
//
// Nothing is fetched: @context URLs are not loaded. The prefixes of user extensions and compact
// IRIs are those declared by the objects of the document's @context, over the built-in prefixes
// of the EPCIS 2.0 context (cbv, cbvmda, gs1, epcis, dcterms, ...). A user extension whose prefix
// is not declared is refused (rule "extension.namespace"): the Event Hash ID includes the
// extension's namespace, so without it the event has no well-defined id.
// docs/formats/epcis.md documents the binding, every rule name, and the hash.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::epcis {

// Events in one capture document.
inline constexpr size_t kMaxDocumentEvents = 100'000;
// Bytes of one document's text.
inline constexpr size_t kMaxDocumentBytes = 64 << 20;

// What was wrong with a document or an event: the field (a JSON path such as
// "epcisBody.eventList[3].epcList[0]" — for a single event relative to the event, "epcList[0]";
// "document" or "event" for the whole; the XML element path for XML input the XML binding
// refuses), the rule of the standard it breaks (a short stable name such as "ObjectEvent.what",
// "eventTime.format", "document.type"; the table is in docs/formats/epcis.md), and a sentence for
// people.
struct Problem {
  std::string field;
  std::string rule;
  std::string detail;
  // "epcisBody.eventList[3].epcList[0]: not an EPC URI or GS1 Digital Link URI"
  std::string ToString() const;
};

// One event in EPCIS 2.0 JSON-LD form, with the @context of its document (needed to expand
// the prefixes of user extensions and to keep the payload self-contained).
struct Event {
  nlohmann::json json;     // the event object ("type", "eventTime", ...)
  nlohmann::json context;  // the document's "@context" (may be null)
};

// A capture document: EPCISDocument (JSON-LD or XML) with its header members and its events in
// document order.
struct Document {
  nlohmann::json context;  // "@context" of the document (may be null)
  nlohmann::json header;   // schemaVersion, creationDate, epcisHeader, sender, ... as given
  std::vector<Event> events;
};

// The binding of a document's text: XML when its first non-blank byte is '<', JSON otherwise.
// `content_type` (may be empty) decides when present ("application/xml", "text/xml",
// "application/json", "application/ld+json").
enum class Binding { kJson, kXml };
Binding DetectBinding(std::string_view text, std::string_view content_type);

// Parses and validates a capture document. An EPCISQueryDocument is refused (rule
// "document.type": it is a query result, not a capture document). All or nothing: the first
// problem found is returned and the document is refused. Never throws.
// On failure the Status is InvalidArgument with the message problem.ToString(), and `*problem`
// (when not null) is set. Limits: kMaxDocumentBytes of text, kMaxDocumentEvents events,
// kMaxJsonDepth nesting, kMaxListEntries per list, kMaxIdentifierBytes per identifier; a member
// twice in one object is refused.
// For Binding::kXml the text goes through XmlDocumentToJson (XmlEventToJson) and then the same
// checks as JSON.
Result<Document> ParseDocument(std::string_view text, Binding binding, Problem* problem);
// The same for a single event (POST /v1/events): a JSON object whose "type" is an event type,
// or one XML event element.
Result<Event> ParseEvent(std::string_view text, Binding binding, Problem* problem);

// The standard's rules for one event (EPCIS 2.0 §7 and its JSON schema): required members per
// event type and action, identifier syntax, CBV values, time formats, quantities, sensor data,
// errorDeclaration. `path` prefixes Problem::field ("epcisBody.eventList[3]").
// ParseDocument and ParseEvent call it on every event.
std::optional<Problem> ValidateEvent(const Event& event, const std::string& path);

// The CBV 2.0 EPCIS Event Hash ID, "ni:///sha-256;<64 hex>?ver=CBV2.0", and the pre-hash string
// it is the SHA-256 of (CBV 2.0 §8.9). eventID, recordTime and errorDeclaration are left out,
// so the same event written in another binding, with another time-zone notation, with URNs
// instead of Digital Link URIs, or re-sent with an error declaration, has the same id.
// REQUIRES: the event passed ValidateEvent.
std::string EventPreHash(const Event& event);
std::string EventHashId(const Event& event);

// The payload stored off-chain for an event and hashed into its checkpoint: the event with its
// @context, recordTime removed, serialised compactly with members sorted (nlohmann's dump()).
std::string EventPayload(const Event& event);

// The checkpoint of a validated event: event_id = EventHashId, client_event_id = the event's
// own eventID when it is something else, identifiers in canonical form, CBV values as Web URIs,
// error_declaration, lot_number (ILMD cbvmda:lotNumber), transformation_id, and payload_hash =
// SHA-256(EventPayload). REQUIRES: the event passed ValidateEvent.
Result<v1::Checkpoint> EventToCheckpoint(const Event& event);

}  // namespace tracery::epcis

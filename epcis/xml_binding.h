// The XML bindings of EPCIS (2.0, and 1.2 mapped to 2.0), converted to the JSON-LD form of
// EPCIS 2.0 that document.h works on. Internal to epcis/.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "tracery/core/status.h"
#include "tracery/epcis/document.h"

namespace tracery::epcis {

// An EPCISDocument (or EPCISQueryDocument, left for the caller to refuse) in XML, as the JSON-LD
// document of EPCIS 2.0: {"@context": [...], "type": "EPCISDocument", "schemaVersion": ...,
// "creationDate": ..., "epcisBody": {"eventList": [...]}}. Extension elements and attributes
// become "prefix:name" members, each prefix declared in "@context" with its namespace URI.
// Only well-formedness and the structure of the binding are checked here; the rules of the
// standard are ValidateEvent's. DTD loading, entity expansion and network access are off.
// On failure `*problem` (when not null) names the element and the rule.
Result<nlohmann::json> XmlDocumentToJson(std::string_view xml, Problem* problem);
// One event element (<ObjectEvent>...</ObjectEvent>, or one wrapped in <extension> as EPCIS 1.2
// does for TransformationEvent) as a JSON-LD event object with its "@context".
Result<nlohmann::json> XmlEventToJson(std::string_view xml, Problem* problem);

}  // namespace tracery::epcis

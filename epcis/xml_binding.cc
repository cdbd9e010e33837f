#include "xml_binding.h"

namespace tracery::epcis {

// Placeholder until the libxml2 conversion lands: XML documents are refused.
Result<nlohmann::json> XmlDocumentToJson(std::string_view, Problem* problem) {
  if (problem) *problem = {"document", "binding.xml", "the XML binding is not available yet"};
  return InvalidArgument("document: the XML binding is not available yet");
}

Result<nlohmann::json> XmlEventToJson(std::string_view, Problem* problem) {
  if (problem) *problem = {"event", "binding.xml", "the XML binding is not available yet"};
  return InvalidArgument("event: the XML binding is not available yet");
}

}  // namespace tracery::epcis

// libFuzzer target: the XML bindings of EPCIS on arbitrary bytes, both the converter
// (epcis/xml_binding.h) and the capture path through it (ParseDocument / ParseEvent with
// Binding::kXml, then the Event Hash ID and the checkpoint of every accepted event).
//
// Properties checked beyond "no crash, no sanitizer report, no leak": a conversion that succeeds
// gives JSON that serialises (valid UTF-8, no NaN); every refusal names its field and rule.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/epcis/document.h"
#include "xml_binding.h"

namespace {

using tracery::epcis::Binding;
using tracery::epcis::Problem;

void CheckConverted(const tracery::Result<nlohmann::json>& r, const Problem& problem) {
  if (r.ok()) {
    (void)r->dump();  // throws (and so aborts) on invalid UTF-8
  } else if (problem.rule.empty() || problem.field.empty()) {
    __builtin_trap();
  }
}

void CheckEvent(const tracery::epcis::Event& event) {
  if (tracery::epcis::EventHashId(event).rfind("ni:///sha-256;", 0) != 0) __builtin_trap();
  (void)tracery::epcis::EventPayload(event);
  (void)tracery::epcis::EventToCheckpoint(event);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Problem problem;
  CheckConverted(tracery::epcis::XmlDocumentToJson(text, &problem), problem);
  problem = {};
  CheckConverted(tracery::epcis::XmlEventToJson(text, &problem), problem);

  problem = {};
  auto doc = tracery::epcis::ParseDocument(text, Binding::kXml, &problem);
  if (doc.ok()) {
    for (const tracery::epcis::Event& e : doc->events) CheckEvent(e);
  } else if (problem.rule.empty()) {
    __builtin_trap();
  }
  problem = {};
  auto event = tracery::epcis::ParseEvent(text, Binding::kXml, &problem);
  if (event.ok()) {
    CheckEvent(*event);
  } else if (problem.rule.empty()) {
    __builtin_trap();
  }
  return 0;
}

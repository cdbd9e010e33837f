// libFuzzer target: the XML bindings of EPCIS (epcis/xml_binding.h) on arbitrary bytes.
//
// Properties checked beyond "no crash, no sanitizer report": a conversion that succeeds gives
// JSON that serialises (valid UTF-8, no NaN), and a failure always names its rule.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xml_binding.h"

namespace {

void Check(const tracery::Result<nlohmann::json>& r, const tracery::epcis::Problem& problem) {
  if (r.ok()) {
    (void)r->dump();  // throws (and so aborts) on invalid UTF-8
  } else if (problem.rule.empty() || problem.field.empty()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tracery::epcis::Problem problem;
  Check(tracery::epcis::XmlDocumentToJson(text, &problem), problem);
  problem = {};
  Check(tracery::epcis::XmlEventToJson(text, &problem), problem);
  return 0;
}

// libFuzzer target: EPCIS capture documents and single events in the JSON binding
// (ParseDocument / ParseEvent with Binding::kJson) on arbitrary bytes.
//
// Beyond "no crash": a failure always names its rule, and every event of an accepted document
// has an Event Hash ID of the CBV 2.0 form and a checkpoint.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/epcis/document.h"

namespace {

void CheckEvent(const tracery::epcis::Event& event) {
  const std::string id = tracery::epcis::EventHashId(event);
  if (id.rfind("ni:///sha-256;", 0) != 0) __builtin_trap();
  (void)tracery::epcis::EventPayload(event);
  (void)tracery::epcis::EventToCheckpoint(event);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tracery::epcis::Binding;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tracery::epcis::Problem problem;
  auto doc = tracery::epcis::ParseDocument(text, Binding::kJson, &problem);
  if (doc.ok()) {
    for (const tracery::epcis::Event& e : doc->events) CheckEvent(e);
  } else if (problem.rule.empty()) {
    __builtin_trap();
  }
  problem = {};
  auto event = tracery::epcis::ParseEvent(text, Binding::kJson, &problem);
  if (event.ok()) {
    CheckEvent(*event);
  } else if (problem.rule.empty()) {
    __builtin_trap();
  }
  return 0;
}

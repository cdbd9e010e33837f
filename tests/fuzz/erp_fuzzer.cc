// libFuzzer target: ImportErpDocument on arbitrary bytes, in every format (auto-detected and
// forced), and the EPCIS mapping of every shipment it accepts.
//
// Beyond "no crash": a refusal always names its rule and matches its Status message; every
// event of an accepted shipment passes the project's EPCIS validation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "tracery/epcis/document.h"
#include "tracery/scm_core/erp.h"

namespace {

using tracery::scm_core::ErpFormatHint;

void Run(std::string_view text, ErpFormatHint hint) {
  tracery::scm_core::ErpProblem problem;
  auto r = tracery::scm_core::ImportErpDocument(text, hint, &problem);
  if (!r.ok()) {
    if (problem.rule.empty() || r.status().message() != problem.ToString()) __builtin_trap();
    return;
  }
  for (const auto& shipment : r->shipments) {
    auto events = tracery::scm_core::ShipmentToEpcisEvents(shipment);
    if (!events.ok()) continue;  // no ship date or no lines: refused, not mapped
    for (const std::string& e : *events) {
      tracery::epcis::Problem p;
      auto event = tracery::epcis::ParseEvent(e, tracery::epcis::Binding::kJson, &p);
      if (!event.ok()) {
        std::fprintf(stderr, "invalid EPCIS event: %s\n%s\n", p.ToString().c_str(), e.c_str());
        __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Run(text, ErpFormatHint::kAuto);
  if (size > 0) {
    // The first byte picks a forced format too, so each reader sees every kind of input.
    static constexpr ErpFormatHint kHints[] = {ErpFormatHint::kX12, ErpFormatHint::kEdifact,
                                               ErpFormatHint::kCsv, ErpFormatHint::kJson};
    Run(text, kHints[data[0] % 4]);
  }
  return 0;
}

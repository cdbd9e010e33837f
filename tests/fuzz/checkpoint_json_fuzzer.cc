// libFuzzer target: the checkpoint JSON parser (CheckpointsFromJsonText) on arbitrary bytes.
//
// Beyond "no crash": every checkpoint it accepts survives the round trip that checkpoint_json.h
// promises, CheckpointFromJson(CheckpointToJson(c)) == c, field for field.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tracery/epcis/checkpoint_json.h"

namespace {

// Checkpoints accepted from one body: enough to reach the batch limit with small inputs.
constexpr size_t kMaxCheckpoints = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tracery::epcis::CheckpointsFromJsonText(text, kMaxCheckpoints);
  if (!parsed.ok()) return 0;
  for (const tracery::v1::Checkpoint& c : *parsed) {
    auto again = tracery::epcis::CheckpointFromJson(tracery::epcis::CheckpointToJson(c));
    if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(c, *again)) {
      __builtin_trap();
    }
  }
  return 0;
}

// Time: an injectable Clock and RFC 3339 timestamps as Unix milliseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() = 0;
};

// The wall clock. Used only at the edge (node/, cli/); logic takes a Clock&.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() override;
  static SystemClock* Get();
};

struct Timestamp {
  int64_t unix_ms = 0;
  int32_t offset_minutes = 0;  // the offset the time was written with (+01:00 → 60)
};

// "2005-04-03T20:33:31.116-06:00", "2005-04-03T20:33:31Z". Fractions beyond milliseconds are
// truncated. A time without an offset is refused: EPCIS requires one.
Result<Timestamp> ParseRfc3339(std::string_view text);
// "2005-04-04T02:33:31.116Z"
std::string FormatRfc3339Utc(int64_t unix_ms);
// "+01:00", "-06:00", "Z" is written as "+00:00".
std::string FormatOffset(int32_t offset_minutes);
Result<int32_t> ParseOffset(std::string_view text);

}  // namespace tracery

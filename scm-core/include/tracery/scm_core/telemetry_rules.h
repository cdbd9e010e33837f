// Threshold rules on the readings' own timestamps, with a bound on lateness.
//
// Per sensor, the watermark is (the greatest reading time seen) - allowed_lateness. A reading
// older than the watermark when it arrives is late: counted and stored, never evaluated.
// Readings at or after the watermark wait in a per-sensor buffer and are evaluated in time
// order once the watermark passes them, so readings reordered within the lateness bound give
// the same excursions as in-order ones. A threshold rule opens an excursion when the value is
// beyond `open_milli` continuously for `min_duration_ms` (from the first such reading to the
// current one) and closes it when the value comes back past `close_milli` (hysteresis).
//
// Each excursion carries the SHA-256 chain of its window (docs/formats/telemetry.md): the
// readings from the first one beyond the threshold to the opening reading (ExcursionOpened), or
// to the closing reading (ExcursionClosed). Pure and deterministic; the state of a sensor is
// serialised so that the ingestor persists it with the batch that changed it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"
#include "tracery/scm_core/telemetry.h"

namespace tracery::scm_core {

constexpr size_t kMaxThresholdRules = 16;
// Readings of one sensor waiting for the watermark; beyond it the oldest is evaluated early.
constexpr size_t kMaxPendingReadingsPerSensor = 4096;
constexpr int64_t kMaxAllowedLatenessMs = 24LL * 3600 * 1000;

enum class RuleDirection : uint8_t { kAbove = 1, kBelow = 2 };

struct ThresholdRule {
  std::string name;  // [A-Za-z0-9._-], e.g. "temp-high"
  ReadingKind kind = ReadingKind::kTemperature;
  RuleDirection direction = RuleDirection::kAbove;
  int64_t open_milli = 0;   // kAbove: beyond means value > open_milli
  int64_t close_milli = 0;  // kAbove: cleared when value < close_milli (close <= open)
  int64_t min_duration_ms = 0;
};

struct RuleConfig {
  int64_t allowed_lateness_ms = 5 * 60 * 1000;
  std::vector<ThresholdRule> rules;
};
// Names, limits and the direction of the hysteresis.
Status CheckRuleConfig(const RuleConfig& config);
// The cold-chain default: temperature above 8 °C for 15 minutes opens, below 7 °C closes.
RuleConfig DefaultColdChainRules();

enum class ExcursionEventKind : uint8_t { kOpened = 1, kClosed = 2 };

struct ExcursionEvent {
  uint64_t event_seq = 0;  // assigned by the ingestor: 1, 2, ... in the order events happen
  ExcursionEventKind kind = ExcursionEventKind::kOpened;
  std::string sensor_id;
  std::string gateway_id;  // the gateway of the reading that completed the event
  std::string gtin;        // the sensor's binding when the event happened (may be empty)
  std::string lot;
  std::string shipment;
  std::string rule;
  int64_t start_ms = 0;  // time of the first reading beyond the threshold
  int64_t end_ms = 0;    // kClosed: time of the reading that cleared it; kOpened: 0
  int64_t peak_milli = 0;
  uint64_t window_readings = 0;
  Hash32 window_hash{};
  friend bool operator==(const ExcursionEvent&, const ExcursionEvent&) = default;
};
const char* ExcursionEventKindName(ExcursionEventKind kind);  // "opened", "closed"
std::string EncodeExcursionEvent(const ExcursionEvent& event);
Result<ExcursionEvent> DecodeExcursionEvent(std::string_view bytes);

// The start of a window hash chain: SHA-256("tracery/v1/telemetry-window" 0x00 sensor rule).
Hash32 WindowChainStart(std::string_view sensor_id, std::string_view rule);
// One step of the chain: SHA-256(previous || time || kind || value), integers big-endian.
Hash32 WindowChainStep(const Hash32& previous, int64_t time_ms, ReadingKind kind,
                       int64_t value_milli);

struct PendingReading;

class RuleEngine {
 public:
  // REQUIRES: CheckRuleConfig(config).ok()
  explicit RuleEngine(RuleConfig config);
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;
  ~RuleEngine();

  // Feeds one reading; events it completes are appended to `events` (event_seq left 0) and the
  // sensor is marked dirty. Returns false when the reading is late (not evaluated).
  bool Add(const Reading& reading, const std::string& gateway_id, const SensorBinding* binding,
           std::vector<ExcursionEvent>* events);

  // Sensors whose state changed since the last TakeDirty(), and their encoded state.
  std::vector<std::pair<std::string, std::string>> TakeDirty();
  // Restores a sensor's state written by TakeDirty().
  Status Restore(std::string_view sensor_id, std::string_view state);
  size_t sensors() const;
  const RuleConfig& config() const { return config_; }

 private:
  struct SensorState;
  SensorState& State(const std::string& sensor_id);
  void Evaluate(SensorState& s, const std::string& sensor_id, const PendingReading& reading,
                const std::string& gateway_id, const SensorBinding* binding,
                std::vector<ExcursionEvent>* events);
  static std::string EncodeState(const SensorState& s);

  RuleConfig config_;
  // Unordered: only lookups; nothing iterates it into anything hashed or stored in order.
  std::unordered_map<std::string, std::unique_ptr<SensorState>> sensors_;
  std::vector<SensorState*> dirty_;  // changed since the last TakeDirty()
};

}  // namespace tracery::scm_core

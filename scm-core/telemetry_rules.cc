#include "tracery/scm_core/telemetry_rules.h"

#include <algorithm>
#include <deque>
#include <limits>

#include "telemetry_codec.h"

namespace tracery::scm_core {

namespace {

constexpr std::string_view kStateMagic = "TRR1";
constexpr std::string_view kEventMagic = "TRX1";
constexpr std::string_view kWindowTag = "tracery/v1/telemetry-window";

enum class Phase : uint8_t { kNormal = 0, kPending = 1, kOpen = 2 };

}  // namespace

// One rule's progress on one sensor. kPending: beyond the threshold since start_ms, not yet
// for min_duration_ms; kOpen: an open excursion. chain/count cover the window so far.
struct RuleProgress {
  Phase phase = Phase::kNormal;
  int64_t start_ms = 0;
  int64_t peak_milli = 0;
  uint64_t count = 0;
  Hash32 chain{};
};

struct PendingReading {
  int64_t time_ms;
  ReadingKind kind;
  int64_t value_milli;
  auto Key() const { return std::tuple(time_ms, static_cast<uint8_t>(kind), value_milli); }
};

// Invariant: pending is sorted by Key(), and every pending time >= max_time - lateness as it
// was when the reading arrived.
struct RuleEngine::SensorState {
  int64_t max_time_ms = std::numeric_limits<int64_t>::min();
  std::string gateway_id;
  std::deque<PendingReading> pending;
  std::vector<RuleProgress> rules;
  const std::string* id = nullptr;  // the key of this state in sensors_
  bool dirty = false;               // listed in dirty_
};

Status CheckRuleConfig(const RuleConfig& config) {
  if (config.allowed_lateness_ms < 0 || config.allowed_lateness_ms > kMaxAllowedLatenessMs) {
    return InvalidArgument("allowed lateness: 0.." + std::to_string(kMaxAllowedLatenessMs) + " ms");
  }
  if (config.rules.size() > kMaxThresholdRules) {
    return InvalidArgument("rules: at most " + std::to_string(kMaxThresholdRules));
  }
  std::set<std::string> names;
  for (const ThresholdRule& r : config.rules) {
    RETURN_IF_ERROR(CheckTelemetryId(r.name, "rule name"));
    if (!names.insert(r.name).second) return InvalidArgument("rule '" + r.name + "' twice");
    const auto kind = static_cast<uint8_t>(r.kind);
    if (kind == 0 || kind > kMaxReadingKind) {
      return InvalidArgument("rule '" + r.name + "': unknown reading kind");
    }
    if (r.min_duration_ms < 0) return InvalidArgument("rule '" + r.name + "': duration < 0");
    if (r.direction == RuleDirection::kAbove && r.close_milli > r.open_milli) {
      return InvalidArgument("rule '" + r.name + "': above rules close at or below the opening");
    }
    if (r.direction == RuleDirection::kBelow && r.close_milli < r.open_milli) {
      return InvalidArgument("rule '" + r.name + "': below rules close at or above the opening");
    }
    if (r.direction != RuleDirection::kAbove && r.direction != RuleDirection::kBelow) {
      return InvalidArgument("rule '" + r.name + "': direction is above or below");
    }
  }
  return Status::Ok();
}

RuleConfig DefaultColdChainRules() {
  RuleConfig config;
  config.allowed_lateness_ms = 5 * 60 * 1000;
  config.rules.push_back(ThresholdRule{"temp-high", ReadingKind::kTemperature,
                                       RuleDirection::kAbove, 8000, 7000, 15 * 60 * 1000});
  return config;
}

const char* ExcursionEventKindName(ExcursionEventKind kind) {
  return kind == ExcursionEventKind::kOpened ? "opened" : "closed";
}

Hash32 WindowChainStart(std::string_view sensor_id, std::string_view rule) {
  std::string m(kWindowTag);
  m.push_back('\0');
  codec::PutShort(&m, sensor_id);
  codec::PutShort(&m, rule);
  return Sha256(m);
}

Hash32 WindowChainStep(const Hash32& previous, int64_t time_ms, ReadingKind kind,
                       int64_t value_milli) {
  std::string m(reinterpret_cast<const char*>(previous.data()), previous.size());
  codec::PutI64(&m, time_ms);
  codec::PutU8(&m, static_cast<uint8_t>(kind));
  codec::PutI64(&m, value_milli);
  return Sha256(m);
}

std::string EncodeExcursionEvent(const ExcursionEvent& e) {
  std::string out(kEventMagic);
  PutBe64(&out, e.event_seq);
  codec::PutU8(&out, static_cast<uint8_t>(e.kind));
  for (const std::string* f :
       {&e.sensor_id, &e.gateway_id, &e.gtin, &e.lot, &e.shipment, &e.rule}) {
    codec::PutShort(&out, *f);
  }
  codec::PutI64(&out, e.start_ms);
  codec::PutI64(&out, e.end_ms);
  codec::PutI64(&out, e.peak_milli);
  PutBe64(&out, e.window_readings);
  out.append(reinterpret_cast<const char*>(e.window_hash.data()), e.window_hash.size());
  return out;
}

Result<ExcursionEvent> DecodeExcursionEvent(std::string_view bytes) {
  codec::Reader r(bytes, "excursion event");
  ExcursionEvent e;
  std::string_view magic, f[6], hash;
  uint8_t kind = 0;
  if (r.Bytes(4, &magic, "magic") && magic != kEventMagic) return r.Fail("bad magic");
  (void)(r.U64(&e.event_seq, "event seq") && r.U8(&kind, "kind"));
  for (auto& field : f) r.Short(&field, "field");
  (void)(r.I64(&e.start_ms, "start") && r.I64(&e.end_ms, "end") && r.I64(&e.peak_milli, "peak") &&
         r.U64(&e.window_readings, "window readings") && r.Bytes(32, &hash, "window hash"));
  RETURN_IF_ERROR(r.Finish());
  if (kind != 1 && kind != 2)
    return InvalidArgument("excursion event: kind " + std::to_string(kind));
  e.kind = static_cast<ExcursionEventKind>(kind);
  std::string* out[6] = {&e.sensor_id, &e.gateway_id, &e.gtin, &e.lot, &e.shipment, &e.rule};
  for (int i = 0; i < 6; ++i) *out[i] = std::string(f[i]);
  std::copy(hash.begin(), hash.end(), e.window_hash.begin());
  return e;
}

RuleEngine::RuleEngine(RuleConfig config) : config_(std::move(config)) {
  TRACERY_CHECK(CheckRuleConfig(config_).ok());
}

RuleEngine::~RuleEngine() = default;

size_t RuleEngine::sensors() const { return sensors_.size(); }

RuleEngine::SensorState& RuleEngine::State(const std::string& sensor_id) {
  auto it = sensors_.find(sensor_id);
  if (it == sensors_.end()) {
    auto state = std::make_unique<SensorState>();
    state->rules.resize(config_.rules.size());
    it = sensors_.emplace(sensor_id, std::move(state)).first;
    it->second->id = &it->first;
  }
  return *it->second;
}

bool RuleEngine::Add(const Reading& reading, const std::string& gateway_id,
                     const SensorBinding* binding, std::vector<ExcursionEvent>* events) {
  SensorState& s = State(reading.sensor_id);
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(&s);
  }
  if (s.gateway_id != gateway_id) s.gateway_id = gateway_id;
  const int64_t lateness = config_.allowed_lateness_ms;
  const bool has_max = s.max_time_ms != std::numeric_limits<int64_t>::min();
  if (has_max && reading.time_ms < s.max_time_ms - lateness) return false;  // late
  const PendingReading p{reading.time_ms, reading.kind, reading.value_milli};
  // Readings mostly come in time order: append without searching then.
  if (s.pending.empty() || !(p.Key() < s.pending.back().Key())) {
    s.pending.push_back(p);
  } else {
    auto pos = std::upper_bound(
        s.pending.begin(), s.pending.end(), p,
        [](const PendingReading& a, const PendingReading& b) { return a.Key() < b.Key(); });
    s.pending.insert(pos, p);
  }
  s.max_time_ms = std::max(s.max_time_ms, reading.time_ms);
  const int64_t watermark = s.max_time_ms - lateness;
  // Readings strictly older than the watermark can no longer be preceded by a reading that is
  // not late: evaluate them, in time order. The buffer's limit evaluates the oldest early.
  while (!s.pending.empty() && (s.pending.front().time_ms < watermark ||
                                s.pending.size() > kMaxPendingReadingsPerSensor)) {
    const PendingReading front = s.pending.front();
    s.pending.pop_front();
    Evaluate(s, reading.sensor_id, front, gateway_id, binding, events);
  }
  return true;
}

void RuleEngine::Evaluate(SensorState& s, const std::string& sensor_id, const PendingReading& r,
                          const std::string& gateway_id, const SensorBinding* binding,
                          std::vector<ExcursionEvent>* events) {
  for (size_t i = 0; i < config_.rules.size(); ++i) {
    const ThresholdRule& rule = config_.rules[i];
    if (rule.kind != r.kind) continue;
    RuleProgress& p = s.rules[i];
    const bool above = rule.direction == RuleDirection::kAbove;
    const bool beyond = above ? r.value_milli > rule.open_milli : r.value_milli < rule.open_milli;
    const bool cleared =
        above ? r.value_milli < rule.close_milli : r.value_milli > rule.close_milli;
    auto emit = [&](ExcursionEventKind kind) {
      ExcursionEvent e;
      e.kind = kind;
      e.sensor_id = sensor_id;
      e.gateway_id = gateway_id;
      if (binding != nullptr) {
        e.gtin = binding->gtin;
        e.lot = binding->lot;
        e.shipment = binding->shipment;
      }
      e.rule = rule.name;
      e.start_ms = p.start_ms;
      e.end_ms = kind == ExcursionEventKind::kClosed ? r.time_ms : 0;
      e.peak_milli = p.peak_milli;
      e.window_readings = p.count;
      e.window_hash = p.chain;
      events->push_back(std::move(e));
    };
    auto extend = [&] {
      p.chain = WindowChainStep(p.chain, r.time_ms, r.kind, r.value_milli);
      ++p.count;
      p.peak_milli =
          above ? std::max(p.peak_milli, r.value_milli) : std::min(p.peak_milli, r.value_milli);
    };
    switch (p.phase) {
      case Phase::kNormal:
        if (!beyond) break;
        p.phase = Phase::kPending;
        p.start_ms = r.time_ms;
        p.peak_milli = r.value_milli;
        p.count = 0;
        p.chain = WindowChainStart(sensor_id, rule.name);
        extend();
        if (r.time_ms - p.start_ms >= rule.min_duration_ms) {
          p.phase = Phase::kOpen;
          emit(ExcursionEventKind::kOpened);
        }
        break;
      case Phase::kPending:
        if (!beyond) {
          p = RuleProgress{};  // not continuously beyond: the window starts again
          break;
        }
        extend();
        if (r.time_ms - p.start_ms >= rule.min_duration_ms) {
          p.phase = Phase::kOpen;
          emit(ExcursionEventKind::kOpened);
        }
        break;
      case Phase::kOpen:
        extend();
        if (cleared) {
          emit(ExcursionEventKind::kClosed);
          p = RuleProgress{};
        }
        break;
    }
  }
}

std::string RuleEngine::EncodeState(const SensorState& s) {
  std::string out(kStateMagic);
  codec::PutI64(&out, s.max_time_ms);
  codec::PutShort(&out, s.gateway_id);
  PutBe32(&out, static_cast<uint32_t>(s.pending.size()));
  for (const PendingReading& p : s.pending) {
    codec::PutI64(&out, p.time_ms);
    codec::PutU8(&out, static_cast<uint8_t>(p.kind));
    codec::PutI64(&out, p.value_milli);
  }
  codec::PutU8(&out, static_cast<uint8_t>(s.rules.size()));
  for (const RuleProgress& p : s.rules) {
    codec::PutU8(&out, static_cast<uint8_t>(p.phase));
    codec::PutI64(&out, p.start_ms);
    codec::PutI64(&out, p.peak_milli);
    PutBe64(&out, p.count);
    out.append(reinterpret_cast<const char*>(p.chain.data()), p.chain.size());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> RuleEngine::TakeDirty() {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(dirty_.size());
  for (SensorState* s : dirty_) {
    out.emplace_back(*s->id, EncodeState(*s));
    s->dirty = false;
  }
  dirty_.clear();
  return out;
}

Status RuleEngine::Restore(std::string_view sensor_id, std::string_view state) {
  codec::Reader r(state, "rule state");
  std::string_view magic, gateway;
  auto s = std::make_unique<SensorState>();
  uint32_t pending = 0;
  if (r.Bytes(4, &magic, "magic") && magic != kStateMagic) return r.Fail("bad magic");
  if (r.I64(&s->max_time_ms, "max time") && r.Short(&gateway, "gateway") &&
      r.U32(&pending, "pending count") && pending > kMaxPendingReadingsPerSensor + 1) {
    return r.Fail("pending count over the limit");
  }
  for (uint32_t i = 0; i < pending; ++i) {
    PendingReading p{};
    uint8_t kind = 0;
    if (!(r.I64(&p.time_ms, "time") && r.U8(&kind, "kind") && r.I64(&p.value_milli, "value"))) {
      break;
    }
    p.kind = static_cast<ReadingKind>(kind);
    s->pending.push_back(p);
  }
  uint8_t rules = 0;
  if (r.U8(&rules, "rule count") && rules != config_.rules.size()) {
    return r.Fail("state of " + std::to_string(rules) + " rules, the config has " +
                  std::to_string(config_.rules.size()) + " (rules changed: rebuild the state)");
  }
  s->rules.resize(config_.rules.size());
  for (RuleProgress& p : s->rules) {
    uint8_t phase = 0;
    std::string_view chain;
    if (!(r.U8(&phase, "phase") && r.I64(&p.start_ms, "start") && r.I64(&p.peak_milli, "peak") &&
          r.U64(&p.count, "count") && r.Bytes(32, &chain, "chain"))) {
      break;
    }
    if (phase > 2) return r.Fail("phase " + std::to_string(phase));
    p.phase = static_cast<Phase>(phase);
    std::copy(chain.begin(), chain.end(), p.chain.begin());
  }
  RETURN_IF_ERROR(r.Finish());
  s->gateway_id = std::string(gateway);
  auto it = sensors_.find(std::string(sensor_id));
  if (it != sensors_.end()) {
    TRACERY_CHECK(!it->second->dirty);  // REQUIRES: no restore over unsaved changes
    it->second = std::move(s);
  } else {
    it = sensors_.emplace(std::string(sensor_id), std::move(s)).first;
  }
  it->second->id = &it->first;
  return Status::Ok();
}

}  // namespace tracery::scm_core

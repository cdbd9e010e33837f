// IoT cold-chain telemetry: sensor readings, the batches a gateway signs, their wire format
// (docs/formats/telemetry.md), the gateway registry and the acknowledgement a node returns.
// Pure logic: no I/O, no threads, no floating point (values are integers in milli-units).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"

namespace tracery::scm_core {

// Named limits of the wire format, checked where a batch enters.
constexpr size_t kMaxTelemetryIdBytes = 64;  // gateway ids and sensor ids
constexpr size_t kMaxReadingsPerBatch = 1000;
constexpr size_t kReadingFixedBytes = 1 + 8 + 1 + 8;  // id length, time, kind, value
constexpr size_t kMaxBatchBytes =
    4 + 1 + kMaxTelemetryIdBytes + 8 + 2 + kMaxReadingsPerBatch * (kReadingFixedBytes + 64);
constexpr size_t kMaxEnvelopeBytes = 4 + 4 + kMaxBatchBytes + kEd25519SignatureSize;
constexpr size_t kMaxMissingRangesPerAck = 16;

// What a reading measures, and so the unit of its milli-value.
enum class ReadingKind : uint8_t {
  kTemperature = 1,  // milli-degrees Celsius
  kHumidity = 2,     // milli-percent relative humidity
  kShock = 3,        // milli-g
  kLight = 4,        // milli-lux
};
constexpr uint8_t kMaxReadingKind = 4;
const char* ReadingKindName(ReadingKind kind);  // "temperature", ...
Result<ReadingKind> ParseReadingKind(std::string_view name);

// One measurement, with the sensor's own timestamp (not the time it reached the node).
struct Reading {
  std::string sensor_id;
  int64_t time_ms = 0;  // Unix milliseconds
  ReadingKind kind = ReadingKind::kTemperature;
  int64_t value_milli = 0;
  friend bool operator==(const Reading&, const Reading&) = default;
};

// A gateway's batch: sequence numbers start at 1 and go up by one per batch of that gateway.
struct TelemetryBatch {
  std::string gateway_id;
  uint64_t sequence = 0;
  std::vector<Reading> readings;  // 1..kMaxReadingsPerBatch
  friend bool operator==(const TelemetryBatch&, const TelemetryBatch&) = default;
};

// Ids: 1..64 bytes of [A-Za-z0-9._-] (they are MQTT topic levels and store keys).
Status CheckTelemetryId(std::string_view id, const char* what);

// The batch bytes (docs/formats/telemetry.md). Refuses a batch outside the limits.
Result<std::string> EncodeBatch(const TelemetryBatch& batch);
// Every byte checked: magic, lengths, id characters, kinds, count, no trailing bytes.
Result<TelemetryBatch> DecodeBatch(std::string_view bytes);

// A signed envelope: the exact batch bytes and an Ed25519 signature over
// DomainMessage(Purpose::kTelemetry, genesis_hash, batch_bytes).
struct SignedBatch {
  std::string_view batch_bytes;  // views into the envelope it was decoded from
  std::string_view signature;
};
std::string EncodeEnvelope(std::string_view batch_bytes, std::string_view signature);
// A payload holding a bare batch (no envelope) is refused as Unauthenticated ("unsigned");
// anything else that is not an envelope as InvalidArgument.
Result<SignedBatch> DecodeEnvelope(std::string_view envelope);
// A frame: several signed envelopes in one MQTT message (docs/formats/telemetry.md), so that
// the broker's and the client's cost per message is paid once for up to kMaxFrameEnvelopes
// batches. Each envelope inside is verified on its own, exactly as if it came alone.
inline constexpr size_t kMaxFrameEnvelopes = 64;
std::string EncodeFrame(const std::vector<std::string_view>& envelopes);
// The envelopes of an MQTT payload: those of a frame ("TRF1"), or the payload itself when it
// is not a frame. A damaged frame (lengths, count, trailing bytes) is InvalidArgument.
Result<std::vector<std::string_view>> SplitFrame(std::string_view payload);
// Encodes and signs: the envelope bytes a gateway publishes.
Result<std::string> SignBatch(const TelemetryBatch& batch, const PrivateKey& key,
                              const Hash32& genesis_hash);

// The gateway registry: who may send telemetry, and what each sensor is bound to.
struct GatewayRecord {
  std::string gateway_id;
  PublicKey public_key;
  int64_t registered_at_ms = 0;
  bool revoked = false;
  int64_t revoked_at_ms = 0;
  std::string revoked_by;
};

// A sensor behind a gateway, bound to the lot (GTIN + lot number) or shipment (SSCC) it watches.
struct SensorBinding {
  std::string sensor_id;
  std::string gateway_id;
  std::string gtin;      // GTIN-14 or empty
  std::string lot;       // lot number of that GTIN, or empty
  std::string shipment;  // SSCC-18 or empty
};

// Plain data; the store persists it (TelemetryIngestor). Not thread-safe.
class GatewayRegistry {
 public:
  Status AddGateway(const std::string& gateway_id, const PublicKey& key, int64_t now_ms);
  Status Revoke(const std::string& gateway_id, const std::string& by, int64_t now_ms);
  // A gateway or gtin+lot or shipment must be named; GS1 keys are checked.
  Status Bind(const SensorBinding& binding);
  const GatewayRecord* FindGateway(std::string_view gateway_id) const;
  const SensorBinding* FindSensor(std::string_view sensor_id) const;
  const std::map<std::string, GatewayRecord, std::less<>>& gateways() const { return gateways_; }
  const std::map<std::string, SensorBinding, std::less<>>& sensors() const { return sensors_; }

  // Record encodings for the store (docs/formats/telemetry.md).
  static std::string EncodeGateway(const GatewayRecord& record);
  static Result<GatewayRecord> DecodeGateway(std::string_view bytes);
  static std::string EncodeSensor(const SensorBinding& binding);
  static Result<SensorBinding> DecodeSensor(std::string_view bytes);
  void PutGateway(GatewayRecord record);
  void PutSensor(SensorBinding binding);

 private:
  std::map<std::string, GatewayRecord, std::less<>> gateways_;
  std::map<std::string, SensorBinding, std::less<>> sensors_;
};

// Why a payload was refused before it reached deduplication.
enum class VerifyVerdict {
  kOk,
  kMalformed,       // not an envelope, or a batch that does not decode
  kUnsigned,        // a bare batch without an envelope
  kUnknownGateway,  // no such gateway registered
  kRevoked,
  kForged,  // the signature does not verify (other key, other genesis, other purpose,
            // altered bytes), or the batch names another gateway than its topic
};
const char* VerifyVerdictName(VerifyVerdict verdict);

struct VerifiedBatch {
  VerifyVerdict verdict = VerifyVerdict::kMalformed;
  std::string detail;    // the reason, for logs
  std::string envelope;  // the exact bytes received (kept in the store as they are)
  TelemetryBatch batch;  // decoded from the verified bytes, when kOk
};

// Decodes, checks the gateway (registered, not revoked) and the signature over the exact batch
// bytes, then decodes the batch. `topic_gateway` is the gateway named by the MQTT topic; the
// batch must name the same one. Thread-safe for a registry nobody changes meanwhile.
VerifiedBatch VerifyTelemetry(std::string_view topic_gateway, std::string envelope,
                              const Hash32& genesis_hash, const GatewayRegistry& registry);

// The node's acknowledgement to a gateway (JSON, docs/formats/telemetry.md): every sequence
// number up to `durable_through` is durable; `missing` are the gaps below the highest sequence
// seen (inclusive ranges) that the gateway should publish again.
struct TelemetryAck {
  std::string gateway_id;
  uint64_t durable_through = 0;
  std::vector<std::pair<uint64_t, uint64_t>> missing;  // at most kMaxMissingRangesPerAck
  friend bool operator==(const TelemetryAck&, const TelemetryAck&) = default;
};
std::string EncodeAck(const TelemetryAck& ack);
Result<TelemetryAck> DecodeAck(std::string_view text);

// MQTT topics: "tracery/telemetry/<gateway>" and "tracery/ack/<gateway>".
constexpr std::string_view kTelemetryTopicPrefix = "tracery/telemetry/";
constexpr std::string_view kAckTopicPrefix = "tracery/ack/";
constexpr std::string_view kTelemetryTopicFilter = "tracery/telemetry/+";
std::string TelemetryTopic(std::string_view gateway_id);
std::string AckTopic(std::string_view gateway_id);
// The gateway id of a telemetry topic, or nullopt.
std::optional<std::string> GatewayOfTelemetryTopic(std::string_view topic);

}  // namespace tracery::scm_core

#include "tracery/scm_core/telemetry.h"

#include <nlohmann/json.hpp>

#include "telemetry_codec.h"
#include "tracery/core/encoding.h"
#include "tracery/scm_core/model.h"

namespace tracery::scm_core {

namespace codec {

void PutShort(std::string* out, std::string_view s) {
  TRACERY_CHECK(s.size() <= 255);
  PutU8(out, static_cast<uint8_t>(s.size()));
  out->append(s);
}

void PutLong(std::string* out, std::string_view s) {
  TRACERY_CHECK(s.size() <= UINT32_MAX);
  PutBe32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

bool Reader::Need(size_t n, const char* field) {
  if (!status_.ok()) return false;
  if (in_.size() - pos_ < n) {
    status_ = InvalidArgument(std::string(what_) + ": truncated at byte " + std::to_string(pos_) +
                              " (" + field + " needs " + std::to_string(n) + " bytes, " +
                              std::to_string(in_.size() - pos_) + " left)");
    return false;
  }
  return true;
}

bool Reader::U8(uint8_t* v, const char* field) {
  if (!Need(1, field)) return false;
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool Reader::U16(uint16_t* v, const char* field) {
  if (!Need(2, field)) return false;
  *v = static_cast<uint16_t>((static_cast<uint8_t>(in_[pos_]) << 8) |
                             static_cast<uint8_t>(in_[pos_ + 1]));
  pos_ += 2;
  return true;
}

bool Reader::U32(uint32_t* v, const char* field) {
  if (!Need(4, field)) return false;
  *v = GetBe32(in_.substr(pos_));
  pos_ += 4;
  return true;
}

bool Reader::U64(uint64_t* v, const char* field) {
  if (!Need(8, field)) return false;
  *v = GetBe64(in_.substr(pos_));
  pos_ += 8;
  return true;
}

bool Reader::I64(int64_t* v, const char* field) {
  uint64_t u;
  if (!U64(&u, field)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool Reader::Bytes(size_t n, std::string_view* v, const char* field) {
  if (!Need(n, field)) return false;
  *v = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::Short(std::string_view* v, const char* field) {
  uint8_t n;
  return U8(&n, field) && Bytes(n, v, field);
}

bool Reader::Long(std::string_view* v, const char* field) {
  uint32_t n;
  return U32(&n, field) && Bytes(n, v, field);
}

Status Reader::Fail(const std::string& message) {
  if (status_.ok()) {
    status_ = InvalidArgument(std::string(what_) + ": " + message + " (at byte " +
                              std::to_string(pos_) + ")");
  }
  return status_;
}

Status Reader::Finish() const {
  if (!status_.ok()) return status_;
  if (pos_ != in_.size()) {
    return InvalidArgument(std::string(what_) + ": " + std::to_string(in_.size() - pos_) +
                           " trailing bytes after byte " + std::to_string(pos_));
  }
  return Status::Ok();
}

}  // namespace codec

namespace {

constexpr std::string_view kBatchMagic = "TRT1";
constexpr std::string_view kEnvelopeMagic = "TRE1";
constexpr std::string_view kFrameMagic = "TRF1";
constexpr std::string_view kGatewayRecordMagic = "TRG1";
constexpr std::string_view kSensorRecordMagic = "TRS1";

bool IdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

const char* ReadingKindName(ReadingKind kind) {
  switch (kind) {
    case ReadingKind::kTemperature:
      return "temperature";
    case ReadingKind::kHumidity:
      return "humidity";
    case ReadingKind::kShock:
      return "shock";
    case ReadingKind::kLight:
      return "light";
  }
  return "unknown";
}

Result<ReadingKind> ParseReadingKind(std::string_view name) {
  for (uint8_t k = 1; k <= kMaxReadingKind; ++k) {
    if (name == ReadingKindName(static_cast<ReadingKind>(k))) return static_cast<ReadingKind>(k);
  }
  return InvalidArgument("reading kind '" + std::string(name) +
                         "': not one of temperature, humidity, shock, light");
}

Status CheckTelemetryId(std::string_view id, const char* what) {
  if (id.empty() || id.size() > kMaxTelemetryIdBytes) {
    return InvalidArgument(std::string(what) + ": must be 1.." +
                           std::to_string(kMaxTelemetryIdBytes) + " bytes, got " +
                           std::to_string(id.size()));
  }
  for (char c : id) {
    if (!IdChar(c)) {
      return InvalidArgument(std::string(what) + " '" + std::string(id) +
                             "': only A-Z a-z 0-9 . _ - are allowed");
    }
  }
  return Status::Ok();
}

Result<std::string> EncodeBatch(const TelemetryBatch& batch) {
  RETURN_IF_ERROR(CheckTelemetryId(batch.gateway_id, "gateway id"));
  if (batch.sequence == 0) return InvalidArgument("batch sequence: starts at 1");
  if (batch.readings.empty() || batch.readings.size() > kMaxReadingsPerBatch) {
    return InvalidArgument("batch: 1.." + std::to_string(kMaxReadingsPerBatch) + " readings, got " +
                           std::to_string(batch.readings.size()));
  }
  std::string out;
  out.reserve(4 + 1 + batch.gateway_id.size() + 8 + 2 + batch.readings.size() * 32);
  out.append(kBatchMagic);
  codec::PutShort(&out, batch.gateway_id);
  PutBe64(&out, batch.sequence);
  codec::PutU16(&out, static_cast<uint16_t>(batch.readings.size()));
  for (const Reading& r : batch.readings) {
    RETURN_IF_ERROR(CheckTelemetryId(r.sensor_id, "sensor id"));
    const auto kind = static_cast<uint8_t>(r.kind);
    if (kind == 0 || kind > kMaxReadingKind) return InvalidArgument("reading kind out of range");
    codec::PutShort(&out, r.sensor_id);
    codec::PutI64(&out, r.time_ms);
    codec::PutU8(&out, kind);
    codec::PutI64(&out, r.value_milli);
  }
  return out;
}

Result<TelemetryBatch> DecodeBatch(std::string_view bytes) {
  if (bytes.size() > kMaxBatchBytes) {
    return ResourceExhausted("batch: " + std::to_string(bytes.size()) + " bytes, limit " +
                             std::to_string(kMaxBatchBytes));
  }
  codec::Reader r(bytes, "batch");
  std::string_view magic;
  if (r.Bytes(4, &magic, "magic") && magic != kBatchMagic) {
    return r.Fail("bad magic (not a TRT1 telemetry batch)");
  }
  TelemetryBatch batch;
  std::string_view gateway;
  uint16_t count = 0;
  if (!(r.Short(&gateway, "gateway id") && r.U64(&batch.sequence, "sequence") &&
        r.U16(&count, "reading count"))) {
    return r.Finish();
  }
  batch.gateway_id = std::string(gateway);
  RETURN_IF_ERROR(CheckTelemetryId(gateway, "batch gateway id"));
  if (batch.sequence == 0) return r.Fail("sequence 0 (sequences start at 1)");
  if (count == 0 || count > kMaxReadingsPerBatch) {
    return r.Fail("reading count " + std::to_string(count) + " outside 1.." +
                  std::to_string(kMaxReadingsPerBatch));
  }
  batch.readings.resize(count);
  for (Reading& reading : batch.readings) {
    std::string_view sensor;
    uint8_t kind = 0;
    if (!(r.Short(&sensor, "sensor id") && r.I64(&reading.time_ms, "time") && r.U8(&kind, "kind") &&
          r.I64(&reading.value_milli, "value"))) {
      return r.Finish();
    }
    if (Status st = CheckTelemetryId(sensor, "sensor id"); !st.ok()) return r.Fail(st.message());
    if (kind == 0 || kind > kMaxReadingKind) {
      return r.Fail("reading kind " + std::to_string(kind) + " unknown");
    }
    reading.sensor_id = std::string(sensor);
    reading.kind = static_cast<ReadingKind>(kind);
  }
  RETURN_IF_ERROR(r.Finish());
  return batch;
}

std::string EncodeEnvelope(std::string_view batch_bytes, std::string_view signature) {
  std::string out;
  out.reserve(8 + batch_bytes.size() + signature.size());
  out.append(kEnvelopeMagic);
  codec::PutLong(&out, batch_bytes);
  out.append(signature);
  return out;
}

Result<SignedBatch> DecodeEnvelope(std::string_view envelope) {
  if (envelope.size() > kMaxEnvelopeBytes) {
    return ResourceExhausted("envelope: " + std::to_string(envelope.size()) + " bytes, limit " +
                             std::to_string(kMaxEnvelopeBytes));
  }
  if (envelope.substr(0, 4) == kBatchMagic) {
    return Unauthenticated("unsigned: a bare telemetry batch without a signed envelope");
  }
  codec::Reader r(envelope, "envelope");
  std::string_view magic;
  if (r.Bytes(4, &magic, "magic") && magic != kEnvelopeMagic) {
    return r.Fail("bad magic (not a TRE1 telemetry envelope)");
  }
  SignedBatch signed_batch;
  uint32_t batch_size = 0;
  if (r.U32(&batch_size, "batch length") && batch_size > kMaxBatchBytes) {
    return r.Fail("batch length " + std::to_string(batch_size) + " over the limit " +
                  std::to_string(kMaxBatchBytes));
  }
  r.Bytes(batch_size, &signed_batch.batch_bytes, "batch");
  r.Bytes(kEd25519SignatureSize, &signed_batch.signature, "signature");
  RETURN_IF_ERROR(r.Finish());
  return signed_batch;
}

std::string EncodeFrame(const std::vector<std::string_view>& envelopes) {
  TRACERY_CHECK(!envelopes.empty() && envelopes.size() <= kMaxFrameEnvelopes);
  std::string out;
  out.append(kFrameMagic);
  PutBe32(&out, static_cast<uint32_t>(envelopes.size()));
  for (std::string_view e : envelopes) codec::PutLong(&out, e);
  return out;
}

Result<std::vector<std::string_view>> SplitFrame(std::string_view payload) {
  if (payload.substr(0, 4) != kFrameMagic) return std::vector<std::string_view>{payload};
  codec::Reader r(payload, "frame");
  std::string_view magic;
  uint32_t count = 0;
  r.Bytes(4, &magic, "magic");
  if (r.U32(&count, "count") && (count == 0 || count > kMaxFrameEnvelopes)) {
    return r.Fail("count " + std::to_string(count) + ": 1 to " +
                  std::to_string(kMaxFrameEnvelopes) + " envelopes");
  }
  std::vector<std::string_view> out;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view e;
    if (!r.Long(&e, "envelope")) break;
    if (e.size() > kMaxEnvelopeBytes) return r.Fail("an envelope over the size limit");
    out.push_back(e);
  }
  RETURN_IF_ERROR(r.Finish());
  return out;
}

Result<std::string> SignBatch(const TelemetryBatch& batch, const PrivateKey& key,
                              const Hash32& genesis_hash) {
  ASSIGN_OR_RETURN(std::string bytes, EncodeBatch(batch));
  const std::string signature = key.Sign(Purpose::kTelemetry, genesis_hash, bytes);
  return EncodeEnvelope(bytes, signature);
}

Status GatewayRegistry::AddGateway(const std::string& gateway_id, const PublicKey& key,
                                   int64_t now_ms) {
  RETURN_IF_ERROR(CheckTelemetryId(gateway_id, "gateway id"));
  if (gateways_.count(gateway_id) != 0) {
    return AlreadyExists("gateway '" + gateway_id + "' is already registered");
  }
  GatewayRecord record{gateway_id, key, now_ms, false, 0, ""};
  gateways_.emplace(gateway_id, std::move(record));
  return Status::Ok();
}

Status GatewayRegistry::Revoke(const std::string& gateway_id, const std::string& by,
                               int64_t now_ms) {
  auto it = gateways_.find(gateway_id);
  if (it == gateways_.end()) return NotFound("gateway '" + gateway_id + "' is not registered");
  if (by.empty() || by.size() > 255) return InvalidArgument("revoked by: 1..255 bytes");
  if (it->second.revoked) {
    return FailedPrecondition("gateway '" + gateway_id + "' was already revoked by " +
                              it->second.revoked_by);
  }
  it->second.revoked = true;
  it->second.revoked_at_ms = now_ms;
  it->second.revoked_by = by;
  return Status::Ok();
}

Status GatewayRegistry::Bind(const SensorBinding& binding) {
  RETURN_IF_ERROR(CheckTelemetryId(binding.sensor_id, "sensor id"));
  if (!binding.gateway_id.empty()) {
    RETURN_IF_ERROR(CheckTelemetryId(binding.gateway_id, "sensor gateway id"));
  }
  if (!binding.gtin.empty() && !IsValidGtin(binding.gtin)) {
    return InvalidArgument("sensor " + binding.sensor_id + ": gtin '" + binding.gtin +
                           "' is not a GTIN-14 with a valid check digit");
  }
  if (!binding.shipment.empty() && !IsValidSscc(binding.shipment)) {
    return InvalidArgument("sensor " + binding.sensor_id + ": shipment '" + binding.shipment +
                           "' is not an SSCC-18 with a valid check digit");
  }
  if (binding.lot.size() > 20 || (!binding.lot.empty() && binding.gtin.empty())) {
    return InvalidArgument("sensor " + binding.sensor_id +
                           ": a lot (at most 20 characters, GS1 AI 10) needs its gtin");
  }
  if (binding.lot.empty() && binding.shipment.empty()) {
    return InvalidArgument("sensor " + binding.sensor_id +
                           ": bind it to a lot (gtin + lot) or a shipment (sscc)");
  }
  sensors_[binding.sensor_id] = binding;
  return Status::Ok();
}

const GatewayRecord* GatewayRegistry::FindGateway(std::string_view gateway_id) const {
  auto it = gateways_.find(gateway_id);
  return it == gateways_.end() ? nullptr : &it->second;
}

const SensorBinding* GatewayRegistry::FindSensor(std::string_view sensor_id) const {
  auto it = sensors_.find(sensor_id);
  return it == sensors_.end() ? nullptr : &it->second;
}

void GatewayRegistry::PutGateway(GatewayRecord record) {
  std::string id = record.gateway_id;
  gateways_.insert_or_assign(std::move(id), std::move(record));
}

void GatewayRegistry::PutSensor(SensorBinding binding) {
  std::string id = binding.sensor_id;
  sensors_.insert_or_assign(std::move(id), std::move(binding));
}

std::string GatewayRegistry::EncodeGateway(const GatewayRecord& g) {
  std::string out(kGatewayRecordMagic);
  codec::PutShort(&out, g.gateway_id);
  codec::PutShort(&out, g.public_key.bytes());
  codec::PutI64(&out, g.registered_at_ms);
  codec::PutU8(&out, g.revoked ? 1 : 0);
  codec::PutI64(&out, g.revoked_at_ms);
  codec::PutShort(&out, g.revoked_by);
  return out;
}

Result<GatewayRecord> GatewayRegistry::DecodeGateway(std::string_view bytes) {
  codec::Reader r(bytes, "gateway record");
  std::string_view magic, id, key, by;
  GatewayRecord g;
  uint8_t revoked = 0;
  if (r.Bytes(4, &magic, "magic") && magic != kGatewayRecordMagic) return r.Fail("bad magic");
  r.Short(&id, "gateway id") && r.Short(&key, "public key") &&
      r.I64(&g.registered_at_ms, "registered at") && r.U8(&revoked, "revoked") &&
      r.I64(&g.revoked_at_ms, "revoked at") && r.Short(&by, "revoked by");
  RETURN_IF_ERROR(r.Finish());
  ASSIGN_OR_RETURN(g.public_key, PublicKey::FromBytes(key));
  g.gateway_id = std::string(id);
  g.revoked = revoked != 0;
  g.revoked_by = std::string(by);
  return g;
}

std::string GatewayRegistry::EncodeSensor(const SensorBinding& s) {
  std::string out(kSensorRecordMagic);
  for (const std::string* f : {&s.sensor_id, &s.gateway_id, &s.gtin, &s.lot, &s.shipment}) {
    codec::PutShort(&out, *f);
  }
  return out;
}

Result<SensorBinding> GatewayRegistry::DecodeSensor(std::string_view bytes) {
  codec::Reader r(bytes, "sensor record");
  std::string_view magic, f[5];
  if (r.Bytes(4, &magic, "magic") && magic != kSensorRecordMagic) return r.Fail("bad magic");
  for (auto& field : f) r.Short(&field, "field");
  RETURN_IF_ERROR(r.Finish());
  return SensorBinding{std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3]),
                       std::string(f[4])};
}

const char* VerifyVerdictName(VerifyVerdict verdict) {
  switch (verdict) {
    case VerifyVerdict::kOk:
      return "ok";
    case VerifyVerdict::kMalformed:
      return "malformed";
    case VerifyVerdict::kUnsigned:
      return "unsigned";
    case VerifyVerdict::kUnknownGateway:
      return "unknown_gateway";
    case VerifyVerdict::kRevoked:
      return "revoked";
    case VerifyVerdict::kForged:
      return "forged";
  }
  return "unknown";
}

namespace {

// The gateway id of the batch bytes, read without decoding the readings (before the
// signature is checked, nothing but this is read).
std::optional<std::string_view> PeekGateway(std::string_view batch_bytes) {
  if (batch_bytes.size() < 5 || batch_bytes.substr(0, 4) != kBatchMagic) return std::nullopt;
  const size_t n = static_cast<uint8_t>(batch_bytes[4]);
  if (batch_bytes.size() < 5 + n) return std::nullopt;
  return batch_bytes.substr(5, n);
}

}  // namespace

VerifiedBatch VerifyTelemetry(std::string_view topic_gateway, std::string envelope,
                              const Hash32& genesis_hash, const GatewayRegistry& registry) {
  VerifiedBatch out;
  out.envelope = std::move(envelope);
  auto fail = [&out](VerifyVerdict v, std::string detail) {
    out.verdict = v;
    out.detail = std::move(detail);
    return std::move(out);
  };
  auto signed_batch = DecodeEnvelope(out.envelope);
  if (!signed_batch.ok()) {
    const bool is_unsigned = signed_batch.status().code() == Code::kUnauthenticated;
    return fail(is_unsigned ? VerifyVerdict::kUnsigned : VerifyVerdict::kMalformed,
                signed_batch.status().message());
  }
  const std::optional<std::string_view> gateway = PeekGateway(signed_batch->batch_bytes);
  if (!gateway) return fail(VerifyVerdict::kMalformed, "batch: no gateway id");
  const GatewayRecord* record = registry.FindGateway(*gateway);
  if (record == nullptr) {
    return fail(VerifyVerdict::kUnknownGateway,
                "gateway '" + std::string(*gateway) + "' is not registered");
  }
  if (record->revoked) {
    return fail(VerifyVerdict::kRevoked,
                "gateway '" + record->gateway_id + "' was revoked by " + record->revoked_by);
  }
  if (!record->public_key.Verify(Purpose::kTelemetry, genesis_hash, signed_batch->batch_bytes,
                                 signed_batch->signature)) {
    return fail(VerifyVerdict::kForged,
                "gateway '" + record->gateway_id + "': the signature does not verify");
  }
  if (*gateway != topic_gateway) {
    return fail(VerifyVerdict::kForged, "batch of gateway '" + record->gateway_id +
                                            "' published on the topic of '" +
                                            std::string(topic_gateway) + "'");
  }
  auto batch = DecodeBatch(signed_batch->batch_bytes);
  if (!batch.ok()) return fail(VerifyVerdict::kMalformed, batch.status().message());
  out.batch = std::move(batch).value();
  out.verdict = VerifyVerdict::kOk;
  return out;
}

std::string EncodeAck(const TelemetryAck& ack) {
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& [from, to] : ack.missing) missing.push_back({from, to});
  nlohmann::json j = {
      {"gateway", ack.gateway_id}, {"durable_through", ack.durable_through}, {"missing", missing}};
  return j.dump();
}

Result<TelemetryAck> DecodeAck(std::string_view text) {
  if (text.size() > 4096) return ResourceExhausted("ack: over 4096 bytes");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("ack: not a JSON object");
  TelemetryAck ack;
  const auto gw = j.find("gateway");
  const auto through = j.find("durable_through");
  const auto missing = j.find("missing");
  if (gw == j.end() || !gw->is_string()) return InvalidArgument("ack: gateway: not a string");
  if (through == j.end() || !through->is_number_unsigned()) {
    return InvalidArgument("ack: durable_through: not an unsigned integer");
  }
  ack.gateway_id = gw->get<std::string>();
  ack.durable_through = through->get<uint64_t>();
  if (missing != j.end()) {
    if (!missing->is_array() || missing->size() > kMaxMissingRangesPerAck) {
      return InvalidArgument("ack: missing: an array of at most 16 [from, to] ranges");
    }
    for (const auto& range : *missing) {
      if (!range.is_array() || range.size() != 2 || !range[0].is_number_unsigned() ||
          !range[1].is_number_unsigned() || range[0].get<uint64_t>() > range[1].get<uint64_t>()) {
        return InvalidArgument("ack: missing: each range is [from, to] with from <= to");
      }
      ack.missing.emplace_back(range[0].get<uint64_t>(), range[1].get<uint64_t>());
    }
  }
  return ack;
}

std::string TelemetryTopic(std::string_view gateway_id) {
  return std::string(kTelemetryTopicPrefix) + std::string(gateway_id);
}

std::string AckTopic(std::string_view gateway_id) {
  return std::string(kAckTopicPrefix) + std::string(gateway_id);
}

std::optional<std::string> GatewayOfTelemetryTopic(std::string_view topic) {
  if (topic.substr(0, kTelemetryTopicPrefix.size()) != kTelemetryTopicPrefix) return std::nullopt;
  std::string_view id = topic.substr(kTelemetryTopicPrefix.size());
  if (!CheckTelemetryId(id, "topic gateway").ok()) return std::nullopt;
  return std::string(id);
}

}  // namespace tracery::scm_core

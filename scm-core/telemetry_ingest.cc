#include "tracery/scm_core/telemetry_ingest.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "telemetry_codec.h"
#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"

namespace tracery::scm_core {

namespace {

// Key prefixes of the store (docs/formats/telemetry.md).
constexpr char kGatewayKey = 'G';
constexpr char kSensorKey = 'S';
constexpr char kBatchKey = 'B';
constexpr char kDedupKey = 'D';
constexpr char kRuleKey = 'R';
constexpr char kEventKey = 'E';
constexpr std::string_view kDeliveredKey = "Mdelivered";
constexpr std::string_view kDedupMagic = "TRD1";
constexpr size_t kWriteBufferBytes = 32 << 20;

std::string Key(char prefix, std::string_view id) {
  std::string k(1, prefix);
  k.append(id);
  return k;
}

std::string BatchKey(std::string_view gateway, uint64_t sequence) {
  std::string k = Key(kBatchKey, gateway);
  k.push_back('\0');
  PutBe64(&k, sequence);
  return k;
}

std::string EventKey(uint64_t seq) {
  std::string k(1, kEventKey);
  PutBe64(&k, seq);
  return k;
}

leveldb::WriteOptions Synced() {
  leveldb::WriteOptions w;
  w.sync = true;
  return w;
}

}  // namespace

const char* StageVerdictName(StageVerdict verdict) {
  switch (verdict) {
    case StageVerdict::kAccepted:
      return "accepted";
    case StageVerdict::kDuplicate:
      return "duplicate";
    case StageVerdict::kRevoked:
      return "revoked";
    case StageVerdict::kTooFarAhead:
      return "too_far_ahead";
  }
  return "unknown";
}

TelemetryIngestor::TelemetryIngestor(const IngestOptions& options, std::unique_ptr<leveldb::DB> db)
    : options_(options),
      db_(std::move(db)),
      rules_(options.rules),
      staged_(std::make_unique<leveldb::WriteBatch>()) {}

TelemetryIngestor::~TelemetryIngestor() = default;

Result<std::unique_ptr<TelemetryIngestor>> TelemetryIngestor::Open(const IngestOptions& options) {
  RETURN_IF_ERROR(CheckRuleConfig(options.rules));
  if (options.dedup_window == 0) return InvalidArgument("dedup window: at least 1");
  ASSIGN_OR_RETURN(auto db, OpenLevelDb(options.data_dir, "telemetry store", kWriteBufferBytes));
  std::unique_ptr<TelemetryIngestor> ingestor(new TelemetryIngestor(options, std::move(db)));
  RETURN_IF_ERROR(ingestor->Load());
  return ingestor;
}

Status TelemetryIngestor::Load() {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    const std::string_view id = key.substr(1);
    switch (key[0]) {
      case kGatewayKey: {
        ASSIGN_OR_RETURN(GatewayRecord g, GatewayRegistry::DecodeGateway(value));
        registry_.PutGateway(std::move(g));
        break;
      }
      case kSensorKey: {
        ASSIGN_OR_RETURN(SensorBinding s, GatewayRegistry::DecodeSensor(value));
        registry_.PutSensor(std::move(s));
        break;
      }
      case kDedupKey: {
        codec::Reader r(value, "dedup state");
        std::string_view magic;
        Dedup d;
        uint32_t n = 0;
        if (r.Bytes(4, &magic, "magic") && magic != kDedupMagic) return r.Fail("bad magic");
        (void)(r.U64(&d.durable_through, "durable through") && r.U32(&n, "count"));
        for (uint32_t i = 0; i < n && r.remaining() >= 8; ++i) {
          uint64_t s = 0;
          r.U64(&s, "sequence");
          d.above.insert(s);
        }
        RETURN_IF_ERROR(r.Finish().Annotate("gateway " + std::string(id)));
        dedup_.insert_or_assign(std::string(id), std::move(d));
        break;
      }
      case kRuleKey:
        RETURN_IF_ERROR(rules_.Restore(id, value).Annotate("sensor " + std::string(id)));
        break;
      case kEventKey:
        if (id.size() != 8) return Corruption("telemetry store: bad event key");
        next_event_seq_ = GetBe64(id) + 1;
        break;
      case 'M':
        if (key == kDeliveredKey && value.size() == 8) delivered_through_ = GetBe64(value);
        break;
      default:
        break;
    }
  }
  return FromLevelDb(it->status(), "load telemetry store");
}

Status TelemetryIngestor::WriteRegistry(const std::string& key, const std::string& value) {
  return FromLevelDb(db_->Put(Synced(), key, value), "write gateway registry");
}

Status TelemetryIngestor::RegisterGateway(const std::string& gateway_id, const PublicKey& key,
                                          int64_t now_ms) {
  if (registry_.gateways().size() >= kMaxGateways) {
    return ResourceExhausted("gateways: at most " + std::to_string(kMaxGateways));
  }
  GatewayRegistry next = registry_;
  RETURN_IF_ERROR(next.AddGateway(gateway_id, key, now_ms));
  RETURN_IF_ERROR(WriteRegistry(Key(kGatewayKey, gateway_id),
                                GatewayRegistry::EncodeGateway(*next.FindGateway(gateway_id))));
  registry_ = std::move(next);
  return Status::Ok();
}

Status TelemetryIngestor::RevokeGateway(const std::string& gateway_id, const std::string& by,
                                        int64_t now_ms) {
  GatewayRegistry next = registry_;
  RETURN_IF_ERROR(next.Revoke(gateway_id, by, now_ms));
  RETURN_IF_ERROR(WriteRegistry(Key(kGatewayKey, gateway_id),
                                GatewayRegistry::EncodeGateway(*next.FindGateway(gateway_id))));
  registry_ = std::move(next);
  return Status::Ok();
}

Status TelemetryIngestor::BindSensor(const SensorBinding& binding) {
  if (registry_.sensors().size() >= kMaxSensors &&
      registry_.FindSensor(binding.sensor_id) == nullptr) {
    return ResourceExhausted("sensors: at most " + std::to_string(kMaxSensors));
  }
  GatewayRegistry next = registry_;
  RETURN_IF_ERROR(next.Bind(binding));
  RETURN_IF_ERROR(
      WriteRegistry(Key(kSensorKey, binding.sensor_id), GatewayRegistry::EncodeSensor(binding)));
  registry_ = std::move(next);
  return Status::Ok();
}

std::string TelemetryIngestor::EncodeDedup(const Dedup& d) {
  std::string out(kDedupMagic);
  PutBe64(&out, d.durable_through);
  PutBe32(&out, static_cast<uint32_t>(d.above.size()));
  for (uint64_t s : d.above) PutBe64(&out, s);
  return out;
}

StageVerdict TelemetryIngestor::Stage(VerifiedBatch verified, uint64_t* late_readings) {
  TRACERY_CHECK(verified.verdict == VerifyVerdict::kOk);
  const TelemetryBatch& batch = verified.batch;
  const GatewayRecord* gateway = registry_.FindGateway(batch.gateway_id);
  if (gateway == nullptr || gateway->revoked) return StageVerdict::kRevoked;
  Dedup& d = dedup_[batch.gateway_id];
  const uint64_t seq = batch.sequence;
  if (seq <= d.durable_through || d.above.count(seq) != 0) {
    ack_gateways_.insert(batch.gateway_id);
    return StageVerdict::kDuplicate;
  }
  if (seq - d.durable_through > options_.dedup_window) return StageVerdict::kTooFarAhead;
  d.above.insert(seq);
  while (!d.above.empty() && *d.above.begin() == d.durable_through + 1) {
    d.above.erase(d.above.begin());
    ++d.durable_through;
  }
  staged_->Put(BatchKey(batch.gateway_id, seq), verified.envelope);
  staged_->Put(Key(kDedupKey, batch.gateway_id), EncodeDedup(d));
  ack_gateways_.insert(batch.gateway_id);
  ++staged_batches_;
  uint64_t late = 0;
  const size_t first_event = staged_events_.size();
  for (const Reading& r : batch.readings) {
    if (!rules_.Add(r, batch.gateway_id, registry_.FindSensor(r.sensor_id), &staged_events_)) {
      ++late;
    }
  }
  for (size_t i = first_event; i < staged_events_.size(); ++i) {
    staged_events_[i].event_seq = next_event_seq_++;
    staged_->Put(EventKey(staged_events_[i].event_seq), EncodeExcursionEvent(staged_events_[i]));
  }
  if (late_readings != nullptr) *late_readings += late;
  return StageVerdict::kAccepted;
}

TelemetryAck TelemetryIngestor::AckOf(const std::string& gateway_id, const Dedup& d) const {
  TelemetryAck ack;
  ack.gateway_id = gateway_id;
  ack.durable_through = d.durable_through;
  uint64_t expect = d.durable_through + 1;
  for (uint64_t s : d.above) {
    if (s > expect) {
      if (ack.missing.size() == kMaxMissingRangesPerAck) break;
      ack.missing.emplace_back(expect, s - 1);
    }
    expect = s + 1;
  }
  return ack;
}

Result<CommitOutcome> TelemetryIngestor::Commit() {
  CommitOutcome out;
  for (auto& [sensor, state] : rules_.TakeDirty()) staged_->Put(Key(kRuleKey, sensor), state);
  if (staged_->ApproximateSize() > leveldb::WriteBatch().ApproximateSize()) {
    RETURN_IF_ERROR(FromLevelDb(db_->Write(Synced(), staged_.get()), "write telemetry batches"));
  }
  staged_->Clear();
  out.batches_written = staged_batches_;
  staged_batches_ = 0;
  for (const std::string& g : ack_gateways_) out.acks.push_back(AckOf(g, dedup_.at(g)));
  ack_gateways_.clear();
  out.events = std::move(staged_events_);
  staged_events_.clear();
  return out;
}

Result<std::vector<ExcursionEvent>> TelemetryIngestor::UndeliveredEvents(size_t limit) const {
  std::vector<ExcursionEvent> out;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  for (it->Seek(EventKey(delivered_through_ + 1)); it->Valid() && out.size() < limit; it->Next()) {
    if (it->key().size() == 0 || it->key()[0] != kEventKey) break;
    ASSIGN_OR_RETURN(ExcursionEvent e, DecodeExcursionEvent(std::string_view(it->value().data(),
                                                                             it->value().size())));
    out.push_back(std::move(e));
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read excursion events"));
  return out;
}

Status TelemetryIngestor::MarkDelivered(uint64_t through_event_seq) {
  if (through_event_seq <= delivered_through_) return Status::Ok();
  if (through_event_seq >= next_event_seq_) {
    return InvalidArgument("event " + std::to_string(through_event_seq) + " does not exist yet");
  }
  std::string v;
  PutBe64(&v, through_event_seq);
  // Not synced: after a crash the events are handed out again (the sink is idempotent by
  // event_seq), which is the safe direction.
  RETURN_IF_ERROR(FromLevelDb(db_->Put(leveldb::WriteOptions(), std::string(kDeliveredKey), v),
                              "mark excursion events delivered"));
  delivered_through_ = through_event_seq;
  return Status::Ok();
}

TelemetryAck TelemetryIngestor::Progress(const std::string& gateway_id) const {
  auto it = dedup_.find(gateway_id);
  if (it == dedup_.end()) return TelemetryAck{gateway_id, 0, {}};
  return AckOf(gateway_id, it->second);
}

Result<std::string> TelemetryIngestor::ReadBatch(const std::string& gateway_id,
                                                 uint64_t sequence) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), BatchKey(gateway_id, sequence), &value);
  RETURN_IF_ERROR(FromLevelDb(s, "read batch " + gateway_id + "/" + std::to_string(sequence)));
  return value;
}

Result<std::vector<TelemetryBatch>> TelemetryIngestor::ReadBatches(
    const std::string& gateway_id) const {
  std::vector<TelemetryBatch> out;
  std::string prefix = Key(kBatchKey, gateway_id);
  prefix.push_back('\0');
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(SignedBatch sb,
                     DecodeEnvelope(std::string_view(it->value().data(), it->value().size())));
    ASSIGN_OR_RETURN(TelemetryBatch b, DecodeBatch(sb.batch_bytes));
    out.push_back(std::move(b));
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read batches of " + gateway_id));
  return out;
}

}  // namespace tracery::scm_core

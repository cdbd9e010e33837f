#include "telemetry_service.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "tracery/core/time.h"

namespace tracery::node {

using scm_core::StageVerdict;
using scm_core::VerifiedBatch;
using scm_core::VerifyVerdict;

// A bounded multi-producer multi-consumer queue: Push blocks while full, Pop waits up to a
// timeout; Close wakes everybody and makes Push drop and Pop return what is left, then nothing.
template <typename T>
class TelemetryService::BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  void Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  bool Pop(T* item, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) {
      return false;
    }
    if (items_.empty()) return false;
    *item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  bool TryPop(T* item) { return Pop(item, std::chrono::milliseconds(0)); }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;  // GUARDED_BY(mu_)
  bool closed_ = false;  // GUARDED_BY(mu_)
};

struct TelemetryService::AtomicCounters {
  std::atomic<uint64_t> received{0}, accepted{0}, duplicate{0}, unsigned_batches{0},
      unknown_gateway{0}, revoked{0}, forged{0}, malformed{0}, too_far_ahead{0},
      readings_accepted{0}, late_readings{0}, commits{0}, acks_published{0}, excursion_events{0},
      mqtt_connects{0};
};

TelemetryService::TelemetryService(TelemetryServiceOptions options, ExcursionSink* sink)
    : options_(std::move(options)),
      sink_(sink),
      received_(std::make_unique<BoundedQueue<Message>>(options_.max_queued_messages)),
      verified_(std::make_unique<BoundedQueue<Verified>>(options_.max_queued_messages + 1)),
      counters_(std::make_unique<AtomicCounters>()) {}

Result<std::unique_ptr<TelemetryService>> TelemetryService::Start(TelemetryServiceOptions options,
                                                                  ExcursionSink* sink) {
  if (options.mqtt.client_id.empty()) options.mqtt.client_id = "traceryd-telemetry";
  if (options.verify_threads == 0 || options.verify_threads > 16) {
    return InvalidArgument("telemetry verify threads: 1..16");
  }
  if (options.max_queued_messages == 0 || options.max_batches_per_commit == 0) {
    return InvalidArgument("telemetry queue and commit limits: at least 1");
  }
  std::unique_ptr<TelemetryService> s(new TelemetryService(std::move(options), sink));
  ASSIGN_OR_RETURN(s->ingestor_, scm_core::TelemetryIngestor::Open(s->options_.ingest));
  s->RefreshSnapshot();
  // Events of a previous run that the sink may not have seen.
  for (;;) {
    ASSIGN_OR_RETURN(auto events, s->ingestor_->UndeliveredEvents(1024));
    if (events.empty()) break;
    s->Deliver(events);
  }
  // The network thread only touches the queues and the counters; the threads that read mqtt_
  // start after it is set.
  TelemetryService* self = s.get();
  ASSIGN_OR_RETURN(s->mqtt_, MqttClient::Start(
                                 s->options_.mqtt,
                                 [self](const std::string& topic, std::string payload) {
                                   self->OnMessage(topic, std::move(payload));
                                 },
                                 [self](bool connected) {
                                   if (connected) self->counters_->mqtt_connects++;
                                 }));
  RETURN_IF_ERROR(s->mqtt_->Subscribe(std::string(scm_core::kTelemetryTopicFilter), 1));
  for (size_t i = 0; i < s->options_.verify_threads; ++i) {
    s->verify_threads_.emplace_back([self] { self->VerifyLoop(); });
  }
  s->owner_thread_ = std::thread([self] { self->OwnerLoop(); });
  return s;
}

TelemetryService::~TelemetryService() {
  // Closed queues drop what the network thread still pushes; the threads stop before the client
  // they publish through is destroyed.
  stopping_ = true;
  received_->Close();
  verified_->Close();
  {
    std::lock_guard<std::mutex> lock(window_mu_);
    window_cv_.notify_all();
  }
  for (std::thread& t : verify_threads_) t.join();
  if (owner_thread_.joinable()) owner_thread_.join();
  mqtt_.reset();
}

void TelemetryService::OnMessage(const std::string& topic, std::string payload) {
  counters_->received++;
  auto envelopes = scm_core::SplitFrame(payload);
  if (!envelopes.ok()) {
    counters_->malformed++;
    return;
  }
  if (envelopes->size() == 1 && envelopes->front().size() == payload.size()) {
    received_->Push(Message{next_index_++, topic, std::move(payload)});
    return;
  }
  for (std::string_view e : *envelopes) {
    received_->Push(Message{next_index_++, topic, std::string(e)});
  }
}

void TelemetryService::RefreshSnapshot() {
  auto snapshot = std::make_shared<const scm_core::GatewayRegistry>(ingestor_->registry());
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

void TelemetryService::Count(VerifyVerdict verdict) {
  switch (verdict) {
    case VerifyVerdict::kOk:
      break;
    case VerifyVerdict::kMalformed:
      counters_->malformed++;
      break;
    case VerifyVerdict::kUnsigned:
      counters_->unsigned_batches++;
      break;
    case VerifyVerdict::kUnknownGateway:
      counters_->unknown_gateway++;
      break;
    case VerifyVerdict::kRevoked:
      counters_->revoked++;
      break;
    case VerifyVerdict::kForged:
      counters_->forged++;
      break;
  }
}

bool TelemetryService::AcquireSlot() {
  std::unique_lock<std::mutex> lock(window_mu_);
  window_cv_.wait(lock, [&] { return stopping_ || outstanding_ < options_.max_queued_messages; });
  if (stopping_) return false;
  ++outstanding_;
  return true;
}

void TelemetryService::ReleaseSlot() {
  std::lock_guard<std::mutex> lock(window_mu_);
  --outstanding_;
  window_cv_.notify_one();
}

void TelemetryService::VerifyLoop() {
  Message m;
  while (AcquireSlot()) {
    if (!received_->Pop(&m, std::chrono::milliseconds(100))) {
      ReleaseSlot();
      continue;
    }
    std::shared_ptr<const scm_core::GatewayRegistry> registry;
    {
      std::lock_guard<std::mutex> lock(snapshot_mu_);
      registry = snapshot_;
    }
    Verified out;
    out.index = m.index;
    if (const std::optional<std::string> gateway = scm_core::GatewayOfTelemetryTopic(m.topic)) {
      out.batch = scm_core::VerifyTelemetry(*gateway, std::move(m.payload),
                                            options_.ingest.genesis_hash, *registry);
    } else {
      out.batch.verdict = VerifyVerdict::kMalformed;
      out.batch.detail = "topic " + m.topic + ": not tracery/telemetry/<gateway>";
    }
    verified_->Push(std::move(out));  // never blocks: see outstanding_
  }
}

void TelemetryService::Apply(VerifiedBatch v) {
  if (v.verdict != VerifyVerdict::kOk) {
    Count(v.verdict);
    return;
  }
  const size_t readings = v.batch.readings.size();
  uint64_t late = 0;
  switch (ingestor_->Stage(std::move(v), &late)) {
    case StageVerdict::kAccepted:
      counters_->accepted++;
      counters_->readings_accepted += readings;
      counters_->late_readings += late;
      break;
    case StageVerdict::kDuplicate:
      counters_->duplicate++;
      break;
    case StageVerdict::kRevoked:
      counters_->revoked++;
      break;
    case StageVerdict::kTooFarAhead:
      counters_->too_far_ahead++;
      break;
  }
}

void TelemetryService::OwnerLoop() {
  std::map<uint64_t, VerifiedBatch> reorder;  // verified out of arrival order; bounded
  uint64_t next_apply = 0;
  Verified item;
  while (!stopping_) {
    if (!verified_->Pop(&item, std::chrono::milliseconds(100))) continue;
    reorder.emplace(item.index, std::move(item.batch));
    // Stage what is waiting in arrival order (up to the commit limit), then one synced write.
    size_t applied = 0;
    {
      std::lock_guard<std::mutex> lock(ingest_mu_);
      for (;;) {
        while (applied < options_.max_batches_per_commit && !reorder.empty() &&
               reorder.begin()->first == next_apply) {
          // A store error stopped the ingest: nothing more is staged or acknowledged.
          if (health_.ok()) Apply(std::move(reorder.begin()->second));
          reorder.erase(reorder.begin());
          ++next_apply;
          ++applied;
          ReleaseSlot();
        }
        if (applied >= options_.max_batches_per_commit || !verified_->TryPop(&item)) break;
        reorder.emplace(item.index, std::move(item.batch));
      }
    }
    if (applied > 0) CommitAndAnnounce();
  }
}

void TelemetryService::CommitAndAnnounce() {
  scm_core::CommitOutcome outcome;
  {
    std::lock_guard<std::mutex> lock(ingest_mu_);
    if (!ingestor_->HasStaged()) return;
    Result<scm_core::CommitOutcome> committed = ingestor_->Commit();
    if (!committed.ok()) {
      // The in-memory state is ahead of the disk: stop ingesting; nothing staged is announced,
      // so the gateways keep their batches and publish them again to a restarted node.
      health_ = committed.status();
      std::fprintf(stderr, "traceryd: telemetry ingest stopped: %s\n",
                   committed.status().ToString().c_str());
      return;
    }
    outcome = std::move(committed).value();
  }
  counters_->commits++;
  for (const scm_core::TelemetryAck& ack : outcome.acks) {
    if (mqtt_ != nullptr &&
        mqtt_->Publish(scm_core::AckTopic(ack.gateway_id), scm_core::EncodeAck(ack), 1).ok()) {
      counters_->acks_published++;
    }
  }
  if (!outcome.events.empty()) Deliver(outcome.events);
}

void TelemetryService::Deliver(const std::vector<scm_core::ExcursionEvent>& events) {
  for (const scm_core::ExcursionEvent& e : events) {
    if (sink_ != nullptr) sink_->OnExcursion(e);
    counters_->excursion_events++;
  }
  std::lock_guard<std::mutex> lock(ingest_mu_);
  if (Status st = ingestor_->MarkDelivered(events.back().event_seq); !st.ok()) {
    std::fprintf(stderr, "traceryd: telemetry: %s\n", st.ToString().c_str());
  }
}

Status TelemetryService::RegisterGateway(const std::string& gateway_id, const PublicKey& key) {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  RETURN_IF_ERROR(ingestor_->RegisterGateway(gateway_id, key, SystemClock::Get()->NowMs()));
  RefreshSnapshot();
  return Status::Ok();
}

Status TelemetryService::RevokeGateway(const std::string& gateway_id, const std::string& by) {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  RETURN_IF_ERROR(ingestor_->RevokeGateway(gateway_id, by, SystemClock::Get()->NowMs()));
  RefreshSnapshot();
  return Status::Ok();
}

Status TelemetryService::BindSensor(const scm_core::SensorBinding& binding) {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  RETURN_IF_ERROR(ingestor_->BindSensor(binding));
  RefreshSnapshot();
  return Status::Ok();
}

std::vector<scm_core::GatewayRecord> TelemetryService::Gateways() const {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  std::vector<scm_core::GatewayRecord> out;
  for (const auto& [id, g] : ingestor_->registry().gateways()) out.push_back(g);
  return out;
}

TelemetryCounters TelemetryService::counters() const {
  const AtomicCounters& c = *counters_;
  return TelemetryCounters{
      c.received,      c.accepted, c.duplicate,      c.unsigned_batches, c.unknown_gateway,
      c.revoked,       c.forged,   c.malformed,      c.too_far_ahead,    c.readings_accepted,
      c.late_readings, c.commits,  c.acks_published, c.excursion_events, c.mqtt_connects};
}

Status TelemetryService::health() const {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  return health_;
}

bool TelemetryService::mqtt_connected() const { return mqtt_ != nullptr && mqtt_->connected(); }

scm_core::TelemetryAck TelemetryService::Progress(const std::string& gateway_id) const {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  return ingestor_->Progress(gateway_id);
}

Result<std::vector<scm_core::TelemetryBatch>> TelemetryService::StoredBatches(
    const std::string& gateway_id) const {
  std::lock_guard<std::mutex> lock(ingest_mu_);
  return ingestor_->ReadBatches(gateway_id);
}

}  // namespace tracery::node

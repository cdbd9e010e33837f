// The node's IoT ingest: subscribes to tracery/telemetry/+ (QoS 1) on an MQTT broker, verifies
// each signed batch on `verify_threads` threads, deduplicates, runs the rules, stores accepted
// batches with a synced write (grouped: one write for all the batches waiting), and only then
// publishes the acknowledgement on tracery/ack/<gateway> (QoS 1) and hands the excursion events
// to the sink. Formats: docs/formats/telemetry.md.
//
// Threads: libmosquitto's network thread pushes received messages into a bounded queue (a full
// queue blocks it, which pushes back on the broker); verify threads; one owner thread that
// stages, commits, acknowledges and calls the sink. The owner applies batches in their order of
// arrival from the broker (a reorder buffer behind the parallel verification), so the rules see
// the same sequence whatever the thread scheduling. Public methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mqtt_client.h"
#include "tracery/scm_core/telemetry.h"
#include "tracery/scm_core/telemetry_ingest.h"
#include "tracery/scm_core/telemetry_rules.h"

namespace tracery::node {

// Where excursions go: the node raises an exception, places a hold on the lot and anchors a
// checkpoint carrying event.window_hash. Called on the service's owner thread, in event_seq
// order, after the event is durable; delivery is at least once (after a crash, events not yet
// marked delivered are handed out again), so OnExcursion must be idempotent by event_seq.
// It should return quickly (queue the work); a slow sink delays acknowledgements.
class ExcursionSink {
 public:
  virtual ~ExcursionSink() = default;
  virtual void OnExcursion(const scm_core::ExcursionEvent& event) = 0;
};

struct TelemetryServiceOptions {
  MqttOptions mqtt;                // broker host/port; client_id defaults to "traceryd-telemetry"
  scm_core::IngestOptions ingest;  // data_dir, genesis_hash, rules (allowed lateness), window
  // Two per core of a 2-vCPU node: a verify thread often waits on its queue, and with one per
  // core the cores idle meanwhile (measured beside Mosquitto and a publisher on 2 vCPUs, frames
  // of 16: 2 threads 0.44, 3 threads 0.50, 4 threads 0.56 of the 2-thread verify rate).
  size_t verify_threads = 4;
  size_t max_queued_messages = 4096;     // received, not yet verified (and verified, not staged)
  size_t max_batches_per_commit = 2048;  // one synced write covers at most this many batches
};

// Counters for /metrics (monotonic since the service started).
struct TelemetryCounters {
  uint64_t received = 0;  // MQTT messages on the telemetry topics
  uint64_t accepted = 0;  // batches stored
  uint64_t duplicate = 0;
  uint64_t unsigned_batches = 0;
  uint64_t unknown_gateway = 0;
  uint64_t revoked = 0;
  uint64_t forged = 0;
  uint64_t malformed = 0;
  uint64_t too_far_ahead = 0;
  uint64_t readings_accepted = 0;
  uint64_t late_readings = 0;  // stored but not evaluated by the rules
  uint64_t commits = 0;        // synced writes
  uint64_t acks_published = 0;
  uint64_t excursion_events = 0;
  uint64_t mqtt_connects = 0;
};

class TelemetryService {
 public:
  // Opens the store (data_dir), hands undelivered events of a previous run to the sink, connects
  // to the broker and starts the threads. `sink` may be null; it must outlive the service.
  static Result<std::unique_ptr<TelemetryService>> Start(TelemetryServiceOptions options,
                                                         ExcursionSink* sink);
  ~TelemetryService();  // stops the threads; what was not committed is not acknowledged
  TelemetryService(const TelemetryService&) = delete;
  TelemetryService& operator=(const TelemetryService&) = delete;

  // The registry (each a synced write; a revocation applies to batches not yet staged).
  Status RegisterGateway(const std::string& gateway_id, const PublicKey& key);
  Status RevokeGateway(const std::string& gateway_id, const std::string& by);
  Status BindSensor(const scm_core::SensorBinding& binding);
  std::vector<scm_core::GatewayRecord> Gateways() const;

  TelemetryCounters counters() const;
  // Ok, or the store error that stopped the ingest (the node should report unhealthy).
  Status health() const;
  bool mqtt_connected() const;
  // What is durable for a gateway (its last acknowledgement).
  scm_core::TelemetryAck Progress(const std::string& gateway_id) const;
  // Stored batches of a gateway, decoded (audits, tests).
  Result<std::vector<scm_core::TelemetryBatch>> StoredBatches(const std::string& gateway_id) const;

 private:
  struct Message {
    uint64_t index = 0;  // arrival order
    std::string topic;
    std::string payload;
  };
  struct Verified {
    uint64_t index = 0;
    scm_core::VerifiedBatch batch;  // any verdict: the owner needs every index
  };
  template <typename T>
  class BoundedQueue;

  explicit TelemetryService(TelemetryServiceOptions options, ExcursionSink* sink);
  void OnMessage(const std::string& topic, std::string payload);
  void VerifyLoop();
  void OwnerLoop();
  bool AcquireSlot();
  void ReleaseSlot();
  void Apply(scm_core::VerifiedBatch v);  // REQUIRES: ingest_mu_ held
  void CommitAndAnnounce();
  void Deliver(const std::vector<scm_core::ExcursionEvent>& events);
  void RefreshSnapshot();  // REQUIRES: ingest_mu_ held
  void Count(scm_core::VerifyVerdict verdict);

  const TelemetryServiceOptions options_;
  ExcursionSink* const sink_;
  std::unique_ptr<BoundedQueue<Message>> received_;
  std::unique_ptr<BoundedQueue<Verified>> verified_;
  uint64_t next_index_ = 0;  // touched by the network thread only

  // The verify threads run ahead of the owner by at most max_queued_messages messages (taken
  // from received_, not yet applied), so the owner's reorder buffer is bounded and verified_
  // never blocks.
  std::mutex window_mu_;
  std::condition_variable window_cv_;
  size_t outstanding_ = 0;  // GUARDED_BY(window_mu_)

  mutable std::mutex ingest_mu_;
  std::unique_ptr<scm_core::TelemetryIngestor> ingestor_;  // GUARDED_BY(ingest_mu_)
  Status health_;                                          // GUARDED_BY(ingest_mu_)

  mutable std::mutex snapshot_mu_;
  // Read by the verify threads; replaced (never changed) when the registry changes.
  std::shared_ptr<const scm_core::GatewayRegistry> snapshot_;  // GUARDED_BY(snapshot_mu_)

  struct AtomicCounters;
  std::unique_ptr<AtomicCounters> counters_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> verify_threads_;
  std::thread owner_thread_;
  std::unique_ptr<MqttClient> mqtt_;  // reset by the destructor after the threads stopped
};

}  // namespace tracery::node

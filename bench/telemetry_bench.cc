// IoT telemetry ingest through a real Mosquitto (started by bench/telemetry_ingest.sh), in one
// run: (a) what a plain mosquitto_sub receives from this publisher (messages/s), (b) signed
// batches through MQTT + signature check + dedup + rules + synced store, the clock stopping at
// the node's acknowledgement of the last batch, (c) the Ed25519 verify rate of this machine on
// 1 and 2 threads. Every batch is signed before any timed window. One JSON document on stdout.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/bench_util.h"
#include "mqtt_client.h"
#include "telemetry_service.h"
#include "tracery/scm_core/telemetry.h"
#include "tracery/scm_core/telemetry_ingest.h"

namespace tracery::bench {
namespace {

constexpr const char* kUsage =
    "usage: tracery_bench_telemetry --broker HOST:PORT --dir DIR [--batches 20000]\n"
    "                               [--readings 100] [--sensors 100] [--verify-threads 2]\n";

constexpr int64_t kT0 = 1'767'225'600'000;

struct Publisher {
  std::unique_ptr<node::MqttClient> client;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t acked = 0;
  bool connected = false;
};

std::unique_ptr<Publisher> Connect(const std::string& host, int port, const std::string& id) {
  auto p = std::make_unique<Publisher>();
  node::MqttOptions o;
  o.host = host;
  o.port = port;
  o.client_id = id;
  o.clean_session = true;
  o.max_inflight_messages = 1000;
  Publisher* raw = p.get();
  auto c = node::MqttClient::Start(
      o,
      [raw](const std::string&, std::string payload) {
        auto ack = scm_core::DecodeAck(payload);
        if (!ack.ok()) return;
        std::lock_guard<std::mutex> lock(raw->mu);
        raw->acked = std::max(raw->acked, ack->durable_through);
        raw->cv.notify_all();
      },
      [raw](bool up) {
        std::lock_guard<std::mutex> lock(raw->mu);
        raw->connected = up;
        raw->cv.notify_all();
      });
  if (!c.ok()) {
    std::fprintf(stderr, "bench: %s\n", c.status().ToString().c_str());
    std::exit(1);
  }
  p->client = std::move(c).value();
  std::unique_lock<std::mutex> lock(p->mu);
  p->cv.wait_for(lock, std::chrono::seconds(10), [&] { return p->connected; });
  return p;
}

double VerifyRate(const std::vector<std::string>& envelopes, const PublicKey& key,
                  const Hash32& genesis, int threads, double seconds) {
  std::atomic<uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      uint64_t n = 0;
      for (size_t i = static_cast<size_t>(t); !stop; i = (i + 1) % envelopes.size()) {
        auto sb = scm_core::DecodeEnvelope(envelopes[i]);
        if (!key.Verify(Purpose::kTelemetry, genesis, sb->batch_bytes, sb->signature)) {
          std::abort();
        }
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  return static_cast<double>(total) / SecondsSince(t0);
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {"broker", "dir", "batches", "readings", "sensors", "verify-threads", "frame"}, {},
              kUsage);
  const std::string broker = flags.Get("broker");
  const std::string dir = flags.Get("dir");
  if (broker.empty() || dir.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string host = broker.substr(0, broker.rfind(':'));
  const int port = std::atoi(broker.c_str() + broker.rfind(':') + 1);
  const auto batches = static_cast<uint64_t>(flags.Int("batches", 20000));
  const auto per_batch = static_cast<size_t>(flags.Int("readings", 100));
  const auto sensors = static_cast<size_t>(flags.Int("sensors", 100));
  const auto verify_threads = static_cast<size_t>(flags.Int("verify-threads", 4));
  // Signed batches per MQTT message (a frame, as `tracery gateway simulate --frame` sends).
  const auto frame = static_cast<size_t>(flags.Int("frame", 16));

  // Everything signed before the timed windows.
  Hash32 genesis{};
  genesis.fill(0x42);
  const PrivateKey key = PrivateKey::Generate();
  std::vector<std::string> envelopes;
  envelopes.reserve(batches);
  uint64_t reading_no = 0;
  for (uint64_t seq = 1; seq <= batches; ++seq) {
    scm_core::TelemetryBatch b{"gw-bench", seq, {}};
    for (size_t i = 0; i < per_batch; ++i, ++reading_no) {
      const auto sensor = reading_no % sensors;
      const auto tick = static_cast<int64_t>(reading_no / sensors);
      // 1 reading per second per sensor; sensor 0 has a 20-minute excursion every 2 hours.
      int64_t value = 4000 + static_cast<int64_t>(reading_no % 13) * 100;
      if (sensor == 0 && tick % 7200 < 1200) value = 9000;
      b.readings.push_back({"sensor-" + std::to_string(sensor), kT0 + tick * 1000,
                            scm_core::ReadingKind::kTemperature, value});
    }
    envelopes.push_back(scm_core::SignBatch(b, key, genesis).value());
  }
  const size_t payload_bytes = envelopes[0].size();
  // The MQTT payloads: frames of `frame` envelopes (or the envelopes themselves).
  std::vector<std::string> payloads;
  for (size_t i = 0; i < envelopes.size(); i += frame) {
    std::vector<std::string_view> group;
    for (size_t j = i; j < std::min(envelopes.size(), i + frame); ++j) group.push_back(envelopes[j]);
    payloads.push_back(group.size() == 1 ? std::string(group[0]) : scm_core::EncodeFrame(group));
  }

  // (a) A plain mosquitto_sub, same payloads, same publisher.
  const std::string count = std::to_string(payloads.size());
  const std::string port_s = std::to_string(port);
  std::fflush(nullptr);
  const pid_t sub = ::fork();
  if (sub == 0) {
    if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
    ::execlp("mosquitto_sub", "mosquitto_sub", "-h", host.c_str(), "-p", port_s.c_str(), "-q", "1",
             "-t", "bench/plain", "-C", count.c_str(), "-i", "bench-plain-sub", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // subscribed
  auto plain_pub = Connect(host, port, "bench-plain-pub");
  auto t0 = Clock::now();
  for (const std::string& p : payloads) (void)plain_pub->client->Publish("bench/plain", p, 1);
  int status = 0;
  ::waitpid(sub, &status, 0);
  const double plain_s = SecondsSince(t0);
  plain_pub.reset();
  const bool plain_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

  // (c, first half) The bound before the ingest; measured again after it, and the mean used, as
  // the load of this shared machine drifts.
  const double verify_2t_before = VerifyRate(envelopes, key.public_key(), genesis, 2, 1.5);

  // (b) The ingest.
  node::TelemetryServiceOptions o;
  o.mqtt.host = host;
  o.mqtt.port = port;
  o.mqtt.client_id = "bench-traceryd";
  o.ingest.data_dir = dir + "/telemetry";
  o.ingest.genesis_hash = genesis;
  o.ingest.dedup_window = batches + 1;
  o.verify_threads = verify_threads;
  std::filesystem::remove_all(o.ingest.data_dir);
  auto service = node::TelemetryService::Start(o, nullptr);
  if (!service.ok()) {
    std::fprintf(stderr, "bench: %s\n", service.status().ToString().c_str());
    return 1;
  }
  if (!(*service)->RegisterGateway("gw-bench", key.public_key()).ok()) return 1;
  for (int i = 0; i < 500 && !(*service)->mqtt_connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto pub = Connect(host, port, "bench-gateway");
  (void)pub->client->Subscribe(scm_core::AckTopic("gw-bench"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  t0 = Clock::now();
  for (const std::string& p : payloads) {
    (void)pub->client->Publish(scm_core::TelemetryTopic("gw-bench"), p, 1);
  }
  bool all_acked;
  {
    std::unique_lock<std::mutex> lock(pub->mu);
    all_acked =
        pub->cv.wait_for(lock, std::chrono::seconds(600), [&] { return pub->acked >= batches; });
  }
  const double ingest_s = SecondsSince(t0);
  const node::TelemetryCounters c = (*service)->counters();
  pub.reset();
  service->reset();

  // Diagnostic: the owner thread's share alone (dedup + rules + synced store, no MQTT, no
  // signature check): batches verified beforehand, staged and committed 1,000 at a time.
  double owner_only_per_s = 0;
  {
    scm_core::IngestOptions io = o.ingest;
    io.data_dir = dir + "/owner-only";
    std::filesystem::remove_all(io.data_dir);
    auto ingestor = scm_core::TelemetryIngestor::Open(io);
    if (!ingestor.ok() || !(*ingestor)->RegisterGateway("gw-bench", key.public_key(), 0).ok()) {
      return 1;
    }
    std::vector<scm_core::VerifiedBatch> verified;
    for (const std::string& e : envelopes) {
      verified.push_back(
          scm_core::VerifyTelemetry("gw-bench", e, genesis, (*ingestor)->registry()));
    }
    const auto t_owner = Clock::now();
    for (size_t i = 0; i < verified.size(); ++i) {
      (void)(*ingestor)->Stage(std::move(verified[i]), nullptr);
      if ((i + 1) % 1000 == 0 || i + 1 == verified.size()) {
        if (!(*ingestor)->Commit().ok()) return 1;
      }
    }
    owner_only_per_s = static_cast<double>(batches) / SecondsSince(t_owner);
  }

  // (c) The bound: Ed25519 verification of the same envelopes, 1 and 2 threads.
  const double verify_1t = VerifyRate(envelopes, key.public_key(), genesis, 1, 1.5);
  const double verify_2t_after = VerifyRate(envelopes, key.public_key(), genesis, 2, 1.5);
  const double verify_2t = (verify_2t_before + verify_2t_after) / 2;

  const double batches_per_s = static_cast<double>(batches) / ingest_s;
  nlohmann::json out = {
      {"batches", batches},
      {"readings_per_batch", per_batch},
      {"sensors", sensors},
      {"payload_bytes", payload_bytes},
      {"batches_per_message", frame},
      {"verify_threads", verify_threads},
      {"plain_mosquitto_sub",
       {{"ok", plain_ok},
        {"seconds", plain_s},
        {"messages_per_s", static_cast<double>(payloads.size()) / plain_s},
        {"batches_per_s", static_cast<double>(batches) / plain_s}}},
      {"ingest",
       {{"all_acknowledged", all_acked},
        {"seconds", ingest_s},
        {"batches_per_s", batches_per_s},
        {"readings_per_s", batches_per_s * static_cast<double>(per_batch)},
        {"received", c.received},
        {"accepted", c.accepted},
        {"readings_accepted", c.readings_accepted},
        {"duplicate", c.duplicate},
        {"forged", c.forged},
        {"late_readings", c.late_readings},
        {"commits", c.commits},
        {"batches_per_commit",
         c.commits == 0 ? 0.0 : static_cast<double>(c.accepted) / static_cast<double>(c.commits)},
        {"excursion_events", c.excursion_events}}},
      {"owner_thread_only_batches_per_s", owner_only_per_s},
      {"ed25519_verify_per_s_1t", verify_1t},
      {"ed25519_verify_per_s_2t", verify_2t},
      {"ed25519_verify_per_s_2t_before_after", {verify_2t_before, verify_2t_after}},
      {"batches_vs_verify_2t", batches_per_s / verify_2t},
      {"ingest_vs_plain_sub", batches_per_s / (static_cast<double>(batches) / plain_s)},
  };
  std::printf("%s\n", out.dump().c_str());
  return all_acked && plain_ok ? 0 : 1;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

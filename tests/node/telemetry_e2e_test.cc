// End to end over a real Mosquitto: the gateway simulator (build/bin/tracery, a process)
// publishes a scenario; the node's telemetry service runs first as a process of its own
// (build/bin/telemetry_node), then in this process from the same store. In the middle the
// broker is killed (-9) and restarted and the node process is killed (-9). Every reading must
// be stored exactly once, the excursion found, and a revoked gateway's batches refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "mosquitto_fixture.h"
#include "telemetry_service.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"

namespace tracery::node {
namespace {

using scm_core::ExcursionEvent;
using scm_core::Reading;
using scm_core::ReadingKind;
using testing::MosquittoBroker;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60'000;

std::string Bin(const std::string& name) { return std::string(TRACERY_BIN_DIR) + "/" + name; }

class RecordingSink : public ExcursionSink {
 public:
  void OnExcursion(const ExcursionEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
  }
  std::vector<ExcursionEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::vector<ExcursionEvent> events_;
};

template <typename F>
bool WaitFor(F condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class TelemetryE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tracery-telemetry-e2e-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    genesis_.fill(0x5a);
    broker_ = std::make_unique<MosquittoBroker>(dir_, 100000);
    ASSERT_TRUE(broker_->Start()) << "mosquitto did not start; see " << dir_ << "/mosquitto.log";
  }
  void TearDown() override {
    service_.reset();
    broker_.reset();
    if (std::getenv("TRACERY_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_);
  }

  void StartService() {
    TelemetryServiceOptions o;
    o.mqtt.port = broker_->port();
    o.mqtt.client_id = "traceryd-e2e";
    o.ingest.data_dir = dir_ + "/telemetry";
    o.ingest.genesis_hash = genesis_;
    o.max_batches_per_commit = 64;
    auto s = TelemetryService::Start(o, &sink_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(s).value();
  }

  // A gateway key from `tracery gateway keygen`; returns the public key.
  PublicKey Keygen(const std::string& name) {
    const std::string path = dir_ + "/" + name + ".key";
    EXPECT_EQ(testing::WaitExit(testing::Spawn({Bin("tracery"), "gateway", "keygen", "--out", path},
                                               dir_ + "/keygen.log"),
                                std::chrono::seconds(30)),
              0);
    return ReadKeyFile(path).value().public_key();
  }

  pid_t Simulate(const std::string& gateway, const std::string& scenario, int timeout_s) {
    return testing::Spawn({Bin("tracery"),
                           "gateway",
                           "simulate",
                           "--broker",
                           broker_->address(),
                           "--gateway",
                           gateway,
                           "--key",
                           dir_ + "/" + gateway + ".key",
                           "--scenario",
                           scenario,
                           "--genesis-hash",
                           HexEncode(HashBytes(genesis_)),
                           "--batch",
                           "50",
                           "--buffer",
                           dir_ + "/" + gateway + ".buffer",
                           "--timeout",
                           std::to_string(timeout_s),
                           "--resend-ms",
                           "1000",
                           "--window",
                           "8"},
                          dir_ + "/" + gateway + ".log");
  }

  std::string Log(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
  Hash32 genesis_{};
  std::unique_ptr<MosquittoBroker> broker_;
  RecordingSink sink_;
  std::unique_ptr<TelemetryService> service_;
};

// 3 sensors, one reading each per 30 s for 10 hours; sensor t-hot is above 8 °C from reading
// 900 (hour 7.5) for 40 minutes: after the node process was killed.
std::vector<Reading> WriteScenario(const std::string& path) {
  std::vector<Reading> readings;
  std::ofstream out(path);
  out << "sensor_id,time,kind,value\n# 3 sensors, 30 s apart\n";
  for (int64_t i = 0; i < 1200; ++i) {
    for (const char* sensor : {"t-hot", "t-cold", "h-1"}) {
      Reading r{sensor, kT0 + i * 30'000, ReadingKind::kTemperature, 4000 + (i % 7) * 100};
      if (std::string(sensor) == "t-hot" && i >= 900 && i < 980) r.value_milli = 9250;
      if (std::string(sensor) == "h-1") {
        r.kind = ReadingKind::kHumidity;
        r.value_milli = 65000;
      }
      out << r.sensor_id << "," << r.time_ms << "," << scm_core::ReadingKindName(r.kind) << ","
          << r.value_milli / 1000 << "." << (r.value_milli % 1000) / 10 << "\n";
      readings.push_back(r);
    }
  }
  return readings;
}

// The count the node process printed last ("accepted N"), 0 before the first.
uint64_t LastAccepted(const std::string& log) {
  const size_t at = log.rfind("accepted ");
  return at == std::string::npos ? 0 : std::strtoull(log.c_str() + at + 9, nullptr, 10);
}

TEST_F(TelemetryE2e, BrokerKillAndNodeKillLoseAndDoubleNothing) {
  const std::vector<Reading> scenario = WriteScenario(dir_ + "/scenario.csv");
  const PublicKey key = Keygen("gw-e2e");
  {
    scm_core::IngestOptions io;
    io.data_dir = dir_ + "/telemetry";
    io.genesis_hash = genesis_;
    auto ingestor = scm_core::TelemetryIngestor::Open(io);
    ASSERT_TRUE(ingestor.ok()) << ingestor.status().ToString();
    ASSERT_TRUE((*ingestor)->RegisterGateway("gw-e2e", key, 1).ok());
    ASSERT_TRUE((*ingestor)->BindSensor({"t-hot", "gw-e2e", "09506000134352", "LOT-7", ""}).ok());
  }
  const std::string node_log = dir_ + "/node.log";
  const pid_t node =
      testing::Spawn({Bin("telemetry_node"), dir_ + "/telemetry", std::to_string(broker_->port()),
                      HexEncode(HashBytes(genesis_))},
                     node_log);
  ASSERT_TRUE(WaitFor([&] { return Log("node.log").find("ready") != std::string::npos; },
                      std::chrono::seconds(20)))
      << Log("node.log");

  const size_t batches = (scenario.size() + 49) / 50;  // 72
  const pid_t gateway = Simulate("gw-e2e", dir_ + "/scenario.csv", 120);
  // A quarter of the way: kill -9 the broker and start it again on the same port.
  ASSERT_TRUE(WaitFor([&] { return LastAccepted(Log("node.log")) >= batches / 4; },
                      std::chrono::seconds(60)))
      << Log("node.log") << Log("gw-e2e.log");
  broker_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(broker_->Start());
  // Half of the way: kill -9 the node, then run its ingest in this process from its store.
  ASSERT_TRUE(WaitFor([&] { return LastAccepted(Log("node.log")) >= batches / 2; },
                      std::chrono::seconds(60)))
      << Log("node.log") << Log("gw-e2e.log");
  ::kill(node, SIGKILL);
  ::waitpid(node, nullptr, 0);
  ASSERT_LT(LastAccepted(Log("node.log")), batches) << "the node finished before its kill";
  StartService();

  ASSERT_EQ(testing::WaitExit(gateway, std::chrono::seconds(150)), 0) << Log("gw-e2e.log");
  EXPECT_NE(Log("gw-e2e.log").find("\"batches\":72"), std::string::npos) << Log("gw-e2e.log");
  EXPECT_EQ(service_->Progress("gw-e2e").durable_through, batches);

  // Every reading exactly once, in the stored batches 1..72.
  auto stored = service_->StoredBatches("gw-e2e");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), batches);
  std::vector<Reading> got;
  for (size_t i = 0; i < stored->size(); ++i) {
    EXPECT_EQ((*stored)[i].sequence, i + 1);
    got.insert(got.end(), (*stored)[i].readings.begin(), (*stored)[i].readings.end());
  }
  EXPECT_EQ(got, scenario);

  // The excursion of t-hot: above 8 °C from reading 900 for 40 minutes.
  const std::vector<ExcursionEvent> events = sink_.events();
  ASSERT_GE(events.size(), 2u);
  std::vector<ExcursionEvent> hot;
  for (const ExcursionEvent& e : events) {
    if (e.sensor_id == "t-hot") hot.push_back(e);
  }
  ASSERT_GE(hot.size(), 2u);
  EXPECT_EQ(hot[0].kind, scm_core::ExcursionEventKind::kOpened);
  EXPECT_EQ(hot[0].start_ms, kT0 + 900 * 30'000);
  EXPECT_EQ(hot[0].lot, "LOT-7");
  EXPECT_EQ(hot[0].peak_milli, 9250);
  EXPECT_EQ(hot.back().kind, scm_core::ExcursionEventKind::kClosed);
  EXPECT_EQ(hot.back().end_ms, kT0 + 980 * 30'000);
  EXPECT_EQ(hot.back().window_readings, 81u);
  Hash32 h = scm_core::WindowChainStart("t-hot", "temp-high");
  for (int64_t i = 900; i <= 980; ++i) {
    h = scm_core::WindowChainStep(h, kT0 + i * 30'000, ReadingKind::kTemperature,
                                  scenario[static_cast<size_t>(i) * 3].value_milli);
  }
  EXPECT_EQ(hot.back().window_hash, h);
  EXPECT_EQ(service_->counters().forged, 0u);
}

TEST_F(TelemetryE2e, KilledGatewayResumesFromItsBuffer) {
  const std::vector<Reading> scenario = WriteScenario(dir_ + "/scenario.csv");
  const PublicKey key = Keygen("gw-e2e");
  StartService();
  ASSERT_TRUE(service_->RegisterGateway("gw-e2e", key).ok());
  ASSERT_TRUE(WaitFor([&] { return service_->mqtt_connected(); }, std::chrono::seconds(10)));
  const size_t batches = (scenario.size() + 49) / 50;
  const pid_t first = Simulate("gw-e2e", dir_ + "/scenario.csv", 120);
  ASSERT_TRUE(WaitFor([&] { return service_->counters().accepted >= batches / 3; },
                      std::chrono::seconds(60)));
  ::kill(first, SIGKILL);
  ::waitpid(first, nullptr, 0);
  ASSERT_LT(service_->counters().accepted, batches) << "the gateway finished before its kill";
  const pid_t second = Simulate("gw-e2e", dir_ + "/scenario.csv", 120);
  ASSERT_EQ(testing::WaitExit(second, std::chrono::seconds(150)), 0) << Log("gw-e2e.log");
  auto stored = service_->StoredBatches("gw-e2e");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), batches);
  std::vector<Reading> got;
  for (const auto& b : *stored) got.insert(got.end(), b.readings.begin(), b.readings.end());
  EXPECT_EQ(got, scenario);
}

TEST_F(TelemetryE2e, RevokedGatewayIsRefused) {
  std::ofstream(dir_ + "/small.csv") << "s-1,2026-01-01T00:00:00Z,temperature,4.5\n"
                                        "s-1,2026-01-01T00:01:00Z,temperature,4.6\n";
  const PublicKey key = Keygen("gw-old");
  StartService();
  ASSERT_TRUE(service_->RegisterGateway("gw-old", key).ok());
  ASSERT_TRUE(service_->RevokeGateway("gw-old", "ops@org1").ok());
  ASSERT_TRUE(WaitFor([&] { return service_->mqtt_connected(); }, std::chrono::seconds(10)));
  const pid_t gateway = Simulate("gw-old", dir_ + "/small.csv", 3);
  EXPECT_EQ(testing::WaitExit(gateway, std::chrono::seconds(30)), 1);
  EXPECT_NE(Log("gw-old.log").find("not acknowledged"), std::string::npos) << Log("gw-old.log");
  EXPECT_GE(service_->counters().revoked, 1u);
  EXPECT_EQ(service_->counters().accepted, 0u);
  auto stored = service_->StoredBatches("gw-old");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

}  // namespace
}  // namespace tracery::node

// A node's telemetry ingest as a process of its own, for the end-to-end test to kill -9:
// telemetry_node DATA_DIR BROKER_PORT GENESIS_HEX. Prints "ready" once connected and then
// "accepted N" whenever the count of stored batches changes; runs until killed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "telemetry_service.h"
#include "tracery/core/encoding.h"

int main(int argc, char** argv) {
  using namespace tracery;
  if (argc != 4) {
    std::fprintf(stderr, "usage: telemetry_node DATA_DIR BROKER_PORT GENESIS_HEX\n");
    return 2;
  }
  node::TelemetryServiceOptions o;
  o.mqtt.port = std::atoi(argv[2]);
  o.mqtt.client_id = "traceryd-e2e";
  o.ingest.data_dir = argv[1];
  o.ingest.genesis_hash = HashFromBytes(HexDecode(argv[3]).value()).value();
  o.max_batches_per_commit = 64;
  auto service = node::TelemetryService::Start(o, nullptr);
  if (!service.ok()) {
    std::fprintf(stderr, "telemetry_node: %s\n", service.status().ToString().c_str());
    return 1;
  }
  while (!(*service)->mqtt_connected()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::printf("ready\n");
  std::fflush(stdout);
  uint64_t last = 0;
  for (;;) {
    const uint64_t accepted = (*service)->counters().accepted;
    if (accepted != last) {
      std::printf("accepted %llu\n", static_cast<unsigned long long>(accepted));
      std::fflush(stdout);
      last = accepted;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

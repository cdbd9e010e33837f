// Counters and latency histograms, rendered as Prometheus text. Thread-safe (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "peer_transport.h"

namespace tracery::node {

class Histogram {
 public:
  // Upper bounds in seconds.
  static constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.002, 0.005, 0.01,
                                                     0.02,   0.05,  0.1,   0.2,   0.5,
                                                     1,      2,     5,     10};
  void Observe(double seconds);
  void Render(const std::string& name, const std::string& help, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

struct Metrics {
  std::atomic<uint64_t> blocks_committed{0};
  std::atomic<uint64_t> txs_committed{0};
  std::atomic<uint64_t> checkpoints_committed{0};
  std::atomic<uint64_t> txs_accepted{0};
  std::atomic<uint64_t> txs_rejected{0};
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> http_client_errors{0};  // 4xx
  std::atomic<uint64_t> http_server_errors{0};  // 5xx
  std::atomic<uint64_t> auth_denials{0};
  Histogram commit_latency;        // accepted → committed
  Histogram block_append_latency;  // synced ledger append
  Histogram http_latency;

  // `peers`: the peer transport's counters (Raft), or null.
  std::string Render(uint64_t height, uint64_t pending, const PeerStats* peers) const;
};

}  // namespace tracery::node

#include "metrics.h"

#include <cstdio>

namespace tracery::node {
namespace {

void Line(std::string* out, const std::string& name, const std::string& help,
          const char* type, uint64_t value) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
          std::to_string(value) + "\n";
}

}  // namespace

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& help, std::string* out) const {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::snprintf(le, sizeof(le), "%g", kBounds[i]);
    *out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  char sum[32];
  std::snprintf(sum, sizeof(sum), "%.6f", static_cast<double>(sum_us_.load()) / 1e6);
  *out += name + "_sum " + sum + "\n";
  *out += name + "_count " + std::to_string(count_.load()) + "\n";
}

std::string Metrics::Render(uint64_t height, uint64_t pending, const PeerStats* peers) const {
  std::string out;
  Line(&out, "tracery_ledger_height", "Height of the ledger head.", "gauge", height);
  Line(&out, "tracery_pending_txs", "Accepted transactions not yet in a block.", "gauge", pending);
  Line(&out, "tracery_blocks_committed_total", "Blocks committed.", "counter", blocks_committed);
  Line(&out, "tracery_txs_committed_total", "Transactions committed.", "counter", txs_committed);
  Line(&out, "tracery_checkpoints_committed_total", "Checkpoints committed.", "counter",
       checkpoints_committed);
  Line(&out, "tracery_txs_accepted_total", "Transactions accepted into the pending log.",
       "counter", txs_accepted);
  Line(&out, "tracery_txs_rejected_total", "Transactions left out of blocks as invalid.",
       "counter", txs_rejected);
  Line(&out, "tracery_http_requests_total", "HTTP requests served.", "counter", http_requests);
  Line(&out, "tracery_http_client_errors_total", "HTTP responses with a 4xx status.", "counter",
       http_client_errors);
  Line(&out, "tracery_http_server_errors_total", "HTTP responses with a 5xx status.", "counter",
       http_server_errors);
  Line(&out, "tracery_auth_denials_total", "Requests refused as unauthenticated or forbidden.",
       "counter", auth_denials);
  commit_latency.Render("tracery_commit_latency_seconds",
                        "From acceptance of a transaction to its block being committed.", &out);
  block_append_latency.Render("tracery_block_append_seconds",
                              "Synced append of a block to the ledger.", &out);
  http_latency.Render("tracery_http_request_seconds", "HTTP request handling time.", &out);
  if (peers != nullptr) {
    Line(&out, "tracery_peer_frames_sent_total", "Frames written to peer links.", "counter",
         peers->frames_sent);
    Line(&out, "tracery_peer_frames_received_total", "Frames read from authenticated peer links.",
         "counter", peers->frames_received);
    Line(&out, "tracery_peer_frames_dropped_total",
         "Frames dropped because a peer's send queue was full.", "counter", peers->frames_dropped);
    Line(&out, "tracery_peer_handshake_failures_total", "Peer links refused in the handshake.",
         "counter", peers->handshake_failures);
    Line(&out, "tracery_peer_links_opened_total", "Outbound peer links authenticated.", "counter",
         peers->links_opened);
  }
  return out;
}

}  // namespace tracery::node

// traceryd's configuration file (JSON; docs/formats/node-config.md). Relative paths are
// resolved against the folder of the configuration file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/offchain_store/blob_store.h"

namespace tracery::node {

// Roles of API principals (DESIGN.md "Identity and permissions").
enum class Role { kAdmin, kPartner, kPlanner, kAuditor, kRecall, kCarrier };
Result<Role> ParseRole(const std::string& name);
const char* RoleName(Role role);
// Roles that may write their own organisation's checkpoints.
bool CanWrite(Role role);

struct TokenEntry {
  std::string sha256_hex;  // SHA-256 of the bearer token; the token itself is never stored
  std::string name;        // the principal, e.g. "a-admin"
  std::string org;
  Role role = Role::kAuditor;
};

struct NodeConfig {
  std::string node_id;
  std::string genesis_path;
  std::string key_path;
  std::string data_dir;
  std::string api_host = "127.0.0.1";
  uint16_t api_port = 0;
  size_t max_body_bytes = 16 << 20;
  size_t max_connections = 512;
  std::vector<TokenEntry> tokens;
  // Block batching: a block closes at max_block_txs or max_block_bytes, or when the owner
  // thread finds the queue empty after block_interval_ms of waiting.
  size_t max_block_txs = 4000;
  size_t max_block_bytes = 32 << 20;
  int64_t block_interval_ms = 2;
  // Pending transactions accepted but not yet in a block; beyond it writes get 503.
  size_t max_pending_txs = 200000;
  int64_t commit_wait_timeout_ms = 30000;
  // A node that is not a validator (solo consensus: every node but one) forwards its signed
  // transactions to the validator's API and follows the ledger from it.
  std::string validator_api;         // http://host:port
  std::string validator_token_path;  // bearer token of this node at the validator
  // Raft consensus: the peer transport listens on p2p_listen (default: this node's p2p
  // address in the genesis); the engine ticks every tick_ms; a follower campaigns after
  // election_ticks to 2 * election_ticks without a leader; the leader keeps at most
  // max_uncommitted_blocks blocks in flight.
  std::string p2p_listen;
  int64_t tick_ms = 100;
  uint32_t election_ticks = 10;
  uint32_t heartbeat_ticks = 1;
  size_t max_uncommitted_blocks = 4;
  // Off-chain store ("offchain" in the file): the master key file (default
  // <dataDir>/offchain-master.key; keep a copy apart from the data folder's backups), retention
  // policies per document type, and how often the node applies them.
  std::string offchain_master_key_path;
  std::vector<offchain_store::RetentionPolicy> retention;
  int64_t retention_check_ms = 3'600'000;
  // IoT telemetry ("telemetry" in the file): the MQTT broker the node subscribes to; empty
  // telemetry_broker_host: no telemetry ingest. The cold-chain rules are the defaults
  // (docs/formats/telemetry.md): above 8 °C for 15 minutes opens, below 7 °C closes.
  std::string telemetry_broker_host;
  int telemetry_broker_port = 1883;
  int64_t telemetry_allowed_lateness_ms = 5 * 60'000;
  // ERP inbox ("erp": {"inbox": DIR}): a folder watched for documents to import; empty: none.
  std::string erp_inbox_dir;
  // SCM core ("scm" in the file): the bucket of the demand history, and the anchoring policy.
  // Without "scm.anchoring" every event is anchored; with it, what is always anchored plus the
  // events of the listed business steps and dispositions (docs/scm.md).
  int demand_period_days = 7;
  bool anchoring_selective = false;
  std::vector<std::string> anchoring_biz_steps;
  std::vector<std::string> anchoring_dispositions;
};

Result<NodeConfig> LoadNodeConfig(const std::string& path);

}  // namespace tracery::node

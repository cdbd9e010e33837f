#include "config.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "tracery/core/key_file.h"

namespace tracery::node {
namespace {

using nlohmann::json;

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return base_dir + "/" + p;
}

}  // namespace

Result<Role> ParseRole(const std::string& name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "partner") return Role::kPartner;
  if (name == "planner") return Role::kPlanner;
  if (name == "auditor") return Role::kAuditor;
  if (name == "recall") return Role::kRecall;
  if (name == "carrier") return Role::kCarrier;
  return InvalidArgument("unknown role '" + name +
                         "' (known: admin, partner, planner, auditor, recall, carrier)");
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kPartner: return "partner";
    case Role::kPlanner: return "planner";
    case Role::kAuditor: return "auditor";
    case Role::kRecall: return "recall";
    case Role::kCarrier: return "carrier";
  }
  return "unknown";
}

bool CanWrite(Role role) { return role == Role::kAdmin || role == Role::kPartner; }

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
  NodeConfig c;
  try {
    json j = json::parse(text);
    c.node_id = j.at("nodeId").get<std::string>();
    c.genesis_path = Resolve(base, j.at("genesis").get<std::string>());
    c.key_path = Resolve(base, j.at("key").get<std::string>());
    c.data_dir = Resolve(base, j.at("dataDir").get<std::string>());
    const json& api = j.at("api");
    std::string listen = api.at("listen").get<std::string>();
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return InvalidArgument(path + ": api.listen is host:port");
    c.api_host = listen.substr(0, colon);
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) return InvalidArgument(path + ": api.listen port out of range");
    c.api_port = static_cast<uint16_t>(port);
    c.max_body_bytes = api.value("maxBodyBytes", c.max_body_bytes);
    c.max_connections = api.value("maxConnections", c.max_connections);
    for (const json& t : j.value("tokens", json::array())) {
      TokenEntry e;
      e.sha256_hex = t.at("sha256").get<std::string>();
      for (char& ch : e.sha256_hex) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (e.sha256_hex.size() != 64 ||
          e.sha256_hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return InvalidArgument(path + ": tokens[].sha256 must be 64 hex digits");
      }
      e.name = t.value("name", "");
      e.org = t.at("org").get<std::string>();
      ASSIGN_OR_RETURN(e.role, ParseRole(t.at("role").get<std::string>()));
      c.tokens.push_back(std::move(e));
    }
    if (j.contains("blocks")) {
      const json& b = j["blocks"];
      c.max_block_txs = b.value("maxTxs", c.max_block_txs);
      c.max_block_bytes = b.value("maxBytes", c.max_block_bytes);
      c.block_interval_ms = b.value("intervalMs", c.block_interval_ms);
      c.max_pending_txs = b.value("maxPendingTxs", c.max_pending_txs);
    }
    c.commit_wait_timeout_ms = j.value("commitWaitTimeoutMs", c.commit_wait_timeout_ms);
    if (j.contains("raft")) {
      const json& r = j["raft"];
      c.p2p_listen = r.value("listen", c.p2p_listen);
      c.tick_ms = r.value("tickMs", c.tick_ms);
      c.election_ticks = r.value("electionTicks", c.election_ticks);
      c.heartbeat_ticks = r.value("heartbeatTicks", c.heartbeat_ticks);
      c.max_uncommitted_blocks = r.value("maxUncommittedBlocks", c.max_uncommitted_blocks);
    }
    if (j.contains("offchain")) {
      const json& o = j["offchain"];
      if (o.contains("masterKeyFile")) {
        c.offchain_master_key_path = Resolve(base, o["masterKeyFile"].get<std::string>());
      }
      for (const json& r : o.value("retention", json::array())) {
        c.retention.push_back({r.at("name").get<std::string>(),
                               r.at("documentType").get<std::string>(),
                               r.at("retainDays").get<int64_t>()});
      }
      c.retention_check_ms = o.value("retentionCheckSeconds", c.retention_check_ms / 1000) * 1000;
    }
    if (j.contains("telemetry")) {
      const json& t = j["telemetry"];
      const std::string broker = t.at("broker").get<std::string>();
      const size_t colon = broker.rfind(':');
      if (colon == std::string::npos) return InvalidArgument(path + ": telemetry.broker is host:port");
      c.telemetry_broker_host = broker.substr(0, colon);
      c.telemetry_broker_port = std::stoi(broker.substr(colon + 1));
      c.telemetry_allowed_lateness_ms =
          t.value("allowedLatenessSeconds", c.telemetry_allowed_lateness_ms / 1000) * 1000;
      if (c.telemetry_broker_port < 1 || c.telemetry_broker_port > 65535) {
        return InvalidArgument(path + ": telemetry.broker port out of range");
      }
    }
    if (j.contains("erp") && j["erp"].contains("inbox")) {
      c.erp_inbox_dir = Resolve(base, j["erp"]["inbox"].get<std::string>());
    }
    if (j.contains("scm")) {
      const json& scm = j["scm"];
      c.demand_period_days = scm.value("demandPeriodDays", c.demand_period_days);
      if (scm.contains("anchoring")) {
        const json& a = scm["anchoring"];
        c.anchoring_selective = true;
        c.anchoring_biz_steps = a.value("bizSteps", std::vector<std::string>{});
        c.anchoring_dispositions = a.value("dispositions", std::vector<std::string>{});
      }
    }
    c.validator_api = j.value("validatorApi", "");
    if (j.contains("validatorTokenFile")) {
      c.validator_token_path = Resolve(base, j["validatorTokenFile"].get<std::string>());
    }
  } catch (const std::exception& e) {
    return InvalidArgument(path + ": " + e.what());
  }
  if (c.tick_ms < 1 || c.tick_ms > 10000 || c.heartbeat_ticks < 1 ||
      c.election_ticks <= c.heartbeat_ticks || c.max_uncommitted_blocks < 1 ||
      c.max_uncommitted_blocks > 252) {
    return InvalidArgument(path + ": raft: tickMs 1..10000, heartbeatTicks >= 1, electionTicks > "
                           "heartbeatTicks and maxUncommittedBlocks 1..252");
  }
  if (c.max_block_txs == 0 || c.max_block_txs > 20000) {
    return InvalidArgument(path + ": blocks.maxTxs must be 1..20000");
  }
  if (Status st = offchain_store::ValidateRetentionPolicies(c.retention); !st.ok()) {
    return st.Annotate(path + ": offchain.retention");
  }
  if (c.retention_check_ms < 1000) {
    return InvalidArgument(path + ": offchain.retentionCheckSeconds must be at least 1");
  }
  if (c.demand_period_days < 1 || c.demand_period_days > 366) {
    return InvalidArgument(path + ": scm.demandPeriodDays must be 1..366");
  }
  return c;
}

}  // namespace tracery::node

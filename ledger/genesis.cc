#include "tracery/ledger/genesis.h"

#include <nlohmann/json.hpp>

#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"

namespace tracery::ledger {
namespace {

using nlohmann::json;

Result<std::string> GetString(const json& j, const char* name, const std::string& where) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return InvalidArgument(where + "." + name + ": required non-empty string");
  }
  return it->get<std::string>();
}

Result<PublicKey> GetKey(const json& j, const char* name, const std::string& where) {
  ASSIGN_OR_RETURN(std::string hex, GetString(j, name, where));
  auto bytes = HexDecode(hex);
  if (!bytes.ok()) return InvalidArgument(where + "." + name + ": " + bytes.status().message());
  auto key = PublicKey::FromBytes(*bytes);
  if (!key.ok()) return InvalidArgument(where + "." + name + ": " + key.status().message());
  return key;
}

}  // namespace

bool ConsensusSupported(const std::string& kind) { return kind == "solo" || kind == "raft"; }

Result<Genesis> Genesis::Parse(std::string_view text) {
  try {
    return ParseJson(text);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("genesis: a member has the wrong type: ") + e.what());
  }
}

Result<Genesis> Genesis::ParseJson(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("genesis: not JSON: ") + e.what());
  }
  if (!j.is_object()) return InvalidArgument("genesis: not a JSON object");
  Genesis g;
  g.hash_ = Sha256(text);
  if (j.value("schemaVersion", 0) != 1) return InvalidArgument("genesis.schemaVersion: must be 1");
  ASSIGN_OR_RETURN(g.chain_id_, GetString(j, "chainId", "genesis"));
  if (!j.contains("consensus") || !j["consensus"].is_object()) {
    return InvalidArgument("genesis.consensus: required object");
  }
  ASSIGN_OR_RETURN(g.consensus_, GetString(j["consensus"], "kind", "genesis.consensus"));
  if (!j.contains("orgs") || !j["orgs"].is_array() || j["orgs"].empty()) {
    return InvalidArgument("genesis.orgs: required non-empty array");
  }
  for (size_t i = 0; i < j["orgs"].size(); ++i) {
    const json& o = j["orgs"][i];
    const std::string where = "genesis.orgs[" + std::to_string(i) + "]";
    if (!o.is_object()) return InvalidArgument(where + ": expected an object");
    OrgInfo org;
    ASSIGN_OR_RETURN(org.id, GetString(o, "id", where));
    org.name = o.value("name", org.id);
    ASSIGN_OR_RETURN(org.admin_key, GetKey(o, "adminKey", where));
    if (o.contains("glns")) {
      if (!o["glns"].is_array()) return InvalidArgument(where + ".glns: expected an array");
      for (const json& gln : o["glns"]) {
        if (!gln.is_string()) return InvalidArgument(where + ".glns: expected strings");
        org.glns.push_back(gln.get<std::string>());
      }
    }
    if (!o.contains("nodes") || !o["nodes"].is_array()) {
      return InvalidArgument(where + ".nodes: required array");
    }
    for (size_t k = 0; k < o["nodes"].size(); ++k) {
      const json& n = o["nodes"][k];
      const std::string nwhere = where + ".nodes[" + std::to_string(k) + "]";
      if (!n.is_object()) return InvalidArgument(nwhere + ": expected an object");
      NodeInfo node;
      node.org = org.id;
      ASSIGN_OR_RETURN(node.id, GetString(n, "id", nwhere));
      ASSIGN_OR_RETURN(node.key, GetKey(n, "publicKey", nwhere));
      node.key_id = node.key.KeyId();
      node.api_address = n.value("api", "");
      node.p2p_address = n.value("p2p", "");
      if (!n.contains("roles") || !n["roles"].is_array()) {
        return InvalidArgument(nwhere + ".roles: required array");
      }
      for (const json& r : n["roles"]) {
        if (r == "validator") {
          node.validator = true;
        } else if (r == "writer") {
          node.writer = true;
        } else {
          return InvalidArgument(nwhere + ".roles: unknown role " + r.dump() +
                                 " (known: validator, writer)");
        }
      }
      if (g.nodes_.count(node.id) != 0) {
        return InvalidArgument(nwhere + ".id: node '" + node.id + "' is named twice");
      }
      if (g.node_by_key_id_.count(node.key_id) != 0) {
        return InvalidArgument(nwhere + ".publicKey: the key is used by two nodes");
      }
      if (node.validator) g.validators_.push_back(node.id);
      g.node_by_key_id_[node.key_id] = node.id;
      org.node_ids.push_back(node.id);
      g.nodes_.emplace(node.id, std::move(node));
    }
    if (g.orgs_.count(org.id) != 0) {
      return InvalidArgument(where + ".id: organisation '" + org.id + "' is named twice");
    }
    g.orgs_.emplace(org.id, std::move(org));
  }
  if (g.validators_.empty()) return InvalidArgument("genesis: no node has the validator role");
  if (g.consensus_ == "solo" && g.validators_.size() != 1) {
    return InvalidArgument("genesis: solo consensus has exactly one validator, found " +
                           std::to_string(g.validators_.size()));
  }
  return g;
}

Result<Genesis> Genesis::Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto g = Parse(text);
  if (!g.ok()) return g.status().Annotate(path);
  return g;
}

const OrgInfo* Genesis::FindOrg(const std::string& id) const {
  auto it = orgs_.find(id);
  return it == orgs_.end() ? nullptr : &it->second;
}

const NodeInfo* Genesis::FindNode(const std::string& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const NodeInfo* Genesis::FindNodeByKeyId(const std::string& key_id) const {
  auto it = node_by_key_id_.find(key_id);
  return it == node_by_key_id_.end() ? nullptr : FindNode(it->second);
}

}  // namespace tracery::ledger

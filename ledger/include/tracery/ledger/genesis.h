// The genesis file names the consortium: organisations with their admin keys and GLNs, their
// nodes (Ed25519 public key, roles, addresses), and the consensus kind. Its SHA-256 (of the
// exact file bytes) identifies the network and is bound into every signature.
// Format: docs/formats/genesis.md.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/status.h"

namespace tracery::ledger {

struct NodeInfo {
  std::string id;
  std::string org;
  PublicKey key;
  std::string key_id;
  bool validator = false;  // votes in consensus and signs commit certificates
  bool writer = false;     // signs transactions for its organisation
  std::string api_address;  // host:port of the HTTP API
  std::string p2p_address;  // host:port of the peer transport
};

struct OrgInfo {
  std::string id;
  std::string name;
  PublicKey admin_key;
  std::vector<std::string> glns;
  std::vector<std::string> node_ids;
};

class Genesis {
 public:
  static Result<Genesis> Parse(std::string_view text);
  static Result<Genesis> Load(const std::string& path);

  const Hash32& hash() const { return hash_; }
  const std::string& chain_id() const { return chain_id_; }
  const std::string& consensus() const { return consensus_; }
  const std::map<std::string, OrgInfo>& orgs() const { return orgs_; }
  const std::map<std::string, NodeInfo>& nodes() const { return nodes_; }
  // Validator node ids in the genesis order.
  const std::vector<std::string>& validators() const { return validators_; }
  // Signatures a commit certificate needs: a majority of the validators.
  size_t quorum() const { return validators_.size() / 2 + 1; }

  const OrgInfo* FindOrg(const std::string& id) const;
  const NodeInfo* FindNode(const std::string& id) const;
  const NodeInfo* FindNodeByKeyId(const std::string& key_id) const;

 private:
  static Result<Genesis> ParseJson(std::string_view text);  // may throw json::exception
  Hash32 hash_{};
  std::string chain_id_;
  std::string consensus_;
  std::map<std::string, OrgInfo> orgs_;
  std::map<std::string, NodeInfo> nodes_;
  std::map<std::string, std::string> node_by_key_id_;
  std::vector<std::string> validators_;
};

// Consensus kinds this build can run.
bool ConsensusSupported(const std::string& kind);

}  // namespace tracery::ledger

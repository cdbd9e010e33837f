// tracery genesis init: keys, genesis.json, node configurations and API tokens of a consortium.
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "args.h"
#include "commands.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/ledger/genesis.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery genesis init --orgs a,b,c --consensus solo --out DIR\n"
    "                            [--chain-id NAME] [--base-port 7100] [--format table|json]\n\n"
    "Creates a consortium in DIR: each organisation's admin key and node key (mode 0600),\n"
    "genesis.json, a node configuration per organisation with loopback ports, and API tokens\n"
    "for an admin and an auditor per organisation (DIR/<org>/admin.token, auditor.token).\n"
    "Every node writes for its organisation.\n"
    "Consensus: solo (the first organisation's node is the only validator; the others forward\n"
    "to it and follow it) or raft (every organisation's node is a validator; a majority must\n"
    "be up to commit). pbft is not available yet.\n";

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Status CheckOrgName(const std::string& org) {
  if (org.empty() || org.size() > 32) return InvalidArgument("org names are 1 to 32 characters");
  for (char c : org) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return InvalidArgument("org name '" + org + "' may hold only letters, digits, - and _");
    }
  }
  return Status::Ok();
}

Status WriteToken(const std::string& path, const std::string& token) {
  return WriteFileAtomic(path, token + "\n", 0600);
}

int Init(const Argv& argv) {
  auto args = Args::Parse(argv, {"orgs", "consensus", "out", "chain-id", "base-port", "format"},
                          {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  auto format = args->Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  auto orgs_flag = args->Require("orgs");
  auto out = args->Require("out");
  if (!orgs_flag.ok() || !out.ok()) return Fail("--orgs and --out are required\n" + std::string(kHelp));
  const std::string consensus = args->Get("consensus", "solo");
  if (consensus == "pbft") {
    return Fail("--consensus pbft is not available in this version; use solo or raft");
  }
  if (!ledger::ConsensusSupported(consensus)) {
    return Fail("unknown consensus '" + consensus + "' (available: solo, raft)");
  }
  const bool raft = consensus == "raft";
  std::vector<std::string> orgs = SplitComma(*orgs_flag);
  for (size_t i = 0; i < orgs.size(); ++i) {
    if (Status st = CheckOrgName(orgs[i]); !st.ok()) return Fail(st);
    for (size_t k = 0; k < i; ++k) {
      if (orgs[k] == orgs[i]) return Fail("org '" + orgs[i] + "' is named twice");
    }
  }
  int base_port = std::atoi(args->Get("base-port", "7100").c_str());
  if (base_port < 1024 || base_port + 2 * static_cast<int>(orgs.size()) > 65535) {
    return Fail("--base-port must leave room for the nodes' ports (1024..65535)");
  }
  const std::string dir = *out;
  struct stat sb;
  if (::stat((dir + "/genesis.json").c_str(), &sb) == 0) {
    return Fail(dir + "/genesis.json exists; choose another --out or remove it");
  }
  if (Status st = MakeDir(dir); !st.ok()) return Fail(st);

  json genesis{{"schemaVersion", 1},
               {"chainId", args->Get("chain-id", "tracery-devnet")},
               {"consensus", {{"kind", consensus}}},
               {"orgs", json::array()}};
  std::vector<PrivateKey> node_keys;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const std::string& org = orgs[i];
    const std::string org_dir = dir + "/" + org;
    if (Status st = MakeDir(org_dir); !st.ok()) return Fail(st);
    PrivateKey admin = PrivateKey::Generate();
    PrivateKey node_key = PrivateKey::Generate();
    if (Status st = WriteKeyFile(org_dir + "/admin.key", admin); !st.ok()) return Fail(st);
    if (Status st = WriteKeyFile(org_dir + "/node.key", node_key); !st.ok()) return Fail(st);
    json roles = json::array({"writer"});
    if (i == 0 || raft) roles.push_back("validator");
    char gln[64];
    std::snprintf(gln, sizeof(gln), "urn:epc:id:sgln:0614141.%05zu.0", i + 1);
    genesis["orgs"].push_back(
        {{"id", org},
         {"name", org},
         {"adminKey", HexEncode(admin.public_key().bytes())},
         {"glns", json::array({gln})},
         {"nodes",
          json::array({{{"id", org + "-node"},
                        {"publicKey", HexEncode(node_key.public_key().bytes())},
                        {"roles", roles},
                        {"api", "127.0.0.1:" + std::to_string(base_port + i)},
                        {"p2p", "127.0.0.1:" + std::to_string(base_port + 100 + i)}}})}});
    node_keys.push_back(std::move(node_key));
  }
  const std::string genesis_text = genesis.dump(2) + "\n";
  auto parsed = ledger::Genesis::Parse(genesis_text);
  if (!parsed.ok()) return Fail(parsed.status());
  if (Status st = WriteFileAtomic(dir + "/genesis.json", genesis_text); !st.ok()) return Fail(st);

  // API tokens: an admin and an auditor per organisation, and for every node but the
  // validator a token it presents to the validator when it forwards and follows.
  std::vector<json> tokens(orgs.size(), json::array());
  auto add_token = [&](size_t holder, size_t at, const std::string& org, const std::string& name,
                       const std::string& role, const std::string& file) -> Status {
    const std::string token = Base64UrlEncode(RandomBytes(32));
    RETURN_IF_ERROR(WriteToken(dir + "/" + orgs[holder] + "/" + file, token));
    tokens[at].push_back(
        {{"name", name}, {"org", org}, {"role", role}, {"sha256", HashHex(Sha256(token))}});
    return Status::Ok();
  };
  for (size_t i = 0; i < orgs.size(); ++i) {
    for (const char* role : {"admin", "planner", "auditor"}) {
      Status st = add_token(i, i, orgs[i], orgs[i] + "-" + role, role, std::string(role) + ".token");
      if (!st.ok()) return Fail(st);
    }
    if (i != 0 && !raft) {
      Status st = add_token(i, 0, orgs[i], orgs[i] + "-node", "partner", "peer.token");
      if (!st.ok()) return Fail(st);
    }
  }
  json summary = json::array();
  const std::string validator_api = "http://127.0.0.1:" + std::to_string(base_port);
  for (size_t i = 0; i < orgs.size(); ++i) {
    const std::string& org = orgs[i];
    const std::string org_dir = dir + "/" + org;
    json config{{"nodeId", org + "-node"},
                {"genesis", "../genesis.json"},
                {"key", "node.key"},
                {"dataDir", "data"},
                {"api", {{"listen", "127.0.0.1:" + std::to_string(base_port + i)}}},
                {"tokens", tokens[i]},
                {"blocks", {{"maxTxs", 4000}, {"intervalMs", 2}}}};
    if (i != 0 && !raft) {
      config["validatorApi"] = validator_api;
      config["validatorTokenFile"] = "peer.token";
    }
    if (Status st = WriteFileAtomic(org_dir + "/node.json", config.dump(2) + "\n"); !st.ok()) {
      return Fail(st);
    }
    summary.push_back({{"org", org},
                       {"nodeId", org + "-node"},
                       {"api", "http://127.0.0.1:" + std::to_string(base_port + i)},
                       {"validator", i == 0 || raft},
                       {"config", org_dir + "/node.json"}});
  }
  if (*format == "json") {
    std::printf("%s\n", json{{"genesis", dir + "/genesis.json"},
                             {"genesisHash", HashHex(parsed->hash())},
                             {"nodes", summary}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("genesis %s (hash %s)\n", (dir + "/genesis.json").c_str(),
                HashHex(parsed->hash()).c_str());
    std::printf("%-12s %-16s %-24s %s\n", "ORG", "NODE", "API", "ROLES");
    for (const json& n : summary) {
      std::printf("%-12s %-16s %-24s %s\n", n["org"].get<std::string>().c_str(),
                  n["nodeId"].get<std::string>().c_str(), n["api"].get<std::string>().c_str(),
                  n["validator"].get<bool>() ? "validator, writer" : "writer");
    }
  }
  return kExitOk;
}

}  // namespace

int GenesisCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  if (argv[0] == "init") return Init(Argv(argv.begin() + 1, argv.end()));
  return Fail("unknown subcommand 'genesis " + argv[0] + "'\n" + kHelp);
}

}  // namespace tracery::cli

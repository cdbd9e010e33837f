// tracery proof get|verify: fetch proof bundles from a node, and check them offline against
// nothing but the genesis.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client_util.h"
#include "commands.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/ledger/merkle.h"
#include "tracery/ledger/proof.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery proof get --node URL (--token T | --token-file F) [--out FILE] TXID|EVENTID\n"
    "       tracery proof consistency --node URL (--token T | --token-file F) --from N --to M\n"
    "       tracery proof verify --genesis genesis.json [--format table|json] PROOF.json\n\n"
    "get fetches the proof bundle of a transaction (64 hex digits) or of every checkpoint of\n"
    "an event id. verify checks a bundle (or a list of them, or a consistency proof) offline:\n"
    "exit 0 when valid, 1 when invalid (naming the check that failed), 2 on usage errors.\n";

int Get(const Args& args) {
  if (args.positional().size() != 1) return Fail("give exactly one TXID or EVENTID");
  const std::string id = args.positional()[0];
  auto hex = HexDecode(id);
  const bool is_tx = id.size() == 64 && hex.ok();
  const std::string target =
      is_tx ? "/v1/proofs/tx/" + id : "/v1/proofs/events/" + PercentEncode(id);
  json answer;
  if (auto code = CallNode(args, "GET", target, "", "", &answer)) return *code;
  const std::string pretty = answer.dump(2) + "\n";
  if (args.Has("out")) {
    if (Status st = WriteFileAtomic(args.Get("out"), pretty); !st.ok()) return Fail(st);
  } else {
    std::fwrite(pretty.data(), 1, pretty.size(), stdout);
  }
  return kExitOk;
}

int Consistency(const Args& args) {
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  auto from = args.Require("from");
  auto to = args.Require("to");
  if (!from.ok() || !to.ok()) return Fail("--from and --to (log sizes) are required");
  auto res = (*client)->Request("GET", "/v1/proofs/consistency?from=" + PercentEncode(*from) +
                                           "&to=" + PercentEncode(*to));
  if (!res.ok()) return Fail(res.status());
  if (res->status != 200) return Fail(client::DescribeError(*res));
  std::printf("%s\n", json::parse(res->body).dump(2).c_str());
  return kExitOk;
}

json Describe(const ledger::VerifiedProof& v) {
  json events = json::array();
  for (const v1::Checkpoint& cp : v.checkpoints) events.push_back(epcis::CheckpointToJson(cp));
  return json{{"valid", true},
              {"txId", HashHex(v.tx_id)},
              {"org", v.org},
              {"signer", v.signer},
              {"signedAt", FormatRfc3339Utc(v.tx_time_ms)},
              {"height", v.height},
              {"blockHash", HashHex(v.block_hash)},
              {"certifiedAt", v.certified_height},
              {"checkpoints", events}};
}

int Verify(const Args& args) {
  auto genesis_path = args.Require("genesis");
  if (!genesis_path.ok()) return Fail(genesis_path.status());
  auto format = args.Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (args.positional().size() != 1) return Fail("give exactly one PROOF.json");
  auto genesis = ledger::Genesis::Load(*genesis_path);
  if (!genesis.ok()) return Fail(genesis.status());
  auto text = ReadFile(args.positional()[0]);
  if (!text.ok()) return Fail(text.status());
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Fail(args.positional()[0] + ": not JSON");

  auto invalid = [&](const std::string& why) {
    if (*format == "json") {
      std::printf("%s\n", json{{"valid", false}, {"reason", why}}.dump(2).c_str());
    } else {
      std::printf("INVALID: %s\n", why.c_str());
    }
    return kExitNegative;
  };
  if (j.is_object() && j.contains("fromRoot")) {
    auto c = ledger::ConsistencyFromJson(j);
    if (!c.ok()) return invalid(c.status().message());
    Status st = ledger::VerifyConsistency(c->old_size, c->new_size, c->old_root, c->new_root, c->path);
    if (!st.ok()) return invalid(st.message());
    if (*format == "json") {
      std::printf("%s\n", json{{"valid", true}, {"from", c->old_size}, {"to", c->new_size}}.dump(2).c_str());
    } else {
      std::printf("VALID: the log of size %llu is a prefix of the log of size %llu\n",
                  static_cast<unsigned long long>(c->old_size),
                  static_cast<unsigned long long>(c->new_size));
    }
    return kExitOk;
  }
  std::vector<json> bundles;
  if (j.is_object() && j.contains("proofs") && j["proofs"].is_array()) {
    for (const json& p : j["proofs"]) bundles.push_back(p);
  } else {
    bundles.push_back(j);
  }
  if (bundles.empty()) return invalid("the file holds no proof");
  json results = json::array();
  for (size_t i = 0; i < bundles.size(); ++i) {
    const std::string where = bundles.size() > 1 ? "proof " + std::to_string(i) + ": " : "";
    auto bundle = ledger::ProofFromJson(bundles[i]);
    if (!bundle.ok()) return invalid(where + bundle.status().message());
    auto v = ledger::VerifyProof(*bundle, *genesis);
    if (!v.ok()) return invalid(where + v.status().message());
    results.push_back(Describe(*v));
  }
  if (*format == "json") {
    std::printf("%s\n", (results.size() == 1 ? results[0] : results).dump(2).c_str());
    return kExitOk;
  }
  for (const json& r : results) {
    std::printf("VALID: tx %s signed by %s (org %s) at %s, in block %llu, certified at %llu\n",
                r["txId"].get<std::string>().c_str(), r["signer"].get<std::string>().c_str(),
                r["org"].get<std::string>().c_str(), r["signedAt"].get<std::string>().c_str(),
                static_cast<unsigned long long>(r["height"].get<uint64_t>()),
                static_cast<unsigned long long>(r["certifiedAt"].get<uint64_t>()));
    for (const json& cp : r["checkpoints"]) {
      std::printf("  checkpoint %s %s %s\n", cp.value("eventID", "").c_str(),
                  cp.value("type", "").c_str(), cp.value("bizStep", "").c_str());
    }
  }
  return kExitOk;
}

}  // namespace

int ProofCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  std::set<std::string> flags = kClientFlags;
  flags.insert({"out", "genesis", "format", "from", "to"});
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()), flags, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  if (argv[0] == "get") return Get(*args);
  if (argv[0] == "verify") return Verify(*args);
  if (argv[0] == "consistency") return Consistency(*args);
  return Fail("unknown subcommand 'proof " + argv[0] + "'\n" + kHelp);
}

}  // namespace tracery::cli

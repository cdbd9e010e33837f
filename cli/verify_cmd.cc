// tracery verify: is this EPCIS document (or event) anchored? Asks a node, then checks every
// proof offline against the genesis and against the Event Hash IDs computed here.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client_util.h"
#include "commands.h"
#include "tracery/core/key_file.h"
#include "tracery/epcis/document.h"
#include "tracery/ledger/proof.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery verify --node URL (--token T | --token-file F) --genesis genesis.json\n"
    "                      [--format table|json] FILE\n\n"
    "FILE is an EPCIS 2.0 document or event (JSON-LD or XML). The node says where each event\n"
    "is anchored and sends the proof; this command computes each event's Event Hash ID itself\n"
    "and checks each proof offline: the signature, the Merkle paths, and the commit\n"
    "certificate against the validators of the genesis. An altered document has other hash\n"
    "ids and is reported not anchored. Exit 0 when every event is anchored and its proof\n"
    "holds, 1 otherwise, 2 on usage, I/O or network errors.\n";

struct Local {
  std::vector<std::string> ids;
  std::vector<std::string> payload_hashes;  // raw 32 bytes
};

Result<Local> ComputeLocally(const std::string& text) {
  const epcis::Binding binding = epcis::DetectBinding(text, "");
  epcis::Problem problem;
  std::vector<epcis::Event> events;
  auto doc = epcis::ParseDocument(text, binding, &problem);
  if (doc.ok()) {
    events = std::move(doc->events);
  } else {
    epcis::Problem event_problem;
    auto event = epcis::ParseEvent(text, binding, &event_problem);
    if (!event.ok()) return InvalidArgument(problem.ToString());
    events.push_back(std::move(event).value());
  }
  Local local;
  for (const epcis::Event& e : events) {
    ASSIGN_OR_RETURN(v1::Checkpoint cp, epcis::EventToCheckpoint(e));
    local.ids.push_back(cp.event_id());
    local.payload_hashes.push_back(cp.payload_hash());
  }
  return local;
}

// The verdict on one event of the node's answer, checked offline.
json Check(const json& answer, const std::string& local_id, const std::string& local_payload,
           const ledger::Genesis& genesis) {
  json out{{"eventID", local_id}, {"status", "not anchored"}};
  if (answer.value("eventID", "") != local_id) {
    out["status"] = "node answered for another event id";
    return out;
  }
  if (answer.value("withdrawn", false)) out["withdrawn"] = true;
  if (!answer.value("anchored", false)) return out;
  if (!answer.contains("proof")) {
    out["status"] = "anchored, proof pending";
    return out;
  }
  auto bundle = ledger::ProofFromJson(answer["proof"]);
  if (!bundle.ok()) {
    out["status"] = "proof invalid: " + bundle.status().message();
    return out;
  }
  auto verified = ledger::VerifyProof(*bundle, genesis);
  if (!verified.ok()) {
    out["status"] = "proof invalid: " + verified.status().message();
    return out;
  }
  for (const v1::Checkpoint& cp : verified->checkpoints) {
    if (cp.event_id() != local_id || cp.has_error_declaration()) continue;
    out["status"] = "anchored";
    out["org"] = verified->org;
    out["signer"] = verified->signer;
    out["height"] = verified->height;
    out["certifiedAt"] = verified->certified_height;
    out["payloadMatches"] = cp.payload_hash() == local_payload;
    return out;
  }
  out["status"] = "proof invalid: it does not carry this event id";
  return out;
}

int Verify(const Args& args) {
  auto genesis_path = args.Require("genesis");
  if (!genesis_path.ok()) return Fail(genesis_path.status());
  auto format = args.Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (args.positional().size() != 1) return Fail("give exactly one FILE");
  auto genesis = ledger::Genesis::Load(*genesis_path);
  if (!genesis.ok()) return Fail(genesis.status());
  auto text = ReadFile(args.positional()[0]);
  if (!text.ok()) return Fail(text.status());
  auto local = ComputeLocally(*text);
  if (!local.ok()) return Fail(local.status().Annotate(args.positional()[0]));
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  const bool xml = epcis::DetectBinding(*text, "") == epcis::Binding::kXml;
  auto res = (*client)->Request("POST", "/v1/verify", *text,
                                {{"Content-Type", xml ? "application/xml" : "application/ld+json"}});
  if (!res.ok()) return Fail(res.status());
  if (res->status != 200) return Fail(client::DescribeError(*res));
  const json answer = json::parse(res->body, nullptr, false);
  if (!answer.is_object() || !answer.contains("events") ||
      answer["events"].size() != local->ids.size()) {
    return Fail("the node's answer does not list the events of the file");
  }
  json results = json::array();
  bool all = true;
  for (size_t i = 0; i < local->ids.size(); ++i) {
    json r = Check(answer["events"][i], local->ids[i], local->payload_hashes[i], *genesis);
    all = all && r["status"] == "anchored";
    results.push_back(std::move(r));
  }
  if (*format == "json") {
    std::printf("%s\n", json{{"allAnchored", all}, {"events", results}}.dump(2).c_str());
  } else {
    for (size_t i = 0; i < results.size(); ++i) {
      const json& r = results[i];
      std::printf("%-4zu %-90s %s", i, r["eventID"].get<std::string>().c_str(),
                  r["status"].get<std::string>().c_str());
      if (r.contains("org")) {
        std::printf(" by %s at height %llu (certified at %llu)%s", r["org"].get<std::string>().c_str(),
                    static_cast<unsigned long long>(r["height"].get<uint64_t>()),
                    static_cast<unsigned long long>(r["certifiedAt"].get<uint64_t>()),
                    r["payloadMatches"].get<bool>() ? "" : "; stored payload differs");
      }
      if (r.value("withdrawn", false)) std::printf("; withdrawn by an error declaration");
      std::printf("\n");
    }
    std::printf("%s\n", all ? "VERIFIED: every event is anchored and its proof holds"
                            : "NOT VERIFIED: see the events above");
  }
  return all ? kExitOk : kExitNegative;
}

}  // namespace

int VerifyCommand(const Argv& argv) {
  std::set<std::string> flags = kClientFlags;
  flags.insert({"genesis", "format"});
  auto args = Args::Parse(argv, flags, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || argv.empty()) return PrintHelp(kHelp);
  return Verify(*args);
}

}  // namespace tracery::cli

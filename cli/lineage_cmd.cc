// tracery lineage and tracery recall: the auditor's and the recall team's questions, asked of a
// node — where did this lot come from, what consumed it, who received it.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client_util.h"
#include "fsma204.h"
#include "commands.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kLineageHelp =
    "usage: tracery lineage --node URL (--token T | --token-file F) LOT (--up | --down)\n"
    "                       [--depth N] [--from TIME] [--to TIME] [--format table|json|dot]\n\n"
    "Traces LOT (an EPC URN or a GS1 Digital Link URI; both name the same lot) upstream to\n"
    "its origins or downstream to everything that consumed or contained it: transformations,\n"
    "aggregations over time, lot membership. --depth bounds the edges followed (default 32);\n"
    "--from/--to (RFC 3339) bound the time. --format dot prints a Graphviz graph\n"
    "(tracery lineage ... --format dot | dot -Tsvg > lineage.svg).\n"
    "Exit 0 on an answer, 1 when the node does not know LOT, 2 on other errors.\n";

constexpr const char* kRecallHelp =
    "usage: tracery recall --node URL (--token T | --token-file F) LOT\n"
    "                      [--depth N] [--format table|json|csv] [--proofs]\n"
    "       tracery recall ... LOT --format fsma204 --out FILE.xlsx\n\n"
    "The recall exposure of LOT: every lot, item, case and pallet downstream of it, the\n"
    "shipments and hand-offs that carried each (source, destination, organisation), its\n"
    "current disposition, and the partners and locations that received exposed goods.\n"
    "--proofs fetches the proof bundle of every step (json). csv prints one row per exposed\n"
    "identifier and hand-off. fsma204 writes the FDA FSMA 204 electronic sortable spreadsheet\n"
    "(one row per critical tracking event and traceability lot code, and a legend sheet of\n"
    "location and product codes) to --out. Exit 0 on an answer, 1 when the node does not know LOT, 2 on\n"
    "other errors.\n";

std::string Short(const std::string& cbv) {
  const size_t dash = cbv.rfind('-');
  return cbv.starts_with("https://ref.gs1.org/cbv/") && dash != std::string::npos
             ? cbv.substr(dash + 1)
             : cbv;
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::optional<int> Fetch(const Args& args, const std::string& target, json* out) {
  return CallNode(args, "GET", target, "", "", out);
}

std::string CommonQuery(const Args& args) {
  std::string q;
  for (const char* name : {"depth", "from", "to"}) {
    if (args.Has(name)) q += std::string("&") + name + "=" + PercentEncode(args.Get(name));
  }
  return q;
}

void PrintDot(const json& answer) {
  std::printf("digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
  for (const json& n : answer["nodes"]) {
    const std::string id = n["id"];
    std::printf("  %s%s;\n", Quoted(id).c_str(),
                id == answer["root"] ? " [style=bold, color=red]" : "");
  }
  for (const json& e : answer["edges"]) {
    std::printf("  %s -> %s [label=%s];\n", Quoted(e["from"]).c_str(), Quoted(e["to"]).c_str(),
                Quoted(e["kind"]).c_str());
  }
  std::printf("}\n");
}

int Lineage(const Args& args) {
  if (args.positional().size() != 1) return Fail("give exactly one LOT");
  if (args.Has("up") == args.Has("down")) return Fail("give one of --up and --down");
  auto format = args.Format({"table", "json", "dot"});
  if (!format.ok()) return Fail(format.status());
  const std::string target = "/v1/traceability/lots/" + PercentEncode(args.positional()[0]) +
                             "?direction=" + (args.Has("up") ? "up" : "down") + CommonQuery(args);
  json answer;
  if (auto code = Fetch(args, target, &answer)) return *code;
  if (*format == "json") {
    std::printf("%s\n", answer.dump(2).c_str());
  } else if (*format == "dot") {
    PrintDot(answer);
  } else {
    std::printf("%-6s %s\n", "DEPTH", "IDENTIFIER");
    for (const json& n : answer["nodes"]) {
      std::printf("%-6u %s%s\n", n["depth"].get<unsigned>(), n["id"].get<std::string>().c_str(),
                  n.value("incomplete", false) ? "  (incomplete)" : "");
    }
    std::printf("%zu identifiers, %zu edges, %zu checkpoints%s%s\n", answer["nodes"].size(),
                answer["edges"].size(), answer["checkpoints"].size(),
                answer["depthLimited"].get<bool>() ? "; stopped at the depth limit" : "",
                answer["cycle"].get<bool>() ? "; the graph has a cycle" : "");
  }
  return kExitOk;
}

std::string Parties(const json& parties) {
  std::string out;
  for (const json& p : parties) {
    if (!out.empty()) out += "; ";
    out += p["id"].get<std::string>();
    if (p.contains("org")) out += " (" + p["org"].get<std::string>() + ")";
  }
  return out;
}

// The FSMA 204 spreadsheet of an exposure: each checkpoint's event from the node, item and
// location names from its master data when the caller may read them.
int WriteFsma204(const Args& args, const json& exposure) {
  json masterdata;
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  auto md = (*client)->Request("GET", "/v1/masterdata");
  if (md.ok() && md->status == 200) masterdata = json::parse(md->body, nullptr, false);
  auto event_of = [&](const std::string& event_id) -> Result<json> {
    auto r = (*client)->Request("GET", "/v1/events/" + PercentEncode(event_id));
    if (!r.ok()) return r.status();
    if (r->status != 200) return Unavailable("event " + event_id + ": " + client::DescribeError(*r));
    json doc = json::parse(r->body, nullptr, false);
    const json list = doc.is_object() ? doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                                      : json();
    if (!list.is_array() || list.empty()) return NotFound("event " + event_id + " has no payload");
    return list[0];
  };
  auto sheets = Fsma204Sheets(exposure, event_of, masterdata);
  if (!sheets.ok()) return Fail(sheets.status());
  if (Status st = WriteFileAtomic(args.Get("out"), WriteXlsx(*sheets)); !st.ok()) return Fail(st);
  std::printf("wrote %zu traceability records and %zu legend entries to %s\n",
              (*sheets)[0].rows.size(), (*sheets)[1].rows.size(), args.Get("out").c_str());
  return kExitOk;
}

int Recall(const Args& args) {
  if (args.positional().size() != 1) return Fail("give exactly one LOT");
  auto format = args.Format({"table", "json", "csv", "fsma204"});
  if (!format.ok()) return Fail(format.status());
  if (*format == "fsma204" && !args.Has("out")) return Fail("--format fsma204 needs --out FILE.xlsx");
  const std::string target = "/v1/recalls/" + PercentEncode(args.positional()[0]) + "/exposure?" +
                             (args.Has("proofs") ? "proofs=true" : "proofs=false") +
                             CommonQuery(args);
  json x;
  if (auto code = Fetch(args, target, &x)) return *code;
  if (*format == "json") {
    std::printf("%s\n", x.dump(2).c_str());
    return kExitOk;
  }
  if (*format == "fsma204") return WriteFsma204(args, x);
  const json& handoffs = x["handoffs"];
  if (*format == "csv") {
    std::printf("identifier,depth,disposition,event_id,event_time,biz_step,org,sources,destinations\n");
    for (const json& e : x["exposed"]) {
      const std::string head = CsvField(e["id"].get<std::string>()) + "," + std::to_string(e["depth"].get<unsigned>()) +
                               "," + CsvField(Short(e.value("disposition", "")));
      if (e["handoffs"].empty()) std::printf("%s,,,,,,\n", head.c_str());
      for (const json& i : e["handoffs"]) {
        const json& h = handoffs[i.get<size_t>()];
        std::printf("%s,%s,%s,%s,%s,%s,%s\n", head.c_str(), CsvField(h["eventID"].get<std::string>()).c_str(),
                    CsvField(h["eventTime"].get<std::string>()).c_str(), CsvField(Short(h.value("bizStep", ""))).c_str(),
                    CsvField(h["org"].get<std::string>()).c_str(), CsvField(Parties(h["sources"])).c_str(),
                    CsvField(Parties(h["destinations"])).c_str());
      }
    }
    return kExitOk;
  }
  std::printf("recall of %s: %zu exposed identifiers, %zu hand-offs\n",
              x["root"].get<std::string>().c_str(), x["exposed"].size(), handoffs.size());
  for (const json& e : x["exposed"]) {
    std::printf("  %-70s depth %u%s\n", e["id"].get<std::string>().c_str(),
                e["depth"].get<unsigned>(),
                e.contains("disposition") ? (", " + Short(e["disposition"])).c_str() : "");
    for (const json& i : e["handoffs"]) {
      const json& h = handoffs[i.get<size_t>()];
      std::string where;
      if (!h["sources"].empty() || !h["destinations"].empty()) {
        where = ": " + Parties(h["sources"]) + " -> " + Parties(h["destinations"]);
      } else if (h.contains("bizLocation")) {
        where = " at " + h["bizLocation"].get<std::string>() +
                (h.contains("bizLocationOrg") ? " (" + h["bizLocationOrg"].get<std::string>() + ")" : "");
      }
      std::printf("      %s %s by %s%s\n", h["eventTime"].get<std::string>().c_str(),
                  Short(h.value("bizStep", "hand-off")).c_str(), h["org"].get<std::string>().c_str(),
                  where.c_str());
    }
  }
  std::printf("received by organisations:%s\n", x["receivingOrgs"].empty() ? " (none known)" : "");
  for (const json& o : x["receivingOrgs"]) std::printf("  %s\n", o.get<std::string>().c_str());
  std::printf("received at locations:%s\n", x["receivingLocations"].empty() ? " (none known)" : "");
  for (const json& l : x["receivingLocations"]) std::printf("  %s\n", l.get<std::string>().c_str());
  return kExitOk;
}

Result<Args> ParseArgs(const Argv& argv) {
  std::set<std::string> flags = kClientFlags;
  flags.insert({"depth", "from", "to", "format", "out"});
  return Args::Parse(argv, flags, {"help", "up", "down", "proofs"});
}

}  // namespace

int LineageCommand(const Argv& argv) {
  auto args = ParseArgs(argv);
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || argv.empty()) return PrintHelp(kLineageHelp);
  return Lineage(*args);
}

int RecallCommand(const Argv& argv) {
  auto args = ParseArgs(argv);
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help") || argv.empty()) return PrintHelp(kRecallHelp);
  return Recall(*args);
}

}  // namespace tracery::cli

// The SCM subcommands: inventory, holds, exceptions, replenish, masterdata import. Each talks
// to the node's SCM API (docs/scm.md) and prints a table or the node's JSON.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client_util.h"
#include "commands.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kInventoryHelp =
    "usage: tracery inventory --node URL (--token T | --token-file F) [--item GTIN]\n"
    "                         [--location GLN] [--format table|json]\n"
    "       tracery inventory lots --node URL ... --item GTIN --location GLN [--format ...]\n"
    "       tracery inventory count --node URL ... --item GTIN --location GLN [--lot LOT]\n"
    "                         --quantity Q [--expiry YYYY-MM-DD]\n\n"
    "Inventory positions (on hand, allocated, on hold, sellable) of the node's organisation,\n"
    "the lots behind one position, or a stock count that sets a lot's balance.\n";

constexpr const char* kHoldsHelp =
    "usage: tracery holds list --node URL (--token T | --token-file F) [--active]\n"
    "       tracery holds place --node URL ... --item GTIN --lot LOT [--location GLN]\n"
    "                           --reason CODE\n"
    "       tracery holds release --node URL ... --reason TEXT HOLD_ID\n\n"
    "A hold keeps a lot (at one location, or everywhere) out of allocation; who placed and\n"
    "released it, when and why, is kept.\n";

constexpr const char* kExceptionsHelp =
    "usage: tracery exceptions --node URL (--token T | --token-file F) [--open]\n"
    "                          [--format table|json]\n";

constexpr const char* kReplenishHelp =
    "usage: tracery replenish --node URL (--token T | --token-file F) --item GTIN\n"
    "                         --location GLN [--horizon PERIODS] [--service 0.95]\n"
    "                         [--lead-time PERIODS] [--review PERIODS] [--moq Q]\n"
    "                         [--multiple Q] [--max Q] [--format table|json]\n\n"
    "The replenishment recommendation for an item at a location: an order-up-to level from\n"
    "the demand of the last 12 periods (docs/scm.md).\n";

constexpr const char* kMasterdataHelp =
    "usage: tracery masterdata import --node URL (--token T | --token-file F) FILE\n\n"
    "Loads items, locations and parties (JSON: {\"items\": [...], \"locations\": [...],\n"
    "\"parties\": [...]}, or CSV with a header row naming the record kind; docs/formats/erp.md).\n";

constexpr const char* kErpHelp =
    "usage: tracery erp import --node URL (--token T | --token-file F) [--format F] FILE...\n\n"
    "Imports ERP documents through the node (POST /v1/erp/documents): X12 850 and 856,\n"
    "EDIFACT DESADV, CSV and JSON (docs/formats/erp.md); the format is read from the content\n"
    "unless --format (x12, edifact, csv, json) says. Each document is imported whole or refused\n"
    "whole, naming the segment and the rule; unsupported transaction sets (810, ORDERS) are\n"
    "reported. Exit 0 when every file was imported, 1 when one was refused, 2 on other errors.\n";

std::optional<int> Parse(const Argv& argv, std::set<std::string> flags,
                         const std::set<std::string>& booleans, Args* out) {
  flags.insert(kClientFlags.begin(), kClientFlags.end());
  flags.insert("format");
  auto args = Args::Parse(argv, flags, booleans);
  if (!args.ok()) return Fail(args.status());
  *out = *args;
  return std::nullopt;
}

std::string Query(const Args& args, std::initializer_list<std::pair<const char*, const char*>> map) {
  std::string q;
  for (const auto& [flag, param] : map) {
    if (!args.Has(flag)) continue;
    q += (q.empty() ? "?" : "&") + std::string(param) + "=" + PercentEncode(args.Get(flag));
  }
  return q;
}

// Prints rows of the answer's `list` as a table of `columns` (JSON member names), or the JSON.
int Print(const Args& args, const json& answer, const char* list,
          const std::vector<std::string>& columns) {
  auto format = args.Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (*format == "json") {
    std::printf("%s\n", answer.dump(2).c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {columns};
  for (const json& item : answer[list]) {
    std::vector<std::string> row;
    for (const std::string& c : columns) {
      const json v = item.value(c, json());
      row.push_back(v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump());
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(columns.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i] + std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

}  // namespace

int InventoryCommand(const Argv& argv) {
  if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) return PrintHelp(kInventoryHelp);
  const bool sub = !argv.empty() && (argv[0] == "lots" || argv[0] == "count");
  Args args;
  if (auto code = Parse(sub ? Argv(argv.begin() + 1, argv.end()) : argv,
                        {"item", "location", "lot", "quantity", "expiry"}, {}, &args)) {
    return *code;
  }
  json answer;
  if (sub && argv[0] == "count") {
    auto item = args.Require("item");
    auto location = args.Require("location");
    auto quantity = args.Require("quantity");
    if (!item.ok() || !location.ok() || !quantity.ok()) {
      return Fail("--item, --location and --quantity are required");
    }
    json count{{"gtin", *item}, {"gln", *location}, {"quantity", *quantity}};
    if (args.Has("lot")) count["lotNumber"] = args.Get("lot");
    if (args.Has("expiry")) count["expiryDate"] = args.Get("expiry");
    json body{{"counts", json::array({count})}};
    if (auto code = CallNode(args, "POST", "/v1/inventory/counts", body.dump(),
                             "application/json", &answer)) {
      return *code;
    }
    std::printf("counted %s %s lot %s at %s\n", quantity->c_str(), item->c_str(),
                args.Get("lot", "(none)").c_str(), location->c_str());
    return kExitOk;
  }
  if (sub) {
    if (auto code = CallNode(args, "GET",
                             "/v1/inventory/lots" +
                                 Query(args, {{"item", "item"}, {"location", "location"}}),
                             "", "", &answer)) {
      return *code;
    }
    return Print(args, answer, "lots", {"gtin", "gln", "lotNumber", "onHand", "onHold", "expiryDate"});
  }
  if (auto code = CallNode(args, "GET",
                           "/v1/inventory" + Query(args, {{"item", "item"}, {"location", "location"}}),
                           "", "", &answer)) {
    return *code;
  }
  return Print(args, answer, "positions", {"gtin", "gln", "onHand", "allocated", "onHold", "sellable"});
}

int HoldsCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHoldsHelp)) return *code;
  Args args;
  if (auto code = Parse(Argv(argv.begin() + 1, argv.end()), {"item", "lot", "location", "reason"},
                        {"active"}, &args)) {
    return *code;
  }
  json answer;
  const std::vector<std::string> columns = {"id", "gtin", "lotNumber", "gln", "reasonCode",
                                            "placedBy", "placedAt", "active", "releasedBy"};
  if (argv[0] == "list") {
    if (auto code = CallNode(args, "GET", args.Has("active") ? "/v1/holds?active=true" : "/v1/holds",
                             "", "", &answer)) {
      return *code;
    }
    return Print(args, answer, "holds", columns);
  }
  if (argv[0] == "place") {
    auto item = args.Require("item");
    auto lot = args.Require("lot");
    auto reason = args.Require("reason");
    if (!item.ok() || !lot.ok() || !reason.ok()) return Fail("--item, --lot and --reason are required");
    json body{{"gtin", *item}, {"lotNumber", *lot}, {"reasonCode", *reason}};
    if (args.Has("location")) body["gln"] = args.Get("location");
    if (auto code = CallNode(args, "POST", "/v1/holds", body.dump(), "application/json", &answer)) {
      return *code;
    }
    std::printf("%s placed on %s lot %s\n", answer.value("id", "").c_str(), item->c_str(), lot->c_str());
    return kExitOk;
  }
  if (argv[0] == "release") {
    if (args.positional().size() != 1) return Fail("give exactly one HOLD_ID");
    auto reason = args.Require("reason");
    if (!reason.ok()) return Fail("--reason is required");
    json body{{"reason", *reason}};
    if (auto code = CallNode(args, "POST", "/v1/holds/" + PercentEncode(args.positional()[0]) + "/release",
                             body.dump(), "application/json", &answer)) {
      return *code;
    }
    std::printf("%s released\n", args.positional()[0].c_str());
    return kExitOk;
  }
  return Fail("unknown holds subcommand '" + argv[0] + "' (list, place, release)");
}

int ExceptionsCommand(const Argv& argv) {
  if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) return PrintHelp(kExceptionsHelp);
  Args args;
  if (auto code = Parse(argv, {}, {"open"}, &args)) return *code;
  json answer;
  if (auto code = CallNode(args, "GET", args.Has("open") ? "/v1/exceptions?open=true" : "/v1/exceptions",
                           "", "", &answer)) {
    return *code;
  }
  return Print(args, answer, "exceptions",
               {"id", "type", "severity", "gtin", "lotNumber", "openedAt", "open", "detail"});
}

int ReplenishCommand(const Argv& argv) {
  if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) return PrintHelp(kReplenishHelp);
  Args args;
  if (auto code = Parse(argv, {"item", "location", "horizon", "service", "lead-time", "review",
                               "moq", "multiple", "max"},
                        {}, &args)) {
    return *code;
  }
  auto item = args.Require("item");
  auto location = args.Require("location");
  if (!item.ok() || !location.ok()) return Fail("--item and --location are required");
  json body{{"item", *item}, {"location", *location}};
  json constraints = json::object();
  try {
    if (args.Has("horizon")) body["horizonPeriods"] = std::stoi(args.Get("horizon"));
    if (args.Has("service")) body["serviceTarget"] = std::stod(args.Get("service"));
    if (args.Has("lead-time")) constraints["leadTimePeriods"] = std::stoi(args.Get("lead-time"));
    if (args.Has("review")) constraints["reviewPeriods"] = std::stoi(args.Get("review"));
  } catch (...) {
    return Fail("--horizon, --lead-time and --review take whole numbers, --service a fraction");
  }
  if (args.Has("moq")) constraints["minOrderQuantity"] = args.Get("moq");
  if (args.Has("multiple")) constraints["orderMultiple"] = args.Get("multiple");
  if (args.Has("max")) constraints["maxOrderQuantity"] = args.Get("max");
  body["constraints"] = constraints;
  json answer;
  if (auto code = CallNode(args, "POST", "/v1/replenishment/recommendations", body.dump(),
                           "application/json", &answer)) {
    return *code;
  }
  auto format = args.Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (*format == "json") {
    std::printf("%s\n", answer.dump(2).c_str());
    return kExitOk;
  }
  const json& x = answer["explanation"];
  std::printf("order now          %s (order-up-to level %s, sellable %s)\n",
              answer.value("recommendedQuantity", "").c_str(),
              answer.value("orderUpToLevel", "").c_str(),
              x["inventoryPosition"].value("sellable", "").c_str());
  std::printf("demand per period  mean %.3f, std dev %.3f over %zu periods of %d days\n",
              x.value("meanDemandPerPeriod", 0.0), x.value("stdDevDemandPerPeriod", 0.0),
              x["demandHistory"].size(), answer.value("periodDays", 0));
  std::printf("service target     %.4g (z = %.4f), lead time %d, review every %d periods\n",
              x.value("serviceTarget", 0.0), x.value("z", 0.0), x.value("leadTimePeriods", 0),
              x.value("reviewPeriods", 0));
  for (const json& o : answer["orders"]) {
    std::printf("  period %-3d %s\n", o.value("period", 0), o.value("quantity", "").c_str());
  }
  return kExitOk;
}

int MasterdataCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kMasterdataHelp)) return *code;
  if (argv[0] != "import") return Fail("unknown masterdata subcommand '" + argv[0] + "' (import)");
  Args args;
  if (auto code = Parse(Argv(argv.begin() + 1, argv.end()), {}, {}, &args)) return *code;
  if (args.positional().size() != 1) return Fail("give exactly one FILE");
  auto text = ReadFile(args.positional()[0]);
  if (!text.ok()) return Fail(text.status());
  const size_t first = text->find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool is_json = first != std::string::npos && (*text)[first] == '{';
  json answer;
  if (auto code = CallNode(args, "POST", "/v1/masterdata", *text,
                           is_json ? "application/json" : "text/csv", &answer)) {
    return *code;
  }
  std::printf("loaded %d items, %d locations, %d parties\n", answer.value("items", 0),
              answer.value("locations", 0), answer.value("parties", 0));
  return kExitOk;
}

int ErpCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kErpHelp)) return *code;
  if (argv[0] != "import") return Fail("unknown erp subcommand '" + argv[0] + "' (import)");
  Args args;
  if (auto code = Parse(Argv(argv.begin() + 1, argv.end()), {}, {}, &args)) return *code;
  if (args.positional().empty()) return Fail("give at least one FILE");
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  const std::string query = args.Has("format") ? "?format=" + PercentEncode(args.Get("format")) : "";
  int code = kExitOk;
  for (const std::string& file : args.positional()) {
    auto text = ReadFile(file);
    if (!text.ok()) return Fail(text.status());
    auto res = (*client)->Request("POST", "/v1/erp/documents" + query, *text,
                                  {{"Content-Type", "application/octet-stream"}});
    if (!res.ok()) return Fail(res.status());
    if (res->status == 400 || res->status == 409) {
      std::fprintf(stderr, "%s: refused: %s\n", file.c_str(), client::DescribeError(*res).c_str());
      code = kExitNegative;
      continue;
    }
    if (res->status != 201) return Fail(file + ": " + client::DescribeError(*res));
    const json s = json::parse(res->body, nullptr, false);
    if (!s.is_object()) return Fail("the node's answer is not JSON");
    std::printf("%s: %s, %zu orders, %zu shipments, %zu events captured\n", file.c_str(),
                s.value("format", "").c_str(), s["orders"].size(), s["shipments"].size(),
                s.value("events", size_t{0}));
    for (const json& t : s["transactions"]) {
      std::printf("  %s %s %s: %s%s\n", t.value("type", "").c_str(), t.value("version", "").c_str(),
                  t.value("controlNumber", "").c_str(), t.value("status", "").c_str(),
                  t.value("detail", "").empty() ? "" : (" (" + t.value("detail", "") + ")").c_str());
    }
    for (const json& w : s["warnings"]) {
      std::printf("  warning: %s: %s\n", w.value("where", "").c_str(), w.value("detail", "").c_str());
    }
  }
  return code;
}

}  // namespace tracery::cli

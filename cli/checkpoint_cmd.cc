// tracery checkpoint submit: post checkpoints (one object or an array) to a node.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client_util.h"
#include "commands.h"
#include "tracery/core/key_file.h"

namespace tracery::cli {
namespace {

constexpr const char* kHelp =
    "usage: tracery checkpoint submit --node URL (--token T | --token-file F) [--wait]\n"
    "                                 [--idempotency-key K] [--format table|json] FILE.json\n\n"
    "Submits the checkpoint(s) in FILE.json (one object, or an array of up to 1,000 that\n"
    "become one transaction). Prints the transaction id; with --wait, waits until the\n"
    "transaction is committed and prints its height and position.\n";

}  // namespace

int CheckpointCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  if (argv[0] != "submit") return Fail("unknown subcommand 'checkpoint " + argv[0] + "'\n" + kHelp);
  std::set<std::string> flags = kClientFlags;
  flags.insert({"idempotency-key", "format"});
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()), flags, {"wait", "help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  auto format = args->Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (args->positional().size() != 1) return Fail("give exactly one FILE.json\n" + std::string(kHelp));
  auto body = ReadFile(args->positional()[0]);
  if (!body.ok()) return Fail(body.status());
  auto client = ConnectFromArgs(*args);
  if (!client.ok()) return Fail(client.status());
  std::map<std::string, std::string> headers;
  if (args->Has("idempotency-key")) headers["Idempotency-Key"] = args->Get("idempotency-key");
  const std::string target = args->Has("wait") ? "/v1/checkpoints?wait=committed" : "/v1/checkpoints";
  auto res = (*client)->Request("POST", target, *body, headers);
  if (!res.ok()) return Fail(res.status());
  if (res->status != 200 && res->status != 202) return Fail(client::DescribeError(*res));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (*format == "json") {
    std::printf("%s\n", res->body.c_str());
  } else if (j.contains("height")) {
    std::printf("committed %s at height %llu position %llu\n",
                j.value("txId", "").c_str(),
                static_cast<unsigned long long>(j.value("height", uint64_t{0})),
                static_cast<unsigned long long>(j.value("position", uint64_t{0})));
  } else {
    std::printf("accepted %s\n", j.value("txId", "").c_str());
  }
  return kExitOk;
}

}  // namespace tracery::cli

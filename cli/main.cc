// tracery: the command-line tool of Tracery for operators and auditors.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"

namespace tracery::cli {

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}

}  // namespace tracery::cli

namespace {

constexpr const char* kUsage =
    "usage: tracery COMMAND [ARGS]   (tracery COMMAND --help for its flags)\n\n"
    "  genesis init      create a consortium: keys, genesis, node configs, API tokens\n"
    "  devnet            up | down | status of the nodes of a consortium folder\n"
    "  checkpoint submit submit checkpoints to a node\n"
    "  proof             get | consistency | verify (offline, against the genesis)\n"
    "  ledger audit      re-verify a stopped node's ledger\n"
    "  events import     capture EPCIS documents (JSON-LD, XML) through a node\n"
    "  verify            is an EPCIS document anchored? (proofs checked offline)\n"
    "  lineage           trace a lot upstream or downstream (table, json, Graphviz dot)\n"
    "  recall            the recall exposure of a lot (table, json, csv, FSMA 204 xlsx)\n"
    "  inventory         inventory positions, lots, stock counts of the node's organisation\n"
    "  holds             list | place | release holds on lots\n"
    "  exceptions        operational exceptions (excursions, stock mismatches, ...)\n"
    "  replenish         the replenishment recommendation for an item at a location\n"
    "  masterdata import load items, locations and parties (JSON or CSV)\n"
    "  erp import        import ERP documents (X12 850/856, EDIFACT DESADV, CSV, JSON)\n"
    "  gateway           keygen | simulate (an IoT gateway publishing signed telemetry)\n\n"
    "Exit codes: 0 success, 1 a negative answer (invalid proof, failed audit), 2 usage or\n"
    "I/O errors.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace tracery::cli;
  if (argc < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return kExitUsage;
  }
  const std::string command = argv[1];
  Argv rest(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", kUsage);
    return kExitOk;
  }
  if (command == "genesis") return GenesisCommand(rest);
  if (command == "devnet") return DevnetCommand(rest);
  if (command == "checkpoint") return CheckpointCommand(rest);
  if (command == "proof") return ProofCommand(rest);
  if (command == "ledger") return LedgerCommand(rest);
  if (command == "events") return EventsCommand(rest);
  if (command == "verify") return VerifyCommand(rest);
  if (command == "lineage") return LineageCommand(rest);
  if (command == "recall") return RecallCommand(rest);
  if (command == "inventory") return InventoryCommand(rest);
  if (command == "holds") return HoldsCommand(rest);
  if (command == "exceptions") return ExceptionsCommand(rest);
  if (command == "replenish") return ReplenishCommand(rest);
  if (command == "masterdata") return MasterdataCommand(rest);
  if (command == "erp") return ErpCommand(rest);
  if (command == "gateway") return GatewayCommand(rest);
  std::fprintf(stderr, "tracery: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return kExitUsage;
}

// tracery ledger audit: re-verify a stopped node's store from scratch.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "args.h"
#include "commands.h"
#include "tracery/core/key_file.h"
#include "tracery/ledger/ledger.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery ledger audit --data DIR [--genesis genesis.json] [--threads N]\n"
    "                            [--format table|json]\n\n"
    "Re-verifies the ledger of a stopped node (DIR is its data folder): the hash chain, every\n"
    "block against its header, every transaction's Merkle root and signature, every commit\n"
    "certificate, the transaction index and the ledger-wide log. Without --genesis, the genesis named\n"
    "by DIR/../node.json is used. Exit 0 when the ledger verifies, 1 when it does not.\n";

// Runs fn(0..n-1) on `threads` threads.
ledger::ParallelFor ThreadPoolFor(int threads) {
  return [threads](size_t n, const std::function<void(size_t)>& fn) {
    if (threads <= 1 || n < 64) {
      ledger::SequentialFor(n, fn);
      return;
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  };
}

Result<std::string> GenesisFromNodeConfig(const std::string& data_dir) {
  const std::string config = data_dir + "/../node.json";
  ASSIGN_OR_RETURN(std::string text, ReadFile(config));
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("genesis")) return InvalidArgument(config + ": no genesis");
  std::string g = j["genesis"].get<std::string>();
  return g[0] == '/' ? g : data_dir + "/../" + g;
}

int Audit(const Args& args) {
  auto data = args.Require("data");
  if (!data.ok()) return Fail(data.status());
  auto format = args.Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  std::string genesis_path = args.Get("genesis");
  if (genesis_path.empty()) {
    auto g = GenesisFromNodeConfig(*data);
    if (!g.ok()) return Fail("--genesis is required (" + g.status().message() + ")");
    genesis_path = *g;
  }
  auto genesis = ledger::Genesis::Load(genesis_path);
  if (!genesis.ok()) return Fail(genesis.status());
  int threads = std::atoi(args.Get("threads", "0").c_str());
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool tty = ::isatty(2) != 0;
  auto last = std::chrono::steady_clock::now();
  auto progress = [&](uint64_t done, uint64_t total) {
    if (!tty) return;
    auto now = std::chrono::steady_clock::now();
    if (done != total && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    const int width = 40;
    const int filled = total == 0 ? width : static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu blocks", filled,
                 "########################################", width - filled, "",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    if (done == total) std::fprintf(stderr, "\n");
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto report = ledger::AuditLedger(*data + "/ledger", *genesis, ThreadPoolFor(threads), progress);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report.ok()) {
    if (report.status().code() == Code::kUnavailable || report.status().code() == Code::kIoError) {
      return Fail(report.status());
    }
    if (*format == "json") {
      std::printf("%s\n", json{{"ok", false}, {"error", report.status().message()}}.dump(2).c_str());
    } else {
      std::printf("AUDIT FAILED: %s\n", report.status().message().c_str());
    }
    return kExitNegative;
  }
  if (*format == "json") {
    std::printf("%s\n", json{{"ok", true},
                             {"blocks", report->blocks},
                             {"txs", report->txs},
                             {"checkpoints", report->checkpoints},
                             {"headHash", HashHex(report->head_hash)},
                             {"seconds", seconds}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("AUDIT OK: %llu blocks, %llu transactions, %llu checkpoints, head %s (%.1f s)\n",
                static_cast<unsigned long long>(report->blocks),
                static_cast<unsigned long long>(report->txs),
                static_cast<unsigned long long>(report->checkpoints),
                HashHex(report->head_hash).c_str(), seconds);
  }
  return kExitOk;
}

}  // namespace

int LedgerCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()),
                          {"data", "genesis", "threads", "format"}, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  if (argv[0] == "audit") return Audit(*args);
  return Fail("unknown subcommand 'ledger " + argv[0] + "'\n" + kHelp);
}

}  // namespace tracery::cli

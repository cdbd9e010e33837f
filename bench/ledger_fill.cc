// tracery_bench_fill: writes a real ledger of N checkpoints, one per transaction, as a solo
// validator would: each transaction signed by the node key (a writer of its org), blocks of
// --txs-per-block transactions built by ledger::Ledger, each block's certificate signed by the
// same key (the one validator) and appended synced. `tracery ledger audit` then audits it
// against the consortium's genesis.
//
// It writes straight to the store, so the node must not be running on that data folder.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_util.h"
#include "tracery/core/key_file.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/ledger.h"

namespace tracery::bench {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery_bench_fill --genesis DIR/genesis.json --key DIR/<org>/node.key\n"
    "                          --data DIR/<org>/data [--checkpoints 1000000]\n"
    "                          [--txs-per-block 4000] [--threads 2] [--append]\n\n"
    "Writes a ledger of one-checkpoint transactions signed by the node key into DATA/ledger\n"
    "(blocks certified by the same key, which must be a validator and writer of the genesis).\n"
    "Refuses a non-empty ledger unless --append. Prints one JSON object.\n";

constexpr int64_t kMaxCheckpoints = 100'000'000;
constexpr int kMaxThreads = 64;

// Signs transactions [first, first+n) of the fill on `threads` threads.
std::vector<ledger::ParsedTx> SignTxs(const ledger::Genesis& genesis, const std::string& org,
                                      const std::vector<PrivateKey>& keys, uint64_t run,
                                      uint64_t first, size_t n) {
  std::vector<ledger::ParsedTx> txs(n);
  const size_t threads = keys.size();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < n; i += threads) {
        txs[i] = BenchTx(genesis.hash(), org, keys[t], run, first + i, 1);
      }
    });
  }
  for (std::thread& th : pool) th.join();
  return txs;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {"genesis", "key", "data", "checkpoints", "txs-per-block", "threads"},
              {"append"}, kUsage);
  if (!flags.Has("genesis") || !flags.Has("key") || !flags.Has("data")) {
    std::fprintf(stderr, "--genesis, --key and --data are required\n%s", kUsage);
    return 2;
  }
  const int64_t total = flags.Int("checkpoints", 1'000'000);
  const int64_t per_block = flags.Int("txs-per-block", 4000);
  const int threads = static_cast<int>(flags.Int("threads", 2));
  if (total < 1 || total > kMaxCheckpoints) {
    std::fprintf(stderr, "--checkpoints must be 1..%lld\n",
                 static_cast<long long>(kMaxCheckpoints));
    return 2;
  }
  if (per_block < 1 || per_block > static_cast<int64_t>(ledger::kMaxTxsPerBlock)) {
    std::fprintf(stderr, "--txs-per-block must be 1..%u\n", ledger::kMaxTxsPerBlock);
    return 2;
  }
  if (threads < 1 || threads > kMaxThreads) {
    std::fprintf(stderr, "--threads must be 1..%d\n", kMaxThreads);
    return 2;
  }
  auto genesis = ledger::Genesis::Load(flags.Get("genesis"));
  if (!genesis.ok()) {
    std::fprintf(stderr, "tracery_bench_fill: %s\n", genesis.status().ToString().c_str());
    return 2;
  }
  auto key = ReadKeyFile(flags.Get("key"));
  if (!key.ok()) {
    std::fprintf(stderr, "tracery_bench_fill: %s\n", key.status().ToString().c_str());
    return 2;
  }
  const ledger::NodeInfo* node = genesis->FindNodeByKeyId(key->public_key().KeyId());
  if (node == nullptr || !node->validator || !node->writer) {
    std::fprintf(stderr,
                 "tracery_bench_fill: the key is not a validator and writer node of the genesis\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.Get("data"), ec);
  if (ec) {
    std::fprintf(stderr, "tracery_bench_fill: cannot create %s: %s\n", flags.Get("data").c_str(),
                 ec.message().c_str());
    return 2;
  }
  auto ledger = ledger::Ledger::Open(flags.Get("data") + "/ledger", *genesis);
  if (!ledger.ok()) {
    std::fprintf(stderr, "tracery_bench_fill: %s\n", ledger.status().ToString().c_str());
    return 2;
  }
  if ((*ledger)->head().height != 0 && !flags.Has("append")) {
    std::fprintf(stderr, "tracery_bench_fill: the ledger already holds %llu blocks (--append?)\n",
                 static_cast<unsigned long long>((*ledger)->head().height));
    return 2;
  }
  std::vector<PrivateKey> keys;  // one key object per signing thread
  for (int t = 0; t < threads; ++t) keys.push_back(PrivateKey::FromSeed(key->seed()).value());
  uint64_t run = 0;
  for (char c : RandomBytes(4)) run = (run << 8) | static_cast<uint8_t>(c);

  const auto t0 = Clock::now();
  double sign_seconds = 0, append_seconds = 0;
  uint64_t done = 0, blocks = 0;
  while (done < static_cast<uint64_t>(total)) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(per_block), total - done));
    const auto ts = Clock::now();
    std::vector<ledger::ParsedTx> txs = SignTxs(*genesis, node->org, keys, run, done, n);
    const auto ta = Clock::now();
    sign_seconds += std::chrono::duration<double>(ta - ts).count();
    ledger::BuiltBlock built = (*ledger)->BuildBlock(std::move(txs), node->id, 0, 0);
    if (!built.rejected.empty()) {
      std::fprintf(stderr, "tracery_bench_fill: %zu transactions rejected: %s\n",
                   built.rejected.size(), built.rejected[0].second.ToString().c_str());
      return 1;
    }
    const v1::CommitCertificate cert =
        SoloCertificate(built.block, node->id, keys[0], genesis->hash());
    Status st = (*ledger)->Append(built.block, &cert);
    if (!st.ok()) {
      std::fprintf(stderr, "tracery_bench_fill: %s\n", st.ToString().c_str());
      return 1;
    }
    append_seconds += SecondsSince(ta);
    done += n;
    ++blocks;
    if (blocks % 25 == 0) {
      std::fprintf(stderr, "fill: %llu/%lld checkpoints (%.0f s)\n",
                   static_cast<unsigned long long>(done), static_cast<long long>(total),
                   SecondsSince(t0));
    }
  }
  const ledger::Head head = (*ledger)->head();
  json out{{"blocks", blocks},
           {"txs", done},
           {"checkpoints", done},
           {"txs_per_block", per_block},
           {"head_height", head.height},
           {"head_hash", HashHex(head.hash)},
           {"log_size", head.log_size},
           {"seconds", SecondsSince(t0)},
           {"sign_seconds", sign_seconds},
           {"build_append_seconds", append_seconds}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

// tracery_bench_micro: the costs that bound the node, each measured for a fixed duration —
// Ed25519 signing and verification (1 and 2 threads), SHA-256, a synced block append on a real
// ledger, and proof generation and offline verification. Prints one JSON object on stdout;
// progress goes to stderr.
//
// Every rate is operations / wall-clock seconds of the timed window. The 2-thread figures start
// both threads together and divide the total by the longer thread's time.
#include <atomic>
#include <cstdio>
#include <functional>
#include <latch>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "bench_util.h"
#include "tests/ledger/test_util.h"
#include "tracery/ledger/ledger.h"
#include "tracery/ledger/proof.h"

namespace tracery::bench {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery_bench_micro [--seconds 1.5]\n\n"
    "Measures Ed25519, SHA-256, synced block appends and proofs; prints one JSON object.\n";

constexpr size_t kMessagePool = 256;
constexpr size_t kProofPool = 512;

// Runs body(thread, iteration) on `threads` threads for about `seconds`; returns operations
// per second. Each thread checks the clock every 16 operations.
double RatePerSecond(int threads, double seconds, const std::function<void(int, uint64_t)>& body) {
  std::latch start(threads + 1);
  std::atomic<uint64_t> total{0};
  std::vector<double> elapsed(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      const auto t0 = Clock::now();
      uint64_t n = 0;
      while (true) {
        for (int k = 0; k < 16; ++k) body(t, n++);
        if (SecondsSince(t0) >= seconds) break;
      }
      elapsed[t] = SecondsSince(t0);
      total.fetch_add(n);
    });
  }
  start.arrive_and_wait();
  for (std::thread& th : pool) th.join();
  return static_cast<double>(total.load()) / *std::max_element(elapsed.begin(), elapsed.end());
}

// Transaction headers as the node signs them (about 75 bytes; the signed domain message adds
// the 13-byte purpose tag, a zero byte and the 32-byte genesis hash: about 120 bytes).
std::vector<std::string> HeaderPool(const PublicKey& key) {
  std::vector<std::string> out;
  for (size_t i = 0; i < kMessagePool; ++i) {
    out.push_back(
        TxHeaderBytes("bench", key, 0x9e3779b97f4a7c15ull * (i + 1), 1, Sha256(std::to_string(i))));
  }
  return out;
}

struct CryptoFigures {
  double sign_1t = 0, sign_2t = 0, verify_1t = 0, verify_2t = 0, pairs_1t = 0, pairs_2t = 0;
  size_t signed_message_bytes = 0;
};

CryptoFigures MeasureEd25519(double seconds, const Hash32& genesis_hash) {
  CryptoFigures f;
  // One key object per thread: Crypto++ objects are not shared across threads here.
  std::vector<PrivateKey> keys = {ledger::testing::Key('a'), ledger::testing::Key('a')};
  std::vector<PublicKey> pubs = {keys[0].public_key(), keys[1].public_key()};
  const std::vector<std::string> headers = HeaderPool(pubs[0]);
  f.signed_message_bytes = DomainMessage(Purpose::kTx, genesis_hash, headers[0]).size();
  std::vector<std::string> sigs;
  for (const std::string& h : headers) sigs.push_back(keys[0].Sign(Purpose::kTx, genesis_hash, h));

  auto sign = [&](int t, uint64_t i) {
    std::string s = keys[t].Sign(Purpose::kTx, genesis_hash, headers[i % kMessagePool]);
    TRACERY_CHECK(s.size() == kEd25519SignatureSize);
  };
  auto verify = [&](int t, uint64_t i) {
    const size_t k = i % kMessagePool;
    TRACERY_CHECK(pubs[t].Verify(Purpose::kTx, genesis_hash, headers[k], sigs[k]));
  };
  auto pair = [&](int t, uint64_t i) {
    const std::string& h = headers[i % kMessagePool];
    std::string s = keys[t].Sign(Purpose::kTx, genesis_hash, h);
    TRACERY_CHECK(pubs[t].Verify(Purpose::kTx, genesis_hash, h, s));
  };
  std::fprintf(stderr, "micro: ed25519 sign\n");
  f.sign_1t = RatePerSecond(1, seconds, sign);
  f.sign_2t = RatePerSecond(2, seconds, sign);
  std::fprintf(stderr, "micro: ed25519 verify\n");
  f.verify_1t = RatePerSecond(1, seconds, verify);
  f.verify_2t = RatePerSecond(2, seconds, verify);
  std::fprintf(stderr, "micro: ed25519 sign+verify pairs\n");
  f.pairs_1t = RatePerSecond(1, seconds, pair);
  f.pairs_2t = RatePerSecond(2, seconds, pair);
  return f;
}

double MeasureSha256MbPerSecond(double seconds) {
  std::fprintf(stderr, "micro: sha256\n");
  const std::string buffer = RandomBytes(1 << 20);
  volatile uint8_t sink = 0;  // keeps the hash observable
  const double per_s = RatePerSecond(1, seconds, [&](int, uint64_t) { sink = Sha256(buffer)[0]; });
  (void)sink;
  return per_s * static_cast<double>(buffer.size()) / 1e6;
}

struct AppendFigures {
  double blocks_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double txs_per_s = 0;
  uint64_t blocks = 0;
};

// Blocks of `txs_per_block` signed transactions of one checkpoint each, appended to a ledger
// on disk: BuildBlock, the certificate signature and the synced Append are timed; signing the
// transactions (the writer's work) is done between timed sections.
AppendFigures MeasureBlockAppend(double seconds, uint32_t txs_per_block,
                                 const ledger::Genesis& genesis) {
  std::fprintf(stderr, "micro: block append, %u tx/block\n", txs_per_block);
  const PrivateKey key = ledger::testing::Key('a');
  TempDir dir("tracery-bench-append-");
  auto ledger = ledger::Ledger::Open(dir.path() + "/ledger", genesis);
  TRACERY_CHECK(ledger.ok());
  const uint64_t run = std::random_device{}();
  uint64_t serial = 0;
  std::vector<double> latencies_ms;
  double timed = 0;
  while (timed < seconds || latencies_ms.size() < 5) {
    std::vector<ledger::ParsedTx> txs;
    for (uint32_t i = 0; i < txs_per_block; ++i) {
      txs.push_back(BenchTx(genesis.hash(), "a", key, run, serial++, 1));
    }
    const auto t0 = Clock::now();
    ledger::BuiltBlock built = (*ledger)->BuildBlock(std::move(txs), "a-node", 0, 0);
    TRACERY_CHECK(built.rejected.empty());
    v1::CommitCertificate cert = SoloCertificate(built.block, "a-node", key, genesis.hash());
    Status st = (*ledger)->Append(built.block, &cert);
    TRACERY_CHECK(st.ok());
    const double s = SecondsSince(t0);
    timed += s;
    latencies_ms.push_back(s * 1e3);
  }
  AppendFigures f;
  f.blocks = latencies_ms.size();
  f.blocks_per_s = static_cast<double>(f.blocks) / timed;
  f.txs_per_s = f.blocks_per_s * txs_per_block;
  f.p50_ms = Percentile(latencies_ms, 0.50);
  f.p99_ms = Percentile(latencies_ms, 0.99);
  return f;
}

struct ProofFigures {
  uint64_t ledger_txs = 0;
  double generation_per_s = 0;
  double verification_per_s = 0;
  int certificate_signatures = 0;
  size_t proof_json_bytes = 0;
};

ProofFigures MeasureProofs(double seconds, const ledger::Genesis& genesis) {
  std::fprintf(stderr, "micro: building a ledger of 10,000 transactions for proofs\n");
  constexpr uint32_t kBlocks = 100;
  constexpr uint32_t kTxsPerBlock = 100;
  const PrivateKey key = ledger::testing::Key('a');
  TempDir dir("tracery-bench-proof-");
  auto ledger = ledger::Ledger::Open(dir.path() + "/ledger", genesis);
  TRACERY_CHECK(ledger.ok());
  const uint64_t run = std::random_device{}();
  std::vector<Hash32> ids;
  for (uint32_t b = 0; b < kBlocks; ++b) {
    std::vector<ledger::ParsedTx> txs;
    for (uint32_t i = 0; i < kTxsPerBlock; ++i) {
      txs.push_back(BenchTx(genesis.hash(), "a", key, run, ids.size() + i, 1));
    }
    for (const auto& tx : txs) ids.push_back(tx.id);
    ledger::BuiltBlock built = (*ledger)->BuildBlock(std::move(txs), "a-node", 0, 0);
    TRACERY_CHECK(built.rejected.empty());
    const v1::CommitCertificate cert =
        SoloCertificate(built.block, "a-node", key, genesis.hash());
    TRACERY_CHECK((*ledger)->Append(built.block, &cert).ok());
  }
  ProofFigures f;
  f.ledger_txs = ids.size();
  std::mt19937_64 rng(42);
  std::fprintf(stderr, "micro: proof generation\n");
  f.generation_per_s = RatePerSecond(1, seconds, [&](int, uint64_t) {
    auto proof = ledger::ProveTx(**ledger, ids[rng() % ids.size()]);
    TRACERY_CHECK(proof.ok());
  });
  std::vector<ledger::ProofBundle> proofs;
  for (size_t i = 0; i < kProofPool; ++i) {
    auto proof = ledger::ProveTx(**ledger, ids[rng() % ids.size()]);
    TRACERY_CHECK(proof.ok());
    proofs.push_back(std::move(proof).value());
  }
  f.certificate_signatures = proofs[0].certificate.signatures_size();
  f.proof_json_bytes = ledger::ProofToJson(proofs[0]).dump().size();
  std::fprintf(stderr, "micro: proof verification\n");
  f.verification_per_s = RatePerSecond(1, seconds, [&](int, uint64_t i) {
    auto verified = ledger::VerifyProof(proofs[i % proofs.size()], genesis);
    TRACERY_CHECK(verified.ok());
  });
  return f;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {"seconds"}, {}, kUsage);
  const double seconds = flags.Double("seconds", 1.5);
  if (!(seconds > 0)) {
    std::fprintf(stderr, "--seconds must be positive\n");
    return 2;
  }
  const ledger::Genesis genesis = ledger::testing::TestGenesis();
  const CryptoFigures c = MeasureEd25519(seconds, genesis.hash());
  const double sha_mb = MeasureSha256MbPerSecond(seconds);
  const AppendFigures a1 = MeasureBlockAppend(seconds, 1, genesis);
  const AppendFigures a100 = MeasureBlockAppend(seconds, 100, genesis);
  const ProofFigures p = MeasureProofs(seconds, genesis);
  const double bound = c.verify_1t / (1.0 + p.certificate_signatures);

  json out{
      {"seconds_per_figure", seconds},
      {"hardware_threads", std::thread::hardware_concurrency()},
      {"signed_message_bytes", c.signed_message_bytes},
      {"ed25519_sign_per_s_1t", c.sign_1t},
      {"ed25519_sign_per_s_2t", c.sign_2t},
      {"ed25519_verify_per_s_1t", c.verify_1t},
      {"ed25519_verify_per_s_2t", c.verify_2t},
      {"sign_verify_pairs_per_s_1t", c.pairs_1t},
      {"sign_verify_pairs_per_s_2t", c.pairs_2t},
      {"sha256_mb_per_s", sha_mb},
      {"block_append_synced_per_s", a1.blocks_per_s},
      {"block_append_p50_ms", a1.p50_ms},
      {"block_append_p99_ms", a1.p99_ms},
      {"block_append_blocks", a1.blocks},
      {"block_append_100tx_synced_per_s", a100.blocks_per_s},
      {"block_append_100tx_p50_ms", a100.p50_ms},
      {"block_append_100tx_p99_ms", a100.p99_ms},
      {"block_append_100tx_txs_per_s", a100.txs_per_s},
      {"block_append_100tx_blocks", a100.blocks},
      {"proof_ledger_txs", p.ledger_txs},
      {"proof_json_bytes", p.proof_json_bytes},
      {"proof_generation_per_s", p.generation_per_s},
      {"proof_verification_per_s", p.verification_per_s},
      {"proof_certificate_signatures", p.certificate_signatures},
      {"proof_verification_bound_per_s", bound},
      {"proof_verify_vs_bound", p.verification_per_s / bound},
  };
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

// The seed sweep: many seeded simulations of 3- and 5-node clusters under faults.
//   TRACERY_SIM_SEEDS=N  runs N seeds in total (default 2000), split over the shards below.
//   TRACERY_SIM_SEED=S   replays seed S alone (in shard 0) and prints its trace.
#include "tracery/consensus/sim.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tracery::consensus::sim {
namespace {

constexpr uint64_t kDefaultSeeds = 2000;
constexpr uint64_t kShards = 4;

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::strtoull(v, nullptr, 10);
}

void RunShard(uint64_t shard) {
  if (std::getenv("TRACERY_SIM_SEED") != nullptr) {
    if (shard != 0) GTEST_SKIP() << "replaying one seed in shard 0";
    SimOptions options;
    options.verbose = true;
    SimResult r = RunSeed(EnvU64("TRACERY_SIM_SEED", 1), options);
    std::printf("%s", r.report.c_str());
    EXPECT_TRUE(r.ok);
    return;
  }
  const uint64_t seeds = EnvU64("TRACERY_SIM_SEEDS", kDefaultSeeds);
  uint64_t runs = 0;
  uint64_t certified = 0;
  uint64_t catch_ups = 0;
  uint64_t crashes = 0;
  uint64_t height = 0;
  for (uint64_t seed = 1 + shard; seed <= seeds; seed += kShards) {
    SimResult r = RunSeed(seed);
    ASSERT_TRUE(r.ok) << r.report;
    runs += 1;
    certified += r.certified_blocks;
    catch_ups += r.catch_ups;
    crashes += r.crashes;
    height += r.committed_height;
  }
  std::printf(
      "shard %llu: %llu seeds, mean height %.1f, %llu certified applies, %llu catch-ups, "
      "%llu crashes\n",
      static_cast<unsigned long long>(shard), static_cast<unsigned long long>(runs),
      runs ? static_cast<double>(height) / static_cast<double>(runs) : 0.0,
      static_cast<unsigned long long>(certified), static_cast<unsigned long long>(catch_ups),
      static_cast<unsigned long long>(crashes));
  EXPECT_GT(certified, 0u);
}

TEST(RaftSim, Shard0) { RunShard(0); }
TEST(RaftSim, Shard1) { RunShard(1); }
TEST(RaftSim, Shard2) { RunShard(2); }
TEST(RaftSim, Shard3) { RunShard(3); }

}  // namespace
}  // namespace tracery::consensus::sim

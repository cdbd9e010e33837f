// Differential test: random supply chains (random_chain.h) are applied to a LotGraph block by
// block, and upstream, downstream and recall-exposure answers for many random identifiers and
// options are compared with the brute-force oracle (oracle.h).
//
// Seeds 1..3 run by default. TRACERY_LINEAGE_SEEDS=N runs seeds 1..N;
// TRACERY_LINEAGE_SEED=S runs seed S only (to replay a failure); TRACERY_LINEAGE_LOTS sets the
// lots per chain (default 2000).
#include <gtest/gtest.h>

#include <cstdlib>

#include "lineage_test_util.h"
#include "oracle.h"
#include "random_chain.h"
#include "tracery/lineage/graph.h"
#include "tracery/lineage/query.h"

namespace tracery::lineage::testing {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

Loc LocOf(const Lineage& l, uint32_t checkpoint) {
  if (checkpoint == kNone) return kNoLoc;
  const ledger::CheckpointLocation& c = l.checkpoints[checkpoint].location;
  return {static_cast<int64_t>(c.height), c.tx_position, c.checkpoint_index};
}

// The answer in the oracle's terms, after checking what the oracle does not model: node order,
// checkpoint order and the contents of each checkpoint reference. Half the traces are asked for
// nodes only; their edges are taken from the full answer to the same question.
TraceFacts Facts(const Result<Lineage>& r, const Oracle& oracle) {
  TraceFacts out;
  if (!r.ok()) {
    out.code = r.status().code();
    return out;
  }
  const Lineage& l = *r;
  EXPECT_EQ(l.nodes[0].depth, 0u);
  EXPECT_EQ(l.root, l.nodes[0].id);
  for (size_t i = 2; i < l.nodes.size(); ++i) EXPECT_LE(l.nodes[i - 1].depth, l.nodes[i].depth);
  EXPECT_FALSE(l.incomplete);
  for (size_t i = 0; i < l.checkpoints.size(); ++i) {
    const CheckpointRef& c = l.checkpoints[i];
    const Loc loc{static_cast<int64_t>(c.location.height), c.location.tx_position,
                  c.location.checkpoint_index};
    EXPECT_EQ(oracle.Describe(loc),
              std::make_tuple(std::string(c.event_id), c.event_time_ms, std::string(c.org)));
    if (i > 0) {
      EXPECT_LT(LocOf(l, static_cast<uint32_t>(i - 1)), loc);
    }
  }
  for (const LineageNode& n : l.nodes) {
    out.nodes[std::string(n.id)] = {n.depth, n.window.from_ms, n.window.to_ms};
  }
  for (const LineageEdge& e : l.edges) {
    out.edges.insert({static_cast<int>(e.kind), std::string(l.nodes[e.from].id),
                      std::string(l.nodes[e.to].id), e.start_ms, e.end_ms, LocOf(l, e.checkpoint),
                      LocOf(l, e.input_checkpoint), LocOf(l, e.end_checkpoint)});
  }
  out.depth_limited = l.depth_limited;
  for (uint32_t n : l.cycle_nodes) out.cycle_nodes.insert(std::string(l.nodes[n].id));
  EXPECT_EQ(l.cycle, !l.cycle_nodes.empty());
  return out;
}

ExposureFacts Facts(const Result<Exposure>& r, const Oracle& oracle) {
  ExposureFacts out;
  if (!r.ok()) {
    out.trace.code = r.status().code();
    return out;
  }
  const Exposure& x = *r;
  out.trace = Facts(Result<Lineage>(x.lineage), oracle);
  EXPECT_EQ(x.items.size(), x.lineage.nodes.size());
  for (size_t i = 0; i < x.items.size(); ++i) {
    const ExposedItem& item = x.items[i];
    EXPECT_EQ(item.node, i);
    const std::string id(x.lineage.nodes[item.node].id);
    for (uint32_t h : item.handoffs) {
      out.handoffs_by_node[id].insert(LocOf(x.lineage, x.handoffs[h].checkpoint));
    }
    if (item.disposition_checkpoint != kNone) {
      out.disposition_by_node[id] = {item.disposition,
                                     LocOf(x.lineage, item.disposition_checkpoint)};
    }
  }
  for (const Handoff& h : x.handoffs) {
    HandoffFacts f{h.biz_step, h.disposition, h.biz_location, h.biz_location_org, {}, {}};
    for (const PartyRef& p : h.sources) f.sources.push_back({p.type, p.id, p.org});
    for (const PartyRef& p : h.destinations) f.destinations.push_back({p.type, p.id, p.org});
    out.handoffs[LocOf(x.lineage, h.checkpoint)] = f;
  }
  out.receiving_locations = x.receiving_locations;
  out.receiving_orgs = x.receiving_orgs;
  return out;
}

std::string Describe(const TraceFacts& f) {
  std::string s = "code " + std::string(CodeName(f.code)) + ", " + std::to_string(f.nodes.size()) +
                  " nodes, " + std::to_string(f.edges.size()) + " edges, depth_limited " +
                  std::to_string(f.depth_limited) + ", " + std::to_string(f.cycle_nodes.size()) +
                  " on cycles\n";
  for (const auto& [id, n] : f.nodes) {
    s += "  " + id + " d" + std::to_string(n.depth) + " [" + std::to_string(n.lo) + "," +
         std::to_string(n.hi) + "]\n";
  }
  return s;
}

QueryOptions RandomOptions(Rng& rng, const RandomChain& chain) {
  QueryOptions o;
  static const uint32_t kDepths[] = {0, 1, 2, 3, 5, 8, 32, 200};
  o.max_depth = kDepths[rng.Below(8)];
  if (rng.Chance(10)) o.max_nodes = 1 + rng.Below(40);
  if (rng.Chance(5)) o.max_edges = rng.Below(40);
  if (rng.Chance(35)) {
    const int64_t span = chain.last_ms - chain.first_ms;
    const int64_t a = chain.first_ms + static_cast<int64_t>(rng.Below(span));
    const int64_t b = chain.first_ms + static_cast<int64_t>(rng.Below(span));
    o.window = {std::min(a, b), rng.Chance(20) ? kEndOfTime : std::max(a, b)};
  }
  return o;
}

void RunSeed(uint64_t seed, size_t lots) {
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (replay: TRACERY_LINEAGE_SEED=" + std::to_string(seed) + ")");
  const RandomChain chain = RandomChainBuilder(seed, lots).Build();
  BlockMaker maker;
  LotGraph graph;
  std::vector<OracleRecord> records;
  for (const std::vector<TxSpec>& spec : chain.blocks) {
    const ledger::ParsedBlock block = maker.Next(spec);
    ASSERT_TRUE(graph.ApplyBlock(block).ok());
    for (size_t t = 0; t < spec.size(); ++t) {
      for (size_t i = 0; i < spec[t].checkpoints.size(); ++i) {
        records.push_back(
            {spec[t].checkpoints[i],
             {block.header.height(), static_cast<uint32_t>(t), static_cast<uint32_t>(i)},
             spec[t].org});
      }
    }
  }
  const Oracle oracle(std::move(records));
  const GraphStats stats = graph.stats();
  EXPECT_GT(stats.withdrawn_events, 0u);

  Rng rng(seed * 7919 + 1);
  int compared = 0, nonempty = 0, cycles = 0, limited = 0, errors = 0;
  for (int q = 0; q < 300; ++q) {
    const std::string& id = rng.Chance(50) ? rng.Pick(chain.lots) : rng.Pick(chain.identifiers);
    const QueryOptions o = RandomOptions(rng, chain);
    if (q % 4 == 3) {
      ExposureOptions eo;
      eo.query = o;
      eo.orgs = &chain.orgs;
      if (rng.Chance(10)) eo.max_handoffs = rng.Below(10);
      const ExposureFacts got = Facts(RecallExposure(graph, id, eo), oracle);
      const ExposureFacts want = oracle.Exposure(id, eo);
      ASSERT_TRUE(got == want) << "exposure of " << id << "\ngot  " << Describe(got.trace)
                               << "want " << Describe(want.trace);
      continue;
    }
    const Direction dir = rng.Chance(50) ? Direction::kUpstream : Direction::kDownstream;
    const Result<Lineage> full = Trace(graph, id, dir, o);
    if (rng.Chance(50)) {
      QueryOptions lean = o;
      lean.nodes_only = true;
      const Result<Lineage> nodes = Trace(graph, id, dir, lean);
      ASSERT_EQ(nodes.ok(), full.ok());
      if (nodes.ok()) {
        EXPECT_TRUE(nodes->edges.empty() && nodes->checkpoints.empty());
        ASSERT_EQ(nodes->nodes.size(), full->nodes.size());
        for (size_t i = 0; i < nodes->nodes.size(); ++i) {
          EXPECT_EQ(nodes->nodes[i].id, full->nodes[i].id);
          EXPECT_EQ(nodes->nodes[i].window, full->nodes[i].window);
        }
        EXPECT_EQ(nodes->cycle_nodes, full->cycle_nodes);
        EXPECT_EQ(nodes->depth_limited, full->depth_limited);
      } else {
        EXPECT_EQ(nodes.status().code(), full.status().code());
      }
    }
    const TraceFacts got = Facts(full, oracle);
    const TraceFacts want = oracle.Trace(id, dir, o);
    ASSERT_TRUE(got == want) << DirectionName(dir) << " of " << id << " depth " << o.max_depth
                             << " window [" << o.window.from_ms << "," << o.window.to_ms
                             << "]\ngot  " << Describe(got) << "want " << Describe(want);
    ++compared;
    nonempty += got.nodes.size() > 1;
    cycles += !got.cycle_nodes.empty();
    limited += got.depth_limited;
    errors += got.code != Code::kOk;
  }
  // The chains must exercise what they are for.
  EXPECT_GT(nonempty, compared / 3);
  EXPECT_GT(limited, 0);
  EXPECT_GT(errors, 0);
  std::printf(
      "seed %llu: %zu blocks, %zu checkpoints, %llu nodes, %llu edges, %llu withdrawn; "
      "%d traces (%d non-trivial, %d with cycles, %d depth-limited, %d errors)\n",
      static_cast<unsigned long long>(seed), chain.blocks.size(), chain.checkpoints,
      static_cast<unsigned long long>(stats.nodes), static_cast<unsigned long long>(stats.edges),
      static_cast<unsigned long long>(stats.withdrawn_events), compared, nonempty, cycles, limited,
      errors);
}

TEST(LineageDifferentialTest, RandomChainsAgreeWithTheOracle) {
  const size_t lots = EnvOr("TRACERY_LINEAGE_LOTS", 2000);
  if (std::getenv("TRACERY_LINEAGE_SEED") != nullptr) {
    RunSeed(EnvOr("TRACERY_LINEAGE_SEED", 1), lots);
    return;
  }
  const uint64_t seeds = EnvOr("TRACERY_LINEAGE_SEEDS", 3);
  for (uint64_t seed = 1; seed <= seeds && !HasFatalFailure(); ++seed) RunSeed(seed, lots);
}

}  // namespace
}  // namespace tracery::lineage::testing

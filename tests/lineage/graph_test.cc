// Unit tests of the lot graph and its queries: each edge kind, containment intervals, the
// bridges between instances and lots, error declarations, limits and cycles.
#include "tracery/lineage/graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lineage_test_util.h"
#include "tracery/lineage/lot_keys.h"
#include "tracery/lineage/query.h"

namespace tracery::lineage {
namespace {

using namespace testing;  // NOLINT: the test helpers

const std::string kG1 = "09521234543213";
const std::string kG2 = "09521234543220";

// id → depth of an answer.
std::map<std::string, uint32_t> Depths(const Lineage& l) {
  std::map<std::string, uint32_t> out;
  for (const LineageNode& n : l.nodes) out[std::string(n.id)] = n.depth;
  return out;
}

// "from>to kind" of every edge.
std::multiset<std::string> EdgeSet(const Lineage& l) {
  std::multiset<std::string> out;
  for (const LineageEdge& e : l.edges) {
    out.insert(std::string(l.nodes[e.from].id) + ">" + std::string(l.nodes[e.to].id) + " " +
               EdgeKindName(e.kind));
  }
  return out;
}

const LineageNode* FindNode(const Lineage& l, const std::string& id) {
  for (const LineageNode& n : l.nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

class GraphTest : public ::testing::Test {
 protected:
  void Apply(const std::vector<v1::Checkpoint>& cps, const std::string& org = "a") {
    ASSERT_TRUE(graph_.ApplyBlock(blocks_.Next(cps, org)).ok());
  }
  Lineage Down(const std::string& id, QueryOptions o = {}) {
    auto r = Downstream(graph_, id, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : Lineage{};
  }
  Lineage Up(const std::string& id, QueryOptions o = {}) {
    auto r = Upstream(graph_, id, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : Lineage{};
  }
  Exposure Expose(const std::string& lot, ExposureOptions o = {}) {
    auto r = RecallExposure(graph_, lot, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : Exposure{};
  }

  BlockMaker blocks_;
  LotGraph graph_;
};

TEST(LotKeysTest, InstancesAndLots) {
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/10/LOT1/21/3333"),
            "https://id.gs1.org/01/09521234543213/10/LOT1");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/22/V1/10/L/21/9"),
            "https://id.gs1.org/01/09521234543213/22/V1/10/L");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/21/3333"), "");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/10/LOT1"), "");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/21/3/10/L"), "");  // order
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/10//21/3"), "");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/00/106141412345678908"), "");
  EXPECT_EQ(LotOfInstance("https://id.gs1.org/01/09521234543213/10/L/21/3?x=1"), "");
  EXPECT_EQ(LotOfInstance("urn:epc:id:sgtin:0614141.107346.2017"), "");

  EXPECT_EQ(LotOfInstanceWithLotNumber("https://id.gs1.org/01/09521234543213/21/3333", "L 7/a"),
            "https://id.gs1.org/01/09521234543213/10/L%207%2Fa");
  EXPECT_EQ(LotOfInstanceWithLotNumber("https://id.gs1.org/01/09521234543213/10/X/21/3", "Y"),
            "https://id.gs1.org/01/09521234543213/10/Y");
  EXPECT_EQ(LotOfInstanceWithLotNumber("https://id.gs1.org/01/09521234543213/21/3", ""), "");
  EXPECT_EQ(LotOfInstanceWithLotNumber("https://id.gs1.org/00/106141412345678908", "L"), "");
  EXPECT_EQ(DigitalLinkEscape("aZ09-._~%é/"), "aZ09-._~%25%C3%A9%2F");
}

TEST_F(GraphTest, TransformEdgesEveryInputToEveryOutput) {
  const std::string a = Lot(kG1, "A"), b = Item(kG1, "B"), x = Lot(kG2, "X"), y = Item(kG2, "Y");
  Apply({Transform("e1", 1000, {a, b}, {x, y})});
  const Lineage down = Down(a);
  EXPECT_EQ(Depths(down), (std::map<std::string, uint32_t>{{a, 0}, {x, 1}, {y, 1}}));
  EXPECT_EQ(EdgeSet(down),
            (std::multiset<std::string>{a + ">" + x + " transform", a + ">" + y + " transform"}));
  ASSERT_EQ(down.checkpoints.size(), 1u);
  EXPECT_EQ(down.checkpoints[0].event_id, "e1");
  EXPECT_EQ(down.checkpoints[0].event_time_ms, 1000);
  EXPECT_EQ(down.checkpoints[0].location.height, 1u);
  EXPECT_EQ(down.checkpoints[0].org, "a");
  EXPECT_EQ(down.edges[0].checkpoint, 0u);
  EXPECT_EQ(down.edges[0].input_checkpoint, kNone);
  EXPECT_FALSE(down.cycle);
  EXPECT_FALSE(down.depth_limited);

  const Lineage up = Up(y);
  EXPECT_EQ(Depths(up), (std::map<std::string, uint32_t>{{y, 0}, {a, 1}, {b, 1}}));
  // Edges keep their downstream orientation in an upstream answer.
  EXPECT_EQ(EdgeSet(up),
            (std::multiset<std::string>{a + ">" + y + " transform", b + ">" + y + " transform"}));
  EXPECT_EQ(up.direction, Direction::kUpstream);
}

TEST_F(GraphTest, TransformationIdJoinsEvents) {
  const std::string a = Lot(kG1, "A"), b = Lot(kG1, "B"), c = Lot(kG1, "C");
  const std::string x = Lot(kG2, "X"), y = Lot(kG2, "Y");
  Apply({Transform("in1", 1000, {a, b}, {}, "urn:uuid:t1")});
  Apply({Transform("out1", 2000, {}, {x, y}, "urn:uuid:t1")});
  Apply({Transform("in2", 3000, {c}, {}, "urn:uuid:t1")});
  Apply({Transform("other", 3000, {c}, {Lot(kG2, "Z")}, "urn:uuid:t2")});
  const Lineage up = Up(x);
  EXPECT_EQ(Depths(up), (std::map<std::string, uint32_t>{{x, 0}, {a, 1}, {b, 1}, {c, 1}}));
  for (const LineageEdge& e : up.edges) {
    // Each edge rests on the output's checkpoint, with the input's beside it.
    EXPECT_EQ(up.checkpoints[e.checkpoint].event_id, "out1");
    EXPECT_EQ(e.start_ms, 2000);
    ASSERT_NE(e.input_checkpoint, kNone);
    EXPECT_EQ(up.checkpoints[e.input_checkpoint].event_id,
              up.nodes[e.from].id == c ? "in2" : "in1");
  }
  EXPECT_EQ(Depths(Down(c)).count(y), 1u);
}

TEST_F(GraphTest, ContainmentIntervalsNarrowWhatAPalletCarried) {
  const std::string lot = Lot(kG1, "L1"), c = Item(kG1, "case1"), d = Item(kG1, "case2");
  const std::string p = Sscc("106141412345678908"), p2 = Sscc("106141412345678915");
  const std::string org_b = Gln("0614141000005");
  Apply({Commission("com", 50, {c}, "L1"), Aggregate("add", 100, "ADD", p, {c}),
         Move("ship1", 150, "shipping", {p}, Gln("0614141000012"), org_b, "in_transit"),
         Aggregate("del", 200, "DELETE", p, {c}), Aggregate("add-d", 220, "ADD", p, {d}),
         Move("ship2", 250, "shipping", {p}, Gln("0614141000012"), org_b, "in_transit"),
         Aggregate("add2", 300, "ADD", p2, {c}),
         Move("ship3", 350, "shipping", {p2}, Gln("0614141000012"), org_b)});
  const Lineage down = Down(lot);
  EXPECT_EQ(Depths(down), (std::map<std::string, uint32_t>{{lot, 0}, {c, 1}, {p, 2}, {p2, 2}}));
  EXPECT_EQ(FindNode(down, p)->window, (TimeWindow{100, 200}));
  EXPECT_EQ(FindNode(down, p2)->window, (TimeWindow{300, kEndOfTime}));

  OrgByLocation orgs{{org_b, "b"}};
  ExposureOptions eo;
  eo.orgs = &orgs;
  const Exposure ex = Expose(lot, eo);
  std::map<std::string, std::vector<std::string>> shipped;
  for (const ExposedItem& item : ex.items) {
    for (uint32_t h : item.handoffs) {
      shipped[std::string(ex.lineage.nodes[item.node].id)].push_back(
          std::string(ex.lineage.checkpoints[ex.handoffs[h].checkpoint].event_id));
    }
  }
  // ship2 carried the pallet after the case had left it.
  EXPECT_EQ(shipped,
            (std::map<std::string, std::vector<std::string>>{{p, {"ship1"}}, {p2, {"ship3"}}}));
  EXPECT_EQ(ex.receiving_orgs, std::vector<std::string>{"b"});
  EXPECT_EQ(ex.receiving_locations, std::vector<std::string>{org_b});
  EXPECT_EQ(ex.handoffs[0].destinations[0].org, "b");
  EXPECT_EQ(ex.handoffs[0].sources[0].org, "");

  // Upstream of the pallet: both cases it ever held.
  EXPECT_EQ(Depths(Up(p)).count(d), 1u);
  // Upstream of the pallet within [210, 260]: only the second case.
  QueryOptions o;
  o.window = {210, 260};
  const auto up = Depths(Up(p, o));
  EXPECT_EQ(up.count(d), 1u);
  EXPECT_EQ(up.count(c), 0u);
}

TEST_F(GraphTest, ContainmentFromOperationsArrivingOutOfOrder) {
  const std::string c = Item(kG1, "c"), p = Sscc("106141412345678908");
  Apply({Aggregate("del", 200, "DELETE", p, {c})});  // dated after the ADD that comes next
  EXPECT_TRUE(Down(c).edges.empty());
  Apply({Aggregate("add", 100, "ADD", p, {c})});
  const Lineage down = Down(c);
  ASSERT_EQ(down.edges.size(), 1u);
  EXPECT_EQ(down.edges[0].start_ms, 100);
  EXPECT_EQ(down.edges[0].end_ms, 200);
  EXPECT_EQ(down.checkpoints[down.edges[0].checkpoint].event_id, "add");
  EXPECT_EQ(down.checkpoints[down.edges[0].end_checkpoint].event_id, "del");
  // OBSERVE confirms (opens) containment too.
  Apply({Aggregate("obs", 400, "OBSERVE", p, {c})});
  EXPECT_EQ(Down(c).edges.size(), 2u);
}

TEST_F(GraphTest, DeleteWithoutChildrenEmptiesTheParent) {
  const std::string c1 = Item(kG1, "1"), c2 = Item(kG1, "2"), p = Sscc("106141412345678908");
  Apply({Aggregate("add", 100, "ADD", p, {c1, c2})});
  const v1::Checkpoint clear = Aggregate("clear", 200, "DELETE", p, {});
  Apply({clear});
  Apply({Aggregate("again", 300, "ADD", p, {c1})});
  const Lineage up = Up(p, {.window = {250, 260}});
  EXPECT_EQ(up.nodes.size(), 1u);  // empty between 200 and 300
  QueryOptions at_350;
  at_350.window = {350, 350};
  EXPECT_EQ(Depths(Up(p, at_350)), (std::map<std::string, uint32_t>{{p, 0}, {c1, 1}}));
  // Withdrawing the clear reopens both intervals.
  Apply({Declare(clear, 500)});
  EXPECT_EQ(Depths(Up(p, {.window = {250, 260}})).size(), 3u);
}

TEST_F(GraphTest, InstancesBridgeToTheirLots) {
  const std::string lot = Lot(kG1, "LOT1"), structural = Lot(kG1, "LOT1") + "/21/7";
  const std::string item = Item(kG1, "3333"), observed = Item(kG1, "4444");
  const std::string p = Sscc("106141412345678908");
  Apply({Commission("com", 10, {item}, "LOT1"),
         [&] {
           v1::Checkpoint cp = Commission("obs", 20, {observed}, "LOT1");
           cp.set_action("OBSERVE");  // only ADD binds a lot number
           return cp;
         }(),
         Aggregate("pack", 30, "ADD", p, {structural, item})});
  const Lineage down = Down(lot);
  EXPECT_EQ(Depths(down),
            (std::map<std::string, uint32_t>{{lot, 0}, {structural, 1}, {item, 1}, {p, 2}}));
  std::multiset<std::string> kinds;
  for (const LineageEdge& e : down.edges) kinds.insert(EdgeKindName(e.kind));
  EXPECT_EQ(kinds.count("member_of_lot"), 2u);
  for (const LineageEdge& e : down.edges) {
    if (e.kind == EdgeKind::kMemberOfLot && down.nodes[e.to].id == structural) {
      EXPECT_EQ(e.checkpoint, kNone);  // structural: no checkpoint states it
    }
  }
  // Upstream of the pallet reaches the lot through either item.
  EXPECT_EQ(Depths(Up(p))[lot], 2u);
  // A lot number with reserved characters is percent-encoded into the lot URI.
  Apply({Commission("com2", 40, {Item(kG2, "1")}, "A/B")});
  EXPECT_TRUE(graph_.FindNode(Lot(kG2, "A%2FB")).has_value());
}

TEST_F(GraphTest, ErrorDeclarationWithdrawsEarlierCheckpointsOfTheSameOrg) {
  const std::string a = Lot(kG1, "A"), x = Lot(kG1, "X"), y = Lot(kG1, "Y");
  const v1::Checkpoint wrong = Transform("ev1", 100, {a}, {x});
  Apply({wrong, Transform("ev2", 100, {a}, {y})});
  EXPECT_EQ(Depths(Down(a)).size(), 3u);
  // Another organisation cannot withdraw "a"'s event.
  Apply({Declare(wrong, 200)}, "b");
  EXPECT_EQ(Depths(Down(a)).size(), 3u);
  Apply({Declare(wrong, 200, {"ev3"}), Transform("ev3", 150, {a}, {Lot(kG1, "X2")})});
  EXPECT_EQ(Depths(Down(a)),
            (std::map<std::string, uint32_t>{{a, 0}, {y, 1}, {Lot(kG1, "X2"), 1}}));
  EXPECT_EQ(graph_.stats().withdrawn_events, 1u);
  // The same event id captured again after the declaration stands.
  Apply({Transform("ev1", 300, {a}, {x})});
  EXPECT_EQ(Depths(Down(a)).count(x), 1u);
}

TEST_F(GraphTest, ErrorDeclarationByClientEventId) {
  const std::string a = Lot(kG1, "A"), x = Lot(kG1, "X");
  v1::Checkpoint cp = Transform("ni:///sha-256;aa?ver=CBV2.0", 100, {a}, {x});
  cp.set_client_event_id("urn:uuid:1");
  Apply({cp});
  v1::Checkpoint decl = Declare(Transform("ni:///sha-256;bb?ver=CBV2.0", 100, {a}, {x}), 200);
  decl.set_client_event_id("urn:uuid:1");
  Apply({decl});
  EXPECT_EQ(Depths(Down(a)).size(), 1u);
}

TEST_F(GraphTest, WithdrawnAggregationAndHandoffAndDisposition) {
  const std::string c = Item(kG1, "c"), p = Sscc("106141412345678908");
  const v1::Checkpoint add = Aggregate("add", 100, "ADD", p, {c});
  const v1::Checkpoint recv = Move("recv", 300, "receiving", {c}, "", "", "recalled");
  Apply({add, Move("ship", 200, "shipping", {c}, "", Gln("0614141000005"), "in_transit"), recv});
  Exposure ex = Expose(c);
  EXPECT_EQ(ex.lineage.nodes.size(), 2u);
  EXPECT_EQ(ex.items[0].disposition, Disp("recalled"));
  EXPECT_EQ(ex.items[0].handoffs.size(), 2u);
  Apply({Declare(add, 400), Declare(recv, 400)});
  ex = Expose(c);
  EXPECT_EQ(ex.lineage.nodes.size(), 1u);
  EXPECT_EQ(ex.items[0].disposition, Disp("in_transit"));
  ASSERT_EQ(ex.items[0].handoffs.size(), 1u);
  EXPECT_EQ(ex.lineage.checkpoints[ex.handoffs[0].checkpoint].event_id, "ship");
}

TEST_F(GraphTest, DispositionIsTheLatestByEventTime) {
  const std::string c = Item(kG1, "c");
  Apply({Move("late", 500, "storing", {c}, "", "", "sellable_accessible"),
         Move("early", 100, "shipping", {c}, "", "", "in_transit")});
  EXPECT_EQ(Expose(c).items[0].disposition, Disp("sellable_accessible"));
}

TEST_F(GraphTest, HandoffsOfTransactionAndAggregationEvents) {
  const std::string c = Item(kG1, "c"), p = Sscc("106141412345678908");
  v1::Checkpoint tx = Base("tx", "TransactionEvent", 100);
  tx.set_action("ADD");
  tx.set_parent_id(p);
  tx.add_epc_list(c);
  tx.set_biz_step(BizStep("shipping"));
  v1::Checkpoint agg = Aggregate("agg", 110, "ADD", p, {c});
  agg.set_biz_step(BizStep("packing"));
  agg.add_destination_list()->set_id(Gln("0614141000005"));
  Apply({tx, agg, Move("inspect", 120, "inspecting", {p}, "", "")});
  const Exposure ex = Expose(c);
  ASSERT_EQ(ex.items.size(), 2u);
  EXPECT_EQ(ex.items[0].handoffs.size(), 2u);  // c: the transaction and the aggregation
  EXPECT_EQ(ex.items[1].handoffs.size(), 1u);  // p from 110 on: the aggregation only
}

TEST_F(GraphTest, CyclesTerminateAndAreReported) {
  const std::string a = Item(kG1, "a"), b = Item(kG1, "b"), c = Item(kG1, "c");
  Apply({Transform("r1", 100, {a}, {b}), Transform("r2", 200, {b}, {a}),
         Transform("r3", 300, {b}, {c}), Transform("self", 400, {c}, {c})});
  const Lineage down = Down(a);
  EXPECT_EQ(Depths(down), (std::map<std::string, uint32_t>{{a, 0}, {b, 1}, {c, 2}}));
  EXPECT_TRUE(down.cycle);
  std::set<std::string> on_cycle;
  for (uint32_t n : down.cycle_nodes) on_cycle.insert(std::string(down.nodes[n].id));
  EXPECT_EQ(on_cycle, (std::set<std::string>{a, b, c}));
  EXPECT_EQ(down.edges.size(), 4u);
  EXPECT_TRUE(Down(c).cycle);  // c's self-loop
}

TEST_F(GraphTest, DepthWindowAndLimits) {
  std::vector<std::string> chain;
  std::vector<v1::Checkpoint> cps;
  for (int i = 0; i < 6; ++i) chain.push_back(Lot(kG1, "L" + std::to_string(i)));
  for (int i = 0; i + 1 < 6; ++i) {
    cps.push_back(Transform("t" + std::to_string(i), 100 * (i + 1), {chain[i]}, {chain[i + 1]}));
  }
  Apply(cps);
  QueryOptions o;
  o.max_depth = 2;
  Lineage l = Down(chain[0], o);
  EXPECT_EQ(l.nodes.size(), 3u);
  EXPECT_TRUE(l.depth_limited);
  o.max_depth = 5;
  l = Down(chain[0], o);
  EXPECT_EQ(l.nodes.size(), 6u);
  EXPECT_FALSE(l.depth_limited);
  o.max_depth = 0;
  EXPECT_TRUE(Down(chain[0], o).depth_limited);

  // The window leaves out the transformation at 300, so the trace stops at L2.
  QueryOptions w;
  w.window = {0, 250};
  EXPECT_EQ(Down(chain[0], w).nodes.size(), 3u);

  QueryOptions small;
  small.max_nodes = 3;
  auto r = Downstream(graph_, chain[0], small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_nodes (3)"), std::string::npos);
  small.max_nodes = 100;
  small.max_edges = 2;
  r = Downstream(graph_, chain[0], small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("max_edges"), std::string::npos);

  QueryOptions bad;
  bad.max_depth = kMaxDepth + 1;
  EXPECT_EQ(Downstream(graph_, chain[0], bad).status().code(), Code::kInvalidArgument);
  EXPECT_NE(Downstream(graph_, chain[0], bad).status().message().find("kMaxDepth"),
            std::string::npos);
  bad = {};
  bad.window = {10, 5};
  EXPECT_EQ(Downstream(graph_, chain[0], bad).status().code(), Code::kInvalidArgument);
  bad = {};
  bad.max_nodes = kMaxNodes + 1;
  EXPECT_EQ(Downstream(graph_, chain[0], bad).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Downstream(graph_, "urn:unknown", {}).status().code(), Code::kNotFound);
  ExposureOptions eo;
  eo.max_handoffs = kMaxHandoffs + 1;
  EXPECT_EQ(RecallExposure(graph_, chain[0], eo).status().code(), Code::kInvalidArgument);
}

TEST_F(GraphTest, TooManyHandoffsIsResourceExhausted) {
  const std::string c = Item(kG1, "c");
  Apply({Move("s1", 1, "shipping", {c}, "", ""), Move("s2", 2, "shipping", {c}, "", "")});
  ExposureOptions eo;
  eo.max_handoffs = 1;
  auto r = RecallExposure(graph_, c, eo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_handoffs (1)"), std::string::npos);
}

TEST_F(GraphTest, TransformationOverTheEdgeLimitIsFlaggedIncomplete) {
  std::vector<std::string> inputs, outputs;
  for (int i = 0; i < 1001; ++i) inputs.push_back(Item(kG1, "i" + std::to_string(i)));
  for (int i = 0; i < 1000; ++i) outputs.push_back(Item(kG2, "o" + std::to_string(i)));
  Apply(
      {Transform("big", 1, inputs, outputs), Transform("small", 2, {inputs[0]}, {Lot(kG1, "S")})});
  EXPECT_EQ(graph_.stats().skipped_transformations, 1u);
  const Lineage down = Down(inputs[0]);
  EXPECT_EQ(down.nodes.size(), 2u);
  EXPECT_TRUE(down.incomplete);
  EXPECT_TRUE(down.nodes[0].incomplete);
}

TEST_F(GraphTest, BlockWithAnUnparsableCheckpointChangesNothing) {
  ledger::ParsedBlock b = blocks_.Next({Transform("t", 1, {Lot(kG1, "A")}, {Lot(kG1, "B")})});
  b.txs[0].tx.set_checkpoints(0, "\xff\xff not a checkpoint");
  const Status st = graph_.ApplyBlock(b);
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_EQ(graph_.stats().events, 0u);
  EXPECT_EQ(graph_.stats().nodes, 0u);
}

TEST(OrgsTest, ResolveWithAndWithoutExtension) {
  OrgByLocation orgs{{Gln("0614141000005"), "b"}};
  EXPECT_EQ(ResolveOrg(orgs, Gln("0614141000005")), "b");
  EXPECT_EQ(ResolveOrg(orgs, Gln("0614141000005") + "/254/12"), "b");
  EXPECT_EQ(ResolveOrg(orgs, Gln("0614141000012")), "");
  const OrgByLocation g = OrgsFromGenesis(ledger::testing::TestGenesis());
  EXPECT_EQ(ResolveOrg(g, "urn:epc:id:sgln:0614141.00001.0"), "a");
}

}  // namespace
}  // namespace tracery::lineage

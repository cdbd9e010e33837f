#include "tracery/scm_core/operations.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tracery/scm_core/anchoring_policy.h"
#include "tracery/scm_core/replenishment.h"

namespace tracery::scm_core {
namespace {

constexpr char kGtin[] = "00614141123452";
constexpr char kDc[] = "0614141000005";     // a distribution centre
constexpr char kStore[] = "0614141000012";  // a store
constexpr int64_t kDayMs = 86'400'000;

class FixedClock final : public Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  int64_t now_ms = 400 * kDayMs;
};

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("tracery-scm-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    ops_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    ops_.reset();
    auto r = Operations::Open(dir_.string(), &clock_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ops_ = std::move(r).value();
  }
  void Stock(const std::string& lot, int64_t units, const std::string& gln = kDc) {
    ASSERT_TRUE(ops_->ApplyMovements({{MovementKind::kReceipt, kGtin, gln, lot,
                                       Quantity::Units(units), clock_.now_ms, "receipt-" + lot}})
                    .ok());
  }
  Order SalesOrder(const std::string& id, int64_t units) {
    Order o;
    o.id = id;
    o.kind = OrderKind::kSales;
    o.ship_from = kDc;
    o.ship_to = kStore;
    o.lines.push_back({.line_number = "1", .gtin = kGtin, .quantity = Quantity::Units(units), .unit = "EA"});
    return o;
  }

  std::filesystem::path dir_;
  FixedClock clock_;
  std::unique_ptr<Operations> ops_;
};

TEST_F(OperationsTest, APositionAddsUpItsLots) {
  Stock("L1", 100);
  Stock("L2", 50);
  InventoryPosition p = ops_->Position(kGtin, kDc);
  EXPECT_EQ(p.on_hand, Quantity::Units(150));
  EXPECT_EQ(p.Sellable(), Quantity::Units(150));
  EXPECT_EQ(ops_->Position(kGtin, kStore).on_hand, Quantity{});
}

TEST_F(OperationsTest, AMovementBelowZeroIsRefusedAndChangesNothing) {
  Stock("L1", 10);
  Status s = ops_->ApplyMovements(
      {{MovementKind::kReceipt, kGtin, kDc, "L2", Quantity::Units(5), 0, "r"},
       {MovementKind::kShipment, kGtin, kDc, "L1", Quantity::Units(-11), 0, "s"}});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("only 10 on hand"), std::string::npos) << s.message();
  EXPECT_EQ(ops_->Position(kGtin, kDc).on_hand, Quantity::Units(10));  // L2 not received either
}

TEST_F(OperationsTest, SalesOrdersAllocateFirstExpiryFirstAndReportShortLines) {
  Stock("LATE", 100);
  Stock("EARLY", 30);
  ASSERT_TRUE(ops_->SetLotExpiry(kGtin, "EARLY", "2027-01-01").ok());
  ASSERT_TRUE(ops_->SetLotExpiry(kGtin, "LATE", "2027-06-01").ok());
  auto r = ops_->AddOrder(SalesOrder("SO-1", 50));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].lot_number, "EARLY");
  EXPECT_EQ(r->allocations[0].quantity, Quantity::Units(30));
  EXPECT_EQ(r->allocations[1].lot_number, "LATE");
  EXPECT_EQ(r->allocations[1].quantity, Quantity::Units(20));
  EXPECT_TRUE(r->short_lines.empty());
  EXPECT_EQ(ops_->Position(kGtin, kDc).allocated, Quantity::Units(50));
  EXPECT_EQ(ops_->Position(kGtin, kDc).Sellable(), Quantity::Units(80));

  auto second = ops_->AddOrder(SalesOrder("SO-2", 100));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->short_lines.size(), 1u);
  EXPECT_EQ(second->short_lines[0].quantity, Quantity::Units(20));  // only 80 were free
  EXPECT_EQ(ops_->AddOrder(SalesOrder("SO-1", 1)).status().code(), Code::kAlreadyExists);
}

TEST_F(OperationsTest, AHoldMovesTheLotFromSellableToOnHoldAndHoldsItsAllocations) {
  Stock("L1", 100);
  Stock("L2", 100);
  ASSERT_TRUE(ops_->AddOrder(SalesOrder("SO-1", 40)).ok());  // from L1 (same expiry: by name)
  InventoryPosition before = ops_->Position(kGtin, kDc);
  EXPECT_EQ(before.Sellable(), Quantity::Units(160));

  auto hold = ops_->PlaceHold(kGtin, "L1", "", "temperature_excursion", "node:acme");
  ASSERT_TRUE(hold.ok()) << hold.status().ToString();
  InventoryPosition held = ops_->Position(kGtin, kDc);
  EXPECT_EQ(held.on_hold, Quantity::Units(100));
  EXPECT_EQ(held.allocated, Quantity{});  // SO-1's allocation is held, not counted twice
  EXPECT_EQ(held.Sellable(), Quantity::Units(100));
  auto allocs = ops_->Allocations("SO-1");
  ASSERT_EQ(allocs.size(), 1u);
  EXPECT_TRUE(allocs[0].held);
  // A new order cannot take held stock.
  auto r = ops_->AddOrder(SalesOrder("SO-2", 150));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->short_lines.at(0).quantity, Quantity::Units(50));

  auto released = ops_->ReleaseHold(hold->id, "qa:alice", "inspected: within tolerance");
  ASSERT_TRUE(released.ok());
  EXPECT_FALSE(released->Active());
  EXPECT_EQ(ops_->ReleaseHold(hold->id, "qa:alice", "again").status().code(),
            Code::kFailedPrecondition);
  EXPECT_FALSE(ops_->Allocations("SO-1").at(0).held);
  EXPECT_EQ(ops_->Position(kGtin, kDc).on_hold, Quantity{});
}

TEST_F(OperationsTest, EverythingSurvivesAReopen) {
  Stock("L1", 100);
  ASSERT_TRUE(ops_->UpsertMasterData({{kGtin, "Frozen peas 1kg", "EA"}},
                                     {{kDc, "DC North", {"1 Dock Rd", "Leeds", "", "LS1", "GB"}}},
                                     {{"C-7", PartyRole::kCustomer, "Corner Shop", kStore}})
                  .ok());
  ASSERT_TRUE(ops_->AddOrder(SalesOrder("SO-1", 10)).ok());
  auto hold = ops_->PlaceHold(kGtin, "L1", kDc, "inspection", "qa:bob");
  ASSERT_TRUE(hold.ok());
  ExceptionRecord e;
  e.type = "temperature_excursion";
  e.gtin = kGtin;
  e.lot_number = "L1";
  ASSERT_TRUE(ops_->RaiseException(e).ok());
  ASSERT_TRUE(ops_->ApplyMovements({{MovementKind::kShipment, kGtin, kDc, "L1",
                                     Quantity::Units(-5), clock_.now_ms - 3 * kDayMs, "SO-1"}})
                  .ok());
  Reopen();
  EXPECT_EQ(ops_->GetItem(kGtin)->description, "Frozen peas 1kg");
  EXPECT_EQ(ops_->GetLocation(kDc)->address.city, "Leeds");
  EXPECT_EQ(ops_->Parties().at(0).gln, kStore);
  EXPECT_EQ(ops_->Holds(true).at(0).id, hold->id);
  EXPECT_EQ(ops_->Exceptions(true).at(0).type, "temperature_excursion");
  InventoryPosition p = ops_->Position(kGtin, kDc);
  EXPECT_EQ(p.on_hand, Quantity::Units(95));
  EXPECT_EQ(p.on_hold, Quantity::Units(95));
  // The shipment consumed 5 of SO-1's allocation of 10.
  EXPECT_EQ(ops_->Allocations("SO-1").at(0).quantity, Quantity::Units(5));
  // Ids keep counting after a reopen.
  auto next = ops_->PlaceHold(kGtin, "L9", "", "recall", "qa:bob");
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next->id, hold->id);
  // The shipment is demand in the period before the current one.
  auto history = ops_->DemandHistory(kGtin, kDc, 12);
  ASSERT_EQ(history.size(), 12u);
  EXPECT_EQ(history.back(), Quantity::Units(5));
}

TEST_F(OperationsTest, ARecallReachesTheShipmentsAndOrdersOfItsLots) {
  Stock("L1", 100);
  Stock("L2", 100);
  ASSERT_TRUE(ops_->AddOrder(SalesOrder("SO-1", 10)).ok());  // allocated from L1
  Order po;
  po.id = "PO-9";
  po.lines.push_back({.line_number = "1", .gtin = kGtin, .quantity = Quantity::Units(5), .unit = "EA"});
  ASSERT_TRUE(ops_->AddOrder(po).ok());
  Shipment asn;
  asn.id = "ASN-1";
  asn.order_ids = {"PO-9"};
  asn.lines.push_back({.gtin = kGtin, .lot_number = "L2", .quantity = Quantity::Units(5), .unit = "EA"});
  ASSERT_TRUE(ops_->AddShipment(asn).ok());

  OwnExposure l1 = ops_->Exposed({{kGtin, "L1"}});
  EXPECT_TRUE(l1.shipments.empty());
  ASSERT_EQ(l1.orders.size(), 1u);
  EXPECT_EQ(l1.orders[0].id, "SO-1");
  OwnExposure l2 = ops_->Exposed({{kGtin, "L2"}});
  ASSERT_EQ(l2.shipments.size(), 1u);
  ASSERT_EQ(l2.orders.size(), 1u);
  EXPECT_EQ(l2.orders[0].id, "PO-9");
  EXPECT_EQ(ops_->Exposed({{kGtin, ""}}).orders.size(), 2u);  // every lot of the GTIN
  EXPECT_TRUE(ops_->Exposed({{"00614141999993", "L1"}}).orders.empty());
}

TEST_F(OperationsTest, BadInputIsRefusedNamingTheField) {
  EXPECT_EQ(ops_->PlaceHold("00614141123453", "L1", "", "x", "y").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ops_->PlaceHold(kGtin, "", "", "x", "y").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ops_->UpsertMasterData({{"123", "", ""}}, {}, {}).code(), Code::kInvalidArgument);
  EXPECT_EQ(ops_->ReleaseHold("hold-404", "a", "b").status().code(), Code::kNotFound);
  Order empty;
  empty.id = "PO-0";
  EXPECT_EQ(ops_->AddOrder(empty).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(ops_->Orders(std::nullopt).empty());
}

TEST(Replenishment, NormalQuantileMatchesTables) {
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.95), 1.6448536269514722, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.99), 2.3263478740408408, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.01), -2.3263478740408408, 1e-8);
}

TEST(Replenishment, OrderUpToLevelFromTheDemandHistory) {
  // Demand 10, 14 alternating: mean 12, sample stddev ~2.0889.
  std::vector<Quantity> history;
  for (int i = 0; i < 12; ++i) history.push_back(Quantity::Units(i % 2 == 0 ? 10 : 14));
  ReplenishmentRequest req;
  req.gtin = kGtin;
  req.gln = kDc;
  req.lead_time_periods = 2;
  req.review_periods = 1;
  req.horizon_periods = 4;
  req.service_target = 0.95;
  InventoryPosition pos{kGtin, kDc, Quantity::Units(30), {}, {}};
  auto rec = RecommendReplenishment(req, history, pos);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  // S = 12·3 + 1.6449·2.0889·√3 = 36 + 5.951 = 41.95 → 42
  EXPECT_EQ(rec->order_up_to_level, Quantity::Units(42));
  EXPECT_NEAR(rec->mean_demand, 12.0, 1e-9);
  EXPECT_NEAR(rec->stddev_demand, 2.0889, 1e-4);
  ASSERT_EQ(rec->orders.size(), 4u);
  EXPECT_EQ(rec->orders[0].quantity, Quantity::Units(12));  // 42 − 30
  EXPECT_EQ(rec->orders[1].quantity, Quantity::Units(12));  // μ·R
  // A hold on 20 units lowers the position and raises the order now.
  pos.on_hold = Quantity::Units(20);
  auto held = RecommendReplenishment(req, history, pos);
  EXPECT_EQ(held->orders[0].quantity, Quantity::Units(32));
  // Multiples and minimums.
  req.order_multiple = Quantity::Units(24);
  req.min_order_quantity = Quantity::Units(48);
  auto cases = RecommendReplenishment(req, history, pos);
  EXPECT_EQ(cases->orders[0].quantity, Quantity::Units(48));
  req.service_target = 1.0;
  EXPECT_EQ(RecommendReplenishment(req, history, pos).status().code(), Code::kInvalidArgument);
}

TEST(AnchoringPolicy, AlwaysAnchorsLineageAndHandOffsAndSelectsTheRest) {
  auto p = AnchoringPolicy::Select({"inspecting", "urn:epcglobal:cbv:bizstep:holding"},
                                   {"recalled"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Decide("TransformationEvent", "", "").anchor);
  EXPECT_TRUE(p->Decide("AggregationEvent", "packing", "").anchor);
  EXPECT_TRUE(p->Decide("ObjectEvent", "https://ref.gs1.org/cbv/BizStep-shipping", "").anchor);
  EXPECT_TRUE(p->Decide("ObjectEvent", "receiving", "").anchor);
  EXPECT_TRUE(p->Decide("ObjectEvent", "urn:epcglobal:cbv:bizstep:inspecting", "").anchor);
  EXPECT_TRUE(p->Decide("ObjectEvent", "holding", "").anchor);
  EXPECT_TRUE(p->Decide("ObjectEvent", "storing", "recalled").anchor);
  auto no = p->Decide("ObjectEvent", "sensor_reporting", "in_progress");
  EXPECT_FALSE(no.anchor);
  EXPECT_EQ(no.reason, "not selected: kept off-chain");
  EXPECT_EQ(p->Decide("ObjectEvent", "holding", "").reason, "selected: bizStep holding");
  EXPECT_TRUE(AnchoringPolicy::AnchorAll().Decide("ObjectEvent", "storing", "").anchor);
  EXPECT_EQ(AnchoringPolicy::Select({"inspectin"}, {}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tracery::scm_core

#include "tracery/scm_core/stock_effects.h"

#include <gtest/gtest.h>

#include "tracery/epcis/document.h"

namespace tracery::scm_core {
namespace {

constexpr char kDc[] = "0614141000005";

v1::Checkpoint CheckpointOf(const std::string& event_json) {
  epcis::Problem problem;
  auto event = epcis::ParseEvent(event_json, epcis::Binding::kJson, &problem);
  EXPECT_TRUE(event.ok()) << problem.ToString();
  auto cp = epcis::EventToCheckpoint(*event);
  EXPECT_TRUE(cp.ok()) << cp.status().ToString();
  return *cp;
}

bool Own(const std::string& gln) { return gln == kDc; }

TEST(StockEffects, ReceivingAddsLotsAndInstancesAtTheOwnLocation) {
  auto cp = CheckpointOf(R"({
    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
    "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+00:00",
    "bizLocation": {"id": "urn:epc:id:sgln:0614141.00000.0"},
    "epcList": ["urn:epc:id:sgtin:0614141.112345.400"],
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.112345.LOT%2F7", "quantity": 12.5,
                      "uom": "KGM"}]})");
  auto moves = StockEffects(cp, Own);
  ASSERT_TRUE(moves.ok()) << moves.status().ToString();
  ASSERT_EQ(moves->size(), 2u);
  EXPECT_EQ((*moves)[0].gtin, "10614141123459");  // indicator digit 1 of the item reference
  EXPECT_EQ((*moves)[0].gln, kDc);
  EXPECT_EQ((*moves)[0].quantity, Quantity::Units(1));
  EXPECT_EQ((*moves)[1].lot_number, "LOT/7");
  EXPECT_EQ((*moves)[1].quantity, *Quantity::Parse("12.5"));
  EXPECT_EQ((*moves)[1].kind, MovementKind::kReceipt);
  EXPECT_EQ((*moves)[1].reference, cp.event_id());
}

TEST(StockEffects, ShippingSubtractsAsDemandAndOtherLocationsMoveNothing) {
  std::string shipping = R"({
    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
    "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+00:00",
    "readPoint": {"id": "https://id.gs1.org/414/0614141000005"},
    "quantityList": [{"epcClass": "https://id.gs1.org/01/00614141123452/10/L1", "quantity": 40}]})";
  auto moves = StockEffects(CheckpointOf(shipping), Own);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 1u);
  EXPECT_EQ((*moves)[0].kind, MovementKind::kShipment);
  EXPECT_EQ((*moves)[0].quantity, Quantity::Units(-40));
  auto elsewhere = StockEffects(CheckpointOf(shipping), [](const std::string&) { return false; });
  EXPECT_TRUE(elsewhere->empty());
}

TEST(StockEffects, TransformationConsumesInputsAndProducesOutputs) {
  auto moves = StockEffects(CheckpointOf(R"({
    "type": "TransformationEvent", "eventTime": "2026-11-20T08:00:00Z",
    "eventTimeZoneOffset": "+00:00", "bizLocation": {"id": "https://id.gs1.org/414/0614141000005"},
    "inputQuantityList": [{"epcClass": "https://id.gs1.org/01/00614141123452/10/RAW", "quantity": 100, "uom": "KGM"}],
    "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/00614141123452/10/FIN", "quantity": 80, "uom": "KGM"}]})"),
                            Own);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 2u);
  EXPECT_EQ((*moves)[0].kind, MovementKind::kConsumption);
  EXPECT_EQ((*moves)[0].quantity, Quantity::Units(-100));
  EXPECT_EQ((*moves)[1].lot_number, "FIN");
  EXPECT_EQ((*moves)[1].quantity, Quantity::Units(80));
}

TEST(StockEffects, ObservingMovesNothing) {
  auto moves = StockEffects(CheckpointOf(R"({
    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting",
    "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+00:00",
    "bizLocation": {"id": "https://id.gs1.org/414/0614141000005"},
    "epcList": ["https://id.gs1.org/01/00614141123452/21/9"]})"),
                            Own);
  ASSERT_TRUE(moves.ok());
  EXPECT_TRUE(moves->empty());
}

}  // namespace
}  // namespace tracery::scm_core

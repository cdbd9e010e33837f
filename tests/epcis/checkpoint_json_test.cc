#include "tracery/epcis/checkpoint_json.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"

namespace tracery::epcis {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kEventId[] =
    "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0";

// The first event of GS1's EPCIS 2.0 example 9.6.1 (Example_9.6.1-ObjectEvent.jsonld), typed
// in by hand with the members a checkpoint carries.
constexpr char kExample961[] = R"({
  "eventID": "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0",
  "type": "ObjectEvent",
  "action": "OBSERVE",
  "bizStep": "shipping",
  "disposition": "in_transit",
  "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
  "eventTime": "2005-04-03T20:33:31.116000-06:00",
  "eventTimeZoneOffset": "-06:00",
  "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
  "bizTransactionList": [
    {"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}]
})";

// A valid ObjectEvent with only the required members.
json Minimal() {
  return json{{"eventID", kEventId},
              {"type", "ObjectEvent"},
              {"action", "ADD"},
              {"eventTime", "2024-01-02T03:04:05.678Z"}};
}

v1::Checkpoint Parsed(const json& j) {
  auto r = CheckpointFromJson(j);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << j.dump();
  return r.ok() ? *r : v1::Checkpoint();
}

Status ErrorOf(const json& j) {
  auto r = CheckpointFromJson(j);
  EXPECT_FALSE(r.ok()) << j.dump();
  return r.ok() ? Status::Ok() : r.status();
}

std::string Hex(const std::string& bytes) { return HexEncode(bytes); }

// ---------------------------------------------------------------------------------------------

TEST(CheckpointJsonTest, ParsesTheGs1Example961FirstEvent) {
  const json j = json::parse(kExample961);
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(c.schema_version(), 1u);
  EXPECT_EQ(c.event_id(), kEventId);
  EXPECT_EQ(c.type(), "ObjectEvent");
  EXPECT_EQ(c.action(), "OBSERVE");
  EXPECT_EQ(c.biz_step(), "https://ref.gs1.org/cbv/BizStep-shipping");
  EXPECT_EQ(c.disposition(), "https://ref.gs1.org/cbv/Disp-in_transit");
  // 2005-04-03T20:33:31.116-06:00 is 2005-04-04T02:33:31.116Z.
  EXPECT_EQ(c.event_time_ms(), 1112582011116);
  EXPECT_EQ(c.event_time_zone_offset_minutes(), -360);
  EXPECT_EQ(c.read_point(), "urn:epc:id:sgln:0614141.07346.1234");
  EXPECT_EQ(c.biz_location(), "");
  ASSERT_EQ(c.epc_list_size(), 2);
  EXPECT_EQ(c.epc_list(0), "urn:epc:id:sgtin:0614141.107346.2017");
  EXPECT_EQ(c.epc_list(1), "urn:epc:id:sgtin:0614141.107346.2018");
  ASSERT_EQ(c.biz_transaction_list_size(), 1);
  EXPECT_EQ(c.biz_transaction_list(0).type(), "https://ref.gs1.org/cbv/BTT-po");
  EXPECT_EQ(c.biz_transaction_list(0).id(), "http://transaction.acme.com/po/12345678");
  EXPECT_EQ(c.quantity_list_size(), 0);
  // SHA-256 of the compact, key-sorted serialisation, computed independently (Python:
  // json.dumps(sort_keys=True, separators=(',', ':'))).
  EXPECT_EQ(Hex(c.payload_hash()),
            "13a6235b46c9c8ca921709d0d88986930d54beef0289cd93dfbd764e4433af05");

  const json out = CheckpointToJson(c);
  EXPECT_EQ(out["eventTime"], "2005-04-04T02:33:31.116Z");
  EXPECT_EQ(out["eventTimeZoneOffset"], "-06:00");
  EXPECT_EQ(out["bizStep"], "https://ref.gs1.org/cbv/BizStep-shipping");
  EXPECT_EQ(out["readPoint"], (json{{"id", "urn:epc:id:sgln:0614141.07346.1234"}}));
  EXPECT_EQ(out["bizTransactionList"], json::parse(R"([{"type": "https://ref.gs1.org/cbv/BTT-po",
                             "bizTransaction": "http://transaction.acme.com/po/12345678"}])"));
  EXPECT_EQ(out["payloadHash"], "13a6235b46c9c8ca921709d0d88986930d54beef0289cd93dfbd764e4433af05");
  EXPECT_FALSE(out.contains("bizLocation"));
  EXPECT_FALSE(out.contains("quantityList"));
}

// ---------------------------------------------------------------------------------------------
// Round trip.

v1::Checkpoint FullTransformation() {
  v1::Checkpoint c;
  c.set_schema_version(1);
  c.set_event_id("urn:uuid:7c3a4c8e-1b7e-4d4f-9b1a-2f6a1e0c9d11");
  c.set_type("TransformationEvent");
  c.set_biz_step("https://ref.gs1.org/cbv/BizStep-commissioning");
  c.set_disposition("http://example.com/disp/blended");
  c.set_event_time_ms(1'700'000'000'123);
  c.set_event_time_zone_offset_minutes(330);
  c.set_read_point("urn:epc:id:sgln:4012345.00001.0");
  c.set_biz_location("https://id.gs1.org/414/4012345000016");
  c.add_input_epc_list("urn:epc:id:sgtin:4012345.011122.25");
  c.add_input_epc_list("urn:epc:id:sgtin:4012345.011122.26");
  auto* q = c.add_input_quantity_list();
  q->set_epc_class("urn:epc:class:lgtin:4012345.011111.4444");
  q->set_quantity("10");
  q->set_uom("KGM");
  q = c.add_input_quantity_list();
  q->set_epc_class("urn:epc:idpat:sgtin:4012345.066666.*");
  q->set_quantity("0.25");
  q->set_uom("LTR");
  q = c.add_input_quantity_list();
  q->set_epc_class("urn:epc:class:lgtin:4012345.011111.5555");  // no quantity, no uom
  c.add_output_epc_list("urn:epc:id:sgtin:4012345.077889.25");
  q = c.add_output_quantity_list();
  q->set_epc_class("urn:epc:class:lgtin:4012345.077889.999");
  q->set_quantity("1e-07");
  auto* t = c.add_source_list();
  t->set_type("https://ref.gs1.org/cbv/SDT-owning_party");
  t->set_id("urn:epc:id:pgln:4012345.00001");
  t = c.add_destination_list();
  t->set_type("https://ref.gs1.org/cbv/SDT-location");
  t->set_id("urn:epc:id:sgln:0614141.00777.0");
  t = c.add_biz_transaction_list();
  t->set_type("https://ref.gs1.org/cbv/BTT-prodorder");
  t->set_id("urn:epcglobal:cbv:bt:4012345000009:ABC");
  t = c.add_biz_transaction_list();
  t->set_id("http://example.com/bt/no-type");
  c.set_payload_hash(HashBytes(Sha256("payload")));
  return c;
}

v1::Checkpoint FullAggregation() {
  v1::Checkpoint c;
  c.set_schema_version(1);
  c.set_event_id(kEventId);
  c.set_type("AggregationEvent");
  c.set_action("ADD");
  c.set_biz_step("https://ref.gs1.org/cbv/BizStep-packing");
  c.set_disposition("https://ref.gs1.org/cbv/Disp-in_progress");
  c.set_event_time_ms(-86'400'000);  // before the epoch
  c.set_event_time_zone_offset_minutes(-600);
  c.set_parent_id("urn:epc:id:sscc:0614141.1234567890");
  c.add_child_epcs("urn:epc:id:sgtin:0614141.107346.2017");
  auto* q = c.add_child_quantity_list();
  q->set_epc_class("urn:epc:idpat:sgtin:4012345.098765.*");
  q->set_quantity("10");
  c.set_payload_hash(std::string(32, '\xab'));
  return c;
}

v1::Checkpoint FullTransaction() {
  v1::Checkpoint c;
  c.set_schema_version(1);
  c.set_event_id("https://example.com/events/42");
  c.set_type("TransactionEvent");
  c.set_action("DELETE");
  c.set_event_time_ms(0);
  c.set_parent_id("urn:epc:id:sscc:0614141.0000000001");
  c.add_epc_list("urn:epc:id:sgtin:0614141.107346.2017");
  auto* q = c.add_quantity_list();
  q->set_epc_class("urn:epc:class:lgtin:4012345.012345.998877");
  q->set_quantity("200.5");
  q->set_uom("KGM");
  c.set_payload_hash(std::string(32, '\x01'));
  return c;
}

v1::Checkpoint FullAssociation() {
  v1::Checkpoint c;
  c.set_schema_version(1);
  c.set_event_id(kEventId);
  c.set_type("AssociationEvent");
  c.set_action("OBSERVE");
  c.set_event_time_ms(1'600'000'000'000);
  c.set_parent_id("urn:epc:id:grai:4012345.55555.987");
  c.add_child_epcs("urn:epc:id:giai:4000001.12345");
  c.set_payload_hash(std::string(32, '\0'));
  return c;
}

TEST(CheckpointJsonTest, RoundTripsEveryEventType) {
  for (const v1::Checkpoint& c : {FullTransformation(), FullAggregation(), FullTransaction(),
                                  FullAssociation(), Parsed(json::parse(kExample961))}) {
    SCOPED_TRACE(c.type());
    const json j = CheckpointToJson(c);
    auto back = CheckpointFromJson(j);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << j.dump(2);
    std::string diff;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(c, *back)) << diff;
    EXPECT_EQ(back->SerializeAsString(), c.SerializeAsString());
    // Also through text, as the HTTP API sees it.
    auto text = CheckpointsFromJsonText(j.dump(), 1);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(text->at(0).SerializeAsString(), c.SerializeAsString());
  }
}

TEST(CheckpointJsonTest, WritesEpcisNamesAndOmitsEmptyFields) {
  const json j = CheckpointToJson(FullTransformation());
  EXPECT_EQ(j, json::parse(R"({
    "eventID": "urn:uuid:7c3a4c8e-1b7e-4d4f-9b1a-2f6a1e0c9d11",
    "type": "TransformationEvent",
    "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
    "disposition": "http://example.com/disp/blended",
    "eventTime": "2023-11-14T22:13:20.123Z",
    "eventTimeZoneOffset": "+05:30",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    "bizLocation": {"id": "https://id.gs1.org/414/4012345000016"},
    "inputEPCList": ["urn:epc:id:sgtin:4012345.011122.25", "urn:epc:id:sgtin:4012345.011122.26"],
    "inputQuantityList": [
      {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": 10, "uom": "KGM"},
      {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 0.25, "uom": "LTR"},
      {"epcClass": "urn:epc:class:lgtin:4012345.011111.5555"}],
    "outputEPCList": ["urn:epc:id:sgtin:4012345.077889.25"],
    "outputQuantityList": [
      {"epcClass": "urn:epc:class:lgtin:4012345.077889.999", "quantity": 1e-07}],
    "sourceList": [{"type": "https://ref.gs1.org/cbv/SDT-owning_party",
                    "source": "urn:epc:id:pgln:4012345.00001"}],
    "destinationList": [{"type": "https://ref.gs1.org/cbv/SDT-location",
                         "destination": "urn:epc:id:sgln:0614141.00777.0"}],
    "bizTransactionList": [
      {"type": "https://ref.gs1.org/cbv/BTT-prodorder",
       "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:ABC"},
      {"bizTransaction": "http://example.com/bt/no-type"}],
    "payloadHash": "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5"
  })"));
  EXPECT_EQ(HexEncode(HashBytes(Sha256("payload"))),
            "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5");

  json minimal = CheckpointToJson(Parsed(Minimal()));
  std::vector<std::string> keys;
  for (auto it = minimal.begin(); it != minimal.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"action", "eventID", "eventTime", "eventTimeZoneOffset",
                                            "payloadHash", "type"}));
  EXPECT_EQ(minimal["eventTimeZoneOffset"], "+00:00");
}

// ---------------------------------------------------------------------------------------------
// Required members, types and members per event type.

TEST(CheckpointJsonTest, MinimalCheckpointParses) {
  v1::Checkpoint c = Parsed(Minimal());
  EXPECT_EQ(c.action(), "ADD");
  EXPECT_EQ(c.event_time_ms(), 1704164645678);
  EXPECT_EQ(c.event_time_zone_offset_minutes(), 0);
  EXPECT_EQ(c.payload_hash().size(), 32u);
}

TEST(CheckpointJsonTest, EachRequiredMemberMissingIsRefused) {
  for (const char* name : {"eventID", "type", "action", "eventTime"}) {
    json j = Minimal();
    j.erase(name);
    Status s = ErrorOf(j);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << name;
    EXPECT_THAT(s.message(), StartsWith(std::string(name) + ": required")) << name;
  }
}

TEST(CheckpointJsonTest, ActionIsRequiredExceptForTransformationWhereItMustBeAbsent) {
  json j = Minimal();
  j["type"] = "TransformationEvent";
  EXPECT_EQ(ErrorOf(j).message(), "action: not a field of TransformationEvent");
  j.erase("action");
  EXPECT_EQ(Parsed(j).action(), "");

  for (const char* type : {"AggregationEvent", "TransactionEvent", "AssociationEvent"}) {
    json k = Minimal();
    k["type"] = type;
    k.erase("action");
    EXPECT_EQ(ErrorOf(k).message(), std::string("action: required for ") + type);
  }
  json bad = Minimal();
  bad["action"] = "UPDATE";
  EXPECT_THAT(ErrorOf(bad).message(), StartsWith("action: must be ADD, OBSERVE or DELETE"));
  bad["action"] = "add";
  EXPECT_THAT(ErrorOf(bad).message(), StartsWith("action: must be ADD, OBSERVE or DELETE"));
}

TEST(CheckpointJsonTest, TypeMustBeAnEpcisEventType) {
  json j = Minimal();
  j["type"] = "SensorEvent";
  EXPECT_THAT(ErrorOf(j).message(), StartsWith("type: must be ObjectEvent, AggregationEvent"));
  j["type"] = "objectevent";
  EXPECT_THAT(ErrorOf(j).message(), StartsWith("type: must be"));
}

TEST(CheckpointJsonTest, RefusesUnknownMembersAndAllowsContext) {
  json j = Minimal();
  j["foo"] = 1;
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "checkpoint: unknown member 'foo'");

  json k = Minimal();
  k["@context"] = json::parse(
      R"(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
          {"example": "http://ns.example.com/epcis/"}])");
  v1::Checkpoint with_context = Parsed(k);
  v1::Checkpoint without_context = Parsed(Minimal());
  // "@context" is ignored except that it is part of the hashed payload.
  EXPECT_NE(with_context.payload_hash(), without_context.payload_hash());
  with_context.clear_payload_hash();
  without_context.clear_payload_hash();
  EXPECT_EQ(with_context.SerializeAsString(), without_context.SerializeAsString());

  json nested = Minimal();
  nested["readPoint"] = {{"id", "urn:epc:id:sgln:0614141.07346.1234"}, {"extra", 1}};
  EXPECT_EQ(ErrorOf(nested).message(), "readPoint: unknown member 'extra'");
  json quantity = Minimal();
  quantity["quantityList"] = json::parse(R"([{"epcClass": "urn:x", "qty": 1}])");
  EXPECT_EQ(ErrorOf(quantity).message(), "quantityList[0]: unknown member 'qty'");
}

TEST(CheckpointJsonTest, RefusesMembersOfAnotherEventType) {
  struct Case {
    const char* type;
    const char* member;
    json value;
  };
  const Case cases[] = {
      {"ObjectEvent", "parentID", "urn:epc:id:sscc:0614141.1234567890"},
      {"ObjectEvent", "childEPCs", json::array()},
      {"ObjectEvent", "inputEPCList", json::array()},
      {"AggregationEvent", "epcList", json::array()},
      {"AggregationEvent", "quantityList", json::array()},
      {"TransactionEvent", "childEPCs", json::array()},
      {"TransformationEvent", "parentID", "urn:epc:id:sscc:0614141.1234567890"},
      {"TransformationEvent", "epcList", json::array()},
      {"AssociationEvent", "outputQuantityList", json::array()},
  };
  for (const Case& c : cases) {
    json j = Minimal();
    j["type"] = c.type;
    if (std::string(c.type) == "TransformationEvent") j.erase("action");
    j[c.member] = c.value;
    EXPECT_EQ(ErrorOf(j).message(), std::string(c.member) + ": not a field of " + c.type);
  }
}

TEST(CheckpointJsonTest, WrongJsonTypesAreRefusedNamingTheField) {
  struct Case {
    const char* member;
    json value;
    const char* message;
  };
  const Case cases[] = {
      {"eventID", 7, "eventID: expected a string"},
      {"type", json::array(), "type: expected a string"},
      {"action", true, "action: expected a string"},
      {"bizStep", 3, "bizStep: expected a string"},
      {"disposition", nullptr, "disposition: expected a string"},
      {"eventTime", 1700000000, "eventTime: expected a string"},
      {"eventTimeZoneOffset", -360, "eventTimeZoneOffset: expected a string"},
      {"readPoint", 5, "readPoint: expected an object {\"id\": ...} or a string"},
      {"readPoint", json::object(), "readPoint.id: required"},
      {"bizLocation", {{"id", 5}}, "bizLocation.id: expected a string"},
      {"epcList", "urn:epc:id:sgtin:0614141.107346.2017", "epcList: expected an array"},
      {"epcList", {"urn:a", "urn:b", "urn:c", 4}, "epcList[3]: expected a string"},
      {"quantityList", json::array({"urn:a"}),
       "quantityList[0]: expected an object {\"epcClass\": ...}"},
      {"quantityList", json::parse(R"([{"epcClass": 1}])"),
       "quantityList[0].epcClass: expected a string"},
      {"quantityList", json::parse(R"([{"quantity": 1}])"), "quantityList[0].epcClass: required"},
      {"quantityList", json::parse(R"([{"epcClass": "urn:a", "quantity": true}])"),
       "quantityList[0].quantity: expected a number or a decimal string"},
      {"quantityList", json::parse(R"([{"epcClass": "urn:a", "quantity": 1, "uom": 5}])"),
       "quantityList[0].uom: expected a string"},
      {"sourceList", json::parse(R"([{"type": "owning_party", "source": 5}])"),
       "sourceList[0].source: expected a string"},
      {"sourceList", json::parse(R"([{"source": "urn:a"}])"), "sourceList[0].type: required"},
      {"destinationList", json::parse(R"([{"type": "location"}])"),
       "destinationList[0].destination: required"},
      {"destinationList", json::parse(R"([{"type": 1, "destination": "urn:a"}])"),
       "destinationList[0].type: expected a string"},
      {"bizTransactionList", json::parse(R"([{"type": "po"}])"),
       "bizTransactionList[0].bizTransaction: required"},
      {"bizTransactionList", json::parse(R"(["urn:a"])"),
       "bizTransactionList[0]: expected an object"},
      {"payloadHash", 5, "payloadHash: expected a string"},
  };
  for (const Case& c : cases) {
    json j = Minimal();
    j[c.member] = c.value;
    Status s = ErrorOf(j);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
  EXPECT_EQ(ErrorOf(json::array()).message(), "checkpoint: expected a JSON object");
  EXPECT_EQ(ErrorOf("text").message(), "checkpoint: expected a JSON object");
}

TEST(CheckpointJsonTest, EmptyOrSpacedIdentifiersAreRefused) {
  json j = Minimal();
  j["epcList"] = {"urn:a", ""};
  EXPECT_EQ(ErrorOf(j).message(), "epcList[1]: must not be empty");
  j["epcList"] = {"urn:epc:id:sgtin:0614141.107346 .2017"};
  EXPECT_EQ(ErrorOf(j).message(), "epcList[0]: must not contain spaces or control characters");
  json k = Minimal();
  k["readPoint"] = "";
  EXPECT_EQ(ErrorOf(k).message(), "readPoint: must not be empty");
}

// ---------------------------------------------------------------------------------------------
// CBV values, eventID, time, payload hash.

TEST(CheckpointJsonTest, NormalizesCbvValuesEverywhere) {
  json j = json::parse(R"({
    "eventID": "urn:uuid:1", "type": "ObjectEvent", "action": "OBSERVE",
    "eventTime": "2024-01-02T03:04:05Z",
    "bizStep": "urn:epcglobal:cbv:bizstep:receiving",
    "disposition": "https://ref.gs1.org/cbv/Disp-sellable_accessible",
    "sourceList": [{"type": "urn:epcglobal:cbv:sdt:possessing_party", "source": "urn:a"},
                   {"type": "http://example.com/sdt/broker", "source": "urn:b"}],
    "destinationList": [{"type": "location", "destination": "urn:c"}],
    "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:d"}]
  })");
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(c.biz_step(), "https://ref.gs1.org/cbv/BizStep-receiving");
  EXPECT_EQ(c.disposition(), "https://ref.gs1.org/cbv/Disp-sellable_accessible");
  EXPECT_EQ(c.source_list(0).type(), "https://ref.gs1.org/cbv/SDT-possessing_party");
  EXPECT_EQ(c.source_list(1).type(), "http://example.com/sdt/broker");
  EXPECT_EQ(c.destination_list(0).type(), "https://ref.gs1.org/cbv/SDT-location");
  EXPECT_EQ(c.biz_transaction_list(0).type(), "https://ref.gs1.org/cbv/BTT-desadv");
}

TEST(CheckpointJsonTest, UnknownCbvValuesAreRefusedWithThePath) {
  json j = Minimal();
  j["bizStep"] = "shiping";
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(
      s.message(),
      "bizStep: 'shiping' is not a CBV 2.0 business step; write a URI for a user-defined one");

  json k = Minimal();
  k["disposition"] = "shipping";  // a business step, not a disposition
  EXPECT_THAT(ErrorOf(k).message(),
              StartsWith("disposition: 'shipping' is not a CBV 2.0 disposition"));

  json l = Minimal();
  l["sourceList"] = json::parse(R"([{"type": "owner", "source": "urn:a"}])");
  EXPECT_THAT(ErrorOf(l).message(),
              StartsWith("sourceList[0].type: 'owner' is not a CBV 2.0 source/destination type"));

  json m = Minimal();
  m["bizTransactionList"] = json::parse(R"([{"type": "order", "bizTransaction": "urn:a"}])");
  EXPECT_THAT(ErrorOf(m).message(),
              StartsWith("bizTransactionList[0].type: 'order' is not a CBV 2.0 business "
                         "transaction type"));
  json n = Minimal();
  n["bizStep"] = "";
  EXPECT_EQ(ErrorOf(n).message(), "bizStep: must not be empty");
}

TEST(CheckpointJsonTest, EventIdMustBeAUri) {
  const std::string hex(64, 'a');
  for (const std::string& ok :
       {std::string(kEventId), "ni:///sha-256;" + hex + "?ver=CBV2.0",
        std::string("urn:uuid:6f1c0f8e-2d5a-4c43-9f0e-0b1b7e2c3d4e"),
        std::string("https://example.com/event/1"), std::string("http://example.com/e")}) {
    json j = Minimal();
    j["eventID"] = ok;
    EXPECT_EQ(Parsed(j).event_id(), ok);
  }
  for (const std::string& bad :
       {std::string(""), std::string("event-1"), std::string("ftp://example.com/e"),
        std::string("urn:"), "ni:///sha-256;" + std::string(64, 'A') + "?ver=CBV2.0",
        "ni:///sha-256;" + hex, "ni:///sha-256;" + hex.substr(1) + "?ver=CBV2.0",
        "ni:///sha-512;" + hex + "?ver=CBV2.0", std::string("urn:uuid:with space")}) {
    json j = Minimal();
    j["eventID"] = bad;
    Status s = ErrorOf(j);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), StartsWith("eventID: ")) << bad;
  }
}

TEST(CheckpointJsonTest, EventTimeAndOffset) {
  json j = Minimal();
  j["eventTime"] = "2005-04-03T20:33:31.116-06:00";
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(c.event_time_ms(), 1112582011116);
  EXPECT_EQ(c.event_time_zone_offset_minutes(), -360);

  // eventTimeZoneOffset overrides the offset eventTime was written with; the instant stays.
  j["eventTimeZoneOffset"] = "+01:00";
  c = Parsed(j);
  EXPECT_EQ(c.event_time_ms(), 1112582011116);
  EXPECT_EQ(c.event_time_zone_offset_minutes(), 60);

  json no_offset = Minimal();
  no_offset["eventTime"] = "2005-04-03T20:33:31";
  EXPECT_THAT(ErrorOf(no_offset).message(), StartsWith("eventTime: not an RFC 3339 time"));
  json bad_offset = Minimal();
  bad_offset["eventTimeZoneOffset"] = "+1:00";
  EXPECT_THAT(ErrorOf(bad_offset).message(), StartsWith("eventTimeZoneOffset: "));
  json long_time = Minimal();
  long_time["eventTime"] = std::string(100000, '1');
  EXPECT_EQ(ErrorOf(long_time).message(), "eventTime: not an RFC 3339 time");
}

TEST(CheckpointJsonTest, PayloadHashGivenOrComputed) {
  const std::string hex = "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";
  json j = Minimal();
  j["payloadHash"] = hex;
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(Hex(c.payload_hash()),
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  EXPECT_EQ(CheckpointToJson(c)["payloadHash"],
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

  for (const std::string& bad : {hex.substr(1), hex + "0", "zz" + hex.substr(2), std::string()}) {
    json k = Minimal();
    k["payloadHash"] = bad;
    EXPECT_THAT(ErrorOf(k).message(), StartsWith("payloadHash: ")) << bad;
  }

  // Absent: SHA-256 of the compact key-sorted dump, independent of member order and spacing.
  const json minimal = Minimal();
  EXPECT_EQ(Parsed(minimal).payload_hash(), HashBytes(Sha256(minimal.dump())));
  auto a = CheckpointsFromJsonText(
      R"({"eventID": "urn:uuid:1", "type": "ObjectEvent", "action": "ADD",
          "eventTime": "2024-01-02T03:04:05Z"})",
      1);
  auto b = CheckpointsFromJsonText(R"({"eventTime":"2024-01-02T03:04:05Z","action":"ADD",)"
                                   R"("type":"ObjectEvent","eventID":"urn:uuid:1"})",
                                   1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->at(0).payload_hash(), b->at(0).payload_hash());
  EXPECT_EQ(Hex(a->at(0).payload_hash()),
            HashHex(Sha256(R"({"action":"ADD","eventID":"urn:uuid:1",)"
                           R"("eventTime":"2024-01-02T03:04:05Z","type":"ObjectEvent"})")));
}

// ---------------------------------------------------------------------------------------------
// Quantities.

std::string QuantityOf(const json& value) {
  json j = Minimal();
  j["quantityList"] = json::array(
      {json{{"epcClass", "urn:epc:class:lgtin:4012345.012345.1"}, {"quantity", value}}});
  auto r = CheckpointFromJson(j);
  EXPECT_TRUE(r.ok()) << value.dump() << ": " << r.status().ToString();
  return r.ok() ? r->quantity_list(0).quantity() : "";
}

Status QuantityError(const json& value) {
  json j = Minimal();
  j["quantityList"] = json::array(
      {json{{"epcClass", "urn:epc:class:lgtin:4012345.012345.1"}, {"quantity", value}}});
  return ErrorOf(j);
}

TEST(CheckpointJsonTest, QuantitiesAreCanonicalDecimalStrings) {
  const std::pair<json, const char*> cases[] = {
      {200, "200"},
      {200.0, "200"},
      {"200", "200"},
      {"200.000", "200"},
      {"007", "7"},
      {0, "0"},
      {-0.0, "0"},
      {"0", "0"},
      {0.1, "0.1"},
      {"0.10", "0.1"},
      {12.5, "12.5"},
      {"1e3", "1000"},
      {"1e15", "1000000000000000"},
      {1e15 + 1, "1000000000000001"},
      {"1.5E2", "150"},
      {"2.5e-1", "0.25"},
      {1e-7, "1e-07"},
      {"0.3333333333333333333333", "0.3333333333333333"},
      {json::parse("1.10"), "1.1"},
      {json::parse("9007199254740991"), "9007199254740991"},
      {4503599627370495.5, "4503599627370495.5"},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(QuantityOf(value), expected) << value.dump();
  }
}

TEST(CheckpointJsonTest, RefusesNegativeNonFiniteAndMalformedQuantities) {
  for (const json& value : {json(-1), json(-0.5), json("-1"), json("-0")}) {
    Status s = QuantityError(value);
    EXPECT_EQ(s.message(), "quantityList[0].quantity: must not be negative") << value.dump();
  }
  for (const json& value : {json(std::numeric_limits<double>::infinity()),
                            json(std::numeric_limits<double>::quiet_NaN())}) {
    EXPECT_EQ(QuantityError(value).message(), "quantityList[0].quantity: must be a finite number");
  }
  for (const char* text :
       {"", "abc", "1.", ".5", " 1", "1 ", "+1", "0x10", "inf", "nan", "1e", "1,5", "1.5.2"}) {
    Status s = QuantityError(text);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << text;
    EXPECT_THAT(s.message(), StartsWith("quantityList[0].quantity: not a decimal number")) << text;
  }
  EXPECT_THAT(QuantityError("1e999").message(),
              StartsWith("quantityList[0].quantity: out of range"));
  for (const json& value : {json::parse("9007199254740992"), json(1e300), json("1e20")}) {
    Status s = QuantityError(value);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << value.dump();
    EXPECT_THAT(s.message(), HasSubstr("kMaxQuantity")) << value.dump();
  }
}

TEST(CheckpointJsonTest, QuantityAndUomAreOptionalButUomNeedsAQuantity) {
  json j = Minimal();
  j["quantityList"] = json::parse(R"([
    {"epcClass": "urn:epc:class:lgtin:4012345.012345.1"},
    {"epcClass": "urn:epc:class:lgtin:4012345.012345.2", "quantity": 3},
    {"epcClass": "urn:epc:class:lgtin:4012345.012345.3", "quantity": "2.5", "uom": "KGM"}])");
  v1::Checkpoint c = Parsed(j);
  ASSERT_EQ(c.quantity_list_size(), 3);
  EXPECT_EQ(c.quantity_list(0).quantity(), "");
  EXPECT_EQ(c.quantity_list(0).uom(), "");
  EXPECT_EQ(c.quantity_list(1).quantity(), "3");
  EXPECT_EQ(c.quantity_list(2).quantity(), "2.5");
  EXPECT_EQ(c.quantity_list(2).uom(), "KGM");

  json k = Minimal();
  k["quantityList"] = json::parse(R"([{"epcClass": "urn:a", "uom": "KGM"}])");
  EXPECT_EQ(ErrorOf(k).message(), "quantityList[0].uom: given without a quantity");
  k["quantityList"] = json::parse(R"([{"epcClass": "urn:a", "quantity": 1, "uom": "kg"}])");
  EXPECT_THAT(ErrorOf(k).message(), StartsWith("quantityList[0].uom: expected a UN/ECE"));
}

// ---------------------------------------------------------------------------------------------
// Limits.

TEST(CheckpointJsonTest, ListEntryLimit) {
  json j = Minimal();
  j["epcList"] = json::array();
  for (size_t i = 0; i < kMaxListEntries; ++i) {
    j["epcList"].push_back("urn:epc:id:sgtin:0614141.107346." + std::to_string(i));
  }
  EXPECT_EQ(Parsed(j).epc_list_size(), static_cast<int>(kMaxListEntries));
  j["epcList"].push_back("urn:epc:id:sgtin:0614141.107346.x");
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "epcList: 10001 entries exceed the limit of 10000 (kMaxListEntries)");

  json k = Minimal();
  k["sourceList"] = json::array();
  for (size_t i = 0; i <= kMaxListEntries; ++i) {
    k["sourceList"].push_back({{"type", "location"}, {"source", "urn:a"}});
  }
  EXPECT_THAT(ErrorOf(k).message(), StartsWith("sourceList: 10001 entries exceed the limit"));
}

TEST(CheckpointJsonTest, IdentifierLengthLimit) {
  const std::string prefix = "urn:epc:id:sgtin:";
  json j = Minimal();
  j["epcList"] = {prefix + std::string(kMaxIdentifierBytes - prefix.size(), '1')};
  EXPECT_EQ(Parsed(j).epc_list(0).size(), kMaxIdentifierBytes);
  j["epcList"] = {prefix + std::string(kMaxIdentifierBytes + 1 - prefix.size(), '1')};
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "epcList[0]: 2049 bytes exceed the limit of 2048 bytes per identifier "
            "(kMaxIdentifierBytes)");
  for (const char* member : {"eventID", "parentID", "bizStep"}) {
    json k = Minimal();
    if (std::string(member) == "parentID") k["type"] = "AggregationEvent";
    k[member] = "urn:" + std::string(kMaxIdentifierBytes, 'x');
    Status t = ErrorOf(k);
    EXPECT_EQ(t.code(), Code::kInvalidArgument) << member;
    EXPECT_THAT(t.message(), StartsWith(std::string(member) + ": 2052 bytes exceed")) << member;
  }
}

TEST(CheckpointJsonTest, SerialisedSizeLimit) {
  // 600 EPCs of 2,000 bytes: every list and identifier is within its limit, the whole is not.
  json j = Minimal();
  j["epcList"] = json::array();
  for (int i = 0; i < 600; ++i) {
    j["epcList"].push_back("urn:epc:id:sgtin:" + std::to_string(i) + std::string(1980, '0'));
  }
  ASSERT_GT(j.dump().size(), kMaxCheckpointJsonBytes);
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), StartsWith("checkpoint: "));
  EXPECT_THAT(s.message(), HasSubstr("kMaxCheckpointJsonBytes"));

  j["epcList"].erase(j["epcList"].begin() + 500, j["epcList"].end());
  ASSERT_LT(j.dump().size(), kMaxCheckpointJsonBytes);
  EXPECT_EQ(Parsed(j).epc_list_size(), 500);
}

TEST(CheckpointJsonTest, NestingDepthLimit) {
  json deep = "x";
  for (size_t i = 0; i < kMaxJsonDepth + 5; ++i) deep = json::array({deep});
  json j = Minimal();
  j["@context"] = deep;
  Status s = ErrorOf(j);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), StartsWith("checkpoint: nesting deeper than 64"));

  std::string text = R"({"eventID": "urn:uuid:1", "type": "ObjectEvent", "action": "ADD",
                         "eventTime": "2024-01-02T03:04:05Z", "@context": )";
  text += std::string(200000, '[') + std::string(200000, ']') + "}";
  auto r = CheckpointsFromJsonText(text, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("body: nesting deeper than 64"));
}

// ---------------------------------------------------------------------------------------------
// Request bodies.

TEST(CheckpointJsonTest, TextHoldsOneObjectOrAnArray) {
  auto one = CheckpointsFromJsonText(kExample961, 10);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->at(0).event_id(), kEventId);

  const std::string two = std::string("[") + kExample961 + "," + Minimal().dump() + "]";
  auto both = CheckpointsFromJsonText(two, 2);
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ(both->at(0).type(), "ObjectEvent");
  EXPECT_EQ(both->at(1).action(), "ADD");
  // Each element is hashed on its own, exactly as CheckpointFromJson would.
  EXPECT_EQ(both->at(1).payload_hash(), Parsed(Minimal()).payload_hash());

  auto over = CheckpointsFromJsonText(two, 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(over.status().message(), "body: 2 checkpoints exceed the limit of 1 per request");

  auto empty = CheckpointsFromJsonText("[]", 10);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "body: expected at least one checkpoint");

  for (const char* text : {"5", "\"x\"", "null", "true"}) {
    auto r = CheckpointsFromJsonText(text, 10);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().message(), "body: expected a checkpoint object or an array") << text;
  }
}

TEST(CheckpointJsonTest, TextErrorsNameTheElementAndTheParsePosition) {
  json bad = Minimal();
  bad["epcList"] = {"urn:a", 5};
  const std::string text = "[" + Minimal().dump() + "," + bad.dump() + "]";
  auto r = CheckpointsFromJsonText(text, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[1].epcList[1]: expected a string");

  json unknown = Minimal();
  unknown["foo"] = 1;
  r = CheckpointsFromJsonText("[" + unknown.dump() + "]", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[0]: unknown member 'foo'");

  r = CheckpointsFromJsonText("[1]", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "[0]: expected a JSON object");

  r = CheckpointsFromJsonText(R"({"eventID": "urn:a", "type": })", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith("body: not valid JSON at byte 30: "));

  r = CheckpointsFromJsonText("", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("body: not valid JSON at byte 1: "));

  r = CheckpointsFromJsonText("{\"eventID\": \"urn:\xff\"}", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("body: not valid JSON at byte "));
}

TEST(CheckpointJsonTest, TextWithADuplicateMemberIsRefused) {
  auto r = CheckpointsFromJsonText(
      R"({"eventID": "urn:uuid:1", "type": "ObjectEvent", "action": "ADD",
          "eventTime": "2024-01-02T03:04:05Z", "action": "DELETE"})",
      1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "body: duplicate member 'action' in an object");

  // Equal keys in different objects are fine.
  auto ok = CheckpointsFromJsonText(
      R"({"eventID": "urn:uuid:1", "type": "ObjectEvent", "action": "ADD",
          "eventTime": "2024-01-02T03:04:05Z",
          "sourceList": [{"type": "location", "source": "urn:a"},
                         {"type": "location", "source": "urn:b"}]})",
      1);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(CheckpointJsonTest, ReadPointAndBizLocationAcceptAPlainString) {
  json j = Minimal();
  j["readPoint"] = "urn:epc:id:sgln:0614141.07346.1234";
  j["bizLocation"] = "urn:epc:id:sgln:0614141.07346.0";
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(c.read_point(), "urn:epc:id:sgln:0614141.07346.1234");
  EXPECT_EQ(c.biz_location(), "urn:epc:id:sgln:0614141.07346.0");
  const json out = CheckpointToJson(c);
  EXPECT_EQ(out["readPoint"], (json{{"id", "urn:epc:id:sgln:0614141.07346.1234"}}));
  EXPECT_EQ(out["bizLocation"], (json{{"id", "urn:epc:id:sgln:0614141.07346.0"}}));
}

TEST(CheckpointJsonTest, EventLinksRoundTrip) {
  json j = Minimal();
  j["type"] = "TransformationEvent";
  j.erase("action");
  j["clientEventID"] = "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f";
  j["errorDeclaration"] = {
      {"declarationTime", "2024-01-03T00:00:00+01:00"},
      {"reason", "incorrect_data"},
      {"correctiveEventIDs", {"urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"}}};
  j["lotNumber"] = "LOT-7";
  j["transformationID"] = "https://id.gs1.org/253/40123455555541234";
  v1::Checkpoint c = Parsed(j);
  EXPECT_EQ(c.client_event_id(), "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f");
  EXPECT_EQ(c.error_declaration().declaration_time_ms(), 1704236400000);
  EXPECT_EQ(c.error_declaration().reason(), "https://ref.gs1.org/cbv/ER-incorrect_data");
  EXPECT_EQ(c.error_declaration().corrective_event_ids_size(), 1);
  EXPECT_EQ(c.lot_number(), "LOT-7");
  EXPECT_EQ(c.transformation_id(), "https://id.gs1.org/253/40123455555541234");
  const json out = CheckpointToJson(c);
  EXPECT_EQ(out["errorDeclaration"]["declarationTime"], "2024-01-02T23:00:00.000Z");
  v1::Checkpoint again = Parsed(out);
  EXPECT_TRUE(MessageDifferencer::Equals(c, again)) << c.DebugString() << again.DebugString();

  // A declaration with its time only is still a declaration.
  j = Minimal();
  j["errorDeclaration"] = {{"declarationTime", "1970-01-01T00:00:00Z"}};
  c = Parsed(j);
  EXPECT_TRUE(c.has_error_declaration());
  EXPECT_TRUE(MessageDifferencer::Equals(c, Parsed(CheckpointToJson(c))));
  EXPECT_FALSE(CheckpointToJson(Parsed(Minimal())).contains("errorDeclaration"));
}

TEST(CheckpointJsonTest, EventLinkErrors) {
  struct Case {
    const char* member;
    json value;
    const char* message;
  };
  const Case cases[] = {
      {"clientEventID", "not-a-uri", "clientEventID: expected an absolute URI, got 'not-a-uri'"},
      {"clientEventID", 7, "clientEventID: expected a string"},
      {"errorDeclaration", json::object(), "errorDeclaration.declarationTime: required"},
      {"errorDeclaration",
       {{"declarationTime", "2024-01-03T00:00:00Z"}, {"reason", "oops"}},
       "errorDeclaration.reason: 'oops' is not a CBV 2.0 error reason; write a URI for a "
       "user-defined one"},
      {"errorDeclaration",
       {{"declarationTime", "2024-01-03T00:00:00Z"}, {"foo", 1}},
       "errorDeclaration: unknown member 'foo'"},
      {"errorDeclaration",
       {{"declarationTime", "2024-01-03T00:00:00Z"}, {"correctiveEventIDs", {"x y"}}},
       "errorDeclaration.correctiveEventIDs[0]: must not contain spaces or control characters"},
      {"lotNumber", "", "lotNumber: must not be empty"},
      {"transformationID", "urn:x", "transformationID: not a field of ObjectEvent"},
  };
  for (const Case& c : cases) {
    json j = Minimal();
    j[c.member] = c.value;
    EXPECT_EQ(ErrorOf(j).message(), c.message) << j.dump();
  }
  json j = Minimal();
  j["type"] = "AggregationEvent";
  j["lotNumber"] = "LOT-7";
  EXPECT_EQ(ErrorOf(j).message(), "lotNumber: not a field of AggregationEvent");
}

}  // namespace
}  // namespace tracery::epcis

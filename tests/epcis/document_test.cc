#include "tracery/epcis/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tracery/core/crypto.h"
#include "tracery/epcis/checkpoint_json.h"

namespace tracery::epcis {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A valid ObjectEvent.
json ObjectEvent() {
  return json::parse(R"({
    "type": "ObjectEvent",
    "eventTime": "2005-04-03T20:33:31.116-06:00",
    "eventTimeZoneOffset": "-06:00",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/1"}],
    "example:myField": "myValue"
  })");
}

json DocumentWith(const json& events) {
  return json{{"@context",
               {"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                {{"example", "https://ns.example.com/epcis/"}}}},
              {"type", "EPCISDocument"},
              {"schemaVersion", "2.0"},
              {"creationDate", "2005-07-11T11:30:47.0Z"},
              {"epcisBody", {{"eventList", events}}}};
}

Problem ProblemOf(const std::string& text) {
  Problem problem;
  auto doc = ParseDocument(text, Binding::kJson, &problem);
  EXPECT_FALSE(doc.ok()) << text.substr(0, 500);
  if (!doc.ok()) {
    EXPECT_EQ(doc.status().message(), problem.ToString());
  }
  return problem;
}

// The problem of a document holding one event: `event` changed by `edit`.
template <typename Edit>
Problem EventProblem(Edit edit) {
  json event = ObjectEvent();
  edit(event);
  return ProblemOf(DocumentWith(json::array({event})).dump());
}

void ExpectProblem(const Problem& p, const std::string& field, const std::string& rule) {
  EXPECT_EQ(p.field, field) << p.ToString();
  EXPECT_EQ(p.rule, rule) << p.ToString();
}

constexpr char kEvent0[] = "epcisBody.eventList[0]";
std::string In0(const std::string& member) { return std::string(kEvent0) + "." + member; }

TEST(ParseDocumentTest, AcceptsAValidDocument) {
  Problem problem;
  auto doc = ParseDocument(DocumentWith(json::array({ObjectEvent(), ObjectEvent()})).dump(),
                           Binding::kJson, &problem);
  ASSERT_TRUE(doc.ok()) << problem.ToString();
  EXPECT_EQ(doc->events.size(), 2u);
  EXPECT_EQ(doc->header["schemaVersion"], "2.0");
  EXPECT_FALSE(doc->header.contains("epcisBody"));
  EXPECT_TRUE(doc->context.is_array());
  EXPECT_EQ(doc->events[0].context, doc->context);
  EXPECT_EQ(doc->events[0].json, ObjectEvent());  // kept as given, extensions and all
}

TEST(ParseDocumentTest, BadEventTime) {
  ExpectProblem(EventProblem([](json& e) { e["eventTime"] = "2005-04-03 20:33"; }),
                In0("eventTime"), "eventTime.format");
  ExpectProblem(EventProblem([](json& e) { e["eventTime"] = "2005-04-03T20:33:31"; }),
                In0("eventTime"), "eventTime.format");  // no offset
  ExpectProblem(EventProblem([](json& e) { e.erase("eventTime"); }), In0("eventTime"),
                "eventTime.required");
}

TEST(ParseDocumentTest, BadTimeZoneOffset) {
  ExpectProblem(EventProblem([](json& e) { e["eventTimeZoneOffset"] = "Z"; }),
                In0("eventTimeZoneOffset"), "eventTimeZoneOffset.format");
  ExpectProblem(EventProblem([](json& e) { e.erase("eventTimeZoneOffset"); }),
                In0("eventTimeZoneOffset"), "eventTimeZoneOffset.required");
}

TEST(ParseDocumentTest, MissingOrBadAction) {
  ExpectProblem(EventProblem([](json& e) { e.erase("action"); }), In0("action"), "action.required");
  ExpectProblem(EventProblem([](json& e) { e["action"] = "UPDATE"; }), In0("action"),
                "action.value");
}

TEST(ParseDocumentTest, UnknownCbvValue) {
  Problem p = EventProblem([](json& e) { e["bizStep"] = "shiping"; });
  ExpectProblem(p, In0("bizStep"), "vocabulary.value");
  EXPECT_THAT(p.detail, HasSubstr("not a CBV 2.0 business step"));
  ExpectProblem(EventProblem([](json& e) { e["disposition"] = "nope:in_transit"; }),
                In0("disposition"), "vocabulary.value");
  ExpectProblem(EventProblem([](json& e) { e["bizTransactionList"][0]["type"] = "invoice"; }),
                In0("bizTransactionList[0].type"), "vocabulary.value");
}

TEST(ParseDocumentTest, CompactIrisWithDeclaredPrefixesAreVocabularyValues) {
  Problem problem;
  json event = ObjectEvent();
  event["bizStep"] = "example:counting";
  auto doc = ParseDocument(DocumentWith(json::array({event})).dump(), Binding::kJson, &problem);
  ASSERT_TRUE(doc.ok()) << problem.ToString();
  auto checkpoint = EventToCheckpoint(doc->events[0]);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(checkpoint->biz_step(), "https://ns.example.com/epcis/counting");
}

TEST(ParseDocumentTest, BadQuantity) {
  auto with_quantity = [](json quantity) {
    return [quantity](json& e) {
      e["quantityList"] = json::array({{{"epcClass", "urn:epc:class:lgtin:4012345.012345.998877"},
                                        {"quantity", quantity},
                                        {"uom", "KGM"}}});
    };
  };
  ExpectProblem(EventProblem(with_quantity(-1)), In0("quantityList[0].quantity"), "quantity.value");
  ExpectProblem(EventProblem(with_quantity("ten")), In0("quantityList[0].quantity"),
                "quantity.value");
  ExpectProblem(EventProblem(with_quantity(1e300)), In0("quantityList[0].quantity"),
                "quantity.value");
  ExpectProblem(EventProblem([](json& e) {
                  e["quantityList"] = json::array(
                      {{{"epcClass", "urn:epc:idpat:sgtin:4012345.012345.*"}, {"uom", "KGM"}}});
                }),
                In0("quantityList[0].uom"), "quantity.uom");
  ExpectProblem(EventProblem([](json& e) {
                  e["quantityList"] = json::array({{{"quantity", 1}}});
                }),
                In0("quantityList[0].epcClass"), "epcClass.required");
}

TEST(ParseDocumentTest, MalformedIdentifier) {
  Problem p =
      EventProblem([](json& e) { e["epcList"][0] = "urn:epc:id:sgtin:0614141.10734.2017"; });
  ExpectProblem(p, In0("epcList[0]"), "identifier.syntax");
  EXPECT_THAT(p.detail, HasSubstr("13 digits"));
  ExpectProblem(EventProblem([](json& e) { e["readPoint"]["id"] = "not a uri"; }),
                In0("readPoint.id"), "identifier.syntax");
  ExpectProblem(EventProblem([](json& e) { e["epcList"] = "urn:epc:id:sgtin:0614141.107346.1"; }),
                In0("epcList"), "json.type");
}

TEST(ParseDocumentTest, MembersByEventTypeAndExtensions) {
  ExpectProblem(EventProblem([](json& e) { e["childEPCs"] = json::array(); }), In0("childEPCs"),
                "member.eventType");
  ExpectProblem(EventProblem([](json& e) { e["myField"] = 1; }), In0("myField"), "member.unknown");
  ExpectProblem(EventProblem([](json& e) { e["other:myField"] = 1; }), In0("other:myField"),
                "extension.namespace");
  ExpectProblem(EventProblem([](json& e) {
                  e["example:x"] = {{"other:y", 1}};
                }),
                In0("example:x.other:y"), "extension.namespace");
  ExpectProblem(EventProblem([](json& e) { e["readPoint"]["name"] = "dock 1"; }),
                In0("readPoint.name"), "member.unknown");
}

TEST(ParseDocumentTest, WhatEachEventTypeNeeds) {
  ExpectProblem(EventProblem([](json& e) { e.erase("epcList"); }), kEvent0, "ObjectEvent.what");
  ExpectProblem(EventProblem([](json& e) {
                  e["type"] = "AggregationEvent";
                  e.erase("epcList");
                  e["action"] = "ADD";
                  e["childEPCs"] = {"urn:epc:id:sgtin:0614141.107346.2018"};
                }),
                In0("parentID"), "AggregationEvent.parentID");
  ExpectProblem(EventProblem([](json& e) {
                  e["type"] = "AssociationEvent";
                  e.erase("epcList");
                  e["action"] = "ADD";
                  e["parentID"] = "urn:epc:id:grai:4012345.55555.987";
                }),
                kEvent0, "AssociationEvent.what");
  ExpectProblem(EventProblem([](json& e) {
                  e["type"] = "TransactionEvent";
                  e.erase("bizTransactionList");
                }),
                In0("bizTransactionList"), "TransactionEvent.bizTransactionList");
  ExpectProblem(EventProblem([](json& e) {
                  e["type"] = "TransformationEvent";
                  e.erase("epcList");
                  e.erase("action");
                }),
                kEvent0, "TransformationEvent.what");
  ExpectProblem(EventProblem([](json& e) { e["type"] = "ThingEvent"; }), In0("type"), "event.type");
}

TEST(ParseDocumentTest, ErrorDeclarationNeedsItsTime) {
  ExpectProblem(EventProblem([](json& e) {
                  e["errorDeclaration"] = {{"reason", "incorrect_data"}};
                }),
                In0("errorDeclaration.declarationTime"), "declarationTime.required");
  ExpectProblem(EventProblem([](json& e) {
                  e["errorDeclaration"] = {{"declarationTime", "yesterday"}};
                }),
                In0("errorDeclaration.declarationTime"), "declarationTime.format");
}

TEST(ParseDocumentTest, NonObjectEvent) {
  ExpectProblem(ProblemOf(DocumentWith(json::array({ObjectEvent(), "event"})).dump()),
                "epcisBody.eventList[1]", "event.object");
}

TEST(ParseDocumentTest, WrongDocumentType) {
  json doc = DocumentWith(json::array({ObjectEvent()}));
  doc["type"] = "EPCISMasterDataDocument";
  ExpectProblem(ProblemOf(doc.dump()), "type", "document.type");
  doc["type"] = "EPCISQueryDocument";
  Problem p = ProblemOf(doc.dump());
  ExpectProblem(p, "type", "document.type");
  EXPECT_THAT(p.detail, HasSubstr("query result"));
  ExpectProblem(ProblemOf("[1, 2]"), "document", "document.object");
}

TEST(ParseDocumentTest, HeaderMembers) {
  json doc = DocumentWith(json::array({ObjectEvent()}));
  doc.erase("@context");
  ExpectProblem(ProblemOf(doc.dump()), "@context", "document.context");
  doc = DocumentWith(json::array({ObjectEvent()}));
  doc["creationDate"] = "today";
  ExpectProblem(ProblemOf(doc.dump()), "creationDate", "document.creationDate");
  doc = DocumentWith(json::array({ObjectEvent()}));
  doc["epcisBody"]["queryResults"] = json::object();
  ExpectProblem(ProblemOf(doc.dump()), "epcisBody.queryResults", "member.unknown");
}

TEST(ParseDocumentTest, TooManyEvents) {
  std::string events = "[";
  for (size_t i = 0; i <= kMaxDocumentEvents; ++i) events += i == 0 ? "{}" : ",{}";
  events += "]";
  std::string text = DocumentWith(json::array()).dump();
  text.replace(text.find("[]"), 2, events);
  Problem p = ProblemOf(text);
  ExpectProblem(p, "epcisBody.eventList", "document.eventCount");
  EXPECT_THAT(p.detail, HasSubstr("kMaxDocumentEvents"));
}

TEST(ParseDocumentTest, TooManyBytes) {
  std::string text(kMaxDocumentBytes + 1, ' ');
  ExpectProblem(ProblemOf(text), "document", "document.size");
}

TEST(ParseDocumentTest, DuplicateMember) {
  std::string text = DocumentWith(json::array({ObjectEvent()})).dump();
  text.replace(text.find("\"action\":"), 0, "\"action\":\"ADD\",");
  Problem p = ProblemOf(text);
  ExpectProblem(p, In0("action"), "json.duplicateMember");
  EXPECT_THAT(p.detail, HasSubstr("duplicate member 'action'"));
}

TEST(ParseDocumentTest, NotJsonOrTooDeep) {
  Problem p = ProblemOf("{\"type\": ");
  ExpectProblem(p, "document", "json.syntax");
  EXPECT_THAT(p.detail, StartsWith("not valid JSON at byte"));
  std::string deep = std::string(100, '[') + std::string(100, ']');
  ExpectProblem(ProblemOf(deep),
                "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                "[0]",
                "json.depth");
}

TEST(ParseDocumentTest, ListLimit) {
  Problem p = EventProblem([](json& e) {
    e["epcList"] = json::array();
    for (size_t i = 0; i <= kMaxListEntries; ++i)
      e["epcList"].push_back("urn:example:" + std::to_string(i));
  });
  ExpectProblem(p, In0("epcList"), "list.limit");
}

TEST(ParseEventTest, SingleEventWithItsContext) {
  json event = ObjectEvent();
  event["@context"] = {{{"example", "https://ns.example.com/epcis/"}}};
  Problem problem;
  auto parsed = ParseEvent(event.dump(), Binding::kJson, &problem);
  ASSERT_TRUE(parsed.ok()) << problem.ToString();
  EXPECT_EQ(parsed->context, event["@context"]);
  EXPECT_EQ(parsed->json, event);
}

TEST(ParseEventTest, ProblemsNameTheMemberFromTheEvent) {
  json event = ObjectEvent();
  event["bizStep"] = "shiping";
  Problem problem;
  auto parsed = ParseEvent(event.dump(), Binding::kJson, &problem);
  ASSERT_FALSE(parsed.ok());
  ExpectProblem(problem, "bizStep", "vocabulary.value");
  // Without @context, the extension's prefix is undeclared.
  ASSERT_FALSE(ParseEvent(ObjectEvent().dump(), Binding::kJson, &problem).ok());
  ExpectProblem(problem, "example:myField", "extension.namespace");
  ASSERT_FALSE(ParseEvent("[]", Binding::kJson, &problem).ok());
  ExpectProblem(problem, "event", "event.object");
  ASSERT_FALSE(ParseEvent(DocumentWith(json::array()).dump(), Binding::kJson, &problem).ok());
  ExpectProblem(problem, "type", "event.type");
}

TEST(DetectBindingTest, ContentTypeDecidesElseTheFirstByte) {
  EXPECT_EQ(DetectBinding("{}", "application/xml"), Binding::kXml);
  EXPECT_EQ(DetectBinding("{}", "Text/XML; charset=utf-8"), Binding::kXml);
  EXPECT_EQ(DetectBinding("<x/>", "application/ld+json"), Binding::kJson);
  EXPECT_EQ(DetectBinding("<x/>", "application/json"), Binding::kJson);
  EXPECT_EQ(DetectBinding("  \n<?xml version=\"1.0\"?>", ""), Binding::kXml);
  EXPECT_EQ(DetectBinding("\xEF\xBB\xBF<epcis/>", "text/plain"), Binding::kXml);
  EXPECT_EQ(DetectBinding(" {\"type\": 1}", ""), Binding::kJson);
  EXPECT_EQ(DetectBinding("", ""), Binding::kJson);
}

Event ParsedEvent(const json& e, const json& context) {
  Event event{e, context};
  auto problem = ValidateEvent(event, "");
  EXPECT_FALSE(problem.has_value()) << problem->ToString();
  return event;
}

const json kContext = json::array({"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                   {{"example", "https://ns.example.com/epcis/"}}});

TEST(EventPayloadTest, SortedCompactWithContextWithoutRecordTime) {
  json e = ObjectEvent();
  e["recordTime"] = "2005-04-03T20:33:31.116-06:00";
  const std::string payload = EventPayload(ParsedEvent(e, kContext));
  json expected = ObjectEvent();
  expected["@context"] = kContext;
  EXPECT_EQ(payload, expected.dump());
  EXPECT_EQ(payload.find("recordTime"), std::string::npos);
}

// The hash is about what happened, not how it was written.
TEST(EventHashTest, IndependentOfNotation) {
  const std::string id = EventHashId(ParsedEvent(ObjectEvent(), kContext));
  json other = ObjectEvent();
  other["eventTime"] = "2005-04-04T02:33:31.116Z";
  other["epcList"] = {"https://example.com/01/10614141073464/21/2017?linkType=all"};
  other["bizStep"] = "urn:epcglobal:cbv:bizstep:shipping";
  other["disposition"] = "https://ref.gs1.org/cbv/Disp-in_transit";
  other["readPoint"]["id"] = "https://id.gs1.org/414/0614141073467/254/1234";
  other["bizTransactionList"][0]["type"] = "urn:epcglobal:cbv:btt:po";
  other["eventID"] = "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f";
  other["recordTime"] = "2024-01-01T00:00:00Z";
  other["errorDeclaration"] = {{"declarationTime", "2024-01-02T00:00:00Z"}};
  EXPECT_EQ(EventHashId(ParsedEvent(other, kContext)), id);
  other["epcList"].push_back("urn:epc:id:sgtin:0614141.107346.2018");
  EXPECT_NE(EventHashId(ParsedEvent(other, kContext)), id);
}

TEST(EventHashTest, ListsAreSortedAndNumbersNormalised) {
  json a = ObjectEvent();
  a["epcList"] = {"urn:epc:id:sgtin:0614141.107346.2", "urn:epc:id:sgtin:0614141.107346.1"};
  a["example:weight"] = "12.50";
  json b = ObjectEvent();
  b["epcList"] = {"urn:epc:id:sgtin:0614141.107346.1", "urn:epc:id:sgtin:0614141.107346.2"};
  b["example:weight"] = 12.5;
  EXPECT_EQ(EventPreHash(ParsedEvent(a, kContext)), EventPreHash(ParsedEvent(b, kContext)));
  EXPECT_THAT(EventPreHash(ParsedEvent(a, kContext)),
              HasSubstr("{https://ns.example.com/epcis/}weight=12.5"));
}

TEST(EventToCheckpointTest, MapsIdentifiersVocabulariesAndLinks) {
  json e = json::parse(R"({
    "type": "TransformationEvent",
    "eventID": "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f",
    "eventTime": "2024-01-02T03:04:05+01:00",
    "eventTimeZoneOffset": "+01:00",
    "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                           "quantity": 12.50, "uom": "KGM"}],
    "outputEPCList": ["urn:epc:id:sgtin:4012345.011111.1001"],
    "transformationID": "urn:epc:id:gdti:4012345.55555.1234",
    "bizStep": "commissioning",
    "bizTransactionList": [{"type": "prodorder", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:B-1"}],
    "errorDeclaration": {"declarationTime": "2024-01-03T00:00:00+01:00", "reason": "did_not_occur",
                         "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]},
    "ilmd": {"cbvmda:lotNumber": "LOT-7", "example:grade": "A"}
  })");
  Event event = ParsedEvent(e, kContext);
  auto c = EventToCheckpoint(event);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->event_id(), EventHashId(event));
  EXPECT_EQ(c->client_event_id(), "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f");
  EXPECT_EQ(c->type(), "TransformationEvent");
  EXPECT_EQ(c->action(), "");
  EXPECT_EQ(c->event_time_ms(), 1704161045000);
  EXPECT_EQ(c->event_time_zone_offset_minutes(), 60);
  EXPECT_EQ(c->biz_step(), "https://ref.gs1.org/cbv/BizStep-commissioning");
  ASSERT_EQ(c->input_quantity_list_size(), 1);
  EXPECT_EQ(c->input_quantity_list(0).epc_class(),
            "https://id.gs1.org/01/04012345123456/10/998877");
  EXPECT_EQ(c->input_quantity_list(0).quantity(), "12.5");
  EXPECT_EQ(c->output_epc_list(0), "https://id.gs1.org/01/04012345111118/21/1001");
  EXPECT_EQ(c->transformation_id(), "https://id.gs1.org/253/40123455555541234");
  EXPECT_EQ(c->biz_transaction_list(0).type(), "https://ref.gs1.org/cbv/BTT-prodorder");
  EXPECT_EQ(c->biz_transaction_list(0).id(), "urn:epcglobal:cbv:bt:4012345000009:B-1");
  EXPECT_EQ(c->error_declaration().declaration_time_ms(), 1704236400000);
  EXPECT_EQ(c->error_declaration().reason(), "https://ref.gs1.org/cbv/ER-did_not_occur");
  EXPECT_EQ(c->error_declaration().corrective_event_ids(0),
            "urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8");
  EXPECT_EQ(c->lot_number(), "LOT-7");
  EXPECT_EQ(c->payload_hash(), HashBytes(Sha256(EventPayload(event))));
}

TEST(EventToCheckpointTest, NoClientEventIdWhenItIsTheHash) {
  json e = ObjectEvent();
  e["eventID"] = EventHashId(ParsedEvent(e, kContext));
  auto c = EventToCheckpoint(ParsedEvent(e, kContext));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->event_id(), e["eventID"]);
  EXPECT_EQ(c->client_event_id(), "");
  EXPECT_FALSE(c->has_error_declaration());
}

}  // namespace
}  // namespace tracery::epcis

// One event, two bindings: the XML documents of the shared corpus go through ParseDocument
// (Binding::kXml), and where the corpus holds an XML file and its JSON twin, both give the same
// CBV 2.0 Event Hash IDs and the same checkpoints. Where a GS1 twin is not an exact twin, the test
// names the difference and shows that it is the only one.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "epcis_test_data.h"
#include "tracery/epcis/document.h"

namespace tracery::epcis {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::nlohmann::json;
using ::tracery::epcis::testing::ReadDataFile;

Document Parse(const std::string& text, Binding binding) {
  Problem problem;
  auto r = ParseDocument(text, binding, &problem);
  EXPECT_TRUE(r.ok()) << problem.ToString();
  return r.ok() ? std::move(r).value() : Document();
}

Document ParseFile(const std::string& relative) {
  const std::string text = ReadDataFile(relative);
  return Parse(text, DetectBinding(text, ""));
}

// The checkpoint of an event without what depends on the binding it came in: the payload hash
// (the payload is the event as received).
v1::Checkpoint BindingFreeCheckpoint(const Event& event) {
  auto r = EventToCheckpoint(event);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  v1::Checkpoint c = r.ok() ? *r : v1::Checkpoint();
  c.clear_payload_hash();
  return c;
}

const std::vector<std::string> kXmlFiles = {
    "gs1-EPCIS/AssociationEventExamples.xml",
    "gs1-EPCIS/SensorDataExamples.xml",
    "gs1-EPCIS/XML-transformation_event_all_possible_fields.xml",
    "gs1-EPCIS/event_with_identical_hash_id_1.xml",
    "gs1-EPCIS/event_with_identical_hash_id_2.xml",
    "openepcis-test-resources/Combination_of_different_event.xml",
    "openepcis-test-resources/EPCIS1.2_GS1_US_Pharma_DSCSA_Example_2_2_1_1.xml",
};

TEST(XmlJsonTwinsTest, XmlDocumentsPassParseDocument) {
  for (const std::string& file : kXmlFiles) {
    SCOPED_TRACE(file);
    const std::string text = ReadDataFile(file);
    EXPECT_EQ(DetectBinding(text, ""), Binding::kXml);
    Problem problem;
    auto doc = ParseDocument(text, Binding::kXml, &problem);
    ASSERT_TRUE(doc.ok()) << problem.ToString();
    EXPECT_FALSE(doc->events.empty());
    for (const Event& e : doc->events) {
      EXPECT_EQ(EventHashId(e).rfind("ni:///sha-256;", 0), 0u);
      EXPECT_TRUE(EventToCheckpoint(e).ok());
    }
  }
}

// GS1's SensorDataExamples.xml puts bizRules, an attribute of sensorMetadata, on a sensorReport
// (its 8th event). Tracery accepts it there too, keeping it as written.
TEST(XmlJsonTwinsTest, SensorDataExamplesIsAcceptedWithBizRulesOnAReport) {
  const std::string text = ReadDataFile("gs1-EPCIS/SensorDataExamples.xml");
  Problem problem;
  auto doc = ParseDocument(text, Binding::kXml, &problem);
  ASSERT_TRUE(doc.ok()) << problem.ToString();
  ASSERT_EQ(doc->events.size(), 14u);
  EXPECT_EQ(doc->events[7].json["sensorElementList"][2]["sensorReport"][0]["bizRules"],
            "https://example.org/253/4012345000054987");
}

TEST(XmlJsonTwinsTest, CombinationOfDifferentEventsHashesAlikeEventByEvent) {
  const Document xml = ParseFile("openepcis-test-resources/Combination_of_different_event.xml");
  const Document js = ParseFile("openepcis-test-resources/Combination_of_different_event.json");
  ASSERT_EQ(xml.events.size(), 6u);
  ASSERT_EQ(js.events.size(), xml.events.size());
  for (size_t i = 0; i < xml.events.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    EXPECT_EQ(EventPreHash(xml.events[i]), EventPreHash(js.events[i]));
    EXPECT_EQ(EventHashId(xml.events[i]), EventHashId(js.events[i]));
    v1::Checkpoint from_xml = BindingFreeCheckpoint(xml.events[i]);
    v1::Checkpoint from_json = BindingFreeCheckpoint(js.events[i]);
    if (i == 4) {
      // The twins disagree on this error declaration's time: 14:00+01:00 in the XML, 14:00Z in
      // the JSON. The hash leaves errorDeclaration out; the checkpoint keeps each as written.
      EXPECT_EQ(from_json.error_declaration().declaration_time_ms() -
                    from_xml.error_declaration().declaration_time_ms(),
                3'600'000);
      from_xml.mutable_error_declaration()->clear_declaration_time_ms();
      from_json.mutable_error_declaration()->clear_declaration_time_ms();
    }
    EXPECT_TRUE(MessageDifferencer::Equals(from_xml, from_json)) << from_xml.DebugString() << "\n"
                                                                 << from_json.DebugString();
  }
}

// Without the members of user extensions (any "prefix:name" member, and ILMD), at every level.
json WithoutExtensions(const json& v) {
  if (v.is_array()) {
    json out = json::array();
    for (const json& e : v) out.push_back(WithoutExtensions(e));
    return out;
  }
  if (!v.is_object()) return v;
  json out = json::object();
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key().find(':') != std::string::npos || it.key() == "ilmd") continue;
    out[it.key()] = WithoutExtensions(it.value());
  }
  return out;
}

// GS1's JSON twin wraps each extension object in another of the same name:
// "ext2:object": {"ext2:object": {...}} where the XML has one <ext2:object>.
json Unwrapped(const json& v) {
  if (v.is_array()) {
    json out = json::array();
    for (const json& e : v) out.push_back(Unwrapped(e));
    return out;
  }
  if (!v.is_object()) return v;
  json out = json::object();
  for (auto it = v.begin(); it != v.end(); ++it) {
    const json* inner = &it.value();
    while (inner->is_object() && inner->size() == 1 && inner->contains(it.key())) {
      inner = &(*inner)[it.key()];
    }
    out[it.key()] = Unwrapped(*inner);
  }
  return out;
}

// GS1's XML-transformation_event_all_possible_fields.xml and its JSON twin differ beyond the
// binding: the JSON adds eventID, certificationInfo and an errorDeclaration (none of which the
// hash reads), binds cbvmda to http://example.com/cbvmda/ instead of urn:epcglobal:cbv:mda,
// drops measurementUnitCode from the three ILMD weights, and double-wraps every extension
// object. The standard members hash alike as they are; with those three differences taken out
// of the JSON, the whole events do.
TEST(XmlJsonTwinsTest, TransformationEventWithAllFieldsHashesAlike) {
  const Document xml = ParseFile("gs1-EPCIS/XML-transformation_event_all_possible_fields.xml");
  const Document js = ParseFile("gs1-EPCIS/transformation_event_all_possible_fields.jsonld");
  ASSERT_EQ(xml.events.size(), 1u);
  ASSERT_EQ(js.events.size(), 1u);
  const Event& x = xml.events[0];
  const Event& j = js.events[0];
  EXPECT_NE(EventHashId(x), EventHashId(j));  // the differences above

  const Event x_standard{WithoutExtensions(x.json), x.context};
  const Event j_standard{WithoutExtensions(j.json), j.context};
  EXPECT_EQ(EventPreHash(x_standard), EventPreHash(j_standard));

  Event repaired{Unwrapped(j.json), j.context};
  for (json& entry : repaired.context) {
    if (entry.is_object() && entry.contains("cbvmda")) entry["cbvmda"] = "urn:epcglobal:cbv:mda";
  }
  for (const char* weight : {"cbvmda:drainedWeight", "cbvmda:grossWeight", "cbvmda:netWeight"}) {
    repaired.json["ilmd"][weight] = {{"measurementUnitCode", "KGM"}, {"#text", "3.5"}};
  }
  EXPECT_EQ(EventPreHash(x), EventPreHash(repaired));
  EXPECT_EQ(EventHashId(x), EventHashId(repaired));
  const v1::Checkpoint cx = BindingFreeCheckpoint(x);
  v1::Checkpoint cj = BindingFreeCheckpoint(repaired);
  cj.clear_client_event_id();    // the JSON's own eventID
  cj.clear_error_declaration();  // only the JSON declares an error
  EXPECT_TRUE(MessageDifferencer::Equals(cx, cj)) << cx.DebugString() << "\n" << cj.DebugString();
  EXPECT_EQ(cx.lot_number(), "ABC123");
  EXPECT_EQ(cx.transformation_id(), cj.transformation_id());
}

// GS1's event_with_identical_hash_id_2.xml is described as "different time zone but exactly
// identical event", but it changes eventTimeZoneOffset (-06:00 → -05:00) as well as the notation
// of eventTime, and the offset is part of the CBV 2.0 pre-hash (the reference implementation's
// own time-zone vectors keep it fixed). So the two hash differently, by that member alone; with
// the offset as in _1, the other notation of the same instant hashes identically.
TEST(XmlJsonTwinsTest, IdenticalHashIdExamplesDifferOnlyInTheirTimeZoneOffset) {
  const Document one = ParseFile("gs1-EPCIS/event_with_identical_hash_id_1.xml");
  const std::string two_text = ReadDataFile("gs1-EPCIS/event_with_identical_hash_id_2.xml");
  const Document two = Parse(two_text, Binding::kXml);
  ASSERT_EQ(one.events.size(), 1u);
  ASSERT_EQ(two.events.size(), 1u);

  std::string pre_one = EventPreHash(one.events[0]);
  std::string pre_two = EventPreHash(two.events[0]);
  EXPECT_NE(pre_one, pre_two);
  const std::string offset_one = "eventTimeZoneOffset=-06:00";
  const std::string offset_two = "eventTimeZoneOffset=-05:00";
  ASSERT_NE(pre_two.find(offset_two), std::string::npos);
  pre_two.replace(pre_two.find(offset_two), offset_two.size(), offset_one);
  EXPECT_EQ(pre_one, pre_two);

  std::string same_offset = two_text;
  const std::string element = "<eventTimeZoneOffset>-05:00</eventTimeZoneOffset>";
  ASSERT_NE(same_offset.find(element), std::string::npos);
  same_offset.replace(same_offset.find(element), element.size(),
                      "<eventTimeZoneOffset>-06:00</eventTimeZoneOffset>");
  const Document two_fixed = Parse(same_offset, Binding::kXml);
  ASSERT_EQ(two_fixed.events.size(), 1u);
  EXPECT_EQ(EventHashId(one.events[0]), EventHashId(two_fixed.events[0]));
}

TEST(XmlJsonTwinsTest, Epcis12DscsaEventsBecomeCheckpoints) {
  const Document doc =
      ParseFile("openepcis-test-resources/EPCIS1.2_GS1_US_Pharma_DSCSA_Example_2_2_1_1.xml");
  ASSERT_EQ(doc.events.size(), 8u);
  EXPECT_EQ(doc.header["schemaVersion"], "2.0");
  const v1::Checkpoint commissioning = BindingFreeCheckpoint(doc.events[0]);
  EXPECT_EQ(commissioning.lot_number(), "A123");
  EXPECT_EQ(commissioning.epc_list_size(), 12);
  EXPECT_EQ(commissioning.biz_step(), "https://ref.gs1.org/cbv/BizStep-commissioning");
  const v1::Checkpoint shipping = BindingFreeCheckpoint(doc.events[7]);
  EXPECT_EQ(shipping.source_list_size(), 2);
  EXPECT_EQ(shipping.destination_list_size(), 2);
  EXPECT_EQ(shipping.biz_transaction_list_size(), 2);
  EXPECT_EQ(shipping.disposition(), "https://ref.gs1.org/cbv/Disp-in_transit");
}

// A single event in XML (POST /v1/events) and the same event inside a JSON document.
TEST(XmlJsonTwinsTest, SingleXmlEventHashesLikeItsJsonTwin) {
  const Document js = ParseFile("openepcis-test-resources/Combination_of_different_event.json");
  Problem problem;
  auto event = ParseEvent(R"(<AggregationEvent>
      <eventTime>2020-06-08T18:11:16Z</eventTime>
      <eventTimeZoneOffset>+02:00</eventTimeZoneOffset>
      <parentID>urn:epc:id:sgtin:952001.1012345.22222223333</parentID>
      <childEPCs><epc>urn:epc:id:sgtin:9520001.012346.10000001001</epc></childEPCs>
      <action>DELETE</action>
      <bizStep>urn:epcglobal:cbv:bizstep:unpacking</bizStep>
      <disposition>urn:epcglobal:cbv:disp:in_progress</disposition>
      <readPoint><id>urn:epc:id:sgln:9529999.99999.0</id></readPoint>
      <bizLocation><id>urn:epc:id:sgln:9529999.99999.0</id></bizLocation>
    </AggregationEvent>)",
                          Binding::kXml, &problem);
  ASSERT_TRUE(event.ok()) << problem.ToString();
  EXPECT_EQ(EventHashId(*event), EventHashId(js.events[1]));
}

TEST(XmlJsonTwinsTest, QueryDocumentInXmlIsRefusedAtCapture) {
  Problem problem;
  auto r =
      ParseDocument(R"(<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2"
      schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z">
    <EPCISBody><epcisq:QueryResults><queryName>SimpleEventQuery</queryName>
      <resultsBody><EventList/></resultsBody></epcisq:QueryResults></EPCISBody>
  </epcisq:EPCISQueryDocument>)",
                    Binding::kXml, &problem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problem.rule, "document.type");
}

TEST(XmlJsonTwinsTest, XmlProblemsReachTheCaller) {
  Problem problem;
  EXPECT_FALSE(ParseDocument("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", Binding::kXml, &problem).ok());
  EXPECT_EQ(problem.rule, "xml.doctype");
  EXPECT_FALSE(ParseEvent("<ObjectEvent><action>", Binding::kXml, &problem).ok());
  EXPECT_EQ(problem.rule, "xml.wellFormed");
  EXPECT_EQ(problem.field, "event");
}

}  // namespace
}  // namespace tracery::epcis

// The XML bindings of EPCIS 2.0 and 1.2 converted to the EPCIS 2.0 JSON-LD form: every XML
// document of the shared third-party corpus (../shared/data/epcis, see its MANIFEST.md), field
// checks on selected events, synthetic cases for the 1.2 mapping and the edges of the binding,
// and the refusals (DOCTYPE, malformed XML, wrong root, size).
#include "xml_binding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace tracery::epcis {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kData = std::string(TRACERY_SHARED_DATA) + "/epcis/";
constexpr char kContext[] = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json Convert(std::string_view xml) {
  Problem problem;
  auto r = XmlDocumentToJson(xml, &problem);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\nrule: " << problem.rule;
  return r.ok() ? *r : json();
}

json ConvertFile(const std::string& relative) { return Convert(ReadFile(kData + relative)); }

Problem ProblemOf(std::string_view xml) {
  Problem problem;
  auto r = XmlDocumentToJson(xml, &problem);
  EXPECT_FALSE(r.ok()) << r->dump();
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), StartsWith(problem.field + ": "));
  }
  return problem;
}

std::vector<std::string> Types(const json& doc) {
  std::vector<std::string> types;
  for (const json& e : doc["epcisBody"]["eventList"]) types.push_back(e["type"]);
  return types;
}

// The @context entries after the EPCIS context, as prefix → namespace.
std::map<std::string, std::string> Namespaces(const json& context) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(context.is_array()) << context.dump();
  if (!context.is_array()) return out;
  EXPECT_EQ(context[0], kContext);
  for (size_t i = 1; i < context.size(); ++i) {
    for (const auto& [k, v] : context[i].items()) out[k] = v;
  }
  return out;
}

// A minimal EPCIS 2.0 document around `events` (with extra namespace declarations `ns`).
std::string Doc2(const std::string& events, const std::string& ns = "") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" )" +
         ns + R"( creationDate="2024-01-02T03:04:05Z">
  <EPCISBody>
    <EventList>
)" + events +
         R"(
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>)";
}

constexpr char kObjectEvent[] = R"(
      <ObjectEvent>
        <eventTime>2024-01-02T03:04:05.000Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>
        <action>OBSERVE</action>
      </ObjectEvent>)";

// ---------------------------------------------------------------------------------------------
// The shared corpus

struct CorpusFile {
  std::string path;
  std::vector<std::string> types;  // event types in document order
};

const std::vector<CorpusFile>& Corpus() {
  static const auto* const kCorpus = [] {
    const std::string o = "ObjectEvent";
    const std::string a = "AggregationEvent";
    const std::string t = "TransactionEvent";
    const std::string x = "TransformationEvent";
    const std::string s = "AssociationEvent";
    return new std::vector<CorpusFile>{
        {"gs1-EPCIS/AssociationEventExamples.xml", {s, s, s, s, s, s, s, s}},
        {"gs1-EPCIS/SensorDataExamples.xml", {o, o, o, o, o, o, o, a, o, o, t, x, o, o}},
        {"gs1-EPCIS/XML-transformation_event_all_possible_fields.xml", {x}},
        {"gs1-EPCIS/event_with_identical_hash_id_1.xml", {o}},
        {"gs1-EPCIS/event_with_identical_hash_id_2.xml", {o}},
        {"openepcis-test-resources/Combination_of_different_event.xml", {o, a, t, x, s, s}},
        {"openepcis-test-resources/EPCIS1.2_GS1_US_Pharma_DSCSA_Example_2_2_1_1.xml",
         {o, o, a, a, a, o, a, o}},
    };
  }();
  return *kCorpus;
}

TEST(XmlCorpusTest, EveryXmlFileOfTheCorpusIsListed) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kData)) {
    if (entry.path().extension() != ".xml") continue;
    found.push_back(std::filesystem::relative(entry.path(), kData).string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> listed;
  for (const CorpusFile& f : Corpus()) listed.push_back(f.path);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(found, listed);
}

TEST(XmlCorpusTest, EveryFileConvertsWithItsEvents) {
  for (const CorpusFile& f : Corpus()) {
    SCOPED_TRACE(f.path);
    const json doc = ConvertFile(f.path);
    EXPECT_EQ(doc["type"], "EPCISDocument");
    EXPECT_EQ(doc["schemaVersion"], "2.0");
    EXPECT_TRUE(doc["creationDate"].is_string());
    EXPECT_THAT(Types(doc), ElementsAreArray(f.types));
    Namespaces(doc["@context"]);
    // The output is plain JSON that serialises (valid UTF-8, no NaN).
    EXPECT_NO_THROW(doc.dump());
  }
}

TEST(XmlCorpusTest, CombinationOfDifferentEvents) {
  const json doc = ConvertFile("openepcis-test-resources/Combination_of_different_event.xml");
  EXPECT_EQ(doc["creationDate"], "2019-10-07T15:00:00.000+01:00");
  EXPECT_THAT(Namespaces(doc["@context"]), ElementsAre(std::pair<const std::string, std::string>(
                                               "ext1", "http://example.com/ext1/")));
  const json& events = doc["epcisBody"]["eventList"];

  const json& object = events[0];
  EXPECT_EQ(object["epcList"], json({"https://id.example.com/8003/030013450007718765"}));
  EXPECT_EQ(object["readPoint"], json({{"id", "https://id.example.com/414/4012345000054"}}));
  const json& report = object["sensorElementList"][0]["sensorReport"][0];
  EXPECT_EQ(object["sensorElementList"][0]["sensorMetadata"]["time"],
            "2021-05-27T13:50:00.000+01:00");
  EXPECT_TRUE(report["value"].is_number_float());
  EXPECT_DOUBLE_EQ(report["value"].get<double>(), -477979.89);
  EXPECT_EQ(report["type"], "Length");  // gs1:Length in XML, as the JSON binding writes it
  EXPECT_EQ(report["component"], "cbv:Comp-northing");
  EXPECT_EQ(report["uom"], "MTR");

  EXPECT_EQ(events[1]["parentID"], "urn:epc:id:sgtin:952001.1012345.22222223333");
  EXPECT_EQ(events[1]["bizStep"], "urn:epcglobal:cbv:bizstep:unpacking");  // as written
  EXPECT_EQ(events[1]["bizLocation"]["id"], "urn:epc:id:sgln:9529999.99999.0");

  // A bizTransaction without a type attribute has no "type".
  EXPECT_EQ(
      events[2]["bizTransactionList"],
      json::parse(R"([{"bizTransaction": "urn:epc:id:gdti:95252084.0001.0003555480001000"}])"));

  const json& transformation = events[3];
  EXPECT_EQ(transformation["inputQuantityList"], json::parse(R"([
      {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": 10, "uom": "KGM"},
      {"epcClass": "urn:epc:class:lgtin:0614141.077777.987", "quantity": 30},
      {"epcClass": "urn:epc:idpat:sgtin:4012345.066666.*", "quantity": 220}])"));
  EXPECT_TRUE(transformation["inputQuantityList"][0]["quantity"].is_number_integer());
  EXPECT_EQ(transformation["outputEPCList"].size(), 4u);
  EXPECT_EQ(transformation["persistentDisposition"], json::parse(R"({
      "set": ["urn:epcglobal:cbv:disp:completeness_verified"],
      "unset": ["urn:epcglobal:cbv:disp:completeness_inferred"]})"));
  // User extensions: text stays text, whatever it looks like.
  EXPECT_EQ(transformation["ext1:int"], "10");
  EXPECT_EQ(transformation["ext1:boolean"], "true");
  EXPECT_EQ(transformation["ext1:default"], "stringAsDefaultValue");

  EXPECT_EQ(events[4]["errorDeclaration"], json::parse(R"({
      "declarationTime": "2019-11-07T14:00:00.000+01:00",
      "reason": "urn:epcglobal:cbv:er:incorrect_data",
      "correctiveEventIDs": ["urn:uuid:fd338495-0e6d-41dd-afee-a862ecd32518"]})"));
  EXPECT_FALSE(events[4].contains("childEPCs"));
  EXPECT_EQ(events[5]["eventID"], "urn:uuid:fd338495-0e6d-41dd-afee-a862ecd32518");
  EXPECT_EQ(events[5]["childEPCs"],
            json({"urn:epc:id:giai:4000001.12345", "urn:epc:id:giai:4000001.12346"}));
}

TEST(XmlCorpusTest, TransformationEventWithAllFields) {
  const json doc =
      ConvertFile("gs1-EPCIS/XML-transformation_event_all_possible_fields.xml");  // <!DOCTYPE>
  EXPECT_EQ(Namespaces(doc["@context"]),
            (std::map<std::string, std::string>{{"cbvmda", "urn:epcglobal:cbv:mda"},
                                                {"ext1", "http://example.com/ext1/"},
                                                {"ext2", "http://example.com/ext2/"},
                                                {"ext3", "http://example.com/ext3/"}}));
  const json& e = doc["epcisBody"]["eventList"][0];
  EXPECT_EQ(e["transformationID"], "urn:epc:id:gdti:0614141.12345.400");
  EXPECT_EQ(e["bizTransactionList"], json::parse(R"([
      {"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "urn:epc:id:gdti:0614141.00001.1618034"},
      {"type": "urn:epcglobal:cbv:btt:pedigree", "bizTransaction": "urn:epc:id:gsrn:0614141.0000010253"}])"));
  EXPECT_EQ(e["sourceList"][1], json::parse(R"({"type": "urn:epcglobal:cbv:sdt:possessing_party",
                            "source": "urn:epc:id:pgln:4012345.00225"})"));
  EXPECT_EQ(e["destinationList"].size(), 3u);
  EXPECT_EQ(e["outputQuantityList"].size(), 3u);

  const json& sensor = e["sensorElementList"][0];
  EXPECT_EQ(sensor["sensorMetadata"]["ext1:someFurtherMetadata"], "someText");
  EXPECT_EQ(sensor["sensorMetadata"]["bizRules"], "https://example.com/253/4012345000054987");
  const json& report = sensor["sensorReport"][0];
  EXPECT_EQ(report["type"], "Temperature");
  EXPECT_EQ(report["booleanValue"], true);
  EXPECT_EQ(report["value"], 26);  // "26.0"
  EXPECT_TRUE(report["value"].is_number_integer());
  EXPECT_EQ(report["minValue"], 26);
  EXPECT_DOUBLE_EQ(report["maxValue"].get<double>(), 26.2);
  EXPECT_DOUBLE_EQ(report["sDev"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(report["meanValue"].get<double>(), 13.2);
  EXPECT_EQ(report["percRank"], 50);
  EXPECT_DOUBLE_EQ(report["percValue"].get<double>(), 12.7);
  EXPECT_EQ(report["hexBinaryValue"], "f0f0f0");
  EXPECT_EQ(report["stringValue"], "SomeString");
  EXPECT_EQ(report["ext1:someFurtherReportData"], "someText");
  EXPECT_EQ(sensor["ext1:float"], "20");  // xsi:type is an annotation, not data

  const json& ilmd = e["ilmd"];
  EXPECT_EQ(ilmd["cbvmda:lotNumber"], "ABC123");
  EXPECT_EQ(ilmd["cbvmda:countryOfOrigin"], "GB");
  // An element with attributes and text: the attributes as members, the text as "#text".
  EXPECT_EQ(ilmd["cbvmda:netWeight"],
            json::parse(R"({"#text": "3.5", "measurementUnitCode": "KGM"})"));
  // Nested elements are objects; repeated elements an array in document order.
  EXPECT_EQ(e["ext1:object"], json::parse(R"({
      "ext2:string": "stringInObject",
      "ext2:array": ["11", "21", "stringInArrayInObject"],
      "ext2:object": {"ext3:string": "stringInObjectInObject"}})"));
  ASSERT_EQ(e["ext1:array"].size(), 6u);
  EXPECT_EQ(e["ext1:array"][4], "stringInArray");
  EXPECT_EQ(e["ext1:array"][5]["ext1:object"]["ext2:int"], "13");
  EXPECT_EQ(e["ext1:array"][5]["ext1:object"]["ext2:array"],
            json({"14", "23.0", "stringInArrayInObjectInArray"}));
  EXPECT_EQ(ilmd["ext1:object"], e["ext1:object"]);
}

TEST(XmlCorpusTest, SensorDataExamples) {
  const json doc = ConvertFile("gs1-EPCIS/SensorDataExamples.xml");
  const json& events = doc["epcisBody"]["eventList"];
  // An exception report: the condition as the JSON binding writes it, booleanValue a boolean.
  bool found_exception = false;
  bool found_error = false;
  bool found_ilmd = false;
  for (const json& e : events) {
    for (const json& element : e.value("sensorElementList", json::array())) {
      for (const json& r : element["sensorReport"]) {
        if (r.value("exception", "") == "ALARM_CONDITION") {
          found_exception = true;
          EXPECT_EQ(r["booleanValue"], true);
        }
        if (r.contains("exception")) {
          EXPECT_THAT(r["exception"].get<std::string>(), testing::Not(StartsWith("gs1:")));
        }
      }
    }
    if (e.contains("errorDeclaration")) {
      found_error = true;
      EXPECT_EQ(e["errorDeclaration"]["declarationTime"], "2020-09-29T15:00:00.000+02:00");
      EXPECT_EQ(e["errorDeclaration"]["example:issuer"], "Employee 123");
      EXPECT_EQ(e["errorDeclaration"]["example3:errorCodes"]["example3:value44"], "66");
    }
    if (e.contains("ilmd")) {
      found_ilmd = true;
      EXPECT_EQ(e["ilmd"]["cbvmda:lotNumber"], "LOTABC");
      EXPECT_EQ(e["ilmd"]["example2:userMasterData"]["example2:sizeCode"], "B-2");
    }
  }
  EXPECT_TRUE(found_exception);
  EXPECT_TRUE(found_error);
  EXPECT_TRUE(found_ilmd);
  const auto ns = Namespaces(doc["@context"]);
  EXPECT_EQ(ns.at("example"), "https://ns.example.com/epcis");
  EXPECT_EQ(ns.at("example3"), "https://ns.example3.com/epcis");
}

TEST(XmlCorpusTest, AssociationEvents) {
  const json doc = ConvertFile("gs1-EPCIS/AssociationEventExamples.xml");
  int with_error = 0;
  for (const json& e : doc["epcisBody"]["eventList"]) {
    EXPECT_TRUE(e["parentID"].is_string());
    EXPECT_TRUE(e["action"].is_string());
    if (e.contains("errorDeclaration")) ++with_error;
  }
  EXPECT_EQ(with_error, 1);
}

TEST(XmlCorpusTest, Epcis12DscsaDocumentBecomesEpcis20) {
  const json doc =
      ConvertFile("openepcis-test-resources/EPCIS1.2_GS1_US_Pharma_DSCSA_Example_2_2_1_1.xml");
  EXPECT_EQ(doc["schemaVersion"], "2.0");
  EXPECT_EQ(doc["tracery:sourceSchemaVersion"], "1.2");
  const auto ns = Namespaces(doc["@context"]);
  EXPECT_EQ(ns.at("tracery"), "urn:tracery:epcis:xml:");
  EXPECT_EQ(ns.at("sbdh"), "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader");
  EXPECT_EQ(ns.at("gs1ushc"), "http://epcis.gs1us.org/hc/ns");
  EXPECT_EQ(ns.at("cbvmda"), "urn:epcglobal:cbv:mda");

  // The header: the SBDH as extension members, the master data in the JSON binding's shape.
  const json& header = doc["epcisHeader"];
  const json& sbdh = header["sbdh:StandardBusinessDocumentHeader"];
  EXPECT_EQ(sbdh["sbdh:HeaderVersion"], "1.0");
  EXPECT_EQ(sbdh["sbdh:Sender"]["sbdh:Identifier"],
            json::parse(R"({"Authority": "GS1", "#text": "urn:epc:id:sgln:030001.111111.0"})"));
  EXPECT_EQ(sbdh["sbdh:DocumentIdentification"]["sbdh:InstanceIdentifier"], "1100220001");
  const json& vocabularies = header["epcisMasterData"]["vocabularyList"];
  ASSERT_EQ(vocabularies.size(), 2u);
  EXPECT_EQ(vocabularies[0]["type"], "urn:epcglobal:epcis:vtype:EPCClass");
  EXPECT_EQ(vocabularies[1]["type"], "urn:epcglobal:epcis:vtype:Location");
  EXPECT_EQ(vocabularies[1]["vocabularyElementList"].size(), 4u);
  const json& product = vocabularies[0]["vocabularyElementList"][0];
  EXPECT_EQ(product["id"], "urn:epc:idpat:sgtin:030001.0012345.*");
  EXPECT_EQ(product["attributes"][1],
            json::parse(R"({"id": "urn:epcglobal:cbv:mda#additionalTradeItemIdentificationTypeCode",
                            "attribute": "US_FDA_NDC"})"));
  EXPECT_EQ(header["gs1ushc:guidelineVersion"], "GS1 US DSCSA R1.3");
  EXPECT_EQ(header["gs1ushc:dscsaTransactionStatement"]["gs1ushc:affirmTransactionStatement"],
            "true");

  // Events: <extension><ilmd>, <extension><sourceList> unwrapped.
  const json& events = doc["epcisBody"]["eventList"];
  EXPECT_EQ(events[0]["ilmd"], json::parse(R"({"cbvmda:lotNumber": "A123",
                                               "cbvmda:itemExpirationDate": "2025-03-27"})"));
  EXPECT_EQ(events[0]["epcList"].size(), 12u);
  EXPECT_FALSE(events[0].contains("extension"));
  EXPECT_EQ(events[2]["childEPCs"].size(), 4u);
  const json& shipping = events[7];
  EXPECT_EQ(shipping["bizTransactionList"][1],
            json::parse(R"({"type": "urn:epcglobal:cbv:btt:desadv",
                            "bizTransaction": "urn:epcglobal:cbv:bt:0300011111215:DEL100"})"));
  EXPECT_EQ(shipping["sourceList"], json::parse(R"([
      {"type": "urn:epcglobal:cbv:sdt:owning_party", "source": "urn:epc:id:sgln:030001.111111.0"},
      {"type": "urn:epcglobal:cbv:sdt:location", "source": "urn:epc:id:sgln:030001.111121.0"}])"));
  EXPECT_EQ(shipping["destinationList"][1]["destination"], "urn:epc:id:sgln:039999.345678.0");
  EXPECT_EQ(shipping["gs1ushc:dropShipment"], "false");
}

// ---------------------------------------------------------------------------------------------
// EPCIS 1.2 mapping, synthetic

constexpr char kEpcis12[] = R"(<?xml version="1.0"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="http://ex.com/"
    schemaVersion="1.2" creationDate="2020-01-01T00:00:00Z">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2020-01-01T00:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <baseExtension>
          <eventID>urn:uuid:0b3d6ab4-3e1c-4e3c-9a34-7c1d7c2f0001</eventID>
          <errorDeclaration>
            <declarationTime>2020-01-02T00:00:00Z</declarationTime>
            <reason>urn:epcglobal:cbv:er:did_not_occur</reason>
            <extension><correctiveEventIDs>
              <correctiveEventID>urn:uuid:0b3d6ab4-3e1c-4e3c-9a34-7c1d7c2f0002</correctiveEventID>
            </correctiveEventIDs></extension>
          </errorDeclaration>
        </baseExtension>
        <epcList/>
        <action>ADD</action>
        <readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id><extension/></readPoint>
        <extension>
          <quantityList>
            <quantityElement>
              <epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass>
              <quantity>12.5</quantity>
              <uom>KGM</uom>
            </quantityElement>
          </quantityList>
          <ilmd><ex:lot>L1</ex:lot></ilmd>
        </extension>
        <ex:note>n</ex:note>
      </ObjectEvent>
      <extension>
        <TransformationEvent>
          <eventTime>2020-01-01T00:00:00Z</eventTime>
          <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
          <inputEPCList><epc>urn:epc:id:sgtin:0614141.107346.1</epc></inputEPCList>
          <outputEPCList><epc>urn:epc:id:sgtin:0614141.107346.2</epc></outputEPCList>
        </TransformationEvent>
      </extension>
      <TransactionEvent>
        <eventTime>2020-01-01T00:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:0614141073467:PO1</bizTransaction></bizTransactionList>
        <epcList/>
        <action>ADD</action>
        <extension>
          <quantityList><quantityElement>
            <epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass><quantity>3</quantity>
          </quantityElement></quantityList>
        </extension>
      </TransactionEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>)";

TEST(XmlBindingTest, Epcis12ExtensionWrappersAreUnwrapped) {
  const json doc = Convert(kEpcis12);
  EXPECT_EQ(doc["schemaVersion"], "2.0");
  EXPECT_EQ(doc["tracery:sourceSchemaVersion"], "1.2");
  EXPECT_THAT(Types(doc), ElementsAre("ObjectEvent", "TransformationEvent", "TransactionEvent"));
  const json& e = doc["epcisBody"]["eventList"][0];
  EXPECT_EQ(e["eventID"], "urn:uuid:0b3d6ab4-3e1c-4e3c-9a34-7c1d7c2f0001");
  EXPECT_EQ(e["errorDeclaration"], json::parse(R"({
      "declarationTime": "2020-01-02T00:00:00Z", "reason": "urn:epcglobal:cbv:er:did_not_occur",
      "correctiveEventIDs": ["urn:uuid:0b3d6ab4-3e1c-4e3c-9a34-7c1d7c2f0002"]})"));
  EXPECT_EQ(e["epcList"], json::array());
  EXPECT_EQ(e["readPoint"], json::parse(R"({"id": "urn:epc:id:sgln:0614141.07346.1234"})"));
  // A decimal quantity of EPCIS 1.2 is a JSON number.
  EXPECT_TRUE(e["quantityList"][0]["quantity"].is_number_float());
  EXPECT_DOUBLE_EQ(e["quantityList"][0]["quantity"].get<double>(), 12.5);
  EXPECT_EQ(e["ilmd"], json::parse(R"({"ex:lot": "L1"})"));
  EXPECT_EQ(e["ex:note"], "n");
  EXPECT_FALSE(e.contains("extension"));
  EXPECT_FALSE(e.contains("baseExtension"));
  EXPECT_EQ(doc["epcisBody"]["eventList"][2]["quantityList"][0]["quantity"], 3);
  EXPECT_EQ(Namespaces(doc["@context"]).at("ex"), "http://ex.com/");
}

TEST(XmlBindingTest, EpcisNamespaceAsDefaultNamespace) {
  // Some writers put the unqualified elements in the EPCIS namespace with xmlns="...".
  const std::string xml = R"(<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1"
      xmlns="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2020-01-01T00:00:00Z">
    <EPCISBody><EventList>)" +
                          std::string(kObjectEvent) + R"(</EventList></EPCISBody>
  </epcis:EPCISDocument>)";
  const json doc = Convert(xml);
  EXPECT_THAT(Types(doc), ElementsAre("ObjectEvent"));
  EXPECT_EQ(doc["epcisBody"]["eventList"][0]["action"], "OBSERVE");
}

// ---------------------------------------------------------------------------------------------
// Single events, query documents

TEST(XmlEventTest, OneEventWithItsContext) {
  Problem problem;
  auto r = XmlEventToJson(R"(<ObjectEvent xmlns:ex="http://ex.com/">
      <eventTime>2024-01-02T03:04:05Z</eventTime>
      <epcList><epc> urn:epc:id:sgtin:0614141.107346.2017 </epc></epcList>
      <action>OBSERVE</action>
      <ex:temp unit="CEL">21</ex:temp>
    </ObjectEvent>)",
                          &problem);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({
      "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                   {"ex": "http://ex.com/"}],
      "type": "ObjectEvent", "eventTime": "2024-01-02T03:04:05Z",
      "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "action": "OBSERVE",
      "ex:temp": {"unit": "CEL", "#text": "21"}})"));
}

TEST(XmlEventTest, Epcis12WrappedTransformationEvent) {
  auto r = XmlEventToJson(R"(<extension><TransformationEvent>
      <eventTime>2024-01-02T03:04:05Z</eventTime>
      <transformationID>urn:epc:id:gdti:0614141.12345.400</transformationID>
    </TransformationEvent></extension>)",
                          nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["type"], "TransformationEvent");
  EXPECT_EQ((*r)["transformationID"], "urn:epc:id:gdti:0614141.12345.400");
  EXPECT_EQ((*r)["@context"], json::array({kContext}));
}

TEST(XmlEventTest, NotAnEvent) {
  Problem problem;
  auto r = XmlEventToJson("<epcList><epc>x</epc></epcList>", &problem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problem.rule, "xml.structure");
  EXPECT_EQ(problem.field, "epcList");
  auto wrapped = XmlEventToJson("<extension><a/><b/></extension>", &problem);
  ASSERT_FALSE(wrapped.ok());
  EXPECT_EQ(problem.rule, "xml.structure");
}

TEST(XmlBindingTest, QueryDocumentIsConvertedForTheCallerToRefuse) {
  const json doc = Convert(R"(<epcisq:EPCISQueryDocument
      xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0"
      creationDate="2024-01-02T03:04:05Z">
    <EPCISBody>
      <epcisq:QueryResults>
        <queryName>SimpleEventQuery</queryName>
        <subscriptionID>sub-1</subscriptionID>
        <resultsBody><EventList>)" +
                           std::string(kObjectEvent) + R"(</EventList></resultsBody>
      </epcisq:QueryResults>
    </EPCISBody>
  </epcisq:EPCISQueryDocument>)");
  EXPECT_EQ(doc["type"], "EPCISQueryDocument");
  const json& results = doc["epcisBody"]["queryResults"];
  EXPECT_EQ(results["queryName"], "SimpleEventQuery");
  EXPECT_EQ(results["subscriptionID"], "sub-1");
  EXPECT_EQ(results["resultsBody"]["eventList"][0]["type"], "ObjectEvent");
  EXPECT_FALSE(doc["epcisBody"].contains("eventList"));
}

// ---------------------------------------------------------------------------------------------
// Values and names

TEST(XmlBindingTest, TextIsTrimmedCdataMergedCommentsSkipped) {
  const json doc = Convert(Doc2(R"(<ObjectEvent>
        <eventTime>
           2024-01-02T03:04:05Z
        </eventTime>
        <epcList><epc><![CDATA[urn:epc:id:sgtin:0614141.107346.]]><!-- c -->2017</epc></epcList>
        <action>OBSERVE</action>
      </ObjectEvent>)"));
  const json& e = doc["epcisBody"]["eventList"][0];
  EXPECT_EQ(e["eventTime"], "2024-01-02T03:04:05Z");
  EXPECT_EQ(e["epcList"][0], "urn:epc:id:sgtin:0614141.107346.2017");
}

TEST(XmlBindingTest, QuantitiesAndSensorNumbers) {
  const auto quantity = [](const std::string& text) {
    const json doc = Convert(Doc2(R"(<ObjectEvent><action>ADD</action><quantityList>
        <quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass>
        <quantity>)" + text + R"(</quantity></quantityElement></quantityList></ObjectEvent>)"));
    return doc["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"];
  };
  EXPECT_EQ(quantity("200"), 200);
  EXPECT_EQ(quantity("+7"), 7);
  EXPECT_EQ(quantity("200.0"), 200);
  EXPECT_EQ(quantity("1e3"), 1000);
  EXPECT_EQ(quantity("-3"), -3);  // a number still; validation refuses it
  EXPECT_DOUBLE_EQ(quantity("0.25").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(quantity("2.5E-1").get<double>(), 0.25);
  EXPECT_EQ(quantity("18446744073709551615"), 18446744073709551615u);
  // Not numbers: kept as text for validation to report.
  EXPECT_EQ(quantity("12kg"), "12kg");
  EXPECT_EQ(quantity("INF"), "INF");
  EXPECT_EQ(quantity("NaN"), "NaN");
  EXPECT_EQ(quantity("1e999"), "1e999");
  EXPECT_EQ(quantity("0x10"), "0x10");
  EXPECT_EQ(quantity("."), ".");
  EXPECT_EQ(quantity(""), "");

  const json doc = Convert(Doc2(R"(<ObjectEvent><action>OBSERVE</action>
      <sensorElementList><sensorElement>
        <sensorReport type="gs1:Temperature" value="-1.5" booleanValue="false" sDev="x"/>
        <sensorReport type="example:Custom" exception="gs1:ALARM_CONDITION" booleanValue="1"/>
      </sensorElement></sensorElementList></ObjectEvent>)"));
  const json& reports = doc["epcisBody"]["eventList"][0]["sensorElementList"][0]["sensorReport"];
  EXPECT_EQ(reports[0], json::parse(R"({"type": "Temperature", "value": -1.5,
                                        "booleanValue": false, "sDev": "x"})"));
  EXPECT_EQ(reports[1], json::parse(R"({"type": "example:Custom", "exception": "ALARM_CONDITION",
                                        "booleanValue": true})"));
}

TEST(XmlBindingTest, ExtensionNamespacesGetUniquePrefixes) {
  const json doc = Convert(Doc2(R"(<ObjectEvent xmlns:gs1="http://not-gs1.example/">
        <action>OBSERVE</action>
        <a:x xmlns:a="http://a.example/one">1</a:x>
        <a:y xmlns:a="http://a.example/two">2</a:y>
        <z xmlns="http://default.example/">3</z>
        <gs1:w>4</gs1:w>
        <std:v xmlns:std="https://gs1.org/voc/">5</std:v>
        <gs1:w ext:flag="on" xmlns:ext="http://a.example/one">6</gs1:w>
      </ObjectEvent>)"));
  const json& e = doc["epcisBody"]["eventList"][0];
  EXPECT_EQ(e["a:x"], "1");
  EXPECT_EQ(e["a_2:y"], "2");
  EXPECT_EQ(e["ns1:z"], "3");
  EXPECT_EQ(e["gs1_2:w"], json::parse(R"(["4", {"a:flag": "on", "#text": "6"}])"));
  EXPECT_EQ(e["std:v"], "5");
  EXPECT_EQ(Namespaces(doc["@context"]),
            (std::map<std::string, std::string>{{"a", "http://a.example/one"},
                                                {"a_2", "http://a.example/two"},
                                                {"gs1_2", "http://not-gs1.example/"},
                                                {"ns1", "http://default.example/"},
                                                {"std", "https://gs1.org/voc/"}}));
}

TEST(XmlBindingTest, CertificationInfoMayRepeat) {
  const json doc = Convert(Doc2(R"(<ObjectEvent><action>OBSERVE</action>
      <certificationInfo>https://cert.example/1</certificationInfo>
      <certificationInfo>https://cert.example/2</certificationInfo></ObjectEvent>)"));
  EXPECT_EQ(doc["epcisBody"]["eventList"][0]["certificationInfo"],
            json({"https://cert.example/1", "https://cert.example/2"}));
}

TEST(XmlBindingTest, HeaderExtensionsAndEmptyBody) {
  const json doc = Convert(R"(<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"
      xmlns:ex="http://ex.com/" schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z"
      ex:batch="7">
    <EPCISHeader><ex:info>i</ex:info></EPCISHeader>
    <EPCISBody/>
  </epcis:EPCISDocument>)");
  EXPECT_EQ(doc["ex:batch"], "7");
  EXPECT_EQ(doc["epcisHeader"], json::parse(R"({"ex:info": "i"})"));
  EXPECT_EQ(doc["epcisBody"], json::parse(R"({"eventList": []})"));

  // EPCIS 1.2 also has an <extension> directly under the document.
  const json v12 = Convert(R"(<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1"
      xmlns:ex="http://ex.com/" schemaVersion="1.2" creationDate="2024-01-02T03:04:05Z">
    <EPCISBody><EventList/></EPCISBody>
    <extension><ex:trailer>t</ex:trailer></extension>
  </epcis:EPCISDocument>)");
  EXPECT_EQ(v12["ex:trailer"], "t");
}

// ---------------------------------------------------------------------------------------------
// Refusals

TEST(XmlRefusalTest, DoctypeWithEntitiesIsRefused) {
  // "Billion laughs": refused at the first declaration, before anything expands.
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
    creationDate="2024-01-02T03:04:05Z"><EPCISBody><EventList><ObjectEvent>
  <action>&lol3;</action></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>)";
  const Problem p = ProblemOf(xml);
  EXPECT_EQ(p.field, "document");
  EXPECT_EQ(p.rule, "xml.doctype");
  EXPECT_THAT(p.detail, HasSubstr("line 3"));
  EXPECT_THAT(p.detail, HasSubstr("entit"));
}

TEST(XmlRefusalTest, ExternalDtdAndOtherDeclarationsAreRefused) {
  const std::string body =
      Doc2(kObjectEvent).substr(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").size());
  for (const std::string& doctype : std::vector<std::string>{
           R"(<!DOCTYPE x SYSTEM "file:///etc/passwd">)",
           R"(<!DOCTYPE x PUBLIC "-//X//Y" "http://example.com/x.dtd">)",
           R"(<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>)",
           R"(<!DOCTYPE x [<!ELEMENT x ANY>]>)",
           R"(<!DOCTYPE x [<!ATTLIST ObjectEvent a CDATA "injected">]>)",
           R"(<!DOCTYPE x [<!NOTATION n SYSTEM "n">]>)",
       }) {
    SCOPED_TRACE(doctype);
    const Problem p = ProblemOf(doctype + body);
    EXPECT_EQ(p.rule, "xml.doctype");
    EXPECT_EQ(p.field, "document");
  }
  // A bare DOCTYPE declares nothing and is accepted (GS1's own examples carry one).
  EXPECT_THAT(Types(Convert("<!DOCTYPE project>" + body)), ElementsAre("ObjectEvent"));
  EXPECT_THAT(Types(Convert("<!DOCTYPE project [ ]>" + body)), ElementsAre("ObjectEvent"));
}

TEST(XmlRefusalTest, UndeclaredEntityReferenceIsRefused) {
  const Problem p = ProblemOf(Doc2("<ObjectEvent><action>&foo;</action></ObjectEvent>"));
  EXPECT_EQ(p.rule, "xml.wellFormed");
  EXPECT_THAT(p.detail, HasSubstr("foo"));
  // Also after a bare DOCTYPE, where libxml2 would otherwise keep the reference as a node.
  const Problem q =
      ProblemOf("<!DOCTYPE x>" +
                Doc2("<ObjectEvent><action>&foo;</action></ObjectEvent>")
                    .substr(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").size()));
  EXPECT_THAT(q.rule, testing::AnyOf("xml.wellFormed", "xml.entity"));
}

TEST(XmlRefusalTest, UnclosedTagIsRefusedWithItsLine) {
  const std::string xml = Doc2(R"(<ObjectEvent>
        <action>OBSERVE</action>
        <epcList>
      </ObjectEvent>)");
  const Problem p = ProblemOf(xml);
  EXPECT_EQ(p.field, "document");
  EXPECT_EQ(p.rule, "xml.wellFormed");
  EXPECT_THAT(p.detail, testing::MatchesRegex("line [0-9]+: .*epcList.*"));
  const Problem truncated = ProblemOf(xml.substr(0, xml.size() / 2));
  EXPECT_EQ(truncated.rule, "xml.wellFormed");
  EXPECT_THAT(truncated.detail, StartsWith("line "));
}

TEST(XmlRefusalTest, WrongRootIsRefused) {
  for (const std::string& xml : std::vector<std::string>{
           std::string(R"(<EPCISDocument schemaVersion="2.0"><EPCISBody/></EPCISDocument>)"),
           std::string(R"(<x:EPCISDocument xmlns:x="urn:other"><EPCISBody/></x:EPCISDocument>)"),
           std::string(R"(<epcis:EPCISQueryDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>)"),
           std::string(kObjectEvent),
       }) {
    SCOPED_TRACE(xml);
    const Problem p = ProblemOf(xml);
    EXPECT_EQ(p.rule, "xml.root");
    EXPECT_EQ(p.field, "document");
  }
}

TEST(XmlRefusalTest, OversizedInputIsRefusedBeforeParsing) {
  std::string xml = Doc2(kObjectEvent);
  xml.resize(kMaxDocumentBytes + 1, ' ');
  const Problem p = ProblemOf(xml);
  EXPECT_EQ(p.rule, "xml.size");
  EXPECT_THAT(p.detail, HasSubstr("kMaxDocumentBytes"));
  Problem event_problem;
  EXPECT_FALSE(XmlEventToJson(xml, &event_problem).ok());
  EXPECT_EQ(event_problem.field, "event");
  EXPECT_EQ(event_problem.rule, "xml.size");
}

TEST(XmlRefusalTest, EmptyAndNonXmlInput) {
  EXPECT_EQ(ProblemOf("").rule, "xml.wellFormed");
  EXPECT_EQ(ProblemOf(" \n ").rule, "xml.wellFormed");
  EXPECT_EQ(ProblemOf(R"({"type": "EPCISDocument"})").rule, "xml.wellFormed");
  EXPECT_EQ(ProblemOf(std::string("<a>\0</a>", 8)).rule, "xml.wellFormed");
  EXPECT_FALSE(XmlDocumentToJson("<a", nullptr).ok());  // a null problem is fine
}

// Found by xml_fuzzer: libxml2 reports encoding conversion failures without a parser context,
// which went to stderr. They are the document's problem, reported like any other.
TEST(XmlRefusalTest, EncodingErrorsAreProblemsNotStderr) {
  const std::string xml = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>\n<a x=\"\x8e=\"/>";
  testing::internal::CaptureStderr();
  const Problem p = ProblemOf(xml);
  const std::string stderr_text = testing::internal::GetCapturedStderr();
  EXPECT_EQ(p.rule, "xml.wellFormed");
  EXPECT_THAT(p.detail, HasSubstr("line "));
  EXPECT_EQ(stderr_text, "");
}

TEST(XmlRefusalTest, StructureProblemsNameTheElement) {
  const std::string two = std::string(kObjectEvent) + R"(
      <ObjectEvent>
        <action>OBSERVE</action>
        <bogus>1</bogus>
      </ObjectEvent>)";
  Problem p = ProblemOf(Doc2(two));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/bogus");
  EXPECT_EQ(p.rule, "xml.structure");
  EXPECT_THAT(p.detail, StartsWith("line 14: "));

  p = ProblemOf(Doc2(R"(<ObjectEvent><action>ADD</action><action>ADD</action></ObjectEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent/action[2]");
  EXPECT_THAT(p.detail, HasSubstr("more than once"));

  p = ProblemOf(Doc2(R"(<ObjectEvent><epcList>text<epc>a</epc></epcList></ObjectEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent/epcList");

  p = ProblemOf(Doc2(R"(<ObjectEvent><epcList><id>a</id></epcList></ObjectEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent/epcList/id");

  p = ProblemOf(Doc2(R"(<ObjectEvent><action><b/></action></ObjectEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent/action/b");

  p = ProblemOf(Doc2(R"(<ObjectEvent><action a="1">ADD</action></ObjectEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/ObjectEvent/action");

  p = ProblemOf(Doc2(R"(<QuantityEvent><epcClass>urn:epc:idpat:sgtin:0614141.107346.*</epcClass>
      <quantity>3</quantity></QuantityEvent>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/QuantityEvent");
  EXPECT_THAT(p.detail, HasSubstr("quantityList"));

  p = ProblemOf(Doc2(R"(<Event/>)"));
  EXPECT_EQ(p.field, "EPCISDocument/EPCISBody/EventList/Event");
  EXPECT_EQ(p.rule, "xml.structure");

  p = ProblemOf(R"(<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>)");
  EXPECT_EQ(p.field, "EPCISDocument");
  EXPECT_THAT(p.detail, HasSubstr("EPCISBody"));
}

TEST(XmlRefusalTest, DeepNestingIsRefused) {
  std::string open;
  std::string close;
  for (int i = 0; i < 40; ++i) {
    open += "<ex:n>";
    close = "</ex:n>" + close;
  }
  const Problem p =
      ProblemOf(Doc2("<ObjectEvent><action>ADD</action>" + open + "x" + close + "</ObjectEvent>",
                     R"(xmlns:ex="http://ex.com/")"));
  EXPECT_EQ(p.rule, "xml.depth");
  // libxml2's own bound (256) holds for everything else.
  std::string deep(300 * 3, ' ');
  deep.clear();
  for (int i = 0; i < 300; ++i) deep += "<a>";
  EXPECT_EQ(ProblemOf(deep).rule, "xml.wellFormed");
}

}  // namespace
}  // namespace tracery::epcis

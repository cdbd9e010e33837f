// Every JSON capture document of shared/data/epcis (third-party examples from GS1, OpenEPCIS and
// the Event Hash ID reference implementation) is accepted, and each of its events maps to a
// checkpoint that the checkpoint JSON codec reads back unchanged.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "epcis_test_data.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/epcis/document.h"
#include "tracery/epcis/identifiers.h"

namespace tracery::epcis {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using testing::ReadDataFile;
using ::testing::StartsWith;

constexpr const char* kCaptureDocuments[] = {
    "epcis-event-hash-generator/ReferenceEventHashAlgorithm.jsonld",
    "epcis-event-hash-generator/epcisDocWithVariousEventTypes.jsonld",
    "gs1-EPCIS/AssociationEvent-c.jsonld",
    "gs1-EPCIS/AssociationEvent-f.jsonld",
    "gs1-EPCIS/ErrorDeclarationAndCorrectiveEvent.jsonld",
    "gs1-EPCIS/Example-TransactionEvents-2020_07_03y.jsonld",
    "gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld",
    "gs1-EPCIS/Example_9.6.3-AggregationEvent.jsonld",
    "gs1-EPCIS/Example_9.6.4-TransformationEvent.jsonld",
    "gs1-EPCIS/Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
    "gs1-EPCIS/PersistentDisposition-example.jsonld",
    "gs1-EPCIS/SensorDataExample2.jsonld",
    "gs1-EPCIS/SensorDataExample9.jsonld",
    "gs1-EPCIS/object_event_all_possible_fields.jsonld",
    "gs1-EPCIS/transformation_event_all_possible_fields.jsonld",
    "openepcis-dpp-ready-fsma204/receiving-cte.jsonld",
    "openepcis-dpp-ready-fsma204/shipping-cte.jsonld",
    "openepcis-dpp-ready-fsma204/transformation-cte.jsonld",
    "openepcis-test-resources/Combination_of_different_event.json",
    "openepcis-test-resources/TransformationEvent_with_sensorData.json",
};

Document Parsed(const std::string& relative) {
  Problem problem;
  auto doc = ParseDocument(ReadDataFile(relative), Binding::kJson, &problem);
  EXPECT_TRUE(doc.ok()) << relative << ": " << problem.ToString() << " (" << problem.rule << ")";
  return doc.ok() ? std::move(doc).value() : Document();
}

class CaptureDocumentTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CaptureDocumentTest, EveryEventMapsToACheckpointThatRoundTrips) {
  Document doc = Parsed(GetParam());
  ASSERT_FALSE(doc.events.empty());
  for (size_t i = 0; i < doc.events.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    const Event& event = doc.events[i];
    auto checkpoint = EventToCheckpoint(event);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
    EXPECT_EQ(checkpoint->event_id(), EventHashId(event));
    EXPECT_EQ(checkpoint->payload_hash(), HashBytes(Sha256(EventPayload(event))));
    if (event.json.contains("eventID") && event.json["eventID"] != checkpoint->event_id()) {
      EXPECT_EQ(checkpoint->client_event_id(), event.json["eventID"]);
    }
    auto again = CheckpointFromJson(CheckpointToJson(*checkpoint));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(MessageDifferencer::Equals(*checkpoint, *again))
        << checkpoint->DebugString() << "\n"
        << again->DebugString();
  }
}

INSTANTIATE_TEST_SUITE_P(SharedData, CaptureDocumentTest, ::testing::ValuesIn(kCaptureDocuments));

TEST(CaptureDocumentTest, ObjectEventWithoutWhatIsRefused) {
  Problem problem;
  auto doc = ParseDocument(
      ReadDataFile("openepcis-test-resources/INVALID_ObjectEvent_without_identifier_list.json"),
      Binding::kJson, &problem);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(problem.field, "epcisBody.eventList[0]");
  EXPECT_EQ(problem.rule, "ObjectEvent.what");
  EXPECT_THAT(doc.status().message(), StartsWith("epcisBody.eventList[0]: an ObjectEvent needs"));
}

TEST(CaptureDocumentTest, QueryDocumentIsRefusedAtCapture) {
  Problem problem;
  auto doc =
      ParseDocument(ReadDataFile("gs1-EPCIS/EPCISQueryDocument.jsonld"), Binding::kJson, &problem);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(problem.field, "type");
  EXPECT_EQ(problem.rule, "document.type");
  EXPECT_THAT(problem.detail, HasSubstr("query result"));
}

// The same transformation written with EPC URNs and with GS1 Digital Link URIs: the classes are
// the same, so are the checkpoints' classes, the pre-hash strings and the Event Hash IDs. (The
// eventIDs inside the two files differ, and are not used: see MANIFEST.md.)
TEST(CaptureDocumentTest, UrnAndDigitalLinkTwinsAreTheSameEvent) {
  Document urn = Parsed("gs1-EPCIS/Example_9.6.4-TransformationEvent.jsonld");
  Document dl = Parsed("gs1-EPCIS/Example_9.6.4-TransformationEventWithDigitalLink.jsonld");
  ASSERT_EQ(urn.events.size(), 1u);
  ASSERT_EQ(dl.events.size(), 1u);
  const auto& urn_classes = urn.events[0].json["inputQuantityList"];
  const auto& dl_classes = dl.events[0].json["inputQuantityList"];
  ASSERT_EQ(urn_classes.size(), dl_classes.size());
  for (size_t i = 0; i < urn_classes.size(); ++i) {
    auto a = CanonicalIdentifier(urn_classes[i]["epcClass"].get<std::string>());
    auto b = CanonicalIdentifier(dl_classes[i]["epcClass"].get<std::string>());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
  }
  EXPECT_EQ(EventPreHash(urn.events[0]), EventPreHash(dl.events[0]));
  EXPECT_EQ(EventHashId(urn.events[0]), EventHashId(dl.events[0]));
  auto a = EventToCheckpoint(urn.events[0]);
  auto b = EventToCheckpoint(dl.events[0]);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->input_quantity_list_size(), b->input_quantity_list_size());
  for (int i = 0; i < a->input_quantity_list_size(); ++i) {
    EXPECT_EQ(a->input_quantity_list(i).epc_class(), b->input_quantity_list(i).epc_class());
  }
  EXPECT_EQ(a->input_quantity_list(1).epc_class(), "https://id.gs1.org/01/00614141777778/10/987");
  EXPECT_EQ(a->input_quantity_list(2).epc_class(), "https://id.gs1.org/01/04012345666663");
}

}  // namespace
}  // namespace tracery::epcis

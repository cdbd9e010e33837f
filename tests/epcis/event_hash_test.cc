#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "epcis_test_data.h"
#include "tracery/epcis/document.h"

namespace tracery::epcis {
namespace {

using ::nlohmann::json;
using testing::ReadDataFile;

Document Parsed(const std::string& relative) {
  Problem problem;
  auto doc = ParseDocument(ReadDataFile(relative), Binding::kJson, &problem);
  EXPECT_TRUE(doc.ok()) << relative << ": " << problem.ToString() << " (" << problem.rule << ")";
  return doc.ok() ? std::move(doc).value() : Document();
}

std::string HashId(const std::string& hex) { return "ni:///sha-256;" + hex + "?ver=CBV2.0"; }

// MANIFEST.md: the pre-hash string of the reference implementation's .prehashes file.
constexpr char kReferencePreHash[] =
    "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://id.gs1.org/00/040123450000001112epc=https://id.gs1.org/00/"
    "040123450000002225epc=https://id.gs1.org/00/040123450000003338action=OBSERVE"
    "bizStep=https://ref.gs1.org/cbv/BizStep-departingreadPointid=https://id.gs1.org/414/"
    "4012345000115/254/987{https://ns.example.com/epcis/}myField1{https://ns.example.com/epcis/}"
    "mySubField1=2{https://ns.example.com/epcis/}mySubField2=5{https://ns.example.com/epcis/}"
    "myField2=0{https://ns.example.com/epcis/}myField3{https://ns.example.com/epcis/}"
    "mySubField3=1{https://ns.example.com/epcis/}mySubField3=3";

TEST(EventHashTest, ReferenceEventPreHashString) {
  Document doc = Parsed("epcis-event-hash-generator/ReferenceEventHashAlgorithm.jsonld");
  ASSERT_EQ(doc.events.size(), 1u);
  EXPECT_EQ(EventPreHash(doc.events[0]), kReferencePreHash);
}

TEST(EventHashTest, ReferenceEventHashId) {
  Document doc = Parsed("epcis-event-hash-generator/ReferenceEventHashAlgorithm.jsonld");
  ASSERT_EQ(doc.events.size(), 1u);
  EXPECT_EQ(EventHashId(doc.events[0]),
            HashId("6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7"));
}

// MANIFEST.md: the 13 hashes of the reference implementation, in document order.
TEST(EventHashTest, VariousEventTypes) {
  const std::vector<std::string> expected = {
      "25be54b3d29f31ef9b4e62d62e7610f5d186369ba6eabb5e70ba9884153792a7",
      "b28bf72f1bb227fbf583c8e062dc6c52689849a5f6ea4fa290eaede62f345eab",
      "c50842eb714406394a77fb7b517fea621c78a61f65549874de7c9e019afe7b6f",
      "5f396ea5cb32fe4d0980cb79f5a5eb9640559e9f5a6cefa5c98a7d6ad554b50b",
      "c941e6486c561c2be83c28dc228c150eaef9a6befb1015e6cc563982fb7414b6",
      "cfda50b7ff23682e989bafc3747ac9b752f405305fcde6618280f6be27344f35",
      "c4bdb87c8d59d6ab569d0cfc6583e9dd4c314cdf71799b0ef8d4febe5239d9c5",
      "a62b9f9e429fcba628ea47d073542ca67e9fbe4688df2c649b8cd13b8519b91f",
      "cf6559dc931963f19ed9cd2fe33c02ef64c8cfd557e5a96b086a87db315b7122",
      "b741a543ea0b2a4c4bdb3441c7dc196b41710e5b2c9870b211fac8d6d4c93427",
      "335da6c3ab1d932824748791beec4d7ed261ed383f6849f6b8718e8fafb4d298",
      "36ab2ba0e3eac03d14a630148c63c31da00b8c4f1c311f501eb459e89a6e6350",
      "756558aa09b2d38c6bcb6e50eab2fcbebd9bde17362a7c4f4686a5d7f5fb013f",
  };
  Document doc = Parsed("epcis-event-hash-generator/epcisDocWithVariousEventTypes.jsonld");
  ASSERT_EQ(doc.events.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(EventHashId(doc.events[i]), HashId(expected[i]))
        << "event " << i << " pre-hash: " << EventPreHash(doc.events[i]);
  }
}

}  // namespace
}  // namespace tracery::epcis

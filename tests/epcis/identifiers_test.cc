#include "tracery/epcis/identifiers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tracery::epcis {
namespace {

using ::testing::HasSubstr;

std::string Canonical(std::string_view id) {
  auto r = CanonicalIdentifier(id);
  EXPECT_TRUE(r.ok()) << id << ": " << r.status().ToString();
  return r.ok() ? *r : "";
}

std::string ErrorOf(std::string_view id) {
  auto r = CanonicalIdentifier(id);
  EXPECT_FALSE(r.ok()) << id << " gave " << (r.ok() ? *r : "");
  return r.ok() ? "" : r.status().message();
}

// Each EPC scheme of the Tag Data Standard that names a GS1 key, with the check digit computed.
TEST(CanonicalIdentifierTest, EpcUrnsBecomeDigitalLinkUris) {
  const std::pair<const char*, const char*> cases[] = {
      {"urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"},
      {"urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"},
      {"urn:epc:id:sgln:0614141.00777.0", "https://id.gs1.org/414/0614141007776"},
      {"urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"},
      {"urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400"},
      {"urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400"},
      {"urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902"},
      {"urn:epc:id:gsrnp:0614141.1234567890", "https://id.gs1.org/8017/061414112345678902"},
      {"urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400"},
      {"urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711"},
      {"urn:epc:id:cpi:0614141.123ABC.123456789",
       "https://id.gs1.org/8010/0614141123ABC/8011/123456789"},
      {"urn:epc:id:pgln:0614141.00001", "https://id.gs1.org/417/0614141000012"},
      {"urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"},
      {"urn:epc:id:gsin:0614141.123456789", "https://id.gs1.org/402/06141411234567890"},
      {"urn:epc:id:itip:4012345.012345.01.02.987",
       "https://id.gs1.org/8006/040123451234560102/21/987"},
      {"urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB",
       "https://id.gs1.org/01/01234567894560/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"},
      {"urn:epc:class:lgtin:4012345.012345.998877",
       "https://id.gs1.org/01/04012345123456/10/998877"},
      {"urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"},
      {"urn:epc:idpat:grai:0614141.12345.*", "https://id.gs1.org/8003/00614141123452"},
      {"urn:epc:idpat:gdti:0614141.12345.*", "https://id.gs1.org/253/0614141123452"},
      {"urn:epc:idpat:cpi:0614141.123ABC.*", "https://id.gs1.org/8010/0614141123ABC"},
  };
  for (const auto& [urn, dl] : cases) EXPECT_EQ(Canonical(urn), dl) << urn;
}

TEST(CanonicalIdentifierTest, SerialsArePercentEncodedOneWay) {
  EXPECT_EQ(Canonical("urn:epc:id:sgtin:0614141.107346.A%2FB!"),
            "https://id.gs1.org/01/10614141073464/21/A%2FB%21");
  EXPECT_EQ(Canonical("https://id.gs1.org/01/10614141073464/21/A%2fB!"),
            "https://id.gs1.org/01/10614141073464/21/A%2FB%21");
}

TEST(CanonicalIdentifierTest, DigitalLinkUrisAreConstrainedAndMovedToIdGs1Org) {
  const std::pair<const char*, const char*> cases[] = {
      // another host, query string and fragment
      {"https://example.com/01/09506000134352/21/abc?17=201231#x",
       "https://id.gs1.org/01/09506000134352/21/abc"},
      // a path prefix before the key; http
      {"http://brand.example.com/products/01/09506000134352",
       "https://id.gs1.org/01/09506000134352"},
      // short names, a GTIN-13 padded to 14 digits
      {"https://id.gs1.org/gtin/9506000134352/lot/A1",
       "https://id.gs1.org/01/09506000134352/10/A1"},
      // the finest level only: a serial over a lot, no CPV
      {"https://id.gs1.org/01/09506000134352/22/2A/10/A1/21/S9",
       "https://id.gs1.org/01/09506000134352/21/S9"},
      // key qualifiers in another order
      {"https://id.gs1.org/01/09506000134352/21/S9/10/A1",
       "https://id.gs1.org/01/09506000134352/21/S9"},
      {"https://id.example.org/414/4012345000115/254/987",
       "https://id.gs1.org/414/4012345000115/254/987"},
      {"https://example.com/00/106141412345678908/", "https://id.gs1.org/00/106141412345678908"},
      {"https://example.org/8004/401234599999", "https://id.gs1.org/8004/401234599999"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(Canonical(in), out) << in;
}

TEST(CanonicalIdentifierTest, TheTwoFormsOfOneKeyAreEqual) {
  EXPECT_EQ(Canonical("urn:epc:class:lgtin:0614141.077777.987"),
            Canonical("https://id.gs1.org/01/00614141777778/10/987"));
  EXPECT_EQ(Canonical("urn:epc:id:sscc:4012345.0000000333"),
            Canonical("https://example.com/sscc/040123450000003338"));
}

TEST(CanonicalIdentifierTest, OtherUrisAreKept) {
  for (const char* uri :
       {"urn:epcglobal:cbv:bt:5200001000008:4711", "http://transaction.acme.com/po/12345678",
        "urn:uuid:4f2c3d6e-1b7a-4c55-9d1e-2a7b8c9d0e1f", "urn:epc:id:gid:95100000.12345.400",
        "https://example.com/api/orders/1234", "urn:example:thing"}) {
    EXPECT_EQ(Canonical(uri), uri);
  }
}

// The check digit of a Digital Link URI is kept as written, never corrected (see the header).
TEST(CanonicalIdentifierTest, DigitalLinkCheckDigitIsKept) {
  EXPECT_EQ(Canonical("https://id.example.com/8003/030013450007718765"),
            "https://id.gs1.org/8003/030013450007718765");
}

TEST(CanonicalIdentifierTest, MalformedIdentifiersAreRefusedSayingWhy) {
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:0614141.10734.2017"), HasSubstr("13 digits"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:06141.1073466.2017"), HasSubstr("company prefix"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:0614141.107346"), HasSubstr("fields"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:0614141.107346.123456789012345678901"),
              HasSubstr("1 to 20 characters"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:0614141.107346.a%2"), HasSubstr("%-escape"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgtin:0614141.107346.a#b"), HasSubstr("character set"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sscc:0614141.123456789"), HasSubstr("17 digits"));
  EXPECT_THAT(ErrorOf("urn:epc:idpat:sgtin:0614141.*.*"), HasSubstr("class-level"));
  EXPECT_THAT(ErrorOf("urn:epc:id:sgcn:4012345.67890.04a"), HasSubstr("digits"));
  EXPECT_THAT(ErrorOf("https://id.gs1.org/01/123456789"), HasSubstr("GTIN"));
  EXPECT_THAT(ErrorOf("https://id.gs1.org/00/1234567890"), HasSubstr("18 digits"));
  EXPECT_THAT(ErrorOf("https://id.gs1.org/01/09506000134352/17/201231"),
              HasSubstr("not a key qualifier"));
  EXPECT_THAT(ErrorOf("https://id.gs1.org/01/09506000134352/21"), HasSubstr("pairs"));
  EXPECT_THAT(ErrorOf("not a uri"), HasSubstr("spaces"));
  EXPECT_THAT(ErrorOf("sgtin-0614141"), HasSubstr("not an absolute URI"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf(std::string(3000, 'a')), HasSubstr("kMaxIdentifierBytes"));
}

}  // namespace
}  // namespace tracery::epcis

// The lot an ILMD lot number bridges a serialised item to must be the very identifier that the
// EPCIS canonicaliser makes of the same lot written as an EPC class URN or a Digital Link URI:
// otherwise a recall of the lot misses the items.
#include <gtest/gtest.h>

#include "tracery/epcis/identifiers.h"
#include "tracery/lineage/lot_keys.h"

namespace tracery::lineage {
namespace {

TEST(CanonicalLotTest, IlmdBridgeMatchesTheCanonicalLotIdentifier) {
  const std::string item = epcis::CanonicalIdentifier("urn:epc:id:sgtin:4012345.012345.77").value();
  struct Case {
    std::string lot;          // as an ILMD lot number carries it
    std::string urn_encoded;  // as an EPC class URN writes it
  };
  for (const Case& c : std::vector<Case>{{"LOT-2026-11-A", "LOT-2026-11-A"},
                                         {"A/B", "A%2FB"},
                                         {"50%", "50%25"},
                                         {"x:y", "x%3Ay"},
                                         {"A+B", "A%2BB"},
                                         {"a_b.c", "a_b.c"}}) {
    SCOPED_TRACE(c.lot);
    const std::string bridged = LotOfInstanceWithLotNumber(item, c.lot);
    auto from_urn =
        epcis::CanonicalIdentifier("urn:epc:class:lgtin:4012345.012345." + c.urn_encoded);
    ASSERT_TRUE(from_urn.ok()) << from_urn.status().ToString();
    EXPECT_EQ(bridged, *from_urn);
    auto from_dl = epcis::CanonicalIdentifier(*from_urn);
    ASSERT_TRUE(from_dl.ok());
    EXPECT_EQ(*from_dl, *from_urn);
  }
}

}  // namespace
}  // namespace tracery::lineage

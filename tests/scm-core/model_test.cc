#include "tracery/scm_core/model.h"

#include <gtest/gtest.h>

namespace tracery::scm_core {
namespace {

TEST(Quantity, ParsesDecimalsExactly) {
  EXPECT_EQ(Quantity::Parse("12")->thousandths, 12000);
  EXPECT_EQ(Quantity::Parse("12.5")->thousandths, 12500);
  EXPECT_EQ(Quantity::Parse("-3.125")->thousandths, -3125);
  EXPECT_EQ(Quantity::Parse("+.5")->thousandths, 500);
  EXPECT_EQ(Quantity::Parse("1.25000")->thousandths, 1250);
  EXPECT_EQ(Quantity::Parse("0")->thousandths, 0);
}

TEST(Quantity, RefusesWhatIsNotAnExactDecimal) {
  for (const char* bad : {"", "-", ".", "1.", "1e3", "1.2345", "abc", "1,5", " 1",
                          "99999999999999999999"}) {
    auto q = Quantity::Parse(bad);
    EXPECT_FALSE(q.ok()) << bad;
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), Code::kInvalidArgument);
    }
  }
}

TEST(Quantity, PrintsTheShortestExactForm) {
  EXPECT_EQ(Quantity{12000}.ToString(), "12");
  EXPECT_EQ(Quantity{12500}.ToString(), "12.5");
  EXPECT_EQ(Quantity{-3125}.ToString(), "-3.125");
  EXPECT_EQ(Quantity{5}.ToString(), "0.005");
  for (const char* s : {"7", "0.1", "-42.042", "123456789.999"}) {
    EXPECT_EQ(Quantity::Parse(s)->ToString(), s);
  }
}

TEST(InventoryPosition, SellableIsOnHandLessAllocatedAndHeldNeverNegative) {
  InventoryPosition p{.gtin = "x", .gln = "y", .on_hand = Quantity::Units(100),
                      .allocated = Quantity::Units(30), .on_hold = Quantity::Units(20)};
  EXPECT_EQ(p.Sellable(), Quantity::Units(50));
  p.on_hold = Quantity::Units(90);
  EXPECT_EQ(p.Sellable(), Quantity{});
}

TEST(Gs1Keys, CheckDigitsAndGtinPadding) {
  EXPECT_TRUE(IsValidGtin("00614141123452"));
  EXPECT_FALSE(IsValidGtin("00614141123453"));
  EXPECT_TRUE(IsValidGln("0614141000005"));
  EXPECT_TRUE(IsValidSscc("106141411234567897"));
  EXPECT_FALSE(IsValidSscc("10614141123456789"));
  EXPECT_EQ(*NormaliseGtin("614141123452"), "00614141123452");  // UPC-A
  EXPECT_EQ(*NormaliseGtin("40170725"), "00000040170725");      // EAN-8
  EXPECT_FALSE(NormaliseGtin("614141123453").ok());
  EXPECT_FALSE(NormaliseGtin("61414112345").ok());
}

}  // namespace
}  // namespace tracery::scm_core

#include "tracery/epcis/cbv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tracery::epcis {
namespace {

using ::testing::HasSubstr;

constexpr CbvVocabulary kVocabularies[] = {
    CbvVocabulary::kBizStep,
    CbvVocabulary::kDisposition,
    CbvVocabulary::kSourceDestType,
    CbvVocabulary::kBizTransactionType,
};

std::string Normalized(CbvVocabulary vocabulary, std::string_view value) {
  auto r = NormalizeCbv(vocabulary, value);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

// One value of each vocabulary in all three forms, spelled out by hand.
TEST(CbvTest, NormalizesTheThreeFormsOfEachVocabulary) {
  struct Case {
    CbvVocabulary vocabulary;
    const char* bare;
    const char* urn;
    const char* web_uri;
  };
  const Case cases[] = {
      {CbvVocabulary::kBizStep, "shipping", "urn:epcglobal:cbv:bizstep:shipping",
       "https://ref.gs1.org/cbv/BizStep-shipping"},
      {CbvVocabulary::kBizStep, "void_shipping", "urn:epcglobal:cbv:bizstep:void_shipping",
       "https://ref.gs1.org/cbv/BizStep-void_shipping"},
      {CbvVocabulary::kDisposition, "in_transit", "urn:epcglobal:cbv:disp:in_transit",
       "https://ref.gs1.org/cbv/Disp-in_transit"},
      {CbvVocabulary::kDisposition, "sellable_not_accessible",
       "urn:epcglobal:cbv:disp:sellable_not_accessible",
       "https://ref.gs1.org/cbv/Disp-sellable_not_accessible"},
      {CbvVocabulary::kSourceDestType, "owning_party", "urn:epcglobal:cbv:sdt:owning_party",
       "https://ref.gs1.org/cbv/SDT-owning_party"},
      {CbvVocabulary::kBizTransactionType, "po", "urn:epcglobal:cbv:btt:po",
       "https://ref.gs1.org/cbv/BTT-po"},
      {CbvVocabulary::kBizTransactionType, "desadv", "urn:epcglobal:cbv:btt:desadv",
       "https://ref.gs1.org/cbv/BTT-desadv"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bare);
    EXPECT_EQ(Normalized(c.vocabulary, c.bare), c.web_uri);
    EXPECT_EQ(Normalized(c.vocabulary, c.urn), c.web_uri);
    EXPECT_EQ(Normalized(c.vocabulary, c.web_uri), c.web_uri);
  }
}

// Every value of every list, in all three forms, built from the prefixes GS1 publishes.
TEST(CbvTest, EveryListValueNormalizesFromEachForm) {
  const std::pair<CbvVocabulary, std::pair<const char*, const char*>> prefixes[] = {
      {CbvVocabulary::kBizStep, {"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"}},
      {CbvVocabulary::kDisposition, {"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"}},
      {CbvVocabulary::kSourceDestType, {"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"}},
      {CbvVocabulary::kBizTransactionType,
       {"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"}},
  };
  for (const auto& [vocabulary, forms] : prefixes) {
    EXPECT_EQ(CbvUrnPrefix(vocabulary), forms.first);
    EXPECT_EQ(CbvWebUriPrefix(vocabulary), forms.second);
    for (std::string_view bare : CbvValues(vocabulary)) {
      const std::string web = forms.second + std::string(bare);
      EXPECT_EQ(Normalized(vocabulary, bare), web);
      EXPECT_EQ(Normalized(vocabulary, forms.first + std::string(bare)), web);
      EXPECT_EQ(Normalized(vocabulary, web), web);
      EXPECT_EQ(CbvBareValue(web), bare);
    }
  }
}

// The lists are the complete CBV 2.0 lists: sizes and spot checks at both ends of each list.
TEST(CbvTest, ListsAreTheCompleteCbv20Lists) {
  EXPECT_EQ(CbvValues(CbvVocabulary::kBizStep).size(), 41u);
  EXPECT_EQ(CbvValues(CbvVocabulary::kDisposition).size(), 33u);
  EXPECT_EQ(CbvValues(CbvVocabulary::kSourceDestType).size(), 3u);
  EXPECT_EQ(CbvValues(CbvVocabulary::kBizTransactionType).size(), 12u);
  for (const char* v : {"accepting", "commissioning", "creating_class_instance", "entering_exiting",
                        "sensor_reporting", "stock_taking", "transporting", "void_shipping"}) {
    EXPECT_TRUE(IsCbvValue(CbvVocabulary::kBizStep, v)) << v;
  }
  for (const char* v : {"active", "completeness_inferred", "needs_replacement", "no_pedigree_match",
                        "partially_dispensed", "unknown"}) {
    EXPECT_TRUE(IsCbvValue(CbvVocabulary::kDisposition, v)) << v;
  }
  for (const char* v : {"location", "owning_party", "possessing_party"}) {
    EXPECT_TRUE(IsCbvValue(CbvVocabulary::kSourceDestType, v)) << v;
  }
  for (const char* v : {"bol", "cert", "inv", "pedigree", "poc", "prodorder", "recadv", "rma",
                        "testprd", "testres"}) {
    EXPECT_TRUE(IsCbvValue(CbvVocabulary::kBizTransactionType, v)) << v;
  }
  // A value of one vocabulary is not a value of another, and near misses are not values.
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kBizStep, "in_transit"));
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kDisposition, "shipping"));
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kBizStep, "Shipping"));
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kBizStep, "shipping "));
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kBizTransactionType, "p"));
  EXPECT_FALSE(IsCbvValue(CbvVocabulary::kBizStep, ""));
}

TEST(CbvTest, ListsAreSortedWithoutDuplicates) {
  for (CbvVocabulary vocabulary : kVocabularies) {
    auto values = CbvValues(vocabulary);
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(values[i - 1], values[i]);
  }
}

TEST(CbvTest, KeepsUserDefinedUris) {
  for (CbvVocabulary vocabulary : kVocabularies) {
    for (const char* uri :
         {"http://epcis.example.com/user/vocab/bizstep/exampling",
          "https://example.org/voc/step-1?x=y", "urn:gs1:epcisapp:rail:btt:passage",
          "urn:epcglobal:cbv:other_namespace:value",
          // Not this vocabulary's Web URI prefix (case differs): user-defined.
          "https://ref.gs1.org/cbv/Bizstep-sensor_reporting"}) {
      EXPECT_EQ(Normalized(vocabulary, uri), uri);
    }
  }
}

TEST(CbvTest, RefusesUnknownBareValuesNamingVocabularyAndValue) {
  auto r = NormalizeCbv(CbvVocabulary::kBizStep, "shiping");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "'shiping' is not a CBV 2.0 business step; write a URI for a user-defined one");

  const std::pair<CbvVocabulary, const char*> cases[] = {
      {CbvVocabulary::kDisposition, "disposition"},
      {CbvVocabulary::kSourceDestType, "source/destination type"},
      {CbvVocabulary::kBizTransactionType, "business transaction type"},
  };
  for (const auto& [vocabulary, name] : cases) {
    auto bad = NormalizeCbv(vocabulary, "nonsense");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(bad.status().message(), HasSubstr("'nonsense'"));
    EXPECT_THAT(bad.status().message(), HasSubstr(std::string("CBV 2.0 ") + name));
  }
}

TEST(CbvTest, RefusesUnknownValuesInTheVocabularysOwnUrnAndWebUri) {
  for (const char* v :
       {"urn:epcglobal:cbv:bizstep:shiping", "https://ref.gs1.org/cbv/BizStep-shiping",
        "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-",
        // A value of another vocabulary under this vocabulary's prefix.
        "urn:epcglobal:cbv:bizstep:in_transit"}) {
    auto r = NormalizeCbv(CbvVocabulary::kBizStep, v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_THAT(r.status().message(), HasSubstr("is not a CBV 2.0 business step")) << v;
  }
}

TEST(CbvTest, RefusesTextThatIsNeitherAValueNorAUri) {
  for (const char* v : {"", "ext1:summarising_discharge", "ship ping", "http://", "urn:",
                        "http://example.com/a b", "https://example.com/\x01", "ftp://x/y"}) {
    auto r = NormalizeCbv(CbvVocabulary::kBizStep, v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << v;
  }
}

TEST(CbvTest, BareValueShortensOnlyCbvWebUris) {
  EXPECT_EQ(CbvBareValue("https://ref.gs1.org/cbv/BizStep-shipping"), "shipping");
  EXPECT_EQ(CbvBareValue("https://ref.gs1.org/cbv/Disp-in_transit"), "in_transit");
  EXPECT_EQ(CbvBareValue("https://ref.gs1.org/cbv/SDT-possessing_party"), "possessing_party");
  EXPECT_EQ(CbvBareValue("https://ref.gs1.org/cbv/BTT-po"), "po");
  // Not CBV values: returned unchanged.
  for (const char* uri :
       {"https://ref.gs1.org/cbv/BizStep-shiping", "https://ref.gs1.org/cbv/Disp-shipping",
        "urn:epcglobal:cbv:disp:active", "http://example.com/step", "shipping", ""}) {
    EXPECT_EQ(CbvBareValue(uri), uri);
  }
}

TEST(CbvTest, VocabularyNames) {
  EXPECT_STREQ(CbvVocabularyName(CbvVocabulary::kBizStep), "business step");
  EXPECT_STREQ(CbvVocabularyName(CbvVocabulary::kDisposition), "disposition");
  EXPECT_STREQ(CbvVocabularyName(CbvVocabulary::kSourceDestType), "source/destination type");
  EXPECT_STREQ(CbvVocabularyName(CbvVocabulary::kBizTransactionType), "business transaction type");
}

}  // namespace
}  // namespace tracery::epcis

// The ERP readers (X12 850/856, EDIFACT DESADV, CSV, JSON) over every file of the shared EDI
// examples and over hand-made edge cases; every EPCIS event they produce must pass the
// project's own EPCIS validation.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "erp_test_data.h"
#include "tracery/epcis/document.h"
#include "tracery/scm_core/erp.h"

namespace tracery::scm_core {
namespace {

using testing::ReadEdiFile;

ErpImport Import(const std::string& relative) {
  ErpProblem problem;
  Result<ErpImport> r = ImportErpDocument(ReadEdiFile(relative), ErpFormatHint::kAuto, &problem);
  EXPECT_TRUE(r.ok()) << relative << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : ErpImport{};
}

ErpProblem Refused(std::string_view bytes, ErpFormatHint hint = ErpFormatHint::kAuto) {
  ErpProblem problem;
  Result<ErpImport> r = ImportErpDocument(bytes, hint, &problem);
  EXPECT_FALSE(r.ok()) << "accepted: " << bytes.substr(0, 80);
  if (!r.ok()) {
    EXPECT_EQ(r.status().message(), problem.ToString());
  }
  return problem;
}

// Every event of the shipment passes ParseEvent/ValidateEvent and has an Event Hash ID.
std::vector<nlohmann::json> CheckedEvents(const Shipment& s) {
  Result<std::vector<std::string>> events = ShipmentToEpcisEvents(s);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  std::vector<nlohmann::json> out;
  if (!events.ok()) return out;
  for (const std::string& text : *events) {
    epcis::Problem problem;
    Result<epcis::Event> e = epcis::ParseEvent(text, epcis::Binding::kJson, &problem);
    EXPECT_TRUE(e.ok()) << problem.ToString() << "\n" << text;
    if (!e.ok()) continue;
    EXPECT_FALSE(epcis::ValidateEvent(*e, "").has_value());
    EXPECT_EQ(epcis::EventHashId(*e).rfind("ni:///sha-256;", 0), 0u);
    out.push_back(e->json);
  }
  return out;
}

// --- Every shared sample --------------------------------------------------------------------

TEST(ErpSamples, EveryFileIsImportedRefusedOrReportedNeverCrashes) {
  std::set<std::string> seen;
  for (const auto& e : std::filesystem::recursive_directory_iterator(testing::EdiDataDir())) {
    if (!e.is_regular_file() || e.path().extension() != ".edi") continue;
    const std::string rel = std::filesystem::relative(e.path(), testing::EdiDataDir()).string();
    seen.insert(rel);
    ErpProblem problem;
    Result<ErpImport> r = ImportErpDocument(ReadEdiFile(rel), ErpFormatHint::kAuto, &problem);
    if (rel.find("INVALID") != std::string::npos) {
      EXPECT_FALSE(r.ok()) << rel;
      continue;
    }
    ASSERT_TRUE(r.ok()) << rel << ": " << r.status().ToString();
    EXPECT_FALSE(r->transactions.empty()) << rel;
    for (const Shipment& s : r->shipments) {
      EXPECT_FALSE(CheckedEvents(s).empty()) << rel;
    }
  }
  EXPECT_EQ(seen.size(), 12u);  // MANIFEST.md: 9 X12 + 3 EDIFACT (.edi) files
}

TEST(ErpSamples, X12_856_VicsShipmentOrderPackItemWithSscc) {
  ErpImport imp = Import("x12/856_4010VICS_SOPI_SSCC_X12Parser-FromGregarican.edi");
  EXPECT_EQ(imp.format, ErpFormat::kX12);
  ASSERT_EQ(imp.transactions.size(), 1u);
  EXPECT_EQ(imp.transactions[0].type, "856");
  EXPECT_EQ(imp.transactions[0].version, "004010VICS");
  EXPECT_TRUE(imp.transactions[0].imported);
  ASSERT_EQ(imp.shipments.size(), 1u);
  const Shipment& s = imp.shipments[0];
  EXPECT_EQ(s.id, "521649209219");
  EXPECT_EQ(s.ship_date, "2012-05-10");
  EXPECT_EQ(s.bill_of_lading, "521649209219");
  EXPECT_EQ(s.carrier, "FED2");
  EXPECT_EQ(s.ship_from, "12345");
  EXPECT_EQ(s.ship_to, "004");
  EXPECT_EQ(s.order_ids, std::vector<std::string>{"SO/VINCE1"});
  EXPECT_EQ(s.mapping.ToString(), "x12-856/1");
  ASSERT_EQ(s.lines.size(), 1u);
  EXPECT_EQ(s.lines[0].sscc, "007121610006156802");
  EXPECT_EQ(s.lines[0].gtin, "00883932284904");
  EXPECT_EQ(s.lines[0].quantity, Quantity::Units(1));
  EXPECT_EQ(s.lines[0].unit, "EA");
  EXPECT_EQ(s.lines[0].order_id, "SO/VINCE1");

  std::vector<nlohmann::json> events = CheckedEvents(s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "AggregationEvent");
  EXPECT_EQ(events[0]["action"], "ADD");
  EXPECT_EQ(events[0]["bizStep"], "packing");
  EXPECT_EQ(events[0]["parentID"], "https://id.gs1.org/00/007121610006156802");
  EXPECT_EQ(events[0]["childQuantityList"][0]["epcClass"], "https://id.gs1.org/01/00883932284904");
  EXPECT_EQ(events[1]["type"], "ObjectEvent");
  EXPECT_EQ(events[1]["bizStep"], "shipping");
  EXPECT_EQ(events[1]["disposition"], "in_transit");
  EXPECT_EQ(events[1]["epcList"][0], "https://id.gs1.org/00/007121610006156802");
  EXPECT_EQ(events[1]["eventTime"], "2012-05-10T00:00:00Z");
  std::set<std::string> types;
  for (const auto& t : events[1]["bizTransactionList"]) types.insert(t["type"]);
  EXPECT_EQ(types, (std::set<std::string>{"desadv", "po", "bol"}));
}

TEST(ErpSamples, X12_856_SwappedDelimiters) {
  ErpImport imp = Import("x12/856_4010_swapped-delimiters_X12Parser-Example1.edi");
  ASSERT_EQ(imp.shipments.size(), 1u);
  const Shipment& s = imp.shipments[0];
  EXPECT_EQ(s.id, "123456");
  EXPECT_EQ(s.ship_date, "2001-04-20");
  EXPECT_EQ(s.ship_time, "14:21:00");
  EXPECT_EQ(s.ship_from, "ACME ELECT00");
  EXPECT_EQ(s.ship_to, "201495124");
  ASSERT_EQ(s.lines.size(), 3u);
  EXPECT_EQ(s.lines[0].item_code, "CB:1234-123456");
  EXPECT_EQ(s.lines[1].item_code, "CB:1234-654321");
  EXPECT_EQ(s.lines[1].quantity, Quantity::Units(23));
  EXPECT_EQ(s.lines[1].unit, "LBR");  // X12 LB
  EXPECT_EQ(s.lines[2].quantity, Quantity::Units(16));
  EXPECT_EQ(s.lines[0].unit, "H87");  // X12 PC
  CheckedEvents(s);
}

TEST(ErpSamples, X12_856_UnicodeEllipsisTerminator) {
  ErpImport imp = Import("x12/856_4010_unicode-ellipsis-terminator_X12Parser-Example3.edi");
  ASSERT_EQ(imp.shipments.size(), 1u);
  const Shipment& s = imp.shipments[0];
  EXPECT_EQ(s.id, "146940");
  EXPECT_EQ(s.bill_of_lading, "146940");
  EXPECT_EQ(s.carrier, "AVRT");
  EXPECT_EQ(s.ship_time, "20:52:00");
  ASSERT_EQ(s.lines.size(), 3u);
  EXPECT_EQ(s.lines[0].item_code, "BP:000 260 056 524");
  EXPECT_EQ(s.lines[0].quantity, Quantity::Units(1596));
  EXPECT_EQ(s.lines[1].quantity, Quantity::Units(1152));
  EXPECT_EQ(s.lines[2].quantity, Quantity::Units(1440));
  EXPECT_EQ(s.lines[2].order_id, "5500005194");
  auto events = CheckedEvents(s);
  ASSERT_EQ(events.size(), 1u);  // nothing packed: one ObjectEvent with a quantityList
  EXPECT_EQ(events[0]["quantityList"].size(), 3u);
  EXPECT_EQ(events[0]["eventTime"], "2005-04-12T20:52:00Z");
}

TEST(ErpSamples, X12_856_Version4060WithBadUpcCheckDigitsWarns) {
  ErpImport imp = Import("x12/856_4060_BSN14_X12Parser-edi1Source.edi");
  ASSERT_EQ(imp.shipments.size(), 1u);
  EXPECT_EQ(imp.transactions[0].version, "004060");
  const Shipment& s = imp.shipments[0];
  EXPECT_EQ(s.id, "829716");
  EXPECT_EQ(s.bill_of_lading, "999999-001");
  EXPECT_EQ(s.order_ids, std::vector<std::string>{"99999817"});
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0].quantity, Quantity::Units(24));
  EXPECT_EQ(s.lines[1].quantity, Quantity::Units(6));
  EXPECT_TRUE(s.lines[0].gtin.empty());  // UP 999999310145 has a wrong check digit
  EXPECT_EQ(s.lines[0].item_code, "VP:87787D");
  ASSERT_EQ(imp.warnings.size(), 2u);
  EXPECT_NE(imp.warnings[0].detail.find("999999310145"), std::string::npos);
  EXPECT_NE(imp.warnings[0].where.find("(LIN"), std::string::npos);
  CheckedEvents(s);
}

TEST(ErpSamples, X12_856_MixedTerminatorsIsRefusedNamingTheSegmentAndTheRule) {
  ErpProblem p = Refused(
      ReadEdiFile("x12/856_4010_INVALID-mixed-terminators_stupidedi-SH856-fail-2.edi"));
  EXPECT_EQ(p.rule, "x12.segment.terminator");
  EXPECT_EQ(p.where, "segment 13 (N1, line 13)");
  EXPECT_NE(p.detail.find("\"$\""), std::string::npos);
  EXPECT_NE(p.detail.find("\"~\""), std::string::npos);
}

TEST(ErpSamples, X12_850_PipeTerminator) {
  ErpImport imp = Import("x12/850_4010_pipe-terminator_X12Parser-Example1_PGWGlass.edi");
  ASSERT_EQ(imp.orders.size(), 1u);
  const Order& o = imp.orders[0];
  EXPECT_EQ(o.id, "S41000439");
  EXPECT_EQ(o.order_date, "2010-08-10");
  EXPECT_EQ(o.kind, OrderKind::kPurchase);
  EXPECT_EQ(o.ship_to, "W_341001");
  EXPECT_EQ(o.seller, "S07012345");
  EXPECT_EQ(o.mapping.ToString(), "x12-850/1");
  ASSERT_EQ(o.lines.size(), 4u);
  EXPECT_EQ(o.lines[0].item_code, "BP:0459001004");
  EXPECT_EQ(o.lines[1].quantity, Quantity::Units(12));
  EXPECT_EQ(o.lines[3].line_number, "4");
  EXPECT_EQ(o.lines[2].requested_date, "2010-08-20");
}

TEST(ErpSamples, X12_850_NewlineTerminatorAndTildeSeparator) {
  ErpImport imp = Import("x12/850_4010_newline-terminator_X12Parser-Example2_Adobe_TLP.edi");
  ASSERT_EQ(imp.orders.size(), 1u);
  const Order& o = imp.orders[0];
  EXPECT_EQ(o.id, "TLP-X12");
  EXPECT_EQ(o.order_date, "2010-06-14");
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].item_code, "BP:12345678");
  EXPECT_EQ(o.lines[0].quantity, Quantity::Units(1));
  EXPECT_EQ(o.lines[0].requested_date, "2010-06-14");
}

TEST(ErpSamples, X12_850_Minimal107CharIsa) {
  ErpImport imp = Import("x12/850_4010_minimal_stupidedi-PO850-pass-1.edi");
  ASSERT_EQ(imp.orders.size(), 1u);
  EXPECT_EQ(imp.orders[0].id, "PO12345");
  EXPECT_EQ(imp.orders[0].order_date, "2026-07-09");
  ASSERT_EQ(imp.orders[0].lines.size(), 1u);
  EXPECT_EQ(imp.orders[0].lines[0].item_code, "VN:VENDORSKU");
  EXPECT_TRUE(imp.warnings.empty());
}

TEST(ErpSamples, X12_810And850GroupsImportThe850AndReportThe810) {
  ErpImport imp = Import("x12/810v4010+850v3010_two-groups_staedi-invoice810_po850_dual.edi");
  ASSERT_EQ(imp.transactions.size(), 3u);
  EXPECT_EQ(imp.transactions[0].type, "810");
  EXPECT_FALSE(imp.transactions[0].imported);
  EXPECT_NE(imp.transactions[0].detail.find("unsupported transaction set 810"), std::string::npos);
  EXPECT_EQ(imp.transactions[1].type, "810");
  EXPECT_FALSE(imp.transactions[1].imported);
  EXPECT_EQ(imp.transactions[2].type, "850");
  EXPECT_EQ(imp.transactions[2].version, "003010");
  EXPECT_TRUE(imp.transactions[2].imported);
  ASSERT_EQ(imp.orders.size(), 1u);
  EXPECT_EQ(imp.orders[0].id, "S115921858");
  EXPECT_EQ(imp.orders[0].order_date, "2004-03-17");
  EXPECT_EQ(imp.orders[0].buyer, "999999999");
  ASSERT_EQ(imp.orders[0].lines.size(), 4u);
  EXPECT_EQ(imp.orders[0].lines[0].item_code, "IN:02006");
  EXPECT_EQ(imp.orders[0].lines[0].quantity, Quantity::Units(150));
  EXPECT_TRUE(imp.shipments.empty());
}

TEST(ErpSamples, EdifactDesadvMatchesTheExpectedParse) {
  ErpImport imp = Import("edifact/DESADV_D96A_php-edifact-D96ADESADV.edi");
  EXPECT_EQ(imp.format, ErpFormat::kEdifact);
  ASSERT_EQ(imp.shipments.size(), 1u);
  ASSERT_EQ(imp.warnings.size(), 1u);
  EXPECT_NE(imp.warnings[0].detail.find("version \"0\""), std::string::npos);
  const Shipment& s = imp.shipments[0];
  EXPECT_EQ(s.mapping.ToString(), "edifact-desadv/1");

  const nlohmann::json expected = nlohmann::json::parse(
      ReadEdiFile("edifact/DESADV_D96A_php-edifact-D96ADESADV.expected.json"))[0];
  EXPECT_EQ(s.id, expected["beginningOfMessage"]["documentmessageNumber"]);
  EXPECT_EQ(s.ship_date, "2016-07-26");
  EXPECT_EQ(expected["datetimeperiod"]["datetimeperiod"]["datetimeperiod"], "20160726");
  EXPECT_EQ(s.order_ids.front(), expected["SG1"][0]["reference"]["reference"]["referenceNumber"]);
  EXPECT_EQ(s.ship_from, expected["SG2"][0]["nameAndAddress"]["partyIdentificationDetails"]["partyIdIdentification"]);
  const auto& lines = expected["SG10"][0]["SG15"];
  ASSERT_EQ(s.lines.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string pia = lines[i]["additionalProductId"]["itemNumberIdentification"]["itemNumber"];
    EXPECT_EQ(s.lines[i].gtin, "0" + pia);  // ISBN-13 = GTIN-13, padded to 14
    EXPECT_EQ(s.lines[i].quantity.ToString(),
              lines[i]["quantity"]["quantityDetails"]["quantity"].get<std::string>());
  }
  EXPECT_EQ(s.lines[1].order_id, "6905456");
  auto events = CheckedEvents(s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["quantityList"][0]["epcClass"], "https://id.gs1.org/01/09780738507330");
}

TEST(ErpSamples, EdifactOrdersAreReportedUnsupported) {
  for (const char* file : {"edifact/ORDERS_D01B_EAN010_mojibake-FFFD_php-edifact-example_order_ok.edi",
                           "edifact/ORDERS_D96B_EAN008_with-UNG_staedi-orders-with-group.edi"}) {
    ErpImport imp = Import(file);
    ASSERT_EQ(imp.transactions.size(), 1u) << file;
    EXPECT_EQ(imp.transactions[0].type, "ORDERS");
    EXPECT_FALSE(imp.transactions[0].imported);
    EXPECT_NE(imp.transactions[0].detail.find("unsupported message type ORDERS"), std::string::npos);
    EXPECT_TRUE(imp.orders.empty());
    EXPECT_TRUE(imp.shipments.empty());
  }
}

// --- X12 edge cases -------------------------------------------------------------------------

// A one-856 interchange with the given delimiters; `body` uses '*' and '~', rewritten.
std::string X12(const std::string& body, char element = '*', const std::string& terminator = "~",
                char component = '>') {
  std::string isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
                    "*260101*1200*U*00401*000000007*0*P*";
  std::string text = isa + component + "~" + body;
  std::string out;
  for (char c : text) {
    if (c == '*') out += element;
    else if (c == '~') out += terminator;
    else out += c;
  }
  return out;
}

const char* const k856Body =
    "GS*SH*S*R*20260101*1200*9*X*004010~ST*856*0001~BSN*00*SN1*20260101*1200~HL*1**S~"
    "DTM*011*20260102*0930~N1*SF*Farm*UL*0614141000005~N1*ST*Shop*UL*0614141000012~REF*BM*BOL7~"
    "TD5*B*2*ABCD~HL*2*1*O~PRF*PO9~HL*3*2*P~MAN*GM*00106141411234567897~HL*4*3*I~"
    "LIN**UP*614141123452*LT*LOT-1~SN1**12.5*KG~HL*5*3*I~LIN**EN*0614141123452*SN*S1*SN*S2~"
    "SN1**2*EA~CTT*5~SE*20*0001~GE*1*9~IEA*1*000000007~";

TEST(ErpX12, BuiltShipmentWithLotsSerialsAndGlnsMapsToValidEvents) {
  Result<ErpImport> r = ImportErpDocument(X12(k856Body), ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->shipments.size(), 1u);
  const Shipment& s = r->shipments[0];
  EXPECT_EQ(s.ship_from, "0614141000005");
  EXPECT_EQ(s.ship_to, "0614141000012");
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0].sscc, "106141411234567897");
  EXPECT_EQ(s.lines[0].lot_number, "LOT-1");
  EXPECT_EQ(s.lines[0].quantity.thousandths, 12500);
  EXPECT_EQ(s.lines[0].unit, "KGM");
  EXPECT_EQ(s.lines[1].serials, (std::vector<std::string>{"S1", "S2"}));
  auto events = CheckedEvents(s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["childQuantityList"][0]["epcClass"],
            "https://id.gs1.org/01/00614141123452/10/LOT-1");
  EXPECT_EQ(events[0]["childEPCs"][0], "https://id.gs1.org/01/00614141123452/21/S1");
  EXPECT_EQ(events[1]["readPoint"]["id"], "https://id.gs1.org/414/0614141000005");
  EXPECT_EQ(events[1]["destinationList"][0]["destination"], "https://id.gs1.org/414/0614141000012");
  EXPECT_EQ(events[1]["eventTime"], "2026-01-02T09:30:00Z");
}

// Found by erp_fuzzer: an item code of 1,000 bytes that percent-encoding triples is refused by
// the EPCIS mapping instead of producing an identifier EPCIS validation refuses.
TEST(ErpX12, OverlongIdentifiersAreRefusedByTheEpcisMapping) {
  std::string body = k856Body;
  body.replace(body.find("LIN**UP*614141123452"), 20, "LIN**VN*" + std::string(1000, ' '));
  Result<ErpImport> r = ImportErpDocument(X12(body), ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<std::vector<std::string>> events = ShipmentToEpcisEvents(r->shipments.at(0));
  ASSERT_FALSE(events.ok());
  EXPECT_NE(events.status().message().find("epcis.identifier_length"), std::string::npos);
}

TEST(ErpX12, WarningsBeyondTheLimitAreCountedNotKept) {
  std::string body = "GS*SH*S*R*20260101*1200*9*X*004010~ST*856*0001~BSN*00*SN1*20260101*1200~"
                     "HL*1**S~";
  const size_t items = kMaxErpWarnings + 500;
  for (size_t i = 0; i < items; ++i) {
    body += "HL*" + std::to_string(i + 2) + "*1*I~LIN**UP*999999310145~SN1**1*EA~";
  }
  body += "CTT*" + std::to_string(items + 1) + "~SE*" + std::to_string(3 * items + 5) +
          "*0001~GE*1*9~IEA*1*000000007~";
  Result<ErpImport> r = ImportErpDocument(X12(body), ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shipments.at(0).lines.size(), items);
  EXPECT_EQ(r->warnings.size(), kMaxErpWarnings);
  EXPECT_EQ(r->warnings_dropped, 500u);
  EXPECT_EQ(r->shipments.at(0).lines.back().item_code, "UP:999999310145");
}

TEST(ErpX12, DelimiterEdgeCases) {
  for (const auto& [element, terminator] : std::vector<std::pair<char, std::string>>{
           {'*', "~"}, {'|', "\n"}, {'~', "*"}, {'^', "\xE2\x80\xA6"}, {'*', "\xC2\xA7"}}) {
    std::string text = X12(k856Body, element, terminator);
    Result<ErpImport> r = ImportErpDocument(text, ErpFormatHint::kAuto);
    ASSERT_TRUE(r.ok()) << element << " " << terminator << ": " << r.status().ToString();
    EXPECT_EQ(r->shipments.at(0).lines.size(), 2u);
  }
  // BOM, CRLF and indentation.
  std::string text = X12(k856Body, '*', "~\r\n    ");
  Result<ErpImport> r = ImportErpDocument("\xEF\xBB\xBF  " + text, ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // A terminator that is a letter or the element separator is refused.
  EXPECT_EQ(Refused(X12(k856Body, '*', "A")).rule, "x12.isa.segment_terminator");
  EXPECT_EQ(Refused("ISA1234").rule, "x12.isa.element_separator");
}

TEST(ErpX12, ControlNumberAndCountMismatchesNameTheSegmentAndTheRule) {
  auto with = [](std::string from, std::string to) {
    std::string body = k856Body;
    size_t at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    body.replace(at, from.size(), to);
    return X12(body);
  };
  ErpProblem p = Refused(with("SE*20*0001", "SE*19*0001"));
  EXPECT_EQ(p.rule, "x12.se.count");
  EXPECT_EQ(p.where.rfind("segment 22 (SE", 0), 0u) << p.where;
  EXPECT_EQ(Refused(with("SE*20*0001", "SE*20*0002")).rule, "x12.se.control_number");
  EXPECT_EQ(Refused(with("GE*1*9", "GE*2*9")).rule, "x12.ge.count");
  EXPECT_EQ(Refused(with("GE*1*9", "GE*1*8")).rule, "x12.ge.control_number");
  EXPECT_EQ(Refused(with("IEA*1*000000007", "IEA*2*000000007")).rule, "x12.iea.count");
  EXPECT_EQ(Refused(with("IEA*1*000000007", "IEA*1*000000008")).rule, "x12.iea.control_number");
  EXPECT_EQ(Refused(with("CTT*5", "CTT*4")).rule, "x12-856.ctt.count");
  EXPECT_EQ(Refused(with("HL*3*2*P", "HL*3*9*P")).rule, "x12-856.hl.parent");
  EXPECT_EQ(Refused(with("HL*3*2*P", "HL*4*2*P")).rule, "x12-856.hl.sequence");
  EXPECT_EQ(Refused(with("MAN*GM*00106141411234567897", "MAN*GM*00106141411234567890")).rule,
            "x12-856.man.sscc");
  EXPECT_EQ(Refused(with("SN1**2*EA", "SN1**2x*EA")).rule, "x12-856.sn1.quantity");
  EXPECT_EQ(Refused(with("SN1**2*EA", "SN1**-2*EA")).rule, "x12-856.sn1.quantity");
  EXPECT_EQ(Refused(with("DTM*011*20260102", "DTM*011*20260231")).rule, "x12.dtm.date");
}

TEST(ErpX12, TruncatedInputIsRefusedAtEveryCut) {
  const std::string text = X12(k856Body);
  for (size_t cut = 0; cut + 1 < text.size(); cut += 7) {
    ErpProblem problem;
    Result<ErpImport> r = ImportErpDocument(text.substr(0, cut), ErpFormatHint::kX12, &problem);
    EXPECT_FALSE(r.ok()) << cut;
    EXPECT_FALSE(problem.rule.empty()) << cut;
  }
  EXPECT_EQ(Refused(text.substr(0, text.find("GE*"))).rule, "x12.truncated");
}

TEST(ErpX12, AStructuralErrorAfterASupportedSetRefusesTheWholeFile) {
  std::string body = std::string(k856Body);
  body.insert(body.find("GE*"), "ST*810*0002~BIG*20260101*1~SE*9*0002~");  // wrong count...
  body.replace(body.find("GE*1*9"), 6, "GE*2*9");
  // ...in an unsupported set is only a warning;
  Result<ErpImport> r = ImportErpDocument(X12(body), ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->transactions.size(), 2u);
  EXPECT_FALSE(r->warnings.empty());
  // a wrong GE count after it refuses everything, the 856 included.
  body.replace(body.find("GE*2*9"), 6, "GE*3*9");
  EXPECT_EQ(Refused(X12(body)).rule, "x12.ge.count");
}

TEST(ErpLimits, ElementAndDocumentLimits) {
  std::string body = k856Body;
  body.replace(body.find("BOL7"), 4, std::string(kMaxErpElementBytes + 1, 'B'));
  ErpProblem problem;
  Result<ErpImport> r = ImportErpDocument(X12(body), ErpFormatHint::kAuto, &problem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(problem.rule, "limit.element_bytes");
  EXPECT_EQ(Refused("{\"items\":" + std::string(100, '[') + std::string(100, ']') + "}").rule,
            "limit.json_depth");
  EXPECT_EQ(Refused("gtin,description,unit\n" + std::string(kMaxErpElementsPerSegment + 5, ',')).rule,
            "limit.fields");
  EXPECT_EQ(Refused("UNB+UNOC:3+A+B+260101:1200+R'UNH+1+DESADV:D:96A:UN+" +
                    std::string(kMaxErpElementsPerSegment + 5, ':') + "'")
                .rule,
            "limit.elements_per_segment");
  std::string huge(kMaxErpDocumentBytes + 1, ' ');
  r = ImportErpDocument(huge, ErpFormatHint::kAuto, &problem);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problem.rule, "limit.document_bytes");
}

// --- EDIFACT edge cases ---------------------------------------------------------------------

const char* const kDesadv =
    "UNA:+.? 'UNB+UNOC:3+5412345000013:14+5412345000020:14+260101:1200+REF1'"
    "UNH+1+DESADV:D:96A:UN:EAN005'BGM+351+DN?+1+9'DTM+11:202601021530:203'RFF+ON:PO1'"
    "NAD+SU+0614141000005::9'NAD+DP+0614141000012::9'CPS+1'PAC+1++201'"
    "GIN+BJ+106141411234567897'LIN+1++0614141123452:EN'GIN+BX+L1'QTY+12:10:EA'UNT+13+1'"
    "UNZ+1+REF1'";

TEST(ErpEdifact, ReleaseCharacterGlnsSsccAndLots) {
  Result<ErpImport> r = ImportErpDocument(kDesadv, ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->shipments.size(), 1u);
  const Shipment& s = r->shipments[0];
  EXPECT_EQ(s.id, "DN+1");
  EXPECT_EQ(s.ship_date, "2026-01-02");
  EXPECT_EQ(s.ship_time, "15:30:00");
  EXPECT_EQ(s.ship_from, "0614141000005");
  EXPECT_EQ(s.ship_to, "0614141000012");
  ASSERT_EQ(s.lines.size(), 1u);
  EXPECT_EQ(s.lines[0].sscc, "106141411234567897");
  EXPECT_EQ(s.lines[0].lot_number, "L1");
  EXPECT_EQ(s.lines[0].gtin, "00614141123452");
  auto events = CheckedEvents(s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["parentID"], "https://id.gs1.org/00/106141411234567897");
}

TEST(ErpEdifact, UnaDeclaresOtherSeparators) {
  // The same message with component '|', element '*', release '#', terminator '~' and a CRLF
  // after each segment; "DN?+1" becomes "DN+1" (no release needed), "?+" stays literal.
  std::string text = kDesadv;
  for (char& c : text) {
    if (c == ':') c = '|';
    else if (c == '+') c = '*';
    else if (c == '\'') c = '~';
  }
  text.replace(0, 9, "UNA|*.# ~");
  text.replace(text.find("DN?*1"), 5, "DN#*1");
  std::string crlf;
  for (char c : text) {
    crlf += c;
    if (c == '~') crlf += "\r\n";
  }
  Result<ErpImport> r = ImportErpDocument(crlf, ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shipments.at(0).id, "DN*1");
  EXPECT_EQ(r->shipments.at(0).lines.at(0).sscc, "106141411234567897");
}

TEST(ErpEdifact, CountsAndReferencesAreChecked) {
  auto with = [](std::string from, std::string to) {
    std::string t = kDesadv;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_EQ(Refused(with("UNT+13+1", "UNT+12+1")).rule, "edifact.unt.count");
  EXPECT_EQ(Refused(with("UNT+13+1", "UNT+13+2")).rule, "edifact.unt.reference");
  EXPECT_EQ(Refused(with("UNZ+1+REF1", "UNZ+2+REF1")).rule, "edifact.unz.count");
  EXPECT_EQ(Refused(with("UNZ+1+REF1", "UNZ+1+REF2")).rule, "edifact.unz.reference");
  EXPECT_EQ(Refused(with("GIN+BJ+106141411234567897", "GIN+BJ+106141411234567890")).rule,
            "edifact-desadv.gin.sscc");
  const std::string text = kDesadv;
  for (size_t cut = 0; cut + 1 < text.size(); cut += 5) {
    ErpProblem problem;
    EXPECT_FALSE(ImportErpDocument(text.substr(0, cut), ErpFormatHint::kEdifact, &problem).ok())
        << cut;
    EXPECT_FALSE(problem.rule.empty()) << cut;
  }
}

// --- CSV and JSON ---------------------------------------------------------------------------

TEST(ErpCsv, ShipmentRowsWithQuotingMapLikeJson) {
  const std::string csv =
      "shipment_id,ship_from,ship_to,ship_date,carrier,bill_of_lading,order_id,sscc,gtin,"
      "lot_number,serial,quantity,unit\r\n"
      "S1,0614141000005,0614141000012,2026-01-02,\"ACME, Inc.\",B1,PO1,106141411234567897,"
      "614141123452,\"L\"\"1\",,12.5,KGM\r\n"
      "S1,0614141000005,0614141000012,2026-01-02,\"ACME, Inc.\",B1,PO2,,00614141123452,,X9,1,EA\n";
  Result<ErpImport> r = ImportErpDocument(csv, ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, ErpFormat::kCsv);
  ASSERT_EQ(r->shipments.size(), 1u);
  const Shipment& s = r->shipments[0];
  EXPECT_EQ(s.carrier, "ACME, Inc.");
  EXPECT_EQ(s.mapping.ToString(), "csv-shipments/1");
  EXPECT_EQ(s.order_ids, (std::vector<std::string>{"PO1", "PO2"}));
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0].lot_number, "L\"1");
  EXPECT_EQ(s.lines[0].gtin, "00614141123452");
  EXPECT_EQ(s.lines[1].serials, std::vector<std::string>{"X9"});
  CheckedEvents(s);

  const std::string json = R"({"shipments":[{"shipment_id":"S1","ship_from":"0614141000005",
    "ship_to":"0614141000012","ship_date":"2026-01-02","carrier":"ACME, Inc.","bill_of_lading":"B1",
    "lines":[{"order_id":"PO1","sscc":"106141411234567897","gtin":"614141123452","lot_number":"L\"1",
    "quantity":"12.5","unit":"KGM"},{"order_id":"PO2","gtin":"00614141123452","serial":"X9","quantity":1,"unit":"EA"}]}]})";
  Result<ErpImport> j = ImportErpDocument(json, ErpFormatHint::kAuto);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->format, ErpFormat::kJson);
  ASSERT_EQ(j->shipments.size(), 1u);
  EXPECT_EQ(ShipmentToEpcisEvents(j->shipments[0])->size(), ShipmentToEpcisEvents(s)->size());
  EXPECT_EQ(*ShipmentToEpcisEvents(j->shipments[0]), *ShipmentToEpcisEvents(s));
}

TEST(ErpCsv, MasterDataAndErrorsNameLineFieldAndRule) {
  Result<ErpImport> r = ImportErpDocument(
      "gtin,description,unit\n614141123452,\"Apples, red\",KGM\n", ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].gtin, "00614141123452");
  EXPECT_EQ(r->item_mappings[0].ToString(), "csv-items/1");

  ErpProblem p = Refused("gtin,description,unit\n614141123452,a,EA\n614141123453,b,EA\n");
  EXPECT_EQ(p.where, "line 3, field gtin");
  EXPECT_EQ(p.rule, "erp.gtin");
  p = Refused("gln,name,street,city,region,postal_code,country\n0614141000005,X,,,,,France\n");
  EXPECT_EQ(p.rule, "erp.country");
  EXPECT_EQ(Refused("gtin,name\n1,2\n").rule, "csv.header");
  EXPECT_EQ(Refused("gtin,description,unit\n\"abc,1,EA\n").rule, "csv.quote");
  EXPECT_EQ(Refused("gtin,description,unit\n614141123452,a\n").rule, "csv.fields");
  EXPECT_EQ(Refused("id,role,name,gln\nP1,boss,X,\n").rule, "erp.party.role");
}

TEST(ErpJson, OrdersAndErrors) {
  Result<ErpImport> r = ImportErpDocument(
      R"({"orders":[{"order_id":"PO1","kind":"sales","buyer":"B","order_date":"2026-01-01",
          "lines":[{"gtin":"614141123452","quantity":"3","unit":"EA","requested_date":"2026-01-05"},
                   {"item_code":"VN:ABC","quantity":2}]}]})",
      ErpFormatHint::kAuto);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->orders.size(), 1u);
  EXPECT_EQ(r->orders[0].kind, OrderKind::kSales);
  EXPECT_EQ(r->orders[0].lines.size(), 2u);
  EXPECT_EQ(r->orders[0].lines[1].line_number, "2");
  EXPECT_EQ(r->orders[0].mapping.ToString(), "json-orders/1");
  ErpProblem p = Refused(R"({"orders":[{"order_id":"PO1","order_date":"2026-13-01","lines":[{"gtin":"614141123452","quantity":"1"}]}]})");
  EXPECT_EQ(p.rule, "erp.date");
  EXPECT_EQ(p.where, "orders[0].lines[0], field order_date");
  EXPECT_EQ(Refused(R"({"items":[{"gtin":"614141123452","colour":"red"}]})").rule, "json.member");
  EXPECT_EQ(Refused("{\"items\":[").rule, "json.syntax");
}

}  // namespace
}  // namespace tracery::scm_core

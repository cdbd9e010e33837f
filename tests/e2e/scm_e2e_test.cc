// End to end through a real traceryd: the SCM API — master data, stock counts, stock moved by
// captured shipping events (the demand history), sales orders allocated first expiry first,
// holds that move a lot from sellable to on hold and raise the replenishment recommendation,
// who may do what, bad input refused, and all of it kept across a kill -9.
#include <gtest/gtest.h>

#include "cluster.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/time.h"

namespace tracery::e2e {
namespace {

using nlohmann::json;

constexpr char kGtin[] = "00614141123452";
constexpr char kOwnGln[] = "0614141000012";    // acme's genesis location
constexpr char kOtherGln[] = "0614141000029";  // beta's
constexpr int64_t kWeekMs = 7 * 86'400'000LL;

json Position(client::HttpClient* c) {
  json p = Call(c, "GET", std::string("/v1/inventory?item=") + kGtin + "&location=" + kOwnGln,
                json(), 200);
  EXPECT_EQ(p["positions"].size(), 1u) << p.dump();
  return p["positions"].empty() ? json::object() : p["positions"][0];
}

json Recommend(client::HttpClient* c) {
  return Call(c, "POST", "/v1/replenishment/recommendations",
              {{"item", kGtin},
               {"location", kOwnGln},
               {"horizonPeriods", 4},
               {"serviceTarget", 0.95},
               {"constraints", {{"leadTimePeriods", 1}, {"reviewPeriods", 1}}}},
              200);
}

// An EPCIS shipping event of `units` of lot L2 from acme's location, `weeks_ago` weeks ago.
json ShippingEvent(int weeks_ago, int units) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return {{"type", "ObjectEvent"},
          {"action", "OBSERVE"},
          {"bizStep", "shipping"},
          {"disposition", "in_transit"},
          {"eventTime", FormatRfc3339Utc(now_ms - weeks_ago * kWeekMs)},
          {"eventTimeZoneOffset", "+00:00"},
          {"readPoint", {{"id", std::string("https://id.gs1.org/414/") + kOwnGln}}},
          {"quantityList",
           json::array({{{"epcClass", std::string("https://id.gs1.org/01/") + kGtin + "/10/L2"},
                         {"quantity", units}}})}};
}

// The data of a stored entry of a ZIP archive, read through its local headers (the workbook
// writer stores without compression); "" when absent.
std::string ZipEntry(const std::string& zip, const std::string& name) {
  auto u16 = [&](size_t at) { return static_cast<size_t>(static_cast<uint8_t>(zip[at])) |
                                     static_cast<size_t>(static_cast<uint8_t>(zip[at + 1])) << 8; };
  auto u32 = [&](size_t at) { return u16(at) | u16(at + 2) << 16; };
  size_t at = 0;
  while (at + 30 <= zip.size() && u32(at) == 0x04034b50) {
    const size_t size = u32(at + 18), name_len = u16(at + 26), extra = u16(at + 28);
    const std::string entry = zip.substr(at + 30, name_len);
    const size_t data = at + 30 + name_len + extra;
    if (entry == name) return zip.substr(data, size);
    at = data + size;
  }
  return "";
}

TEST(ScmE2e, InventoryOrdersHoldsAndReplenishmentThroughTheApi) {
  Consortium net("acme,beta");
  ASSERT_TRUE(net.Start(0));
  auto planner = net.Client(0, "planner");
  auto auditor = net.Client(0, "auditor");
  auto admin = net.Client(0, "admin");  // captures events (a planner may not)

  Call(planner.get(), "POST", "/v1/masterdata",
       {{"items", {{{"gtin", kGtin}, {"description", "Frozen peas 1kg"}, {"unit", "EA"}}}},
        {"locations", {{{"gln", kOwnGln}, {"name", "Acme DC"}}}}},
       200);
  Call(planner.get(), "POST", "/v1/inventory/counts",
       {{"counts", {{{"gtin", kGtin}, {"gln", kOwnGln}, {"lotNumber", "L1"}, {"quantity", "100"},
                     {"expiryDate", "2027-01-31"}},
                    {{"gtin", kGtin}, {"gln", kOwnGln}, {"lotNumber", "L2"}, {"quantity", "200"},
                     {"expiryDate", "2027-03-31"}}}}},
       200);
  // Twelve weeks of shipments out of L2 (10, 14, 10, ...): the demand history.
  for (int w = 1; w <= 12; ++w) {
    Call(admin.get(), "POST", "/v1/events", ShippingEvent(w, w % 2 == 0 ? 10 : 14), 201);
  }
  json p = Position(planner.get());
  EXPECT_EQ(p["onHand"], "156");  // 300 − 144 shipped
  EXPECT_EQ(p["sellable"], "156");

  // A sales order allocates the earliest expiry first.
  json order = Call(planner.get(), "POST", "/v1/orders",
                    {{"id", "SO-1"},
                     {"kind", "sales"},
                     {"shipFrom", kOwnGln},
                     {"lines", {{{"gtin", kGtin}, {"quantity", "30"}}}}},
                    201);
  ASSERT_EQ(order["allocations"].size(), 1u);
  EXPECT_EQ(order["allocations"][0]["lotNumber"], "L1");
  EXPECT_EQ(Position(planner.get())["sellable"], "126");
  json before = Recommend(planner.get());
  EXPECT_EQ(before["explanation"]["meanDemandPerPeriod"], 12.0);
  EXPECT_EQ(before["explanation"]["demandHistory"].size(), 12u);

  // Holding L1 takes its 100 out of sellable and holds SO-1's allocation.
  json hold = Call(planner.get(), "POST", "/v1/holds",
                   {{"gtin", kGtin}, {"lotNumber", "L1"}, {"reasonCode", "inspection"}}, 201);
  EXPECT_EQ(hold["placedBy"], "acme-planner@acme");
  json held = Position(planner.get());
  EXPECT_EQ(held["onHold"], "100");
  EXPECT_EQ(held["allocated"], "0");
  EXPECT_EQ(held["sellable"], "56");
  json o = Call(planner.get(), "GET", "/v1/orders/SO-1", json(), 200);
  EXPECT_TRUE(o["allocations"][0]["held"].get<bool>());
  json after = Recommend(planner.get());
  // The recommendation works from the sellable stock (S ≈ 12·2 + 1.645·2.089·√2 → 29 is still
  // below 56 here; the order it makes once sellable falls below S is checked at the end).
  EXPECT_EQ(after["explanation"]["inventoryPosition"]["sellable"], "56");
  EXPECT_EQ(after["orderUpToLevel"], before["orderUpToLevel"]);

  // Who may do what, and bad input.
  Call(auditor.get(), "GET", "/v1/inventory", json(), 200);
  Call(auditor.get(), "POST", "/v1/holds",
       {{"gtin", kGtin}, {"lotNumber", "L2"}, {"reasonCode", "x"}}, 403);
  auto beta_at_acme = client::HttpClient::Create(net.url(0)).value();
  beta_at_acme->set_bearer_token(Trim(ReadFile(net.org_dir(1) + "/peer.token").value()));
  Call(beta_at_acme.get(), "GET", "/v1/inventory", json(), 403);
  Call(planner.get(), "POST", "/v1/inventory/counts",
       {{"counts", {{{"gtin", kGtin}, {"gln", kOtherGln}, {"quantity", "5"}}}}}, 400);
  Call(planner.get(), "POST", "/v1/holds",
       {{"gtin", "00614141123453"}, {"lotNumber", "L2"}, {"reasonCode", "x"}}, 400);
  Call(planner.get(), "POST", "/v1/orders", {{"id", "SO-1"}, {"kind", "sales"},
       {"lines", {{{"gtin", kGtin}, {"quantity", "1"}}}}}, 409);
  Call(planner.get(), "POST", "/v1/replenishment/recommendations",
       {{"item", kGtin}, {"location", kOwnGln}, {"serviceTarget", 1.5}}, 400);
  Call(planner.get(), "POST", "/v1/holds/hold-99/release", {{"reason", "x"}}, 404);

  // Everything survives a kill -9.
  ASSERT_EQ(net.Stop(0, SIGKILL), -SIGKILL);
  ASSERT_TRUE(net.Start(0));
  planner = net.Client(0, "planner");
  json again = Position(planner.get());
  EXPECT_EQ(again, held);
  json holds = Call(planner.get(), "GET", "/v1/holds?active=true", json(), 200);
  ASSERT_EQ(holds["holds"].size(), 1u);
  json released = Call(planner.get(), "POST", "/v1/holds/" + hold["id"].get<std::string>() + "/release",
                       {{"reason", "inspected: within tolerance"}}, 200);
  EXPECT_FALSE(released["active"].get<bool>());
  EXPECT_EQ(Position(planner.get())["sellable"], "126");

  // The FSMA 204 sortable spreadsheet of a recall of L2: the twelve shipping CTEs.
  const std::string xlsx = net.dir() + "/recall-L2.xlsx";
  std::string out;
  ASSERT_EQ(RunCommand(Bin("tracery") + " recall --node " + net.url(0) + " --token-file " +
                           net.org_dir(0) + "/planner.token https://id.gs1.org/01/" + kGtin +
                           "/10/L2 --format fsma204 --out " + xlsx,
                       &out),
            0);
  EXPECT_NE(out.find("wrote 12 traceability records and 2 legend entries"), std::string::npos)
      << out;
  std::string sheet = ZipEntry(ReadFile(xlsx).value(), "xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("Frozen peas 1kg"), std::string::npos);
  EXPECT_NE(sheet.find(">Shipping<"), std::string::npos);
  EXPECT_NE(sheet.find(std::string(">") + kOwnGln + "<"), std::string::npos);
  std::string legend = ZipEntry(ReadFile(xlsx).value(), "xl/worksheets/sheet2.xml");
  EXPECT_NE(legend.find("Acme DC"), std::string::npos);

  // Selling down below the order-up-to level makes the recommendation order.
  Call(planner.get(), "POST", "/v1/orders",
       {{"id", "SO-2"}, {"kind", "sales"}, {"shipFrom", kOwnGln},
        {"lines", {{{"gtin", kGtin}, {"quantity", "120"}}}}},
       201);
  json low = Recommend(planner.get());
  EXPECT_EQ(low["explanation"]["inventoryPosition"]["sellable"], "6");
  EXPECT_EQ(low["recommendedQuantity"],
            std::to_string(std::stoi(low["orderUpToLevel"].get<std::string>()) - 6));
}

TEST(ScmE2e, AnErasedPayloadLeavesAValidProofThatSaysSo) {
  Consortium net("acme");
  ASSERT_TRUE(net.Start(0));
  auto admin = net.Client(0, "admin");
  auto planner = net.Client(0, "planner");
  json created = Call(admin.get(), "POST", "/v1/events", ShippingEvent(1, 3), 201);
  const std::string event_id = created.value("eventID", "");
  ASSERT_FALSE(event_id.empty()) << created.dump();
  json proof = Call(admin.get(), "GET", "/v1/proofs/events/" + PercentEncode(event_id), json(), 200);
  ASSERT_EQ(proof["proofs"].size(), 1u);
  EXPECT_EQ(proof["proofs"][0]["payload"]["state"], "stored");
  const std::string hash = proof["proofs"][0]["events"][0]["payloadHash"];

  Call(planner.get(), "POST", "/v1/payloads/" + hash + "/erase",
       {{"policy", "gdpr-art17"}, {"reason", "request 42"}}, 403);
  Call(admin.get(), "POST", "/v1/payloads/" + hash + "/erase", {{"policy", "gdpr-art17"}}, 400);
  json erased = Call(admin.get(), "POST", "/v1/payloads/" + hash + "/erase",
                     {{"policy", "gdpr-art17"}, {"reason", "request 42"}}, 200);
  EXPECT_EQ(erased["state"], "erased");
  json state = Call(planner.get(), "GET", "/v1/payloads/" + hash, json(), 200);
  EXPECT_EQ(state["policy"], "gdpr-art17");
  EXPECT_EQ(Call(planner.get(), "GET", "/v1/payloads/" + std::string(64, '0'), json(), 404)["status"], 404);

  json after = Call(admin.get(), "GET", "/v1/proofs/events/" + PercentEncode(event_id), json(), 200);
  const json& payload = after["proofs"][0]["payload"];
  EXPECT_EQ(payload["state"], "erased");
  const std::string statement = payload["statement"];
  EXPECT_TRUE(statement.starts_with("anchored; payload " + hash + " erased on ")) << statement;
  EXPECT_NE(statement.find("under policy gdpr-art17"), std::string::npos) << statement;
  // The anchored hash still proves: the bundle verifies offline against the genesis.
  const std::string file = net.dir() + "/proof.json";
  ASSERT_TRUE(WriteFileAtomic(file, after["proofs"][0].dump()).ok());
  std::string out;
  EXPECT_EQ(RunCommand(Bin("tracery") + " proof verify --genesis " + net.dir() +
                           "/genesis.json " + file, &out),
            0)
      << out;
}

}  // namespace
}  // namespace tracery::e2e

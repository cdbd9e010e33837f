// The off-chain SCM workflow end to end with real processes: a Mosquitto broker, traceryd, the
// gateway simulator (tracery gateway simulate), a webhook receiver and the ERP adapters.
//   1. a sensor reading arrives at an edge gateway; 2. the gateway signs batches of readings;
//   3. the node receives them over MQTT and publishes shipment_temperature_exceeded;
//   4. a rule puts the lot on hold for inspection; 5. sellable inventory drops and the
//   replenishment recommendation changes; 6. a checkpoint with the hash of the telemetry
//   window is anchored; 7. the exception goes out (webhook, ERP outbox) and the allocation of
//   the lot is held.
// In the middle the broker and the node are killed (-9) and restarted: every reading is durable
// exactly once. A revoked gateway's readings are refused. ERP documents of the shared data are
// imported, refused or reported unsupported.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "../node/mosquitto_fixture.h"
#include "../node/webhook_receiver.h"
#include "cluster.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"

namespace tracery::e2e {
namespace {

using nlohmann::json;

constexpr char kGtin[] = "00614141123452";
constexpr char kOwnGln[] = "0614141000012";
constexpr int64_t kWeekMs = 7 * 86'400'000LL;
const std::string kEdi = std::string(TRACERY_SHARED_DATA) + "/edi";

std::string Text(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Readings of sensor `sensor` every 60 s from `start_ms`: `values` in °C, one per minute.
void WriteScenario(const std::string& path, const std::string& sensor, int64_t start_ms,
                   const std::vector<double>& values) {
  std::ofstream out(path);
  out << "sensor_id,time,kind,value\n";
  for (size_t i = 0; i < values.size(); ++i) {
    out << sensor << "," << start_ms + static_cast<int64_t>(i) * 60'000 << ",temperature,"
        << values[i] << "\n";
  }
}

class ScmWorkflow : public ::testing::Test {
 protected:
  ScmWorkflow() : net_("acme") {}

  void SetUp() override {
    std::filesystem::create_directories(net_.dir() + "/broker");
    broker_ = std::make_unique<testing::MosquittoBroker>(net_.dir() + "/broker", 100'000);
    ASSERT_TRUE(broker_->Start());
    // The node subscribes to the broker and watches an ERP inbox.
    const std::string config = net_.org_dir(0) + "/node.json";
    json c = json::parse(ReadFile(config).value());
    c["telemetry"] = {{"broker", broker_->address()}};
    c["erp"] = {{"inbox", net_.dir() + "/inbox"}};
    ASSERT_TRUE(WriteFileAtomic(config, c.dump(2)).ok());
    ASSERT_TRUE(net_.Start(0));
    admin_ = net_.Client(0, "admin");
    planner_ = net_.Client(0, "planner");
  }

  std::string Run(const std::string& command, int expect = 0) {
    std::string out;
    EXPECT_EQ(RunCommand(command, &out), expect) << command << "\n" << out;
    return out;
  }

  std::string Keygen(const std::string& gateway) {
    return Trim(Run(Bin("tracery") + " gateway keygen --out " + net_.dir() + "/" + gateway + ".key"));
  }

  pid_t Simulate(const std::string& gateway, const std::string& scenario, int timeout_s) {
    return testing::Spawn(
        {Bin("tracery"), "gateway", "simulate", "--broker", broker_->address(), "--gateway",
         gateway, "--key", net_.dir() + "/" + gateway + ".key", "--scenario", scenario,
         "--genesis", net_.dir() + "/genesis.json", "--batch", "20", "--buffer",
         net_.dir() + "/" + gateway + ".buffer", "--timeout", std::to_string(timeout_s),
         "--resend-ms", "1000", "--window", "16"},
        net_.dir() + "/" + gateway + ".log");
  }

  json Position() {
    json p = Call(planner_.get(), "GET",
                  std::string("/v1/inventory?item=") + kGtin + "&location=" + kOwnGln, json(), 200);
    return p["positions"].empty() ? json::object() : p["positions"][0];
  }

  json Recommend() {
    return Call(planner_.get(), "POST", "/v1/replenishment/recommendations",
                {{"item", kGtin}, {"location", kOwnGln}, {"serviceTarget", 0.95},
                 {"constraints", {{"leadTimePeriods", 1}}}},
                200);
  }

  Consortium net_;
  std::unique_ptr<testing::MosquittoBroker> broker_;
  std::unique_ptr<client::HttpClient> admin_;
  std::unique_ptr<client::HttpClient> planner_;
};

TEST_F(ScmWorkflow, ColdChainExcursionFromSensorToHoldAnchorAndErp) {
  // Stock and demand: twelve weekly shipments of lot L2 (10 and 14 alternating), then counts;
  // a sales order allocates lot L1 (earliest expiry).
  Call(planner_.get(), "POST", "/v1/masterdata",
       {{"items", {{{"gtin", kGtin}, {"description", "Frozen peas 1kg"}, {"unit", "EA"}}}}}, 200);
  Call(planner_.get(), "POST", "/v1/inventory/counts",
       {{"counts", {{{"gtin", kGtin}, {"gln", kOwnGln}, {"lotNumber", "L2"}, {"quantity", "500"}}}}},
       200);
  for (int w = 1; w <= 12; ++w) {
    json event{{"type", "ObjectEvent"}, {"action", "OBSERVE"}, {"bizStep", "shipping"},
               {"eventTime", FormatRfc3339Utc(NowMs() - w * kWeekMs)},
               {"eventTimeZoneOffset", "+00:00"},
               {"readPoint", {{"id", std::string("https://id.gs1.org/414/") + kOwnGln}}},
               {"quantityList", json::array({{{"epcClass", std::string("https://id.gs1.org/01/") +
                                                               kGtin + "/10/L2"},
                                              {"quantity", w % 2 == 0 ? 10 : 14}}})}};
    Call(admin_.get(), "POST", "/v1/events", event, 201);
  }
  Call(planner_.get(), "POST", "/v1/inventory/counts",
       {{"counts", {{{"gtin", kGtin}, {"gln", kOwnGln}, {"lotNumber", "L1"}, {"quantity", "20"},
                     {"expiryDate", "2027-01-31"}},
                    {{"gtin", kGtin}, {"gln", kOwnGln}, {"lotNumber", "L2"}, {"quantity", "20"},
                     {"expiryDate", "2027-06-30"}}}}},
       200);
  json order = Call(planner_.get(), "POST", "/v1/orders",
                    {{"id", "SO-7"}, {"kind", "sales"}, {"shipFrom", kOwnGln},
                     {"lines", {{{"gtin", kGtin}, {"quantity", "10"}}}}},
                    201);
  ASSERT_EQ(order["allocations"].at(0)["lotNumber"], "L1");
  const json before = Position();
  EXPECT_EQ(before["sellable"], "30");
  const json rec_before = Recommend();

  // A receiver for the exceptions, as the partner's ERP would run it.
  testing::Receiver erp([](size_t) { return 200; });
  Call(admin_.get(), "POST", "/v1/webhooks",
       {{"url", erp.Url()}, {"topic", "exceptions"}}, 201);

  // The gateway and its sensor, bound to lot L1.
  Call(admin_.get(), "POST", "/v1/gateways", {{"id", "truck-7"}, {"publicKey", Keygen("truck-7")}}, 201);
  Call(admin_.get(), "POST", "/v1/gateways/truck-7/sensors",
       {{"sensorId", "t-1"}, {"gtin", kGtin}, {"lotNumber", "L1"}}, 201);

  // Twenty thousand normal readings (a fortnight at one a minute), then the truck's reefer
  // fails: 9.5 °C for 40 minutes, then 6 °C again. While the gateway publishes, the broker and
  // then the node are killed -9 and restarted.
  const int64_t t0 = NowMs() - 30 * 86'400'000LL;
  std::vector<double> values(20'000, 4.5);
  values.insert(values.end(), 30, 5.0);
  values.insert(values.end(), 40, 9.5);
  values.insert(values.end(), 40, 6.0);
  WriteScenario(net_.dir() + "/truck-7.csv", "t-1", t0, values);
  const size_t batches = (values.size() + 19) / 20;
  pid_t gateway = Simulate("truck-7", net_.dir() + "/truck-7.csv", 240);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  broker_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(broker_->Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(net_.Stop(0, SIGKILL), -SIGKILL);
  ASSERT_TRUE(net_.Start(0));
  admin_ = net_.Client(0, "admin");
  planner_ = net_.Client(0, "planner");
  ASSERT_EQ(testing::WaitExit(gateway, std::chrono::seconds(260)), 0) << Text(net_.dir() + "/truck-7.log");
  const std::string summary = Text(net_.dir() + "/truck-7.log");
  std::cout << "gateway: " << summary;
  // Killed in the middle: the gateway had to publish again what was not acknowledged.
  EXPECT_EQ(summary.find("\"republished\":0,"), std::string::npos) << summary;
  // Every batch durable, each once: the node's high-water mark is the last sequence number.
  json gateways = Call(admin_.get(), "GET", "/v1/gateways", json(), 200);
  ASSERT_EQ(gateways["gateways"].size(), 1u);
  EXPECT_EQ(gateways["gateways"][0]["durableThrough"], batches);

  // 3. The node published shipment_temperature_exceeded.
  json telemetry;
  ASSERT_TRUE(testing::WaitFor([&] {
    telemetry = Call(admin_.get(), "GET", "/v1/eventlog/telemetry?from=1", json(), 200);
    return telemetry.value("events", json::array()).size() >= 2;
  })) << telemetry.dump();
  const json exceeded = telemetry["events"][0];
  EXPECT_EQ(exceeded["type"], "shipment_temperature_exceeded");
  json payload = exceeded["data"];
  EXPECT_EQ(payload["lotNumber"], "L1");
  EXPECT_EQ(payload["peakCelsius"], "9.5");
  EXPECT_EQ(telemetry["events"][1]["type"], "shipment_temperature_recovered");

  // 4. The lot is on hold for inspection, placed by the rule.
  json holds = Call(planner_.get(), "GET", "/v1/holds?active=true", json(), 200);
  ASSERT_EQ(holds["holds"].size(), 1u);
  EXPECT_EQ(holds["holds"][0]["lotNumber"], "L1");
  EXPECT_EQ(holds["holds"][0]["reasonCode"], "temperature_excursion");
  EXPECT_EQ(holds["holds"][0]["placedBy"], "rule:temp-high") << holds.dump();
  // 5. Sellable drops; the recommendation changes.
  const json after = Position();
  EXPECT_EQ(after["onHold"], "20");
  EXPECT_EQ(after["sellable"], "20");
  const json rec_after = Recommend();
  EXPECT_NE(rec_after["recommendedQuantity"], rec_before["recommendedQuantity"])
      << rec_before.dump() << "\n" << rec_after.dump();
  // 6. The excursion's checkpoint, carrying the window hash, is anchored and proves offline.
  const std::string event_id = payload.value("eventID", "");
  ASSERT_FALSE(event_id.empty()) << payload.dump();
  json proof = Call(admin_.get(), "GET", "/v1/proofs/events/" + PercentEncode(event_id), json(), 200);
  ASSERT_EQ(proof["proofs"].size(), 1u);
  json captured = Call(admin_.get(), "GET", "/v1/events/" + PercentEncode(event_id), json(), 200);
  const json& anchored = captured["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
  const std::string raw = anchored["sensorElementList"][0]["sensorMetadata"]["rawData"];
  auto window = HexDecode(payload["windowHash"].get<std::string>());
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(raw, "ni:///sha-256;" + Base64UrlEncode(*window));
  const std::string file = net_.dir() + "/excursion-proof.json";
  ASSERT_TRUE(WriteFileAtomic(file, proof["proofs"][0].dump()).ok());
  Run(Bin("tracery") + " proof verify --genesis " + net_.dir() + "/genesis.json " + file);
  // 7. The exception reaches the ERP (webhook, outbox file) and SO-7's allocation is held.
  json exceptions = Call(planner_.get(), "GET", "/v1/exceptions?open=true", json(), 200);
  bool excursion_exception = false;
  for (const json& e : exceptions["exceptions"]) {
    excursion_exception |= e["type"] == "temperature_excursion" && e.value("lotNumber", "") == "L1";
  }
  EXPECT_TRUE(excursion_exception) << exceptions.dump();
  for (const json& e : exceptions["exceptions"]) {
    EXPECT_NE(e["type"], "temperature_recovered") << "a recovery is recorded closed";
  }
  ASSERT_TRUE(testing::WaitFor([&] {
    for (const testing::Received& r : erp.received()) {
      if (r.body.find("temperature_excursion") != std::string::npos) return true;
    }
    return false;
  }));
  auto metrics = admin_->Request("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("tracery_telemetry_batches_total{outcome=\"accepted\"}"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find("tracery_webhook_deliveries_total{outcome=\"delivered\"} 0\n"),
            std::string::npos);  // the exceptions were delivered
  EXPECT_NE(metrics->body.find("tracery_telemetry_mqtt_connected 1"), std::string::npos);
  bool outbox_hold = false, outbox_exception = false;
  for (const auto& f : std::filesystem::directory_iterator(net_.org_dir(0) + "/data/erp/outbox")) {
    const std::string text = Text(f.path().string());
    outbox_hold |= text.find("hold_placed") != std::string::npos && text.find(",L1,") != std::string::npos;
    outbox_exception |= text.find("temperature_excursion") != std::string::npos;
  }
  EXPECT_TRUE(outbox_hold);
  EXPECT_TRUE(outbox_exception);
  json so = Call(planner_.get(), "GET", "/v1/orders/SO-7", json(), 200);
  EXPECT_TRUE(so["allocations"][0]["held"].get<bool>());

  // A revoked gateway's readings are refused: its simulator never gets an acknowledgement.
  Call(admin_.get(), "POST", "/v1/gateways", {{"id", "rogue"}, {"publicKey", Keygen("rogue")}}, 201);
  Call(admin_.get(), "POST", "/v1/gateways/rogue/revoke", json::object(), 200);
  Call(planner_.get(), "POST", "/v1/gateways/rogue/revoke", json::object(), 403);
  WriteScenario(net_.dir() + "/rogue.csv", "t-9", t0, std::vector<double>(20, 12.0));
  EXPECT_EQ(testing::WaitExit(Simulate("rogue", net_.dir() + "/rogue.csv", 5),
                              std::chrono::seconds(60)),
            1);
  json metrics_gateways = Call(admin_.get(), "GET", "/v1/gateways", json(), 200);
  for (const json& g : metrics_gateways["gateways"]) {
    if (g["id"] == "rogue") {
      EXPECT_EQ(g["durableThrough"], 0);
    }
  }
}

TEST_F(ScmWorkflow, ErpDocumentsThroughTheCliAndTheInbox) {
  const std::string erp = Bin("tracery") + " erp import --node " + net_.url(0) +
                          " --token-file " + net_.org_dir(0) + "/admin.token ";
  // A ship notice with SSCCs: imported, its packing and shipping events captured.
  std::string out = Run(erp + kEdi + "/x12/856_4010VICS_SOPI_SSCC_X12Parser-FromGregarican.edi");
  EXPECT_NE(out.find("1 shipments"), std::string::npos) << out;
  json shipments = Call(planner_.get(), "GET", "/v1/shipments", json(), 200);
  ASSERT_EQ(shipments["shipments"].size(), 1u);
  // Importing it again is refused whole (the shipment exists), exit 1.
  Run(erp + kEdi + "/x12/856_4010VICS_SOPI_SSCC_X12Parser-FromGregarican.edi", 1);
  // The broken 856 is refused naming the segment and the rule; nothing is kept.
  out = Run("{ " + erp + kEdi + "/x12/856_4010_INVALID-mixed-terminators_stupidedi-SH856-fail-2.edi 2>&1; }", 1);
  EXPECT_NE(out.find("x12.segment.terminator"), std::string::npos) << out;
  EXPECT_EQ(Call(planner_.get(), "GET", "/v1/shipments", json(), 200)["shipments"].size(), 1u);
  // The invoice beside a purchase order: the 850 imported, the 810 reported unsupported.
  out = Run(erp + kEdi + "/x12/810v4010+850v3010_two-groups_staedi-invoice810_po850_dual.edi");
  EXPECT_NE(out.find("810"), std::string::npos) << out;
  EXPECT_NE(out.find("unsupported"), std::string::npos) << out;
  // An auditor may not import.
  auto auditor = net_.Client(0, "auditor");
  auto r = auditor->Request("POST", "/v1/erp/documents", "ISA*00*", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);

  // The inbox: a DESADV is imported and moved to imported/, the broken 856 to refused/ with why.
  const std::string inbox = net_.dir() + "/inbox";
  std::filesystem::copy_file(kEdi + "/edifact/DESADV_D96A_php-edifact-D96ADESADV.edi",
                             inbox + "/desadv.edi");
  std::filesystem::copy_file(kEdi + "/x12/856_4010_INVALID-mixed-terminators_stupidedi-SH856-fail-2.edi",
                             inbox + "/broken.edi");
  ASSERT_TRUE(testing::WaitFor([&] {
    return std::filesystem::exists(inbox + "/imported/desadv.edi") &&
           std::filesystem::exists(inbox + "/refused/broken.edi.problem.json");
  }));
  EXPECT_NE(ReadFile(inbox + "/refused/broken.edi.problem.json").value().find("x12.segment.terminator"),
            std::string::npos);
  json erp_log = Call(admin_.get(), "GET", "/v1/eventlog/erp?from=1", json(), 200);
  EXPECT_EQ(erp_log["events"].size(), 3u) << erp_log.dump();  // 856, 810+850, DESADV
}

}  // namespace
}  // namespace tracery::e2e

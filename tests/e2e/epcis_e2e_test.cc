// End to end through a real traceryd: capture of every example document in the shared data
// (JSON-LD and XML), capture jobs, event queries in URN and Digital Link form, paging, named
// queries, verification through the API and through `tracery verify`.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "cluster.h"
#include "tracery/core/encoding.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/proof.h"

namespace tracery::e2e {
namespace {

using nlohmann::json;

const std::string kData = std::string(TRACERY_SHARED_DATA) + "/epcis";

std::string Read(const std::string& relative) { return ReadFile(kData + "/" + relative).value(); }

bool IsXml(const std::string& path) { return path.ends_with(".xml"); }

// The capture documents of the shared data: everything but the negative case, the query
// result and the query body.
std::vector<std::string> CaptureDocuments() {
  std::vector<std::string> out;
  for (const auto& dir : std::filesystem::directory_iterator(kData)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      const std::string name = f.path().filename().string();
      if (name.starts_with("INVALID_") || name == "EPCISQueryDocument.jsonld" ||
          name == "SimpleEventQuery.json") {
        continue;
      }
      out.push_back(dir.path().filename().string() + "/" + name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> TypeHeader(const std::string& path) {
  return {{"Content-Type", IsXml(path) ? "application/xml" : "application/ld+json"}};
}

// Follows a capture job until it stops running.
json WaitJob(client::HttpClient* c, const std::string& location) {
  json job;
  for (int i = 0; i < 600; ++i) {
    auto r = c->Request("GET", location);
    if (!r.ok() || r->status != 200) return json();
    job = json::parse(r->body);
    if (!job["running"].get<bool>()) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return job;
}

json Events(const client::Response& r) {
  return json::parse(r.body)["epcisBody"]["queryResults"]["resultsBody"]["eventList"];
}

std::set<std::string> EventIds(client::HttpClient* c, const std::string& target) {
  std::set<std::string> ids;
  auto r = c->Request("GET", target);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << target << ": " << r->body;
  if (r->status != 200) return ids;
  for (const json& e : Events(*r)) ids.insert(e["eventID"].get<std::string>());
  return ids;
}

class EpcisE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kData + "/MANIFEST.md"))
        << "the shared EPCIS data is not at " << kData;
    ASSERT_TRUE(c_.Start(0));
    admin_ = c_.Client(0, "admin");
    auditor_ = c_.Client(0, "auditor");
  }
  json Capture(const std::string& doc, const std::map<std::string, std::string>& headers = {}) {
    auto r = admin_->Request("POST", "/v1/capture", Read(doc), [&] {
      auto h = TypeHeader(doc);
      h.insert(headers.begin(), headers.end());
      return h;
    }());
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->status, 202) << doc << ": " << r->body;
    if (r->status != 202) return json();
    EXPECT_EQ(r->headers["location"].rfind("/v1/capture/", 0), 0u);
    return WaitJob(admin_.get(), r->headers["location"]);
  }
  Consortium c_{"acme"};
  std::unique_ptr<client::HttpClient> admin_, auditor_;
};

TEST_F(EpcisE2E, EveryExampleDocumentIsCapturedAndCommitted) {
  size_t events = 0;
  for (const std::string& doc : CaptureDocuments()) {
    SCOPED_TRACE(doc);
    json job = Capture(doc);
    ASSERT_TRUE(job.is_object());
    EXPECT_TRUE(job["success"].get<bool>()) << job.dump();
    EXPECT_TRUE(job.contains("finishedAt"));
    for (const json& e : job["events"]) {
      EXPECT_EQ(e["status"], "committed") << e.dump();
      EXPECT_TRUE(e["eventID"].get<std::string>().starts_with("ni:///sha-256;"));
      ++events;
    }
  }
  EXPECT_GT(events, 60u);

  // The same document again anchors nothing new.
  json again = Capture("gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld");
  for (const json& e : again["events"]) EXPECT_TRUE(e.value("alreadyAnchored", false)) << e.dump();

  // The negative example is refused naming its rule; a query result is not a capture document.
  auto r = admin_->Request("POST", "/v1/capture",
                           Read("openepcis-test-resources/INVALID_ObjectEvent_without_identifier_list.json"));
  ASSERT_EQ(r->status, 400) << r->body;
  json problem = json::parse(r->body);
  EXPECT_EQ(r->content_type, "application/problem+json");
  EXPECT_FALSE(problem["rule"].get<std::string>().empty());
  EXPECT_TRUE(problem["field"].get<std::string>().starts_with("epcisBody.eventList[0]"))
      << problem.dump();
  r = admin_->Request("POST", "/v1/capture", Read("gs1-EPCIS/EPCISQueryDocument.jsonld"));
  ASSERT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["rule"], "document.type");
  // An auditor may not capture.
  EXPECT_EQ(auditor_->Request("POST", "/v1/capture", Read("gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld"))
                ->status,
            403);
}

// Four clients capture the same document at once: each event is anchored once, and every
// job reports every event committed.
TEST_F(EpcisE2E, ConcurrentCapturesOfOneDocumentAnchorEachEventOnce) {
  const std::string doc = "gs1-EPCIS/Example-TransactionEvents-2020_07_03y.jsonld";
  std::vector<std::thread> clients;
  std::vector<json> jobs(4);
  for (size_t i = 0; i < jobs.size(); ++i) {
    clients.emplace_back([&, i] {
      auto admin = c_.Client(0, "admin");
      auto r = admin->Request("POST", "/v1/capture", Read(doc));
      if (r.ok() && r->status == 202) jobs[i] = WaitJob(admin.get(), r->headers["location"]);
    });
  }
  for (std::thread& t : clients) t.join();
  std::set<std::string> ids;
  for (const json& job : jobs) {
    ASSERT_TRUE(job.is_object());
    EXPECT_TRUE(job["success"].get<bool>()) << job.dump();
    for (const json& e : job["events"]) ids.insert(e["eventID"].get<std::string>());
  }
  ASSERT_EQ(ids.size(), 2u);
  for (const std::string& id : ids) {
    auto r = auditor_->Request("GET", "/v1/events?EQ_eventID=" + PercentEncode(id));
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(Events(*r).size(), 1u) << id;
  }
}

TEST_F(EpcisE2E, QueriesFindTheSameEventsByUrnAndDigitalLink) {
  Capture("gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld");
  Capture("gs1-EPCIS/Example_9.6.4-TransformationEvent.jsonld");
  // Example 9.6.1 names urn:epc:id:sgtin:0614141.107346.2017.
  const auto by_urn =
      EventIds(auditor_.get(), "/v1/events?MATCH_epc=" + PercentEncode("urn:epc:id:sgtin:0614141.107346.2017"));
  const auto by_dl = EventIds(auditor_.get(), "/v1/events?MATCH_epc=" +
                                                  PercentEncode("https://id.gs1.org/01/10614141073464/21/2017"));
  EXPECT_FALSE(by_urn.empty());
  EXPECT_EQ(by_urn, by_dl);
  // The class in URN form and in Digital Link form (the transformation's input lot).
  const auto class_urn = EventIds(
      auditor_.get(), "/v1/events?MATCH_anyEPCClass=" + PercentEncode("urn:epc:class:lgtin:0614141.077777.987"));
  const auto class_dl = EventIds(auditor_.get(), "/v1/events?MATCH_anyEPCClass=" +
                                                     PercentEncode("https://id.gs1.org/01/00614141777778/10/987"));
  EXPECT_EQ(class_urn.size(), 1u);
  EXPECT_EQ(class_urn, class_dl);
  // Vocabulary in bare, URN and Web URI form.
  EXPECT_EQ(EventIds(auditor_.get(), "/v1/events?EQ_bizStep=shipping"),
            EventIds(auditor_.get(), "/v1/events?EQ_bizStep=" +
                                         PercentEncode("https://ref.gs1.org/cbv/BizStep-shipping")));
  // A single event by its id, percent-encoded in the path.
  const std::string one = *by_urn.begin();
  auto r = auditor_->Request("GET", "/v1/events/" + PercentEncode(one));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Events(*r)[0]["eventID"], one);
  EXPECT_TRUE(Events(*r)[0].contains("recordTime"));
  // Bad parameters are specific 400s.
  r = auditor_->Request("GET", "/v1/events?EQ_bizStep=shiping");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("EQ_bizStep"), std::string::npos) << r->body;
  EXPECT_EQ(auditor_->Request("GET", "/v1/events?EQ_nonsense=1")->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/events?GE_eventTime=yesterday")->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/events?perPage=0")->status, 400);
}

TEST_F(EpcisE2E, PagesFollowTheLinkHeaderToTheEnd) {
  Capture("epcis-event-hash-generator/epcisDocWithVariousEventTypes.jsonld");
  const auto all = EventIds(auditor_.get(), "/v1/events?perPage=1000");
  ASSERT_EQ(all.size(), 13u);
  std::set<std::string> paged;
  std::string target = "/v1/events?perPage=4";
  for (int pages = 0; pages < 20 && !target.empty(); ++pages) {
    auto r = auditor_->Request("GET", target);
    ASSERT_EQ(r->status, 200) << r->body;
    for (const json& e : Events(*r)) paged.insert(e["eventID"].get<std::string>());
    const std::string link = r->headers["link"];
    target = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  EXPECT_EQ(paged, all);
}

TEST_F(EpcisE2E, NamedQueryFromTheStandardsExample) {
  json body{{"name", "shipped-in-2026"},
            {"query", json::parse(Read("openepcis-test-resources/SimpleEventQuery.json"))}};
  auto r = admin_->Request("POST", "/v1/queries", body.dump());
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->headers["location"], "/v1/queries/shipped-in-2026");
  EXPECT_EQ(admin_->Request("POST", "/v1/queries", body.dump())->status, 409);
  r = auditor_->Request("GET", "/v1/queries/shipped-in-2026/events");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Events(*r).is_array());
  body["name"] = "broken";
  body["query"]["EQ_bizStep"] = {"not a step"};
  EXPECT_EQ(admin_->Request("POST", "/v1/queries", body.dump())->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/queries/none/events")->status, 404);
}

TEST_F(EpcisE2E, SingleEventCaptureAndProceedBehaviour) {
  json doc = json::parse(Read("gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld"));
  json event = doc["epcisBody"]["eventList"][0];
  event["@context"] = doc["@context"];
  auto r = admin_->Request("POST", "/v1/events", event.dump());
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string location = r->headers["location"];
  ASSERT_EQ(location.rfind("/v1/events/ni%3A", 0), 0u) << location;
  EXPECT_EQ(auditor_->Request("GET", location)->status, 200);

  // proceed: the valid event is captured, the invalid one reported.
  json mixed = doc;
  mixed["epcisBody"]["eventList"][1]["eventTime"] = "not a time";
  r = admin_->Request("POST", "/v1/capture", mixed.dump(),
                      {{"GS1-Capture-Error-Behaviour", "proceed"}});
  ASSERT_EQ(r->status, 202) << r->body;
  json job = WaitJob(admin_.get(), r->headers["location"]);
  EXPECT_FALSE(job["success"].get<bool>());
  ASSERT_EQ(job["errors"].size(), 1u);
  EXPECT_EQ(job["errors"][0]["index"], 1);
  EXPECT_EQ(job["events"][0]["status"], "committed");
  // rollback (the default): nothing of the document is kept.
  r = admin_->Request("POST", "/v1/capture", mixed.dump());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(admin_->Request("POST", "/v1/capture", mixed.dump(),
                            {{"GS1-Capture-Error-Behaviour", "sometimes"}})
                ->status,
            400);
}

TEST_F(EpcisE2E, VerifyAnAnchoredAndAnAlteredDocument) {
  const std::string doc = "gs1-EPCIS/Example_9.6.4-TransformationEvent.jsonld";
  Capture(doc);
  auto r = auditor_->Request("POST", "/v1/verify", Read(doc));
  ASSERT_EQ(r->status, 200) << r->body;
  json answer = json::parse(r->body);
  EXPECT_TRUE(answer["allAnchored"].get<bool>()) << answer.dump();
  EXPECT_TRUE(answer["events"][0].contains("proof"));

  json altered = json::parse(Read(doc));
  altered["epcisBody"]["eventList"][0]["outputEPCList"][0] = "urn:epc:id:sgtin:4012345.077889.99";
  r = auditor_->Request("POST", "/v1/verify", altered.dump());
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(json::parse(r->body)["allAnchored"].get<bool>());

  // The CLI asks the node and checks the proof offline against the genesis.
  const std::string cli = Bin("tracery") + " verify --node " + c_.url(0) + " --token " +
                          c_.token(0, "auditor") + " --genesis " + c_.dir() + "/genesis.json ";
  std::string out;
  EXPECT_EQ(RunCommand(cli + kData + "/" + doc, &out), 0) << out;
  EXPECT_NE(out.find("VERIFIED"), std::string::npos) << out;
  const std::string altered_path = c_.dir() + "/altered.jsonld";
  ASSERT_TRUE(WriteFileAtomic(altered_path, altered.dump()).ok());
  EXPECT_EQ(RunCommand(cli + altered_path, &out), 1) << out;
  EXPECT_NE(out.find("not anchored"), std::string::npos) << out;

  // tracery events import follows its jobs to the end.
  EXPECT_EQ(RunCommand(Bin("tracery") + " events import --node " + c_.url(0) + " --token " +
                           c_.token(0, "admin") + " " + kData +
                           "/openepcis-dpp-ready-fsma204/shipping-cte.jsonld",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("events committed"), std::string::npos) << out;
}

// The FSMA 204 examples form a real chain: a bulk lot repacked into cases, the cases packed on a
// pallet and shipped, and cases of the lot turned into salad.
TEST_F(EpcisE2E, LineageAndRecallExposureOfTheFsmaChainWithProofs) {
  Capture("openepcis-dpp-ready-fsma204/shipping-cte.jsonld");
  Capture("openepcis-dpp-ready-fsma204/transformation-cte.jsonld");
  const std::string bulk = "https://id.gs1.org/01/00860009999923/10/ABC1234";
  const std::string cases = "https://id.gs1.org/01/10860009999920/10/ABC1234";
  const std::string salad = "https://id.gs1.org/01/10860009998039/10/SALAD-20260420-A";
  const std::string pallet = "https://id.gs1.org/00/008600099999850000";
  auto ids = [](const json& answer) {
    std::set<std::string> out;
    for (const json& n : answer["nodes"]) out.insert(n["id"].get<std::string>());
    return out;
  };
  auto r = auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode(salad) + "?direction=up");
  ASSERT_EQ(r->status, 200) << r->body;
  auto up = ids(json::parse(r->body));
  EXPECT_TRUE(up.count(cases) && up.count(bulk)) << r->body;
  // The case lot written as an EPC class URN names the same lot.
  r = auditor_->Request("GET", "/v1/traceability/lots/" +
                                   PercentEncode("urn:epc:class:lgtin:0860009.199992.ABC1234") +
                                   "?direction=down");
  ASSERT_EQ(r->status, 200) << r->body;
  auto down = ids(json::parse(r->body));
  EXPECT_TRUE(down.count(salad) && down.count(pallet)) << r->body;
  r = auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode(bulk) + "?direction=down&depth=1");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ids(json::parse(r->body)), (std::set<std::string>{bulk, cases}));
  EXPECT_TRUE(json::parse(r->body)["depthLimited"].get<bool>());

  // Recall of the bulk lot: the pallet that carried its cases and where it was shipped, with a
  // proof for every step that verifies offline.
  r = auditor_->Request("GET", "/v1/recalls/" + PercentEncode(bulk) + "/exposure?proofs=true");
  ASSERT_EQ(r->status, 200) << r->body;
  json x = json::parse(r->body);
  std::set<std::string> exposed;
  for (const json& e : x["exposed"]) exposed.insert(e["id"].get<std::string>());
  EXPECT_TRUE(exposed.count(pallet) && exposed.count(salad)) << x.dump();
  EXPECT_NE(x["receivingLocations"].dump().find("https://id.gs1.org/414/0860009998001"),
            std::string::npos)
      << x.dump();
  bool shipped = false;
  for (const json& h : x["handoffs"]) {
    shipped = shipped || h.value("bizStep", "") == "https://ref.gs1.org/cbv/BizStep-shipping";
  }
  EXPECT_TRUE(shipped) << x.dump();
  ASSERT_EQ(x["proofs"].size(), x["checkpoints"].size());
  const ledger::Genesis genesis = ledger::Genesis::Load(c_.dir() + "/genesis.json").value();
  for (size_t i = 0; i < x["proofs"].size(); ++i) {
    auto bundle = ledger::ProofFromJson(x["proofs"][i]);
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    auto verified = ledger::VerifyProof(*bundle, genesis);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    bool found = false;
    for (const auto& cp : verified->checkpoints) {
      found = found || cp.event_id() == x["checkpoints"][i]["eventID"].get<std::string>();
    }
    EXPECT_TRUE(found) << i;
  }

  // The CLI: a table, a Graphviz graph that renders, a CSV with the shipment.
  const std::string flags =
      " --node " + c_.url(0) + " --token " + c_.token(0, "auditor") + " '" + bulk + "'";
  std::string out;
  ASSERT_EQ(RunCommand(Bin("tracery") + " lineage --down" + flags, &out), 0) << out;
  EXPECT_NE(out.find(salad), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Bin("tracery") + " lineage --down --format dot" + flags, &out), 0);
  EXPECT_EQ(out.rfind("digraph lineage {", 0), 0u) << out;
  if (RunCommand("command -v dot") == 0) {
    const std::string dot_file = c_.dir() + "/lineage.dot";
    ASSERT_TRUE(WriteFileAtomic(dot_file, out).ok());
    EXPECT_EQ(RunCommand("dot -Tsvg " + dot_file + " -o " + c_.dir() + "/lineage.svg"), 0);
  }
  ASSERT_EQ(RunCommand(Bin("tracery") + " recall --format csv" + flags, &out), 0) << out;
  EXPECT_EQ(out.rfind("identifier,depth,disposition,", 0), 0u) << out;
  EXPECT_NE(out.find(pallet), std::string::npos) << out;
  EXPECT_NE(out.find("shipping"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Bin("tracery") + " recall --node " + c_.url(0) + " --token " +
                       c_.token(0, "auditor") + " https://id.gs1.org/01/09506000134352/10/NONE"),
            1);

  // Bad requests are specific.
  EXPECT_EQ(auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode(bulk) + "?direction=sideways")->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode(bulk) + "?depth=100000")->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode("urn:epc:id:sgtin:12") )->status, 400);
  EXPECT_EQ(auditor_->Request("GET", "/v1/traceability/lots/" + PercentEncode("https://id.gs1.org/01/09506000134352/10/NONE"))->status, 404);
  EXPECT_EQ(auditor_->Request("GET", "/v1/recalls/" + PercentEncode(bulk) + "/exposure?proofs=maybe")->status, 400);
}

}  // namespace
}  // namespace tracery::e2e

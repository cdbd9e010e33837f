// tracery_bench_capture: EPCIS document capture end to end on one running node — parse,
// validate, hash, store the payloads, anchor (sign, pending log), commit (block, fsync), index
// (event index) — and, in the same run, the in-process rate of the parse-validate-hash part
// alone, which bounds it.
//
// Documents of --per-doc events are generated before the clock starts (a supply-chain mix:
// commissioning with ILMD lots, packing aggregations, shipping with source/destination and a
// purchase order, transformations), each event with unique identifiers. --clients threads post
// them to POST /v1/capture; the clock stops when every capture job reports every event
// committed and a query of the last document's identifiers returns them (the event index has
// applied their block). Then it times lineage queries over HTTP on the captured graph (lots
// downstream to their items, transformation outputs upstream to their input lot). Prints one
// JSON object.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "bench_util.h"
#include "http_client.h"
#include "tracery/core/key_file.h"
#include "tracery/epcis/document.h"

namespace tracery::bench {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery_bench_capture --node http://127.0.0.1:PORT --token-file FILE\n"
    "                             [--events 100000] [--per-doc 1000] [--clients 4]\n\n"
    "Captures --events EPCIS events in documents of --per-doc events through POST /v1/capture\n"
    "from --clients keep-alive clients and prints events per second end to end (committed and\n"
    "indexed), with the in-process parse+validate+hash rate of the same documents beside it.\n";

std::string Serial(uint64_t run, uint64_t n) { return std::to_string(run) + std::to_string(100000000 + n); }

// One event of the mix; `n` makes its identifiers unique within the run.
json MakeEvent(uint64_t run, uint64_t n) {
  const std::string gtin_company = "4012345";
  const std::string lot = "L" + std::to_string(run) + "-" + std::to_string(n / 100);
  json e{{"eventTime", "2026-11-27T10:00:00.000+01:00"}, {"eventTimeZoneOffset", "+01:00"}};
  const std::string epc = "urn:epc:id:sgtin:" + gtin_company + ".011111." + Serial(run, n);
  switch (n % 4) {
    case 0:
      e["type"] = "ObjectEvent";
      e["action"] = "ADD";
      e["bizStep"] = "commissioning";
      e["disposition"] = "active";
      e["epcList"] = {epc};
      e["readPoint"] = {{"id", "urn:epc:id:sgln:4012345.00001.0"}};
      e["ilmd"] = {{"cbvmda:lotNumber", lot}};
      break;
    case 1:
      e["type"] = "AggregationEvent";
      e["action"] = "ADD";
      e["bizStep"] = "packing";
      e["parentID"] = "urn:epc:id:sscc:4012345." + std::to_string(1000000000 + n % 1000000000);
      e["childEPCs"] = {epc};
      e["bizLocation"] = {{"id", "urn:epc:id:sgln:4012345.00001.0"}};
      break;
    case 2:
      e["type"] = "ObjectEvent";
      e["action"] = "OBSERVE";
      e["bizStep"] = "shipping";
      e["disposition"] = "in_transit";
      e["epcList"] = {epc};
      e["bizTransactionList"] = {{{"type", "po"}, {"bizTransaction", "urn:epcglobal:cbv:bt:4012345000009:PO-" + std::to_string(n)}}};
      e["sourceList"] = {{{"type", "owning_party"}, {"source", "urn:epc:id:pgln:4012345.00000"}}};
      e["destinationList"] = {{{"type", "owning_party"}, {"destination", "urn:epc:id:pgln:0614141.00000"}}};
      break;
    default:
      e["type"] = "TransformationEvent";
      e["bizStep"] = "commissioning";
      e["inputQuantityList"] = {{{"epcClass", "urn:epc:class:lgtin:4012345.022222." + lot}, {"quantity", 12.5}, {"uom", "KGM"}}};
      e["outputEPCList"] = {epc};
      break;
  }
  return e;
}

std::string MakeDocument(uint64_t run, uint64_t first, uint64_t count) {
  json events = json::array();
  for (uint64_t n = first; n < first + count; ++n) events.push_back(MakeEvent(run, n));
  return json{{"@context", {"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}},
              {"type", "EPCISDocument"},
              {"schemaVersion", "2.0"},
              {"creationDate", "2026-11-27T10:00:00.000Z"},
              {"epcisBody", {{"eventList", events}}}}
      .dump();
}

// Events per second of ParseDocument + EventToCheckpoint + EventPayload on one thread.
double InProcessRate(const std::vector<std::string>& docs, uint64_t per_doc) {
  const auto t0 = Clock::now();
  uint64_t events = 0;
  for (const std::string& d : docs) {
    epcis::Problem problem;
    auto doc = epcis::ParseDocument(d, epcis::Binding::kJson, &problem);
    if (!doc.ok()) {
      std::fprintf(stderr, "tracery_bench_capture: generated document refused: %s\n",
                   problem.ToString().c_str());
      std::exit(1);
    }
    for (const epcis::Event& e : doc->events) {
      auto cp = epcis::EventToCheckpoint(e);
      if (!cp.ok()) std::exit(1);
      ++events;
    }
    if (SecondsSince(t0) > 3) break;
  }
  (void)per_doc;
  return static_cast<double>(events) / SecondsSince(t0);
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {"node", "token-file", "events", "per-doc", "clients"}, {}, kUsage);
  if (!flags.Has("node") || !flags.Has("token-file")) {
    std::fprintf(stderr, "--node and --token-file are required\n%s", kUsage);
    return 2;
  }
  const std::string node = flags.Get("node");
  const std::string token = [&] {
    auto text = ReadFile(flags.Get("token-file"));
    std::string t = text.ok() ? *text : "";
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }();
  const uint64_t events = static_cast<uint64_t>(std::clamp<int64_t>(flags.Int("events", 100000), 1, 10'000'000));
  const uint64_t per_doc = static_cast<uint64_t>(std::clamp<int64_t>(flags.Int("per-doc", 1000), 1, 100'000));
  const int clients = static_cast<int>(std::clamp<int64_t>(flags.Int("clients", 4), 1, 64));
  const uint64_t run = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) % 1000000;

  std::vector<std::string> docs;
  for (uint64_t first = 0; first < events; first += per_doc) {
    docs.push_back(MakeDocument(run, first, std::min(per_doc, events - first)));
  }
  size_t doc_bytes = 0;
  for (const std::string& d : docs) doc_bytes += d.size();

  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> jobs;
  std::atomic<int> errors{0};
  std::string first_error;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto client = client::HttpClient::Create(node, 120000);
      if (!client.ok()) {
        ++errors;
        return;
      }
      (*client)->set_bearer_token(token);
      for (size_t i = next++; i < docs.size(); i = next++) {
        auto r = (*client)->Request("POST", "/v1/capture", docs[i]);
        std::lock_guard lock(mu);
        if (!r.ok() || r->status != 202) {
          if (errors++ == 0) first_error = r.ok() ? r->body : r.status().ToString();
          continue;
        }
        jobs.push_back(r->headers["location"]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double accepted_s = SecondsSince(t0);
  // Follow every job to the end.
  auto client = client::HttpClient::Create(node, 120000).value();
  client->set_bearer_token(token);
  for (const std::string& job : jobs) {
    for (;;) {
      auto r = client->Request("GET", job);
      if (!r.ok() || r->status != 200) {
        ++errors;
        break;
      }
      if (!json::parse(r->body)["running"].get<bool>()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const double committed_s = SecondsSince(t0);
  // The event index has the last events when a query finds them (queries wait for the index
  // to reach the ledger head they start at).
  const std::string last_epc = "urn:epc:id:sgtin:4012345.011111." + Serial(run, events - 1);
  auto q = client->Request("GET", "/v1/events?MATCH_anyEPC=" + PercentEncode(last_epc));
  const bool indexed = q.ok() && q->status == 200 &&
                       !json::parse(q->body)["epcisBody"]["queryResults"]["resultsBody"]["eventList"].empty();
  const double total_s = SecondsSince(t0);
  const double in_process = InProcessRate(docs, per_doc);
  // Lineage over HTTP on the captured graph: downstream of commissioned lots (each reaches the
  // items its ILMD bound to it), upstream of transformation outputs (each reaches its input lot).
  std::vector<double> down_ms, up_ms;
  const uint64_t lots = std::max<uint64_t>(1, events / 100);
  for (uint64_t i = 0; i < std::min<uint64_t>(200, lots); ++i) {
    const uint64_t k = (i * 7919) % lots;
    const std::string lot =
        "urn:epc:class:lgtin:4012345.011111.L" + std::to_string(run) + "-" + std::to_string(k);
    const std::string item =
        "urn:epc:id:sgtin:4012345.011111." + Serial(run, std::min(events - 1, k * 100 + 3));
    for (auto [id, dir, out] : {std::tuple{lot, "down", &down_ms}, std::tuple{item, "up", &up_ms}}) {
      const auto q0 = Clock::now();
      auto r = client->Request("GET", "/v1/traceability/lots/" + PercentEncode(id) +
                                          "?direction=" + dir);
      if (!r.ok() || r->status != 200) {
        if (errors++ == 0) first_error = r.ok() ? r->body : r.status().ToString();
        continue;
      }
      out->push_back(SecondsSince(q0) * 1000);
    }
  }
  json out{{"bench", "capture"},
           {"events", events},
           {"events_per_doc", per_doc},
           {"documents", docs.size()},
           {"document_bytes", doc_bytes},
           {"clients", clients},
           {"accepted_s", accepted_s},
           {"committed_s", committed_s},
           {"indexed_s", total_s},
           {"indexed", indexed},
           {"events_per_s", static_cast<double>(events) / total_s},
           {"bound_parse_hash_events_per_s_one_thread", in_process},
           {"lineage_http_down_ms", {{"queries", down_ms.size()},
                                     {"p50", Percentile(down_ms, 0.5)},
                                     {"p99", Percentile(down_ms, 0.99)}}},
           {"lineage_http_up_ms", {{"queries", up_ms.size()},
                                   {"p50", Percentile(up_ms, 0.5)},
                                   {"p99", Percentile(up_ms, 0.99)}}},
           {"errors", errors.load()}};
  if (!first_error.empty()) out["first_error"] = first_error.substr(0, 300);
  std::printf("%s\n", out.dump().c_str());
  return errors.load() == 0 && indexed ? 0 : 1;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

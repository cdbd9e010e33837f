// The EPCIS part of the HTTP API: capture (documents and single events), event queries, named
// queries and verification. docs/api/openapi.yaml describes each.
#include <nlohmann/json.hpp>

#include "api.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/epcis/document.h"

namespace tracery::node {
namespace {

using nlohmann::json;

HttpResponse ValidationProblem(const epcis::Problem& p) {
  return Problem(400, "epcis-validation", "The EPCIS document is not valid", p.ToString(),
                 {{"field", p.field}, {"rule", p.rule}});
}

HttpResponse WriteForbidden(const std::string& who, Role role) {
  return Problem(403, "forbidden", "Forbidden",
                 "principal '" + who + "' has role '" + RoleName(role) +
                     "', which may not capture events (admin or partner may)");
}

Result<CaptureErrorBehaviour> Behaviour(const std::string& header) {
  if (header.empty() || header == "rollback") return CaptureErrorBehaviour::kRollback;
  if (header == "proceed") return CaptureErrorBehaviour::kProceed;
  return InvalidArgument("GS1-Capture-Error-Behaviour: 'rollback' or 'proceed', not '" + header +
                         "'");
}

// An event as a query answers it: the full event when this node holds its payload, otherwise
// what the checkpoint carries; recordTime is when its block was committed.
json EventJson(Node* node, const lineage::EventHit& hit) {
  json event;
  Hash32 payload_hash{};
  std::copy_n(hit.checkpoint.payload_hash().begin(),
              std::min<size_t>(32, hit.checkpoint.payload_hash().size()), payload_hash.begin());
  if (auto payload = node->blobs().Get(payload_hash); payload.ok()) {
    event = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  }
  if (!event.is_object()) event = epcis::CheckpointToJson(hit.checkpoint);
  if (!event.contains("eventID")) event["eventID"] = hit.checkpoint.event_id();
  event["recordTime"] = FormatRfc3339Utc(hit.record_time_ms);
  return event;
}

std::string EncodeQuery(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

// Whether an event (JSON object or XML element) is a whole document.
bool LooksLikeDocument(std::string_view body, epcis::Binding binding) {
  if (binding == epcis::Binding::kXml) return body.find("EPCISDocument") != std::string_view::npos;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("type") && j["type"].is_string() &&
         j["type"].get<std::string>().starts_with("EPCIS");
}

}  // namespace

HttpResponse Api::PostCapture(const Principal& who, const HttpRequest& request) {
  if (!CanWrite(who.role)) return WriteForbidden(who.name, who.role);
  auto behaviour = Behaviour(request.capture_error_behaviour);
  if (!behaviour.ok()) return ProblemFromStatus(behaviour.status());
  const epcis::Binding binding = epcis::DetectBinding(request.body, request.content_type);
  epcis::Problem problem;
  const bool proceed = *behaviour == CaptureErrorBehaviour::kProceed;
  auto doc = proceed ? epcis::ParseDocumentUnvalidated(request.body, binding, &problem)
                     : epcis::ParseDocument(request.body, binding, &problem);
  if (!doc.ok()) return ValidationProblem(problem);
  if (doc->events.empty()) {
    return ValidationProblem({"epcisBody.eventList", "document.events",
                              "the document carries no event to capture"});
  }
  std::vector<std::optional<epcis::Problem>> problems(doc->events.size());
  if (proceed) {
    for (size_t i = 0; i < doc->events.size(); ++i) {
      problems[i] = epcis::ValidateEvent(doc->events[i],
                                         "epcisBody.eventList[" + std::to_string(i) + "]");
    }
  }
  auto job = node_->capture().Run(who.org, doc->events, problems, *behaviour);
  if (!job.ok()) return ProblemFromStatus(job.status());
  HttpResponse r = JsonResponse(202, node_->capture().StatusJson(*job));
  r.headers.emplace_back("Location", "/v1/capture/" + job->id);
  return r;
}

HttpResponse Api::GetCapture(const Principal& who, const std::string& id) {
  auto job = node_->capture().Load(id);
  // A job is its organisation's: to anyone else it does not exist.
  if (job.ok() && job->org != who.org) job = NotFound("no capture job '" + id + "'");
  if (!job.ok()) return ProblemFromStatus(job.status());
  return JsonResponse(200, node_->capture().StatusJson(*job));
}

HttpResponse Api::PostEvent(const Principal& who, const HttpRequest& request) {
  if (!CanWrite(who.role)) return WriteForbidden(who.name, who.role);
  const epcis::Binding binding = epcis::DetectBinding(request.body, request.content_type);
  epcis::Problem problem;
  auto event = epcis::ParseEvent(request.body, binding, &problem);
  if (!event.ok()) return ValidationProblem(problem);
  auto job = node_->capture().Run(who.org, {*event}, {}, CaptureErrorBehaviour::kRollback);
  if (!job.ok()) return ProblemFromStatus(job.status());
  const CapturedEvent& captured = job->events[0];
  std::optional<uint64_t> height = captured.height;
  if (!height && captured.tx) {
    auto loc = node_->WaitCommitted(job->tx_ids[*captured.tx],
                                    node_->config().commit_wait_timeout_ms);
    if (loc.ok()) height = loc->height;
  }
  if (!height) {  // accepted, not committed in time: the job tells when it is
    HttpResponse r = JsonResponse(202, node_->capture().StatusJson(*job));
    r.headers.emplace_back("Location", "/v1/capture/" + job->id);
    return r;
  }
  HttpResponse r = JsonResponse(201, {{"eventID", captured.event_id},
                                      {"height", *height},
                                      {"captureID", job->id}});
  if (captured.height) r.headers.emplace_back("Idempotent-Replayed", "true");
  r.headers.emplace_back("Location", "/v1/events/" + PercentEncode(captured.event_id));
  return r;
}

HttpResponse Api::EventsPage(const ParsedEventQuery& q, const std::string& query_name,
                             const std::string& next_base) {
  if (auto behind = WaitForIndexes("the event index")) return *behind;
  auto page = node_->event_index().Query(q.query, q.page_token, q.per_page);
  if (!page.ok()) return ProblemFromStatus(page.status());
  json events = json::array();
  for (const lineage::EventHit& hit : page->hits) events.push_back(EventJson(node_, hit));
  json results{{"queryName", "SimpleEventQuery"}, {"resultsBody", {{"eventList", events}}}};
  if (!query_name.empty()) results["subscriptionID"] = query_name;
  json body{{"@context", {"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}},
            {"type", "EPCISQueryDocument"},
            {"schemaVersion", "2.0"},
            {"creationDate", FormatRfc3339Utc(SystemClock::Get()->NowMs())},
            {"epcisBody", {{"queryResults", results}}}};
  HttpResponse r = JsonResponse(200, body);
  // eventCountLimit caps the answer at one page.
  if (!page->next_page_token.empty() && q.event_count_limit == 0) {
    body["nextPageToken"] = page->next_page_token;
    r.body = body.dump();
    const std::string sep = next_base.find('?') == std::string::npos ? "?" : "&";
    r.headers.emplace_back("Link", "<" + next_base + sep + "nextPageToken=" +
                                       PercentEncode(page->next_page_token) + ">; rel=\"next\"");
  }
  return r;
}

HttpResponse Api::GetEvents(const std::map<std::string, std::string>& query) {
  auto q = EventQueryFromUrl(query);
  if (!q.ok()) return Problem(400, "query-parameter", "Invalid query parameter", q.status().message());
  std::map<std::string, std::string> rest = query;
  rest.erase("nextPageToken");
  return EventsPage(*q, "", rest.empty() ? "/v1/events" : "/v1/events?" + EncodeQuery(rest));
}

HttpResponse Api::GetEvent(const std::string& event_id) {
  ParsedEventQuery q;
  q.query.event_ids = {event_id};
  q.per_page = lineage::kMaxEventsPerPage;
  HttpResponse r = EventsPage(q, "", "/v1/events/" + PercentEncode(event_id));
  if (r.status != 200) return r;
  json body = json::parse(r.body);
  if (body["epcisBody"]["queryResults"]["resultsBody"]["eventList"].empty()) {
    return Problem(404, "not-found", "Not found", "no event '" + event_id + "' in the ledger");
  }
  return r;
}

HttpResponse Api::PostQuery(const HttpRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
      !body.contains("query")) {
    return Problem(400, "invalid-request", "The request is not valid",
                   "expected {\"name\": \"...\", \"query\": {SimpleEventQuery parameters}}");
  }
  auto parsed = EventQueryFromJson(body["query"]);
  if (!parsed.ok()) {
    return Problem(400, "query-parameter", "Invalid query parameter",
                   parsed.status().Annotate("query").message());
  }
  const std::string name = body["name"].get<std::string>();
  Status st = node_->named_queries().Create(name, body["query"]);
  if (!st.ok()) return ProblemFromStatus(st);
  HttpResponse r = JsonResponse(201, {{"name", name}, {"query", body["query"]}});
  r.headers.emplace_back("Location", "/v1/queries/" + PercentEncode(name));
  return r;
}

HttpResponse Api::GetQueryEvents(const std::string& name,
                                 const std::map<std::string, std::string>& query) {
  auto params = node_->named_queries().Get(name);
  if (!params.ok()) return ProblemFromStatus(params.status());
  for (const auto& [k, v] : query) {
    if (k != "perPage" && k != "nextPageToken") {
      return Problem(400, "query-parameter", "Invalid query parameter",
                     k + ": a named query takes only perPage and nextPageToken");
    }
    (*params)[k] = v;
  }
  auto q = EventQueryFromJson(*params);
  if (!q.ok()) return ProblemFromStatus(q.status());
  std::map<std::string, std::string> rest = query;
  rest.erase("nextPageToken");
  std::string base = "/v1/queries/" + PercentEncode(name) + "/events";
  if (!rest.empty()) base += "?" + EncodeQuery(rest);
  return EventsPage(*q, name, base);
}

HttpResponse Api::PostVerify(const HttpRequest& request) {
  const epcis::Binding binding = epcis::DetectBinding(request.body, request.content_type);
  epcis::Problem problem;
  std::vector<epcis::Event> events;
  if (LooksLikeDocument(request.body, binding)) {
    auto doc = epcis::ParseDocument(request.body, binding, &problem);
    if (!doc.ok()) return ValidationProblem(problem);
    events = std::move(doc->events);
  } else {
    auto event = epcis::ParseEvent(request.body, binding, &problem);
    if (!event.ok()) return ValidationProblem(problem);
    events.push_back(std::move(event).value());
  }
  const ledger::Ledger& ledger = node_->ledger();
  json results = json::array();
  bool all = true;
  for (size_t i = 0; i < events.size(); ++i) {
    auto cp = epcis::EventToCheckpoint(events[i]);
    if (!cp.ok()) return ProblemFromStatus(cp.status());
    json r{{"index", i}, {"eventID", cp->event_id()}, {"anchored", false}};
    json anchors = json::array();
    auto locations = ledger.FindEvent(cp->event_id());
    if (!locations.ok() && locations.status().code() != Code::kNotFound) {
      return ProblemFromStatus(locations.status());
    }
    bool proved = false;
    for (const ledger::CheckpointLocation& loc : locations.ok() ? *locations
                                                                : std::vector<ledger::CheckpointLocation>{}) {
      auto block = ledger.ReadBlock(loc.height);
      if (!block.ok()) return ProblemFromStatus(block.status());
      const ledger::ParsedTx& tx = block->txs.at(loc.tx_position);
      v1::Checkpoint stored;
      stored.ParseFromString(tx.tx.checkpoints(static_cast<int>(loc.checkpoint_index)));
      json a{{"height", loc.height},
             {"txId", HashHex(tx.id)},
             {"org", tx.header.org()},
             {"anchoredAt", FormatRfc3339Utc(block->header.time_ms())},
             {"payloadMatches", stored.payload_hash() == cp->payload_hash()}};
      if (stored.has_error_declaration()) {
        a["errorDeclaration"] = epcis::CheckpointToJson(stored)["errorDeclaration"];
        r["withdrawn"] = true;
      } else if (!proved) {
        // A block at the head of a Raft ledger is final before its certificate (or that of a
        // descendant) arrives; the proof follows with the next block.
        auto proof = ledger::ProveCheckpoint(ledger, loc);
        if (proof.ok()) {
          r["proof"] = ProofResponse(*proof, node_->genesis());
        } else if (proof.status().code() == Code::kUnavailable) {
          r["proofPending"] = proof.status().message();
        } else {
          return ProblemFromStatus(proof.status());
        }
        proved = true;
      }
      anchors.push_back(std::move(a));
    }
    r["anchored"] = proved;
    r["anchors"] = anchors;
    all = all && proved;
    results.push_back(std::move(r));
  }
  return JsonResponse(200, {{"allAnchored", all}, {"events", results}});
}

}  // namespace tracery::node

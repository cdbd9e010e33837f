// The webhook and event-log part of the HTTP API: subscriptions (POST, GET, DELETE
// /v1/webhooks) and the replay of a topic (GET /v1/eventlog/{topic}). docs/api/openapi.yaml
// describes each. The event log holds this node's own operational events, so only principals
// of the node's organisation see it; a carrier sees none of it (data minimisation).
#include <charconv>
#include <nlohmann/json.hpp>

#include "api.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"

namespace tracery::node {
namespace {

using nlohmann::json;

// A subscription request is small; anything bigger is refused before parsing.
constexpr size_t kMaxWebhookRequestBytes = 16 << 10;
// Messages per replay page when the request names no limit.
constexpr size_t kDefaultEventLogPage = 100;

json SubscriptionJson(const scm_core::WebhookSubscription& s) {
  return json{{"id", s.id},
              {"url", s.url},
              {"topic", s.topic},
              {"eventTypes", s.event_types},
              {"org", s.org},
              {"createdBy", s.created_by},
              {"createdAt", FormatRfc3339Utc(s.created_ms)}};
}

Result<uint64_t> UintParam(const std::map<std::string, std::string>& q, const std::string& name,
                           uint64_t fallback, uint64_t min, uint64_t max) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (it->second.empty() || ec != std::errc() || end != it->second.data() + it->second.size() ||
      v < min || v > max) {
    return InvalidArgument(name + ": an integer from " + std::to_string(min) + " to " +
                           std::to_string(max));
  }
  return v;
}

Result<scm_core::NewWebhook> ParseNewWebhook(const std::string& body) {
  if (body.size() > kMaxWebhookRequestBytes) {
    return InvalidArgument("the body is larger than " + std::to_string(kMaxWebhookRequestBytes) +
                           " bytes");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "url" && key != "topic" && key != "eventTypes") {
      return InvalidArgument(key + ": not a field of a webhook subscription (url, topic, "
                                   "eventTypes)");
    }
  }
  scm_core::NewWebhook w;
  if (!j.contains("url") || !j["url"].is_string()) return InvalidArgument("url: a string is required");
  if (!j.contains("topic") || !j["topic"].is_string()) {
    return InvalidArgument("topic: a string is required");
  }
  w.url = j["url"].get<std::string>();
  w.topic = j["topic"].get<std::string>();
  if (j.contains("eventTypes")) {
    if (!j["eventTypes"].is_array()) return InvalidArgument("eventTypes: an array of strings");
    if (j["eventTypes"].size() > scm_core::kMaxWebhookEventTypes) {
      return InvalidArgument("eventTypes: at most " +
                             std::to_string(scm_core::kMaxWebhookEventTypes));
    }
    for (const json& t : j["eventTypes"]) {
      if (!t.is_string()) return InvalidArgument("eventTypes: an array of strings");
      w.event_types.push_back(t.get<std::string>());
    }
  }
  return w;
}

}  // namespace

std::optional<HttpResponse> Api::EventLogForbidden(const Principal& who, bool write) const {
  if (who.org != node_->org()) {
    return Problem(403, "forbidden", "Forbidden",
                   "the event log of this node belongs to organisation '" + node_->org() +
                       "'; principal '" + who.name + "' is of '" + who.org + "'");
  }
  if (who.role == Role::kCarrier) {
    return Problem(403, "forbidden", "Forbidden", "a carrier may not read the event log");
  }
  if (write && !CanWrite(who.role)) {
    return Problem(403, "forbidden", "Forbidden",
                   "principal '" + who.name + "' has role '" + RoleName(who.role) +
                       "', which may not manage webhooks (admin or partner may)");
  }
  return std::nullopt;
}

HttpResponse Api::PostWebhook(const Principal& who, const HttpRequest& request) {
  if (auto denied = EventLogForbidden(who, /*write=*/true)) return *denied;
  auto parsed = ParseNewWebhook(request.body);
  if (!parsed.ok()) return ProblemFromStatus(parsed.status());
  parsed->org = who.org;
  parsed->created_by = who.name;
  auto created = node_->event_log().webhooks->Create(*parsed);
  if (!created.ok()) return ProblemFromStatus(created.status());
  node_->event_log().sender->Wake();
  json body = SubscriptionJson(*created);
  body["secret"] = created->secret;  // the only time it is shown
  HttpResponse r = JsonResponse(201, body);
  r.headers.emplace_back("Location", "/v1/webhooks/" + PercentEncode(created->id));
  return r;
}

HttpResponse Api::GetWebhooks(const Principal& who) {
  if (auto denied = EventLogForbidden(who, /*write=*/false)) return *denied;
  auto subs = node_->event_log().webhooks->ListForOrg(who.org);
  if (!subs.ok()) return ProblemFromStatus(subs.status());
  json list = json::array();
  for (const scm_core::WebhookSubscription& s : *subs) list.push_back(SubscriptionJson(s));
  return JsonResponse(200, {{"webhooks", list}});
}

HttpResponse Api::DeleteWebhook(const Principal& who, const std::string& id) {
  if (auto denied = EventLogForbidden(who, /*write=*/true)) return *denied;
  Status st = node_->event_log().DeleteWebhook(who.org, id);
  if (!st.ok()) return ProblemFromStatus(st);
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse Api::GetEventLog(const Principal& who, const std::string& topic,
                              const std::map<std::string, std::string>& query) {
  if (auto denied = EventLogForbidden(who, /*write=*/false)) return *denied;
  for (const auto& [name, value] : query) {
    if (name != "from" && name != "limit") {
      return ProblemFromStatus(InvalidArgument(name + ": not a parameter of this resource"));
    }
  }
  auto from = UintParam(query, "from", 1, 1, UINT64_MAX);
  if (!from.ok()) return ProblemFromStatus(from.status());
  auto limit =
      UintParam(query, "limit", kDefaultEventLogPage, 1, scm_core::kMaxReadPageEvents);
  if (!limit.ok()) return ProblemFromStatus(limit.status());
  auto page = node_->event_log().log->Read(topic, *from, static_cast<size_t>(*limit));
  if (!page.ok()) return ProblemFromStatus(page.status());
  json events = json::array();
  for (const scm_core::Event& e : page->events) {
    events.push_back({{"id", e.id},
                      {"offset", e.offset},
                      {"type", e.type},
                      {"time", FormatRfc3339Utc(e.time_ms)},
                      {"correlationId", e.correlation_id},
                      {"data", json::parse(e.payload_json, nullptr, false)}});
  }
  HttpResponse r = JsonResponse(200, {{"topic", topic},
                                      {"head", page->head},
                                      {"nextOffset", page->next_offset},
                                      {"events", events}});
  if (page->next_offset <= page->head) {
    r.headers.emplace_back("Link", "</v1/eventlog/" + PercentEncode(topic) +
                                       "?from=" + std::to_string(page->next_offset) +
                                       "&limit=" + std::to_string(*limit) + ">; rel=\"next\"");
  }
  return r;
}

}  // namespace tracery::node

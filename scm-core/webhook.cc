#include "tracery/scm_core/webhook.h"

#include <cryptopp/hmac.h>
#include <cryptopp/misc.h>
#include <cryptopp/sha.h>
#include <leveldb/db.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"

namespace tracery::scm_core {
namespace {

using nlohmann::json;

// Keys: "w" id → the subscription as JSON (docs/formats/event-log.md).
constexpr char kWebhookPrefix = 'w';
constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kIdPrefix = "wh_";

std::string WebhookKey(const std::string& id) { return std::string(1, kWebhookPrefix) + id; }

json ToJson(const WebhookSubscription& s) {
  return json{{"id", s.id},
              {"org", s.org},
              {"createdBy", s.created_by},
              {"url", s.url},
              {"topic", s.topic},
              {"eventTypes", s.event_types},
              {"secret", s.secret},
              {"createdMs", s.created_ms}};
}

Result<WebhookSubscription> FromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corruption("webhook store: a subscription does not parse");
  try {
    WebhookSubscription s;
    s.id = j.at("id").get<std::string>();
    s.org = j.at("org").get<std::string>();
    s.created_by = j.at("createdBy").get<std::string>();
    s.url = j.at("url").get<std::string>();
    s.topic = j.at("topic").get<std::string>();
    s.event_types = j.at("eventTypes").get<std::vector<std::string>>();
    s.secret = j.at("secret").get<std::string>();
    s.created_ms = j.at("createdMs").get<int64_t>();
    return s;
  } catch (const json::exception& e) {
    return Corruption(std::string("webhook store: a subscription is malformed: ") + e.what());
  }
}

bool IsUrlByte(char c) { return c > 0x20 && c < 0x7f; }

Result<std::string> HmacKey(std::string_view secret) {
  if (secret.starts_with(kSecretPrefix)) secret.remove_prefix(kSecretPrefix.size());
  auto key = Base64Decode(secret);
  if (!key.ok() || key->empty()) {
    return InvalidArgument("webhook secret: expected whsec_ followed by base64");
  }
  return key;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  CryptoPP::HMAC<CryptoPP::SHA256> mac(reinterpret_cast<const CryptoPP::byte*>(key.data()),
                                       key.size());
  mac.Update(reinterpret_cast<const CryptoPP::byte*>(message.data()), message.size());
  std::string digest(CryptoPP::SHA256::DIGESTSIZE, '\0');
  mac.Final(reinterpret_cast<CryptoPP::byte*>(digest.data()));
  return digest;
}

std::string SignedContent(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string out;
  out.reserve(id.size() + timestamp.size() + body.size() + 2);
  out.append(id).append(".").append(timestamp).append(".").append(body);
  return out;
}

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.size() > kMaxWebhookUrlBytes) {
    return InvalidArgument("url: at most " + std::to_string(kMaxWebhookUrlBytes) + " bytes");
  }
  std::string lower(url.substr(0, 8));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("https://")) {
    return InvalidArgument("url: https is not supported yet (it comes with TLS); use http://");
  }
  if (!lower.starts_with("http://")) return InvalidArgument("url: must start with http://");
  for (char c : url) {
    if (!IsUrlByte(c)) return InvalidArgument("url: no spaces, control or non-ASCII characters");
  }
  if (url.find('#') != std::string_view::npos) return InvalidArgument("url: no fragment (#)");
  std::string_view rest = url.substr(7);
  const size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  WebhookUrl out;
  out.target = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (out.target[0] == '?') out.target = "/" + out.target;
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("url: user information (user@host) is not allowed");
  }
  std::string_view host = authority;
  std::string_view port = "80";
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("url: unclosed IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("url: bad text after the IPv6 address");
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return InvalidArgument("url: no host");
  for (char c : host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                    (c == ':' && authority.starts_with("["));
    if (!ok) return InvalidArgument("url: the host may hold only letters, digits, '.' and '-'");
  }
  unsigned port_number = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || port_number == 0 ||
      port_number > 65535) {
    return InvalidArgument("url: the port must be a number from 1 to 65535");
  }
  out.host = std::string(host);
  out.port = std::to_string(port_number);
  return out;
}

bool WebhookSubscription::Wants(const Event& event) const {
  if (event.topic != topic) return false;
  if (event_types.empty()) return true;
  return std::find(event_types.begin(), event_types.end(), event.type) != event_types.end();
}

WebhookStore::WebhookStore(std::unique_ptr<leveldb::DB> db, Clock* clock,
                           RandomBytesFn random_bytes)
    : db_(std::move(db)), clock_(clock), random_bytes_(std::move(random_bytes)) {}
WebhookStore::~WebhookStore() = default;

Result<std::unique_ptr<WebhookStore>> WebhookStore::Open(const std::string& dir, Clock* clock,
                                                         RandomBytesFn random_bytes) {
  TRACERY_CHECK(clock != nullptr);
  if (!random_bytes) random_bytes = [](size_t n) { return RandomBytes(n); };
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "webhook store"));
  return std::unique_ptr<WebhookStore>(
      new WebhookStore(std::move(db), clock, std::move(random_bytes)));
}

Result<WebhookSubscription> WebhookStore::Create(const NewWebhook& request) {
  if (request.org.empty() || request.org.size() > kMaxWebhookPrincipalBytes) {
    return InvalidArgument("org: 1 to " + std::to_string(kMaxWebhookPrincipalBytes) + " bytes");
  }
  if (request.created_by.empty() || request.created_by.size() > kMaxWebhookPrincipalBytes) {
    return InvalidArgument("createdBy: 1 to " + std::to_string(kMaxWebhookPrincipalBytes) +
                           " bytes");
  }
  RETURN_IF_ERROR(ParseWebhookUrl(request.url).status());
  RETURN_IF_ERROR(EventLog::CheckTopic(request.topic, /*allow_dead_letter=*/false));
  if (request.event_types.size() > kMaxWebhookEventTypes) {
    return InvalidArgument("eventTypes: at most " + std::to_string(kMaxWebhookEventTypes));
  }
  std::set<std::string> seen;
  for (const std::string& type : request.event_types) {
    RETURN_IF_ERROR(EventLog::CheckEventType(type).Annotate("eventTypes"));
    if (!seen.insert(type).second) {
      return InvalidArgument("eventTypes: '" + type + "' is listed twice");
    }
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::vector<WebhookSubscription> all, List());
  if (all.size() >= kMaxWebhooks) {
    return ResourceExhausted("at most " + std::to_string(kMaxWebhooks) +
                             " webhook subscriptions per node");
  }
  WebhookSubscription s;
  s.id = std::string(kIdPrefix) + HexEncode(random_bytes_(8));
  s.org = request.org;
  s.created_by = request.created_by;
  s.url = request.url;
  s.topic = request.topic;
  s.event_types = request.event_types;
  s.secret = NewWebhookSecret(random_bytes_(kWebhookSecretBytes));
  s.created_ms = clock_->NowMs();
  for (const WebhookSubscription& other : all) {
    if (other.id == s.id) return Internal("webhook id collision; try again");
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Put(wo, WebhookKey(s.id), ToJson(s).dump()),
                              "write webhook subscription"));
  version_.fetch_add(1);
  return s;
}

Result<std::vector<WebhookSubscription>> WebhookStore::List() const {
  std::vector<WebhookSubscription> out;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  const std::string prefix(1, kWebhookPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ASSIGN_OR_RETURN(WebhookSubscription s,
                     FromJson(std::string_view(it->value().data(), it->value().size())));
    out.push_back(std::move(s));
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read webhook subscriptions"));
  return out;
}

Result<std::vector<WebhookSubscription>> WebhookStore::ListForOrg(const std::string& org) const {
  ASSIGN_OR_RETURN(std::vector<WebhookSubscription> all, List());
  std::vector<WebhookSubscription> out;
  for (WebhookSubscription& s : all) {
    if (s.org == org) out.push_back(std::move(s));
  }
  return out;
}

Result<WebhookSubscription> WebhookStore::Get(const std::string& org, const std::string& id) const {
  std::string value;
  leveldb::Status st = db_->Get(CheckedRead(), WebhookKey(id), &value);
  if (st.IsNotFound()) return NotFound("no webhook subscription '" + id + "'");
  RETURN_IF_ERROR(FromLevelDb(st, "read webhook subscription"));
  ASSIGN_OR_RETURN(WebhookSubscription s, FromJson(value));
  // Another organisation's subscription does not exist for the caller.
  if (s.org != org) return NotFound("no webhook subscription '" + id + "'");
  return s;
}

Status WebhookStore::Delete(const std::string& org, const std::string& id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Get(org, id).status());
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Delete(wo, WebhookKey(id)), "delete webhook subscription"));
  version_.fetch_add(1);
  return Status::Ok();
}

std::string NewWebhookSecret(std::string_view random_bytes) {
  return std::string(kSecretPrefix) + Base64Encode(random_bytes);
}

Result<std::string> SignWebhook(std::string_view secret, std::string_view webhook_id,
                                int64_t timestamp_s, std::string_view body) {
  ASSIGN_OR_RETURN(std::string key, HmacKey(secret));
  const std::string content = SignedContent(webhook_id, std::to_string(timestamp_s), body);
  return "v1," + Base64Encode(HmacSha256(key, content));
}

Status VerifyWebhook(std::string_view secret, std::string_view webhook_id,
                     std::string_view timestamp, std::string_view body,
                     std::string_view signature_header, int64_t now_s, int64_t tolerance_s) {
  ASSIGN_OR_RETURN(std::string key, HmacKey(secret));
  int64_t ts = 0;
  auto [ptr, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (timestamp.empty() || ec != std::errc() || ptr != timestamp.data() + timestamp.size()) {
    return InvalidArgument("webhook-timestamp: not an integer");
  }
  if (ts < now_s - tolerance_s || ts > now_s + tolerance_s) {
    return PermissionDenied("webhook-timestamp: outside the tolerance of " +
                            std::to_string(tolerance_s) + " s");
  }
  const std::string expected = HmacSha256(key, SignedContent(webhook_id, timestamp, body));
  size_t start = 0;
  while (start < signature_header.size()) {
    size_t end = signature_header.find(' ', start);
    if (end == std::string_view::npos) end = signature_header.size();
    std::string_view one = signature_header.substr(start, end - start);
    start = end + 1;
    if (!one.starts_with("v1,")) continue;
    auto mac = Base64Decode(one.substr(3));
    if (mac.ok() && mac->size() == expected.size() &&
        CryptoPP::VerifyBufsEqual(reinterpret_cast<const CryptoPP::byte*>(mac->data()),
                                  reinterpret_cast<const CryptoPP::byte*>(expected.data()),
                                  expected.size())) {
      return Status::Ok();
    }
  }
  return PermissionDenied("webhook-signature: no v1 signature matches");
}

std::string WebhookBody(const Event& event) {
  std::string out = "{\"id\":" + json(event.id).dump() + ",\"type\":" + json(event.type).dump() +
                    ",\"timestamp\":" + json(FormatRfc3339Utc(event.time_ms)).dump() +
                    ",\"topic\":" + json(event.topic).dump() +
                    ",\"offset\":" + std::to_string(event.offset) +
                    ",\"correlationId\":" + json(event.correlation_id).dump() + ",\"data\":";
  out += event.payload_json;  // validated JSON, kept as its exact bytes
  out += '}';
  return out;
}

Result<WebhookRequest> BuildWebhookRequest(const WebhookSubscription& subscription,
                                           const Event& event, int64_t now_ms) {
  ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl(subscription.url));
  WebhookRequest r;
  r.target = url.target;
  r.body = WebhookBody(event);
  const int64_t timestamp_s = now_ms / 1000;
  ASSIGN_OR_RETURN(std::string signature,
                   SignWebhook(subscription.secret, event.id, timestamp_s, r.body));
  r.headers = {{"webhook-id", event.id},
               {"webhook-timestamp", std::to_string(timestamp_s)},
               {"webhook-signature", signature}};
  return r;
}

Status CheckRetryPolicy(const RetryPolicy& p) {
  if (p.initial_backoff_ms < 1) return InvalidArgument("retry: initial backoff at least 1 ms");
  if (p.max_backoff_ms < p.initial_backoff_ms || p.max_backoff_ms > 24 * 3600 * 1000LL) {
    return InvalidArgument("retry: max backoff from the initial backoff to one day");
  }
  if (p.max_attempts < 1 || p.max_attempts > 100) {
    return InvalidArgument("retry: max attempts from 1 to 100");
  }
  if (p.jitter_percent > 100) return InvalidArgument("retry: jitter from 0 to 100 percent");
  return Status::Ok();
}

int64_t RetryDelayMs(const RetryPolicy& p, uint32_t failed_attempts, uint64_t random) {
  TRACERY_CHECK(failed_attempts >= 1);
  int64_t delay = p.initial_backoff_ms;
  for (uint32_t i = 1; i < failed_attempts && delay < p.max_backoff_ms; ++i) delay *= 2;
  delay = std::min(delay, p.max_backoff_ms);
  // factor in [100 - j, 100 + j] percent, uniform over the 2j + 1 whole percents; the
  // arithmetic stays in range: delay <= one day in ms, factor <= 200.
  const uint64_t span = 2 * uint64_t{p.jitter_percent} + 1;
  const int64_t percent = 100 - static_cast<int64_t>(p.jitter_percent) +
                          static_cast<int64_t>(random % span);
  return delay * percent / 100;
}

DeliveryAction RecordAttempt(const RetryPolicy& policy, DeliveryState* state,
                             const std::string& error, int64_t now_ms, uint64_t random) {
  ++state->attempts;
  if (error.empty()) return DeliveryAction::kCommit;
  state->last_error = error;
  if (state->attempts >= policy.max_attempts) return DeliveryAction::kDeadLetter;
  state->next_attempt_ms = now_ms + RetryDelayMs(policy, state->attempts, random);
  return DeliveryAction::kRetry;
}

bool IsAcknowledged(int http_status) { return http_status >= 200 && http_status <= 299; }

std::string DescribeHttpFailure(int http_status, std::string_view body) {
  constexpr size_t kBodyShown = 200;
  std::string out = "HTTP " + std::to_string(http_status);
  if (!body.empty()) {
    out += ": ";
    for (char c : body.substr(0, kBodyShown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (body.size() > kBodyShown) out += "...";
  }
  return out;
}

}  // namespace tracery::scm_core

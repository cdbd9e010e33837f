// Webhooks over the event log: subscriptions (persisted), Standard Webhooks signatures
// (https://www.standardwebhooks.com: webhook-id, webhook-timestamp, webhook-signature
// "v1,<base64 HMAC-SHA256>"), the delivery body, and the retry schedule (exponential backoff
// with jitter drawn from a caller's RNG, then the dead-letter topic). Pure logic and storage:
// node/webhook_sender.h does the HTTP. Formats: docs/formats/event-log.md.
//
// Delivery is at least once: a subscription is a consumer of its topic in the event log whose
// offset is committed only after the receiver answered 2xx, so a message not acknowledged
// before a restart is sent again after it, with the same webhook-id.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/core/time.h"
#include "tracery/scm_core/event_log.h"

namespace leveldb {
class DB;
}

namespace tracery::scm_core {

// Named limits.
constexpr size_t kMaxWebhookUrlBytes = 2048;
constexpr size_t kMaxWebhookEventTypes = 32;
constexpr size_t kMaxWebhooks = 256;  // subscriptions per node, all organisations together
constexpr size_t kMaxWebhookPrincipalBytes = 128;
constexpr size_t kWebhookSecretBytes = 32;  // HMAC key bytes behind "whsec_"

// A webhook URL split for the HTTP client. Only http:// for now: https comes with TLS.
struct WebhookUrl {
  std::string host;
  std::string port;    // "80" when the URL names none
  std::string target;  // path and query, "/" when empty
  std::string Origin() const { return "http://" + host + ":" + port; }
};
// "http://host[:port][/path][?query]"; refuses other schemes, user info, fragments, spaces
// and control characters.
Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

struct WebhookSubscription {
  std::string id;  // "wh_" + 16 hex digits
  std::string org;
  std::string created_by;  // the principal
  std::string url;
  std::string topic;                     // the event log topic it consumes
  std::vector<std::string> event_types;  // empty: every type
  std::string secret;                    // "whsec_" + base64 of kWebhookSecretBytes bytes
  int64_t created_ms = 0;

  bool Wants(const Event& event) const;
  // Its consumer name in the event log.
  std::string Consumer() const { return "webhook:" + id; }
};

struct NewWebhook {
  std::string org;
  std::string created_by;
  std::string url;
  std::string topic;
  std::vector<std::string> event_types;
};

// Subscriptions in LevelDB (synced writes). Thread-safe.
class WebhookStore {
 public:
  using RandomBytesFn = std::function<std::string(size_t)>;
  // `random_bytes` makes ids and secrets (the OS random source when not given); `clock` the
  // creation time. Both must outlive the store.
  static Result<std::unique_ptr<WebhookStore>> Open(const std::string& dir, Clock* clock,
                                                    RandomBytesFn random_bytes = nullptr);
  ~WebhookStore();

  // Validates and stores a subscription with a new id and secret; the secret is returned
  // here and never again by the API.
  Result<WebhookSubscription> Create(const NewWebhook& request);
  // Every subscription, in id order, with secrets (for the sender).
  Result<std::vector<WebhookSubscription>> List() const;
  Result<std::vector<WebhookSubscription>> ListForOrg(const std::string& org) const;
  // NotFound unless subscription `id` exists and belongs to `org`.
  Result<WebhookSubscription> Get(const std::string& org, const std::string& id) const;
  Status Delete(const std::string& org, const std::string& id);
  // Goes up by one at every change, so that the sender knows when to list again.
  uint64_t version() const { return version_.load(); }

 private:
  WebhookStore(std::unique_ptr<leveldb::DB> db, Clock* clock, RandomBytesFn random_bytes);
  const std::unique_ptr<leveldb::DB> db_;
  Clock* const clock_;
  const RandomBytesFn random_bytes_;
  std::mutex mu_;  // serialises Create and Delete (the count limit)
  std::atomic<uint64_t> version_{1};
};

// Standard Webhooks signing. `secret`: "whsec_<base64>" (or the bare base64); the HMAC key is
// the decoded bytes. Returns "v1,<base64 of HMAC-SHA256(key, id "." timestamp "." body)>".
Result<std::string> SignWebhook(std::string_view secret, std::string_view webhook_id,
                                int64_t timestamp_s, std::string_view body);
// What a receiver does: checks that one of the space-separated "v1,..." signatures of the
// header matches and that the timestamp is within `tolerance_s` of `now_s`.
Status VerifyWebhook(std::string_view secret, std::string_view webhook_id,
                     std::string_view timestamp, std::string_view body,
                     std::string_view signature_header, int64_t now_s, int64_t tolerance_s = 300);
// A new secret from `random_bytes` bytes.
std::string NewWebhookSecret(std::string_view random_bytes);

// The body of a delivery: a function of the message only, so every attempt and every
// redelivery sends the same bytes:
// {"id":...,"type":...,"timestamp":<RFC 3339 of the append>,"topic":...,"offset":...,
//  "correlationId":...,"data":<the payload, as stored>}
std::string WebhookBody(const Event& event);

struct WebhookRequest {
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // webhook-id, -timestamp, -signature
};
// The request of one attempt at `now_ms` (the timestamp and signature change per attempt; the
// id and body do not).
Result<WebhookRequest> BuildWebhookRequest(const WebhookSubscription& subscription,
                                           const Event& event, int64_t now_ms);

// Retries: the delay after the n-th failed attempt is min(initial · 2^(n-1), max), scaled by a
// factor drawn uniformly from [1 − jitter, 1 + jitter]; after max_attempts failed attempts the
// message goes to the dead-letter topic with the last error.
struct RetryPolicy {
  int64_t initial_backoff_ms = 1000;
  int64_t max_backoff_ms = 10 * 60 * 1000;
  uint32_t max_attempts = 12;
  uint32_t jitter_percent = 20;
};
Status CheckRetryPolicy(const RetryPolicy& policy);
// `random`: a uniformly distributed 64-bit draw of the caller's RNG.
// REQUIRES: failed_attempts >= 1; a valid policy.
int64_t RetryDelayMs(const RetryPolicy& policy, uint32_t failed_attempts, uint64_t random);

// One subscription's message in flight.
struct DeliveryState {
  uint64_t offset = 0;  // the message being delivered (0: none)
  uint32_t attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;
};
enum class DeliveryAction {
  kCommit,      // acknowledged: commit the offset, go on with the next message
  kRetry,       // try again at state.next_attempt_ms
  kDeadLetter,  // give up: dead-letter the message with state.last_error
};
// Records the outcome of an attempt at `state->offset`: `error` empty means a 2xx answer.
DeliveryAction RecordAttempt(const RetryPolicy& policy, DeliveryState* state,
                             const std::string& error, int64_t now_ms, uint64_t random);
// Whether an HTTP status acknowledges a delivery (2xx), and the error to record otherwise:
// "HTTP 500: <start of the body>".
bool IsAcknowledged(int http_status);
std::string DescribeHttpFailure(int http_status, std::string_view body);

}  // namespace tracery::scm_core

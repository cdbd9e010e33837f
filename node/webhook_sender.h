// Webhook deliveries: one worker thread that consumes the event log for every subscription
// and POSTs each wanted message to the subscription's URL, signed the Standard Webhooks way:
// HTTP/1.1 with Boost.Beast, http:// only until the TLS issue, one connection per attempt and
// one deadline over resolve, connect, send and receive (node/client's HttpClient bounds only
// send and receive and reads answers up to 1 GiB, so it is not used here).
//
// At least once: a subscription is the consumer "webhook:<id>" of its topic, and its offset is
// committed only after a 2xx answer. A failed attempt (transport error, timeout, non-2xx) is
// retried on the schedule of scm_core::RetryPolicy; after max_attempts the message goes to the
// topic's dead-letter topic with the last error, and the subscription goes on. A message not
// acknowledged before a stop or a crash is sent again after the restart, with the same
// webhook-id (the attempt count starts again from zero: it is not persisted).
//
// One thread serves every subscription, one message per subscription per round, so a
// receiver that hangs delays the others by up to request_timeout_ms per attempt.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "tracery/core/time.h"
#include "tracery/scm_core/event_log.h"
#include "tracery/scm_core/webhook.h"

namespace tracery::node {

struct WebhookSenderOptions {
  scm_core::RetryPolicy retry;
  // The deadline of one attempt: resolve, connect, send and the whole answer.
  int64_t request_timeout_ms = 10000;
  // How long the worker sleeps without a wake-up before it looks again (new subscriptions are
  // also seen through the store's version; new messages wake it through the log's listener).
  int64_t poll_ms = 1000;
  // The jitter RNG's seed; 0: one from the OS random source.
  uint64_t rng_seed = 0;
  Clock* clock = nullptr;  // stamps webhook-timestamp and schedules retries; SystemClock if null
};

struct WebhookSenderStats {
  uint64_t delivered = 0;        // acknowledged with 2xx
  uint64_t failed_attempts = 0;  // attempts that will be retried
  uint64_t dead_lettered = 0;
  uint64_t skipped = 0;  // messages of the topic that the subscription's filter does not want
};

// Thread-safe: Start, Stop, Wake and stats may be called from any thread.
class WebhookSender {
 public:
  // `log` and `store` must outlive the sender.
  WebhookSender(scm_core::EventLog* log, scm_core::WebhookStore* store,
                WebhookSenderOptions options = {});
  ~WebhookSender();  // Stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Starts the worker (once; a stopped sender does not start again).
  void Start();
  // Stops the worker and joins it; a request in flight is abandoned within ~50 ms and counts
  // as no attempt (the message is sent again later). Idempotent.
  void Stop();
  // Makes the worker look at the log and the subscriptions now.
  void Wake();
  WebhookSenderStats stats() const;

 private:
  struct Target;
  void Run();
  // One step for one subscription: deliver (or skip, or dead-letter) its next message.
  // Returns whether anything moved. `rng` draws the retry jitter.
  bool Step(Target* target, std::mt19937_64* rng);
  bool Stopping();

  scm_core::EventLog* const log_;
  scm_core::WebhookStore* const store_;
  const WebhookSenderOptions options_;
  Clock* const clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  uint64_t listener_ = 0;  // guarded by mu_
  std::thread worker_;

  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> skipped_{0};
};

// What the node owns for the event log and webhooks: the log in <data>/eventlog, the
// subscriptions in <data>/webhooks, and the sender (not started).
struct EventLogService {
  std::unique_ptr<scm_core::EventLog> log;
  std::unique_ptr<scm_core::WebhookStore> webhooks;
  std::unique_ptr<WebhookSender> sender;  // destroyed first: it uses the two above

  static Result<std::unique_ptr<EventLogService>> Open(const std::string& data_dir,
                                                       WebhookSenderOptions options = {});
  ~EventLogService();
  // Deletes subscription `id` of `org`, then its consumer offset.
  Status DeleteWebhook(const std::string& org, const std::string& id);
};

}  // namespace tracery::node

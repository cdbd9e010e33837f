#include "webhook_sender.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <map>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"

namespace tracery::node {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Messages read from the log at once while skipping those a subscription does not want.
constexpr size_t kScanPageEvents = 100;
// What is read of a receiver's answer: its status matters, its body only for the error text.
constexpr size_t kMaxResponseBodyBytes = 64 << 10;
constexpr uint32_t kMaxResponseHeaderBytes = 16 << 10;
// How often a request in flight looks whether the sender is stopping.
constexpr int64_t kStopCheckMs = 50;

struct PostAnswer {
  int status = 0;
  std::string body;
};

// One POST on a new connection, with one deadline over resolve, connect, write and read (the
// node/client HttpClient bounds only send and receive, and reads bodies up to 1 GiB). Fails
// with Unavailable saying which stage failed; gives up early when `stopping()` turns true.
Result<PostAnswer> PostOnce(const scm_core::WebhookUrl& url, const scm_core::WebhookRequest& request,
                            int64_t timeout_ms, const std::function<bool()>& stopping) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::string_body> req{http::verb::post, request.target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, "tracery-webhooks");
  req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.keep_alive(false);
  req.body() = request.body;
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBodyBytes);
  parser.header_limit(kMaxResponseHeaderBytes);

  const std::string where = url.host + ":" + url.port;
  std::string stage = "resolving " + url.host;
  beast::error_code failure;
  bool done = false;
  auto fail = [&](const beast::error_code& ec) {
    failure = ec;
    done = true;
  };
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec,
                                                 tcp::resolver::results_type results) {
    if (ec) return fail(ec);
    stage = "connecting to " + where;
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail(ec);
      stage = "sending to " + where;
      http::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec) return fail(ec);
        stage = "waiting for the answer of " + where;
        http::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
          if (ec && ec != http::error::body_limit) return fail(ec);
          done = true;
        });
      });
    });
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string abandoned;
  while (!done) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      abandoned = "timed out after " + std::to_string(timeout_ms) + " ms " + stage;
    } else if (stopping()) {
      abandoned = "the sender stopped while " + stage;
    }
    if (!abandoned.empty()) {
      resolver.cancel();
      beast::error_code ignored;
      stream.socket().close(ignored);
      io.run();  // lets the cancelled handlers finish
      return Unavailable(abandoned);
    }
    io.run_one_for(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                            std::chrono::milliseconds(kStopCheckMs)));
  }
  if (failure) return Unavailable(stage + " failed: " + failure.message());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  PostAnswer answer;
  answer.status = static_cast<int>(parser.get().result_int());
  answer.body = std::move(parser.get().body());
  return answer;
}

}  // namespace

struct WebhookSender::Target {
  scm_core::WebhookSubscription sub;
  scm_core::DeliveryState state;  // the message in flight (offset 0: none)
  int64_t next_attempt_ms = 0;
};

WebhookSender::WebhookSender(scm_core::EventLog* log, scm_core::WebhookStore* store,
                             WebhookSenderOptions options)
    : log_(log),
      store_(store),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock::Get()) {
  TRACERY_CHECK(log_ != nullptr);
  TRACERY_CHECK(store_ != nullptr);
  TRACERY_CHECK(scm_core::CheckRetryPolicy(options_.retry).ok());
  TRACERY_CHECK(options_.request_timeout_ms > 0);
  TRACERY_CHECK(options_.poll_ms > 0);
}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  listener_ = log_->AddAppendListener([this](const std::string&, uint64_t) { Wake(); });
  worker_ = std::thread([this] { Run(); });
}

void WebhookSender::Stop() {
  uint64_t listener = 0;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    listener = listener_;
    listener_ = 0;
  }
  // After this no append calls Wake() on this sender.
  if (listener != 0) log_->RemoveAppendListener(listener);
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void WebhookSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool WebhookSender::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

WebhookSenderStats WebhookSender::stats() const {
  WebhookSenderStats s;
  s.delivered = delivered_.load();
  s.failed_attempts = failed_attempts_.load();
  s.dead_lettered = dead_lettered_.load();
  s.skipped = skipped_.load();
  return s;
}

void WebhookSender::Run() {
  uint64_t seed = options_.rng_seed;
  if (seed == 0) seed = GetBe64(RandomBytes(8));
  std::mt19937_64 rng(seed);
  std::map<std::string, Target> targets;  // by subscription id
  uint64_t version_seen = 0;
  while (!Stopping()) {
    {
      std::lock_guard lock(mu_);
      woken_ = false;
    }
    if (const uint64_t v = store_->version(); v != version_seen) {
      auto subs = store_->List();
      if (subs.ok()) {
        version_seen = v;
        std::map<std::string, Target> next;
        for (scm_core::WebhookSubscription& s : *subs) {
          auto it = targets.find(s.id);
          if (it != targets.end()) {
            next[s.id] = std::move(it->second);
          } else {
            next[s.id].sub = std::move(s);
          }
        }
        targets = std::move(next);
      } else {
        std::fprintf(stderr, "traceryd: webhooks: cannot list subscriptions: %s\n",
                     subs.status().ToString().c_str());
      }
    }
    bool moved = false;
    int64_t wake_at_ms = clock_->NowMs() + options_.poll_ms;
    for (auto& [id, target] : targets) {
      if (Stopping()) break;
      if (target.next_attempt_ms <= clock_->NowMs()) {
        target.next_attempt_ms = 0;
        moved = Step(&target, &rng) || moved;
      }
      if (target.next_attempt_ms != 0) wake_at_ms = std::min(wake_at_ms, target.next_attempt_ms);
    }
    if (moved) continue;
    std::unique_lock lock(mu_);
    const int64_t wait_ms = std::max<int64_t>(0, wake_at_ms - clock_->NowMs());
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return woken_ || stopping_; });
  }
}

bool WebhookSender::Step(Target* t, std::mt19937_64* rng) {
  const scm_core::WebhookSubscription& sub = t->sub;
  const std::string consumer = sub.Consumer();
  auto fail_later = [&](const Status& st) {
    std::fprintf(stderr, "traceryd: webhook %s: %s\n", sub.id.c_str(), st.ToString().c_str());
    t->next_attempt_ms = clock_->NowMs() + options_.poll_ms;
    return false;
  };
  auto committed = log_->ConsumerOffset(sub.topic, consumer);
  if (!committed.ok()) return fail_later(committed.status());
  auto page = log_->Read(sub.topic, *committed + 1, kScanPageEvents);
  if (!page.ok()) return fail_later(page.status());
  if (page->events.empty()) return false;
  auto wanted = std::find_if(page->events.begin(), page->events.end(),
                             [&](const scm_core::Event& e) { return sub.Wants(e); });
  const uint64_t skip_to =
      wanted == page->events.end() ? page->events.back().offset : wanted->offset - 1;
  if (skip_to > *committed) {
    Status st = log_->CommitOffset(sub.topic, consumer, skip_to);
    if (!st.ok()) return fail_later(st);
    skipped_.fetch_add(skip_to - *committed);
  }
  if (wanted == page->events.end()) return true;
  const scm_core::Event& event = *wanted;
  if (t->state.offset != event.offset) t->state = scm_core::DeliveryState{event.offset};

  std::string error;
  const int64_t now_ms = clock_->NowMs();
  auto request = scm_core::BuildWebhookRequest(sub, event, now_ms);
  if (!request.ok()) {
    error = request.status().message();
  } else {
    auto url = scm_core::ParseWebhookUrl(sub.url);
    auto answer = url.ok() ? PostOnce(*url, *request, options_.request_timeout_ms,
                                      [this] { return Stopping(); })
                           : Result<PostAnswer>(url.status());
    if (!answer.ok()) {
      error = answer.status().message();
    } else if (!scm_core::IsAcknowledged(answer->status)) {
      error = scm_core::DescribeHttpFailure(answer->status, answer->body);
    }
  }
  if (Stopping() && !error.empty()) return false;  // an attempt cut short by Stop() is no attempt
  const scm_core::DeliveryAction action = scm_core::RecordAttempt(
      options_.retry, &t->state, error, clock_->NowMs(), (*rng)());
  switch (action) {
    case scm_core::DeliveryAction::kCommit: {
      // A failure here only means the message is sent again: at least once.
      Status st = log_->CommitOffset(sub.topic, consumer, event.offset);
      if (!st.ok()) return fail_later(st);
      delivered_.fetch_add(1);
      t->state = {};
      return true;
    }
    case scm_core::DeliveryAction::kRetry:
      failed_attempts_.fetch_add(1);
      t->next_attempt_ms = t->state.next_attempt_ms;
      return true;
    case scm_core::DeliveryAction::kDeadLetter: {
      scm_core::DeadLetterInfo info{consumer,
                                    "webhook " + sub.id + " to " + sub.url + ": " +
                                        t->state.last_error,
                                    t->state.attempts};
      auto dead = log_->DeadLetter(sub.topic, event.offset, info);
      if (!dead.ok()) return fail_later(dead.status());
      dead_lettered_.fetch_add(1);
      t->state = {};
      return true;
    }
  }
  return true;
}

EventLogService::~EventLogService() {
  if (sender) sender->Stop();
}

Result<std::unique_ptr<EventLogService>> EventLogService::Open(const std::string& data_dir,
                                                               WebhookSenderOptions options) {
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Get();
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return IoError("cannot create data folder " + data_dir + ": " + ec.message());
  auto service = std::make_unique<EventLogService>();
  ASSIGN_OR_RETURN(service->log, scm_core::EventLog::Open(data_dir + "/eventlog", clock));
  ASSIGN_OR_RETURN(service->webhooks, scm_core::WebhookStore::Open(data_dir + "/webhooks", clock));
  RETURN_IF_ERROR(scm_core::CheckRetryPolicy(options.retry));
  service->sender = std::make_unique<WebhookSender>(service->log.get(), service->webhooks.get(),
                                                    std::move(options));
  return service;
}

Status EventLogService::DeleteWebhook(const std::string& org, const std::string& id) {
  ASSIGN_OR_RETURN(scm_core::WebhookSubscription sub, webhooks->Get(org, id));
  RETURN_IF_ERROR(webhooks->Delete(org, id));
  sender->Wake();
  // The sender may still commit once for a subscription it has not yet seen deleted; the
  // consumer record left then is 8 bytes and harmless.
  return log->DeleteConsumer(sub.topic, sub.Consumer());
}

}  // namespace tracery::node

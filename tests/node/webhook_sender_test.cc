// The webhook sender against a real HTTP receiver on a loopback port (Boost.Beast, in this
// process): signed deliveries verify, a 500 is retried until it succeeds, a receiver that is
// down for good ends in the dead-letter topic with the reason, and a delivery not
// acknowledged before the sender stops is sent again by the next sender with the same
// webhook-id.
#include "webhook_sender.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "webhook_receiver.h"

namespace tracery::node {
namespace {

using testing::Receiver;
using testing::WaitFor;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class WebhookSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tracery-webhook-sender-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    auto service = EventLogService::Open(dir_, Options());
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(service).value();
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  static WebhookSenderOptions Options(int64_t initial_backoff_ms = 10, uint32_t max_attempts = 4) {
    WebhookSenderOptions o;
    o.retry.initial_backoff_ms = initial_backoff_ms;
    o.retry.max_backoff_ms = std::max<int64_t>(initial_backoff_ms, 40);
    o.retry.max_attempts = max_attempts;
    o.retry.jitter_percent = 20;
    o.request_timeout_ms = 5000;
    o.poll_ms = 50;
    o.rng_seed = 7;
    return o;
  }
  scm_core::WebhookSubscription Subscribe(const std::string& url,
                                          std::vector<std::string> types = {}) {
    auto sub = service_->webhooks->Create({"org-a", "a-admin", url, "exceptions", types});
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    return sub.ok() ? *sub : scm_core::WebhookSubscription{};
  }
  void Append(const std::string& type, const std::string& payload) {
    ASSERT_TRUE(service_->log->Append("exceptions", {{type, payload, "corr-" + type}}).ok());
  }
  uint64_t Committed(const scm_core::WebhookSubscription& sub) {
    auto o = service_->log->ConsumerOffset(sub.topic, sub.Consumer());
    return o.ok() ? *o : ~uint64_t{0};
  }

  std::string dir_;
  std::unique_ptr<EventLogService> service_;
};

TEST_F(WebhookSenderTest, SignedDeliveriesVerifyAndTheFilterApplies) {
  Receiver receiver([](size_t) { return 204; });
  const auto sub = Subscribe(receiver.Url(), {"exception_raised", "hold_placed"});
  Append("exception_raised", R"({"lot":"L1"})");
  Append("erp_document_imported", R"({"doc":"856"})");  // not wanted
  service_->sender->Start();
  Append("hold_placed", R"({"lot":"L1","reason":"inspection"})");
  ASSERT_TRUE(WaitFor([&] { return Committed(sub) == 3; }));
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  const int64_t now_s = SystemClock::Get()->NowMs() / 1000;
  auto page = service_->log->Read("exceptions", 1, 10);
  ASSERT_TRUE(page.ok());
  const std::vector<uint64_t> offsets = {1, 3};
  for (size_t i = 0; i < got.size(); ++i) {
    const scm_core::Event& e = page->events[offsets[i] - 1];
    EXPECT_EQ(got[i].target, "/hooks/in");
    EXPECT_EQ(got[i].content_type, "application/json");
    EXPECT_EQ(got[i].id, e.id);
    EXPECT_EQ(got[i].body, scm_core::WebhookBody(e));
    Status st = scm_core::VerifyWebhook(sub.secret, got[i].id, got[i].timestamp, got[i].body,
                                        got[i].signature, now_s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    // Another secret does not verify it: the signature is really keyed.
    EXPECT_FALSE(scm_core::VerifyWebhook(scm_core::NewWebhookSecret(std::string(32, 'x')),
                                         got[i].id, got[i].timestamp, got[i].body,
                                         got[i].signature, now_s)
                     .ok());
  }
  auto body = nlohmann::json::parse(got[1].body);
  EXPECT_EQ(body["type"], "hold_placed");
  EXPECT_EQ(body["data"]["reason"], "inspection");
  EXPECT_EQ(body["correlationId"], "corr-hold_placed");
  const WebhookSenderStats stats = service_->sender->stats();
  EXPECT_EQ(stats.delivered, 2u);
  EXPECT_EQ(stats.skipped, 1u);
  EXPECT_EQ(stats.dead_lettered, 0u);
}

TEST_F(WebhookSenderTest, AReceiverAnswering500IsRetriedUntilItSucceeds) {
  Receiver receiver([](size_t index) { return index < 2 ? 500 : 200; });
  const auto sub = Subscribe(receiver.Url());
  Append("exception_raised", R"({"lot":"L1"})");
  service_->sender->Start();
  ASSERT_TRUE(WaitFor([&] { return Committed(sub) == 1; }));
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, got[1].id);  // the same message each time
  EXPECT_EQ(got[1].id, got[2].id);
  EXPECT_EQ(got[0].body, got[2].body);
  const WebhookSenderStats stats = service_->sender->stats();
  EXPECT_EQ(stats.failed_attempts, 2u);
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(*service_->log->Head("exceptions.dead-letter"), 0u);
}

TEST_F(WebhookSenderTest, AReceiverDownForGoodEndsInTheDeadLetterTopic) {
  uint16_t port = 0;
  {
    // A port that was free a moment ago and that nothing listens on now.
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  const auto sub = Subscribe("http://127.0.0.1:" + std::to_string(port) + "/hook");
  Append("exception_raised", R"({"lot":"L9"})");
  service_->sender->Start();
  ASSERT_TRUE(WaitFor([&] { return *service_->log->Head("exceptions.dead-letter") == 1; }));
  EXPECT_EQ(Committed(sub), 1u);  // it went on past the message
  auto letters = service_->log->Read("exceptions.dead-letter", 1, 10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->events.size(), 1u);
  auto j = nlohmann::json::parse(letters->events[0].payload_json);
  EXPECT_EQ(j["attempts"], 4);
  EXPECT_EQ(j["offset"], 1);
  EXPECT_EQ(j["consumer"], sub.Consumer());
  EXPECT_EQ(j["data"]["lot"], "L9");
  const std::string reason = j["reason"];
  EXPECT_NE(reason.find(sub.id), std::string::npos) << reason;
  EXPECT_NE(reason.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << reason;
  EXPECT_NE(reason.find("refused"), std::string::npos) << reason;
  EXPECT_EQ(service_->sender->stats().dead_lettered, 1u);
  EXPECT_EQ(service_->sender->stats().failed_attempts, 3u);
}

TEST_F(WebhookSenderTest, ADeliveryNotAcknowledgedBeforeARestartIsSentAgainAfterIt) {
  std::atomic<bool> up{false};
  Receiver receiver([&](size_t) { return up ? 200 : 0; });  // 0: dies before answering
  const auto sub = Subscribe(receiver.Url());
  Append("hold_placed", R"({"lot":"L7"})");
  // A long backoff: after its first failed attempt this sender would wait a minute.
  {
    WebhookSender first(service_->log.get(), service_->webhooks.get(), Options(60'000, 10));
    first.Start();
    ASSERT_TRUE(WaitFor([&] { return first.stats().failed_attempts == 1; }));
    first.Stop();
  }
  ASSERT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(Committed(sub), 0u);  // not acknowledged, so not committed
  up = true;
  // A new sender over the same log, as after a restart of the node.
  service_->sender->Start();
  ASSERT_TRUE(WaitFor([&] { return Committed(sub) == 1; }));
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].id, got[0].id);
  EXPECT_EQ(got[1].body, got[0].body);
  EXPECT_EQ(service_->sender->stats().delivered, 1u);
}

// A receiver that takes the request and never answers: each attempt ends at the deadline and
// the message ends in the dead-letter topic saying so.
TEST_F(WebhookSenderTest, AReceiverThatHangsTimesOut) {
  Receiver receiver([](size_t) { return -400; });  // holds the connection 400 ms, no answer
  WebhookSenderOptions o = Options(10, 2);
  o.request_timeout_ms = 100;
  const auto sub = Subscribe(receiver.Url());
  Append("exception_raised", R"({"lot":"L5"})");
  WebhookSender sender(service_->log.get(), service_->webhooks.get(), o);
  sender.Start();
  ASSERT_TRUE(WaitFor([&] { return *service_->log->Head("exceptions.dead-letter") == 1; }));
  auto letters = service_->log->Read("exceptions.dead-letter", 1, 1);
  ASSERT_TRUE(letters.ok());
  const std::string reason = nlohmann::json::parse(letters->events[0].payload_json)["reason"];
  EXPECT_NE(reason.find("timed out after 100 ms waiting for the answer of 127.0.0.1:" +
                        std::to_string(receiver.port())),
            std::string::npos)
      << reason;
  EXPECT_EQ(Committed(sub), 1u);
}

// A deleted subscription's consumer offset goes with it, and another org cannot delete it.
TEST_F(WebhookSenderTest, DeletingASubscriptionStopsItsDeliveries) {
  Receiver receiver([](size_t) { return 200; });
  const auto sub = Subscribe(receiver.Url());
  Append("exception_raised", R"({"n":1})");
  service_->sender->Start();
  ASSERT_TRUE(WaitFor([&] { return Committed(sub) == 1; }));
  EXPECT_EQ(service_->DeleteWebhook("org-b", sub.id).code(), Code::kNotFound);
  ASSERT_TRUE(service_->DeleteWebhook("org-a", sub.id).ok());
  EXPECT_EQ(Committed(sub), 0u);
  // A second subscription sees the next message; the deleted one does not get it.
  Receiver other([](size_t) { return 200; });
  const auto sub2 = Subscribe(other.Url());
  Append("exception_raised", R"({"n":2})");
  ASSERT_TRUE(WaitFor([&] { return Committed(sub2) == 2; }));
  EXPECT_EQ(receiver.received().size(), 1u);
  EXPECT_EQ(other.received().size(), 2u);  // a new subscription starts from the beginning
}

}  // namespace
}  // namespace tracery::node

#include "tracery/scm_core/webhook.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tracery/core/encoding.h"

namespace tracery::scm_core {
namespace {

class FixedClock final : public Clock {
 public:
  int64_t NowMs() override { return now_ms; }
  int64_t now_ms = 1'795'834'800'000;
};

// The published Standard Webhooks test vector (the reference libraries' tests; checked here
// independently with `openssl dgst -sha256 -mac HMAC -macopt hexkey:<decoded secret>`).
TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
  auto sig = SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // The bare base64 secret signs the same.
  EXPECT_EQ(*SignWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, R"({"test": 2432232314})"),
            *sig);
  EXPECT_TRUE(VerifyWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                            "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                            R"({"test": 2432232314})", "v1,bm9wZQ== " + *sig, 1614265330)
                  .ok());
}

// A delivery of ours, signed with a 32-byte key (bytes 1..32): the body and the signature
// were computed by hand with printf and openssl.
TEST(WebhookSignature, ADeliveryMatchesAVectorComputedWithOpenssl) {
  std::string key;
  for (int i = 1; i <= 32; ++i) key.push_back(static_cast<char>(i));
  WebhookSubscription sub;
  sub.id = "wh_1";
  sub.url = "http://127.0.0.1:9/hooks/tracery?x=1";
  sub.topic = "exceptions";
  sub.secret = NewWebhookSecret(key);
  EXPECT_EQ(sub.secret, "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
  Event e;
  e.topic = "exceptions";
  e.offset = 7;
  e.type = "shipment_temperature_exceeded";
  e.time_ms = 1'795'834'800'000;
  e.payload_json = R"({"shipment":"00106141411234567897","maxC":9.5})";
  e.correlation_id = "c-42";
  e.id = "evt_00112233aabbccdd_exceptions_7";
  auto req = BuildWebhookRequest(sub, e, 1'795'834'000'999);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->target, "/hooks/tracery?x=1");
  EXPECT_EQ(req->body,
            R"({"id":"evt_00112233aabbccdd_exceptions_7","type":"shipment_temperature_exceeded",)"
            R"("timestamp":"2026-11-28T03:00:00.000Z","topic":"exceptions","offset":7,)"
            R"("correlationId":"c-42","data":{"shipment":"00106141411234567897","maxC":9.5}})");
  ASSERT_EQ(req->headers.size(), 3u);
  EXPECT_EQ(req->headers[0], (std::pair<std::string, std::string>{"webhook-id", e.id}));
  EXPECT_EQ(req->headers[1],
            (std::pair<std::string, std::string>{"webhook-timestamp", "1795834000"}));
  EXPECT_EQ(req->headers[2], (std::pair<std::string, std::string>{
                                 "webhook-signature",
                                 "v1,YMXsw4mPHpvSUrTUL7rr4UC1DrFYAad0VDALStoMOXw="}));
  // A later attempt: same id and body, new timestamp and signature.
  auto later = BuildWebhookRequest(sub, e, 1'795'834'060'000);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->body, req->body);
  EXPECT_EQ(later->headers[0], req->headers[0]);
  EXPECT_NE(later->headers[2], req->headers[2]);
}

TEST(WebhookSignature, VerifyRefusesTamperingWrongSecretsAndOldTimestamps) {
  const std::string secret = NewWebhookSecret(std::string(32, 'k'));
  const std::string body = R"({"a":1})";
  const std::string sig = *SignWebhook(secret, "id-1", 1000, body);
  EXPECT_TRUE(VerifyWebhook(secret, "id-1", "1000", body, sig, 1000).ok());
  EXPECT_EQ(VerifyWebhook(secret, "id-1", "1000", R"({"a":2})", sig, 1000).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(VerifyWebhook(secret, "id-2", "1000", body, sig, 1000).code(), Code::kPermissionDenied);
  EXPECT_EQ(VerifyWebhook(NewWebhookSecret(std::string(32, 'j')), "id-1", "1000", body, sig, 1000)
                .code(),
            Code::kPermissionDenied);
  EXPECT_EQ(VerifyWebhook(secret, "id-1", "1000", body, sig, 1000 + 301).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(VerifyWebhook(secret, "id-1", "10x0", body, sig, 1000).code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifyWebhook(secret, "id-1", "1000", body, "v2," + sig.substr(3), 1000).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(SignWebhook("whsec_!!", "id", 1, body).status().code(), Code::kInvalidArgument);
}

TEST(WebhookUrl, ParsesHttpAndRefusesTheRest) {
  auto u = ParseWebhookUrl("http://127.0.0.1:8080/hooks/a?b=c");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/hooks/a?b=c");
  EXPECT_EQ(u->Origin(), "http://127.0.0.1:8080");
  auto plain = ParseWebhookUrl("HTTP://receiver.example");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->target, "/");
  auto v6 = ParseWebhookUrl("http://[::1]:9000?q");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/?q");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"https://a.example/x", "https is not supported yet"},
      {"ftp://a.example", "must start with http://"},
      {"http://", "no host"},
      {"http://a b/", "no spaces"},
      {"http://user@a.example/", "user information"},
      {"http://a.example:0/", "port must be a number"},
      {"http://a.example:70000/", "port must be a number"},
      {"http://a.example:80x/", "port must be a number"},
      {"http://a_b.example/", "host may hold only"},
      {"http://a.example/#frag", "no fragment"},
      {"http://a.example/" + std::string(kMaxWebhookUrlBytes, 'p'), "at most 2048 bytes"},
  };
  for (const auto& [url, expected] : bad) {
    auto r = ParseWebhookUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << url << ": " << r.status().message();
  }
}

// The schedule: 1 s, 2 s, 4 s ... capped, each within ±jitter, and the same for the same seed.
TEST(RetrySchedule, DoublesUpToTheCapWithSeededJitter) {
  RetryPolicy p;
  p.initial_backoff_ms = 1000;
  p.max_backoff_ms = 30'000;
  p.max_attempts = 10;
  p.jitter_percent = 0;
  ASSERT_TRUE(CheckRetryPolicy(p).ok());
  std::vector<int64_t> exact;
  for (uint32_t n = 1; n <= 8; ++n) exact.push_back(RetryDelayMs(p, n, 12345));
  EXPECT_EQ(exact, (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  EXPECT_EQ(RetryDelayMs(p, 4'000'000'000u, 1), 30000);  // no overflow for huge counts

  p.jitter_percent = 20;
  auto schedule = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int64_t> out;
    for (uint32_t n = 1; n <= 8; ++n) out.push_back(RetryDelayMs(p, n, rng()));
    return out;
  };
  const std::vector<int64_t> a = schedule(42);
  EXPECT_EQ(a, schedule(42));
  EXPECT_NE(a, schedule(43));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(a[i], exact[i] * 80 / 100) << i;
    EXPECT_LE(a[i], exact[i] * 120 / 100) << i;
  }
  // Both ends of the jitter range are reachable: draws 0 and 40 (mod 41).
  EXPECT_EQ(RetryDelayMs(p, 1, 0), 800);
  EXPECT_EQ(RetryDelayMs(p, 1, 40), 1200);
  EXPECT_EQ(RetryDelayMs(p, 1, 41), 800);

  RetryPolicy bad = p;
  bad.max_backoff_ms = 10;
  EXPECT_EQ(CheckRetryPolicy(bad).code(), Code::kInvalidArgument);
  bad = p;
  bad.max_attempts = 0;
  EXPECT_EQ(CheckRetryPolicy(bad).code(), Code::kInvalidArgument);
  bad = p;
  bad.jitter_percent = 101;
  EXPECT_EQ(CheckRetryPolicy(bad).code(), Code::kInvalidArgument);
}

TEST(RetrySchedule, GivesUpAfterMaxAttemptsWithTheLastError) {
  RetryPolicy p;
  p.initial_backoff_ms = 100;
  p.max_backoff_ms = 1000;
  p.max_attempts = 3;
  p.jitter_percent = 0;
  DeliveryState s;
  s.offset = 5;
  EXPECT_EQ(RecordAttempt(p, &s, "HTTP 500", 10'000, 0), DeliveryAction::kRetry);
  EXPECT_EQ(s.next_attempt_ms, 10'100);
  EXPECT_EQ(RecordAttempt(p, &s, "HTTP 503", 10'100, 0), DeliveryAction::kRetry);
  EXPECT_EQ(s.next_attempt_ms, 10'300);
  EXPECT_EQ(RecordAttempt(p, &s, "connection refused", 10'300, 0), DeliveryAction::kDeadLetter);
  EXPECT_EQ(s.attempts, 3u);
  EXPECT_EQ(s.last_error, "connection refused");
  DeliveryState ok;
  EXPECT_EQ(RecordAttempt(p, &ok, "", 0, 0), DeliveryAction::kCommit);
  EXPECT_TRUE(IsAcknowledged(200));
  EXPECT_TRUE(IsAcknowledged(204));
  EXPECT_FALSE(IsAcknowledged(301));
  EXPECT_FALSE(IsAcknowledged(500));
  EXPECT_EQ(DescribeHttpFailure(500, "boom\n"), "HTTP 500: boom?");
  EXPECT_EQ(DescribeHttpFailure(404, ""), "HTTP 404");
  EXPECT_EQ(DescribeHttpFailure(500, std::string(300, 'x')).size(), 10u + 200u + 3u);
}

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tracery-webhooks-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = WebhookStore::Open(dir_, &clock_, [this](size_t n) {
      std::string out;
      for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(rng_()));
      return out;
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  NewWebhook Request(const std::string& org = "org-a") {
    return NewWebhook{org, "a-admin", "http://127.0.0.1:9999/hook", "exceptions",
                      {"exception_raised", "hold_placed"}};
  }
  FixedClock clock_;
  std::string dir_;
  std::mt19937_64 rng_{7};  // ids and secrets: random, and the same in every run
  std::unique_ptr<WebhookStore> store_;
};

TEST_F(WebhookStoreTest, CreatesListsAndDeletesPerOrganisation) {
  const uint64_t v0 = store_->version();
  auto a = store_->Create(Request());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->id.size(), 3u + 16u);
  EXPECT_TRUE(a->id.starts_with("wh_"));
  EXPECT_TRUE(HexDecode(a->id.substr(3)).ok());
  auto key = Base64Decode(a->secret.substr(6));
  ASSERT_TRUE(a->secret.starts_with("whsec_"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), kWebhookSecretBytes);
  EXPECT_EQ(a->created_ms, clock_.now_ms);
  EXPECT_EQ(a->Consumer(), "webhook:" + a->id);
  EXPECT_GT(store_->version(), v0);
  auto b = store_->Create(Request("org-b"));
  ASSERT_TRUE(b.ok());
  Reopen();
  auto mine = store_->ListForOrg("org-a");
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, a->id);
  EXPECT_EQ((*mine)[0].secret, a->secret);
  EXPECT_EQ((*mine)[0].event_types, a->event_types);
  EXPECT_EQ(store_->List()->size(), 2u);
  // Another organisation's subscription does not exist for the caller.
  EXPECT_EQ(store_->Get("org-b", a->id).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Delete("org-b", a->id).code(), Code::kNotFound);
  ASSERT_TRUE(store_->Delete("org-a", a->id).ok());
  EXPECT_EQ(store_->Get("org-a", a->id).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->List()->size(), 1u);
}

TEST_F(WebhookStoreTest, FiltersByTopicAndType) {
  auto s = store_->Create(Request());
  ASSERT_TRUE(s.ok());
  Event e;
  e.topic = "exceptions";
  e.type = "hold_placed";
  EXPECT_TRUE(s->Wants(e));
  e.type = "erp_document_imported";
  EXPECT_FALSE(s->Wants(e));
  e.topic = "holds";
  e.type = "hold_placed";
  EXPECT_FALSE(s->Wants(e));
  NewWebhook all = Request();
  all.event_types.clear();
  auto any = store_->Create(all);
  ASSERT_TRUE(any.ok());
  e.topic = "exceptions";
  e.type = "anything_else";
  EXPECT_TRUE(any->Wants(e));
}

TEST_F(WebhookStoreTest, RefusesBadSubscriptionsAndStoresNothing) {
  std::vector<std::pair<NewWebhook, std::string>> cases;
  NewWebhook r = Request();
  r.url = "https://x.example/";
  cases.emplace_back(r, "https is not supported yet");
  r = Request();
  r.topic = "Exceptions";
  cases.emplace_back(r, "topic");
  r = Request();
  r.topic = "exceptions.dead-letter";
  cases.emplace_back(r, "topic");
  r = Request();
  r.event_types = {"hold_placed", "hold_placed"};
  cases.emplace_back(r, "listed twice");
  r = Request();
  r.event_types = {"Hold"};
  cases.emplace_back(r, "eventTypes: type 'Hold'");
  r = Request();
  r.event_types.assign(kMaxWebhookEventTypes + 1, "x");
  cases.emplace_back(r, "eventTypes: at most 32");
  r = Request();
  r.org = "";
  cases.emplace_back(r, "org: 1 to 128");
  r = Request();
  r.created_by = std::string(129, 'p');
  cases.emplace_back(r, "createdBy: 1 to 128");
  for (const auto& [request, expected] : cases) {
    auto s = store_->Create(request);
    ASSERT_FALSE(s.ok()) << expected;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find(expected), std::string::npos) << s.status().message();
  }
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(WebhookStoreTest, HoldsAtMostTheLimit) {
  for (size_t i = 0; i < kMaxWebhooks; ++i) ASSERT_TRUE(store_->Create(Request()).ok()) << i;
  auto over = store_->Create(Request());
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(store_->List()->size(), kMaxWebhooks);
}

}  // namespace
}  // namespace tracery::scm_core

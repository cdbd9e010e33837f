// Webhooks and the event log through a real traceryd: subscriptions over the API (201 with the
// secret once, listed without it, deleted), permissions, replay pages, and a signed delivery
// by the node's own sender to a receiver in this process. Messages are put in the node's event
// log while it is stopped (the log is the node's; nothing in this version publishes to it over
// the API), and delivered once it runs again.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "tracery/scm_core/event_log.h"
#include "tracery/scm_core/webhook.h"
#include "webhook_receiver.h"

namespace tracery::e2e {
namespace {

using nlohmann::json;

std::string DataDir(const Consortium& c, size_t i) {
  json config = json::parse(ReadFile(c.org_dir(i) + "/node.json").value());
  const std::string dir = config.at("dataDir").get<std::string>();
  return dir.starts_with("/") ? dir : c.org_dir(i) + "/" + dir;
}

TEST(WebhookE2E, SubscribeReplayAndReceiveASignedDelivery) {
  Consortium c("acme,beta");
  ASSERT_TRUE(c.Start(0));
  testing::Receiver receiver([](size_t) { return 200; });
  auto admin = c.Client(0, "admin");
  auto auditor = c.Client(0, "auditor");
  auto other_org = c.Client(0, "auditor");
  other_org->set_bearer_token(c.token(1, "peer"));  // beta's node principal, known to acme

  const json request{{"url", receiver.Url()},
                     {"topic", "exceptions"},
                     {"eventTypes", {"exception_raised", "hold_placed"}}};
  auto created = admin->Request("POST", "/v1/webhooks", request.dump());
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  json sub = json::parse(created->body);
  const std::string id = sub["id"];
  const std::string secret = sub["secret"];
  EXPECT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(sub["createdBy"], "acme-admin");
  EXPECT_EQ(sub["org"], "acme");
  EXPECT_EQ(created->headers["location"], "/v1/webhooks/" + id);

  // Refusals: each a problem+json naming the rule, and nothing stored.
  auto https = admin->Request("POST", "/v1/webhooks",
                              json{{"url", "https://x.example/h"}, {"topic", "exceptions"}}.dump());
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->status, 400);
  EXPECT_EQ(https->content_type, "application/problem+json");
  EXPECT_NE(https->body.find("https is not supported yet"), std::string::npos) << https->body;
  auto unknown = admin->Request("POST", "/v1/webhooks",
                                json{{"url", receiver.Url()}, {"topic", "x"}, {"secret", "s"}}.dump());
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("secret: not a field"), std::string::npos);
  EXPECT_EQ(auditor->Request("POST", "/v1/webhooks", request.dump())->status, 403);
  EXPECT_EQ(other_org->Request("POST", "/v1/webhooks", request.dump())->status, 403);
  EXPECT_EQ(other_org->Request("GET", "/v1/eventlog/exceptions")->status, 403);
  EXPECT_EQ(admin->Request("PUT", "/v1/webhooks", "{}")->status, 405);

  // The list holds the subscription, without its secret.
  auto list = auditor->Request("GET", "/v1/webhooks");
  ASSERT_EQ(list->status, 200);
  json subs = json::parse(list->body)["webhooks"];
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0]["id"], id);
  EXPECT_FALSE(subs[0].contains("secret"));
  EXPECT_EQ(list->body.find(secret.substr(6)), std::string::npos);

  auto empty = auditor->Request("GET", "/v1/eventlog/exceptions");
  ASSERT_EQ(empty->status, 200);
  EXPECT_EQ(json::parse(empty->body)["head"], 0);

  // Three messages in the node's log while it is stopped.
  ASSERT_EQ(c.Stop(0, SIGTERM), 0);
  {
    auto log = scm_core::EventLog::Open(DataDir(c, 0) + "/eventlog", SystemClock::Get());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE((*log)
                    ->Append("exceptions",
                             {{"shipment_temperature_exceeded", R"({"shipment":"S1","maxC":9.4})", "c1"},
                              {"exception_raised", R"({"lot":"L1","kind":"excursion"})", "c1"},
                              {"hold_placed", R"({"lot":"L1","reason":"inspection"})", "c1"}})
                    .ok());
  }
  ASSERT_TRUE(c.Start(0));
  admin = c.Client(0, "admin");  // the old connections died with the old process
  auditor = c.Client(0, "auditor");
  ASSERT_TRUE(testing::WaitFor([&] { return receiver.received().size() >= 2; }));
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 2u);
  const int64_t now_s = SystemClock::Get()->NowMs() / 1000;
  for (const testing::Received& r : got) {
    Status st = scm_core::VerifyWebhook(secret, r.id, r.timestamp, r.body, r.signature, now_s);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_EQ(json::parse(got[0].body)["type"], "exception_raised");
  EXPECT_EQ(json::parse(got[1].body)["data"]["reason"], "inspection");

  // Replay, one page at a time, following the Link header.
  auto first = auditor->Request("GET", "/v1/eventlog/exceptions?from=1&limit=2");
  ASSERT_EQ(first->status, 200) << first->body;
  json page = json::parse(first->body);
  EXPECT_EQ(page["head"], 3);
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["type"], "shipment_temperature_exceeded");
  EXPECT_EQ(page["events"][0]["data"]["maxC"], 9.4);
  EXPECT_EQ(page["events"][1]["id"], got[0].id);
  EXPECT_EQ(first->headers["link"], "</v1/eventlog/exceptions?from=3&limit=2>; rel=\"next\"");
  auto second = auditor->Request("GET", "/v1/eventlog/exceptions?from=3&limit=2");
  json page2 = json::parse(second->body);
  ASSERT_EQ(page2["events"].size(), 1u);
  EXPECT_EQ(page2["events"][0]["offset"], 3);
  EXPECT_EQ(second->headers.count("link"), 0u);
  EXPECT_EQ(auditor->Request("GET", "/v1/eventlog/exceptions?limit=0")->status, 400);
  EXPECT_EQ(auditor->Request("GET", "/v1/eventlog/exceptions?limit=1001")->status, 400);
  EXPECT_EQ(auditor->Request("GET", "/v1/eventlog/exceptions?from=0")->status, 400);
  EXPECT_EQ(auditor->Request("GET", "/v1/eventlog/exceptions?since=1")->status, 400);
  auto bad_topic = auditor->Request("GET", "/v1/eventlog/Exceptions");
  EXPECT_EQ(bad_topic->status, 400);
  EXPECT_NE(bad_topic->body.find("topic"), std::string::npos);
  EXPECT_EQ(auditor->Request("GET", "/v1/eventlog/exceptions.dead-letter")->status, 200);

  // Delete: only by a writer of the org; then it is gone.
  EXPECT_EQ(auditor->Request("DELETE", "/v1/webhooks/" + id)->status, 403);
  EXPECT_EQ(admin->Request("DELETE", "/v1/webhooks/" + id)->status, 204);
  EXPECT_EQ(admin->Request("DELETE", "/v1/webhooks/" + id)->status, 404);
  EXPECT_TRUE(json::parse(admin->Request("GET", "/v1/webhooks")->body)["webhooks"].empty());
}

}  // namespace
}  // namespace tracery::e2e

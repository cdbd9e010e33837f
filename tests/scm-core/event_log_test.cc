#include "tracery/scm_core/event_log.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tracery/core/time.h"

namespace tracery::scm_core {
namespace {

class FakeClock final : public Clock {
 public:
  int64_t NowMs() override { return now_ms.load(); }
  std::atomic<int64_t> now_ms{1'700'000'000'000};
};

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tracery-eventlog-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

NewEvent Ev(const std::string& type, const std::string& payload, const std::string& corr = "") {
  return NewEvent{type, payload, corr};
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    Reopen();
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    log_.reset();
    auto log = EventLog::Open(dir_, &clock_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }
  uint64_t HeadOf(const std::string& topic) {
    auto h = log_->Head(topic);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : 0;
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, AppendsAtDenseOffsetsAndReadsFromAnyOffset) {
  auto first = log_->Append("exceptions", {Ev("exception_raised", R"({"lot":"L1"})", "corr-1"),
                                           Ev("hold_placed", R"({"lot":"L1","reason":"QA"})"),
                                           Ev("exception_raised", R"({"lot":"L2"})")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 1u);
  clock_.now_ms += 5000;
  auto second = log_->Append("exceptions", {Ev("erp_document_imported", R"({"doc":"856"})"),
                                            Ev("hold_placed", R"({ "lot" : "L3" })")});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 4u);
  EXPECT_EQ(HeadOf("exceptions"), 5u);

  auto all = log_->Read("exceptions", 1, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->events.size(), 5u);
  EXPECT_EQ(all->head, 5u);
  EXPECT_EQ(all->next_offset, 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(all->events[i].offset, i + 1);
  const Event& e1 = all->events[0];
  EXPECT_EQ(e1.topic, "exceptions");
  EXPECT_EQ(e1.type, "exception_raised");
  EXPECT_EQ(e1.correlation_id, "corr-1");
  EXPECT_EQ(e1.payload_json, R"({"lot":"L1"})");
  EXPECT_EQ(e1.time_ms, 1'700'000'000'000);
  EXPECT_EQ(e1.id, "evt_" + log_->log_id() + "_exceptions_1");
  EXPECT_EQ(all->events[3].time_ms, 1'700'000'005'000);
  // The payload is kept as its exact bytes, spaces included.
  EXPECT_EQ(all->events[4].payload_json, R"({ "lot" : "L3" })");

  // Replay from the middle, one page at a time.
  auto page = log_->Read("exceptions", 3, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].offset, 3u);
  EXPECT_EQ(page->events[1].offset, 4u);
  EXPECT_EQ(page->next_offset, 5u);
  auto rest = log_->Read("exceptions", page->next_offset, 2);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->events.size(), 1u);
  EXPECT_EQ(rest->events[0].type, "hold_placed");

  // Past the head, and a topic never written: empty, not an error.
  auto past = log_->Read("exceptions", 6, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->events.empty());
  EXPECT_EQ(past->next_offset, 6u);
  auto none = log_->Read("telemetry", 1, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->head, 0u);
  // Topics are independent.
  ASSERT_TRUE(log_->Append("holds", {Ev("hold_placed", "{}")}).ok());
  EXPECT_EQ(HeadOf("holds"), 1u);
  EXPECT_EQ(log_->Topics(), (std::vector<std::string>{"exceptions", "holds"}));
}

TEST_F(EventLogTest, SurvivesReopen) {
  ASSERT_TRUE(log_->Append("holds", {Ev("hold_placed", R"({"n":1})"), Ev("hold_placed", R"({"n":2})")}).ok());
  ASSERT_TRUE(log_->CommitOffset("holds", "erp-outbox", 1).ok());
  const std::string id = log_->log_id();
  Reopen();
  EXPECT_EQ(log_->log_id(), id);
  EXPECT_EQ(HeadOf("holds"), 2u);
  EXPECT_EQ(*log_->ConsumerOffset("holds", "erp-outbox"), 1u);
  auto third = log_->Append("holds", {Ev("hold_released", R"({"n":3})")});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 3u);
  auto page = log_->Read("holds", 1, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[1].payload_json, R"({"n":2})");
}

// A real EPCIS document (GS1's example) as a payload comes back byte for byte.
TEST_F(EventLogTest, KeepsARealDocumentByteForByte) {
  std::ifstream in(std::string(TRACERY_SHARED_DATA) +
                       "/epcis/gs1-EPCIS/Example_9.6.1-ObjectEvent.jsonld",
                   std::ios::binary);
  ASSERT_TRUE(in) << "missing shared test data";
  std::ostringstream text;
  text << in.rdbuf();
  ASSERT_GT(text.str().size(), 100u);
  ASSERT_TRUE(log_->Append("epcis", {Ev("epcis_document_captured", text.str())}).ok());
  Reopen();
  auto page = log_->Read("epcis", 1, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].payload_json, text.str());
}

TEST_F(EventLogTest, AnInvalidMessageRefusesTheWholeAppend) {
  ASSERT_TRUE(log_->Append("exceptions", {Ev("exception_raised", "{}")}).ok());
  auto bad = log_->Append("exceptions", {Ev("exception_raised", R"({"a":1})"),
                                         Ev("exception_raised", R"({"b":2})"),
                                         Ev("exception_raised", R"({"c":)")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("event 2: payload: not valid JSON"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(HeadOf("exceptions"), 1u);
  Reopen();
  EXPECT_EQ(HeadOf("exceptions"), 1u);
  auto page = log_->Read("exceptions", 1, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 1u);
}

struct BadAppend {
  std::string topic;
  NewEvent event;
  std::string expected;  // part of the message
};

TEST_F(EventLogTest, RefusesBadInputNamingTheRuleAndChangesNothing) {
  const std::vector<BadAppend> cases = {
      {"", Ev("t", "{}"), "topic: 1 to 64"},
      {std::string(65, 'a'), Ev("t", "{}"), "topic: 1 to 64"},
      {"exCeptions", Ev("t", "{}"), "only a-z, 0-9, '_' and '-'"},
      {"-x", Ev("t", "{}"), "must start with a-z or 0-9"},
      {"a/b", Ev("t", "{}"), "only a-z"},
      {"exceptions.dead-letter", Ev("t", "{}"), "only a-z"},
      {"x", Ev("", "{}"), "type: 1 to 64"},
      {"x", Ev("Hold", "{}"), "must start with a-z"},
      {"x", Ev("hold-placed", "{}"), "only a-z, 0-9 and '_'"},
      {"x", Ev(std::string(65, 'h'), "{}"), "type: 1 to 64"},
      {"x", Ev("t", "[1,2]"), "payload: must be a JSON object"},
      {"x", Ev("t", ""), "payload: not valid JSON"},
      {"x", Ev("t", "{} {}"), "payload: not valid JSON"},
      {"x", Ev("t", "{}", "has space"), "correlation id: printable ASCII"},
      {"x", Ev("t", "{}", std::string(129, 'c')), "correlation id: at most 128"},
      {"x",
       Ev("t", "{\"a\":\"" + std::string(kMaxEventPayloadBytes, 'x') + "\"}"),
       "more than the limit of 262144"},
  };
  for (const BadAppend& c : cases) {
    auto r = log_->Append(c.topic, {c.event});
    ASSERT_FALSE(r.ok()) << c.topic << " " << c.event.type;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << "got: " << r.status().message() << " expected: " << c.expected;
  }
  auto empty = log_->Append("x", {});
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  std::vector<NewEvent> too_many(kMaxAppendEvents + 1, Ev("t", "{}"));
  auto many = log_->Append("x", too_many);
  EXPECT_NE(many.status().message().find("more than the limit of 1000"), std::string::npos);
  EXPECT_TRUE(log_->Topics().empty());

  EXPECT_NE(log_->Read("x", 0, 10).status().message().find("offsets start at 1"),
            std::string::npos);
  EXPECT_NE(log_->Read("x", 1, 0).status().message().find("limit: 1 to 1000"), std::string::npos);
  EXPECT_EQ(log_->Read("x", 1, kMaxReadPageEvents + 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->Read("X", 1, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->CommitOffset("x", "", 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->CommitOffset("x", "a b", 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->CommitOffset("x", std::string(129, 'c'), 0).code(), Code::kInvalidArgument);
}

TEST_F(EventLogTest, ConsumerOffsetsAreCommittedExplicitly) {
  ASSERT_TRUE(log_->Append("t", {Ev("a", "{}"), Ev("a", "{}"), Ev("a", "{}")}).ok());
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 0u);
  ASSERT_TRUE(log_->CommitOffset("t", "webhook:1", 2).ok());
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 2u);
  EXPECT_EQ(*log_->ConsumerOffset("t", "other"), 0u);  // consumers are independent
  Status back = log_->CommitOffset("t", "webhook:1", 1);
  EXPECT_EQ(back.code(), Code::kFailedPrecondition);
  Status past = log_->CommitOffset("t", "webhook:1", 4);
  EXPECT_EQ(past.code(), Code::kInvalidArgument);
  EXPECT_NE(past.message().find("past the head (3)"), std::string::npos);
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 2u);
  ASSERT_TRUE(log_->CommitOffset("t", "webhook:1", 2).ok());  // the same offset again
  Reopen();
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 2u);
  ASSERT_TRUE(log_->ResetConsumer("t", "webhook:1", 0).ok());  // replay from the start
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 0u);
  EXPECT_EQ(log_->ResetConsumer("t", "webhook:1", 9).code(), Code::kInvalidArgument);
  ASSERT_TRUE(log_->CommitOffset("t", "webhook:1", 3).ok());
  ASSERT_TRUE(log_->DeleteConsumer("t", "webhook:1").ok());
  EXPECT_EQ(*log_->ConsumerOffset("t", "webhook:1"), 0u);
}

TEST_F(EventLogTest, DeadLetterRecordsReasonAttemptsAndTimeAndMovesTheConsumer) {
  ASSERT_TRUE(log_->Append("exceptions", {Ev("exception_raised", R"({"lot":"L1"})", "c-1"),
                                          Ev("hold_placed", R"({"lot":"L2"})", "c-2"),
                                          Ev("exception_raised", R"({"lot":"L3"})")})
                  .ok());
  ASSERT_TRUE(log_->CommitOffset("exceptions", "webhook:a", 1).ok());
  clock_.now_ms += 60'000;
  auto dead = log_->DeadLetter("exceptions", 2,
                               {"webhook:a", "HTTP 500: receiver failed", 12});
  ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  EXPECT_EQ(*dead, 1u);
  EXPECT_EQ(*log_->ConsumerOffset("exceptions", "webhook:a"), 2u);
  EXPECT_EQ(HeadOf("exceptions"), 3u);  // the topic itself is unchanged
  auto page = log_->Read("exceptions.dead-letter", 1, 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->events.size(), 1u);
  const Event& letter = page->events[0];
  EXPECT_EQ(letter.type, "dead_letter");
  EXPECT_EQ(letter.correlation_id, "c-2");
  auto j = nlohmann::json::parse(letter.payload_json);
  EXPECT_EQ(j["topic"], "exceptions");
  EXPECT_EQ(j["offset"], 2);
  EXPECT_EQ(j["eventId"], "evt_" + log_->log_id() + "_exceptions_2");
  EXPECT_EQ(j["type"], "hold_placed");
  EXPECT_EQ(j["consumer"], "webhook:a");
  EXPECT_EQ(j["reason"], "HTTP 500: receiver failed");
  EXPECT_EQ(j["attempts"], 12);
  EXPECT_EQ(j["deadLetteredAt"], FormatRfc3339Utc(1'700'000'060'000));
  EXPECT_EQ(j["data"], nlohmann::json::parse(R"({"lot":"L2"})"));

  // The same consumer cannot dead-letter a message it has passed.
  EXPECT_EQ(log_->DeadLetter("exceptions", 2, {"webhook:a", "again", 1}).status().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(log_->DeadLetter("exceptions", 9, {"webhook:a", "x", 1}).status().code(),
            Code::kNotFound);
  EXPECT_EQ(log_->DeadLetter("exceptions", 3, {"webhook:a", "", 1}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(log_->DeadLetter("exceptions.dead-letter", 1, {"", "x", 1}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(HeadOf("exceptions.dead-letter"), 1u);
  // A long reason is cut to the limit; no consumer: nothing is committed.
  auto cut = log_->DeadLetter("exceptions", 3, {"", std::string(5000, 'r'), 1});
  ASSERT_TRUE(cut.ok());
  auto letters = log_->Read("exceptions.dead-letter", 2, 1);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->events.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(letters->events[0].payload_json)["reason"].get<std::string>().size(),
            kMaxDeadLetterReasonBytes);
  EXPECT_EQ(*log_->ConsumerOffset("exceptions", "webhook:a"), 2u);
  Reopen();
  EXPECT_EQ(HeadOf("exceptions.dead-letter"), 2u);
}

TEST_F(EventLogTest, ListenersHearEveryAppendUntilRemoved) {
  std::vector<std::pair<std::string, uint64_t>> heard;
  const uint64_t handle =
      log_->AddAppendListener([&](const std::string& t, uint64_t h) { heard.emplace_back(t, h); });
  ASSERT_TRUE(log_->Append("a", {Ev("x", "{}"), Ev("x", "{}")}).ok());
  ASSERT_TRUE(log_->Append("b", {Ev("x", "{}")}).ok());
  ASSERT_TRUE(log_->Append("a", {Ev("x", "[]")}).status().code() == Code::kInvalidArgument);
  ASSERT_TRUE(log_->DeadLetter("a", 1, {"", "no", 1}).ok());
  log_->RemoveAppendListener(handle);
  ASSERT_TRUE(log_->Append("a", {Ev("x", "{}")}).ok());
  EXPECT_EQ(heard, (std::vector<std::pair<std::string, uint64_t>>{
                       {"a", 2}, {"b", 1}, {"a.dead-letter", 1}}));
}

// Appends from several threads at once get dense, distinct offsets; each thread's own
// messages keep their order.
TEST_F(EventLogTest, ConcurrentAppendsStayDense) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string payload =
            "{\"thread\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        if (!log_->Append("t", {Ev("x", payload)}).ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(HeadOf("t"), uint64_t{kThreads * kPerThread});
  auto page = log_->Read("t", 1, kMaxReadPageEvents);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), size_t{kThreads * kPerThread});
  std::vector<int> next(kThreads, 0);
  for (const Event& e : page->events) {
    auto j = nlohmann::json::parse(e.payload_json);
    const int t = j["thread"];
    EXPECT_EQ(j["i"], next[t]);
    next[t]++;
  }
}

TEST_F(EventLogTest, APageStopsAtTheByteLimit) {
  const std::string big = "{\"a\":\"" + std::string(kMaxEventPayloadBytes - 10, 'x') + "\"}";
  std::vector<NewEvent> batch(30, Ev("x", big));  // 30 × ~256 KiB, within the append limit
  ASSERT_TRUE(log_->Append("big", batch).ok());
  ASSERT_TRUE(log_->Append("big", batch).ok());  // 60 × 256 KiB: more than one page
  auto first = log_->Read("big", 1, kMaxReadPageEvents);
  ASSERT_TRUE(first.ok());
  EXPECT_LT(first->events.size(), 60u);
  EXPECT_GE(first->events.size(), 1u);
  size_t bytes = 0;
  for (const Event& e : first->events) bytes += e.payload_json.size();
  EXPECT_LE(bytes, kMaxReadPageBytes + kMaxEventPayloadBytes);
  auto second = log_->Read("big", first->next_offset, kMaxReadPageEvents);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->events.size() + second->events.size(), 60u);
  EXPECT_EQ(second->events.front().offset, first->next_offset);
}

TEST_F(EventLogTest, RefusesALogOfAnotherFormat) {
  log_.reset();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "mformat", "9").ok());
  }
  auto log = EventLog::Open(dir_, &clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(log.status().message().find("has format '9'"), std::string::npos);
}

TEST_F(EventLogTest, ADamagedMessageIsCorruptionNotACrash) {
  ASSERT_TRUE(log_->Append("t", {Ev("x", "{}"), Ev("x", "{}")}).ok());
  log_.reset();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::string key = std::string("et") + '\0' + std::string(7, '\0') + '\2';
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, "\x07garbage").ok());
  }
  Reopen();
  auto page = log_->Read("t", 1, 10);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), Code::kCorruption);
  EXPECT_NE(page.status().message().find("t/2"), std::string::npos) << page.status().message();
}

}  // namespace
}  // namespace tracery::scm_core

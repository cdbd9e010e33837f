// The telemetry wire format, signatures and their domain separation, the gateway registry,
// deduplication with reordering and gaps, revocation, and the threshold rules on event time.
#include "tracery/scm_core/telemetry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "tracery/scm_core/telemetry_ingest.h"
#include "tracery/scm_core/telemetry_rules.h"

namespace tracery::scm_core {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

Hash32 Genesis(uint8_t b) {
  Hash32 h{};
  h.fill(b);
  return h;
}

PrivateKey Key(uint8_t b) {
  return PrivateKey::FromSeed(std::string(32, static_cast<char>(b))).value();
}

TelemetryBatch MakeBatch(const std::string& gateway, uint64_t seq, size_t n, int64_t t0 = kT0,
                         int64_t value = 5000) {
  TelemetryBatch b{gateway, seq, {}};
  for (size_t i = 0; i < n; ++i) {
    b.readings.push_back(Reading{"s-" + std::to_string(i % 3), t0 + static_cast<int64_t>(i) * 1000,
                                 ReadingKind::kTemperature, value + static_cast<int64_t>(i)});
  }
  return b;
}

TEST(TelemetryWire, RoundTrip) {
  TelemetryBatch b = MakeBatch("gw-1", 7, 10);
  b.readings[3].kind = ReadingKind::kHumidity;
  b.readings[4].value_milli = -18250;
  b.readings[5].time_ms = -1;
  auto bytes = EncodeBatch(b);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeBatch(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);
  // Documented layout: magic, gateway length + id, sequence, count, then readings of
  // 1 + len + 8 + 1 + 8 bytes.
  EXPECT_EQ(bytes->size(), 4 + 1 + 4 + 8 + 2 + 10 * (1 + 3 + 8 + 1 + 8));
  EXPECT_EQ(bytes->substr(0, 4), "TRT1");
}

TEST(TelemetryWire, RefusesOutOfLimitsBatches) {
  EXPECT_FALSE(EncodeBatch(MakeBatch("gw-1", 0, 1)).ok());  // sequence 0
  EXPECT_FALSE(EncodeBatch(MakeBatch("gw-1", 1, 0)).ok());  // empty
  EXPECT_FALSE(EncodeBatch(MakeBatch("gw-1", 1, kMaxReadingsPerBatch + 1)).ok());
  EXPECT_TRUE(EncodeBatch(MakeBatch("gw-1", 1, kMaxReadingsPerBatch)).ok());
  EXPECT_FALSE(EncodeBatch(MakeBatch("gw/1", 1, 1)).ok());  // not a topic level
  EXPECT_FALSE(EncodeBatch(MakeBatch("gw+", 1, 1)).ok());
  EXPECT_FALSE(EncodeBatch(MakeBatch(std::string(65, 'g'), 1, 1)).ok());
}

TEST(TelemetryWire, BadBytesGetSpecificErrors) {
  const std::string good = EncodeBatch(MakeBatch("gw-1", 1, 2)).value();
  auto truncated = DecodeBatch(good.substr(0, good.size() - 3));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos)
      << truncated.status().message();
  EXPECT_NE(truncated.status().message().find("value"), std::string::npos);

  auto trailing = DecodeBatch(good + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("1 trailing bytes"), std::string::npos);

  std::string magic = good;
  magic[3] = '9';
  EXPECT_NE(DecodeBatch(magic).status().message().find("bad magic"), std::string::npos);

  std::string kind = good;
  kind[4 + 1 + 4 + 8 + 2 + 1 + 3 + 8] = 9;  // first reading's kind
  EXPECT_NE(DecodeBatch(kind).status().message().find("kind 9"), std::string::npos)
      << DecodeBatch(kind).status().message();

  std::string count = good;
  count[4 + 1 + 4 + 8] = 0;
  count[4 + 1 + 4 + 8 + 1] = 0;
  EXPECT_NE(DecodeBatch(count).status().message().find("reading count 0"), std::string::npos);

  std::string sensor = good;
  sensor[4 + 1 + 4 + 8 + 2 + 1] = '#';
  EXPECT_NE(DecodeBatch(sensor).status().message().find("sensor id"), std::string::npos);

  auto env = DecodeEnvelope("TRE1");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("batch length"), std::string::npos);
  EXPECT_EQ(DecodeEnvelope(good).status().code(), Code::kUnauthenticated);
}

TEST(TelemetryWire, FramesCarrySeveralEnvelopesAndRefuseDamage) {
  std::vector<std::string> envelopes;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    envelopes.push_back(SignBatch(MakeBatch("gw-1", seq, 4), Key(1), Genesis(7)).value());
  }
  const std::string frame = EncodeFrame({envelopes[0], envelopes[1], envelopes[2]});
  auto split = SplitFrame(frame);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  ASSERT_EQ(split->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*split)[i], envelopes[i]);
  // A lone envelope is its own frame of one.
  auto alone = SplitFrame(envelopes[0]);
  ASSERT_TRUE(alone.ok());
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_EQ(alone->front(), envelopes[0]);
  // Every truncation, a trailing byte and bad counts are refused.
  for (size_t n = 4; n < frame.size(); n += 7) {
    EXPECT_FALSE(SplitFrame(frame.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(SplitFrame(frame + "x").ok());
  std::string zero = frame.substr(0, 4) + std::string(4, '\0');
  EXPECT_FALSE(SplitFrame(zero).ok());
  std::string many = frame.substr(0, 4) + std::string("\x00\x00\x01\x00", 4) + frame.substr(8);
  auto refused = SplitFrame(many);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("count"), std::string::npos);
}

class Verify : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.AddGateway("gw-1", Key(1).public_key(), 0).ok());
    ASSERT_TRUE(registry_.AddGateway("gw-2", Key(2).public_key(), 0).ok());
  }
  VerifiedBatch Check(const std::string& topic_gw, std::string envelope) {
    return VerifyTelemetry(topic_gw, std::move(envelope), Genesis(7), registry_);
  }
  GatewayRegistry registry_;
};

TEST_F(Verify, AcceptsTheExactSignedBytes) {
  const TelemetryBatch b = MakeBatch("gw-1", 1, 5);
  auto v = Check("gw-1", SignBatch(b, Key(1), Genesis(7)).value());
  ASSERT_EQ(v.verdict, VerifyVerdict::kOk) << v.detail;
  EXPECT_EQ(v.batch, b);
}

TEST_F(Verify, DomainSeparation) {
  const TelemetryBatch b = MakeBatch("gw-1", 1, 5);
  const std::string bytes = EncodeBatch(b).value();
  // Another network's genesis.
  EXPECT_EQ(Check("gw-1", SignBatch(b, Key(1), Genesis(8)).value()).verdict,
            VerifyVerdict::kForged);
  // Another purpose over the same bytes and genesis.
  for (Purpose p : {Purpose::kTx, Purpose::kCommit, Purpose::kHandshake}) {
    EXPECT_EQ(Check("gw-1", EncodeEnvelope(bytes, Key(1).Sign(p, Genesis(7), bytes))).verdict,
              VerifyVerdict::kForged);
  }
  // A raw signature without the domain prefix.
  EXPECT_EQ(Check("gw-1", EncodeEnvelope(bytes, Key(1).SignRaw(bytes))).verdict,
            VerifyVerdict::kForged);
  // Another gateway's key.
  EXPECT_EQ(Check("gw-1", SignBatch(b, Key(2), Genesis(7)).value()).verdict,
            VerifyVerdict::kForged);
  // gw-2 replaying gw-1's batch on its own topic.
  EXPECT_EQ(Check("gw-2", SignBatch(b, Key(1), Genesis(7)).value()).verdict,
            VerifyVerdict::kForged);
  EXPECT_EQ(Check("gw-1", bytes).verdict, VerifyVerdict::kUnsigned);
  EXPECT_EQ(Check("gw-9", SignBatch(MakeBatch("gw-9", 1, 1), Key(9), Genesis(7)).value()).verdict,
            VerifyVerdict::kUnknownGateway);
  ASSERT_TRUE(registry_.Revoke("gw-1", "ops@org1", 5).ok());
  EXPECT_EQ(Check("gw-1", SignBatch(b, Key(1), Genesis(7)).value()).verdict,
            VerifyVerdict::kRevoked);
}

TEST_F(Verify, EverySingleByteCorruptionIsRefused) {
  const std::string good = SignBatch(MakeBatch("gw-1", 3, 4), Key(1), Genesis(7)).value();
  std::mt19937 rng(20261128);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 + rng() % 255));
    auto v = Check("gw-1", bad);
    EXPECT_NE(v.verdict, VerifyVerdict::kOk) << "byte " << i;
    EXPECT_FALSE(v.detail.empty());
  }
  // Random truncations, extensions and garbage: never accepted, never a crash.
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good.substr(0, rng() % (good.size() + 1));
    const size_t extra = rng() % 8;
    for (size_t k = 0; k < extra; ++k) bad.push_back(static_cast<char>(rng()));
    if (bad == good) continue;
    EXPECT_NE(Check("gw-1", bad).verdict, VerifyVerdict::kOk);
    (void)DecodeBatch(bad);
  }
}

TEST(TelemetryAckFormat, RoundTripAndErrors) {
  TelemetryAck ack{"gw-1", 41, {{43, 44}, {47, 47}}};
  const std::string text = EncodeAck(ack);
  EXPECT_EQ(text, R"({"durable_through":41,"gateway":"gw-1","missing":[[43,44],[47,47]]})");
  EXPECT_EQ(DecodeAck(text).value(), ack);
  EXPECT_FALSE(DecodeAck("{").ok());
  EXPECT_FALSE(DecodeAck(R"({"gateway":"g","durable_through":-1})").ok());
  EXPECT_FALSE(DecodeAck(R"({"gateway":"g","durable_through":1,"missing":[[5,4]]})").ok());
}

TEST(Registry, BindingsCheckGs1Keys) {
  GatewayRegistry r;
  EXPECT_TRUE(r.Bind({"s-1", "gw-1", "09506000134352", "LOT-1", ""}).ok());
  EXPECT_FALSE(r.Bind({"s-2", "gw-1", "09506000134353", "LOT-1", ""}).ok());  // check digit
  EXPECT_FALSE(r.Bind({"s-3", "gw-1", "", "", ""}).ok());                     // nothing bound
  EXPECT_TRUE(r.Bind({"s-4", "gw-1", "", "", "106141411234567897"}).ok());
  EXPECT_EQ(r.FindSensor("s-1")->lot, "LOT-1");
  EXPECT_EQ(r.FindSensor("s-2"), nullptr);
  ASSERT_TRUE(r.AddGateway("gw-1", Key(1).public_key(), 1).ok());
  EXPECT_EQ(r.AddGateway("gw-1", Key(1).public_key(), 1).code(), Code::kAlreadyExists);
  EXPECT_EQ(r.Revoke("gw-x", "me", 1).code(), Code::kNotFound);
}

// ---- Rules ----

struct Fed {
  std::vector<ExcursionEvent> events;
  uint64_t late = 0;
};

Fed Feed(RuleEngine& engine, const std::vector<Reading>& readings) {
  Fed out;
  const SensorBinding binding{"s-1", "gw-1", "09506000134352", "LOT-1", ""};
  for (const Reading& r : readings) {
    if (!engine.Add(r, "gw-1", &binding, &out.events)) ++out.late;
  }
  return out;
}

// One reading a minute of sensor s-1, values in milli-°C; and a far later reading that pushes
// the watermark past everything before it.
std::vector<Reading> Series(const std::vector<int64_t>& values) {
  std::vector<Reading> out;
  for (size_t i = 0; i < values.size(); ++i) {
    out.push_back(
        {"s-1", kT0 + static_cast<int64_t>(i) * kMinute, ReadingKind::kTemperature, values[i]});
  }
  return out;
}

Reading Flush(int64_t minutes) {
  return {"s-1", kT0 + minutes * kMinute, ReadingKind::kTemperature, 4000};
}

TEST(Rules, ThresholdDurationAndHysteresis) {
  RuleEngine engine(DefaultColdChainRules());  // > 8 °C for 15 min opens, < 7 °C closes
  std::vector<int64_t> v(40, 5000);
  for (int i = 5; i <= 25; ++i) v[i] = 8500;  // above from minute 5 to 25
  v[12] = 9700;                               // the peak
  v[26] = 7500;                               // between 7 and 8: still open (hysteresis)
  v[27] = 8100;
  v[28] = 6900;  // below 7: closes at minute 28
  auto readings = Series(v);
  readings.push_back(Flush(100));
  Fed f = Feed(engine, readings);
  ASSERT_EQ(f.events.size(), 2u);
  const ExcursionEvent& open = f.events[0];
  EXPECT_EQ(open.kind, ExcursionEventKind::kOpened);
  EXPECT_EQ(open.start_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(open.window_readings, 16u);  // minutes 5..20
  EXPECT_EQ(open.peak_milli, 9700);
  EXPECT_EQ(open.lot, "LOT-1");
  EXPECT_EQ(open.rule, "temp-high");
  const ExcursionEvent& close = f.events[1];
  EXPECT_EQ(close.kind, ExcursionEventKind::kClosed);
  EXPECT_EQ(close.start_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(close.end_ms, kT0 + 28 * kMinute);
  EXPECT_EQ(close.window_readings, 24u);  // minutes 5..28

  // The window hash is the documented chain over exactly those readings.
  Hash32 h = WindowChainStart("s-1", "temp-high");
  for (int i = 5; i <= 28; ++i) {
    h = WindowChainStep(h, kT0 + i * kMinute, ReadingKind::kTemperature, v[static_cast<size_t>(i)]);
    if (i == 20) {
      EXPECT_EQ(h, open.window_hash);
    }
  }
  EXPECT_EQ(h, close.window_hash);
}

TEST(Rules, ADipBelowTheThresholdRestartsTheDuration) {
  RuleEngine engine(DefaultColdChainRules());
  std::vector<int64_t> v(40, 5000);
  for (int i = 0; i < 14; ++i) v[static_cast<size_t>(i)] = 9000;
  v[14] = 8000;  // not above 8 °C: 14 minutes only
  for (int i = 15; i < 30; ++i) v[static_cast<size_t>(i)] = 9000;  // 14 minutes again
  auto readings = Series(v);
  readings.push_back(Flush(100));
  EXPECT_TRUE(Feed(engine, readings).events.empty());
}

TEST(Rules, ReorderingWithinLatenessGivesTheSameEvents) {
  std::vector<int64_t> v(60, 5000);
  for (int i = 10; i < 40; ++i) v[static_cast<size_t>(i)] = 8000 + i * 10;
  auto in_order = Series(v);
  in_order.push_back(Flush(200));
  RuleEngine a(DefaultColdChainRules());  // lateness 5 minutes
  const Fed expected = Feed(a, in_order);
  ASSERT_EQ(expected.events.size(), 2u);

  // Shuffle within windows of 4 minutes (less than the lateness).
  auto shuffled = in_order;
  std::mt19937 rng(7);
  for (size_t i = 0; i + 4 <= shuffled.size() - 1; i += 4) {
    std::shuffle(shuffled.begin() + static_cast<ptrdiff_t>(i),
                 shuffled.begin() + static_cast<ptrdiff_t>(i + 4), rng);
  }
  RuleEngine b(DefaultColdChainRules());
  const Fed got = Feed(b, shuffled);
  EXPECT_EQ(got.late, 0u);
  EXPECT_EQ(got.events, expected.events);
}

TEST(Rules, LateReadingsAreCountedNotEvaluated) {
  RuleConfig config = DefaultColdChainRules();
  config.rules[0].min_duration_ms = 0;
  RuleEngine engine(config);
  std::vector<Reading> readings = {
      {"s-1", kT0 + 60 * kMinute, ReadingKind::kTemperature, 5000},
      // 10 minutes older than the newest: beyond the 5 minutes of lateness.
      {"s-1", kT0 + 50 * kMinute, ReadingKind::kTemperature, 12000},
      // 4 minutes older: on time.
      {"s-1", kT0 + 56 * kMinute, ReadingKind::kTemperature, 11000},
      Flush(200)};
  Fed f = Feed(engine, readings);
  EXPECT_EQ(f.late, 1u);
  ASSERT_EQ(f.events.size(), 2u);  // the 11 °C reading opens (duration 0), 5 °C... closes
  EXPECT_EQ(f.events[0].peak_milli, 11000);
  EXPECT_EQ(f.events[0].start_ms, kT0 + 56 * kMinute);
}

TEST(Rules, BelowRulesAndConfigChecks) {
  RuleConfig config;
  config.allowed_lateness_ms = 0;
  config.rules.push_back(
      {"freeze", ReadingKind::kTemperature, RuleDirection::kBelow, 0, 1000, 2 * kMinute});
  ASSERT_TRUE(CheckRuleConfig(config).ok());
  RuleEngine engine(config);
  Fed f = Feed(engine, Series({500, -100, -200, -300, -50, 1500, 500}));
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[0].peak_milli, -300);
  EXPECT_EQ(f.events[1].end_ms, kT0 + 5 * kMinute);

  RuleConfig bad = config;
  bad.rules[0].close_milli = -1000;  // a below rule must close above its opening
  EXPECT_FALSE(CheckRuleConfig(bad).ok());
  bad = DefaultColdChainRules();
  bad.rules.push_back(bad.rules[0]);
  EXPECT_FALSE(CheckRuleConfig(bad).ok());  // the same name twice
}

TEST(Rules, StateRestoredMidExcursionContinuesIdentically) {
  std::vector<int64_t> v(60, 5000);
  for (int i = 10; i < 40; ++i) v[static_cast<size_t>(i)] = 9000;
  auto readings = Series(v);
  readings.push_back(Flush(200));
  RuleEngine whole(DefaultColdChainRules());
  const Fed expected = Feed(whole, readings);

  RuleEngine first(DefaultColdChainRules());
  Fed part1 = Feed(first, std::vector<Reading>(readings.begin(), readings.begin() + 20));
  RuleEngine second(DefaultColdChainRules());
  for (auto& [sensor, state] : first.TakeDirty()) ASSERT_TRUE(second.Restore(sensor, state).ok());
  Fed part2 = Feed(second, std::vector<Reading>(readings.begin() + 20, readings.end()));
  part1.events.insert(part1.events.end(), part2.events.begin(), part2.events.end());
  EXPECT_EQ(part1.events, expected.events);
  EXPECT_FALSE(second.Restore("s-1", "TRR1junk").ok());
}

// ---- The ingestor: dedup, gaps, revocation, durability ----

class Ingest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("telemetry-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
    ASSERT_TRUE(ingest_->RegisterGateway("gw-1", Key(1).public_key(), 1).ok());
    ASSERT_TRUE(ingest_->BindSensor({"s-0", "gw-1", "09506000134352", "LOT-1", ""}).ok());
  }
  void TearDown() override {
    ingest_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    ingest_.reset();
    IngestOptions o;
    o.data_dir = dir_.string();
    o.genesis_hash = Genesis(7);
    o.dedup_window = 16;
    auto r = TelemetryIngestor::Open(o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ingest_ = std::move(r).value();
  }
  StageVerdict StageSeq(uint64_t seq, int64_t value = 5000) {
    auto v = VerifyTelemetry(
        "gw-1",
        SignBatch(MakeBatch("gw-1", seq, 3, kT0 + static_cast<int64_t>(seq) * kMinute, value),
                  Key(1), Genesis(7))
            .value(),
        Genesis(7), ingest_->registry());
    EXPECT_EQ(v.verdict, VerifyVerdict::kOk) << v.detail;
    return ingest_->Stage(std::move(v), nullptr);
  }
  TelemetryAck CommitAck() {
    auto out = ingest_->Commit();
    EXPECT_TRUE(out.ok());
    EXPECT_EQ(out->acks.size(), 1u);
    return out->acks.empty() ? TelemetryAck{} : out->acks[0];
  }
  std::filesystem::path dir_;
  std::unique_ptr<TelemetryIngestor> ingest_;
};

TEST_F(Ingest, DedupReorderAndGaps) {
  EXPECT_EQ(StageSeq(1), StageVerdict::kAccepted);
  EXPECT_EQ(StageSeq(3), StageVerdict::kAccepted);
  EXPECT_EQ(StageSeq(6), StageVerdict::kAccepted);
  EXPECT_EQ(StageSeq(3), StageVerdict::kDuplicate);  // staged, not yet committed
  TelemetryAck ack = CommitAck();
  EXPECT_EQ(ack.durable_through, 1u);
  EXPECT_EQ(ack.missing, (std::vector<std::pair<uint64_t, uint64_t>>{{2, 2}, {4, 5}}));
  EXPECT_EQ(StageSeq(2), StageVerdict::kAccepted);
  EXPECT_EQ(StageSeq(1), StageVerdict::kDuplicate);
  EXPECT_EQ(StageSeq(40), StageVerdict::kTooFarAhead);  // window of 16
  ack = CommitAck();
  EXPECT_EQ(ack.durable_through, 3u);
  Reopen();  // the dedup state is durable
  EXPECT_EQ(StageSeq(6), StageVerdict::kDuplicate);
  EXPECT_EQ(StageSeq(5), StageVerdict::kAccepted);
  EXPECT_EQ(StageSeq(4), StageVerdict::kAccepted);
  ack = CommitAck();
  EXPECT_EQ(ack.durable_through, 6u);
  EXPECT_TRUE(ack.missing.empty());
  auto stored = ingest_->ReadBatches("gw-1");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ((*stored)[i].sequence, i + 1);
}

TEST_F(Ingest, UncommittedBatchesAreNotDurable) {
  EXPECT_EQ(StageSeq(1), StageVerdict::kAccepted);
  (void)CommitAck();
  EXPECT_EQ(StageSeq(2), StageVerdict::kAccepted);
  Reopen();  // as after a kill -9 before the commit: batch 2 was never acknowledged
  EXPECT_EQ(ingest_->Progress("gw-1").durable_through, 1u);
  EXPECT_EQ(StageSeq(2), StageVerdict::kAccepted);
}

TEST_F(Ingest, RevocationIsDurableAndRefusesVerifiedBatches) {
  auto v = VerifyTelemetry("gw-1", SignBatch(MakeBatch("gw-1", 1, 2), Key(1), Genesis(7)).value(),
                           Genesis(7), ingest_->registry());
  ASSERT_EQ(v.verdict, VerifyVerdict::kOk);
  ASSERT_TRUE(ingest_->RevokeGateway("gw-1", "ops@org1", 99).ok());
  EXPECT_EQ(ingest_->Stage(std::move(v), nullptr), StageVerdict::kRevoked);
  Reopen();
  const GatewayRecord* g = ingest_->registry().FindGateway("gw-1");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->revoked);
  EXPECT_EQ(g->revoked_by, "ops@org1");
  EXPECT_EQ(g->revoked_at_ms, 99);
  EXPECT_EQ(ingest_->registry().FindSensor("s-0")->lot, "LOT-1");
  EXPECT_EQ(VerifyTelemetry("gw-1", SignBatch(MakeBatch("gw-1", 2, 2), Key(1), Genesis(7)).value(),
                            Genesis(7), ingest_->registry())
                .verdict,
            VerifyVerdict::kRevoked);
}

TEST_F(Ingest, EventsAreDurableAndHandedOutUntilDelivered) {
  // Three readings a batch, a batch a minute, all at 9 °C: opens after 15 minutes plus the
  // lateness.
  std::vector<ExcursionEvent> events;
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    EXPECT_EQ(StageSeq(seq, 9000), StageVerdict::kAccepted);
    auto out = ingest_->Commit();
    ASSERT_TRUE(out.ok());
    events.insert(events.end(), out->events.begin(), out->events.end());
    if (seq == 12) Reopen();  // rule state survives the restart
  }
  ASSERT_EQ(events.size(), 3u);  // one per sensor s-0, s-1, s-2
  EXPECT_EQ(events[0].event_seq, 1u);
  const auto it = std::find_if(events.begin(), events.end(),
                               [](const ExcursionEvent& e) { return e.sensor_id == "s-0"; });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->lot, "LOT-1");
  EXPECT_EQ(it->gtin, "09506000134352");
  Reopen();
  auto pending = ingest_->UndeliveredEvents(10);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*pending, events);
  ASSERT_TRUE(ingest_->MarkDelivered(2).ok());
  Reopen();
  pending = ingest_->UndeliveredEvents(10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].event_seq, 3u);
}

}  // namespace
}  // namespace tracery::scm_core

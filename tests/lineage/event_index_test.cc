#include "tracery/lineage/event_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "../ledger/test_util.h"

namespace tracery::lineage {
namespace {

using ledger::testing::Key;
using ledger::testing::MakeTxOf;
using ledger::testing::TestGenesis;

constexpr char kShipping[] = "https://ref.gs1.org/cbv/BizStep-shipping";
constexpr char kReceiving[] = "https://ref.gs1.org/cbv/BizStep-receiving";
constexpr char kInTransit[] = "https://ref.gs1.org/cbv/Disp-in_transit";
constexpr char kPo[] = "https://ref.gs1.org/cbv/BTT-po";

std::string Sgtin(int gtin, int serial) {
  return "https://id.gs1.org/01/0000000000000" + std::to_string(gtin) + "/21/" +
         std::to_string(serial);
}
std::string Gtin(int gtin) { return "https://id.gs1.org/01/0000000000000" + std::to_string(gtin); }
std::string Gln(int n) { return "https://id.gs1.org/414/000000000000" + std::to_string(n); }

// Builds blocks whose headers carry what the index reads: height, log size and time.
class Chain {
 public:
  ledger::ParsedBlock Next(const std::vector<v1::Checkpoint>& checkpoints,
                           const std::string& org = "a") {
    ++height_;
    std::vector<ledger::ParsedTx> txs;
    txs.push_back(MakeTxOf(genesis_, org, Key(org == "a" ? 'a' : 'b'), checkpoints, height_));
    log_size_ += checkpoints.size();
    v1::BlockHeader h;
    h.set_schema_version(1);
    h.set_height(height_);
    h.set_log_size(log_size_);
    h.set_time_ms(1800000000000 + static_cast<int64_t>(height_) * 1000);
    return ledger::MakeBlock(h, std::move(txs));
  }

 private:
  ledger::Genesis genesis_ = TestGenesis();
  uint64_t height_ = 0;
  uint64_t log_size_ = 0;
};

class EventIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("event-index-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    index_ = EventIndex::Open(dir_.string()).value();
  }
  void TearDown() override {
    index_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Apply(const std::vector<v1::Checkpoint>& cps, const std::string& org = "a") {
    ASSERT_TRUE(index_->Apply(chain_.Next(cps, org)).ok());
  }
  // Every page of the query, concatenated: the event ids.
  std::vector<std::string> All(const EventQuery& q, size_t per_page = 2) {
    std::vector<std::string> ids;
    std::string token;
    for (int pages = 0; pages < 10000; ++pages) {
      auto page = index_->Query(q, token, per_page);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const EventHit& h : page->hits) ids.push_back(h.checkpoint.event_id());
      token = page->next_page_token;
      if (token.empty()) break;
    }
    return ids;
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventIndex> index_;
  Chain chain_;
};

v1::Checkpoint Event(const std::string& id, int64_t time_ms) {
  v1::Checkpoint c;
  c.set_schema_version(1);
  c.set_event_id(id);
  c.set_type("ObjectEvent");
  c.set_action("OBSERVE");
  c.set_event_time_ms(time_ms);
  c.set_payload_hash(HashBytes(Sha256(id)));
  return c;
}

TEST_F(EventIndexTest, AnswersEachKindOfParameter) {
  v1::Checkpoint a = Event("urn:uuid:a", 100);
  a.set_biz_step(kShipping);
  a.set_disposition(kInTransit);
  a.set_biz_location(Gln(1));
  a.add_epc_list(Sgtin(1, 1));
  auto* po = a.add_biz_transaction_list();
  po->set_type(kPo);
  po->set_id("urn:epcglobal:cbv:bt:0614141073467:PO-1");
  v1::Checkpoint b = Event("urn:uuid:b", 200);
  b.set_biz_step(kReceiving);
  b.set_biz_location(Gln(2));
  b.add_epc_list(Sgtin(2, 7));
  v1::Checkpoint c = Event("urn:uuid:c", 300);
  c.set_type("AggregationEvent");
  c.set_action("ADD");
  c.set_parent_id("https://id.gs1.org/00/106141412345678908");
  c.add_child_epcs(Sgtin(1, 2));
  auto* q = c.add_child_quantity_list();
  q->set_epc_class("https://id.gs1.org/01/00000000000003/10/LOT9");
  q->set_quantity("12");
  v1::Checkpoint d = Event("urn:uuid:d", 50);
  d.set_type("TransformationEvent");
  d.clear_action();
  d.add_input_epc_list(Sgtin(2, 7));
  d.add_output_epc_list(Sgtin(3, 1));
  Apply({a, b});
  Apply({c, d});
  EXPECT_EQ(index_->applied_height(), 2u);

  EventQuery by_step;
  by_step.biz_steps = {kShipping};
  EXPECT_EQ(All(by_step), std::vector<std::string>{"urn:uuid:a"});

  // An EPC class pattern (GTIN) finds instances of it in epcList and childEPCs.
  EventQuery by_class_pattern;
  by_class_pattern.match_epc = {Gtin(1)};
  EXPECT_EQ(All(by_class_pattern), (std::vector<std::string>{"urn:uuid:a", "urn:uuid:c"}));

  EventQuery any;
  any.match_any_epc = {Sgtin(2, 7)};
  EXPECT_EQ(All(any), (std::vector<std::string>{"urn:uuid:b", "urn:uuid:d"}));

  EventQuery parent;
  parent.match_parent_id = {"https://id.gs1.org/00/106141412345678908"};
  EXPECT_EQ(All(parent), std::vector<std::string>{"urn:uuid:c"});

  EventQuery klass;
  klass.match_any_epc_class = {"https://id.gs1.org/01/00000000000003"};  // the GTIN of the lot
  EXPECT_EQ(All(klass), std::vector<std::string>{"urn:uuid:c"});

  EventQuery po_query;
  po_query.biz_transactions[kPo] = {"urn:epcglobal:cbv:bt:0614141073467:PO-1"};
  EXPECT_EQ(All(po_query), std::vector<std::string>{"urn:uuid:a"});

  EventQuery window;
  window.ge_event_time_ms = 100;
  window.lt_event_time_ms = 300;
  EXPECT_EQ(All(window), (std::vector<std::string>{"urn:uuid:a", "urn:uuid:b"}));

  EventQuery by_time_desc;
  by_time_desc.order = EventQuery::Order::kEventTime;
  by_time_desc.descending = true;
  EXPECT_EQ(All(by_time_desc, 3),
            (std::vector<std::string>{"urn:uuid:c", "urn:uuid:b", "urn:uuid:a", "urn:uuid:d"}));

  EventQuery by_id;
  by_id.event_ids = {"urn:uuid:d"};
  EXPECT_EQ(All(by_id), std::vector<std::string>{"urn:uuid:d"});

  EventQuery none;
  none.biz_locations = {Gln(9)};
  EXPECT_TRUE(All(none).empty());
}

TEST_F(EventIndexTest, WithdrawnEventsCanBeLeftOut) {
  v1::Checkpoint original = Event("ni:///sha-256;aa?ver=CBV2.0", 100);
  original.add_epc_list(Sgtin(1, 1));
  Apply({original});
  v1::Checkpoint declaration = original;
  declaration.mutable_error_declaration()->set_declaration_time_ms(500);
  declaration.mutable_error_declaration()->set_reason("https://ref.gs1.org/cbv/ER-incorrect_data");
  // Another organisation cannot withdraw this one's event.
  Apply({declaration}, "b");
  EventQuery q;
  q.match_epc = {Sgtin(1, 1)};
  q.include_withdrawn = false;
  EXPECT_EQ(All(q).size(), 2u);
  Apply({declaration});
  q.include_withdrawn = true;
  EXPECT_EQ(All(q).size(), 3u);
  q.include_withdrawn = false;
  auto page = index_->Query(q, "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->hits.size(), 2u);  // the two declarations
  EXPECT_TRUE(page->hits[0].checkpoint.has_error_declaration());
  EXPECT_TRUE(page->hits[1].checkpoint.has_error_declaration());
  // The same event captured again after the declaration is not withdrawn.
  Apply({original});
  EXPECT_EQ(All(q).size(), 3u);
}

TEST_F(EventIndexTest, RefusesATokenOfAnotherOrderAndAGap) {
  Apply({Event("urn:uuid:x", 1)});
  EventQuery by_time;
  by_time.order = EventQuery::Order::kEventTime;
  auto page = index_->Query(EventQuery{}, "4c0000000000000000", 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(index_->Query(by_time, "4c0000000000000000", 1).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(index_->Query(by_time, "zz", 1).status().code(), Code::kInvalidArgument);
  Chain other;
  other.Next({Event("urn:uuid:skip", 1)});
  other.Next({Event("urn:uuid:skip2", 1)});
  EXPECT_EQ(index_->Apply(other.Next({Event("urn:uuid:y", 1)})).code(),
            Code::kFailedPrecondition);
}

TEST_F(EventIndexTest, SurvivesReopenAtTheAppliedHeight) {
  Apply({Event("urn:uuid:1", 1)});
  Apply({Event("urn:uuid:2", 2)});
  index_.reset();
  index_ = EventIndex::Open(dir_.string()).value();
  EXPECT_EQ(index_->applied_height(), 2u);
  EXPECT_EQ(All(EventQuery{}), (std::vector<std::string>{"urn:uuid:1", "urn:uuid:2"}));
}

// Random checkpoints and random queries, every page of every order, against a scan of all
// checkpoints with MatchesEventQuery: checks the drivers (postings, time order, full scan), the
// merge of several posting lists and the page tokens.
TEST_F(EventIndexTest, PagedAnswersEqualAFullScan) {
  std::mt19937_64 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::vector<v1::Checkpoint> all;
  for (int block = 0; block < 40; ++block) {
    std::vector<v1::Checkpoint> cps;
    for (int i = 0, n = 1 + pick(5); i < n; ++i) {
      v1::Checkpoint c = Event("urn:uuid:" + std::to_string(all.size()), pick(50) * 10);
      c.set_biz_step(pick(2) ? kShipping : kReceiving);
      c.set_biz_location(Gln(1 + pick(3)));
      for (int e = 0, m = pick(3); e < m; ++e) c.add_epc_list(Sgtin(1 + pick(3), pick(4)));
      if (pick(4) == 0) c.set_parent_id(Sgtin(1 + pick(3), pick(4)));
      all.push_back(c);
      cps.push_back(c);
    }
    Apply(cps);
  }
  for (int round = 0; round < 200; ++round) {
    EventQuery q;
    if (pick(2)) q.match_any_epc = {pick(2) ? Sgtin(1 + pick(3), pick(4)) : Gtin(1 + pick(3))};
    if (pick(3) == 0) q.biz_locations = {Gln(1 + pick(3)), Gln(1 + pick(3))};
    if (pick(3) == 0) q.biz_steps = {kShipping};
    if (pick(3) == 0) q.ge_event_time_ms = pick(50) * 10;
    if (pick(3) == 0) q.lt_event_time_ms = pick(50) * 10;
    q.order = pick(2) ? EventQuery::Order::kEventTime : EventQuery::Order::kLedger;
    q.descending = pick(2);
    std::vector<std::pair<std::pair<int64_t, uint64_t>, std::string>> expected;
    for (uint64_t seq = 0; seq < all.size(); ++seq) {
      if (!MatchesEventQuery(q, all[seq], 0)) continue;
      const int64_t key = q.order == EventQuery::Order::kEventTime ? all[seq].event_time_ms() : 0;
      expected.push_back({{key, seq}, all[seq].event_id()});
    }
    std::sort(expected.begin(), expected.end());
    if (q.descending) std::reverse(expected.begin(), expected.end());
    std::vector<std::string> want;
    for (auto& e : expected) want.push_back(e.second);
    EXPECT_EQ(All(q, 1 + pick(4)), want) << "round " << round;
  }
}

}  // namespace
}  // namespace tracery::lineage

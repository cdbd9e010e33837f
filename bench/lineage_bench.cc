// tracery_bench_lineage: the lineage index beside SQLite's recursive CTE on the same graph.
//
// It generates (from --seed) a supply chain of --lots identifiers in six tiers with ~3 edges per
// identifier: farm lots → ingredient lots (3 inputs each) → intermediate lots (4) → finished
// lots (5) → cases (packing runs of 2 finished lots into 5 cases) → pallets (every case packed
// on a pallet, the pallets emptied at the distribution centre and the cases packed again on
// other pallets, so each case sits on two pallets at different times), with shipments of
// every pallet. Inputs are drawn with a heavy tail (a few lots feed very many), as real
// supplier batches do.
//
// 1. Queries: the checkpoints are applied to a lineage::LotGraph (ApplyCheckpoint, the code
//    ApplyBlock runs) and the edges loaded into an in-memory SQLite database (edges(src, dst)
//    with an index on each column, covering, and nodes(id, uri) with a unique index on uri).
//    For --queries random identifiers of every tier, upstream and downstream traces to
//    --depth are timed in both, for the same identifiers; both return every identifier with its
//    depth, and the answers' sizes are compared.
// 2. Recall exposure of the supplier lot whose downstream closure is nearest --exposure-target.
// 3. Proofs: the same checkpoints (--ledger-lots of them; 0 skips this part) are written as
//    signed, certified blocks into a real ledger::Ledger in a temporary folder, the lineage
//    index is rebuilt from it, and the exposure is timed with a proof for every step
//    (ledger::ProveCheckpoint each, and ledger::ProveCheckpoints batched), then a sample of the
//    proofs is verified offline.
//
// Prints one JSON object per line.
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "tests/ledger/test_util.h"
#include "tracery/ledger/ledger.h"
#include "tracery/ledger/proof.h"
#include "tracery/lineage/graph.h"
#include "tracery/lineage/index.h"
#include "tracery/lineage/query.h"

namespace tracery::bench {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery_bench_lineage [--lots 1000000] [--seed 1] [--queries 200] [--depth 32]\n"
    "                             [--exposure-target 10000] [--exposure-runs 20]\n"
    "                             [--ledger-lots 1000000] [--cps-per-tx 20] [--txs-per-block "
    "10]\n\n"
    "The lineage index beside SQLite's recursive CTE on the same generated supply chain, recall\n"
    "exposure, and exposure with a ledger proof for every step. One JSON object per line.\n";

constexpr int kTiers = 6;
const char* const kTierNames[kTiers] = {
    "t0_farm_lot",     "t1_ingredient_lot", "t2_intermediate_lot",
    "t3_finished_lot", "t4_case",           "t5_pallet"};
// Share of the identifiers in each tier, and the inputs each identifier of a tier has.
constexpr double kTierShare[kTiers] = {0.15, 0.10, 0.10, 0.10, 0.45, 0.10};
constexpr int kFanIn[kTiers] = {0, 3, 4, 5, 2, 0};
constexpr int kCasesPerRun = 5;
constexpr int kRetailers = 20;
constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01
constexpr int64_t kDayMs = 86400000;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Heavy-tailed index below n: low indexes are drawn far more often (density ∝ x^-2/3).
  uint64_t Skewed(uint64_t n) {
    const double u = Uniform();
    return std::min<uint64_t>(n - 1, static_cast<uint64_t>(static_cast<double>(n) * u * u * u));
  }

 private:
  uint64_t s_;
};

// GS1 mod-10 check digit appended to `digits`.
std::string WithCheckDigit(const std::string& digits) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const int d = digits[digits.size() - 1 - i] - '0';
    sum += (i % 2 == 0) ? 3 * d : d;
  }
  return digits + static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string Digits(uint64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

// The generated chain: identifiers by node number, tier ranges, and the edges (downstream).
struct ChainShape {
  std::vector<std::string> ids;
  uint32_t tier_begin[kTiers + 1] = {};
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  uint64_t checkpoints = 0;
  std::vector<std::string> glns;  // 0 manufacturer, 1 distribution centre, 2.. retailers
  lineage::OrgByLocation orgs;
};

using Sink = std::function<void(const v1::Checkpoint&, const std::string& org)>;

class ChainGenerator {
 public:
  ChainGenerator(uint64_t lots, uint64_t seed) : rng_(seed) {
    uint64_t at = 0;
    for (int t = 0; t < kTiers; ++t) {
      shape_.tier_begin[t] = static_cast<uint32_t>(at);
      at += std::max<uint64_t>(kCasesPerRun,
                               static_cast<uint64_t>(std::llround(kTierShare[t] * lots)));
    }
    shape_.tier_begin[kTiers] = static_cast<uint32_t>(at);
    shape_.ids.resize(at);
    static const char* kGtins[5] = {"0952123400001", "0952123400002", "0952123400003",
                                    "0952123400004", "0952123400005"};
    static const char* kLotPrefix[4] = {"F", "I", "M", "P"};
    for (int t = 0; t < 4; ++t) {
      const std::string base = "https://id.gs1.org/01/" + WithCheckDigit(kGtins[t]) + "/10/";
      for (uint32_t i = 0; i < Size(t); ++i) {
        shape_.ids[shape_.tier_begin[t] + i] = base + kLotPrefix[t] + std::to_string(i);
      }
    }
    const std::string cases = "https://id.gs1.org/01/" + WithCheckDigit(kGtins[4]) + "/21/";
    for (uint32_t i = 0; i < Size(4); ++i)
      shape_.ids[shape_.tier_begin[4] + i] = cases + std::to_string(i);
    for (uint32_t i = 0; i < Size(5); ++i) {
      shape_.ids[shape_.tier_begin[5] + i] =
          "https://id.gs1.org/00/" + WithCheckDigit("1952123" + Digits(i, 10));
    }
    for (int g = 0; g < 2 + kRetailers; ++g) {
      shape_.glns.push_back("https://id.gs1.org/414/" + WithCheckDigit("952123" + Digits(g, 6)));
      shape_.orgs[shape_.glns.back()] =
          g == 0 ? "manufacturer" : (g == 1 ? "distributor" : "retailer-" + std::to_string(g - 1));
    }
  }

  uint32_t Size(int tier) const { return shape_.tier_begin[tier + 1] - shape_.tier_begin[tier]; }
  const ChainShape& shape() const { return shape_; }

  // Emits every checkpoint in ledger order; call once.
  void Run(const Sink& sink) {
    Harvests(sink);
    for (int t = 1; t <= 3; ++t) Transformations(t, sink);
    Packing(sink);
    Palletising(sink);
  }

 private:
  v1::Checkpoint Base(const std::string& type, int64_t time_ms, const std::string& step) {
    char id[64];
    std::snprintf(id, sizeof(id), "urn:uuid:6c1a9e00-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(++events_));
    v1::Checkpoint cp;
    cp.set_schema_version(ledger::kSchemaVersion);
    cp.set_event_id(id);
    cp.set_type(type);
    cp.set_event_time_ms(time_ms);
    cp.set_biz_step("https://ref.gs1.org/cbv/BizStep-" + step);
    cp.set_payload_hash(HashBytes(Sha256(id)));
    ++shape_.checkpoints;
    return cp;
  }
  void Edge(uint32_t from, uint32_t to) { shape_.edges.emplace_back(from, to); }
  // `n` distinct inputs of tier `t`, heavy-tailed.
  std::vector<uint32_t> Inputs(int t, int n) {
    std::vector<uint32_t> out;
    while (static_cast<int>(out.size()) < n) {
      const uint32_t pick = shape_.tier_begin[t] + static_cast<uint32_t>(rng_.Skewed(Size(t)));
      if (std::find(out.begin(), out.end(), pick) == out.end()) out.push_back(pick);
    }
    return out;
  }
  static void AddClass(google::protobuf::RepeatedPtrField<v1::Quantity>* list,
                       const std::string& cls) {
    v1::Quantity* q = list->Add();
    q->set_epc_class(cls);
    q->set_quantity("100");
    q->set_uom("KGM");
  }

  // Every farm lot commissioned by its grower.
  void Harvests(const Sink& sink) {
    for (uint32_t i = 0; i < Size(0); ++i) {
      v1::Checkpoint cp = Base("ObjectEvent", kStartMs + i * 10, "commissioning");
      cp.set_action("ADD");
      AddClass(cp.mutable_quantity_list(), shape_.ids[shape_.tier_begin[0] + i]);
      cp.set_disposition("https://ref.gs1.org/cbv/Disp-active");
      sink(cp, "b");
    }
  }

  // Every lot of tier t made from kFanIn[t] lots of tier t-1.
  void Transformations(int t, const Sink& sink) {
    for (uint32_t i = 0; i < Size(t); ++i) {
      const uint32_t out = shape_.tier_begin[t] + i;
      v1::Checkpoint cp =
          Base("TransformationEvent", kStartMs + t * 30 * kDayMs + i * 10, "commissioning");
      for (uint32_t in : Inputs(t - 1, kFanIn[t])) {
        AddClass(cp.mutable_input_quantity_list(), shape_.ids[in]);
        Edge(in, out);
      }
      AddClass(cp.mutable_output_quantity_list(), shape_.ids[out]);
      cp.set_biz_location(shape_.glns[0]);
      sink(cp, "a");
    }
  }

  // Packing runs: 2 finished lots into kCasesPerRun cases.
  void Packing(const Sink& sink) {
    for (uint32_t first = 0; first < Size(4); first += kCasesPerRun) {
      v1::Checkpoint cp =
          Base("TransformationEvent", kStartMs + 120 * kDayMs + first * 10, "packing");
      const std::vector<uint32_t> inputs = Inputs(3, kFanIn[4]);
      for (uint32_t in : inputs) AddClass(cp.mutable_input_quantity_list(), shape_.ids[in]);
      for (uint32_t c = first; c < std::min(first + kCasesPerRun, Size(4)); ++c) {
        const uint32_t out = shape_.tier_begin[4] + c;
        cp.add_output_epc_list(shape_.ids[out]);
        for (uint32_t in : inputs) Edge(in, out);
      }
      cp.set_biz_location(shape_.glns[0]);
      sink(cp, "a");
    }
  }

  // Cases onto pallets (ADD), each pallet shipped to the distribution centre; there every
  // pallet is emptied (DELETE without children), the cases packed again onto pallets in another
  // order and shipped to retailers.
  void Palletising(const Sink& sink) {
    const uint32_t cases = Size(4), pallets = Size(5);
    for (int round = 0; round < 2; ++round) {
      std::vector<uint32_t> order(cases);
      for (uint32_t c = 0; c < cases; ++c) order[c] = shape_.tier_begin[4] + c;
      if (round == 1) {
        for (uint32_t c = cases - 1; c > 0; --c) std::swap(order[c], order[rng_.Below(c + 1)]);
      }
      // Split the cases into `pallets` runs of random length (about cases/pallets each).
      std::vector<uint32_t> cut{0};
      for (uint32_t p = 1; p < pallets; ++p) {
        cut.push_back(static_cast<uint32_t>(static_cast<uint64_t>(cases) * p / pallets));
      }
      cut.push_back(cases);
      const int64_t t0 = kStartMs + (150 + 30 * round) * kDayMs;
      for (uint32_t p = 0; p < pallets; ++p) {
        const uint32_t pallet = shape_.tier_begin[5] + p;
        const int64_t t = t0 + p * 10;
        v1::Checkpoint add = Base("AggregationEvent", t, "packing");
        add.set_action("ADD");
        add.set_parent_id(shape_.ids[pallet]);
        for (uint32_t c = cut[p]; c < cut[p + 1]; ++c) {
          add.add_child_epcs(shape_.ids[order[c]]);
          Edge(order[c], pallet);
        }
        add.set_biz_location(shape_.glns[round]);
        sink(add, round == 0 ? "a" : "b");
        v1::Checkpoint ship = Base("ObjectEvent", t + 3600000, "shipping");
        ship.set_action("OBSERVE");
        ship.set_disposition("https://ref.gs1.org/cbv/Disp-in_transit");
        ship.add_epc_list(shape_.ids[pallet]);
        ship.set_biz_location(shape_.glns[round]);
        v1::TypedId* s = ship.add_source_list();
        s->set_type("https://ref.gs1.org/cbv/SDT-owning_party");
        s->set_id(shape_.glns[round]);
        v1::TypedId* d = ship.add_destination_list();
        d->set_type("https://ref.gs1.org/cbv/SDT-owning_party");
        d->set_id(round == 0 ? shape_.glns[1] : shape_.glns[2 + rng_.Below(kRetailers)]);
        sink(ship, round == 0 ? "a" : "b");
      }
      if (round == 1) break;
      for (uint32_t p = 0; p < pallets; ++p) {
        v1::Checkpoint clear = Base("AggregationEvent", t0 + 20 * kDayMs + p * 10, "unpacking");
        clear.set_action("DELETE");
        clear.set_parent_id(shape_.ids[shape_.tier_begin[5] + p]);
        clear.set_biz_location(shape_.glns[1]);
        sink(clear, "b");
      }
    }
  }

  Rng rng_;
  ChainShape shape_;
  uint64_t events_ = 0;
};

// --- SQLite ------------------------------------------------------------------------------------

// Two ways to hold the graph in SQLite, both in memory with a page cache larger than the data:
//   kEdgeTable  the plain baseline: edges(src TEXT, dst TEXT) of identifiers, an index on each
//               column;
//   kTuned      integer keys: nodes(id INTEGER PRIMARY KEY, uri TEXT UNIQUE) and
//               edges(src INTEGER, dst INTEGER) with covering indexes (src, dst) and (dst, src),
//               identifiers joined back at the end.
enum class Schema { kEdgeTable, kTuned };

class Sqlite {
 public:
  explicit Sqlite(Schema schema) : schema_(schema) {
    Check(sqlite3_open(":memory:", &db_), "open");
  }
  ~Sqlite() {
    for (sqlite3_stmt* s : {down_, up_}) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite: %s: %s\n", sql, err);
      std::exit(1);
    }
  }
  void Load(const ChainShape& shape) {
    Exec(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4000000;"
        "PRAGMA temp_store=MEMORY;");
    if (schema_ == Schema::kEdgeTable) {
      LoadEdgeTable(shape);
    } else {
      LoadTuned(shape);
    }
  }

 private:
  void LoadEdgeTable(const ChainShape& shape) {
    Exec("CREATE TABLE edges(src TEXT NOT NULL, dst TEXT NOT NULL);");
    Exec("BEGIN");
    sqlite3_stmt* ins = Prepare("INSERT INTO edges(src, dst) VALUES(?1, ?2)");
    for (const auto& [src, dst] : shape.edges) {
      const std::string& a = shape.ids[src];
      const std::string& b = shape.ids[dst];
      sqlite3_bind_text(ins, 1, a.data(), static_cast<int>(a.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 2, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
      Check(sqlite3_step(ins), "insert edge", SQLITE_DONE);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    Exec("COMMIT");
    Exec("CREATE INDEX edges_src ON edges(src); CREATE INDEX edges_dst ON edges(dst); ANALYZE;");
    // UNION (not UNION ALL) drops repeated (id, depth) rows, so a node reached over many paths
    // is expanded once per depth; the same depth limit as the index.
    const char* kWalk =
        "WITH RECURSIVE walk(id, depth) AS ("
        " SELECT ?1, 0"
        " UNION"
        " SELECT e.%s, w.depth + 1 FROM walk w JOIN edges e ON e.%s = w.id WHERE w.depth < ?2)"
        " SELECT id, MIN(depth) FROM walk GROUP BY id";
    char sql[512];
    std::snprintf(sql, sizeof(sql), kWalk, "dst", "src");
    down_ = Prepare(sql);
    std::snprintf(sql, sizeof(sql), kWalk, "src", "dst");
    up_ = Prepare(sql);
  }

  void LoadTuned(const ChainShape& shape) {
    Exec(
        "CREATE TABLE nodes(id INTEGER PRIMARY KEY, uri TEXT NOT NULL);"
        "CREATE TABLE edges(src INTEGER NOT NULL, dst INTEGER NOT NULL);");
    Exec("BEGIN");
    sqlite3_stmt* ins = Prepare("INSERT INTO nodes(id, uri) VALUES(?1, ?2)");
    for (size_t i = 0; i < shape.ids.size(); ++i) {
      sqlite3_bind_int64(ins, 1, static_cast<int64_t>(i));
      sqlite3_bind_text(ins, 2, shape.ids[i].data(), static_cast<int>(shape.ids[i].size()),
                        SQLITE_STATIC);
      Check(sqlite3_step(ins), "insert node", SQLITE_DONE);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ins = Prepare("INSERT INTO edges(src, dst) VALUES(?1, ?2)");
    for (const auto& [src, dst] : shape.edges) {
      sqlite3_bind_int64(ins, 1, src);
      sqlite3_bind_int64(ins, 2, dst);
      Check(sqlite3_step(ins), "insert edge", SQLITE_DONE);
      sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    Exec("COMMIT");
    Exec(
        "CREATE INDEX edges_src ON edges(src, dst); CREATE INDEX edges_dst ON edges(dst, src);"
        "CREATE UNIQUE INDEX nodes_uri ON nodes(uri); ANALYZE;");
    const char* kWalk =
        "WITH RECURSIVE walk(id, depth) AS ("
        " SELECT id, 0 FROM nodes WHERE uri = ?1"
        " UNION"
        " SELECT e.%s, w.depth + 1 FROM walk w JOIN edges e ON e.%s = w.id WHERE w.depth < ?2)"
        " SELECT n.uri, MIN(w.depth) FROM walk w JOIN nodes n ON n.id = w.id GROUP BY w.id";
    char sql[512];
    std::snprintf(sql, sizeof(sql), kWalk, "dst", "src");
    down_ = Prepare(sql);
    std::snprintf(sql, sizeof(sql), kWalk, "src", "dst");
    up_ = Prepare(sql);
  }

 public:
  // Every (identifier, depth) of the trace, copied out as the index's answer is.
  std::vector<std::pair<std::string, int>> Trace(const std::string& uri, bool down, int depth) {
    sqlite3_stmt* s = down ? down_ : up_;
    sqlite3_bind_text(s, 1, uri.data(), static_cast<int>(uri.size()), SQLITE_STATIC);
    sqlite3_bind_int(s, 2, depth);
    std::vector<std::pair<std::string, int>> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                       sqlite3_column_int(s, 1));
    }
    Check(rc, "trace", SQLITE_DONE);
    sqlite3_reset(s);
    return out;
  }

 private:
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), sql);
    return s;
  }
  void Check(int rc, const char* what, int want = SQLITE_OK) {
    if (rc == want) return;
    std::fprintf(stderr, "sqlite: %s: %s\n", what, sqlite3_errmsg(db_));
    std::exit(1);
  }
  Schema schema_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* down_ = nullptr;
  sqlite3_stmt* up_ = nullptr;
};

// --- measurements ------------------------------------------------------------------------------

void Emit(const json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

double Micros(Clock::time_point t0) { return SecondsSince(t0) * 1e6; }

// Applies every generated checkpoint to `graph` (1,000 per synthetic block).
ChainShape BuildInMemory(uint64_t lots, uint64_t seed, lineage::LotGraph* graph) {
  ChainGenerator gen(lots, seed);
  uint64_t n = 0;
  gen.Run([&](const v1::Checkpoint& cp, const std::string& org) {
    const ledger::CheckpointLocation loc{1 + n / 1000, 0, static_cast<uint32_t>(n % 1000)};
    ++n;
    const Status st = graph->ApplyCheckpoint(cp, {loc, org});
    TRACERY_CHECK(st.ok());
  });
  return gen.shape();
}

void RunQueries(const ChainShape& shape, const lineage::LotGraph& graph, Sqlite* plain,
                Sqlite* tuned, uint64_t queries, uint32_t depth, uint64_t seed) {
  Rng rng(seed ^ 0x51ed);
  lineage::QueryOptions o;
  o.max_depth = depth;
  o.max_nodes = lineage::kMaxNodes;
  o.max_edges = lineage::kMaxEdges;
  std::vector<double> all_ours, all_full, all_plain, all_tuned;  // every trace of every tier
  for (int tier = 0; tier < kTiers; ++tier) {
    for (const bool down : {false, true}) {
      std::vector<uint32_t> lots;
      const uint32_t size = shape.tier_begin[tier + 1] - shape.tier_begin[tier];
      for (uint64_t q = 0; q < queries; ++q) {
        lots.push_back(shape.tier_begin[tier] + static_cast<uint32_t>(rng.Below(size)));
      }
      std::vector<double> ours, full, theirs, tuned_us;
      uint64_t nodes = 0, max_nodes = 0, edges = 0, mismatches = 0;
      const lineage::Direction dir =
          down ? lineage::Direction::kDownstream : lineage::Direction::kUpstream;
      // Each engine runs the whole stream of lots on its own, as a server would, so neither
      // evicts the other's data from the caches between two queries.
      // The same answer as the CTE's: every identifier with its depth (and its window).
      lineage::QueryOptions lean = o;
      lean.nodes_only = true;
      std::vector<size_t> sizes;
      for (uint32_t lot : lots) {
        const auto t0 = Clock::now();
        auto answer = lineage::Trace(graph, shape.ids[lot], dir, lean);
        ours.push_back(Micros(t0));
        TRACERY_CHECK(answer.ok());
        sizes.push_back(answer->nodes.size());
        nodes += answer->nodes.size();
        max_nodes = std::max<uint64_t>(max_nodes, answer->nodes.size());
      }
      // The whole answer: with every edge and the checkpoints behind it.
      for (uint32_t lot : lots) {
        const auto t0 = Clock::now();
        auto whole = lineage::Trace(graph, shape.ids[lot], dir, o);
        full.push_back(Micros(t0));
        TRACERY_CHECK(whole.ok());
        edges += whole->edges.size();
      }
      for (Sqlite* sql : {plain, tuned}) {
        for (size_t i = 0; i < lots.size(); ++i) {
          const auto t0 = Clock::now();
          const auto rows = sql->Trace(shape.ids[lots[i]], down, static_cast<int>(depth));
          (sql == plain ? theirs : tuned_us).push_back(Micros(t0));
          if (rows.size() != sizes[i]) ++mismatches;
        }
      }
      const double p50 = Percentile(ours, 0.5), p99 = Percentile(ours, 0.99);
      const double sp50 = Percentile(theirs, 0.5), sp99 = Percentile(theirs, 0.99);
      Emit({{"figure", "trace"},
            {"tier", kTierNames[tier]},
            {"direction", down ? "downstream" : "upstream"},
            {"queries", lots.size()},
            {"depth", depth},
            {"mean_nodes", static_cast<double>(nodes) / lots.size()},
            {"max_nodes", max_nodes},
            {"mean_edges", static_cast<double>(edges) / lots.size()},
            {"ours_p50_us", p50},
            {"ours_p99_us", p99},
            {"ours_full_p50_us", Percentile(full, 0.5)},
            {"ours_full_p99_us", Percentile(full, 0.99)},
            {"sqlite_p50_us", sp50},
            {"sqlite_p99_us", sp99},
            {"sqlite_tuned_p50_us", Percentile(tuned_us, 0.5)},
            {"sqlite_tuned_p99_us", Percentile(tuned_us, 0.99)},
            {"p50_speedup", sp50 / p50},
            {"p99_speedup", sp99 / p99},
            {"full_p99_speedup", sp99 / Percentile(full, 0.99)},
            {"tuned_p99_speedup", Percentile(tuned_us, 0.99) / p99},
            {"node_count_mismatches", mismatches}});
      all_ours.insert(all_ours.end(), ours.begin(), ours.end());
      all_full.insert(all_full.end(), full.begin(), full.end());
      all_plain.insert(all_plain.end(), theirs.begin(), theirs.end());
      all_tuned.insert(all_tuned.end(), tuned_us.begin(), tuned_us.end());
    }
  }
  const double p99 = Percentile(all_ours, 0.99);
  Emit({{"figure", "all_traces"},
        {"queries", all_ours.size()},
        {"ours_p50_us", Percentile(all_ours, 0.5)},
        {"ours_p99_us", p99},
        {"ours_full_p99_us", Percentile(all_full, 0.99)},
        {"sqlite_p50_us", Percentile(all_plain, 0.5)},
        {"sqlite_p99_us", Percentile(all_plain, 0.99)},
        {"sqlite_tuned_p99_us", Percentile(all_tuned, 0.99)},
        {"p99_speedup", Percentile(all_plain, 0.99) / p99},
        {"tuned_p99_speedup", Percentile(all_tuned, 0.99) / p99}});
}

// A supplier lot (farm or ingredient tier) whose downstream closure is nearest `target`.
std::string PickExposureLot(const ChainShape& shape, const lineage::LotGraph& graph,
                            uint64_t target, size_t* closure) {
  lineage::QueryOptions o;
  o.max_nodes = lineage::kMaxNodes;
  o.max_edges = lineage::kMaxEdges;
  o.nodes_only = true;
  std::string best;
  size_t best_size = 0;
  // The heavy tail puts the big suppliers at the low indexes; scan the first few hundred.
  for (int tier = 0; tier <= 1; ++tier) {
    const uint32_t size = shape.tier_begin[tier + 1] - shape.tier_begin[tier];
    for (uint32_t i = 0; i < std::min<uint32_t>(size, 400); ++i) {
      const std::string& id = shape.ids[shape.tier_begin[tier] + i];
      auto r = lineage::Downstream(graph, id, o);
      if (!r.ok()) continue;
      const size_t n = r->nodes.size();
      auto distance = [&](size_t x) { return x > target ? x - target : target - x; };
      if (best.empty() || distance(n) < distance(best_size)) {
        best = id;
        best_size = n;
      }
    }
  }
  *closure = best_size;
  return best;
}

lineage::ExposureOptions ExposureOpts(const ChainShape& shape) {
  lineage::ExposureOptions eo;
  eo.query.max_nodes = lineage::kMaxNodes;
  eo.query.max_edges = lineage::kMaxEdges;
  eo.max_handoffs = lineage::kMaxHandoffs;
  eo.orgs = &shape.orgs;
  return eo;
}

void RunExposure(const ChainShape& shape, const lineage::LotGraph& graph, uint64_t target, int runs,
                 const char* graph_name) {
  size_t closure = 0;
  const std::string lot = PickExposureLot(shape, graph, target, &closure);
  const lineage::ExposureOptions eo = ExposureOpts(shape);
  std::vector<double> ms;
  size_t handoffs = 0, checkpoints = 0, orgs = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    auto x = lineage::RecallExposure(graph, lot, eo);
    ms.push_back(SecondsSince(t0) * 1e3);
    TRACERY_CHECK(x.ok());
    handoffs = x->handoffs.size();
    checkpoints = x->lineage.checkpoints.size();
    orgs = x->receiving_orgs.size();
  }
  Emit({{"figure", "exposure"},
        {"graph", graph_name},
        {"lot", lot},
        {"exposed_identifiers", closure},
        {"handoffs", handoffs},
        {"checkpoints", checkpoints},
        {"receiving_orgs", orgs},
        {"runs", runs},
        {"p50_ms", Percentile(ms, 0.5)},
        {"max_ms", *std::max_element(ms.begin(), ms.end())}});
}

// --- ledger-backed: exposure with a proof for every step ---------------------------------------

struct LedgerBuild {
  ChainShape shape;
  double build_seconds = 0;
  uint64_t blocks = 0, txs = 0;
};

// Writes the generated checkpoints into `ledger` as signed transactions of --cps-per-tx
// checkpoints of one org, --txs-per-block per block, each block certified by the solo validator.
LedgerBuild BuildLedger(ledger::Ledger* ledger, uint64_t lots, uint64_t seed, uint32_t cps_per_tx,
                        uint32_t txs_per_block) {
  const ledger::Genesis& genesis = ledger->genesis();
  const PrivateKey key_a = ledger::testing::Key('a'), key_b = ledger::testing::Key('b');
  LedgerBuild out;
  const auto t0 = Clock::now();
  std::vector<ledger::ParsedTx> txs;
  v1::Tx tx;
  std::vector<Hash32> leaves;
  std::string tx_org;
  uint64_t nonce = 0;
  auto seal_tx = [&]() {
    if (tx.checkpoints_size() == 0) return;
    const PrivateKey& key = tx_org == "a" ? key_a : key_b;
    tx.set_schema_version(ledger::kSchemaVersion);
    tx.set_header(TxHeaderBytes(tx_org, key.public_key(), ++nonce,
                                static_cast<uint32_t>(tx.checkpoints_size()),
                                ledger::CheckpointsRoot(leaves)));
    tx.set_signature(key.Sign(Purpose::kTx, genesis.hash(), tx.header()));
    auto parsed = ledger::ParseTx(tx.SerializeAsString());
    TRACERY_CHECK(parsed.ok());
    txs.push_back(std::move(parsed).value());
    tx.Clear();
    leaves.clear();
  };
  auto seal_block = [&]() {
    if (txs.empty()) return;
    out.txs += txs.size();
    ledger::BuiltBlock built = ledger->BuildBlock(std::move(txs), "a-node", 0, 0);
    TRACERY_CHECK(built.rejected.empty());
    const v1::CommitCertificate cert =
        SoloCertificate(built.block, "a-node", key_a, genesis.hash());
    const Status st = ledger->Append(built.block, &cert);
    TRACERY_CHECK(st.ok());
    txs.clear();
    ++out.blocks;
  };
  ChainGenerator gen(lots, seed);
  gen.Run([&](const v1::Checkpoint& cp, const std::string& org) {
    if (org != tx_org || tx.checkpoints_size() >= static_cast<int>(cps_per_tx)) {
      seal_tx();
      tx_org = org;
      if (txs.size() >= txs_per_block) seal_block();
    }
    std::string* bytes = tx.add_checkpoints();
    *bytes = cp.SerializeAsString();
    leaves.push_back(ledger::LeafHash(*bytes));
  });
  seal_tx();
  seal_block();
  out.shape = gen.shape();
  out.build_seconds = SecondsSince(t0);
  return out;
}

void RunLedgerProofs(uint64_t lots, uint64_t seed, uint64_t target, int runs, uint32_t cps_per_tx,
                     uint32_t txs_per_block) {
  TempDir dir("tracery-bench-lineage-");
  const ledger::Genesis genesis = ledger::testing::TestGenesis();
  auto opened = ledger::Ledger::Open(dir.path() + "/ledger", genesis);
  TRACERY_CHECK(opened.ok());
  std::unique_ptr<ledger::Ledger> ledger = std::move(opened).value();
  const LedgerBuild built = BuildLedger(ledger.get(), lots, seed, cps_per_tx, txs_per_block);
  auto t0 = Clock::now();
  auto rebuilt = lineage::LineageIndex::Rebuild(dir.path() + "/lineage", *ledger);
  TRACERY_CHECK(rebuilt.ok());
  const double rebuild_s = SecondsSince(t0);
  std::unique_ptr<lineage::LineageIndex> index = std::move(rebuilt).value();
  index.reset();
  t0 = Clock::now();
  auto reopened = lineage::LineageIndex::Open(dir.path() + "/lineage");
  TRACERY_CHECK(reopened.ok());
  const double reopen_s = SecondsSince(t0);
  index = std::move(reopened).value();
  const lineage::GraphStats stats = index->stats();
  Emit({{"figure", "ledger"},
        {"lots", built.shape.ids.size()},
        {"edges", built.shape.edges.size()},
        {"checkpoints", built.shape.checkpoints},
        {"blocks", built.blocks},
        {"txs", built.txs},
        {"checkpoints_per_tx", cps_per_tx},
        {"txs_per_block", txs_per_block},
        {"ledger_build_s", built.build_seconds},
        {"index_rebuild_s", rebuild_s},
        {"index_rebuild_checkpoints_per_s", built.shape.checkpoints / rebuild_s},
        {"index_reopen_s", reopen_s},
        {"graph_nodes", stats.nodes},
        {"graph_edges", stats.edges},
        {"graph_memory_mb", stats.memory_bytes / 1e6}});

  size_t closure = 0;
  const std::string lot = index->Read([&](const lineage::LotGraph& g) {
    return PickExposureLot(built.shape, g, target, &closure);
  });
  const lineage::ExposureOptions eo = ExposureOpts(built.shape);
  // Steps: the checkpoints of the edges; all: with the hand-offs and dispositions too.
  auto locations = [](const lineage::Exposure& x, bool steps_only) {
    std::vector<ledger::CheckpointLocation> locs;
    std::vector<bool> pick(x.lineage.checkpoints.size(), !steps_only);
    for (const lineage::LineageEdge& e : x.lineage.edges) {
      for (uint32_t c : {e.checkpoint, e.input_checkpoint, e.end_checkpoint}) {
        if (c != lineage::kNone) pick[c] = true;
      }
    }
    for (size_t i = 0; i < pick.size(); ++i) {
      if (pick[i]) locs.push_back(x.lineage.checkpoints[i].location);
    }
    return locs;
  };
  for (const bool steps_only : {true, false}) {
    for (const bool batched : {false, true}) {
      std::vector<double> ms;
      size_t proofs = 0;
      std::vector<ledger::ProofBundle> sample;
      for (int i = 0; i < runs; ++i) {
        const auto t1 = Clock::now();
        auto x = index->RecallExposure(lot, eo);
        TRACERY_CHECK(x.ok());
        const std::vector<ledger::CheckpointLocation> locs = locations(*x, steps_only);
        std::vector<ledger::ProofBundle> bundles;
        if (batched) {
          auto b = ledger::ProveCheckpoints(*ledger, locs);
          TRACERY_CHECK(b.ok());
          bundles = std::move(b).value();
        } else {
          for (const ledger::CheckpointLocation& loc : locs) {
            auto p = ledger::ProveCheckpoint(*ledger, loc);
            TRACERY_CHECK(p.ok());
            bundles.push_back(std::move(p).value());
          }
        }
        ms.push_back(SecondsSince(t1) * 1e3);
        proofs = bundles.size();
        if (i == 0) sample = std::move(bundles);
      }
      // Offline verification of a sample (not timed): every 50th proof.
      size_t verified = 0;
      for (size_t i = 0; i < sample.size(); i += 50) {
        TRACERY_CHECK(ledger::VerifyProof(sample[i], genesis).ok());
        ++verified;
      }
      Emit({{"figure", "exposure_with_proofs"},
            {"graph", "ledger"},
            {"lot", lot},
            {"exposed_identifiers", closure},
            {"proved", steps_only ? "steps" : "steps_handoffs_dispositions"},
            {"prover", batched ? "ProveCheckpoints" : "ProveCheckpoint"},
            {"proofs", proofs},
            {"runs", runs},
            {"p50_ms", Percentile(ms, 0.5)},
            {"max_ms", *std::max_element(ms.begin(), ms.end())},
            {"verified_sample", verified}});
    }
  }
  index->Read([&](const lineage::LotGraph& g) {
    RunExposure(built.shape, g, target, runs, "ledger");
    return 0;
  });
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv,
              {"lots", "seed", "queries", "depth", "exposure-target", "exposure-runs",
               "ledger-lots", "cps-per-tx", "txs-per-block"},
              {}, kUsage);
  const uint64_t lots = static_cast<uint64_t>(flags.Int("lots", 1'000'000));
  const uint64_t seed = static_cast<uint64_t>(flags.Int("seed", 1));
  const uint64_t queries = static_cast<uint64_t>(flags.Int("queries", 200));
  const uint32_t depth = static_cast<uint32_t>(flags.Int("depth", 32));
  const uint64_t target = static_cast<uint64_t>(flags.Int("exposure-target", 10'000));
  const int runs = static_cast<int>(flags.Int("exposure-runs", 20));
  const uint64_t ledger_lots = static_cast<uint64_t>(flags.Int("ledger-lots", lots));
  const uint32_t cps_per_tx = static_cast<uint32_t>(flags.Int("cps-per-tx", 20));
  const uint32_t txs_per_block = static_cast<uint32_t>(flags.Int("txs-per-block", 10));
  if (lots < 1000 || lots > 20'000'000 || depth > lineage::kMaxDepth || queries < 1 || runs < 1 ||
      cps_per_tx < 1 || cps_per_tx > ledger::kMaxCheckpointsPerTx || txs_per_block < 1 ||
      txs_per_block > ledger::kMaxTxsPerBlock) {
    std::fprintf(stderr, "tracery_bench_lineage: a flag is out of range\n%s", kUsage);
    return 2;
  }

  lineage::LotGraph graph;
  auto t0 = Clock::now();
  const ChainShape shape = BuildInMemory(lots, seed, &graph);
  const double apply_s = SecondsSince(t0);
  const lineage::GraphStats stats = graph.stats();
  Sqlite plain(Schema::kEdgeTable), tuned(Schema::kTuned);
  t0 = Clock::now();
  plain.Load(shape);
  const double sqlite_s = SecondsSince(t0);
  t0 = Clock::now();
  tuned.Load(shape);
  const double sqlite_tuned_s = SecondsSince(t0);
  json tiers = json::object();
  for (int t = 0; t < kTiers; ++t)
    tiers[kTierNames[t]] = shape.tier_begin[t + 1] - shape.tier_begin[t];
  Emit({{"figure", "graph"},
        {"lots", shape.ids.size()},
        {"tiers", tiers},
        {"edges", shape.edges.size()},
        {"checkpoints", shape.checkpoints},
        {"seed", seed},
        {"index_nodes", stats.nodes},
        {"index_edges", stats.edges},
        {"index_memory_mb", stats.memory_bytes / 1e6},
        {"apply_s", apply_s},
        {"apply_checkpoints_per_s", shape.checkpoints / apply_s},
        {"sqlite_load_s", sqlite_s},
        {"sqlite_tuned_load_s", sqlite_tuned_s}});
  RunQueries(shape, graph, &plain, &tuned, queries, depth, seed);
  RunExposure(shape, graph, target, runs, "in_memory");
  if (ledger_lots > 0) RunLedgerProofs(ledger_lots, seed, target, runs, cps_per_tx, txs_per_block);
  return 0;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

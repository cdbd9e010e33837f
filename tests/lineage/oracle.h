// A brute-force lineage oracle, written apart from lineage/ and as plainly as possible: it keeps
// every checkpoint, derives every edge from scratch by scanning all of them (string keys,
// std::map, a regex for Digital Link instances), and answers a trace by scanning every edge once
// per layer until nothing changes. It follows the semantics of docs/lineage.md, not the code.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/ledger/ledger.h"
#include "tracery/lineage/query.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::lineage::testing {

struct OracleRecord {
  v1::Checkpoint cp;
  ledger::CheckpointLocation loc;
  std::string org;
};

// (height, tx, index); (-1, -1, -1) for none.
using Loc = std::tuple<int64_t, int64_t, int64_t>;
inline const Loc kNoLoc{-1, -1, -1};

struct NodeFacts {
  uint32_t depth = 0;
  int64_t lo = 0;
  int64_t hi = 0;
  bool operator==(const NodeFacts&) const = default;
  auto operator<=>(const NodeFacts&) const = default;
};

// kind, from, to, start, end, checkpoint, input checkpoint, end checkpoint.
using EdgeFacts = std::tuple<int, std::string, std::string, int64_t, int64_t, Loc, Loc, Loc>;

// What a trace answers, in a form both the oracle and LotGraph's answers convert to.
struct TraceFacts {
  Code code = Code::kOk;  // kOk, or the error's code (nothing else is compared then)
  std::map<std::string, NodeFacts> nodes;
  std::multiset<EdgeFacts> edges;
  bool depth_limited = false;
  std::set<std::string> cycle_nodes;
  bool operator==(const TraceFacts&) const = default;
};

// (type, id, org) of a source or destination.
using PartyFacts = std::tuple<std::string, std::string, std::string>;
struct HandoffFacts {
  std::string biz_step, disposition, biz_location, biz_location_org;
  std::vector<PartyFacts> sources, destinations;
  bool operator==(const HandoffFacts&) const = default;
};

struct ExposureFacts {
  TraceFacts trace;
  std::map<std::string, std::set<Loc>> handoffs_by_node;
  std::map<std::string, std::pair<std::string, Loc>> disposition_by_node;  // only nodes with one
  std::map<Loc, HandoffFacts> handoffs;
  std::vector<std::string> receiving_locations;
  std::vector<std::string> receiving_orgs;
  bool operator==(const ExposureFacts&) const = default;
};

class Oracle {
 public:
  explicit Oracle(std::vector<OracleRecord> records);

  TraceFacts Trace(const std::string& id, Direction direction, const QueryOptions& o) const;
  ExposureFacts Exposure(const std::string& lot, const ExposureOptions& o) const;
  // (event id, event time, org) of the checkpoint at `loc`.
  std::tuple<std::string, int64_t, std::string> Describe(const Loc& loc) const;

 private:
  struct OEdge {
    int kind;  // EdgeKind as int
    std::string from, to;
    int64_t start, end;
    int64_t event, input, end_event;  // record indexes, -1 for none
  };
  Loc LocOf(int64_t record) const;
  void DeriveNodesAndSubjects();
  void DeriveTransformEdges();
  void DeriveContainEdges();
  void DeriveMemberEdges();
  bool Live(size_t i) const { return !withdrawn_[i] && !declaration_[i]; }

  std::vector<OracleRecord> records_;
  std::vector<bool> withdrawn_;
  std::vector<bool> declaration_;
  std::set<std::string> nodes_;
  std::map<std::string, std::vector<size_t>> subjects_;  // node → record indexes, ledger order
  std::vector<OEdge> edges_;
};

}  // namespace tracery::lineage::testing

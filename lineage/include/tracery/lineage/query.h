// Lineage queries over a LotGraph: pure functions of the graph and their arguments, with no I/O.
// Semantics (which edges a trace follows, time windows, limits, cycles): docs/lineage.md.
//
// Identifiers passed in are already canonical (epcis/identifiers.h); an identifier the graph
// never saw is NotFound.
//
// Thread-safety: any number of queries may run concurrently on one graph, provided nothing
// applies blocks meanwhile (LineageIndex takes a shared lock around each query).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/ledger/genesis.h"
#include "tracery/ledger/ledger.h"
#include "tracery/lineage/graph.h"

namespace tracery::lineage {

enum class Direction : uint8_t { kUpstream = 0, kDownstream = 1 };
const char* DirectionName(Direction direction);  // "upstream", "downstream"

// Limits of one query. A request above a hard limit is InvalidArgument naming it; a trace that
// would visit more than max_nodes nodes, use more than max_edges edges or gather more than
// max_handoffs hand-offs is ResourceExhausted naming the limit, with no partial answer. Depth is
// not an error: the trace stops there and says so (Lineage::depth_limited).
inline constexpr uint32_t kDefaultMaxDepth = 32;
inline constexpr uint32_t kMaxDepth = 1024;
inline constexpr size_t kDefaultMaxNodes = 100'000;
inline constexpr size_t kMaxNodes = 10'000'000;
inline constexpr size_t kDefaultMaxEdges = 1'000'000;
inline constexpr size_t kMaxEdges = 100'000'000;
inline constexpr size_t kDefaultMaxHandoffs = 100'000;
inline constexpr size_t kMaxHandoffs = 10'000'000;

// An inclusive interval of Unix ms (UTC).
struct TimeWindow {
  int64_t from_ms = kBeginningOfTime;
  int64_t to_ms = kEndOfTime;
  bool operator==(const TimeWindow&) const = default;
};

struct QueryOptions {
  uint32_t max_depth = kDefaultMaxDepth;  // edges from the root; 0..kMaxDepth
  size_t max_nodes = kDefaultMaxNodes;    // nodes in the answer, the root included
  size_t max_edges = kDefaultMaxEdges;    // edges in the answer
  // Only the nodes (with depth and window): no edges and no checkpoints in the answer (they
  // are still followed, counted against max_edges, and checked for cycles).
  bool nodes_only = false;
  // Transformations outside it are not followed; containment is followed only for the part of
  // its interval inside it; lot membership (a fact of identity) is always followed.
  TimeWindow window;
};

// A checkpoint an answer rests on: enough to show it and to build its proof
// (ledger::ProveCheckpoint(ledger, location)). The views point into Lineage::text.
struct CheckpointRef {
  std::string_view event_id;
  int64_t event_time_ms = 0;
  ledger::CheckpointLocation location;
  std::string_view org;  // the organisation whose transaction carried it
};

struct LineageNode {
  std::string_view id;  // points into Lineage::text
  uint32_t depth = 0;   // fewest edges from the root
  // When the traced material can be in this node: the query window, narrowed by every
  // containment interval on the way (the hull over all the ways it was reached).
  TimeWindow window;
  bool incomplete = false;  // a transformation over kMaxTransformationEdges named it
};

struct LineageEdge {
  EdgeKind kind = EdgeKind::kTransform;
  uint32_t from = 0;  // index in Lineage::nodes; edges point downstream in both directions
  uint32_t to = 0;
  int64_t start_ms = 0;  // transform: event time; contain: the interval; member: unbounded
  int64_t end_ms = 0;
  uint32_t checkpoint = kNone;        // index in Lineage::checkpoints; kNone: structural
  uint32_t input_checkpoint = kNone;  // transform spanning two events: the input's checkpoint
  uint32_t end_checkpoint = kNone;    // contain: the DELETE that closed it
};

struct Lineage {
  // The bytes of every identifier, event id and organisation the answer shows, in one buffer
  // (one copy per answer instead of one allocation per string). The string_views of nodes and
  // checkpoints point into it: they stay valid while this answer, or any copy of it, lives.
  std::shared_ptr<const std::string> text;
  std::string root;
  Direction direction = Direction::kDownstream;
  // nodes[0] is the root; then by depth, and within a depth in the order the trace found them
  // (fixed by the ledger order of the edges: deterministic, and no identifiers compared).
  std::vector<LineageNode> nodes;
  std::vector<LineageEdge> edges;  // every edge the trace followed, by (from, to, kind, ...)
  std::vector<CheckpointRef> checkpoints;  // every checkpoint referenced, in ledger order
  bool depth_limited = false;              // the trace stopped at max_depth with more to follow
  // Followed edges that form a cycle (a relabel back, say). The trace terminates anyway; the
  // nodes on a cycle are listed (indexes in nodes, ascending).
  bool cycle = false;
  std::vector<uint32_t> cycle_nodes;
  bool incomplete = false;  // some node is incomplete
};

Result<Lineage> Trace(const LotGraph& graph, std::string_view id, Direction direction,
                      const QueryOptions& options);
// Everything `id` came from.
inline Result<Lineage> Upstream(const LotGraph& graph, std::string_view id,
                                const QueryOptions& options) {
  return Trace(graph, id, Direction::kUpstream, options);
}
// Everything that consumed or contained `id`, and what consumed or contained those.
inline Result<Lineage> Downstream(const LotGraph& graph, std::string_view id,
                                  const QueryOptions& options) {
  return Trace(graph, id, Direction::kDownstream, options);
}

// Location (GLN) or party identifier → organisation id. Lookup is exact, then, for a GS1
// Digital Link GLN with an extension (https://id.gs1.org/414/G/254/X), the GLN without it.
using OrgByLocation = std::map<std::string, std::string, std::less<>>;
// The GLNs each organisation of the genesis operates, as the genesis writes them. Make them
// canonical (epcis::CanonicalIdentifier) when the genesis uses EPC URNs.
OrgByLocation OrgsFromGenesis(const ledger::Genesis& genesis);
// The organisation of `id`, or "" when none is known.
std::string ResolveOrg(const OrgByLocation& orgs, std::string_view id);

struct PartyRef {
  std::string type;  // CBV source/destination type Web URI
  std::string id;
  std::string org;  // "" when unknown
};

// A checkpoint that handed an exposed identifier over (docs/lineage.md: hand-offs).
struct Handoff {
  uint32_t checkpoint = kNone;  // index in Exposure::lineage.checkpoints
  std::string biz_step;
  std::string disposition;
  std::string biz_location;
  std::string biz_location_org;
  std::vector<PartyRef> sources;
  std::vector<PartyRef> destinations;
};

struct ExposedItem {
  uint32_t node = 0;  // index in Exposure::lineage.nodes
  // Hand-offs of this identifier inside its window (indexes in Exposure::handoffs).
  std::vector<uint32_t> handoffs;
  // The disposition of its latest (event time, then ledger order) non-withdrawn checkpoint
  // that has one, whatever the window; "" when none.
  std::string disposition;
  uint32_t disposition_checkpoint = kNone;
};

struct Exposure {
  Lineage lineage;                 // the downstream closure
  std::vector<ExposedItem> items;  // one per lineage node, in the same order
  std::vector<Handoff> handoffs;   // in ledger order
  // Who and where received exposed goods: every destination of a hand-off, and the business
  // location of a receiving, arriving or accepting one. Sorted, distinct.
  std::vector<std::string> receiving_locations;
  std::vector<std::string> receiving_orgs;
};

struct ExposureOptions {
  QueryOptions query;
  size_t max_handoffs = kDefaultMaxHandoffs;
  const OrgByLocation* orgs = nullptr;  // may be null: no organisation is resolved
};

// The recall exposure of `lot`: its downstream closure, and per exposed identifier the
// hand-offs that carried it while the recalled material was in it, and its current disposition.
Result<Exposure> RecallExposure(const LotGraph& graph, std::string_view lot,
                                const ExposureOptions& options);

}  // namespace tracery::lineage

// The lot graph: every identifier that committed checkpoints name as a lineage subject (lots,
// serialised items, cases, pallets), interned to a dense uint32 node id, with the edges that
// carry material downstream. It is the in-memory half of the lineage index (index.h keeps the
// durable half) and the input of the queries (query.h). Semantics: docs/lineage.md.
//
// Edges, each oriented downstream (the direction material moves):
//   transform      input → output of a TransformationEvent; the events that share a
//                  transformation_id are one transformation (every input of any of them to
//                  every output of any of them).
//   contain        child → parent of an AggregationEvent, for one interval of time: ADD or
//                  OBSERVE opens it, DELETE naming the child (or naming no child: the parent is
//                  emptied) closes it. Intervals are recomputed whenever a later block brings an
//                  earlier-dated operation, or withdraws one.
//   member_of_lot  lot → serialised item: structurally (https://id.gs1.org/01/G/10/L/21/S is in
//                  lot .../01/G/10/L) or by the ILMD lot number of an ObjectEvent ADD or of a
//                  TransformationEvent's outputs.
// Per node it also keeps the events that name it as their subject (for hand-offs and the
// current disposition). A checkpoint with an error declaration withdraws every earlier
// checkpoint of the same organisation with its event id (or its client event id): withdrawn
// checkpoints stay in the graph, flagged, and queries skip what they state.
//
// Determinism: node, event and edge numbers are assigned in ledger order, so the same
// checkpoints in the same order build the same graph, byte for byte in every answer.
//
// Thread-compatible: const methods may run concurrently with each other; Apply* needs exclusive
// access (LineageIndex wraps it in a shared_mutex).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/ledger/block.h"
#include "tracery/ledger/ledger.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::lineage {

class StringPool;

inline constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
inline constexpr int64_t kBeginningOfTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kEndOfTime = std::numeric_limits<int64_t>::max();

// Capacity of one graph. Node and event numbers are uint32; a block that would pass either
// limit is refused whole (ResourceExhausted) and the index stays at the height before it.
inline constexpr uint32_t kMaxGraphNodes = 1u << 31;
inline constexpr uint32_t kMaxGraphEvents = 1u << 31;
// Edges one transformation (one event, or the events of one transformation_id) may create:
// every input times every output. A checkpoint that would pass it adds no edge; the nodes it
// names are flagged incomplete and every answer that reaches them says so.
inline constexpr uint64_t kMaxTransformationEdges = 1'000'000;

enum class EdgeKind : uint8_t { kTransform = 0, kContain = 1, kMemberOfLot = 2 };
// "transform", "contain", "member_of_lot".
const char* EdgeKindName(EdgeKind kind);

// One edge, oriented downstream. Times are Unix ms (UTC) and inclusive.
struct Edge {
  uint32_t from = kNone;
  uint32_t to = kNone;
  // The checkpoint (event number) that states the edge: the output's for a transform, the ADD or
  // OBSERVE that opened a containment, the ILMD event of a lot membership; kNone for a
  // structural lot membership.
  uint32_t event = kNone;
  // transform: the checkpoint that carried the input (== event within one event);
  // contain: the DELETE that closed the interval, kNone while it is open; member: kNone.
  uint32_t other_event = kNone;
  // transform: the time of `event`; contain: the interval [start_ms, end_ms] (end_ms is
  // kEndOfTime while open); member_of_lot: kBeginningOfTime..kEndOfTime (a lot membership is
  // a fact of identity, not an occurrence).
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  EdgeKind kind = EdgeKind::kTransform;
  // False once a recomputation of containment intervals replaced this edge; dead edges are no
  // longer in any adjacency list.
  bool alive = true;
};

// Flags of an event.
inline constexpr uint8_t kEventHandoff = 1;      // a shipment, receipt or other hand-off
inline constexpr uint8_t kEventDeclaration = 2;  // an error declaration (states no edges)

// A source or destination of a hand-off; type and id are StringPool ids of strings().
struct Party {
  uint32_t type = 0;
  uint32_t id = 0;
};

// One applied checkpoint. String fields are ids in strings() (0 is the empty string).
struct Event {
  uint32_t event_id = 0;  // in event_ids()
  uint32_t org = 0;       // the organisation whose transaction carried it
  uint32_t type = 0;
  uint32_t biz_step = 0;
  uint32_t disposition = 0;
  uint32_t biz_location = 0;
  int64_t time_ms = 0;
  ledger::CheckpointLocation location;
  // sources are parties_[parties_begin, +sources), destinations follow (+destinations).
  uint32_t parties_begin = 0;
  uint32_t sources = 0;
  uint32_t destinations = 0;
  uint8_t flags = 0;
};

// One entry of an adjacency list: a live edge, its kind and the node at its other end, so that
// a trace reads the edge itself only when it needs its times (containment, or a bounded window)
// or when some checkpoint has been withdrawn.
struct Arc {
  uint32_t edge = 0;
  uint32_t node = 0;
  EdgeKind kind = EdgeKind::kTransform;
};

struct Node {
  std::vector<Arc> out;  // live edges from this node (downstream), in the order added
  std::vector<Arc> in;   // live edges to this node (upstream)
  // Events that name this node as their subject, in ledger order (see docs/lineage.md).
  std::vector<uint32_t> subject_events;
};

struct GraphStats {
  uint64_t nodes = 0;
  uint64_t edges = 0;  // live edges
  uint64_t events = 0;
  uint64_t withdrawn_events = 0;
  uint64_t skipped_transformations = 0;  // checkpoints over kMaxTransformationEdges
  uint64_t memory_bytes = 0;             // approximate
};

// Where a checkpoint sits and who wrote it.
struct CheckpointMeta {
  ledger::CheckpointLocation location;
  std::string_view org;
};

// The checkpoints of one or more committed blocks, parsed, in ledger order: what LotGraph applies
// all or nothing.
struct CheckpointBatch {
  struct Entry {
    v1::Checkpoint checkpoint;
    ledger::CheckpointLocation location;
    std::string org;
  };
  std::vector<Entry> entries;
  uint64_t identifiers = 0;  // identifier fields in all entries (a bound on new nodes)

  // Parses and appends the block's checkpoints; Corruption (and nothing appended) when one
  // does not parse.
  Status AddBlock(const ledger::ParsedBlock& block);
};

class LotGraph {
 public:
  LotGraph();
  ~LotGraph();
  LotGraph(LotGraph&&) noexcept;
  LotGraph& operator=(LotGraph&&) noexcept;

  // Applies the checkpoints of one committed block in order. All or nothing: Corruption when a
  // checkpoint does not parse, ResourceExhausted when a capacity limit would be passed.
  // REQUIRES: blocks come in height order, each once.
  Status ApplyBlock(const ledger::ParsedBlock& block);
  // Applies a batch, all or nothing (CanApply first). REQUIRES: batches in ledger order.
  Status ApplyBatch(const CheckpointBatch& batch);
  // ResourceExhausted when applying `batch` could pass kMaxGraphEvents or kMaxGraphNodes.
  Status CanApply(const CheckpointBatch& batch) const;
  // Applies one checkpoint (the same code as ApplyBlock). REQUIRES: ledger order.
  Status ApplyCheckpoint(const v1::Checkpoint& cp, const CheckpointMeta& meta);

  std::optional<uint32_t> FindNode(std::string_view id) const;
  std::string_view NodeId(uint32_t node) const;
  // Hints the processor to fetch what NodeId(node) reads; `stage` 0 the offset, 1 the bytes
  // (issue stage 0 some nodes ahead of stage 1). Queries use it to overlap memory latency.
  void PrefetchNodeId(uint32_t node, int stage) const;
  // A transformation over kMaxTransformationEdges named it: some of its edges are missing.
  bool incomplete(uint32_t node) const { return incomplete_count_ > 0 && incomplete_[node] != 0; }
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  const Node& node(uint32_t n) const { return nodes_[n]; }
  const Edge& edge(uint32_t e) const { return edges_[e]; }
  uint32_t event_count() const { return static_cast<uint32_t>(events_.size()); }
  const Event& event(uint32_t ev) const { return events_[ev]; }
  bool withdrawn(uint32_t ev) const { return withdrawn_[ev] != 0; }
  // False while no checkpoint has been withdrawn: every arc is then usable as it stands.
  bool any_withdrawn() const { return withdrawn_count_ > 0; }
  std::string_view EventId(uint32_t ev) const;
  std::string_view String(uint32_t id) const;
  std::span<const Party> sources(const Event& ev) const {
    return {parties_.data() + ev.parties_begin, ev.sources};
  }
  std::span<const Party> destinations(const Event& ev) const {
    return {parties_.data() + ev.parties_begin + ev.sources, ev.destinations};
  }
  // An edge a query may follow: alive, and no checkpoint it rests on withdrawn. (Containment
  // intervals are already computed from non-withdrawn operations only.)
  bool Usable(const Edge& e) const {
    if (!e.alive) return false;
    if (e.event != kNone && withdrawn_[e.event] != 0) return false;
    return e.kind != EdgeKind::kTransform || withdrawn_[e.other_event] == 0;
  }
  GraphStats stats() const;

 private:
  // One containment operation on a (child, parent) pair or on a whole parent.
  struct ContainOp {
    int64_t time_ms = 0;
    uint32_t event = kNone;
    bool opens = false;  // ADD/OBSERVE; false: DELETE
  };
  struct PairState {
    std::vector<ContainOp> ops;
    std::vector<uint32_t> edges;  // the live contain edges of the pair, by start time
  };
  struct ParentState {
    std::vector<ContainOp> clears;   // DELETEs that named no child
    std::vector<uint32_t> children;  // every child ever paired with it, first-seen order
  };
  struct Transformation {
    std::vector<std::pair<uint32_t, uint32_t>> inputs;   // (node, event)
    std::vector<std::pair<uint32_t, uint32_t>> outputs;  // (node, event)
    uint64_t edges = 0;
  };
  static uint64_t PairKey(uint32_t child, uint32_t parent) {
    return (static_cast<uint64_t>(child) << 32) | parent;
  }
  // ResourceExhausted when `checkpoints` more events naming `identifiers` identifiers could
  // pass kMaxGraphEvents or kMaxGraphNodes.
  Status CheckCapacity(uint64_t checkpoints, uint64_t identifiers) const;
  void Apply(const v1::Checkpoint& cp, const CheckpointMeta& meta);
  uint32_t AddEvent(const v1::Checkpoint& cp, const CheckpointMeta& meta);
  uint32_t Intern(std::string_view id);
  uint32_t AddEdge(const Edge& e);
  void RemoveEdge(uint32_t e);
  void AddSubject(uint32_t node, uint32_t ev);
  void Withdraw(const v1::Checkpoint& declaration, uint32_t declaration_event);
  void MarkWithdrawn(uint32_t ev);
  void ApplyTransformation(const v1::Checkpoint& cp, uint32_t ev);
  void ApplyAggregation(const v1::Checkpoint& cp, uint32_t ev);
  void BindLot(std::string_view instance, std::string_view lot_number, uint32_t ev);
  void RecomputePair(uint32_t child, uint32_t parent);

  std::unique_ptr<StringPool> ids_;        // node identifiers
  std::unique_ptr<StringPool> event_ids_;  // event ids and client event ids
  std::unique_ptr<StringPool> strings_;    // orgs, CBV values, locations, parties, types
  std::vector<Node> nodes_;
  std::vector<uint8_t> incomplete_;  // per node
  uint64_t incomplete_count_ = 0;
  std::vector<Edge> edges_;
  uint64_t dead_edges_ = 0;
  std::vector<Event> events_;
  std::vector<uint8_t> withdrawn_;  // per event
  uint64_t withdrawn_count_ = 0;
  std::vector<Party> parties_;
  // Last event carrying each event id / client event id (ids of event_ids_), and per event the
  // previous one with the same id: chains an error declaration walks.
  std::vector<uint32_t> last_by_event_id_;
  std::vector<uint32_t> prev_same_event_id_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_client_event_id_;
  std::unordered_map<uint64_t, PairState> pairs_;
  std::unordered_map<uint32_t, ParentState> parents_;
  // Containment pairs each aggregation event touched, and the parent a child-less DELETE
  // emptied: what withdrawing that event must recompute.
  std::unordered_map<uint32_t, std::vector<uint64_t>> pairs_by_event_;
  std::unordered_map<uint32_t, uint32_t> cleared_parent_by_event_;
  std::unordered_map<uint32_t, Transformation> transformations_;  // by transformation_id string
  uint64_t skipped_transformations_ = 0;
};

}  // namespace tracery::lineage

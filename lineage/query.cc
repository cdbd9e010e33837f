#include "tracery/lineage/query.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "string_pool.h"

namespace tracery::lineage {
namespace {

constexpr std::string_view kReceivingSteps[] = {"https://ref.gs1.org/cbv/BizStep-receiving",
                                                "https://ref.gs1.org/cbv/BizStep-arriving",
                                                "https://ref.gs1.org/cbv/BizStep-accepting"};

// A node the trace reached: fewest edges from the root, and the window (hull) in which the
// traced material can be in it.
struct Reach {
  uint32_t node = 0;
  uint32_t depth = 0;
  int64_t lo = 0;
  int64_t hi = 0;
  // The window it was last expanded with; empty (lo > hi) before its first expansion. An edge
  // that could be followed then was recorded then: windows only grow, so it still can.
  int64_t expanded_lo = 1;
  int64_t expanded_hi = 0;
  uint32_t stamp = kNone;  // the last layer that queued it
};

// An edge the trace followed, with the reach slots of its two ends (downstream orientation).
struct Followed {
  uint32_t edge = 0;
  uint32_t from_slot = 0;
  uint32_t to_slot = 0;
};

struct Update {
  uint32_t node;
  uint32_t followed;  // index in Traversal::followed when this edge was followed first now
  int64_t lo;
  int64_t hi;
};

// Above this many entries, a vector or map of the scratch is released after the query.
constexpr size_t kScratchKeptEntries = 1 << 16;

template <typename T>
void ClearKeeping(std::vector<T>* v) {
  v->clear();
  if (v->capacity() > kScratchKeptEntries) std::vector<T>().swap(*v);
}

struct Traversal {
  std::vector<Reach> reach;        // reach[0] is the root
  FlatMap32 slot_of{256};          // graph node → index in reach
  std::vector<Followed> followed;  // in the order first followed
  bool depth_limited = false;
  // Working lists of Traverse.
  std::vector<uint32_t> frontier, next;
  std::vector<Update> updates;
  bool in_use = false;

  void Reset() {
    ClearKeeping(&reach);
    slot_of.Clear(kScratchKeptEntries);
    ClearKeeping(&followed);
    ClearKeeping(&frontier);
    ClearKeeping(&next);
    ClearKeeping(&updates);
    depth_limited = false;
  }
};

// Lends the calling thread's traversal state, kept between queries so that a trace allocates
// nothing for it in the common case (what a very large trace grew is released afterwards).
// Deterministic: the state is emptied before it is lent again.
class ScratchLease {
 public:
  ScratchLease() : t_(ThreadScratch()) {
    TRACERY_CHECK(!t_.in_use);  // queries do not nest
    t_.in_use = true;
  }
  ~ScratchLease() {
    t_.Reset();
    t_.in_use = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  Traversal* get() { return &t_; }

 private:
  static Traversal& ThreadScratch() {
    thread_local Traversal scratch;
    return scratch;
  }
  Traversal& t_;
};

// The window an edge carries the material into, from window [lo, hi] of the node it leaves;
// false when the edge cannot be followed with that window (docs/lineage.md, "Time").
inline bool Transfer(const Edge& e, int64_t lo, int64_t hi, const TimeWindow& q, int64_t* out_lo,
                     int64_t* out_hi) {
  switch (e.kind) {
    case EdgeKind::kTransform:
      if (e.start_ms < q.from_ms || e.start_ms > q.to_ms) return false;
      *out_lo = q.from_ms;
      *out_hi = q.to_ms;
      return true;
    case EdgeKind::kContain:
      *out_lo = std::max(lo, e.start_ms);
      *out_hi = std::min(hi, e.end_ms);
      return *out_lo <= *out_hi;
    case EdgeKind::kMemberOfLot:
      *out_lo = lo;
      *out_hi = hi;
      return true;
  }
  return false;
}

// Transfer over an arc. While nothing is withdrawn and the window is unbounded, a
// transformation or lot membership is followed without reading its edge (one memory access
// fewer per edge: most of a trace's time is waiting for memory).
class Follower {
 public:
  Follower(const LotGraph& g, const TimeWindow& q)
      : g_(g),
        q_(q),
        fast_(!g.any_withdrawn() && q.from_ms == kBeginningOfTime && q.to_ms == kEndOfTime) {}
  bool operator()(const Arc& a, int64_t lo, int64_t hi, int64_t* out_lo, int64_t* out_hi) const {
    if (lo > hi) return false;  // an empty window (a node not yet expanded) carries nothing
    if (fast_ && a.kind != EdgeKind::kContain) {
      *out_lo = a.kind == EdgeKind::kTransform ? q_.from_ms : lo;
      *out_hi = a.kind == EdgeKind::kTransform ? q_.to_ms : hi;
      return true;
    }
    const Edge& e = g_.edge(a.edge);
    return Transfer(e, lo, hi, q_, out_lo, out_hi) && g_.Usable(e);
  }

 private:
  const LotGraph& g_;
  const TimeWindow q_;
  const bool fast_;
};

Status CheckOptions(const QueryOptions& o) {
  if (o.max_depth > kMaxDepth) {
    return InvalidArgument("max_depth " + std::to_string(o.max_depth) + " is above kMaxDepth (" +
                           std::to_string(kMaxDepth) + ")");
  }
  if (o.max_nodes < 1 || o.max_nodes > kMaxNodes) {
    return InvalidArgument("max_nodes " + std::to_string(o.max_nodes) +
                           " is outside 1..kMaxNodes (" + std::to_string(kMaxNodes) + ")");
  }
  if (o.max_edges > kMaxEdges) {
    return InvalidArgument("max_edges " + std::to_string(o.max_edges) + " is above kMaxEdges (" +
                           std::to_string(kMaxEdges) + ")");
  }
  if (o.window.from_ms > o.window.to_ms) {
    return InvalidArgument("time window: from " + std::to_string(o.window.from_ms) +
                           " is after to " + std::to_string(o.window.to_ms));
  }
  return Status::Ok();
}

// How far ahead of the node being expanded the trace prefetches nodes and their arcs.
constexpr size_t kPrefetchNodes = 8;
constexpr size_t kPrefetchArcs = 4;

// Breadth-first in layers: layer k+1 is computed from the windows of layer k only (so the
// answer is the same whatever order nodes are visited in), and a node goes into the next
// layer when it is new or its window grew. Windows only grow and take finitely many values,
// so cycles terminate.
Status Traverse(const LotGraph& g, uint32_t root, Direction dir, const QueryOptions& o,
                std::string_view root_id, Traversal* t) {
  const bool down = dir == Direction::kDownstream;
  const Follower follow(g, o.window);
  t->reach.push_back({root, 0, o.window.from_ms, o.window.to_ms});
  t->slot_of.Insert(root, 0);
  std::vector<uint32_t>& frontier = t->frontier;
  std::vector<uint32_t>& next = t->next;
  std::vector<Update>& updates = t->updates;
  frontier.push_back(0);
  auto exhausted = [&](const char* limit, size_t value) {
    return ResourceExhausted(std::string(DirectionName(dir)) + " of " + std::string(root_id) +
                             " exceeds " + limit + " (" + std::to_string(value) + ")");
  };
  auto arcs_of = [&](uint32_t slot) -> const std::vector<Arc>& {
    const Node& n = g.node(t->reach[slot].node);
    return down ? n.out : n.in;
  };
  for (uint32_t layer = 0; !frontier.empty(); ++layer) {
    const bool probe = layer == o.max_depth;  // only asks whether the trace would go on
    updates.clear();
    for (size_t i = 0; i < frontier.size(); ++i) {
      if (i + kPrefetchNodes < frontier.size()) {
        __builtin_prefetch(&g.node(t->reach[frontier[i + kPrefetchNodes]].node));
      }
      if (i + kPrefetchArcs < frontier.size()) {
        const std::vector<Arc>& ahead = arcs_of(frontier[i + kPrefetchArcs]);
        if (!ahead.empty()) __builtin_prefetch(ahead.data());
      }
      const uint32_t r = frontier[i];
      const Reach from = t->reach[r];
      for (const Arc& arc : arcs_of(r)) {
        int64_t lo, hi;
        if (!follow(arc, from.lo, from.hi, &lo, &hi)) continue;
        if (probe) {
          const uint32_t* s = t->slot_of.Find(arc.node);
          if (s == nullptr || lo < t->reach[*s].lo || hi > t->reach[*s].hi) {
            t->depth_limited = true;
            return Status::Ok();
          }
          continue;
        }
        uint32_t first = kNone;
        int64_t unused_lo, unused_hi;
        if (!follow(arc, from.expanded_lo, from.expanded_hi, &unused_lo, &unused_hi)) {
          first = static_cast<uint32_t>(t->followed.size());
          t->followed.push_back({arc.edge, down ? r : kNone, down ? kNone : r});
          if (t->followed.size() > o.max_edges) return exhausted("max_edges", o.max_edges);
        }
        updates.push_back({arc.node, first, lo, hi});
      }
      if (!probe) {
        t->reach[r].expanded_lo = from.lo;
        t->reach[r].expanded_hi = from.hi;
      }
    }
    if (probe) break;
    next.clear();
    for (const Update& u : updates) {
      const uint32_t* s = t->slot_of.Find(u.node);
      uint32_t slot;
      if (s == nullptr) {
        if (t->reach.size() >= o.max_nodes) return exhausted("max_nodes", o.max_nodes);
        slot = static_cast<uint32_t>(t->reach.size());
        t->slot_of.Insert(u.node, slot);
        Reach r{u.node, layer + 1, u.lo, u.hi};
        r.stamp = layer + 1;
        t->reach.push_back(r);
        next.push_back(slot);
      } else {
        slot = *s;
        Reach& r = t->reach[slot];
        if (u.lo < r.lo || u.hi > r.hi) {
          r.lo = std::min(r.lo, u.lo);
          r.hi = std::max(r.hi, u.hi);
          if (r.stamp != layer + 1) {
            r.stamp = layer + 1;
            next.push_back(slot);
          }
        }
      }
      if (u.followed != kNone) {
        Followed& f = t->followed[u.followed];
        (down ? f.to_slot : f.from_slot) = slot;
      }
    }
    frontier.swap(next);
  }
  return Status::Ok();
}

// The checkpoints an answer refers to, numbered in ledger order (event numbers are ledger
// order).
class CheckpointTable {
 public:
  void Add(uint32_t ev) {
    if (ev != kNone) events_.push_back(ev);
  }
  void Finish() {
    std::sort(events_.begin(), events_.end());
    events_.erase(std::unique(events_.begin(), events_.end()), events_.end());
  }
  uint32_t Index(uint32_t ev) const {
    if (ev == kNone) return kNone;
    auto it = std::lower_bound(events_.begin(), events_.end(), ev);
    TRACERY_CHECK(it != events_.end() && *it == ev);
    return static_cast<uint32_t>(it - events_.begin());
  }
  // The references, their strings appended to `text`; `spans` receives (offset, size) of each
  // event id and org, to be turned into views once `text` stops growing.
  std::vector<CheckpointRef> Refs(const LotGraph& g, std::string* text,
                                  std::vector<std::pair<size_t, size_t>>* spans) const {
    std::vector<CheckpointRef> out;
    out.reserve(events_.size());
    for (uint32_t ev : events_) {
      const Event& e = g.event(ev);
      out.push_back({{}, e.time_ms, e.location, {}});
      for (std::string_view s : {g.EventId(ev), g.String(e.org)}) {
        spans->emplace_back(text->size(), s.size());
        text->append(s);
      }
    }
    return out;
  }

 private:
  std::vector<uint32_t> events_;
};

void AddEdgeEvents(const LotGraph& g, const Traversal& t, CheckpointTable* table) {
  for (const Followed& f : t.followed) {
    const Edge& edge = g.edge(f.edge);
    table->Add(edge.event);
    if (edge.other_event != edge.event) table->Add(edge.other_event);
  }
}

// Reach slots on a cycle of the followed edges (Tarjan's strongly connected components,
// iterative, over a compressed adjacency): members of a component of two or more nodes, or of
// one node with an edge to itself.
std::vector<uint32_t> CycleSlots(const Traversal& t) {
  // Along a cycle depths cannot only grow: without an edge to a node no deeper than its source,
  // the followed edges are acyclic (the common case, decided without building anything).
  bool maybe = false;
  for (const Followed& f : t.followed) {
    if (t.reach[f.to_slot].depth <= t.reach[f.from_slot].depth) {
      maybe = true;
      break;
    }
  }
  if (!maybe) return {};
  const size_t n = t.reach.size();
  std::vector<uint32_t> begin(n + 1, 0), targets(t.followed.size());
  bool self_loop_anywhere = false;
  for (const Followed& f : t.followed) {
    ++begin[f.from_slot + 1];
    self_loop_anywhere = self_loop_anywhere || f.from_slot == f.to_slot;
  }
  for (size_t i = 0; i < n; ++i) begin[i + 1] += begin[i];
  std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
  for (const Followed& f : t.followed) targets[fill[f.from_slot]++] = f.to_slot;

  std::vector<uint32_t> index(n, kNone), low(n, 0), stack, out;
  std::vector<uint8_t> on_stack(n, 0);
  uint32_t counter = 0;
  struct Frame {
    uint32_t v;
    uint32_t next;
  };
  std::vector<Frame> calls;
  for (uint32_t s = 0; s < n; ++s) {
    if (index[s] != kNone) continue;
    calls.push_back({s, begin[s]});
    index[s] = low[s] = counter++;
    stack.push_back(s);
    on_stack[s] = 1;
    while (!calls.empty()) {
      Frame& f = calls.back();
      if (f.next < begin[f.v + 1]) {
        const uint32_t w = targets[f.next++];
        if (index[w] == kNone) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = 1;
          calls.push_back({w, begin[w]});
        } else if (on_stack[w] != 0) {
          low[f.v] = std::min(low[f.v], index[w]);
        }
        continue;
      }
      const uint32_t v = f.v;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().v] = std::min(low[calls.back().v], low[v]);
      if (low[v] != index[v]) continue;
      const size_t first = out.size();
      uint32_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = 0;
        out.push_back(w);
      } while (w != v);
      if (out.size() - first > 1) continue;
      // A component of one node is a cycle only with an edge to itself.
      bool self = false;
      if (self_loop_anywhere) {
        for (uint32_t k = begin[v]; k < begin[v + 1] && !self; ++k) self = targets[k] == v;
      }
      if (!self) out.pop_back();
    }
  }
  return out;
}

// Builds the answer. Nodes are in the order the trace found them (reach slots): by depth, and
// within a depth in an order fixed by the graph (ledger order of the edges), so answers are
// deterministic without sorting identifiers. Edges are then sorted by (from, to, kind, ...).
Lineage Materialise(const LotGraph& g, const Traversal& t, std::string_view root_id, Direction dir,
                    bool nodes_only, const CheckpointTable& table) {
  Lineage out;
  out.direction = dir;
  out.depth_limited = t.depth_limited;
  const size_t n = t.reach.size();
  auto text = std::make_shared<std::string>();
  text->reserve(64 * n);  // identifiers are about 50 bytes: one allocation, usually
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, size) in text, nodes first
  spans.reserve(n);
  out.nodes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i + 16 < n) g.PrefetchNodeId(t.reach[i + 16].node, 0);
    if (i + 8 < n) g.PrefetchNodeId(t.reach[i + 8].node, 1);
    const Reach& r = t.reach[i];
    const std::string_view id = i == 0 ? root_id : g.NodeId(r.node);  // the root: what was asked
    spans.emplace_back(text->size(), id.size());
    text->append(id);
    LineageNode& node = out.nodes[i];
    node.depth = r.depth;
    node.window = {r.lo, r.hi};
    node.incomplete = g.incomplete(r.node);
    out.incomplete = out.incomplete || node.incomplete;
  }
  if (!nodes_only) out.checkpoints = table.Refs(g, text.get(), &spans);
  // text no longer grows: the views can point into it.
  auto view = [&](size_t k) {
    return std::string_view(*text).substr(spans[k].first, spans[k].second);
  };
  for (size_t i = 0; i < n; ++i) out.nodes[i].id = view(i);
  for (size_t c = 0; c < out.checkpoints.size(); ++c) {
    out.checkpoints[c].event_id = view(n + 2 * c);
    out.checkpoints[c].org = view(n + 2 * c + 1);
  }
  out.text = std::move(text);
  out.root = out.nodes[0].id;
  out.cycle_nodes = CycleSlots(t);
  std::sort(out.cycle_nodes.begin(), out.cycle_nodes.end());
  out.cycle = !out.cycle_nodes.empty();
  if (nodes_only) return out;
  out.edges.reserve(t.followed.size());
  for (const Followed& f : t.followed) {
    const Edge& edge = g.edge(f.edge);
    LineageEdge le;
    le.kind = edge.kind;
    le.from = f.from_slot;
    le.to = f.to_slot;
    le.start_ms = edge.start_ms;
    le.end_ms = edge.end_ms;
    le.checkpoint = table.Index(edge.event);
    if (edge.kind == EdgeKind::kTransform && edge.other_event != edge.event) {
      le.input_checkpoint = table.Index(edge.other_event);
    }
    if (edge.kind == EdgeKind::kContain) le.end_checkpoint = table.Index(edge.other_event);
    out.edges.push_back(le);
  }
  std::sort(out.edges.begin(), out.edges.end(), [](const LineageEdge& a, const LineageEdge& b) {
    return std::tie(a.from, a.to, a.kind, a.start_ms, a.end_ms, a.checkpoint, a.input_checkpoint,
                    a.end_checkpoint) < std::tie(b.from, b.to, b.kind, b.start_ms, b.end_ms,
                                                 b.checkpoint, b.input_checkpoint,
                                                 b.end_checkpoint);
  });
  return out;
}

Result<uint32_t> FindRoot(const LotGraph& g, std::string_view id) {
  const std::optional<uint32_t> root = g.FindNode(id);
  if (!root.has_value()) return NotFound(std::string(id) + " is not in the lineage index");
  return *root;
}

}  // namespace

const char* DirectionName(Direction direction) {
  return direction == Direction::kUpstream ? "upstream" : "downstream";
}

Result<Lineage> Trace(const LotGraph& graph, std::string_view id, Direction direction,
                      const QueryOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(const uint32_t root, FindRoot(graph, id));
  ScratchLease lease;
  Traversal& t = *lease.get();
  RETURN_IF_ERROR(Traverse(graph, root, direction, options, id, &t));
  CheckpointTable table;
  if (!options.nodes_only) AddEdgeEvents(graph, t, &table);
  table.Finish();
  return Materialise(graph, t, id, direction, options.nodes_only, table);
}

OrgByLocation OrgsFromGenesis(const ledger::Genesis& genesis) {
  OrgByLocation out;
  for (const auto& [id, org] : genesis.orgs()) {
    for (const std::string& gln : org.glns) out.emplace(gln, id);
  }
  return out;
}

std::string ResolveOrg(const OrgByLocation& orgs, std::string_view id) {
  if (auto it = orgs.find(id); it != orgs.end()) return it->second;
  constexpr std::string_view kGlnPrefix = "https://id.gs1.org/414/";
  if (id.starts_with(kGlnPrefix)) {
    const size_t ext = id.find("/254/", kGlnPrefix.size());
    if (ext != std::string_view::npos) {
      if (auto it = orgs.find(id.substr(0, ext)); it != orgs.end()) return it->second;
    }
  }
  return "";
}

Result<Exposure> RecallExposure(const LotGraph& graph, std::string_view lot,
                                const ExposureOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options.query));
  if (options.max_handoffs > kMaxHandoffs) {
    return InvalidArgument("max_handoffs " + std::to_string(options.max_handoffs) +
                           " is above kMaxHandoffs (" + std::to_string(kMaxHandoffs) + ")");
  }
  ASSIGN_OR_RETURN(const uint32_t root, FindRoot(graph, lot));
  ScratchLease lease;
  Traversal& t = *lease.get();
  RETURN_IF_ERROR(Traverse(graph, root, Direction::kDownstream, options.query, lot, &t));

  // Per reached node: its hand-offs inside its window, and its latest disposition.
  std::vector<std::vector<uint32_t>> handoff_events(t.reach.size());
  std::vector<uint32_t> disposition_event(t.reach.size(), kNone);
  FlatMap32 distinct_handoffs(64);
  CheckpointTable table;
  AddEdgeEvents(graph, t, &table);
  for (size_t r = 0; r < t.reach.size(); ++r) {
    const Reach& reach = t.reach[r];
    uint32_t latest = kNone;
    for (uint32_t ev : graph.node(reach.node).subject_events) {
      if (graph.withdrawn(ev)) continue;
      const Event& e = graph.event(ev);
      if (e.disposition != 0 &&
          (latest == kNone ||
           std::tie(e.time_ms, ev) > std::tie(graph.event(latest).time_ms, latest))) {
        latest = ev;
      }
      if ((e.flags & kEventHandoff) == 0 || e.time_ms < reach.lo || e.time_ms > reach.hi) continue;
      handoff_events[r].push_back(ev);
      table.Add(ev);
      distinct_handoffs.Insert(ev, 0);
      if (distinct_handoffs.size() > options.max_handoffs) {
        return ResourceExhausted("recall exposure of " + std::string(lot) +
                                 " exceeds max_handoffs (" + std::to_string(options.max_handoffs) +
                                 ")");
      }
    }
    disposition_event[r] = latest;
    table.Add(latest);
  }
  table.Finish();

  Exposure out;
  out.lineage = Materialise(graph, t, lot, Direction::kDownstream, false, table);

  // Hand-offs in ledger order, each once.
  std::vector<uint32_t> handoff_list;
  for (const auto& evs : handoff_events)
    handoff_list.insert(handoff_list.end(), evs.begin(), evs.end());
  std::sort(handoff_list.begin(), handoff_list.end());
  handoff_list.erase(std::unique(handoff_list.begin(), handoff_list.end()), handoff_list.end());
  std::set<std::string> locations, orgs;
  auto org_of = [&](std::string_view id) {
    return options.orgs == nullptr ? std::string() : ResolveOrg(*options.orgs, id);
  };
  auto receiver = [&](const std::string& id, const std::string& org) {
    locations.insert(id);
    if (!org.empty()) orgs.insert(org);
  };
  for (uint32_t ev : handoff_list) {
    const Event& e = graph.event(ev);
    Handoff h;
    h.checkpoint = table.Index(ev);
    h.biz_step = graph.String(e.biz_step);
    h.disposition = graph.String(e.disposition);
    h.biz_location = graph.String(e.biz_location);
    h.biz_location_org = org_of(h.biz_location);
    for (const Party& p : graph.sources(e)) {
      h.sources.push_back({std::string(graph.String(p.type)), std::string(graph.String(p.id)),
                           org_of(graph.String(p.id))});
    }
    for (const Party& p : graph.destinations(e)) {
      h.destinations.push_back({std::string(graph.String(p.type)), std::string(graph.String(p.id)),
                                org_of(graph.String(p.id))});
      receiver(h.destinations.back().id, h.destinations.back().org);
    }
    const bool receiving = std::find(std::begin(kReceivingSteps), std::end(kReceivingSteps),
                                     h.biz_step) != std::end(kReceivingSteps);
    if (receiving && !h.biz_location.empty()) receiver(h.biz_location, h.biz_location_org);
    out.handoffs.push_back(std::move(h));
  }
  out.items.resize(out.lineage.nodes.size());
  for (size_t r = 0; r < t.reach.size(); ++r) {
    ExposedItem& item = out.items[r];
    item.node = static_cast<uint32_t>(r);
    for (uint32_t ev : handoff_events[r]) {
      auto it = std::lower_bound(handoff_list.begin(), handoff_list.end(), ev);
      item.handoffs.push_back(static_cast<uint32_t>(it - handoff_list.begin()));
    }
    if (disposition_event[r] != kNone) {
      item.disposition = graph.String(graph.event(disposition_event[r]).disposition);
      item.disposition_checkpoint = table.Index(disposition_event[r]);
    }
  }
  out.receiving_locations.assign(locations.begin(), locations.end());
  out.receiving_orgs.assign(orgs.begin(), orgs.end());
  return out;
}

}  // namespace tracery::lineage

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
  uint32_t stamp = kNone;  // the last layer that queued it
};

struct Traversal {
  std::vector<Reach> reach;     // reach[0] is the root
  FlatMap32 slot_of{64};        // graph node → index in reach
  std::vector<uint32_t> edges;  // followed edges, in the order first followed
  bool depth_limited = false;
};

// The window an edge carries the material into, from window [lo, hi] of the node it leaves;
// false when the edge cannot be followed with that window (docs/lineage.md, "Time").
bool Transfer(const Edge& e, int64_t lo, int64_t hi, const TimeWindow& q, int64_t* out_lo,
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

// Breadth-first in layers: layer k+1 is computed from the windows of layer k only (so the
// answer is the same whatever order nodes are visited in), and a node goes into the next
// layer when it is new or its window grew. Windows only grow and take finitely many values,
// so cycles terminate.
Status Traverse(const LotGraph& g, uint32_t root, Direction dir, const QueryOptions& o,
                const std::string& root_id, Traversal* t) {
  const bool down = dir == Direction::kDownstream;
  t->reach.push_back({root, 0, o.window.from_ms, o.window.to_ms, 0});
  t->slot_of.Insert(root, 0);
  FlatMap32 followed(64);
  std::vector<uint32_t> frontier{0}, next;
  struct Update {
    uint32_t node;
    int64_t lo;
    int64_t hi;
  };
  std::vector<Update> updates;
  auto exhausted = [&](const char* limit, size_t value) {
    return ResourceExhausted(std::string(DirectionName(dir)) + " of " + root_id + " exceeds " +
                             limit + " (" + std::to_string(value) + ")");
  };
  for (uint32_t layer = 0; !frontier.empty(); ++layer) {
    const bool probe = layer == o.max_depth;  // only asks whether the trace would go on
    updates.clear();
    for (uint32_t r : frontier) {
      const Reach from = t->reach[r];
      const Node& node = g.node(from.node);
      for (uint32_t e : down ? node.out : node.in) {
        const Edge& edge = g.edge(e);
        if (!g.Usable(edge)) continue;
        int64_t lo, hi;
        if (!Transfer(edge, from.lo, from.hi, o.window, &lo, &hi)) continue;
        const uint32_t target = down ? edge.to : edge.from;
        if (probe) {
          const uint32_t* s = t->slot_of.Find(target);
          if (s == nullptr || lo < t->reach[*s].lo || hi > t->reach[*s].hi) {
            t->depth_limited = true;
            return Status::Ok();
          }
          continue;
        }
        if (followed.Insert(e, 0)) {
          t->edges.push_back(e);
          if (t->edges.size() > o.max_edges) return exhausted("max_edges", o.max_edges);
        }
        updates.push_back({target, lo, hi});
      }
    }
    if (probe) break;
    next.clear();
    for (const Update& u : updates) {
      const uint32_t* s = t->slot_of.Find(u.node);
      if (s == nullptr) {
        if (t->reach.size() >= o.max_nodes) return exhausted("max_nodes", o.max_nodes);
        const uint32_t slot = static_cast<uint32_t>(t->reach.size());
        t->slot_of.Insert(u.node, slot);
        t->reach.push_back({u.node, layer + 1, u.lo, u.hi, layer + 1});
        next.push_back(slot);
        continue;
      }
      Reach& r = t->reach[*s];
      if (u.lo >= r.lo && u.hi <= r.hi) continue;
      r.lo = std::min(r.lo, u.lo);
      r.hi = std::max(r.hi, u.hi);
      if (r.stamp != layer + 1) {
        r.stamp = layer + 1;
        next.push_back(*s);
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
  std::vector<CheckpointRef> Refs(const LotGraph& g) const {
    std::vector<CheckpointRef> out;
    out.reserve(events_.size());
    for (uint32_t ev : events_) {
      const Event& e = g.event(ev);
      out.push_back(
          {std::string(g.EventId(ev)), e.time_ms, e.location, std::string(g.String(e.org))});
    }
    return out;
  }

 private:
  std::vector<uint32_t> events_;
};

void AddEdgeEvents(const LotGraph& g, const Traversal& t, CheckpointTable* table) {
  for (uint32_t e : t.edges) {
    const Edge& edge = g.edge(e);
    table->Add(edge.event);
    if (edge.other_event != edge.event) table->Add(edge.other_event);
  }
}

// Nodes on a cycle of the followed edges (Tarjan's strongly connected components, iterative):
// members of a component of two or more nodes, or of one node with an edge to itself.
std::vector<uint32_t> CycleNodes(size_t n, const std::vector<LineageEdge>& edges) {
  std::vector<std::vector<uint32_t>> adj(n);
  std::vector<bool> self_loop(n, false);
  for (const LineageEdge& e : edges) {
    adj[e.from].push_back(e.to);
    if (e.from == e.to) self_loop[e.from] = true;
  }
  std::vector<uint32_t> index(n, kNone), low(n, 0), stack, out;
  std::vector<bool> on_stack(n, false);
  uint32_t counter = 0;
  struct Frame {
    uint32_t v;
    size_t next;
  };
  for (uint32_t s = 0; s < n; ++s) {
    if (index[s] != kNone) continue;
    std::vector<Frame> calls{{s, 0}};
    index[s] = low[s] = counter++;
    stack.push_back(s);
    on_stack[s] = true;
    while (!calls.empty()) {
      Frame& f = calls.back();
      if (f.next < adj[f.v].size()) {
        const uint32_t w = adj[f.v][f.next++];
        if (index[w] == kNone) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          calls.push_back({w, 0});
        } else if (on_stack[w]) {
          low[f.v] = std::min(low[f.v], index[w]);
        }
        continue;
      }
      const uint32_t v = f.v;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().v] = std::min(low[calls.back().v], low[v]);
      if (low[v] != index[v]) continue;
      std::vector<uint32_t> component;
      uint32_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        component.push_back(w);
      } while (w != v);
      if (component.size() > 1 || self_loop[v])
        out.insert(out.end(), component.begin(), component.end());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Builds the answer: nodes ordered by (depth, id), edges by (from, to, kind, ...).
// `answer_index` receives, per reach slot, the node's index in the answer.
Lineage Materialise(const LotGraph& g, const Traversal& t, Direction dir,
                    const CheckpointTable& table, std::vector<uint32_t>* answer_index) {
  Lineage out;
  out.direction = dir;
  out.depth_limited = t.depth_limited;
  std::vector<uint32_t> order(t.reach.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin() + 1, order.end(), [&](uint32_t a, uint32_t b) {
    const Reach& ra = t.reach[a];
    const Reach& rb = t.reach[b];
    if (ra.depth != rb.depth) return ra.depth < rb.depth;
    return g.NodeId(ra.node) < g.NodeId(rb.node);
  });
  answer_index->assign(t.reach.size(), 0);
  out.nodes.reserve(order.size());
  for (uint32_t i = 0; i < order.size(); ++i) {
    const Reach& r = t.reach[order[i]];
    (*answer_index)[order[i]] = i;
    const bool incomplete = g.node(r.node).incomplete;
    out.nodes.push_back({std::string(g.NodeId(r.node)), r.depth, {r.lo, r.hi}, incomplete});
    out.incomplete = out.incomplete || incomplete;
  }
  out.root = out.nodes[0].id;
  out.edges.reserve(t.edges.size());
  for (uint32_t e : t.edges) {
    const Edge& edge = g.edge(e);
    LineageEdge le;
    le.kind = edge.kind;
    le.from = (*answer_index)[*t.slot_of.Find(edge.from)];
    le.to = (*answer_index)[*t.slot_of.Find(edge.to)];
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
  out.cycle_nodes = CycleNodes(out.nodes.size(), out.edges);
  out.cycle = !out.cycle_nodes.empty();
  out.checkpoints = table.Refs(g);
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
  Traversal t;
  RETURN_IF_ERROR(Traverse(graph, root, direction, options, std::string(id), &t));
  CheckpointTable table;
  AddEdgeEvents(graph, t, &table);
  table.Finish();
  std::vector<uint32_t> answer_index;
  return Materialise(graph, t, direction, table, &answer_index);
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
  Traversal t;
  RETURN_IF_ERROR(
      Traverse(graph, root, Direction::kDownstream, options.query, std::string(lot), &t));

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
  std::vector<uint32_t> answer_index;
  out.lineage = Materialise(graph, t, Direction::kDownstream, table, &answer_index);

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
    ExposedItem& item = out.items[answer_index[r]];
    item.node = answer_index[r];
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

#include "tracery/lineage/graph.h"

#include <algorithm>
#include <tuple>

#include "string_pool.h"
#include "tracery/lineage/lot_keys.h"

namespace tracery::lineage {
namespace {

constexpr std::string_view kObjectEvent = "ObjectEvent";
constexpr std::string_view kAggregationEvent = "AggregationEvent";
constexpr std::string_view kTransactionEvent = "TransactionEvent";
constexpr std::string_view kTransformationEvent = "TransformationEvent";
constexpr std::string_view kAssociationEvent = "AssociationEvent";

// Business steps that hand goods from one party or place to another (docs/lineage.md).
constexpr std::string_view kHandoffSteps[] = {
    "https://ref.gs1.org/cbv/BizStep-shipping", "https://ref.gs1.org/cbv/BizStep-receiving",
    "https://ref.gs1.org/cbv/BizStep-departing", "https://ref.gs1.org/cbv/BizStep-arriving",
    "https://ref.gs1.org/cbv/BizStep-accepting"};

bool IsHandoff(const v1::Checkpoint& cp) {
  const std::string& t = cp.type();
  if (t != kObjectEvent && t != kTransactionEvent && t != kAggregationEvent) return false;
  if (cp.source_list_size() > 0 || cp.destination_list_size() > 0) return true;
  return std::find(std::begin(kHandoffSteps), std::end(kHandoffSteps), cp.biz_step()) !=
         std::end(kHandoffSteps);
}

// Identifiers a checkpoint may intern (each may bring its lot too): a bound for CheckCapacity.
uint64_t IdentifierCount(const v1::Checkpoint& cp) {
  return static_cast<uint64_t>(cp.epc_list_size()) + cp.quantity_list_size() + 1 +
         cp.child_epcs_size() + cp.child_quantity_list_size() + cp.input_epc_list_size() +
         cp.input_quantity_list_size() + cp.output_epc_list_size() + cp.output_quantity_list_size();
}

}  // namespace

const char* EdgeKindName(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kTransform:
      return "transform";
    case EdgeKind::kContain:
      return "contain";
    case EdgeKind::kMemberOfLot:
      return "member_of_lot";
  }
  return "?";
}

LotGraph::LotGraph()
    : ids_(std::make_unique<StringPool>()),
      event_ids_(std::make_unique<StringPool>()),
      strings_(std::make_unique<StringPool>()) {
  strings_->Intern("");  // id 0: the empty string, for absent fields
}
LotGraph::~LotGraph() = default;
LotGraph::LotGraph(LotGraph&&) noexcept = default;
LotGraph& LotGraph::operator=(LotGraph&&) noexcept = default;

std::optional<uint32_t> LotGraph::FindNode(std::string_view id) const {
  // A trace reads the node right after finding it: fetch it while the bytes are compared.
  return ids_->Find(id, [this](uint32_t n) { __builtin_prefetch(&nodes_[n]); });
}
std::string_view LotGraph::NodeId(uint32_t node) const { return ids_->Get(node); }
void LotGraph::PrefetchNodeId(uint32_t node, int stage) const { ids_->Prefetch(node, stage); }
std::string_view LotGraph::EventId(uint32_t ev) const {
  return event_ids_->Get(events_[ev].event_id);
}
std::string_view LotGraph::String(uint32_t id) const { return strings_->Get(id); }

GraphStats LotGraph::stats() const {
  GraphStats s;
  s.nodes = nodes_.size();
  s.edges = edges_.size() - dead_edges_;
  s.events = events_.size();
  s.withdrawn_events = withdrawn_count_;
  s.skipped_transformations = skipped_transformations_;
  uint64_t bytes = ids_->arena_bytes() + event_ids_->arena_bytes() + strings_->arena_bytes();
  bytes += (ids_->size() + event_ids_->size()) * 16ull;  // offsets and hash slots
  bytes += nodes_.capacity() * sizeof(Node) + edges_.capacity() * sizeof(Edge);
  for (const Node& n : nodes_) {
    bytes += (n.out.capacity() + n.in.capacity()) * sizeof(Arc) + n.subject_events.capacity() * 4;
  }
  bytes += events_.capacity() * (sizeof(Event) + 1 + 4) + parties_.capacity() * sizeof(Party);
  bytes += last_by_event_id_.capacity() * 4;
  s.memory_bytes = bytes;
  return s;
}

Status LotGraph::CheckCapacity(uint64_t checkpoints, uint64_t identifiers) const {
  if (events_.size() + checkpoints > kMaxGraphEvents) {
    return ResourceExhausted("lineage graph: " + std::to_string(events_.size() + checkpoints) +
                             " events would exceed kMaxGraphEvents (" +
                             std::to_string(kMaxGraphEvents) + ")");
  }
  if (nodes_.size() + 2 * identifiers > kMaxGraphNodes) {
    return ResourceExhausted(
        "lineage graph: up to " + std::to_string(nodes_.size() + 2 * identifiers) +
        " identifiers would exceed kMaxGraphNodes (" + std::to_string(kMaxGraphNodes) + ")");
  }
  return Status::Ok();
}

Status CheckpointBatch::AddBlock(const ledger::ParsedBlock& block) {
  const uint64_t height = block.header.height();
  std::vector<Entry> parsed;
  uint64_t identifiers = 0;
  for (size_t pos = 0; pos < block.txs.size(); ++pos) {
    const ledger::ParsedTx& tx = block.txs[pos];
    for (int i = 0; i < tx.tx.checkpoints_size(); ++i) {
      Entry e;
      if (!e.checkpoint.ParseFromString(tx.tx.checkpoints(i))) {
        return Corruption("block " + std::to_string(height) + " tx " + std::to_string(pos) +
                          " checkpoint " + std::to_string(i) + ": not a Checkpoint message");
      }
      e.location = {height, static_cast<uint32_t>(pos), static_cast<uint32_t>(i)};
      e.org = tx.header.org();
      identifiers += IdentifierCount(e.checkpoint);
      parsed.push_back(std::move(e));
    }
  }
  for (Entry& e : parsed) entries.push_back(std::move(e));
  this->identifiers += identifiers;
  return Status::Ok();
}

Status LotGraph::ApplyBlock(const ledger::ParsedBlock& block) {
  CheckpointBatch batch;
  RETURN_IF_ERROR(batch.AddBlock(block));
  return ApplyBatch(batch);
}

Status LotGraph::CanApply(const CheckpointBatch& batch) const {
  return CheckCapacity(batch.entries.size(), batch.identifiers);
}

Status LotGraph::ApplyBatch(const CheckpointBatch& batch) {
  RETURN_IF_ERROR(CanApply(batch));
  for (const CheckpointBatch::Entry& e : batch.entries) {
    Apply(e.checkpoint, {e.location, e.org});
  }
  return Status::Ok();
}

Status LotGraph::ApplyCheckpoint(const v1::Checkpoint& cp, const CheckpointMeta& meta) {
  RETURN_IF_ERROR(CheckCapacity(1, IdentifierCount(cp)));
  Apply(cp, meta);
  return Status::Ok();
}

void LotGraph::Apply(const v1::Checkpoint& cp, const CheckpointMeta& meta) {
  const uint32_t ev = AddEvent(cp, meta);
  if (cp.has_error_declaration()) {
    Withdraw(cp, ev);
    return;
  }
  const std::string& type = cp.type();
  auto subjects = [&](const auto& epcs, const auto& quantities) {
    for (const std::string& id : epcs) AddSubject(Intern(id), ev);
    for (const v1::Quantity& q : quantities) AddSubject(Intern(q.epc_class()), ev);
  };
  if (type == kObjectEvent) {
    subjects(cp.epc_list(), cp.quantity_list());
    if (cp.action() == "ADD") {
      for (const std::string& id : cp.epc_list()) BindLot(id, cp.lot_number(), ev);
    }
  } else if (type == kTransactionEvent) {
    if (!cp.parent_id().empty()) AddSubject(Intern(cp.parent_id()), ev);
    subjects(cp.epc_list(), cp.quantity_list());
  } else if (type == kAggregationEvent || type == kAssociationEvent) {
    if (!cp.parent_id().empty()) AddSubject(Intern(cp.parent_id()), ev);
    subjects(cp.child_epcs(), cp.child_quantity_list());
    if (type == kAggregationEvent) ApplyAggregation(cp, ev);
  } else if (type == kTransformationEvent) {
    ApplyTransformation(cp, ev);
  }
}

uint32_t LotGraph::AddEvent(const v1::Checkpoint& cp, const CheckpointMeta& meta) {
  const uint32_t index = static_cast<uint32_t>(events_.size());
  Event ev;
  ev.event_id = event_ids_->Intern(cp.event_id());
  ev.org = strings_->Intern(meta.org);
  ev.type = strings_->Intern(cp.type());
  ev.biz_step = strings_->Intern(cp.biz_step());
  ev.disposition = strings_->Intern(cp.disposition());
  ev.biz_location = strings_->Intern(cp.biz_location());
  ev.time_ms = cp.event_time_ms();
  ev.location = meta.location;
  if (cp.has_error_declaration()) {
    ev.flags |= kEventDeclaration;
  } else if (IsHandoff(cp)) {
    ev.flags |= kEventHandoff;
    ev.parties_begin = static_cast<uint32_t>(parties_.size());
    ev.sources = static_cast<uint32_t>(cp.source_list_size());
    ev.destinations = static_cast<uint32_t>(cp.destination_list_size());
    for (const v1::TypedId& s : cp.source_list()) {
      parties_.push_back({strings_->Intern(s.type()), strings_->Intern(s.id())});
    }
    for (const v1::TypedId& d : cp.destination_list()) {
      parties_.push_back({strings_->Intern(d.type()), strings_->Intern(d.id())});
    }
  }
  events_.push_back(ev);
  withdrawn_.push_back(0);
  if (ev.event_id >= last_by_event_id_.size()) last_by_event_id_.resize(ev.event_id + 1, kNone);
  prev_same_event_id_.push_back(last_by_event_id_[ev.event_id]);
  last_by_event_id_[ev.event_id] = index;
  if (!cp.client_event_id().empty()) {
    by_client_event_id_[event_ids_->Intern(cp.client_event_id())].push_back(index);
  }
  return index;
}

uint32_t LotGraph::Intern(std::string_view id) {
  bool added = false;
  const uint32_t node = ids_->Intern(id, &added);
  if (!added) return node;
  nodes_.emplace_back();
  incomplete_.push_back(0);
  // A serialised item whose URI names its lot is a member of that lot from the start.
  const std::string lot = LotOfInstance(id);
  if (!lot.empty()) {
    AddEdge(
        {Intern(lot), node, kNone, kNone, kBeginningOfTime, kEndOfTime, EdgeKind::kMemberOfLot});
  }
  return node;
}

uint32_t LotGraph::AddEdge(const Edge& e) {
  TRACERY_CHECK(edges_.size() < kNone);  // memory runs out long before 2^32 edges
  const uint32_t index = static_cast<uint32_t>(edges_.size());
  edges_.push_back(e);
  nodes_[e.from].out.push_back({index, e.to, e.kind});
  nodes_[e.to].in.push_back({index, e.from, e.kind});
  return index;
}

void LotGraph::RemoveEdge(uint32_t e) {
  Edge& edge = edges_[e];
  TRACERY_CHECK(edge.alive);
  edge.alive = false;
  ++dead_edges_;
  std::erase_if(nodes_[edge.from].out, [e](const Arc& a) { return a.edge == e; });
  std::erase_if(nodes_[edge.to].in, [e](const Arc& a) { return a.edge == e; });
}

void LotGraph::AddSubject(uint32_t node, uint32_t ev) {
  std::vector<uint32_t>& events = nodes_[node].subject_events;
  if (events.empty() || events.back() != ev) events.push_back(ev);
}

void LotGraph::BindLot(std::string_view instance, std::string_view lot_number, uint32_t ev) {
  const std::string lot = LotOfInstanceWithLotNumber(instance, lot_number);
  if (lot.empty()) return;
  const uint32_t item = Intern(instance);
  AddEdge({Intern(lot), item, ev, kNone, kBeginningOfTime, kEndOfTime, EdgeKind::kMemberOfLot});
}

// --- error declarations ------------------------------------------------------------------------

void LotGraph::Withdraw(const v1::Checkpoint& declaration, uint32_t declaration_event) {
  const uint32_t org = events_[declaration_event].org;
  auto withdraw_if_ours = [&](uint32_t ev) {
    const Event& e = events_[ev];
    if (e.org == org && (e.flags & kEventDeclaration) == 0) MarkWithdrawn(ev);
  };
  for (uint32_t ev = prev_same_event_id_[declaration_event]; ev != kNone;
       ev = prev_same_event_id_[ev]) {
    withdraw_if_ours(ev);
  }
  if (!declaration.client_event_id().empty()) {
    const auto cid = event_ids_->Find(declaration.client_event_id());
    if (cid.has_value()) {
      for (uint32_t ev : by_client_event_id_[*cid]) {
        if (ev != declaration_event) withdraw_if_ours(ev);
      }
    }
  }
}

void LotGraph::MarkWithdrawn(uint32_t ev) {
  if (withdrawn_[ev] != 0) return;
  withdrawn_[ev] = 1;
  ++withdrawn_count_;
  if (auto it = pairs_by_event_.find(ev); it != pairs_by_event_.end()) {
    for (uint64_t key : it->second) {
      RecomputePair(static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key));
    }
  }
  if (auto it = cleared_parent_by_event_.find(ev); it != cleared_parent_by_event_.end()) {
    const uint32_t parent = it->second;
    for (uint32_t child : parents_[parent].children) {
      const PairState& pair = pairs_[PairKey(child, parent)];
      const bool closed_by_it = std::any_of(pair.edges.begin(), pair.edges.end(), [&](uint32_t e) {
        return edges_[e].other_event == ev;
      });
      if (closed_by_it) RecomputePair(child, parent);
    }
  }
}

// --- transformations ---------------------------------------------------------------------------

void LotGraph::ApplyTransformation(const v1::Checkpoint& cp, uint32_t ev) {
  // Distinct inputs and outputs, in the order the checkpoint lists them.
  auto distinct = [&](const auto& epcs, const auto& quantities) {
    std::vector<uint32_t> out;
    FlatMap32 seen(static_cast<size_t>(epcs.size() + quantities.size()));
    auto add = [&](const std::string& id) {
      const uint32_t n = Intern(id);
      if (seen.Insert(n, 0)) out.push_back(n);
    };
    for (const std::string& id : epcs) add(id);
    for (const v1::Quantity& q : quantities) add(q.epc_class());
    return out;
  };
  const std::vector<uint32_t> inputs = distinct(cp.input_epc_list(), cp.input_quantity_list());
  const std::vector<uint32_t> outputs = distinct(cp.output_epc_list(), cp.output_quantity_list());
  for (uint32_t o : outputs) AddSubject(o, ev);
  for (const std::string& id : cp.output_epc_list()) BindLot(id, cp.lot_number(), ev);

  auto add = [&](uint32_t from, uint32_t to, uint32_t out_event, uint32_t in_event) {
    AddEdge({from, to, out_event, in_event, events_[out_event].time_ms, events_[out_event].time_ms,
             EdgeKind::kTransform});
  };
  auto over_limit = [&](uint64_t existing, uint64_t more) {
    if (existing + more <= kMaxTransformationEdges) return false;
    ++skipped_transformations_;
    for (const std::vector<uint32_t>* list : {&inputs, &outputs}) {
      for (uint32_t n : *list) {
        incomplete_count_ += incomplete_[n] == 0;
        incomplete_[n] = 1;
      }
    }
    return true;
  };
  if (cp.transformation_id().empty()) {
    if (over_limit(0, static_cast<uint64_t>(inputs.size()) * outputs.size())) return;
    for (uint32_t i : inputs) {
      for (uint32_t o : outputs) add(i, o, ev, ev);
    }
    return;
  }
  Transformation& t = transformations_[strings_->Intern(cp.transformation_id())];
  const uint64_t more = static_cast<uint64_t>(inputs.size()) * (t.outputs.size() + outputs.size()) +
                        static_cast<uint64_t>(t.inputs.size()) * outputs.size();
  if (over_limit(t.edges, more)) return;
  t.edges += more;
  for (uint32_t i : inputs) {
    for (const auto& [o, out_event] : t.outputs) add(i, o, out_event, ev);
  }
  for (const auto& [i, in_event] : t.inputs) {
    for (uint32_t o : outputs) add(i, o, ev, in_event);
  }
  for (uint32_t i : inputs) {
    for (uint32_t o : outputs) add(i, o, ev, ev);
  }
  for (uint32_t i : inputs) t.inputs.emplace_back(i, ev);
  for (uint32_t o : outputs) t.outputs.emplace_back(o, ev);
}

// --- aggregation -------------------------------------------------------------------------------

void LotGraph::ApplyAggregation(const v1::Checkpoint& cp, uint32_t ev) {
  if (cp.parent_id().empty()) return;  // OBSERVE without a parent states no containment
  const std::string& action = cp.action();
  const bool opens = action == "ADD" || action == "OBSERVE";
  if (!opens && action != "DELETE") return;
  const uint32_t parent = Intern(cp.parent_id());
  const ContainOp op{events_[ev].time_ms, ev, opens};
  std::vector<uint32_t> children;  // distinct, in the order the checkpoint lists them
  FlatMap32 seen(static_cast<size_t>(cp.child_epcs_size() + cp.child_quantity_list_size()));
  auto add_child = [&](const std::string& id) {
    const uint32_t n = Intern(id);
    if (seen.Insert(n, 0)) children.push_back(n);
  };
  for (const std::string& id : cp.child_epcs()) add_child(id);
  for (const v1::Quantity& q : cp.child_quantity_list()) add_child(q.epc_class());

  if (children.empty()) {
    if (opens) return;  // ADD with no children adds nothing
    // DELETE naming no child empties the parent at op.time_ms.
    ParentState& ps = parents_[parent];
    ps.clears.push_back(op);
    cleared_parent_by_event_[ev] = parent;
    for (uint32_t child : ps.children) {
      const PairState& pair = pairs_[PairKey(child, parent)];
      // The new operation is the latest in ledger order, so it falls inside an interval exactly
      // when start <= t < end (or the interval is open); only those intervals change.
      const bool splits = std::any_of(pair.edges.begin(), pair.edges.end(), [&](uint32_t e) {
        const Edge& edge = edges_[e];
        return edge.start_ms <= op.time_ms &&
               (op.time_ms < edge.end_ms || edge.end_ms == kEndOfTime);
      });
      if (splits) RecomputePair(child, parent);
    }
    return;
  }
  std::vector<uint64_t>& touched = pairs_by_event_[ev];
  for (uint32_t child : children) {
    const uint64_t key = PairKey(child, parent);
    touched.push_back(key);
    auto [it, inserted] = pairs_.try_emplace(key);
    if (inserted) parents_[parent].children.push_back(child);
    it->second.ops.push_back(op);
    RecomputePair(child, parent);
  }
}

void LotGraph::RecomputePair(uint32_t child, uint32_t parent) {
  PairState& pair = pairs_[PairKey(child, parent)];
  std::vector<ContainOp> ops;
  for (const ContainOp& op : pair.ops) {
    if (withdrawn_[op.event] == 0) ops.push_back(op);
  }
  if (auto it = parents_.find(parent); it != parents_.end()) {
    for (const ContainOp& op : it->second.clears) {
      if (withdrawn_[op.event] == 0) ops.push_back(op);
    }
  }
  // Event time first; operations at the same time in ledger order.
  std::sort(ops.begin(), ops.end(), [](const ContainOp& a, const ContainOp& b) {
    return std::tie(a.time_ms, a.event) < std::tie(b.time_ms, b.event);
  });
  std::vector<Edge> intervals;
  bool open = false;
  Edge current{child, parent, kNone, kNone, 0, kEndOfTime, EdgeKind::kContain};
  for (const ContainOp& op : ops) {
    if (op.opens && !open) {
      open = true;
      current.event = op.event;
      current.start_ms = op.time_ms;
    } else if (!op.opens && open) {
      open = false;
      current.other_event = op.event;
      current.end_ms = op.time_ms;
      intervals.push_back(current);
      current.other_event = kNone;
      current.end_ms = kEndOfTime;
    }
  }
  if (open) intervals.push_back(current);

  auto same = [&](const Edge& a, const Edge& b) {
    return a.event == b.event && a.other_event == b.other_event && a.start_ms == b.start_ms &&
           a.end_ms == b.end_ms;
  };
  if (intervals.size() == pair.edges.size() &&
      std::equal(intervals.begin(), intervals.end(), pair.edges.begin(),
                 [&](const Edge& a, uint32_t e) { return same(a, edges_[e]); })) {
    return;
  }
  for (uint32_t e : pair.edges) RemoveEdge(e);
  pair.edges.clear();
  for (const Edge& e : intervals) pair.edges.push_back(AddEdge(e));
}

}  // namespace tracery::lineage

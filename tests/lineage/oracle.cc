#include "oracle.h"

#include <algorithm>
#include <regex>

namespace tracery::lineage::testing {
namespace {

const std::regex& InstanceRegex() {
  // https://id.gs1.org/01/G[/22/V][/10/L]/21/S, no empty value, nothing else.
  static const std::regex re(
      R"(^https://id\.gs1\.org/01/([^/?#]+)(/22/[^/?#]+)?(/10/([^/?#]+))?/21/([^/?#]+)$)");
  return re;
}

std::string PercentEncode(const std::string& raw) {
  std::string out;
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : raw) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c / 16];
      out += hex[c % 16];
    }
  }
  return out;
}

// The lot named inside an instance URI, or "".
std::string StructuralLot(const std::string& id) {
  std::smatch m;
  if (!std::regex_match(id, m, InstanceRegex()) || !m[3].matched) return "";
  return "https://id.gs1.org/01/" + m[1].str() + m[2].str() + m[3].str();
}

// The lot an ILMD lot number puts an instance in, or "".
std::string IlmdLot(const std::string& id, const std::string& lot_number) {
  std::smatch m;
  if (lot_number.empty() || !std::regex_match(id, m, InstanceRegex())) return "";
  return "https://id.gs1.org/01/" + m[1].str() + m[2].str() + "/10/" + PercentEncode(lot_number);
}

std::vector<std::string> Classes(const google::protobuf::RepeatedPtrField<v1::Quantity>& q) {
  std::vector<std::string> out;
  for (const v1::Quantity& x : q) out.push_back(x.epc_class());
  return out;
}

std::vector<std::string> Concat(const google::protobuf::RepeatedPtrField<std::string>& a,
                                const google::protobuf::RepeatedPtrField<v1::Quantity>& b) {
  std::vector<std::string> out(a.begin(), a.end());
  for (const std::string& c : Classes(b)) out.push_back(c);
  return out;
}

std::vector<std::string> Distinct(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const std::string& s : v) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

bool IsHandoffStep(const std::string& step) {
  for (const char* s : {"shipping", "receiving", "departing", "arriving", "accepting"}) {
    if (step == std::string("https://ref.gs1.org/cbv/BizStep-") + s) return true;
  }
  return false;
}

bool IsReceivingStep(const std::string& step) {
  for (const char* s : {"receiving", "arriving", "accepting"}) {
    if (step == std::string("https://ref.gs1.org/cbv/BizStep-") + s) return true;
  }
  return false;
}

// Exact, or a Digital Link GLN with its /254/ extension dropped.
std::string OrgOf(const OrgByLocation* orgs, const std::string& id) {
  if (orgs == nullptr) return "";
  for (const auto& [gln, org] : *orgs) {
    if (id == gln) return org;
    const bool dl_gln = gln.rfind("https://id.gs1.org/414/", 0) == 0;
    if (dl_gln && id.rfind(gln + "/254/", 0) == 0) return org;
  }
  return "";
}

}  // namespace

Oracle::Oracle(std::vector<OracleRecord> records) : records_(std::move(records)) {
  const size_t n = records_.size();
  declaration_.assign(n, false);
  withdrawn_.assign(n, false);
  for (size_t i = 0; i < n; ++i) declaration_[i] = records_[i].cp.has_error_declaration();
  for (size_t i = 0; i < n; ++i) {
    if (!declaration_[i]) continue;
    const v1::Checkpoint& d = records_[i].cp;
    for (size_t j = 0; j < i; ++j) {
      const v1::Checkpoint& e = records_[j].cp;
      if (declaration_[j] || records_[j].org != records_[i].org) continue;
      const bool same_id = e.event_id() == d.event_id();
      const bool same_client =
          !d.client_event_id().empty() && e.client_event_id() == d.client_event_id();
      if (same_id || same_client) withdrawn_[j] = true;
    }
  }
  DeriveNodesAndSubjects();
  DeriveTransformEdges();
  DeriveContainEdges();
  DeriveMemberEdges();
}

Loc Oracle::LocOf(int64_t record) const {
  if (record < 0) return kNoLoc;
  const auto& l = records_[static_cast<size_t>(record)].loc;
  return {static_cast<int64_t>(l.height), l.tx_position, l.checkpoint_index};
}

std::tuple<std::string, int64_t, std::string> Oracle::Describe(const Loc& loc) const {
  for (const OracleRecord& r : records_) {
    if (Loc{static_cast<int64_t>(r.loc.height), r.loc.tx_position, r.loc.checkpoint_index} == loc) {
      return {r.cp.event_id(), r.cp.event_time_ms(), r.org};
    }
  }
  return {"?", 0, "?"};
}

void Oracle::DeriveNodesAndSubjects() {
  for (size_t i = 0; i < records_.size(); ++i) {
    if (declaration_[i]) continue;
    const v1::Checkpoint& cp = records_[i].cp;
    std::vector<std::string> subjects, others;
    if (cp.type() == "ObjectEvent") {
      subjects = Concat(cp.epc_list(), cp.quantity_list());
    } else if (cp.type() == "TransactionEvent") {
      if (!cp.parent_id().empty()) subjects.push_back(cp.parent_id());
      for (const std::string& s : Concat(cp.epc_list(), cp.quantity_list())) subjects.push_back(s);
    } else if (cp.type() == "AggregationEvent" || cp.type() == "AssociationEvent") {
      if (!cp.parent_id().empty()) subjects.push_back(cp.parent_id());
      for (const std::string& s : Concat(cp.child_epcs(), cp.child_quantity_list())) {
        subjects.push_back(s);
      }
    } else if (cp.type() == "TransformationEvent") {
      subjects = Concat(cp.output_epc_list(), cp.output_quantity_list());
      others = Concat(cp.input_epc_list(), cp.input_quantity_list());
    }
    for (const std::string& s : others) nodes_.insert(s);
    for (const std::string& s : subjects) {
      nodes_.insert(s);
      std::vector<size_t>& list = subjects_[s];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
  }
}

void Oracle::DeriveTransformEdges() {
  std::map<std::string, std::vector<size_t>> groups;  // transformation id → records
  std::vector<std::vector<size_t>> singles;
  for (size_t i = 0; i < records_.size(); ++i) {
    const v1::Checkpoint& cp = records_[i].cp;
    if (declaration_[i] || cp.type() != "TransformationEvent") continue;
    if (cp.transformation_id().empty()) {
      singles.push_back({i});
    } else {
      groups[cp.transformation_id()].push_back(i);
    }
  }
  for (auto& [tid, g] : groups) singles.push_back(g);
  for (const std::vector<size_t>& group : singles) {
    for (size_t a : group) {
      for (size_t b : group) {
        if (withdrawn_[a] || withdrawn_[b]) continue;
        const v1::Checkpoint& in = records_[a].cp;
        const v1::Checkpoint& out = records_[b].cp;
        for (const std::string& i :
             Distinct(Concat(in.input_epc_list(), in.input_quantity_list()))) {
          for (const std::string& o :
               Distinct(Concat(out.output_epc_list(), out.output_quantity_list()))) {
            edges_.push_back({static_cast<int>(EdgeKind::kTransform), i, o, out.event_time_ms(),
                              out.event_time_ms(), static_cast<int64_t>(b),
                              a == b ? -1 : static_cast<int64_t>(a), -1});
          }
        }
      }
    }
  }
}

void Oracle::DeriveContainEdges() {
  // Every (child, parent) any aggregation ever named, and every parent.
  std::set<std::pair<std::string, std::string>> pairs;
  auto valid_action = [](const std::string& a) {
    return a == "ADD" || a == "OBSERVE" || a == "DELETE";
  };
  for (size_t i = 0; i < records_.size(); ++i) {
    const v1::Checkpoint& cp = records_[i].cp;
    if (declaration_[i] || cp.type() != "AggregationEvent" || cp.parent_id().empty()) continue;
    if (!valid_action(cp.action())) continue;
    for (const std::string& c : Concat(cp.child_epcs(), cp.child_quantity_list())) {
      pairs.insert({c, cp.parent_id()});
    }
  }
  for (const auto& [child, parent] : pairs) {
    struct Op {
      int64_t time;
      size_t record;
      bool opens;
    };
    std::vector<Op> ops;
    for (size_t i = 0; i < records_.size(); ++i) {
      const v1::Checkpoint& cp = records_[i].cp;
      if (!Live(i) || cp.type() != "AggregationEvent" || cp.parent_id() != parent) continue;
      if (!valid_action(cp.action())) continue;
      const std::vector<std::string> children = Concat(cp.child_epcs(), cp.child_quantity_list());
      const bool opens = cp.action() != "DELETE";
      const bool names_child = std::find(children.begin(), children.end(), child) != children.end();
      if (names_child || (children.empty() && !opens)) {
        ops.push_back({cp.event_time_ms(), i, opens});
      }
    }
    std::sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) {
      return a.time != b.time ? a.time < b.time : a.record < b.record;
    });
    bool open = false;
    int64_t start = 0;
    size_t opener = 0;
    for (const Op& op : ops) {
      if (op.opens && !open) {
        open = true;
        start = op.time;
        opener = op.record;
      } else if (!op.opens && open) {
        open = false;
        edges_.push_back({static_cast<int>(EdgeKind::kContain), child, parent, start, op.time,
                          static_cast<int64_t>(opener), -1, static_cast<int64_t>(op.record)});
      }
    }
    if (open) {
      edges_.push_back({static_cast<int>(EdgeKind::kContain), child, parent, start, kEndOfTime,
                        static_cast<int64_t>(opener), -1, -1});
    }
  }
}

void Oracle::DeriveMemberEdges() {
  for (size_t i = 0; i < records_.size(); ++i) {
    const v1::Checkpoint& cp = records_[i].cp;
    if (!Live(i) || cp.lot_number().empty()) continue;
    std::vector<std::string> items;
    if (cp.type() == "ObjectEvent" && cp.action() == "ADD") {
      items.assign(cp.epc_list().begin(), cp.epc_list().end());
    } else if (cp.type() == "TransformationEvent") {
      items.assign(cp.output_epc_list().begin(), cp.output_epc_list().end());
    }
    for (const std::string& item : items) {
      const std::string lot = IlmdLot(item, cp.lot_number());
      if (lot.empty()) continue;
      nodes_.insert(lot);
      edges_.push_back({static_cast<int>(EdgeKind::kMemberOfLot), lot, item, kBeginningOfTime,
                        kEndOfTime, static_cast<int64_t>(i), -1, -1});
    }
  }
  // Withdrawn ILMD events still named their lots (the index interns them when applied).
  for (size_t i = 0; i < records_.size(); ++i) {
    const v1::Checkpoint& cp = records_[i].cp;
    if (declaration_[i] || !withdrawn_[i] || cp.lot_number().empty()) continue;
    std::vector<std::string> items;
    if (cp.type() == "ObjectEvent" && cp.action() == "ADD") {
      items.assign(cp.epc_list().begin(), cp.epc_list().end());
    } else if (cp.type() == "TransformationEvent") {
      items.assign(cp.output_epc_list().begin(), cp.output_epc_list().end());
    }
    for (const std::string& item : items) {
      const std::string lot = IlmdLot(item, cp.lot_number());
      if (!lot.empty()) nodes_.insert(lot);
    }
  }
  std::vector<std::string> all(nodes_.begin(), nodes_.end());
  for (const std::string& id : all) {
    const std::string lot = StructuralLot(id);
    if (lot.empty()) continue;
    nodes_.insert(lot);
    edges_.push_back({static_cast<int>(EdgeKind::kMemberOfLot), lot, id, kBeginningOfTime,
                      kEndOfTime, -1, -1, -1});
  }
}

TraceFacts Oracle::Trace(const std::string& id, Direction direction, const QueryOptions& o) const {
  TraceFacts out;
  if (o.max_depth > kMaxDepth || o.max_nodes < 1 || o.max_nodes > kMaxNodes ||
      o.max_edges > kMaxEdges || o.window.from_ms > o.window.to_ms) {
    out.code = Code::kInvalidArgument;
    return out;
  }
  if (nodes_.count(id) == 0) {
    out.code = Code::kNotFound;
    return out;
  }
  const bool down = direction == Direction::kDownstream;
  std::map<std::string, NodeFacts> state{{id, {0, o.window.from_ms, o.window.to_ms}}};
  std::set<size_t> used;
  // One layer: every edge leaving a reached node, with the windows of `cur`.
  auto layer = [&](const std::map<std::string, NodeFacts>& cur, uint32_t depth,
                   std::set<size_t>* used_edges) {
    std::map<std::string, NodeFacts> next = cur;
    for (size_t k = 0; k < edges_.size(); ++k) {
      const OEdge& e = edges_[k];
      auto it = cur.find(down ? e.from : e.to);
      if (it == cur.end()) continue;
      int64_t lo, hi;
      if (e.kind == static_cast<int>(EdgeKind::kTransform)) {
        if (e.start < o.window.from_ms || e.start > o.window.to_ms) continue;
        lo = o.window.from_ms;
        hi = o.window.to_ms;
      } else if (e.kind == static_cast<int>(EdgeKind::kContain)) {
        lo = std::max(it->second.lo, e.start);
        hi = std::min(it->second.hi, e.end);
        if (lo > hi) continue;
      } else {
        lo = it->second.lo;
        hi = it->second.hi;
      }
      if (used_edges != nullptr) used_edges->insert(k);
      const std::string& target = down ? e.to : e.from;
      auto jt = next.find(target);
      if (jt == next.end()) {
        next[target] = {depth + 1, lo, hi};
      } else {
        jt->second.lo = std::min(jt->second.lo, lo);
        jt->second.hi = std::max(jt->second.hi, hi);
      }
    }
    return next;
  };
  uint32_t depth = 0;
  bool fixpoint = false;
  for (; depth < o.max_depth; ++depth) {
    std::map<std::string, NodeFacts> next = layer(state, depth, &used);
    if (next == state) {
      fixpoint = true;
      break;
    }
    state = std::move(next);
  }
  if (!fixpoint) out.depth_limited = layer(state, depth, nullptr) != state;
  if (state.size() > o.max_nodes || used.size() > o.max_edges) {
    return TraceFacts{Code::kResourceExhausted, {}, {}, false, {}};
  }
  out.nodes = state;
  std::map<std::string, std::vector<std::string>> succ;
  for (size_t k : used) {
    const OEdge& e = edges_[k];
    out.edges.insert(
        {e.kind, e.from, e.to, e.start, e.end, LocOf(e.event), LocOf(e.input), LocOf(e.end_event)});
    succ[e.from].push_back(e.to);
  }
  // On a cycle: reaches itself again over followed edges.
  for (const auto& [node, facts] : state) {
    std::set<std::string> seen;
    std::vector<std::string> todo = succ[node];
    while (!todo.empty()) {
      const std::string v = todo.back();
      todo.pop_back();
      if (v == node) {
        out.cycle_nodes.insert(node);
        break;
      }
      if (!seen.insert(v).second) continue;
      for (const std::string& w : succ[v]) todo.push_back(w);
    }
  }
  return out;
}

ExposureFacts Oracle::Exposure(const std::string& lot, const ExposureOptions& o) const {
  ExposureFacts out;
  out.trace = Trace(lot, Direction::kDownstream, o.query);
  if (out.trace.code != Code::kOk) return out;
  if (o.max_handoffs > kMaxHandoffs) {
    out.trace = TraceFacts{Code::kInvalidArgument, {}, {}, false, {}};
    return out;
  }
  std::set<size_t> all_handoffs;
  std::set<std::string> locations, orgs;
  for (const auto& [node, facts] : out.trace.nodes) {
    auto it = subjects_.find(node);
    if (it == subjects_.end()) continue;
    int64_t best = -1;
    for (size_t i : it->second) {
      if (withdrawn_[i]) continue;
      const v1::Checkpoint& cp = records_[i].cp;
      if (!cp.disposition().empty()) {
        if (best < 0 || cp.event_time_ms() > records_[best].cp.event_time_ms() ||
            (cp.event_time_ms() == records_[best].cp.event_time_ms() &&
             static_cast<int64_t>(i) > best)) {
          best = static_cast<int64_t>(i);
        }
      }
      const bool type_ok = cp.type() == "ObjectEvent" || cp.type() == "TransactionEvent" ||
                           cp.type() == "AggregationEvent";
      const bool handoff =
          type_ok && (cp.source_list_size() > 0 || cp.destination_list_size() > 0 ||
                      IsHandoffStep(cp.biz_step()));
      if (!handoff || cp.event_time_ms() < facts.lo || cp.event_time_ms() > facts.hi) continue;
      out.handoffs_by_node[node].insert(LocOf(static_cast<int64_t>(i)));
      all_handoffs.insert(i);
    }
    if (best >= 0) {
      out.disposition_by_node[node] = {records_[best].cp.disposition(), LocOf(best)};
    }
  }
  if (all_handoffs.size() > o.max_handoffs) {
    out = ExposureFacts{};
    out.trace.code = Code::kResourceExhausted;
    return out;
  }
  for (size_t i : all_handoffs) {
    const v1::Checkpoint& cp = records_[i].cp;
    HandoffFacts h;
    h.biz_step = cp.biz_step();
    h.disposition = cp.disposition();
    h.biz_location = cp.biz_location();
    h.biz_location_org = OrgOf(o.orgs, cp.biz_location());
    for (const v1::TypedId& s : cp.source_list()) {
      h.sources.push_back({s.type(), s.id(), OrgOf(o.orgs, s.id())});
    }
    for (const v1::TypedId& d : cp.destination_list()) {
      h.destinations.push_back({d.type(), d.id(), OrgOf(o.orgs, d.id())});
      locations.insert(d.id());
      if (!OrgOf(o.orgs, d.id()).empty()) orgs.insert(OrgOf(o.orgs, d.id()));
    }
    if (IsReceivingStep(cp.biz_step()) && !cp.biz_location().empty()) {
      locations.insert(cp.biz_location());
      if (!h.biz_location_org.empty()) orgs.insert(h.biz_location_org);
    }
    out.handoffs[LocOf(static_cast<int64_t>(i))] = h;
  }
  out.receiving_locations.assign(locations.begin(), locations.end());
  out.receiving_orgs.assign(orgs.begin(), orgs.end());
  return out;
}

}  // namespace tracery::lineage::testing

// The lineage part of the HTTP API: traceability of a lot upstream or downstream, and the recall
// exposure of a lot, each optionally with the proof bundle of every checkpoint it rests on.
#include <charconv>
#include <nlohmann/json.hpp>

#include "api.h"
#include "tracery/core/time.h"
#include "tracery/epcis/identifiers.h"
#include "tracery/ledger/proof.h"
#include "tracery/scm_core/model_json.h"
#include "tracery/scm_core/stock_effects.h"

namespace tracery::node {
namespace {

using nlohmann::json;

std::string TimeOrOpen(int64_t ms) {
  if (ms == lineage::kBeginningOfTime || ms == lineage::kEndOfTime) return "";
  return FormatRfc3339Utc(ms);
}

json WindowJson(const lineage::TimeWindow& w) {
  json j = json::object();
  if (!TimeOrOpen(w.from_ms).empty()) j["from"] = TimeOrOpen(w.from_ms);
  if (!TimeOrOpen(w.to_ms).empty()) j["to"] = TimeOrOpen(w.to_ms);
  return j;
}

json CheckpointRefJson(const lineage::CheckpointRef& c) {
  return {{"eventID", c.event_id},
          {"eventTime", FormatRfc3339Utc(c.event_time_ms)},
          {"org", c.org},
          {"height", c.location.height},
          {"txPosition", c.location.tx_position},
          {"checkpointIndex", c.location.checkpoint_index}};
}

json LineageJson(const lineage::Lineage& l) {
  json nodes = json::array();
  for (const lineage::LineageNode& n : l.nodes) {
    json j{{"id", n.id}, {"depth", n.depth}};
    if (json w = WindowJson(n.window); !w.empty()) j["window"] = std::move(w);
    if (n.incomplete) j["incomplete"] = true;
    nodes.push_back(std::move(j));
  }
  json edges = json::array();
  for (const lineage::LineageEdge& e : l.edges) {
    json j{{"kind", lineage::EdgeKindName(e.kind)},
           {"from", l.nodes[e.from].id},
           {"to", l.nodes[e.to].id}};
    if (!TimeOrOpen(e.start_ms).empty()) j["start"] = TimeOrOpen(e.start_ms);
    if (e.kind == lineage::EdgeKind::kContain && !TimeOrOpen(e.end_ms).empty()) {
      j["end"] = TimeOrOpen(e.end_ms);
    }
    if (e.checkpoint != lineage::kNone) j["checkpoint"] = e.checkpoint;
    if (e.input_checkpoint != lineage::kNone && e.input_checkpoint != e.checkpoint) {
      j["inputCheckpoint"] = e.input_checkpoint;
    }
    if (e.end_checkpoint != lineage::kNone) j["endCheckpoint"] = e.end_checkpoint;
    edges.push_back(std::move(j));
  }
  json checkpoints = json::array();
  for (const lineage::CheckpointRef& c : l.checkpoints) checkpoints.push_back(CheckpointRefJson(c));
  json out{{"root", l.root},
           {"direction", lineage::DirectionName(l.direction)},
           {"nodes", nodes},
           {"edges", edges},
           {"checkpoints", checkpoints},
           {"depthLimited", l.depth_limited},
           {"cycle", l.cycle},
           {"incomplete", l.incomplete}};
  if (l.cycle) {
    json cyc = json::array();
    for (uint32_t i : l.cycle_nodes) cyc.push_back(l.nodes[i].id);
    out["cycleNodes"] = cyc;
  }
  return out;
}

json PartiesJson(const std::vector<lineage::PartyRef>& parties) {
  json out = json::array();
  for (const lineage::PartyRef& p : parties) {
    json j{{"type", p.type}, {"id", p.id}};
    if (!p.org.empty()) j["org"] = p.org;
    out.push_back(std::move(j));
  }
  return out;
}

json ExposureJson(const lineage::Exposure& x) {
  json out = LineageJson(x.lineage);
  json items = json::array();
  for (const lineage::ExposedItem& item : x.items) {
    json j{{"id", x.lineage.nodes[item.node].id},
           {"depth", x.lineage.nodes[item.node].depth},
           {"handoffs", item.handoffs}};
    if (!item.disposition.empty()) j["disposition"] = item.disposition;
    if (item.disposition_checkpoint != lineage::kNone) {
      j["dispositionCheckpoint"] = item.disposition_checkpoint;
    }
    items.push_back(std::move(j));
  }
  json handoffs = json::array();
  for (const lineage::Handoff& h : x.handoffs) {
    const lineage::CheckpointRef& c = x.lineage.checkpoints[h.checkpoint];
    json j{{"checkpoint", h.checkpoint},
           {"eventID", c.event_id},
           {"eventTime", FormatRfc3339Utc(c.event_time_ms)},
           {"org", c.org},
           {"sources", PartiesJson(h.sources)},
           {"destinations", PartiesJson(h.destinations)}};
    if (!h.biz_step.empty()) j["bizStep"] = h.biz_step;
    if (!h.disposition.empty()) j["disposition"] = h.disposition;
    if (!h.biz_location.empty()) j["bizLocation"] = h.biz_location;
    if (!h.biz_location_org.empty()) j["bizLocationOrg"] = h.biz_location_org;
    handoffs.push_back(std::move(j));
  }
  out["exposed"] = std::move(items);
  out["handoffs"] = std::move(handoffs);
  out["receivingLocations"] = x.receiving_locations;
  out["receivingOrgs"] = x.receiving_orgs;
  return out;
}

Result<int64_t> TimeParam(const std::map<std::string, std::string>& q, const std::string& name,
                          int64_t fallback) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  auto t = ParseRfc3339(it->second);
  if (!t.ok()) return t.status().Annotate(name);
  return t->unix_ms;
}

Result<uint64_t> CountParam(const std::map<std::string, std::string>& q, const std::string& name,
                            uint64_t fallback, uint64_t max) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || v > max) {
    return InvalidArgument(name + ": an integer from 0 to " + std::to_string(max));
  }
  return v;
}

// depth, from, to, maxNodes; every other parameter must be one of `also`.
Result<lineage::QueryOptions> OptionsFrom(const std::map<std::string, std::string>& q,
                                          std::initializer_list<std::string_view> also) {
  for (const auto& [name, value] : q) {
    bool known = name == "depth" || name == "from" || name == "to" || name == "maxNodes";
    for (std::string_view a : also) known = known || name == a;
    if (!known) return InvalidArgument(name + ": not a parameter of this resource");
  }
  lineage::QueryOptions o;
  ASSIGN_OR_RETURN(uint64_t depth, CountParam(q, "depth", o.max_depth, lineage::kMaxDepth));
  o.max_depth = static_cast<uint32_t>(depth);
  ASSIGN_OR_RETURN(o.max_nodes, CountParam(q, "maxNodes", o.max_nodes, lineage::kMaxNodes));
  ASSIGN_OR_RETURN(o.window.from_ms, TimeParam(q, "from", lineage::kBeginningOfTime));
  ASSIGN_OR_RETURN(o.window.to_ms, TimeParam(q, "to", lineage::kEndOfTime));
  if (o.window.from_ms > o.window.to_ms) return InvalidArgument("from: after to");
  return o;
}

Result<bool> ProofsParam(const std::map<std::string, std::string>& q) {
  auto it = q.find("proofs");
  if (it == q.end() || it->second == "false") return false;
  if (it->second == "true") return true;
  return InvalidArgument("proofs: true or false");
}

bool MayReadLineage(Role role) { return role != Role::kCarrier; }

}  // namespace

Status Api::AttachProofs(const std::vector<lineage::CheckpointRef>& refs, json* out) {
  std::vector<ledger::CheckpointLocation> locations;
  locations.reserve(refs.size());
  for (const lineage::CheckpointRef& r : refs) locations.push_back(r.location);
  ASSIGN_OR_RETURN(std::vector<ledger::ProofBundle> bundles,
                   ledger::ProveCheckpoints(node_->ledger(), locations));
  json proofs = json::array();
  for (const ledger::ProofBundle& b : bundles) proofs.push_back(ledger::ProofToJson(b));
  (*out)["proofs"] = std::move(proofs);  // proofs[i] proves checkpoints[i]
  (*out)["genesisHash"] = HashHex(node_->genesis().hash());
  return Status::Ok();
}

HttpResponse Api::GetTraceability(const Principal& who, const std::string& lot,
                                  const std::map<std::string, std::string>& query) {
  if (!MayReadLineage(who.role)) {
    return Problem(403, "forbidden", "Forbidden", "a carrier may not read lineage");
  }
  auto id = epcis::CanonicalIdentifier(lot);
  if (!id.ok()) return ProblemFromStatus(id.status().Annotate("lot"));
  auto options = OptionsFrom(query, {"direction", "proofs"});
  if (!options.ok()) return ProblemFromStatus(options.status());
  auto proofs = ProofsParam(query);
  if (!proofs.ok()) return ProblemFromStatus(proofs.status());
  lineage::Direction direction = lineage::Direction::kDownstream;
  if (auto it = query.find("direction"); it != query.end()) {
    if (it->second == "up") {
      direction = lineage::Direction::kUpstream;
    } else if (it->second != "down") {
      return ProblemFromStatus(InvalidArgument("direction: up or down"));
    }
  }
  if (auto behind = WaitForIndexes("the lineage index")) return *behind;
  auto lineage = direction == lineage::Direction::kUpstream
                     ? node_->lineage().Upstream(*id, *options)
                     : node_->lineage().Downstream(*id, *options);
  if (!lineage.ok()) return ProblemFromStatus(lineage.status());
  json out = LineageJson(*lineage);
  if (*proofs) {
    if (Status st = AttachProofs(lineage->checkpoints, &out); !st.ok()) return ProblemFromStatus(st);
  }
  return JsonResponse(200, out);
}

HttpResponse Api::GetExposure(const Principal& who, const std::string& lot,
                              const std::map<std::string, std::string>& query) {
  if (!MayReadLineage(who.role)) {
    return Problem(403, "forbidden", "Forbidden", "a carrier may not read recall exposure");
  }
  auto id = epcis::CanonicalIdentifier(lot);
  if (!id.ok()) return ProblemFromStatus(id.status().Annotate("lot"));
  auto options = OptionsFrom(query, {"proofs"});
  if (!options.ok()) return ProblemFromStatus(options.status());
  auto proofs = ProofsParam(query);
  if (!proofs.ok()) return ProblemFromStatus(proofs.status());
  if (auto behind = WaitForIndexes("the lineage index")) return *behind;
  lineage::ExposureOptions eo;
  eo.query = *options;
  eo.orgs = &node_->orgs_by_location();
  auto exposure = node_->lineage().RecallExposure(*id, eo);
  if (!exposure.ok()) return ProblemFromStatus(exposure.status());
  json out = ExposureJson(*exposure);
  if (who.org == node_->org()) {
    // The caller's own customer orders and shipments that carried an exposed lot.
    std::vector<std::pair<std::string, std::string>> lots;
    for (const lineage::ExposedItem& item : exposure->items) {
      scm_core::TradeItem t = scm_core::TradeItemOf(std::string(exposure->lineage.nodes[item.node].id));
      if (!t.gtin.empty()) lots.emplace_back(t.gtin, t.lot_number);
    }
    scm_core::OwnExposure own = node_->scm().operations().Exposed(lots);
    json shipments = json::array(), orders = json::array();
    for (const scm_core::Shipment& s : own.shipments) shipments.push_back(scm_core::ToJson(s));
    for (const scm_core::Order& o : own.orders) orders.push_back(scm_core::ToJson(o));
    out["ownShipments"] = std::move(shipments);
    out["ownOrders"] = std::move(orders);
  }
  if (*proofs) {
    if (Status st = AttachProofs(exposure->lineage.checkpoints, &out); !st.ok()) {
      return ProblemFromStatus(st);
    }
  }
  return JsonResponse(200, out);
}

}  // namespace tracery::node

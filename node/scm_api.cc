// The SCM part of the HTTP API (docs/api/openapi.yaml, docs/scm.md): inventory, orders,
// shipments, holds, exceptions, master data and replenishment recommendations. This is the
// node organisation's private operational data: only its own principals see it.
#include <nlohmann/json.hpp>

#include "api.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/scm_core/model_json.h"
#include "tracery/scm_core/replenishment.h"

namespace tracery::node {
namespace {

using nlohmann::json;
using scm_core::InventoryPosition;
using scm_core::Quantity;

Result<json> JsonBody(const HttpRequest& request) {
  json j = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("request body: not a JSON object");
  }
  return j;
}

bool CanPlan(Role role) {
  return role == Role::kAdmin || role == Role::kPartner || role == Role::kPlanner;
}

json LotJson(const scm_core::LotBalance& lot, bool held) {
  json j{{"gtin", lot.gtin},
         {"gln", lot.gln},
         {"lotNumber", lot.lot_number},
         {"onHand", lot.on_hand.ToString()},
         {"onHold", held}};
  if (lot.expiry_date) j["expiryDate"] = *lot.expiry_date;
  return j;
}

json AllocationJson(const scm_core::Allocation& a) {
  return {{"lineNumber", a.line_number}, {"gtin", a.gtin},         {"gln", a.gln},
          {"lotNumber", a.lot_number},   {"quantity", a.quantity.ToString()}, {"held", a.held}};
}

json ExceptionJson(const scm_core::ExceptionRecord& e) {
  json j = scm_core::ToJson(e);
  j.erase("openedAtMs");
  j.erase("closedAtMs");
  j["openedAt"] = FormatRfc3339Utc(e.opened_at_ms);
  j["open"] = e.closed_at_ms == 0;
  if (e.closed_at_ms != 0) j["closedAt"] = FormatRfc3339Utc(e.closed_at_ms);
  return j;
}

json HoldJson(const scm_core::Hold& h) {
  json j = scm_core::ToJson(h);
  j.erase("placedAtMs");
  j.erase("releasedAtMs");
  j["placedAt"] = FormatRfc3339Utc(h.placed_at_ms);
  if (!h.Active()) j["releasedAt"] = FormatRfc3339Utc(h.released_at_ms);
  return j;
}

// A string member of a JSON body, or "" when absent; InvalidArgument when not a string.
Result<std::string> StringMember(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgument(std::string(name) + ": is required");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgument(std::string(name) + ": must be a string");
  return it->get<std::string>();
}

Result<Quantity> QuantityMember(const json& j, const char* name, Quantity fallback) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return fallback;
  std::string text = it->is_number() ? it->dump() : it->is_string() ? it->get<std::string>() : "";
  auto q = Quantity::Parse(text);
  if (!q.ok()) return InvalidArgument(std::string(name) + ": " + q.status().message());
  return *q;
}

Result<int> IntMember(const json& j, const char* name, int fallback) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) return InvalidArgument(std::string(name) + ": must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < -1'000'000 || v > 1'000'000) return InvalidArgument(std::string(name) + ": out of range");
  return static_cast<int>(v);
}

Result<scm_core::ReplenishmentRequest> ParseReplenishment(const json& j) {
  scm_core::ReplenishmentRequest r;
  ASSIGN_OR_RETURN(r.gln, StringMember(j, "location", true));
  ASSIGN_OR_RETURN(r.gtin, StringMember(j, "item", true));
  if (!scm_core::IsValidGln(r.gln)) return InvalidArgument("location: not a GLN with a valid check digit");
  if (!scm_core::IsValidGtin(r.gtin)) return InvalidArgument("item: not a GTIN-14 with a valid check digit");
  ASSIGN_OR_RETURN(r.horizon_periods, IntMember(j, "horizonPeriods", r.horizon_periods));
  auto target = j.find("serviceTarget");
  if (target != j.end()) {
    if (!target->is_number()) return InvalidArgument("serviceTarget: must be a number");
    r.service_target = target->get<double>();
  }
  json constraints = j.value("constraints", json::object());
  if (!constraints.is_object()) return InvalidArgument("constraints: must be an object");
  ASSIGN_OR_RETURN(r.lead_time_periods,
                   IntMember(constraints, "leadTimePeriods", r.lead_time_periods));
  ASSIGN_OR_RETURN(r.review_periods, IntMember(constraints, "reviewPeriods", r.review_periods));
  ASSIGN_OR_RETURN(r.min_order_quantity,
                   QuantityMember(constraints, "minOrderQuantity", r.min_order_quantity));
  ASSIGN_OR_RETURN(r.order_multiple,
                   QuantityMember(constraints, "orderMultiple", r.order_multiple));
  if (constraints.contains("maxOrderQuantity")) {
    ASSIGN_OR_RETURN(Quantity max, QuantityMember(constraints, "maxOrderQuantity", Quantity{}));
    r.max_order_quantity = max;
  }
  return r;
}

json RecommendationJson(const scm_core::ReplenishmentRequest& req,
                        const scm_core::Recommendation& rec, const InventoryPosition& position,
                        int period_days) {
  json orders = json::array();
  for (const scm_core::PlannedOrder& o : rec.orders) {
    orders.push_back({{"period", o.period}, {"quantity", o.quantity.ToString()}});
  }
  json history = json::array();
  for (Quantity q : rec.demand_history) history.push_back(q.ToString());
  return {{"location", req.gln},
          {"item", req.gtin},
          {"recommendedQuantity", rec.orders.front().quantity.ToString()},
          {"orderUpToLevel", rec.order_up_to_level.ToString()},
          {"intervalPeriods", rec.interval_periods},
          {"periodDays", period_days},
          {"orders", orders},
          {"explanation",
           {{"method", rec.method},
            {"meanDemandPerPeriod", rec.mean_demand},
            {"stdDevDemandPerPeriod", rec.stddev_demand},
            {"serviceTarget", req.service_target},
            {"z", rec.z},
            {"leadTimePeriods", req.lead_time_periods},
            {"reviewPeriods", req.review_periods},
            {"demandHistory", history},
            {"inventoryPosition", scm_core::ToJson(position)}}}};
}

// ?format= (x12, edifact, csv, json) or the Content-Type decides; else the content does.
Result<scm_core::ErpFormatHint> ErpHint(const std::string& format, const std::string& type) {
  const std::string f = !format.empty()                        ? format
                        : type.starts_with("application/edi-x12") ? "x12"
                        : type.starts_with("application/edifact") ? "edifact"
                        : type.starts_with("text/csv")            ? "csv"
                        : type.starts_with("application/json")    ? "json"
                                                                  : "";
  if (f.empty()) return scm_core::ErpFormatHint::kAuto;
  if (f == "x12") return scm_core::ErpFormatHint::kX12;
  if (f == "edifact") return scm_core::ErpFormatHint::kEdifact;
  if (f == "csv") return scm_core::ErpFormatHint::kCsv;
  if (f == "json") return scm_core::ErpFormatHint::kJson;
  return InvalidArgument("format: x12, edifact, csv or json");
}

// A refused document: problem+json naming where and which rule, as EPCIS refusals do.
HttpResponse ErpRefusal(const Status& status, const scm_core::ErpProblem& problem) {
  if (status.code() != Code::kInvalidArgument || problem.rule.empty()) {
    return ProblemFromStatus(status);
  }
  return Problem(400, "erp-document-invalid", "The ERP document is not valid", problem.ToString(),
                 {{"where", problem.where}, {"rule", problem.rule}});
}

}  // namespace

bool Api::IsScmResource(const std::string& name) {
  return name == "inventory" || name == "orders" || name == "shipments" || name == "holds" ||
         name == "exceptions" || name == "masterdata" || name == "replenishment" || name == "erp";
}

HttpResponse Api::HandleScm(const Principal& who, const HttpRequest& request,
                            const std::vector<std::string>& seg,
                            const std::map<std::string, std::string>& query) {
  if (who.org != node_->org()) {
    return Problem(403, "forbidden", "Forbidden",
                   "operational data is private to " + node_->org() + "; principal '" + who.name +
                       "' is of " + who.org);
  }
  if (who.role == Role::kCarrier) {
    return Problem(403, "forbidden", "Forbidden",
                   "principal '" + who.name + "' has role 'carrier', which sees shipments only "
                   "through the lineage and event APIs");
  }
  const std::string& method = request.method;
  scm_core::Operations& ops = node_->scm().operations();
  auto q = [&](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  auto is = [&](std::initializer_list<const char*> parts) { return PathIs(seg, parts); };
  const bool write = method != "GET";
  if (write && !CanPlan(who.role) && !is({"v1", "replenishment", "recommendations"})) {
    return Problem(403, "forbidden", "Forbidden",
                   "principal '" + who.name + "' has role '" + RoleName(who.role) +
                       "', which may not change operational data (admin, partner or planner may)");
  }
  const std::string actor = who.name + "@" + who.org;

  if (is({"v1", "inventory"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    json positions = json::array();
    for (const InventoryPosition& p : ops.Positions(q("item"), q("location"))) {
      positions.push_back(scm_core::ToJson(p));
    }
    return JsonResponse(200, {{"positions", positions}});
  }
  if (is({"v1", "inventory", "lots"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    if (q("item").empty() || q("location").empty()) {
      return ProblemFromStatus(InvalidArgument("item and location are required"));
    }
    json lots = json::array();
    for (const scm_core::LotBalance& lot : ops.Lots(q("item"), q("location"))) {
      lots.push_back(LotJson(lot, ops.IsHeld(lot.gtin, lot.lot_number, lot.gln)));
    }
    return JsonResponse(200, {{"lots", lots}});
  }
  if (is({"v1", "inventory", "counts"})) {
    if (method != "POST") return MethodNotAllowed("POST");
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    const json counts = body->value("counts", json());
    if (!counts.is_array() || counts.empty() || counts.size() > scm_core::kMaxListed) {
      return ProblemFromStatus(InvalidArgument("counts: an array of 1 to 10000 counts is required"));
    }
    std::vector<scm_core::Movement> moves;
    std::vector<std::tuple<std::string, std::string, std::string>> expiries;
    for (size_t i = 0; i < counts.size(); ++i) {
      const json& c = counts[i];
      const std::string where = "counts[" + std::to_string(i) + "].";
      if (!c.is_object()) return ProblemFromStatus(InvalidArgument(where + ": not an object"));
      scm_core::Movement m;
      m.kind = scm_core::MovementKind::kCount;
      m.reference = "count by " + actor;
      m.time_ms = SystemClock::Get()->NowMs();
      auto gtin = StringMember(c, "gtin", true);
      auto gln = StringMember(c, "gln", true);
      auto lot = StringMember(c, "lotNumber", false);
      auto expiry = StringMember(c, "expiryDate", false);
      auto quantity = QuantityMember(c, "quantity", Quantity{-1});
      for (const Status& st : {gtin.status(), gln.status(), lot.status(), expiry.status(),
                               quantity.status()}) {
        if (!st.ok()) return ProblemFromStatus(st.Annotate(where));
      }
      if (!scm_core::IsValidGtin(*gtin)) {
        return ProblemFromStatus(InvalidArgument(where + "gtin: not a GTIN-14 with a valid check digit"));
      }
      if (!node_->scm().IsOwnLocation(*gln)) {
        return ProblemFromStatus(InvalidArgument(where + "gln: " + *gln + " is not a location of " +
                                                 node_->org() + " in the genesis"));
      }
      if (quantity->thousandths < 0) {
        return ProblemFromStatus(InvalidArgument(where + "quantity: a non-negative decimal is required"));
      }
      m.gtin = *gtin;
      m.gln = *gln;
      m.lot_number = *lot;
      m.quantity = *quantity;
      moves.push_back(m);
      if (!expiry->empty()) expiries.emplace_back(*gtin, *lot, *expiry);
    }
    for (const auto& [gtin, lot, expiry] : expiries) {
      Status st = ops.SetLotExpiry(gtin, lot, expiry);
      if (!st.ok()) return ProblemFromStatus(st);
    }
    Status st = ops.ApplyMovements(moves);
    if (!st.ok()) return ProblemFromStatus(st);
    return JsonResponse(200, {{"counted", moves.size()}});
  }
  if (is({"v1", "orders"})) {
    if (method == "GET") {
      std::optional<scm_core::OrderKind> kind;
      if (q("kind") == "sales") kind = scm_core::OrderKind::kSales;
      else if (q("kind") == "purchase") kind = scm_core::OrderKind::kPurchase;
      else if (!q("kind").empty()) return ProblemFromStatus(InvalidArgument("kind: purchase or sales"));
      json orders = json::array();
      for (const scm_core::Order& o : ops.Orders(kind)) orders.push_back(scm_core::ToJson(o));
      return JsonResponse(200, {{"orders", orders}});
    }
    if (method != "POST") return MethodNotAllowed("GET, POST");
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    auto order = scm_core::OrderFromJson(*body);
    if (!order.ok()) return ProblemFromStatus(order.status());
    auto result = ops.AddOrder(*order);
    if (!result.ok()) return ProblemFromStatus(result.status());
    json out = scm_core::ToJson(*order);
    json allocations = json::array();
    for (const scm_core::Allocation& a : result->allocations) allocations.push_back(AllocationJson(a));
    json short_lines = json::array();
    for (const scm_core::OrderLine& l : result->short_lines) {
      short_lines.push_back({{"lineNumber", l.line_number}, {"gtin", l.gtin},
                             {"quantity", l.quantity.ToString()}});
    }
    out["allocations"] = allocations;
    out["shortLines"] = short_lines;
    HttpResponse r = JsonResponse(201, out);
    r.headers.emplace_back("Location", "/v1/orders/" + PercentEncode(order->id));
    return r;
  }
  if (is({"v1", "orders", "*"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    auto order = ops.GetOrder(seg[2]);
    if (!order.ok()) return ProblemFromStatus(order.status());
    json out = scm_core::ToJson(*order);
    json allocations = json::array();
    for (const scm_core::Allocation& a : ops.Allocations(seg[2])) allocations.push_back(AllocationJson(a));
    out["allocations"] = allocations;
    return JsonResponse(200, out);
  }
  if (is({"v1", "shipments"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    json shipments = json::array();
    for (const scm_core::Shipment& s : ops.Shipments()) shipments.push_back(scm_core::ToJson(s));
    return JsonResponse(200, {{"shipments", shipments}});
  }
  if (is({"v1", "shipments", "*"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    auto shipment = ops.GetShipment(seg[2]);
    if (!shipment.ok()) return ProblemFromStatus(shipment.status());
    return JsonResponse(200, scm_core::ToJson(*shipment));
  }
  if (is({"v1", "holds"})) {
    if (method == "GET") {
      json holds = json::array();
      for (const scm_core::Hold& h : ops.Holds(q("active") == "true")) holds.push_back(HoldJson(h));
      return JsonResponse(200, {{"holds", holds}});
    }
    if (method != "POST") return MethodNotAllowed("GET, POST");
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    auto gtin = StringMember(*body, "gtin", true);
    auto lot = StringMember(*body, "lotNumber", true);
    auto gln = StringMember(*body, "gln", false);
    auto reason = StringMember(*body, "reasonCode", true);
    for (const Status& st : {gtin.status(), lot.status(), gln.status(), reason.status()}) {
      if (!st.ok()) return ProblemFromStatus(st);
    }
    auto hold = node_->scm().PlaceHold(*gtin, *lot, *gln, *reason, actor);
    if (!hold.ok()) return ProblemFromStatus(hold.status());
    HttpResponse r = JsonResponse(201, HoldJson(*hold));
    r.headers.emplace_back("Location", "/v1/holds/" + hold->id);
    return r;
  }
  if (is({"v1", "holds", "*", "release"})) {
    if (method != "POST") return MethodNotAllowed("POST");
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    auto reason = StringMember(*body, "reason", true);
    if (!reason.ok()) return ProblemFromStatus(reason.status());
    auto hold = node_->scm().ReleaseHold(seg[2], actor, *reason);
    if (!hold.ok()) return ProblemFromStatus(hold.status());
    return JsonResponse(200, HoldJson(*hold));
  }
  if (is({"v1", "exceptions"})) {
    if (method != "GET") return MethodNotAllowed("GET");
    json list = json::array();
    for (const scm_core::ExceptionRecord& e : ops.Exceptions(q("open") == "true")) {
      list.push_back(ExceptionJson(e));
    }
    return JsonResponse(200, {{"exceptions", list}});
  }
  if (is({"v1", "exceptions", "*", "close"})) {
    if (method != "POST") return MethodNotAllowed("POST");
    auto e = ops.CloseException(seg[2]);
    if (!e.ok()) return ProblemFromStatus(e.status());
    return JsonResponse(200, ExceptionJson(*e));
  }
  if (is({"v1", "masterdata"})) {
    if (method == "GET") {
      json items = json::array(), locations = json::array(), parties = json::array();
      for (const scm_core::Item& i : ops.Items()) items.push_back(scm_core::ToJson(i));
      for (const scm_core::Location& l : ops.Locations()) locations.push_back(scm_core::ToJson(l));
      for (const scm_core::Party& p : ops.Parties()) parties.push_back(scm_core::ToJson(p));
      return JsonResponse(200, {{"items", items}, {"locations", locations}, {"parties", parties}});
    }
    if (method != "POST") return MethodNotAllowed("GET, POST");
    if (!request.content_type.starts_with("application/json")) {
      // CSV master data (docs/formats/erp.md: items, locations, parties).
      scm_core::ErpProblem problem;
      auto doc = scm_core::ImportErpDocument(request.body, scm_core::ErpFormatHint::kCsv, &problem);
      if (!doc.ok()) return ErpRefusal(doc.status(), problem);
      if (!doc->orders.empty() || !doc->shipments.empty()) {
        return ProblemFromStatus(InvalidArgument(
            "orders and shipments are not master data: import them with POST /v1/erp/documents"));
      }
      Status st = ops.UpsertMasterData(doc->items, doc->locations, doc->parties);
      if (!st.ok()) return ProblemFromStatus(st);
      return JsonResponse(200, {{"items", doc->items.size()},
                                {"locations", doc->locations.size()},
                                {"parties", doc->parties.size()}});
    }
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    std::vector<scm_core::Item> items;
    std::vector<scm_core::Location> locations;
    std::vector<scm_core::Party> parties;
    auto each = [&](const char* name, auto parse, auto& out) -> Status {
      const json list = body->value(name, json::array());
      if (!list.is_array()) return InvalidArgument(std::string(name) + ": must be an array");
      for (size_t i = 0; i < list.size(); ++i) {
        auto v = parse(list[i]);
        if (!v.ok()) return v.status().Annotate(std::string(name) + "[" + std::to_string(i) + "]");
        out.push_back(*v);
      }
      return Status::Ok();
    };
    Status st = each("items", scm_core::ItemFromJson, items);
    if (st.ok()) st = each("locations", scm_core::LocationFromJson, locations);
    if (st.ok()) st = each("parties", scm_core::PartyFromJson, parties);
    if (st.ok()) st = ops.UpsertMasterData(items, locations, parties);
    if (!st.ok()) return ProblemFromStatus(st);
    return JsonResponse(200, {{"items", items.size()},
                              {"locations", locations.size()},
                              {"parties", parties.size()}});
  }
  if (is({"v1", "erp", "documents"})) {
    if (method != "POST") return MethodNotAllowed("POST");
    if (!CanWrite(who.role)) {
      return Problem(403, "forbidden", "Forbidden",
                     "principal '" + who.name + "' has role '" + RoleName(who.role) +
                         "', which may not import ERP documents (admin or partner may)");
    }
    auto hint = ErpHint(q("format"), request.content_type);
    if (!hint.ok()) return ProblemFromStatus(hint.status());
    scm_core::ErpProblem problem;
    auto summary = node_->scm().ImportErp(request.body, *hint, "api:" + actor, &problem);
    if (!summary.ok()) return ErpRefusal(summary.status(), problem);
    return JsonResponse(201, *summary);
  }
  if (is({"v1", "replenishment", "recommendations"})) {
    if (method != "POST") return MethodNotAllowed("POST");
    if (!CanPlan(who.role)) {
      return Problem(403, "forbidden", "Forbidden",
                     "principal '" + who.name + "' has role '" + RoleName(who.role) +
                         "' (admin, partner or planner may plan replenishment)");
    }
    auto body = JsonBody(request);
    if (!body.ok()) return ProblemFromStatus(body.status());
    auto req = ParseReplenishment(*body);
    if (!req.ok()) return ProblemFromStatus(req.status());
    InventoryPosition position = ops.Position(req->gtin, req->gln);
    auto history = ops.DemandHistory(req->gtin, req->gln, scm_core::kDemandPeriods);
    auto rec = scm_core::RecommendReplenishment(*req, history, position);
    if (!rec.ok()) return ProblemFromStatus(rec.status());
    return JsonResponse(200, RecommendationJson(*req, *rec, position, ops.demand_period_days()));
  }
  return Problem(404, "not-found", "Not found", "no resource at " + request.target);
}

}  // namespace tracery::node

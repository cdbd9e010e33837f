#include "tracery/scm_core/model_json.h"

#include <nlohmann/json.hpp>

namespace tracery::scm_core {
namespace {

using nlohmann::json;

// Reads the members of one JSON object, remembering the first error with its field name.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) Fail("", "not a JSON object");
  }
  std::string String(const char* name, bool required = false) {
    if (!status_.ok()) return {};
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) {
      if (required) Fail(name, "is required");
      return {};
    }
    if (!it->is_string()) {
      Fail(name, "must be a string");
      return {};
    }
    std::string value = it->get<std::string>();
    if (value.size() > 4096) Fail(name, "longer than 4096 bytes");
    if (required && value.empty()) Fail(name, "must not be empty");
    return value;
  }
  Quantity Decimal(const char* name) {
    std::string text = String(name, true);
    if (!status_.ok()) return {};
    auto q = Quantity::Parse(text);
    if (!q.ok()) {
      Fail(name, q.status().message());
      return {};
    }
    return *q;
  }
  int64_t Int(const char* name) {
    if (!status_.ok()) return 0;
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) {
      Fail(name, "must be an integer");
      return 0;
    }
    return it->get<int64_t>();
  }
  const json* Array(const char* name) {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      Fail(name, "must be an array");
      return nullptr;
    }
    return &*it;
  }
  void Check(const char* name, bool ok, const std::string& rule) {
    if (status_.ok() && !ok) Fail(name, rule);
  }
  void Fail(const std::string& name, const std::string& rule) {
    if (!status_.ok()) return;
    std::string field = name.empty() ? where_ : where_ + "." + name;
    status_ = InvalidArgument(field + ": " + rule);
  }
  void Absorb(const Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }
  const Status& status() const { return status_; }
  const std::string& where() const { return where_; }

 private:
  const json& j_;
  std::string where_;
  Status status_;
};

void PutIfSet(json& j, const char* name, const std::string& value) {
  if (!value.empty()) j[name] = value;
}

json AddressJson(const Address& a) {
  json j = json::object();
  PutIfSet(j, "street", a.street);
  PutIfSet(j, "city", a.city);
  PutIfSet(j, "region", a.region);
  PutIfSet(j, "postalCode", a.postal_code);
  PutIfSet(j, "country", a.country);
  return j;
}

json MappingJson(const MappingRef& m) {
  return m.name.empty() ? json() : json(m.ToString());
}

MappingRef MappingFrom(const std::string& text) {
  MappingRef m;
  size_t slash = text.rfind('/');
  if (slash == std::string::npos) return m;
  m.name = text.substr(0, slash);
  try {
    m.version = std::stoi(text.substr(slash + 1));
  } catch (...) {
    m = {};
  }
  return m;
}

}  // namespace

const char* OrderKindName(OrderKind kind) {
  return kind == OrderKind::kSales ? "sales" : "purchase";
}
const char* PartyRoleName(PartyRole role) {
  return role == PartyRole::kCustomer ? "customer" : "supplier";
}

json ToJson(const Item& item) {
  json j = {{"gtin", item.gtin}};
  PutIfSet(j, "description", item.description);
  PutIfSet(j, "unit", item.unit);
  return j;
}

json ToJson(const Location& l) {
  json j = {{"gln", l.gln}};
  PutIfSet(j, "name", l.name);
  json a = AddressJson(l.address);
  if (!a.empty()) j["address"] = a;
  return j;
}

json ToJson(const Party& p) {
  json j = {{"id", p.id}, {"role", PartyRoleName(p.role)}};
  PutIfSet(j, "name", p.name);
  PutIfSet(j, "gln", p.gln);
  return j;
}

json ToJson(const Order& o) {
  json j = {{"id", o.id}, {"kind", OrderKindName(o.kind)}};
  PutIfSet(j, "buyer", o.buyer);
  PutIfSet(j, "seller", o.seller);
  PutIfSet(j, "shipTo", o.ship_to);
  PutIfSet(j, "shipFrom", o.ship_from);
  PutIfSet(j, "orderDate", o.order_date);
  json lines = json::array();
  for (const OrderLine& l : o.lines) {
    json line = {{"lineNumber", l.line_number}, {"quantity", l.quantity.ToString()}};
    PutIfSet(line, "gtin", l.gtin);
    PutIfSet(line, "itemCode", l.item_code);
    PutIfSet(line, "unit", l.unit);
    if (l.requested_date) line["requestedDate"] = *l.requested_date;
    lines.push_back(std::move(line));
  }
  j["lines"] = std::move(lines);
  if (!o.mapping.name.empty()) j["mapping"] = MappingJson(o.mapping);
  return j;
}

json ToJson(const Shipment& s) {
  json j = {{"id", s.id}};
  PutIfSet(j, "shipFrom", s.ship_from);
  PutIfSet(j, "shipTo", s.ship_to);
  PutIfSet(j, "shipDate", s.ship_date);
  PutIfSet(j, "shipTime", s.ship_time);
  PutIfSet(j, "carrier", s.carrier);
  PutIfSet(j, "billOfLading", s.bill_of_lading);
  j["orderIds"] = s.order_ids;
  json lines = json::array();
  for (const ShipmentLine& l : s.lines) {
    json line = {{"quantity", l.quantity.ToString()}};
    PutIfSet(line, "gtin", l.gtin);
    PutIfSet(line, "itemCode", l.item_code);
    PutIfSet(line, "sscc", l.sscc);
    PutIfSet(line, "lotNumber", l.lot_number);
    if (!l.serials.empty()) line["serials"] = l.serials;
    PutIfSet(line, "unit", l.unit);
    PutIfSet(line, "orderId", l.order_id);
    lines.push_back(std::move(line));
  }
  j["lines"] = std::move(lines);
  if (!s.mapping.name.empty()) j["mapping"] = MappingJson(s.mapping);
  return j;
}

json ToJson(const InventoryPosition& p) {
  return {{"gtin", p.gtin},
          {"gln", p.gln},
          {"onHand", p.on_hand.ToString()},
          {"allocated", p.allocated.ToString()},
          {"onHold", p.on_hold.ToString()},
          {"sellable", p.Sellable().ToString()}};
}

json ToJson(const Hold& h) {
  json j = {{"id", h.id},
            {"gtin", h.gtin},
            {"lotNumber", h.lot_number},
            {"reasonCode", h.reason_code},
            {"placedBy", h.placed_by},
            {"placedAtMs", h.placed_at_ms},
            {"active", h.Active()}};
  PutIfSet(j, "gln", h.gln);
  if (!h.Active()) {
    j["releasedBy"] = h.released_by;
    j["releaseReason"] = h.release_reason;
    j["releasedAtMs"] = h.released_at_ms;
  }
  return j;
}

json ToJson(const ExceptionRecord& e) {
  json j{{"id", e.id},         {"type", e.type},          {"severity", e.severity},
         {"detail", e.detail}, {"openedAtMs", e.opened_at_ms}, {"closedAtMs", e.closed_at_ms}};
  PutIfSet(j, "gtin", e.gtin);
  PutIfSet(j, "lotNumber", e.lot_number);
  PutIfSet(j, "shipmentId", e.shipment_id);
  PutIfSet(j, "gln", e.gln);
  PutIfSet(j, "reference", e.reference);
  return j;
}

Result<Item> ItemFromJson(const json& j) {
  Reader r(j, "item");
  Item item;
  item.gtin = r.String("gtin", true);
  item.description = r.String("description");
  item.unit = r.String("unit");
  r.Check("gtin", IsValidGtin(item.gtin), "not a GTIN-14 with a valid check digit");
  if (!r.status().ok()) return r.status();
  return item;
}

Result<Location> LocationFromJson(const json& j) {
  Reader r(j, "location");
  Location l;
  l.gln = r.String("gln", true);
  l.name = r.String("name");
  r.Check("gln", IsValidGln(l.gln), "not a GLN with a valid check digit");
  if (r.status().ok() && j.contains("address")) {
    Reader a(j["address"], "location.address");
    l.address.street = a.String("street");
    l.address.city = a.String("city");
    l.address.region = a.String("region");
    l.address.postal_code = a.String("postalCode");
    l.address.country = a.String("country");
    r.Absorb(a.status());
  }
  if (!r.status().ok()) return r.status();
  return l;
}

Result<Party> PartyFromJson(const json& j) {
  Reader r(j, "party");
  Party p;
  p.id = r.String("id", true);
  std::string role = r.String("role", true);
  r.Check("role", role == "supplier" || role == "customer", "must be supplier or customer");
  p.role = role == "customer" ? PartyRole::kCustomer : PartyRole::kSupplier;
  p.name = r.String("name");
  p.gln = r.String("gln");
  r.Check("gln", p.gln.empty() || IsValidGln(p.gln), "not a GLN with a valid check digit");
  if (!r.status().ok()) return r.status();
  return p;
}

Result<Order> OrderFromJson(const json& j) {
  Reader r(j, "order");
  Order o;
  o.id = r.String("id", true);
  std::string kind = r.String("kind", true);
  r.Check("kind", kind == "purchase" || kind == "sales", "must be purchase or sales");
  o.kind = kind == "sales" ? OrderKind::kSales : OrderKind::kPurchase;
  o.buyer = r.String("buyer");
  o.seller = r.String("seller");
  o.ship_to = r.String("shipTo");
  o.ship_from = r.String("shipFrom");
  o.order_date = r.String("orderDate");
  o.mapping = MappingFrom(r.String("mapping"));
  const json* lines = r.Array("lines");
  r.Check("lines", lines != nullptr && !lines->empty(), "at least one line is required");
  if (lines != nullptr) {
    for (size_t i = 0; i < lines->size() && r.status().ok(); ++i) {
      Reader l((*lines)[i], r.where() + ".lines[" + std::to_string(i) + "]");
      OrderLine line;
      line.line_number = l.String("lineNumber");
      if (line.line_number.empty()) line.line_number = std::to_string(i + 1);
      line.gtin = l.String("gtin");
      line.item_code = l.String("itemCode");
      l.Check("gtin", !line.gtin.empty() || !line.item_code.empty(), "gtin or itemCode is required");
      l.Check("gtin", line.gtin.empty() || IsValidGtin(line.gtin),
              "not a GTIN-14 with a valid check digit");
      line.quantity = l.Decimal("quantity");
      l.Check("quantity", line.quantity.thousandths > 0, "must be positive");
      line.unit = l.String("unit");
      std::string requested = l.String("requestedDate");
      if (!requested.empty()) line.requested_date = requested;
      r.Absorb(l.status());
      o.lines.push_back(std::move(line));
    }
  }
  if (!r.status().ok()) return r.status();
  return o;
}

Result<Shipment> ShipmentFromJson(const json& j) {
  Reader r(j, "shipment");
  Shipment s;
  s.id = r.String("id", true);
  s.ship_from = r.String("shipFrom");
  s.ship_to = r.String("shipTo");
  s.ship_date = r.String("shipDate");
  s.ship_time = r.String("shipTime");
  s.carrier = r.String("carrier");
  s.bill_of_lading = r.String("billOfLading");
  s.mapping = MappingFrom(r.String("mapping"));
  if (const json* ids = r.Array("orderIds")) {
    for (const json& id : *ids) {
      r.Check("orderIds", id.is_string(), "must hold strings");
      if (id.is_string()) s.order_ids.push_back(id.get<std::string>());
    }
  }
  if (const json* lines = r.Array("lines")) {
    for (size_t i = 0; i < lines->size() && r.status().ok(); ++i) {
      Reader l((*lines)[i], r.where() + ".lines[" + std::to_string(i) + "]");
      ShipmentLine line;
      line.gtin = l.String("gtin");
      line.item_code = l.String("itemCode");
      l.Check("gtin", !line.gtin.empty() || !line.item_code.empty(), "gtin or itemCode is required");
      l.Check("gtin", line.gtin.empty() || IsValidGtin(line.gtin),
              "not a GTIN-14 with a valid check digit");
      line.sscc = l.String("sscc");
      l.Check("sscc", line.sscc.empty() || IsValidSscc(line.sscc),
              "not an SSCC with a valid check digit");
      line.lot_number = l.String("lotNumber");
      line.quantity = l.Decimal("quantity");
      line.unit = l.String("unit");
      line.order_id = l.String("orderId");
      if (const json* serials = l.Array("serials")) {
        for (const json& sn : *serials) {
          l.Check("serials", sn.is_string(), "must hold strings");
          if (sn.is_string()) line.serials.push_back(sn.get<std::string>());
        }
      }
      r.Absorb(l.status());
      s.lines.push_back(std::move(line));
    }
  }
  if (!r.status().ok()) return r.status();
  return s;
}

Result<Hold> HoldFromJson(const json& j) {
  Reader r(j, "hold");
  Hold h;
  h.id = r.String("id", true);
  h.gtin = r.String("gtin", true);
  h.lot_number = r.String("lotNumber", true);
  h.gln = r.String("gln");
  h.reason_code = r.String("reasonCode", true);
  h.placed_by = r.String("placedBy");
  h.placed_at_ms = r.Int("placedAtMs");
  h.released_by = r.String("releasedBy");
  h.release_reason = r.String("releaseReason");
  h.released_at_ms = r.Int("releasedAtMs");
  if (!r.status().ok()) return r.status();
  return h;
}

Result<ExceptionRecord> ExceptionFromJson(const json& j) {
  Reader r(j, "exception");
  ExceptionRecord e;
  e.id = r.String("id", true);
  e.type = r.String("type", true);
  e.severity = r.String("severity");
  e.gtin = r.String("gtin");
  e.lot_number = r.String("lotNumber");
  e.shipment_id = r.String("shipmentId");
  e.gln = r.String("gln");
  e.detail = r.String("detail");
  e.reference = r.String("reference");
  e.opened_at_ms = r.Int("openedAtMs");
  e.closed_at_ms = r.Int("closedAtMs");
  if (!r.status().ok()) return r.status();
  return e;
}

}  // namespace tracery::scm_core

// The CSV and JSON layouts of docs/formats/erp.md: master data (items, locations, parties),
// orders and shipments. Both readers build the same records and check them with the same
// rules, so a CSV row and a JSON object that say the same thing import the same way.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "erp/erp_internal.h"

namespace tracery::scm_core::erp {
namespace {

using Row = std::map<std::string, std::string>;

const std::vector<std::string> kItemCols = {"gtin", "description", "unit"};
const std::vector<std::string> kLocationCols = {"gln",    "name",        "street", "city",
                                                "region", "postal_code", "country"};
const std::vector<std::string> kPartyCols = {"id", "role", "name", "gln"};
const std::vector<std::string> kOrderCols = {
    "order_id", "kind",      "buyer",     "seller",   "ship_to", "order_date",
    "line_number", "gtin", "item_code", "quantity", "unit",    "requested_date"};
const std::vector<std::string> kShipmentCols = {
    "shipment_id", "ship_from", "ship_to", "ship_date",  "carrier", "bill_of_lading", "order_id",
    "sscc",        "gtin",      "lot_number", "serial", "quantity", "unit"};

// Field checks shared by both readers. `where` names the row or object.
struct Checker {
  ErpProblem* problem;
  Status Bad(const std::string& where, const std::string& field, std::string rule,
             std::string detail) const {
    return Refuse(problem, where + ", field " + field, std::move(rule), std::move(detail));
  }
  Status Gtin(const std::string& where, std::string* v, bool required) const {
    if (v->empty()) {
      return required ? Bad(where, "gtin", "erp.gtin", "empty") : Status::Ok();
    }
    Result<std::string> g = NormaliseGtin(*v);
    if (!g.ok()) return Bad(where, "gtin", "erp.gtin", g.status().message());
    *v = *g;
    return Status::Ok();
  }
  Status Gln(const std::string& where, const std::string& field, const std::string& v,
             bool required) const {
    if (v.empty() && !required) return Status::Ok();
    if (!IsValidGln(v)) {
      return Bad(where, field, "erp.gln", Shown(v) + " is not a GLN-13 with a valid check digit");
    }
    return Status::Ok();
  }
  Status Date(const std::string& where, const std::string& field, const std::string& v,
              bool required) const {
    if (v.empty() && !required) return Status::Ok();
    if (v.size() != 10 || DateFromDigits(v.substr(0, 4) + v.substr(5, 2) + v.substr(8, 2)) != v) {
      return Bad(where, field, "erp.date", Shown(v) + " is not a date YYYY-MM-DD");
    }
    return Status::Ok();
  }
  Status Unit(const std::string& where, const std::string& v) const {
    if (v.empty() || X12UnitToRec20(v) == v) return Status::Ok();
    return Bad(where, "unit", "erp.unit", Shown(v) + " is not a UN/ECE Rec. 20 unit code");
  }
  Status Qty(const std::string& where, const std::string& v, Quantity* q) const {
    Result<Quantity> r = Quantity::Parse(v);
    if (!r.ok()) return Bad(where, "quantity", "erp.quantity", r.status().message());
    if (r->thousandths < 0) return Bad(where, "quantity", "erp.quantity", "negative");
    *q = *r;
    return Status::Ok();
  }
};

// Records gathered by either reader.
struct Tables {
  std::vector<std::pair<std::string, Row>> items, locations, parties, orders, shipments;
};

Status Build(const Tables& t, const std::string& format, ErpImport* out, ErpProblem* problem) {
  Checker c{problem};
  const MappingRef items_ref{format + "-items", 1}, locations_ref{format + "-locations", 1},
      parties_ref{format + "-parties", 1}, orders_ref{format + "-orders", 1},
      shipments_ref{format + "-shipments", 1};
  for (const auto& [where, row] : t.items) {
    Item item{row.at("gtin"), row.at("description"), row.at("unit")};
    RETURN_IF_ERROR(c.Gtin(where, &item.gtin, true));
    RETURN_IF_ERROR(c.Unit(where, item.unit));
    out->items.push_back(std::move(item));
    out->item_mappings.push_back(items_ref);
  }
  for (const auto& [where, row] : t.locations) {
    Location l{row.at("gln"), row.at("name"),
               {row.at("street"), row.at("city"), row.at("region"), row.at("postal_code"),
                row.at("country")}};
    RETURN_IF_ERROR(c.Gln(where, "gln", l.gln, true));
    if (!l.address.country.empty() &&
        (l.address.country.size() != 2 || !std::isupper(static_cast<unsigned char>(l.address.country[0])) ||
         !std::isupper(static_cast<unsigned char>(l.address.country[1])))) {
      return c.Bad(where, "country", "erp.country", Shown(l.address.country) + " is not ISO 3166-1 alpha-2");
    }
    out->locations.push_back(std::move(l));
    out->location_mappings.push_back(locations_ref);
  }
  for (const auto& [where, row] : t.parties) {
    Party p{row.at("id"), PartyRole::kSupplier, row.at("name"), row.at("gln")};
    if (p.id.empty()) return c.Bad(where, "id", "erp.party.id", "empty");
    const std::string& role = row.at("role");
    if (role == "customer") p.role = PartyRole::kCustomer;
    else if (role != "supplier") return c.Bad(where, "role", "erp.party.role", Shown(role) + " is neither supplier nor customer");
    RETURN_IF_ERROR(c.Gln(where, "gln", p.gln, false));
    out->parties.push_back(std::move(p));
    out->party_mappings.push_back(parties_ref);
  }
  std::map<std::string, size_t> order_index;
  for (const auto& [where, row] : t.orders) {
    const std::string& id = row.at("order_id");
    if (id.empty()) return c.Bad(where, "order_id", "erp.order.id", "empty");
    auto [it, fresh] = order_index.emplace(id, out->orders.size());
    if (fresh) {
      Order o;
      o.id = id;
      const std::string& kind = row.at("kind");
      if (kind == "sales") o.kind = OrderKind::kSales;
      else if (kind != "purchase" && !kind.empty()) return c.Bad(where, "kind", "erp.order.kind", Shown(kind) + " is neither purchase nor sales");
      o.buyer = row.at("buyer");
      o.seller = row.at("seller");
      o.ship_to = row.at("ship_to");
      o.order_date = row.at("order_date");
      RETURN_IF_ERROR(c.Date(where, "order_date", o.order_date, true));
      o.mapping = orders_ref;
      out->orders.push_back(std::move(o));
    } else {
      const Order& o = out->orders[it->second];
      if (row.at("order_date") != o.order_date || row.at("buyer") != o.buyer ||
          row.at("seller") != o.seller || row.at("ship_to") != o.ship_to) {
        return c.Bad(where, "order_id", "erp.order.consistent",
                     "order " + Shown(id) + " has other header values on an earlier line");
      }
    }
    OrderLine line;
    line.line_number = row.at("line_number");
    line.gtin = row.at("gtin");
    line.item_code = row.at("item_code");
    line.unit = row.at("unit");
    RETURN_IF_ERROR(c.Gtin(where, &line.gtin, line.item_code.empty()));
    RETURN_IF_ERROR(c.Qty(where, row.at("quantity"), &line.quantity));
    RETURN_IF_ERROR(c.Unit(where, line.unit));
    if (!row.at("requested_date").empty()) {
      RETURN_IF_ERROR(c.Date(where, "requested_date", row.at("requested_date"), true));
      line.requested_date = row.at("requested_date");
    }
    Order& o = out->orders[it->second];
    if (line.line_number.empty()) line.line_number = std::to_string(o.lines.size() + 1);
    o.lines.push_back(std::move(line));
  }
  std::map<std::string, size_t> shipment_index;
  for (const auto& [where, row] : t.shipments) {
    const std::string& id = row.at("shipment_id");
    if (id.empty()) return c.Bad(where, "shipment_id", "erp.shipment.id", "empty");
    auto [it, fresh] = shipment_index.emplace(id, out->shipments.size());
    if (fresh) {
      Shipment s;
      s.id = id;
      s.ship_from = row.at("ship_from");
      s.ship_to = row.at("ship_to");
      s.ship_date = row.at("ship_date");
      RETURN_IF_ERROR(c.Date(where, "ship_date", s.ship_date, true));
      s.carrier = row.at("carrier");
      s.bill_of_lading = row.at("bill_of_lading");
      s.mapping = shipments_ref;
      out->shipments.push_back(std::move(s));
    } else {
      const Shipment& s = out->shipments[it->second];
      if (row.at("ship_from") != s.ship_from || row.at("ship_to") != s.ship_to ||
          row.at("ship_date") != s.ship_date || row.at("carrier") != s.carrier ||
          row.at("bill_of_lading") != s.bill_of_lading) {
        return c.Bad(where, "shipment_id", "erp.shipment.consistent",
                     "shipment " + Shown(id) + " has other header values on an earlier line");
      }
    }
    ShipmentLine line;
    line.order_id = row.at("order_id");
    line.sscc = row.at("sscc");
    if (!line.sscc.empty() && !IsValidSscc(line.sscc)) {
      return c.Bad(where, "sscc", "erp.sscc", Shown(line.sscc) + " is not an SSCC-18 with a valid check digit");
    }
    line.gtin = row.at("gtin");
    RETURN_IF_ERROR(c.Gtin(where, &line.gtin, true));
    line.lot_number = row.at("lot_number");
    if (!row.at("serial").empty()) line.serials.push_back(row.at("serial"));
    RETURN_IF_ERROR(c.Qty(where, row.at("quantity"), &line.quantity));
    line.unit = row.at("unit");
    RETURN_IF_ERROR(c.Unit(where, line.unit));
    Shipment& s = out->shipments[it->second];
    if (!line.order_id.empty()) {
      bool known = false;
      for (const std::string& o : s.order_ids) known = known || o == line.order_id;
      if (!known) s.order_ids.push_back(line.order_id);
    }
    s.lines.push_back(std::move(line));
  }
  size_t lines = 0;
  for (const Order& o : out->orders) lines += o.lines.size();
  for (const Shipment& s : out->shipments) lines += s.lines.size();
  if (lines > kMaxErpLineItems) {
    return Refuse(problem, "document", "limit.line_items",
                  "more than " + std::to_string(kMaxErpLineItems) + " line items",
                  Code::kResourceExhausted);
  }
  auto outcome = [&](const char* kind, size_t n) {
    if (n > 0) out->transactions.push_back({format + "-" + kind, "1", "", true, std::to_string(n) + " records"});
  };
  outcome("items", t.items.size());
  outcome("locations", t.locations.size());
  outcome("parties", t.parties.size());
  outcome("orders", t.orders.size());
  outcome("shipments", t.shipments.size());
  return Status::Ok();
}

// RFC 4180 records: fields separated by commas, quoted with '"' ("" inside quotes is one
// quote), records ended by CRLF or LF. `line` is the 1-based line where the record starts.
struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;
};

Status ReadCsv(std::string_view s, std::vector<CsvRecord>* records, ErpProblem* problem) {
  size_t i = 0, line = 1;
  while (i < s.size()) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool quoted_field = false;
    while (true) {
      if (i < s.size() && s[i] == '"' && field.empty() && !quoted_field) {
        quoted_field = true;
        ++i;
        while (true) {
          if (i >= s.size()) {
            return Refuse(problem, "line " + std::to_string(rec.line), "csv.quote",
                          "a quoted field is not closed before the end of the input");
          }
          if (s[i] == '"') {
            if (i + 1 < s.size() && s[i + 1] == '"') { field += '"'; i += 2; continue; }
            ++i;
            break;
          }
          if (s[i] == '\n') ++line;
          field += s[i++];
        }
        if (i < s.size() && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
          return Refuse(problem, "line " + std::to_string(line), "csv.quote",
                        "text after the closing quote of a field");
        }
        continue;
      }
      if (i >= s.size() || s[i] == ',' || s[i] == '\n' || s[i] == '\r') {
        if (rec.fields.size() >= kMaxErpElementsPerSegment) {
          return Refuse(problem, "line " + std::to_string(rec.line), "limit.fields",
                        "more than " + std::to_string(kMaxErpElementsPerSegment) + " fields",
                        Code::kResourceExhausted);
        }
        if (field.size() > kMaxErpElementBytes) {
          return Refuse(problem, "line " + std::to_string(rec.line), "limit.element_bytes",
                        "a field longer than " + std::to_string(kMaxErpElementBytes) + " bytes",
                        Code::kResourceExhausted);
        }
        rec.fields.push_back(std::move(field));
        field.clear();
        quoted_field = false;
        if (i < s.size() && s[i] == ',') { ++i; continue; }
        if (i < s.size() && s[i] == '\r') ++i;
        if (i < s.size() && s[i] == '\n') ++i;
        ++line;
        break;
      }
      if (s[i] == '"') {
        return Refuse(problem, "line " + std::to_string(line), "csv.quote",
                      "a quote inside an unquoted field");
      }
      field += s[i++];
    }
    if (rec.fields.size() == 1 && rec.fields[0].empty()) continue;  // blank line
    if (records->size() >= kMaxErpSegments) {
      return Refuse(problem, "line " + std::to_string(rec.line), "limit.records",
                    "more than " + std::to_string(kMaxErpSegments) + " records", Code::kResourceExhausted);
    }
    records->push_back(std::move(rec));
  }
  return Status::Ok();
}

}  // namespace

Status ImportCsv(std::string_view bytes, ErpImport* out, ErpProblem* problem) {
  std::vector<CsvRecord> records;
  RETURN_IF_ERROR(ReadCsv(StripBom(bytes), &records, problem));
  if (records.empty()) return Refuse(problem, "line 1", "csv.header", "no header row");
  const std::vector<std::string>& header = records[0].fields;
  struct Kind { const std::vector<std::string>* cols; std::vector<std::pair<std::string, Row>> Tables::*table; };
  const Kind kinds[] = {{&kItemCols, &Tables::items}, {&kLocationCols, &Tables::locations},
                        {&kPartyCols, &Tables::parties}, {&kOrderCols, &Tables::orders},
                        {&kShipmentCols, &Tables::shipments}};
  const Kind* kind = nullptr;
  for (const Kind& k : kinds) {
    if (header == *k.cols) kind = &k;
  }
  if (kind == nullptr) {
    std::string shown;
    for (const std::string& h : header) shown += (shown.empty() ? "" : ",") + h;
    return Refuse(problem, "line 1", "csv.header",
                  "header " + Shown(shown) + " is none of the layouts items, locations, parties, "
                  "orders, shipments (docs/formats/erp.md)");
  }
  Tables t;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    if (rec.fields.size() != header.size()) {
      return Refuse(problem, "line " + std::to_string(rec.line), "csv.fields",
                    std::to_string(rec.fields.size()) + " fields, the header has " +
                        std::to_string(header.size()));
    }
    Row row;
    for (size_t f = 0; f < header.size(); ++f) row[header[f]] = rec.fields[f];
    (t.*(kind->table)).emplace_back("line " + std::to_string(rec.line), std::move(row));
  }
  return Build(t, "csv", out, problem);
}

// The deepest nesting of arrays and objects in JSON text (strings skipped), so that a
// document nested deeper than any layout needs is refused before it is parsed.
size_t JsonDepth(std::string_view s) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

constexpr size_t kMaxJsonDepth = 8;  // the layout needs 5: {"orders":[{"lines":[{...}]}]}

Status ImportJson(std::string_view bytes, ErpImport* out, ErpProblem* problem) {
  if (JsonDepth(bytes) > kMaxJsonDepth) {
    return Refuse(problem, "document", "limit.json_depth",
                  "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                  Code::kResourceExhausted);
  }
  nlohmann::json doc = nlohmann::json::parse(StripBom(bytes), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Refuse(problem, "document", "json.syntax", "not valid JSON");
  if (!doc.is_object()) return Refuse(problem, "document", "json.syntax", "not a JSON object");
  Tables t;
  size_t records = 0;
  // Object members as strings; numbers (quantities) as their JSON text.
  auto to_row = [&](const nlohmann::json& obj, const std::string& where,
                    const std::vector<std::string>& cols, Row* row) -> Status {
    if (!obj.is_object()) return Refuse(problem, where, "json.record", "not a JSON object");
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      for (const std::string& c : cols) known = known || c == key;
      if (!known) return Refuse(problem, where + "." + key, "json.member", "unknown member");
    }
    for (const std::string& c : cols) {
      auto it = obj.find(c);
      std::string v;
      if (it != obj.end() && !it->is_null()) {
        if (it->is_string()) v = it->get<std::string>();
        else if (it->is_number()) v = it->dump();
        else return Refuse(problem, where + "." + c, "json.member", "not a string or number");
      }
      if (v.size() > kMaxErpElementBytes) {
        return Refuse(problem, where + "." + c, "limit.element_bytes", "too long", Code::kResourceExhausted);
      }
      (*row)[c] = std::move(v);
    }
    if (++records > kMaxErpSegments) {
      return Refuse(problem, where, "limit.records", "too many records", Code::kResourceExhausted);
    }
    return Status::Ok();
  };
  for (const auto& [key, value] : doc.items()) {
    if (key != "items" && key != "locations" && key != "parties" && key != "orders" && key != "shipments") {
      return Refuse(problem, key, "json.member", "unknown member (items, locations, parties, orders, shipments)");
    }
    if (!value.is_array()) return Refuse(problem, key, "json.member", "not an array");
  }
  struct Flat { const char* name; const std::vector<std::string>* cols; std::vector<std::pair<std::string, Row>> Tables::*table; };
  for (const Flat& f : {Flat{"items", &kItemCols, &Tables::items}, Flat{"locations", &kLocationCols, &Tables::locations},
                        Flat{"parties", &kPartyCols, &Tables::parties}}) {
    if (!doc.contains(f.name)) continue;
    size_t n = 0;
    for (const auto& obj : doc[f.name]) {
      std::string where = std::string(f.name) + "[" + std::to_string(n++) + "]";
      Row row;
      RETURN_IF_ERROR(to_row(obj, where, *f.cols, &row));
      (t.*f.table).emplace_back(where, std::move(row));
    }
  }
  // orders and shipments: a header object with "lines", flattened into the CSV rows.
  struct Nested { const char* name; const char* id_col; std::vector<std::string> head, line; std::vector<std::pair<std::string, Row>> Tables::*table; };
  const Nested nested[] = {
      {"orders", "order_id", {"order_id", "kind", "buyer", "seller", "ship_to", "order_date"},
       {"line_number", "gtin", "item_code", "quantity", "unit", "requested_date"}, &Tables::orders},
      {"shipments", "shipment_id", {"shipment_id", "ship_from", "ship_to", "ship_date", "carrier", "bill_of_lading"},
       {"order_id", "sscc", "gtin", "lot_number", "serial", "quantity", "unit"}, &Tables::shipments}};
  for (const Nested& n : nested) {
    if (!doc.contains(n.name)) continue;
    size_t k = 0;
    for (const auto& obj : doc[n.name]) {
      std::string where = std::string(n.name) + "[" + std::to_string(k++) + "]";
      if (!obj.is_object()) return Refuse(problem, where, "json.record", "not a JSON object");
      nlohmann::json head = obj;
      head.erase("lines");
      Row head_row;
      RETURN_IF_ERROR(to_row(head, where, n.head, &head_row));
      auto lines = obj.find("lines");
      if (lines == obj.end() || !lines->is_array() || lines->empty()) {
        return Refuse(problem, where + ".lines", "json.lines", "needs a non-empty array of lines");
      }
      size_t l = 0;
      for (const auto& line : *lines) {
        std::string lw = where + ".lines[" + std::to_string(l++) + "]";
        Row row = head_row;
        Row line_row;
        RETURN_IF_ERROR(to_row(line, lw, n.line, &line_row));
        row.insert(line_row.begin(), line_row.end());
        (t.*n.table).emplace_back(lw, std::move(row));
      }
    }
  }
  return Build(t, "json", out, problem);
}

}  // namespace tracery::scm_core::erp

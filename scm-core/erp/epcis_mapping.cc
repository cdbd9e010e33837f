// Shipments as EPCIS 2.0 events (JSON-LD): an AggregationEvent per pack and one ObjectEvent
// for the shipping hand-off (docs/formats/erp.md, "EPCIS mapping").
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "erp/erp_internal.h"
#include "tracery/core/encoding.h"

namespace tracery::scm_core {
namespace {

using nlohmann::json;

// Percent-encodes every byte outside RFC 3986 unreserved characters (for URN parts).
std::string UrnPart(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The longest identifier EPCIS validation accepts (epcis::kMaxIdentifierBytes; scm-core does
// not link epcis). Item codes, lots and serials are at most kMaxErpElementBytes, but their
// percent-encoding may triple that.
constexpr size_t kMaxIdentifierBytes = 2'048;

std::string GlnUri(const std::string& gln) { return "https://id.gs1.org/414/" + gln; }

// The class of a line: LGTIN when it has a lot, else the GTIN, else the partner's own code.
std::string ClassOf(const ShipmentLine& line) {
  if (!line.gtin.empty()) {
    std::string uri = "https://id.gs1.org/01/" + line.gtin;
    if (!line.lot_number.empty()) uri += "/10/" + DigitalLinkEscape(line.lot_number);
    return uri;
  }
  std::string_view code = line.item_code;
  size_t colon = code.find(':');
  return "urn:tracery:erp:item:" + UrnPart(code.substr(0, colon)) + ":" +
         UrnPart(colon == std::string_view::npos ? "" : code.substr(colon + 1));
}

json QuantityJson(Quantity q) {
  if (q.thousandths % 1000 == 0) return json(q.thousandths / 1000);
  return json(static_cast<double>(q.thousandths) / 1000.0);
}

json QuantityElement(const ShipmentLine& line) {
  json e = {{"epcClass", ClassOf(line)}, {"quantity", QuantityJson(line.quantity)}};
  if (!line.unit.empty()) e["uom"] = line.unit;
  return e;
}

// Serialised lines name instances (SGTIN); a serial without a GTIN cannot.
void AddLine(const ShipmentLine& line, json* epcs, json* quantities) {
  if (!line.serials.empty() && !line.gtin.empty()) {
    for (const std::string& serial : line.serials) {
      epcs->push_back("https://id.gs1.org/01/" + line.gtin + "/21/" + DigitalLinkEscape(serial));
    }
    return;
  }
  quantities->push_back(QuantityElement(line));
}

std::string BizTransaction(const std::string& issuer, const std::string& number) {
  return "urn:epcglobal:cbv:bt:" + UrnPart(issuer.empty() ? "unknown" : issuer) + ":" +
         UrnPart(number);
}

}  // namespace

Result<std::vector<std::string>> ShipmentToEpcisEvents(const Shipment& shipment) {
  ErpProblem problem;
  const std::string where = "shipment " + erp::Shown(shipment.id);
  if (shipment.ship_date.size() != 10 ||
      erp::DateFromDigits(shipment.ship_date.substr(0, 4) + shipment.ship_date.substr(5, 2) +
                          shipment.ship_date.substr(8, 2)) != shipment.ship_date) {
    return erp::Refuse(&problem, where, "epcis.ship_date", "the shipment has no ship date");
  }
  if (shipment.lines.empty()) {
    return erp::Refuse(&problem, where, "epcis.lines", "the shipment has no lines");
  }
  if (!shipment.ship_time.empty() &&
      (shipment.ship_time.size() != 8 ||
       erp::TimeFromDigits(shipment.ship_time.substr(0, 2) + shipment.ship_time.substr(3, 2) +
                           shipment.ship_time.substr(6, 2)) != shipment.ship_time)) {
    return erp::Refuse(&problem, where, "epcis.ship_time", "ship_time is not HH:MM:SS");
  }
  for (const ShipmentLine& line : shipment.lines) {
    if (line.quantity.thousandths < 0) {
      return erp::Refuse(&problem, where, "epcis.quantity", "a line has a negative quantity");
    }
    if (line.gtin.empty() && line.item_code.empty()) {
      return erp::Refuse(&problem, where, "epcis.product", "a line has neither GTIN nor item code");
    }
    size_t longest = ClassOf(line).size();
    for (const std::string& serial : line.serials) {
      longest = std::max(longest, DigitalLinkEscape(serial).size() + 40);
    }
    longest = std::max(longest, BizTransaction(shipment.ship_to, line.order_id).size());
    if (longest > kMaxIdentifierBytes) {
      return erp::Refuse(&problem, where, "epcis.identifier_length",
                         "a line's class, serial or order identifier would be longer than " +
                             std::to_string(kMaxIdentifierBytes) + " bytes");
    }
    if (!line.unit.empty() && erp::X12UnitToRec20(line.unit) != line.unit) {
      return erp::Refuse(&problem, where, "epcis.uom", "unit " + erp::Shown(line.unit) + " is not a Rec. 20 code");
    }
  }
  size_t longest = std::max(
      BizTransaction(shipment.ship_from, shipment.id).size(),
      BizTransaction(shipment.carrier.empty() ? shipment.ship_from : shipment.carrier,
                     shipment.bill_of_lading).size());
  for (const std::string& order : shipment.order_ids) {
    longest = std::max(longest, BizTransaction(shipment.ship_to, order).size());
  }
  if (longest > kMaxIdentifierBytes) {
    return erp::Refuse(&problem, where, "epcis.identifier_length",
                       "the shipment's business transaction identifiers would be longer than " +
                           std::to_string(kMaxIdentifierBytes) + " bytes");
  }
  const std::string time = shipment.ship_time.empty() ? "00:00:00" : shipment.ship_time;
  const std::string event_time = shipment.ship_date + "T" + time + "Z";
  const bool from_gln = IsValidGln(shipment.ship_from);
  const bool to_gln = IsValidGln(shipment.ship_to);

  json base = {{"eventTime", event_time}, {"eventTimeZoneOffset", "+00:00"}};
  if (from_gln) {
    base["readPoint"] = {{"id", GlnUri(shipment.ship_from)}};
    base["bizLocation"] = {{"id", GlnUri(shipment.ship_from)}};
  }
  json po_list = json::array();
  for (const std::string& order : shipment.order_ids) {
    po_list.push_back({{"type", "po"}, {"bizTransaction", BizTransaction(shipment.ship_to, order)}});
  }

  // Packs in order of first appearance.
  std::vector<std::string> ssccs;
  std::map<std::string, std::pair<json, json>> packs;  // sscc → (childEPCs, childQuantityList)
  json loose_epcs = json::array(), loose_quantities = json::array();
  for (const ShipmentLine& line : shipment.lines) {
    if (line.sscc.empty()) {
      AddLine(line, &loose_epcs, &loose_quantities);
      continue;
    }
    auto [it, fresh] = packs.try_emplace(line.sscc, json::array(), json::array());
    if (fresh) ssccs.push_back(line.sscc);
    AddLine(line, &it->second.first, &it->second.second);
  }

  std::vector<std::string> events;
  events.reserve(ssccs.size() + 1);
  for (const std::string& sscc : ssccs) {
    json e = base;
    e["type"] = "AggregationEvent";
    e["action"] = "ADD";
    e["bizStep"] = "packing";
    e["parentID"] = "https://id.gs1.org/00/" + sscc;
    const auto& [epcs, quantities] = packs[sscc];
    if (!epcs.empty()) e["childEPCs"] = epcs;
    if (!quantities.empty()) e["childQuantityList"] = quantities;
    if (!po_list.empty()) e["bizTransactionList"] = po_list;
    events.push_back(e.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  json o = base;
  o["type"] = "ObjectEvent";
  o["action"] = "OBSERVE";
  o["bizStep"] = "shipping";
  o["disposition"] = "in_transit";
  json epc_list = json::array();
  for (const std::string& sscc : ssccs) epc_list.push_back("https://id.gs1.org/00/" + sscc);
  for (const auto& epc : loose_epcs) epc_list.push_back(epc);
  if (!epc_list.empty()) o["epcList"] = epc_list;
  if (!loose_quantities.empty()) o["quantityList"] = loose_quantities;
  json transactions = json::array();
  transactions.push_back(
      {{"type", "desadv"}, {"bizTransaction", BizTransaction(shipment.ship_from, shipment.id)}});
  for (const auto& po : po_list) transactions.push_back(po);
  if (!shipment.bill_of_lading.empty()) {
    transactions.push_back({{"type", "bol"},
                            {"bizTransaction",
                             BizTransaction(shipment.carrier.empty() ? shipment.ship_from
                                                                     : shipment.carrier,
                                            shipment.bill_of_lading)}});
  }
  o["bizTransactionList"] = transactions;
  if (from_gln) {
    o["sourceList"] = {{{"type", "owning_party"}, {"source", GlnUri(shipment.ship_from)}},
                       {{"type", "location"}, {"source", GlnUri(shipment.ship_from)}}};
  }
  if (to_gln) {
    o["destinationList"] = {
        {{"type", "owning_party"}, {"destination", GlnUri(shipment.ship_to)}},
        {{"type", "location"}, {"destination", GlnUri(shipment.ship_to)}}};
  }
  events.push_back(o.dump(-1, ' ', false, json::error_handler_t::replace));
  return events;
}

}  // namespace tracery::scm_core

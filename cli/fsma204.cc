#include "fsma204.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tracery/epcis/cbv.h"
#include "tracery/epcis/identifiers.h"
#include "tracery/scm_core/stock_effects.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

std::string Canonical(const std::string& id) {
  auto c = epcis::CanonicalIdentifier(id);
  return c.ok() ? *c : id;
}

std::string Str(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The CTE of an event in FSMA 204's words.
std::string CteOf(const json& event) {
  if (Str(event, "type") == "TransformationEvent") return "Transformation";
  auto step = epcis::NormalizeCbv(epcis::CbvVocabulary::kBizStep, Str(event, "bizStep"));
  const std::string bare = step.ok() ? std::string(epcis::CbvBareValue(*step)) : Str(event, "bizStep");
  if (bare == "shipping") return "Shipping";
  if (bare == "receiving") return "Receiving";
  if (bare == "commissioning") return "Initial Packing";
  if (bare == "packing") return "Packing";
  return bare.empty() ? "Other" : "Other (" + bare + ")";
}

std::string GlnOf(const json& holder) {
  const std::string id = holder.is_object() ? Str(holder, "id") : "";
  return id.empty() ? "" : scm_core::GlnOfLocation(Canonical(id));
}

// The GLN of the first source ("source") or destination ("destination") of a type
// (owning_party, location) in an event's list.
std::string PartyGln(const json& event, const char* list, const char* member, const char* type) {
  if (!event.contains(list) || !event[list].is_array()) return "";
  for (const json& sd : event[list]) {
    auto t = epcis::NormalizeCbv(epcis::CbvVocabulary::kSourceDestType, Str(sd, "type"));
    if (!t.ok() || epcis::CbvBareValue(*t) != type) continue;
    std::string gln = scm_core::GlnOfLocation(Canonical(Str(sd, member)));
    if (!gln.empty()) return gln;
  }
  return "";
}

struct Entry {
  std::string gtin;
  std::string lot;
  std::string quantity;
  std::string uom;
};

// The trade items an event names (objects, quantities, children, inputs, outputs).
std::vector<Entry> TradeItems(const json& event) {
  std::vector<Entry> out;
  for (const char* list : {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}) {
    if (!event.contains(list) || !event[list].is_array()) continue;
    for (const json& epc : event[list]) {
      if (!epc.is_string()) continue;
      scm_core::TradeItem t = scm_core::TradeItemOf(Canonical(epc.get<std::string>()));
      if (!t.gtin.empty()) out.push_back({t.gtin, t.lot_number, "1", "EA"});
    }
  }
  for (const char* list : {"quantityList", "childQuantityList", "inputQuantityList",
                           "outputQuantityList"}) {
    if (!event.contains(list) || !event[list].is_array()) continue;
    for (const json& q : event[list]) {
      scm_core::TradeItem t = scm_core::TradeItemOf(Canonical(Str(q, "epcClass")));
      if (t.gtin.empty()) continue;
      const json qty = q.value("quantity", json());
      std::string text = qty.is_number() ? qty.dump() : qty.is_string() ? qty.get<std::string>() : "";
      out.push_back({t.gtin, t.lot_number, text, Str(q, "uom")});
    }
  }
  // ILMD lot number for instances without one.
  const std::string ilmd_lot =
      event.contains("ilmd") && event["ilmd"].is_object() ? Str(event["ilmd"], "cbvmda:lotNumber") : "";
  for (Entry& e : out) {
    if (e.lot.empty()) e.lot = ilmd_lot;
  }
  return out;
}

}  // namespace

Result<std::vector<Sheet>> Fsma204Sheets(
    const json& exposure, const std::function<Result<json>(const std::string&)>& event_of,
    const json& masterdata) {
  if (!exposure.is_object() || !exposure.contains("checkpoints") || !exposure.contains("exposed")) {
    return InvalidArgument("not a recall exposure");
  }
  // The exposed trade items: (gtin, lot); a GTIN class stands for every lot.
  std::set<std::pair<std::string, std::string>> exposed;
  for (const json& e : exposure["exposed"]) {
    scm_core::TradeItem t = scm_core::TradeItemOf(Str(e, "id"));
    if (!t.gtin.empty()) exposed.insert({t.gtin, t.lot_number});
  }
  auto is_exposed = [&](const Entry& e) {
    return exposed.count({e.gtin, e.lot}) != 0 || exposed.count({e.gtin, ""}) != 0;
  };
  std::map<std::string, std::string> descriptions;  // gtin → description
  std::map<std::string, std::string> units;         // gtin → unit of measure
  std::map<std::string, std::string> location_names;
  if (masterdata.is_object()) {
    for (const json& i : masterdata.value("items", json::array())) {
      descriptions[Str(i, "gtin")] = Str(i, "description");
      units[Str(i, "gtin")] = Str(i, "unit");
    }
    for (const json& l : masterdata.value("locations", json::array())) {
      location_names[Str(l, "gln")] = Str(l, "name");
    }
  }
  std::map<std::string, std::string> location_orgs;  // gln → organisation (genesis)
  for (const json& h : exposure.value("handoffs", json::array())) {
    const std::string gln = scm_core::GlnOfLocation(Str(h, "bizLocation"));
    if (!gln.empty() && !Str(h, "bizLocationOrg").empty()) location_orgs[gln] = Str(h, "bizLocationOrg");
  }

  Sheet records{"Traceability records",
                {"Traceability Lot Code", "Product (GTIN)", "Product Description", "Quantity",
                 "Unit of Measure", "Critical Tracking Event", "Event Date", "Event Time",
                 "Location (GLN)", "Ship-From Location (GLN)", "Ship-To Location (GLN)",
                 "Traceability Lot Code Source (GLN)", "Reference Document Type",
                 "Reference Document Number", "Event ID", "Recorded By"},
                {}};
  std::set<std::string> glns;
  std::set<std::string> gtins;
  std::set<std::string> seen_events;
  for (const json& c : exposure["checkpoints"]) {
    const std::string event_id = Str(c, "eventID");
    if (!seen_events.insert(event_id).second) continue;
    ASSIGN_OR_RETURN(json event, event_of(event_id));
    const std::string cte = CteOf(event);
    const std::string time = Str(event, "eventTime");
    std::string location = GlnOf(event.value("bizLocation", json()));
    if (location.empty()) location = GlnOf(event.value("readPoint", json()));
    std::string from = PartyGln(event, "sourceList", "source", "location");
    if (from.empty()) from = PartyGln(event, "sourceList", "source", "owning_party");
    std::string to = PartyGln(event, "destinationList", "destination", "location");
    if (to.empty()) to = PartyGln(event, "destinationList", "destination", "owning_party");
    if (cte == "Shipping" && from.empty()) from = location;
    if (cte == "Receiving" && to.empty()) to = location;
    std::string doc_type, doc_number;
    if (event.contains("bizTransactionList") && event["bizTransactionList"].is_array() &&
        !event["bizTransactionList"].empty()) {
      const json& bt = event["bizTransactionList"][0];
      auto t = epcis::NormalizeCbv(epcis::CbvVocabulary::kBizTransactionType, Str(bt, "type"));
      doc_type = t.ok() ? std::string(epcis::CbvBareValue(*t)) : Str(bt, "type");
      doc_number = Str(bt, "bizTransaction");
    }
    const bool assigns_lot = cte == "Transformation" || cte == "Initial Packing";
    for (const Entry& e : TradeItems(event)) {
      if (!is_exposed(e)) continue;
      const std::string uom = e.uom.empty() ? units[e.gtin] : e.uom;
      records.rows.push_back({e.lot, e.gtin, descriptions[e.gtin], e.quantity, uom, cte,
                              time.substr(0, 10), time.size() > 11 ? time.substr(11) : "",
                              location, from, to, assigns_lot ? location : "", doc_type,
                              doc_number, event_id, Str(c, "org")});
      gtins.insert(e.gtin);
      for (const std::string& g : {location, from, to}) {
        if (!g.empty()) glns.insert(g);
      }
    }
  }
  Sheet legend{"Legend", {"Code Type", "Code", "Description", "Organisation"}, {}};
  for (const std::string& g : glns) {
    legend.rows.push_back({"Location (GLN)", g, location_names[g], location_orgs[g]});
  }
  for (const std::string& g : gtins) legend.rows.push_back({"Product (GTIN)", g, descriptions[g], ""});
  return std::vector<Sheet>{std::move(records), std::move(legend)};
}

}  // namespace tracery::cli

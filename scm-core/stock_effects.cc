#include "tracery/scm_core/stock_effects.h"

#include <string_view>

#include "tracery/core/encoding.h"
#include "tracery/epcis/cbv.h"

namespace tracery::scm_core {
namespace {

constexpr std::string_view kDigitalLink = "https://id.gs1.org/";

// The value of application identifier `ai` in a Digital Link path, or "".
std::string PathValue(std::string_view path, std::string_view ai) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t a_end = path.find('/', pos);
    if (a_end == std::string_view::npos) return {};
    size_t v_end = path.find('/', a_end + 1);
    std::string_view key = path.substr(pos, a_end - pos);
    std::string_view value = path.substr(a_end + 1, v_end == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : v_end - a_end - 1);
    if (key == ai) return std::string(value);
    if (v_end == std::string_view::npos) return {};
    pos = v_end + 1;
  }
  return {};
}

std::string_view DigitalLinkPath(const std::string& uri) {
  std::string_view v(uri);
  if (!v.starts_with(kDigitalLink)) return {};
  v.remove_prefix(kDigitalLink.size());
  return v.substr(0, v.find('?'));
}

enum class Effect { kNone, kAdd, kRemove, kShip };

Effect EffectOf(const v1::Checkpoint& cp) {
  std::string_view step = epcis::CbvBareValue(cp.biz_step());
  if (step == "receiving" || step == "accepting" || step == "unpacking") return Effect::kAdd;
  if (step == "commissioning" && cp.action() == "ADD") return Effect::kAdd;
  if (step == "shipping") return Effect::kShip;
  if (step == "destroying" || step == "decommissioning" || step == "dispensing" ||
      step == "retail_selling") {
    return Effect::kRemove;
  }
  return Effect::kNone;
}

}  // namespace

std::string GlnOfLocation(const std::string& uri) {
  return PathValue(DigitalLinkPath(uri), "414");
}

TradeItem TradeItemOf(const std::string& uri) {
  std::string_view path = DigitalLinkPath(uri);
  if (!path.starts_with("01/")) return {};
  // A lot as Digital Link writes it is percent-encoded; one that does not decode is kept as is.
  std::string lot = PathValue(path, "10");
  auto decoded = PercentDecode(lot);
  return {PathValue(path, "01"), decoded.ok() ? *decoded : lot};
}

Result<std::vector<Movement>> StockEffects(const v1::Checkpoint& cp,
                                           const std::function<bool(const std::string&)>& own) {
  std::string gln = GlnOfLocation(cp.biz_location());
  if (gln.empty()) gln = GlnOfLocation(cp.read_point());
  std::vector<Movement> out;
  if (gln.empty() || !own(gln)) return out;

  auto add = [&](MovementKind kind, int sign, const std::string& id,
                 const std::string& quantity) -> Status {
    TradeItem item = TradeItemOf(id);
    if (item.gtin.empty()) return Status::Ok();
    if (item.lot_number.empty()) item.lot_number = cp.lot_number();
    Quantity q = Quantity::Units(1);
    if (!quantity.empty()) {
      auto parsed = Quantity::Parse(quantity);
      if (!parsed.ok()) return InvalidArgument("quantity of " + id + ": " + parsed.status().message());
      q = *parsed;
    }
    out.push_back({kind, item.gtin, gln, item.lot_number, sign < 0 ? Quantity{} - q : q,
                   cp.event_time_ms(), cp.event_id()});
    return Status::Ok();
  };
  auto add_all = [&](MovementKind kind, int sign,
                     const google::protobuf::RepeatedPtrField<std::string>& epcs,
                     const google::protobuf::RepeatedPtrField<v1::Quantity>& quantities) -> Status {
    for (const std::string& epc : epcs) RETURN_IF_ERROR(add(kind, sign, epc, ""));
    for (const v1::Quantity& q : quantities) {
      RETURN_IF_ERROR(add(kind, sign, q.epc_class(), q.quantity().empty() ? "1" : q.quantity()));
    }
    return Status::Ok();
  };

  if (cp.type() == "TransformationEvent") {
    RETURN_IF_ERROR(add_all(MovementKind::kConsumption, -1, cp.input_epc_list(),
                            cp.input_quantity_list()));
    RETURN_IF_ERROR(add_all(MovementKind::kProduction, +1, cp.output_epc_list(),
                            cp.output_quantity_list()));
    return out;
  }
  switch (EffectOf(cp)) {
    case Effect::kNone:
      break;
    case Effect::kAdd:
      RETURN_IF_ERROR(add_all(MovementKind::kReceipt, +1, cp.epc_list(), cp.quantity_list()));
      RETURN_IF_ERROR(add_all(MovementKind::kReceipt, +1, cp.child_epcs(), cp.child_quantity_list()));
      break;
    case Effect::kShip:
      RETURN_IF_ERROR(add_all(MovementKind::kShipment, -1, cp.epc_list(), cp.quantity_list()));
      RETURN_IF_ERROR(add_all(MovementKind::kShipment, -1, cp.child_epcs(), cp.child_quantity_list()));
      break;
    case Effect::kRemove:
      RETURN_IF_ERROR(add_all(MovementKind::kAdjustment, -1, cp.epc_list(), cp.quantity_list()));
      break;
  }
  return out;
}

}  // namespace tracery::scm_core

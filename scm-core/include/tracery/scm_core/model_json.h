// JSON forms of the canonical model (camelCase names, quantities as decimal strings), used by
// the SCM store and by the node's HTTP API. Reading checks types and GS1 keys and names the
// field that is wrong.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "tracery/core/status.h"
#include "tracery/scm_core/model.h"

namespace tracery::scm_core {

nlohmann::json ToJson(const Item& item);
nlohmann::json ToJson(const Location& location);
nlohmann::json ToJson(const Party& party);
nlohmann::json ToJson(const Order& order);
nlohmann::json ToJson(const Shipment& shipment);
nlohmann::json ToJson(const InventoryPosition& position);
nlohmann::json ToJson(const Hold& hold);
nlohmann::json ToJson(const ExceptionRecord& exception);

Result<Item> ItemFromJson(const nlohmann::json& j);
Result<Location> LocationFromJson(const nlohmann::json& j);
Result<Party> PartyFromJson(const nlohmann::json& j);
Result<Order> OrderFromJson(const nlohmann::json& j);
Result<Shipment> ShipmentFromJson(const nlohmann::json& j);
Result<Hold> HoldFromJson(const nlohmann::json& j);
Result<ExceptionRecord> ExceptionFromJson(const nlohmann::json& j);

const char* OrderKindName(OrderKind kind);  // "purchase", "sales"
const char* PartyRoleName(PartyRole role);  // "supplier", "customer"

}  // namespace tracery::scm_core

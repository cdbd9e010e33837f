// The telemetry part of the HTTP API: the registry of IoT gateways (their Ed25519 keys,
// revocation) and of the sensors behind them, bound to the lot or shipment they watch.
#include <nlohmann/json.hpp>

#include "api.h"
#include "tracery/core/encoding.h"
#include "tracery/core/time.h"

namespace tracery::node {
namespace {

using nlohmann::json;

std::optional<HttpResponse> TelemetryForbidden(const std::string& node_org, const std::string& org,
                                               const std::string& name, Role role, bool write) {
  if (org == node_org && role != Role::kCarrier &&
      (!write || role == Role::kAdmin || role == Role::kPartner)) {
    return std::nullopt;
  }
  return Problem(403, "forbidden", "Forbidden",
                 "principal '" + name + "' (" + org + ", " + RoleName(role) + ") may not " +
                     (write ? "change" : "read") + " the gateway registry of " + node_org +
                     (write ? " (its admin or partner may)" : ""));
}

std::string Member(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

HttpResponse Api::HandleGateways(const Principal& who, const HttpRequest& request,
                                 const std::vector<std::string>& seg) {
  const bool write = request.method != "GET";
  if (auto denied = TelemetryForbidden(node_->org(), who.org, who.name, who.role, write)) {
    return *denied;
  }
  TelemetryService* telemetry = node_->telemetry();
  if (telemetry == nullptr) {
    return Problem(503, "telemetry-off", "Telemetry is off",
                   "this node's configuration names no MQTT broker (telemetry.broker)");
  }
  json body;
  if (write) {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return ProblemFromStatus(InvalidArgument("request body: not a JSON object"));
  }
  if (PathIs(seg, {"v1", "gateways"})) {
    if (request.method == "GET") {
      json list = json::array();
      for (const scm_core::GatewayRecord& g : telemetry->Gateways()) {
        json j{{"id", g.gateway_id},
               {"publicKey", HexEncode(g.public_key.bytes())},
               {"registeredAt", FormatRfc3339Utc(g.registered_at_ms)},
               {"revoked", g.revoked}};
        if (g.revoked) {
          j["revokedAt"] = FormatRfc3339Utc(g.revoked_at_ms);
          j["revokedBy"] = g.revoked_by;
        }
        const scm_core::TelemetryAck progress = telemetry->Progress(g.gateway_id);
        j["durableThrough"] = progress.durable_through;
        list.push_back(std::move(j));
      }
      return JsonResponse(200, {{"gateways", list}});
    }
    if (request.method != "POST") return MethodNotAllowed("GET, POST");
    const std::string id = Member(body, "id");
    auto key_bytes = HexDecode(Member(body, "publicKey"));
    if (id.empty()) return ProblemFromStatus(InvalidArgument("id: is required"));
    if (!key_bytes.ok()) return ProblemFromStatus(InvalidArgument("publicKey: 64 hex digits (Ed25519)"));
    auto key = PublicKey::FromBytes(*key_bytes);
    if (!key.ok()) return ProblemFromStatus(key.status().Annotate("publicKey"));
    Status st = telemetry->RegisterGateway(id, *key);
    if (!st.ok()) return ProblemFromStatus(st);
    return JsonResponse(201, {{"id", id}, {"publicKey", HexEncode(key->bytes())}});
  }
  if (PathIs(seg, {"v1", "gateways", "*", "revoke"}) && request.method == "POST") {
    Status st = telemetry->RevokeGateway(seg[2], who.name + "@" + who.org);
    if (!st.ok()) return ProblemFromStatus(st);
    return JsonResponse(200, {{"id", seg[2]}, {"revoked", true}});
  }
  if (PathIs(seg, {"v1", "gateways", "*", "sensors"}) && request.method == "POST") {
    scm_core::SensorBinding b{Member(body, "sensorId"), seg[2], Member(body, "gtin"),
                              Member(body, "lotNumber"), Member(body, "shipment")};
    if (b.sensor_id.empty()) return ProblemFromStatus(InvalidArgument("sensorId: is required"));
    Status st = telemetry->BindSensor(b);
    if (!st.ok()) return ProblemFromStatus(st);
    return JsonResponse(201, {{"sensorId", b.sensor_id}, {"gatewayId", b.gateway_id},
                              {"gtin", b.gtin}, {"lotNumber", b.lot}, {"shipment", b.shipment}});
  }
  if (PathIs(seg, {"v1", "gateways", "*", "revoke"}) || PathIs(seg, {"v1", "gateways", "*", "sensors"})) {
    return MethodNotAllowed("POST");
  }
  return Problem(404, "not-found", "Not found", "no resource at " + request.target);
}

}  // namespace tracery::node

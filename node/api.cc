#include "api.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "tracery/core/encoding.h"
#include "tracery/core/time.h"
#include "tracery/epcis/checkpoint_json.h"
#include "tracery/ledger/proof.h"

namespace tracery::node {
namespace {

using nlohmann::json;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

Result<std::map<std::string, std::string>> ParseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    ASSIGN_OR_RETURN(std::string key, PercentDecode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string::npos) {
      ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1)));
    }
    if (!key.empty()) out[key] = value;
    start = end + 1;
  }
  return out;
}

Result<uint64_t> ParseUint(const std::string& text, const std::string& name) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return InvalidArgument(name + ": expected a non-negative integer, got '" + text + "'");
  }
  return v;
}

json HeaderToJson(const v1::BlockHeader& h, const Hash32& hash) {
  return json{{"height", h.height()},
              {"hash", HashHex(hash)},
              {"previousHash", HexEncode(h.previous_hash())},
              {"txsRoot", HexEncode(h.txs_root())},
              {"txCount", h.tx_count()},
              {"logRoot", HexEncode(h.log_root())},
              {"logSize", h.log_size()},
              {"proposer", h.proposer()},
              {"term", h.term()},
              {"time", FormatRfc3339Utc(h.time_ms())}};
}

json CertificateToJson(const v1::CommitCertificate& c) {
  json sigs = json::array();
  for (const auto& s : c.signatures()) {
    sigs.push_back({{"nodeId", s.node_id()}, {"signature", Base64Encode(s.signature())}});
  }
  return json{{"height", c.height()},
              {"blockHash", HexEncode(c.block_hash())},
              {"term", c.term()},
              {"signatures", sigs}};
}


}  // namespace

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// A proof bundle with a readable copy of each checkpoint beside the bytes that are verified.
json ProofResponse(const ledger::ProofBundle& proof, const ledger::Genesis& genesis) {
  json j = ledger::ProofToJson(proof);
  json events = json::array();
  for (const auto& c : proof.checkpoints) {
    v1::Checkpoint cp;
    events.push_back(cp.ParseFromString(c.checkpoint) ? epcis::CheckpointToJson(cp) : json());
  }
  j["events"] = events;  // informative: verifiers decode the bytes, not this
  j["genesisHash"] = HashHex(genesis.hash());
  return j;
}

HttpResponse Problem(int status, const std::string& slug, const std::string& title,
                     const std::string& detail) {
  return Problem(status, slug, title, detail, {});
}

HttpResponse Problem(int status, const std::string& slug, const std::string& title,
                     const std::string& detail,
                     const std::vector<std::pair<std::string, std::string>>& members) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  json body{{"type", "/problems/" + slug}, {"title", title}, {"status", status},
            {"detail", detail}};
  for (const auto& [name, value] : members) body[name] = value;
  r.body = body.dump();
  return r;
}

HttpResponse ProblemFromStatus(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument:
      return Problem(400, "invalid-request", "The request is not valid", st.message());
    case Code::kNotFound: return Problem(404, "not-found", "Not found", st.message());
    case Code::kAlreadyExists: return Problem(409, "conflict", "Already exists", st.message());
    case Code::kPermissionDenied: return Problem(403, "forbidden", "Forbidden", st.message());
    case Code::kUnauthenticated: {
      HttpResponse r = Problem(401, "unauthenticated", "Authentication required", st.message());
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    case Code::kFailedPrecondition:
      return Problem(422, "unprocessable", "The request cannot be processed", st.message());
    case Code::kResourceExhausted: {
      HttpResponse r = Problem(503, "overloaded", "Too much pending work", st.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Code::kUnavailable:
      return Problem(503, "unavailable", "Temporarily unavailable", st.message());
    case Code::kCorruption:
      return Problem(500, "corruption", "Stored data does not verify", st.message());
    default: return Problem(500, "internal", "Internal error", st.message());
  }
}

Api::Api(Node* node) : node_(node) {
  for (const TokenEntry& t : node->config().tokens) tokens_by_hash_[t.sha256_hex] = t;
}

Result<Api::Principal> Api::Authenticate(const HttpRequest& request) const {
  const std::string prefix = "bearer ";
  if (request.authorization.empty()) {
    return Unauthenticated("this request needs an Authorization: Bearer token");
  }
  std::string scheme = request.authorization.substr(0, prefix.size());
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme != prefix) {  // the scheme is case-insensitive (RFC 9110 §11.1)
    return Unauthenticated("the Authorization header must use the Bearer scheme");
  }
  const std::string token = request.authorization.substr(prefix.size());
  auto it = tokens_by_hash_.find(HashHex(Sha256(token)));
  if (it == tokens_by_hash_.end()) return Unauthenticated("the bearer token is not known");
  return Principal{it->second.name, it->second.org, it->second.role};
}

std::optional<HttpResponse> Api::WaitForIndexes(const char* index) {
  constexpr int64_t kIndexWaitMs = 5000;
  if (node_->WaitIndexed(node_->ledger().head().height, kIndexWaitMs)) return std::nullopt;
  return Problem(503, "index-behind", "Temporarily unavailable",
                 std::string(index) + " has not caught up with the ledger yet; retry");
}

HttpResponse MethodNotAllowed(const std::string& allowed) {
  HttpResponse r = Problem(405, "method-not-allowed", "Method not allowed",
                           "this resource accepts " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

bool PathIs(const std::vector<std::string>& seg, std::initializer_list<const char*> parts) {
  if (seg.size() != parts.size()) return false;
  size_t i = 0;
  for (const char* p : parts) {
    if (std::string(p) != "*" && seg[i] != p) return false;
    ++i;
  }
  return true;
}

HttpResponse Api::Handle(const HttpRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  Metrics& m = node_->metrics();
  m.http_requests.fetch_add(1, std::memory_order_relaxed);
  auto finish = [&](HttpResponse r) {
    if (r.status >= 500) m.http_server_errors.fetch_add(1, std::memory_order_relaxed);
    else if (r.status >= 400) m.http_client_errors.fetch_add(1, std::memory_order_relaxed);
    if (r.status == 401 || r.status == 403) m.auth_denials.fetch_add(1, std::memory_order_relaxed);
    m.http_latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return r;
  };

  const size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  auto query = ParseQuery(qmark == std::string::npos ? "" : request.target.substr(qmark + 1));
  if (!query.ok()) return finish(ProblemFromStatus(query.status()));
  std::vector<std::string> raw = SplitPath(path);
  std::vector<std::string> seg;
  for (const std::string& s : raw) {
    auto d = PercentDecode(s);
    if (!d.ok()) return finish(ProblemFromStatus(d.status().Annotate("path")));
    seg.push_back(std::move(d).value());
  }
  const std::string& method = request.method;
  auto is = [&](std::initializer_list<const char*> parts) { return PathIs(seg, parts); };

  if (is({"healthz"})) {
    if (method != "GET") return finish(Problem(405, "method-not-allowed", "Method not allowed", "use GET"));
    return finish(JsonResponse(200, {{"status", "ok"}}));
  }
  auto who = Authenticate(request);
  if (!who.ok()) return finish(ProblemFromStatus(who.status()));

  auto only = [&](const char* allowed) -> std::optional<HttpResponse> {
    if (method == allowed) return std::nullopt;
    return MethodNotAllowed(allowed);
  };
  if (is({"readyz"})) {
    if (auto r = only("GET")) return finish(*r);
    if (!node_->running()) return finish(Problem(503, "not-ready", "Not ready", "the node is stopping"));
    nlohmann::json body{{"status", "ready"}, {"height", node_->ledger().head().height}};
    if (auto raft = node_->raft_status()) {
      body["consensus"] = {{"kind", "raft"},
                           {"role", consensus::RaftRoleName(raft->role)},
                           {"term", raft->term},
                           {"leader", raft->leader},
                           {"commit", raft->commit},
                           {"lastIndex", raft->last_index},
                           {"refusedEntries", raft->refused_entries}};
      if (raft->leader.empty()) {
        return finish(Problem(503, "no-leader", "Not ready",
                              "no Raft leader is known yet (an election is under way, or a "
                              "majority of validators is unreachable)"));
      }
    }
    return finish(JsonResponse(200, body));
  }
  if (is({"metrics"})) {
    if (auto r = only("GET")) return finish(*r);
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    const std::optional<PeerStats> peers = node_->peer_stats();
    r.body = m.Render(node_->ledger().head().height, node_->pending(),
                      peers ? &*peers : nullptr);
    {
      const WebhookSenderStats w = node_->event_log().sender->stats();
      r.body += "# HELP tracery_webhook_deliveries_total Webhook deliveries by outcome.\n"
                "# TYPE tracery_webhook_deliveries_total counter\n"
                "tracery_webhook_deliveries_total{outcome=\"delivered\"} " + std::to_string(w.delivered) + "\n"
                "tracery_webhook_deliveries_total{outcome=\"failed_attempt\"} " + std::to_string(w.failed_attempts) + "\n"
                "tracery_webhook_deliveries_total{outcome=\"dead_lettered\"} " + std::to_string(w.dead_lettered) + "\n";
    }
    if (TelemetryService* t = node_->telemetry()) {
      const TelemetryCounters c = t->counters();
      const std::pair<const char*, uint64_t> counters[] = {
          {"received", c.received},           {"accepted", c.accepted},
          {"duplicate", c.duplicate},         {"unsigned", c.unsigned_batches},
          {"unknown_gateway", c.unknown_gateway}, {"revoked", c.revoked},
          {"forged", c.forged},               {"malformed", c.malformed},
          {"too_far_ahead", c.too_far_ahead}};
      r.body += "# HELP tracery_telemetry_batches_total MQTT telemetry batches by outcome.\n"
                "# TYPE tracery_telemetry_batches_total counter\n";
      for (const auto& [outcome, n] : counters) {
        r.body += std::string("tracery_telemetry_batches_total{outcome=\"") + outcome + "\"} " +
                  std::to_string(n) + "\n";
      }
      r.body += "# TYPE tracery_telemetry_readings_total counter\n"
                "tracery_telemetry_readings_total " + std::to_string(c.readings_accepted) + "\n"
                "# TYPE tracery_telemetry_late_readings_total counter\n"
                "tracery_telemetry_late_readings_total " + std::to_string(c.late_readings) + "\n"
                "# TYPE tracery_telemetry_excursion_events_total counter\n"
                "tracery_telemetry_excursion_events_total " + std::to_string(c.excursion_events) + "\n"
                "# TYPE tracery_telemetry_mqtt_connected gauge\n"
                "tracery_telemetry_mqtt_connected " + std::string(t->mqtt_connected() ? "1" : "0") + "\n";
    }
    return finish(r);
  }
  if (seg.size() >= 2 && seg[0] == "v1" && IsScmResource(seg[1])) {
    return finish(HandleScm(*who, request, seg, *query));
  }
  if (seg.size() >= 2 && seg[0] == "v1" && seg[1] == "gateways") {
    return finish(HandleGateways(*who, request, seg));
  }
  if (is({"v1", "payloads", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetPayload(*who, seg[2]));
  }
  if (is({"v1", "payloads", "*", "erase"})) {
    if (auto r = only("POST")) return finish(*r);
    return finish(PostPayloadErase(*who, seg[2], request));
  }
  if (is({"v1", "checkpoints"})) {
    if (auto r = only("POST")) return finish(*r);
    return finish(PostCheckpoints(*who, request, *query));
  }
  if (is({"v1", "txs"})) {
    if (auto r = only("POST")) return finish(*r);
    return finish(PostTxs(*who, request));
  }
  if (is({"v1", "ledger", "head"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetHead());
  }
  if (is({"v1", "ledger", "blocks", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetBlock(seg[3], *query));
  }
  if (is({"v1", "proofs", "tx", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetTxProof(seg[3]));
  }
  if (is({"v1", "proofs", "events", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetEventProof(seg[3]));
  }
  if (is({"v1", "proofs", "consistency"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetConsistency(*query));
  }
  if (is({"v1", "capture"})) {
    if (auto r = only("POST")) return finish(*r);
    return finish(PostCapture(*who, request));
  }
  if (is({"v1", "capture", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetCapture(*who, seg[2]));
  }
  if (is({"v1", "events"})) {
    if (method == "POST") return finish(PostEvent(*who, request));
    if (auto r = only("GET")) return finish(*r);
    return finish(GetEvents(*query));
  }
  if (is({"v1", "events", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetEvent(seg[2]));
  }
  if (is({"v1", "queries"})) {
    if (method == "GET") {
      auto names = node_->named_queries().Names();
      if (!names.ok()) return finish(ProblemFromStatus(names.status()));
      return finish(JsonResponse(200, {{"queries", *names}}));
    }
    if (auto r = only("POST")) return finish(*r);
    return finish(PostQuery(request));
  }
  if (is({"v1", "queries", "*"})) {
    if (method == "DELETE") {
      Status st = node_->named_queries().Delete(seg[2]);
      if (!st.ok()) return finish(ProblemFromStatus(st));
      HttpResponse r;
      r.status = 204;
      return finish(r);
    }
    if (auto r = only("GET")) return finish(*r);
    auto params = node_->named_queries().Get(seg[2]);
    if (!params.ok()) return finish(ProblemFromStatus(params.status()));
    return finish(JsonResponse(200, {{"name", seg[2]}, {"query", *params}}));
  }
  if (is({"v1", "queries", "*", "events"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetQueryEvents(seg[2], *query));
  }
  if (is({"v1", "traceability", "lots", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetTraceability(*who, seg[3], *query));
  }
  if (is({"v1", "recalls", "*", "exposure"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetExposure(*who, seg[2], *query));
  }
  if (is({"v1", "webhooks"})) {
    if (method == "POST") return finish(PostWebhook(*who, request));
    if (auto r = only("GET")) return finish(*r);
    return finish(GetWebhooks(*who));
  }
  if (is({"v1", "webhooks", "*"})) {
    if (auto r = only("DELETE")) return finish(*r);
    return finish(DeleteWebhook(*who, seg[2]));
  }
  if (is({"v1", "eventlog", "*"})) {
    if (auto r = only("GET")) return finish(*r);
    return finish(GetEventLog(*who, seg[2], *query));
  }
  if (is({"v1", "verify"})) {
    if (auto r = only("POST")) return finish(*r);
    return finish(PostVerify(request));
  }
  return finish(Problem(404, "not-found", "Not found", "no resource at " + path));
}

HttpResponse Api::PostCheckpoints(const Principal& who, const HttpRequest& request,
                                  const std::map<std::string, std::string>& query) {
  if (!CanWrite(who.role)) {
    return Problem(403, "forbidden", "Forbidden",
                   std::string("principal '") + who.name + "' has role '" + RoleName(who.role) +
                       "', which may not write checkpoints (admin or partner may)");
  }
  bool wait = false;
  if (auto it = query.find("wait"); it != query.end()) {
    if (it->second != "committed") {
      return Problem(400, "invalid-request", "The request is not valid",
                     "wait: the only value is 'committed'");
    }
    wait = true;
  }
  auto checkpoints =
      epcis::CheckpointsFromJsonText(request.body, ledger::kMaxCheckpointsPerTx);
  if (!checkpoints.ok()) {
    return Problem(400, "invalid-checkpoint", "The checkpoint is not valid",
                   checkpoints.status().message());
  }
  std::optional<std::pair<std::string, Hash32>> idem;
  if (!request.idempotency_key.empty()) {
    if (request.idempotency_key.size() > 255) {
      return Problem(400, "invalid-request", "The request is not valid",
                     "Idempotency-Key: at most 255 characters");
    }
    idem.emplace(request.idempotency_key, Sha256(request.body));
  }
  auto submitted = node_->Submit(who.org, {*checkpoints}, idem,
                                 wait ? Node::Ack::kCommitted : Node::Ack::kAccepted);
  if (!submitted.ok()) return ProblemFromStatus(submitted.status());
  json body{{"txId", HashHex(submitted->tx_ids[0])}};
  HttpResponse r;
  if (submitted->replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  if (!wait) {
    r.status = 202;
    r.body = body.dump();
    return r;
  }
  auto loc = node_->WaitCommitted(submitted->tx_ids[0], node_->config().commit_wait_timeout_ms);
  if (!loc.ok()) return ProblemFromStatus(loc.status());
  body["height"] = loc->height;
  body["position"] = loc->position;
  r.status = 200;
  r.body = body.dump();
  return r;
}

HttpResponse Api::PostTxs(const Principal& who, const HttpRequest& request) {
  if (!CanWrite(who.role)) {
    return Problem(403, "forbidden", "Forbidden",
                   "principal '" + who.name + "' may not write transactions");
  }
  // Frames: a 4-byte big-endian length, then that many bytes of a serialised Tx.
  std::vector<std::string> txs;
  std::string_view body = request.body;
  while (!body.empty()) {
    if (body.size() < 4) {
      return Problem(400, "invalid-request", "The request is not valid", "a frame is cut short");
    }
    const uint32_t n = GetBe32(body);
    if (n > ledger::kMaxTxBytes || body.size() - 4 < n) {
      return Problem(400, "invalid-request", "The request is not valid",
                     "frame " + std::to_string(txs.size()) + " is longer than the body or the limit");
    }
    txs.emplace_back(body.substr(4, n));
    body.remove_prefix(4 + n);
    if (txs.size() > node_->config().max_block_txs) {
      return Problem(400, "invalid-request", "The request is not valid",
                     "at most " + std::to_string(node_->config().max_block_txs) +
                         " transactions per request");
    }
  }
  if (txs.empty()) {
    return Problem(400, "invalid-request", "The request is not valid", "no transaction in the body");
  }
  auto ids = node_->AcceptForwarded(who.org, std::move(txs));
  if (!ids.ok()) return ProblemFromStatus(ids.status());
  json out = json::array();
  for (const Hash32& id : *ids) out.push_back(HashHex(id));
  return JsonResponse(202, {{"txIds", out}});
}

HttpResponse Api::GetHead() {
  const ledger::Head h = node_->ledger().head();
  return JsonResponse(200, {{"height", h.height},
                    {"hash", HashHex(h.hash)},
                    {"logSize", h.log_size},
                    {"logRoot", HashHex(h.log_root)},
                    {"chainId", node_->genesis().chain_id()},
                    {"genesisHash", HashHex(node_->genesis().hash())}});
}

HttpResponse Api::GetBlock(const std::string& height_text,
                           const std::map<std::string, std::string>& query) {
  auto height = ParseUint(height_text, "height");
  if (!height.ok()) return ProblemFromStatus(height.status());
  if (auto it = query.find("waitMs"); it != query.end()) {
    auto wait_ms = ParseUint(it->second, "waitMs");
    if (!wait_ms.ok()) return ProblemFromStatus(wait_ms.status());
    node_->WaitHeight(*height, static_cast<int64_t>(std::min<uint64_t>(*wait_ms, 5000)));
  }
  auto block = node_->ledger().ReadBlock(*height);
  if (!block.ok()) return ProblemFromStatus(block.status());
  auto cert = node_->ledger().ReadCertificate(*height);
  if (!cert.ok()) return ProblemFromStatus(cert.status());
  json j{{"header", HeaderToJson(block->header, block->hash)},
         {"certificate", CertificateToJson(*cert)}};
  if (auto it = query.find("format"); it != query.end() && it->second == "raw") {
    j["block"] = Base64Encode(block->bytes);
    j["certificateBytes"] = Base64Encode(cert->SerializeAsString());
    return JsonResponse(200, j);
  }
  json txs = json::array();
  for (const ledger::ParsedTx& tx : block->txs) {
    json cps = json::array();
    for (const std::string& bytes : tx.tx.checkpoints()) {
      v1::Checkpoint cp;
      cps.push_back(cp.ParseFromString(bytes) ? epcis::CheckpointToJson(cp) : json());
    }
    txs.push_back({{"txId", HashHex(tx.id)},
                   {"org", tx.header.org()},
                   {"keyId", tx.header.key_id()},
                   {"time", FormatRfc3339Utc(tx.header.time_ms())},
                   {"checkpoints", cps}});
  }
  j["txs"] = txs;
  return JsonResponse(200, j);
}

HttpResponse Api::GetTxProof(const std::string& tx_id_hex) {
  auto bytes = HexDecode(tx_id_hex);
  if (!bytes.ok() || bytes->size() != 32) {
    return Problem(400, "invalid-request", "The request is not valid",
                   "txId: expected 64 hex digits");
  }
  auto proof = ledger::ProveTx(node_->ledger(), *HashFromBytes(*bytes));
  if (!proof.ok()) return ProblemFromStatus(proof.status());
  return JsonResponse(200, ProofResponse(*proof, node_->genesis()));
}

namespace {

// What this node holds of a payload: "stored", "erased" (with the statement the proof carries:
// "anchored; payload ... erased on DATE under policy P"), or "not-held" (another
// organisation's, or never captured here). Not part of what a verifier checks.
json PayloadStateJson(offchain_store::BlobStore& blobs, const Hash32& hash) {
  auto v = blobs.Verify(hash);
  if (!v.ok()) {
    if (v.status().code() == Code::kNotFound) return {{"state", "not-held"}};
    return {{"state", "damaged"}, {"detail", v.status().message()}};
  }
  json j{{"documentType", v->record.document_type},
         {"storedAt", FormatRfc3339Utc(v->record.stored_at_ms)},
         {"sizeBytes", v->record.size_bytes}};
  if (v->state == offchain_store::Verification::State::kIntact) {
    j["state"] = "stored";
    return j;
  }
  j["state"] = "erased";
  j["erasedAt"] = FormatRfc3339Utc(v->erasure->erased_at_ms);
  j["policy"] = v->erasure->policy;
  j["reason"] = v->erasure->reason;
  j["statement"] = "anchored; " + offchain_store::DescribeErasure(hash, *v->erasure);
  return j;
}

Result<Hash32> HashFromHex(const std::string& hex) {
  auto bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != 32) {
    return InvalidArgument("payload hash: 64 hex digits (the SHA-256 of the payload)");
  }
  return HashFromBytes(*bytes);
}

}  // namespace

HttpResponse Api::GetPayload(const Principal& who, const std::string& hash_hex) {
  if (who.org != node_->org() || who.role == Role::kCarrier) {
    return Problem(403, "forbidden", "Forbidden",
                   "off-chain payloads are " + node_->org() + "'s; principal '" + who.name +
                       "' may not read their state");
  }
  auto hash = HashFromHex(hash_hex);
  if (!hash.ok()) return ProblemFromStatus(hash.status());
  json j = PayloadStateJson(node_->blobs(), *hash);
  if (j["state"] == "not-held") return ProblemFromStatus(NotFound("no payload " + hash_hex));
  j["hash"] = hash_hex;
  return JsonResponse(200, j);
}

HttpResponse Api::PostPayloadErase(const Principal& who, const std::string& hash_hex,
                                   const HttpRequest& request) {
  if (who.org != node_->org() || who.role != Role::kAdmin) {
    return Problem(403, "forbidden", "Forbidden",
                   "only an admin of " + node_->org() + " may erase its payloads");
  }
  auto hash = HashFromHex(hash_hex);
  if (!hash.ok()) return ProblemFromStatus(hash.status());
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("policy") || !body["policy"].is_string() ||
      !body.contains("reason") || !body["reason"].is_string()) {
    return ProblemFromStatus(InvalidArgument("request body: {\"policy\": string, \"reason\": string}"));
  }
  auto erased = node_->blobs().Erase(*hash, body["policy"].get<std::string>(),
                                     body["reason"].get<std::string>() + " (by " + who.name + ")");
  if (!erased.ok()) return ProblemFromStatus(erased.status());
  json j = PayloadStateJson(node_->blobs(), *hash);
  j["hash"] = hash_hex;
  return JsonResponse(200, j);
}

HttpResponse Api::GetEventProof(const std::string& event_id) {
  auto locs = node_->ledger().FindEvent(event_id);
  if (!locs.ok()) return ProblemFromStatus(locs.status());
  json proofs = json::array();
  for (const ledger::CheckpointLocation& loc : *locs) {
    auto proof = ledger::ProveCheckpoint(node_->ledger(), loc);
    if (!proof.ok()) return ProblemFromStatus(proof.status());
    json p = ProofResponse(*proof, node_->genesis());
    v1::Checkpoint cp;
    if (!proof->checkpoints.empty() && cp.ParseFromString(proof->checkpoints[0].checkpoint)) {
      if (auto hash = HashFromBytes(cp.payload_hash()); hash.ok()) {
        p["payload"] = PayloadStateJson(node_->blobs(), *hash);
      }
    }
    proofs.push_back(std::move(p));
  }
  return JsonResponse(200, {{"eventID", event_id}, {"proofs", proofs}});
}

HttpResponse Api::GetConsistency(const std::map<std::string, std::string>& query) {
  auto from_it = query.find("from");
  auto to_it = query.find("to");
  if (from_it == query.end() || to_it == query.end()) {
    return Problem(400, "invalid-request", "The request is not valid",
                   "from and to (ledger-wide log sizes) are required");
  }
  auto from = ParseUint(from_it->second, "from");
  if (!from.ok()) return ProblemFromStatus(from.status());
  auto to = ParseUint(to_it->second, "to");
  if (!to.ok()) return ProblemFromStatus(to.status());
  auto c = ledger::ProveConsistency(node_->ledger(), *from, *to);
  if (!c.ok()) return ProblemFromStatus(c.status());
  return JsonResponse(200, ledger::ConsistencyToJson(*c));
}

}  // namespace tracery::node

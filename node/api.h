// The HTTP API of traceryd (docs/api/openapi.yaml), independent of the HTTP library: the
// server hands it a parsed request and writes back the response. Thread-safe.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config.h"
#include "event_query.h"
#include "node.h"
#include "tracery/ledger/proof.h"

namespace tracery::node {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string authorization;
  std::string idempotency_key;
  std::string content_type;
  std::string capture_error_behaviour;  // GS1-Capture-Error-Behaviour
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

HttpResponse JsonResponse(int status, const nlohmann::json& body);
// A proof bundle with a readable copy of each checkpoint beside the bytes that are verified.
nlohmann::json ProofResponse(const ledger::ProofBundle& proof, const ledger::Genesis& genesis);

// Whether a decoded path is `parts`, where "*" matches any one segment.
bool PathIs(const std::vector<std::string>& seg, std::initializer_list<const char*> parts);

// An RFC 9457 problem+json response.
HttpResponse Problem(int status, const std::string& slug, const std::string& title,
                     const std::string& detail);
// The same with further string members (e.g. "field" and "rule" of a refused document).
HttpResponse Problem(int status, const std::string& slug, const std::string& title,
                     const std::string& detail,
                     const std::vector<std::pair<std::string, std::string>>& members);
// 405 with the Allow header: `allowed` is what the resource accepts ("GET", "GET, POST").
HttpResponse MethodNotAllowed(const std::string& allowed);
// The HTTP status and problem type for a Status code.
HttpResponse ProblemFromStatus(const Status& status);

class Api {
 public:
  explicit Api(Node* node);
  HttpResponse Handle(const HttpRequest& request);

 private:
  struct Principal {
    std::string name;
    std::string org;
    Role role;
  };
  Result<Principal> Authenticate(const HttpRequest& request) const;

  HttpResponse PostCheckpoints(const Principal& who, const HttpRequest& request,
                               const std::map<std::string, std::string>& query);
  HttpResponse PostTxs(const Principal& who, const HttpRequest& request);
  HttpResponse GetHead();
  HttpResponse GetBlock(const std::string& height_text, const std::map<std::string, std::string>& query);
  HttpResponse GetTxProof(const std::string& tx_id_hex);
  HttpResponse GetEventProof(const std::string& event_id);
  HttpResponse GetConsistency(const std::map<std::string, std::string>& query);

  // EPCIS capture, queries and verification (epcis_api.cc).
  HttpResponse PostCapture(const Principal& who, const HttpRequest& request);
  HttpResponse GetCapture(const Principal& who, const std::string& id);
  HttpResponse PostEvent(const Principal& who, const HttpRequest& request);
  HttpResponse GetEvents(const std::map<std::string, std::string>& query);
  HttpResponse GetEvent(const std::string& event_id);
  HttpResponse PostQuery(const HttpRequest& request);
  HttpResponse GetQueryEvents(const std::string& name,
                              const std::map<std::string, std::string>& query);
  HttpResponse PostVerify(const HttpRequest& request);
  // Lineage (lineage_api.cc).
  HttpResponse GetTraceability(const Principal& who, const std::string& lot,
                               const std::map<std::string, std::string>& query);
  HttpResponse GetExposure(const Principal& who, const std::string& lot,
                           const std::map<std::string, std::string>& query);
  // The SCM core (scm_api.cc): inventory, orders, shipments, holds, exceptions, master data,
  // replenishment. `seg` is the decoded path.
  static bool IsScmResource(const std::string& name);
  HttpResponse HandleScm(const Principal& who, const HttpRequest& request,
                         const std::vector<std::string>& seg,
                         const std::map<std::string, std::string>& query);
  // The IoT gateway registry (telemetry_api.cc).
  HttpResponse HandleGateways(const Principal& who, const HttpRequest& request,
                              const std::vector<std::string>& seg);
  // Off-chain payloads: their state (stored, erased) and erasure by crypto-shredding.
  HttpResponse GetPayload(const Principal& who, const std::string& hash_hex);
  HttpResponse PostPayloadErase(const Principal& who, const std::string& hash_hex,
                                const HttpRequest& request);
  // Webhooks and the event log (webhook_api.cc).
  HttpResponse PostWebhook(const Principal& who, const HttpRequest& request);
  HttpResponse GetWebhooks(const Principal& who);
  HttpResponse DeleteWebhook(const Principal& who, const std::string& id);
  HttpResponse GetEventLog(const Principal& who, const std::string& topic,
                           const std::map<std::string, std::string>& query);
  std::optional<HttpResponse> EventLogForbidden(const Principal& who, bool write) const;
  // Adds "proofs" (proofs[i] proves refs[i]) and "genesisHash" to *out.
  Status AttachProofs(const std::vector<lineage::CheckpointRef>& refs, nlohmann::json* out);

  // Waits (a bounded time) until the derived indexes hold the ledger head as it is now, so that a
  // query reads its caller's committed writes; a 503 index-behind problem naming `index` when
  // they do not catch up in time.
  std::optional<HttpResponse> WaitForIndexes(const char* index);
  // One page of events as an EPCISQueryDocument, with a Link header to the next page.
  HttpResponse EventsPage(const ParsedEventQuery& query, const std::string& query_name,
                          const std::string& next_base);

  Node* const node_;
  std::map<std::string, TokenEntry> tokens_by_hash_;
};

}  // namespace tracery::node

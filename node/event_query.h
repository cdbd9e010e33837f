// The SimpleEventQuery parameters of EPCIS 2.0, from a URL query string (GET /v1/events: lists
// are '|'-separated, as the REST binding writes them) or from a JSON query body (named queries:
// lists are arrays), made into a lineage::EventQuery with canonical identifiers and CBV Web
// URIs, so that URN and Digital Link forms find the same events.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tracery/core/status.h"
#include "tracery/lineage/event_index.h"

namespace tracery::node {

// Events per page when perPage is not given (the REST binding's default).
inline constexpr size_t kDefaultPerPage = 30;

struct ParsedEventQuery {
  lineage::EventQuery query;
  size_t per_page = kDefaultPerPage;
  std::string page_token;
  // eventCountLimit: the answer stops after this many events (0: no limit).
  size_t event_count_limit = 0;
};

// From a JSON object of parameters ("@context" is ignored). An unknown or unsupported
// parameter, or a bad value, is InvalidArgument naming the parameter.
Result<ParsedEventQuery> EventQueryFromJson(const nlohmann::json& params);
// From URL query parameters: each value is split at '|' into a list where the parameter takes
// one, then read as EventQueryFromJson does.
Result<ParsedEventQuery> EventQueryFromUrl(const std::map<std::string, std::string>& params);

}  // namespace tracery::node

#include "event_query.h"

#include <charconv>

#include "tracery/core/time.h"
#include "tracery/epcis/cbv.h"
#include "tracery/epcis/identifiers.h"

namespace tracery::node {
namespace {

using nlohmann::json;

constexpr std::string_view kBizTransactionPrefix = "EQ_bizTransaction_";

// Parameters whose value is a list.
bool IsListParam(std::string_view name) {
  return name == "eventType" || name.starts_with("EQ_") || name.starts_with("MATCH_");
}

Result<std::vector<std::string>> Strings(const std::string& name, const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const json& e : v) {
      if (!e.is_string()) return InvalidArgument(name + ": expected strings");
      out.push_back(e.get<std::string>());
    }
  } else {
    return InvalidArgument(name + ": expected a string or a list of strings");
  }
  if (out.empty()) return InvalidArgument(name + ": expected at least one value");
  return out;
}

Result<std::vector<std::string>> Identifiers(const std::string& name, const json& v) {
  ASSIGN_OR_RETURN(std::vector<std::string> values, Strings(name, v));
  for (std::string& value : values) {
    auto canonical = epcis::CanonicalIdentifier(value);
    if (!canonical.ok()) return canonical.status().Annotate(name);
    value = std::move(canonical).value();
  }
  return values;
}

Result<std::vector<std::string>> Vocabulary(const std::string& name, const json& v,
                                            epcis::CbvVocabulary vocabulary) {
  ASSIGN_OR_RETURN(std::vector<std::string> values, Strings(name, v));
  for (std::string& value : values) {
    auto uri = epcis::NormalizeCbv(vocabulary, value);
    if (!uri.ok()) return uri.status().Annotate(name);
    value = std::move(uri).value();
  }
  return values;
}

Result<int64_t> Time(const std::string& name, const json& v) {
  if (!v.is_string()) return InvalidArgument(name + ": expected an RFC 3339 time");
  auto t = ParseRfc3339(v.get<std::string>());
  if (!t.ok()) return t.status().Annotate(name);
  return t->unix_ms;
}

Result<double> Number(const std::string& name, const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && ptr == s.data() + s.size()) return d;
  }
  return InvalidArgument(name + ": expected a number");
}

Result<size_t> Count(const std::string& name, const json& v, size_t max) {
  ASSIGN_OR_RETURN(double d, Number(name, v));
  if (d < 1 || d > static_cast<double>(max) || d != static_cast<double>(static_cast<size_t>(d))) {
    return InvalidArgument(name + ": expected an integer from 1 to " + std::to_string(max));
  }
  return static_cast<size_t>(d);
}

Status CheckAll(const std::string& name, const std::vector<std::string>& values,
                std::initializer_list<std::string_view> allowed) {
  for (const std::string& v : values) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || v == a;
    if (!ok) return InvalidArgument(name + ": '" + v + "' is not a value of this parameter");
  }
  return Status::Ok();
}

Status Apply(const std::string& name, const json& v, ParsedEventQuery* out) {
  lineage::EventQuery& q = out->query;
  using epcis::CbvVocabulary;
  if (name == "eventType") {
    ASSIGN_OR_RETURN(q.event_types, Strings(name, v));
    return CheckAll(name, q.event_types, {"ObjectEvent", "AggregationEvent", "TransactionEvent",
                                          "TransformationEvent", "AssociationEvent"});
  }
  if (name == "EQ_action") {
    ASSIGN_OR_RETURN(q.actions, Strings(name, v));
    return CheckAll(name, q.actions, {"ADD", "OBSERVE", "DELETE"});
  }
  if (name == "EQ_bizStep") {
    ASSIGN_OR_RETURN(q.biz_steps, Vocabulary(name, v, CbvVocabulary::kBizStep));
  } else if (name == "EQ_disposition") {
    ASSIGN_OR_RETURN(q.dispositions, Vocabulary(name, v, CbvVocabulary::kDisposition));
  } else if (name == "EQ_readPoint") {
    ASSIGN_OR_RETURN(q.read_points, Identifiers(name, v));
  } else if (name == "EQ_bizLocation") {
    ASSIGN_OR_RETURN(q.biz_locations, Identifiers(name, v));
  } else if (name == "EQ_eventID") {
    ASSIGN_OR_RETURN(q.event_ids, Strings(name, v));
  } else if (name == "MATCH_epc") {
    ASSIGN_OR_RETURN(q.match_epc, Identifiers(name, v));
  } else if (name == "MATCH_parentID") {
    ASSIGN_OR_RETURN(q.match_parent_id, Identifiers(name, v));
  } else if (name == "MATCH_inputEPC") {
    ASSIGN_OR_RETURN(q.match_input_epc, Identifiers(name, v));
  } else if (name == "MATCH_outputEPC") {
    ASSIGN_OR_RETURN(q.match_output_epc, Identifiers(name, v));
  } else if (name == "MATCH_anyEPC") {
    ASSIGN_OR_RETURN(q.match_any_epc, Identifiers(name, v));
  } else if (name == "MATCH_epcClass") {
    ASSIGN_OR_RETURN(q.match_epc_class, Identifiers(name, v));
  } else if (name == "MATCH_anyEPCClass") {
    ASSIGN_OR_RETURN(q.match_any_epc_class, Identifiers(name, v));
  } else if (name.starts_with(kBizTransactionPrefix)) {
    auto type = epcis::NormalizeCbv(CbvVocabulary::kBizTransactionType,
                                    name.substr(kBizTransactionPrefix.size()));
    if (!type.ok()) return type.status().Annotate(name);
    ASSIGN_OR_RETURN(q.biz_transactions[*type], Identifiers(name, v));
  } else if (name == "GE_eventTime") {
    ASSIGN_OR_RETURN(q.ge_event_time_ms, Time(name, v));
  } else if (name == "LT_eventTime") {
    ASSIGN_OR_RETURN(q.lt_event_time_ms, Time(name, v));
  } else if (name == "GE_recordTime") {
    ASSIGN_OR_RETURN(q.ge_record_time_ms, Time(name, v));
  } else if (name == "LT_recordTime") {
    ASSIGN_OR_RETURN(q.lt_record_time_ms, Time(name, v));
  } else if (name == "GE_quantity") {
    ASSIGN_OR_RETURN(q.ge_quantity, Number(name, v));
  } else if (name == "LT_quantity") {
    ASSIGN_OR_RETURN(q.lt_quantity, Number(name, v));
  } else if (name == "orderBy") {
    if (v == "eventTime") {
      q.order = lineage::EventQuery::Order::kEventTime;
    } else if (v == "recordTime") {
      q.order = lineage::EventQuery::Order::kLedger;
    } else {
      return InvalidArgument(name + ": eventTime or recordTime");
    }
  } else if (name == "orderDirection") {
    if (v != "ASC" && v != "DESC") return InvalidArgument(name + ": ASC or DESC");
    q.descending = v == "DESC";
  } else if (name == "eventCountLimit") {
    ASSIGN_OR_RETURN(out->event_count_limit, Count(name, v, SIZE_MAX >> 1));
  } else if (name == "perPage") {
    ASSIGN_OR_RETURN(out->per_page, Count(name, v, lineage::kMaxEventsPerPage));
  } else if (name == "nextPageToken") {
    if (!v.is_string()) return InvalidArgument(name + ": expected a string");
    out->page_token = v.get<std::string>();
  } else if (name == "includeWithdrawn") {
    if (v != "true" && v != "false" && !v.is_boolean()) {
      return InvalidArgument(name + ": true or false");
    }
    q.include_withdrawn = v == "true" || v == true;
  } else {
    return InvalidArgument(name + ": not a query parameter this node supports (see "
                                  "docs/api/openapi.yaml for the list)");
  }
  return Status::Ok();
}

}  // namespace

Result<ParsedEventQuery> EventQueryFromJson(const json& params) {
  if (!params.is_object()) return InvalidArgument("query: expected a JSON object of parameters");
  ParsedEventQuery out;
  for (const auto& [name, value] : params.items()) {
    if (name == "@context") continue;
    RETURN_IF_ERROR(Apply(name, value, &out));
  }
  if (out.event_count_limit > 0 && out.event_count_limit < out.per_page) {
    out.per_page = out.event_count_limit;
  }
  return out;
}

Result<ParsedEventQuery> EventQueryFromUrl(const std::map<std::string, std::string>& params) {
  json j = json::object();
  for (const auto& [name, value] : params) {
    if (!IsListParam(name)) {
      j[name] = value;
      continue;
    }
    json list = json::array();
    size_t start = 0;
    while (start <= value.size()) {
      size_t bar = value.find('|', start);
      if (bar == std::string::npos) bar = value.size();
      list.push_back(value.substr(start, bar - start));
      start = bar + 1;
    }
    j[name] = std::move(list);
  }
  return EventQueryFromJson(j);
}

}  // namespace tracery::node

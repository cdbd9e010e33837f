#include "tracery/scm_core/anchoring_policy.h"

#include <algorithm>

#include "tracery/epcis/cbv.h"

namespace tracery::scm_core {
namespace {

Result<std::vector<std::string>> Normalised(epcis::CbvVocabulary vocabulary,
                                            const std::vector<std::string>& values,
                                            const char* what) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    auto uri = epcis::NormalizeCbv(vocabulary, v);
    if (!uri.ok()) return InvalidArgument(std::string(what) + ": " + uri.status().message());
    out.push_back(*uri);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The Web URI form of a value as stored, or the value itself when it is not a CBV value.
std::string WebUri(epcis::CbvVocabulary vocabulary, std::string_view value) {
  auto uri = epcis::NormalizeCbv(vocabulary, value);
  return uri.ok() ? *uri : std::string(value);
}

}  // namespace

AnchoringPolicy AnchoringPolicy::AnchorAll() { return AnchoringPolicy(); }

Result<AnchoringPolicy> AnchoringPolicy::Select(const std::vector<std::string>& biz_steps,
                                                const std::vector<std::string>& dispositions) {
  AnchoringPolicy p;
  p.anchor_all_ = false;
  ASSIGN_OR_RETURN(p.biz_steps_,
                   Normalised(epcis::CbvVocabulary::kBizStep, biz_steps, "anchoring bizSteps"));
  ASSIGN_OR_RETURN(p.dispositions_, Normalised(epcis::CbvVocabulary::kDisposition, dispositions,
                                               "anchoring dispositions"));
  return p;
}

AnchoringDecision AnchoringPolicy::Decide(std::string_view type, std::string_view biz_step,
                                          std::string_view disposition) const {
  if (type == "TransformationEvent") return {true, "always: transformation"};
  if (type == "AggregationEvent") return {true, "always: aggregation"};
  std::string step = biz_step.empty() ? "" : WebUri(epcis::CbvVocabulary::kBizStep, biz_step);
  std::string bare_step(epcis::CbvBareValue(step));
  if (bare_step == "shipping" || bare_step == "receiving") return {true, "always: " + bare_step};
  if (anchor_all_) return {true, "selected: every event"};
  if (!step.empty() && std::binary_search(biz_steps_.begin(), biz_steps_.end(), step)) {
    return {true, "selected: bizStep " + bare_step};
  }
  if (!disposition.empty()) {
    std::string disp = WebUri(epcis::CbvVocabulary::kDisposition, disposition);
    if (std::binary_search(dispositions_.begin(), dispositions_.end(), disp)) {
      return {true, "selected: disposition " + std::string(epcis::CbvBareValue(disp))};
    }
  }
  return {false, "not selected: kept off-chain"};
}

}  // namespace tracery::scm_core

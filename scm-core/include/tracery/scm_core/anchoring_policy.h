// Which events go on the ledger. Events that create lineage edges or hand-offs are always
// anchored: TransformationEvents, AggregationEvents, and any event whose business step is
// shipping or receiving. The rest are anchored when the node's configuration selects their
// business step or disposition. Raw telemetry never reaches this decision: it is not an event.
// What is not anchored is still kept off-chain.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"

namespace tracery::scm_core {

struct AnchoringDecision {
  bool anchor = false;
  std::string reason;  // "always: transformation", "selected: bizStep inspecting", ...
};

class AnchoringPolicy {
 public:
  // Anchors everything: the default of a node whose configuration says nothing.
  static AnchoringPolicy AnchorAll();
  // Anchors what is always anchored plus the events whose business step or disposition is one
  // of these (bare CBV names, URNs or Web URIs; user-defined URIs kept as written). A name that
  // is not a CBV 2.0 value nor a URI is refused, naming it.
  static Result<AnchoringPolicy> Select(const std::vector<std::string>& biz_steps,
                                        const std::vector<std::string>& dispositions);

  // `type` is the EPCIS event type ("ObjectEvent", ...); `biz_step` and `disposition` in any of
  // the CBV forms, or empty.
  AnchoringDecision Decide(std::string_view type, std::string_view biz_step,
                           std::string_view disposition) const;

  bool anchor_all() const { return anchor_all_; }
  const std::vector<std::string>& biz_steps() const { return biz_steps_; }
  const std::vector<std::string>& dispositions() const { return dispositions_; }

 private:
  bool anchor_all_ = true;
  std::vector<std::string> biz_steps_;     // Web URIs, sorted
  std::vector<std::string> dispositions_;  // Web URIs, sorted
};

}  // namespace tracery::scm_core

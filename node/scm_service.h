// The SCM half of a partner's node (DESIGN.md "Data flow" 2–3): the operational state of the
// scm-core, the anchoring policy, and what happens when events arrive — stock moves at the
// partner's own locations (the genesis GLNs of its organisation) and problems become
// exceptions. Thread-safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config.h"
#include "tracery/core/status.h"
#include "tracery/scm_core/anchoring_policy.h"
#include "tracery/scm_core/operations.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::node {

class Node;

class ScmService {
 public:
  // Opens the SCM store in <dataDir>/scm. `own_glns`: the locations the node's organisation
  // operates (from the genesis).
  static Result<std::unique_ptr<ScmService>> Open(const NodeConfig& config,
                                                  std::set<std::string> own_glns);
  ~ScmService();

  scm_core::Operations& operations() { return *operations_; }
  const scm_core::AnchoringPolicy& policy() const { return policy_; }
  bool IsOwnLocation(const std::string& gln) const { return own_glns_.count(gln) != 0; }
  const std::set<std::string>& own_glns() const { return own_glns_; }

  // Events of `org` captured for the first time on this node (anchored or kept off-chain):
  // their stock effects at the own locations are applied. A movement the stock cannot take
  // (more shipped than on hand) raises a stock_mismatch exception instead; the capture stands.
  void OnCaptured(const std::string& org, const std::vector<v1::Checkpoint>& checkpoints);

 private:
  ScmService(std::unique_ptr<scm_core::Operations> operations, scm_core::AnchoringPolicy policy,
             std::set<std::string> own_glns);

  std::unique_ptr<scm_core::Operations> operations_;
  const scm_core::AnchoringPolicy policy_;
  const std::set<std::string> own_glns_;
};

}  // namespace tracery::node

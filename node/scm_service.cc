#include "scm_service.h"

#include "tracery/core/time.h"
#include "tracery/scm_core/stock_effects.h"

namespace tracery::node {

Result<std::unique_ptr<ScmService>> ScmService::Open(const NodeConfig& config,
                                                     std::set<std::string> own_glns) {
  ASSIGN_OR_RETURN(auto operations,
                   scm_core::Operations::Open(config.data_dir + "/scm", SystemClock::Get(),
                                              config.demand_period_days));
  scm_core::AnchoringPolicy policy = scm_core::AnchoringPolicy::AnchorAll();
  if (config.anchoring_selective) {
    ASSIGN_OR_RETURN(policy, scm_core::AnchoringPolicy::Select(config.anchoring_biz_steps,
                                                               config.anchoring_dispositions));
  }
  return std::unique_ptr<ScmService>(new ScmService(std::move(operations), std::move(policy),
                                                    std::move(own_glns)));
}

ScmService::ScmService(std::unique_ptr<scm_core::Operations> operations,
                       scm_core::AnchoringPolicy policy, std::set<std::string> own_glns)
    : operations_(std::move(operations)),
      policy_(std::move(policy)),
      own_glns_(std::move(own_glns)) {}

ScmService::~ScmService() = default;

void ScmService::OnCaptured(const std::string& org,
                            const std::vector<v1::Checkpoint>& checkpoints) {
  (void)org;
  auto own = [this](const std::string& gln) { return IsOwnLocation(gln); };
  for (const v1::Checkpoint& cp : checkpoints) {
    auto moves = scm_core::StockEffects(cp, own);
    Status st = moves.ok() ? operations_->ApplyMovements(*moves) : moves.status();
    if (st.ok()) continue;
    scm_core::ExceptionRecord e;
    e.type = "stock_mismatch";
    e.severity = "warning";
    e.detail = st.message();
    e.reference = cp.event_id();
    (void)operations_->RaiseException(e);
  }
}

}  // namespace tracery::node

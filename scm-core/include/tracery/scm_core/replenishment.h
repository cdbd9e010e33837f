// Replenishment recommendations: an order-up-to (base-stock) level from the demand of the last
// periods, until the forecasting issue replaces the demand model.
//
//   μ, σ   mean and standard deviation of the demand (outbound shipments) of the location in
//          the last 12 complete periods, zeros included
//   T      lead time + review interval, in periods
//   S      order-up-to level = μ·T + z·σ·√T, with z the standard normal quantile of the
//          service target (cycle service level): normal lead-time demand
//   order  max(0, S − inventory position), rounded up to the order multiple, at least the
//          minimum order quantity, at most the maximum; the inventory position is the sellable
//          stock (on hand less allocated and on hold), so a hold raises the recommendation.
// Then one order of the expected review-interval demand μ·R per review interval up to the
// horizon. Advisory: computed in floating point, off the replicated path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/scm_core/model.h"

namespace tracery::scm_core {

inline constexpr int kDemandPeriods = 12;
inline constexpr int kMaxHorizonPeriods = 520;

struct ReplenishmentRequest {
  std::string gtin;
  std::string gln;
  int horizon_periods = 4;
  double service_target = 0.95;  // in (0.5, 0.9999]
  int lead_time_periods = 1;
  int review_periods = 1;
  Quantity min_order_quantity;
  Quantity order_multiple = Quantity::Units(1);
  std::optional<Quantity> max_order_quantity;
};

struct PlannedOrder {
  int period = 0;  // 0: now
  Quantity quantity;
};

struct Recommendation {
  Quantity order_up_to_level;
  Quantity inventory_position;
  std::vector<PlannedOrder> orders;  // one per review interval in the horizon (may be zero)
  int interval_periods = 1;
  // Explanation.
  double mean_demand = 0;
  double stddev_demand = 0;
  double z = 0;
  std::vector<Quantity> demand_history;
  std::string method = "order-up-to level, normal lead-time demand, last 12 periods";
};

Result<Recommendation> RecommendReplenishment(const ReplenishmentRequest& request,
                                              const std::vector<Quantity>& demand_history,
                                              const InventoryPosition& position);

// The standard normal quantile: P(Z ≤ z) = p, for p in (0, 1). Relative error below 1.2e-9
// (a rational approximation in three regions).
double NormalQuantile(double p);

}  // namespace tracery::scm_core

#include "tracery/scm_core/replenishment.h"

#include <algorithm>
#include <cmath>

namespace tracery::scm_core {
namespace {

// Rounds up to a whole number of `multiple` (thousandths); multiple > 0.
int64_t RoundUp(double thousandths, int64_t multiple) {
  if (thousandths <= 0) return 0;
  int64_t units = static_cast<int64_t>(std::ceil(thousandths / static_cast<double>(multiple) - 1e-9));
  return units * multiple;
}

}  // namespace

double NormalQuantile(double p) {
  // A rational approximation of the inverse normal CDF in a central region and two tails
  // (P. J. Acklam's coefficients).
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  TRACERY_CHECK(p > 0 && p < 1);
  if (p < kLow) {
    double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) return -NormalQuantile(1 - p);
  double q = p - 0.5;
  double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

Result<Recommendation> RecommendReplenishment(const ReplenishmentRequest& request,
                                              const std::vector<Quantity>& demand_history,
                                              const InventoryPosition& position) {
  if (!(request.service_target > 0.5 && request.service_target <= 0.9999)) {
    return InvalidArgument("serviceTarget: must be above 0.5 and at most 0.9999");
  }
  if (request.horizon_periods < 1 || request.horizon_periods > kMaxHorizonPeriods) {
    return InvalidArgument("horizonPeriods: must be 1 to " + std::to_string(kMaxHorizonPeriods));
  }
  if (request.lead_time_periods < 0 || request.lead_time_periods > kMaxHorizonPeriods) {
    return InvalidArgument("leadTimePeriods: must be 0 to " + std::to_string(kMaxHorizonPeriods));
  }
  if (request.review_periods < 1 || request.review_periods > request.horizon_periods) {
    return InvalidArgument("reviewPeriods: must be 1 to the horizon");
  }
  if (request.order_multiple.thousandths <= 0) {
    return InvalidArgument("orderMultiple: must be positive");
  }
  if (request.min_order_quantity.thousandths < 0) {
    return InvalidArgument("minOrderQuantity: must not be negative");
  }
  if (request.max_order_quantity &&
      *request.max_order_quantity < request.min_order_quantity) {
    return InvalidArgument("maxOrderQuantity: below minOrderQuantity");
  }
  if (demand_history.empty()) return InvalidArgument("no demand periods");

  Recommendation rec;
  rec.demand_history = demand_history;
  rec.interval_periods = request.review_periods;
  double n = static_cast<double>(demand_history.size());
  double sum = 0;
  for (Quantity q : demand_history) sum += static_cast<double>(q.thousandths);
  rec.mean_demand = sum / n;
  double squares = 0;
  for (Quantity q : demand_history) {
    double dev = static_cast<double>(q.thousandths) - rec.mean_demand;
    squares += dev * dev;
  }
  rec.stddev_demand = demand_history.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  rec.z = NormalQuantile(request.service_target);
  double t = request.lead_time_periods + request.review_periods;
  double level = rec.mean_demand * t + rec.z * rec.stddev_demand * std::sqrt(t);
  rec.order_up_to_level = Quantity{RoundUp(level, 1000)};
  rec.inventory_position = position.Sellable();

  const int64_t multiple = request.order_multiple.thousandths;
  auto shape = [&](double wanted) {
    int64_t q = RoundUp(wanted, multiple);
    if (q > 0 && q < request.min_order_quantity.thousandths) {
      q = RoundUp(static_cast<double>(request.min_order_quantity.thousandths), multiple);
    }
    if (request.max_order_quantity) q = std::min(q, request.max_order_quantity->thousandths);
    return Quantity{q};
  };
  rec.orders.push_back(
      {0, shape(static_cast<double>(rec.order_up_to_level.thousandths -
                                    rec.inventory_position.thousandths))});
  for (int p = request.review_periods; p < request.horizon_periods; p += request.review_periods) {
    rec.orders.push_back({p, shape(rec.mean_demand * request.review_periods)});
  }
  // The statistics in units, for the explanation.
  rec.mean_demand /= 1000;
  rec.stddev_demand /= 1000;
  return rec;
}

}  // namespace tracery::scm_core

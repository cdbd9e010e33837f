// The operational state of one partner's node: master data, orders, shipments, stock by lot,
// allocations, holds, exceptions and the demand history, kept in the node's own LevelDB store
// (docs/formats/scm-store.md). Nothing here is replicated: it is the partner's private view.
//
// Stock is kept by lot (item × location × lot). An inventory position adds it up:
//   on_hand   = Σ lot balances
//   on_hold   = Σ balances of the lots under an active hold (at that location or everywhere)
//   allocated = Σ allocations to sales orders of lots that are not on hold
//   sellable  = on_hand − allocated − on_hold (never below zero)
// A hold therefore moves a lot's stock from sellable to on_hold at once, and the allocations of
// that lot are held with it (they come back when the hold is released).
//
// Every change is one synced LevelDB WriteBatch: it is durable when the call returns, and a
// failed call changes nothing. Thread-safety: every method may be called from any thread; an
// internal mutex serialises changes and reads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/core/time.h"
#include "tracery/scm_core/model.h"

namespace leveldb {
class DB;
}

namespace tracery::scm_core {

// Why a lot balance changed.
enum class MovementKind { kReceipt, kShipment, kAdjustment, kProduction, kConsumption, kCount };
const char* MovementKindName(MovementKind kind);

struct Movement {
  MovementKind kind = MovementKind::kAdjustment;
  std::string gtin;
  std::string gln;
  std::string lot_number;
  Quantity quantity;  // signed: receipts add, shipments subtract; kCount sets the balance
  int64_t time_ms = 0;
  std::string reference;  // the event id, shipment or document that caused it
};

struct LotBalance {
  std::string gtin;
  std::string gln;
  std::string lot_number;
  Quantity on_hand;
  std::optional<std::string> expiry_date;
};

struct Allocation {
  std::string order_id;
  std::string line_number;
  std::string gtin;
  std::string gln;
  std::string lot_number;
  Quantity quantity;
  bool held = false;  // the lot is on hold: this allocation cannot ship until it is released
};

// What a sales order got: the allocations made and what could not be allocated.
struct AllocationResult {
  std::vector<Allocation> allocations;
  std::vector<OrderLine> short_lines;  // the unallocated remainder of each short line
};

// The partner's own records that a recall of some lots reaches.
struct OwnExposure {
  std::vector<Shipment> shipments;  // with a line of an exposed lot
  std::vector<Order> orders;        // named by those shipments, or allocated an exposed lot
};

// Named limits.
inline constexpr size_t kMaxOrderLines = 10'000;
inline constexpr size_t kMaxKeyBytes = 200;  // any identifier used in a store key
inline constexpr size_t kMaxListed = 10'000;

class Changes;  // one synced write and its effect on memory (operations.cc)

class Operations {
 public:
  // Opens (creating when missing) the store in `dir`. `demand_period_days` is the bucket of the
  // demand history (7: weekly). A store of another format version is FailedPrecondition.
  static Result<std::unique_ptr<Operations>> Open(const std::string& dir, Clock* clock,
                                                  int demand_period_days = 7);
  ~Operations();

  // Master data: inserts or replaces by key, all or none.
  Status UpsertMasterData(const std::vector<Item>& items, const std::vector<Location>& locations,
                          const std::vector<Party>& parties);
  Result<Item> GetItem(const std::string& gtin) const;
  Result<Location> GetLocation(const std::string& gln) const;
  std::vector<Item> Items() const;
  std::vector<Location> Locations() const;
  std::vector<Party> Parties() const;

  // Stock movements, all or none. A shipment (outbound) also counts as demand at its location
  // in the period of its time. A movement that would take a lot below zero is refused.
  Status ApplyMovements(const std::vector<Movement>& movements);
  std::vector<LotBalance> Lots(const std::string& gtin, const std::string& gln) const;
  Status SetLotExpiry(const std::string& gtin, const std::string& lot_number,
                      const std::string& expiry_date);

  // Orders. A sales order with a ship-from location allocates its lines there, first expiry
  // first out over the lots that are free (not on hold, not allocated). Storing an order id
  // that exists again is AlreadyExists (orders change by a new version of the document).
  Result<AllocationResult> AddOrder(const Order& order);
  Result<Order> GetOrder(const std::string& id) const;
  std::vector<Order> Orders(std::optional<OrderKind> kind) const;
  std::vector<Allocation> Allocations(const std::string& order_id) const;
  // Shipments: stored as the documents say; inventory moves through ApplyMovements.
  Status AddShipment(const Shipment& shipment);
  Result<Shipment> GetShipment(const std::string& id) const;
  std::vector<Shipment> Shipments() const;

  // Holds. `gln` empty holds the lot at every location.
  Result<Hold> PlaceHold(const std::string& gtin, const std::string& lot_number,
                         const std::string& gln, const std::string& reason_code,
                         const std::string& placed_by);
  Result<Hold> ReleaseHold(const std::string& id, const std::string& released_by,
                           const std::string& release_reason);
  std::vector<Hold> Holds(bool active_only) const;
  bool IsHeld(const std::string& gtin, const std::string& lot_number,
              const std::string& gln) const;

  // Exceptions.
  Result<ExceptionRecord> RaiseException(ExceptionRecord record);
  Result<ExceptionRecord> CloseException(const std::string& id);
  std::vector<ExceptionRecord> Exceptions(bool open_only) const;

  // `lots`: (gtin, lot number) pairs; an empty lot number stands for every lot of the GTIN.
  OwnExposure Exposed(const std::vector<std::pair<std::string, std::string>>& lots) const;

  InventoryPosition Position(const std::string& gtin, const std::string& gln) const;
  // Every position, optionally of one item and/or one location.
  std::vector<InventoryPosition> Positions(const std::string& gtin, const std::string& gln) const;

  // Demand (outbound shipments) at a location per period, oldest first: the last `periods`
  // complete periods before the current one, zeros included.
  std::vector<Quantity> DemandHistory(const std::string& gtin, const std::string& gln,
                                      int periods) const;
  int demand_period_days() const { return demand_period_days_; }

 private:
  struct State;
  Operations(std::unique_ptr<leveldb::DB> db, Clock* clock, int demand_period_days,
             std::unique_ptr<State> state);
  // REQUIRES: mu_ held.
  Status Write(Changes& changes);

  std::unique_ptr<leveldb::DB> db_;
  Clock* const clock_;
  const int demand_period_days_;
  mutable std::mutex mu_;
  std::unique_ptr<State> state_;  // GUARDED_BY(mu_)
};

}  // namespace tracery::scm_core

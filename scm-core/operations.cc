#include "tracery/scm_core/operations.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <functional>
#include <set>
#include <nlohmann/json.hpp>

#include "tracery/core/leveldb.h"
#include "tracery/scm_core/model_json.h"

namespace tracery::scm_core {

using nlohmann::json;

namespace {

constexpr char kFormatKey[] = "!format";
constexpr char kFormatVersion[] = "tracery-scm-store/1";
constexpr int64_t kDayMs = 86'400'000;

// Store keys: a one-letter table, then the record's key parts separated by NUL
// (docs/formats/scm-store.md).
std::string Key(char table, std::initializer_list<std::string_view> parts) {
  std::string key(1, table);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) key.push_back('\0');
    key.append(p);
    first = false;
  }
  return key;
}

std::string LotKey(std::string_view gtin, std::string_view gln, std::string_view lot) {
  return std::string(gtin) + '\0' + std::string(gln) + '\0' + std::string(lot);
}

Status CheckKeyPart(std::string_view name, std::string_view value, bool required = true) {
  if (required && value.empty()) return InvalidArgument(std::string(name) + ": is required");
  if (value.size() > kMaxKeyBytes) {
    return InvalidArgument(std::string(name) + ": longer than " + std::to_string(kMaxKeyBytes) +
                           " bytes");
  }
  if (value.find('\0') != std::string_view::npos) {
    return InvalidArgument(std::string(name) + ": contains a NUL byte");
  }
  return Status::Ok();
}

json AllocationJson(const Allocation& a) {
  return {{"orderId", a.order_id}, {"lineNumber", a.line_number}, {"gtin", a.gtin},
          {"gln", a.gln},          {"lotNumber", a.lot_number},   {"quantity", a.quantity.ToString()}};
}

}  // namespace

const char* MovementKindName(MovementKind kind) {
  switch (kind) {
    case MovementKind::kReceipt: return "receipt";
    case MovementKind::kShipment: return "shipment";
    case MovementKind::kAdjustment: return "adjustment";
    case MovementKind::kProduction: return "production";
    case MovementKind::kConsumption: return "consumption";
    case MovementKind::kCount: return "count";
  }
  return "unknown";
}

// The whole store in memory (it is the partner's own operational data: thousands to millions
// of records). Maps are ordered so listings are deterministic.
struct Operations::State {
  std::map<std::string, Item> items;
  std::map<std::string, Location> locations;
  std::map<std::string, Party> parties;
  std::map<std::string, LotBalance> lots;  // LotKey(gtin, gln, lot)
  std::map<std::pair<std::string, std::string>, std::string> expiry;  // (gtin, lot)
  std::map<std::string, Order> orders;
  std::map<std::string, std::vector<Allocation>> allocations;  // by order id
  std::map<std::string, Shipment> shipments;
  std::map<std::string, Hold> holds;
  std::map<std::string, ExceptionRecord> exceptions;
  std::map<std::string, Quantity> demand;  // gtin \0 gln \0 period (20 digits)
  uint64_t next_hold = 1;
  uint64_t next_exception = 1;

  bool Held(const std::string& gtin, const std::string& lot, const std::string& gln) const {
    for (const auto& [id, h] : holds) {
      if (h.Active() && h.gtin == gtin && h.lot_number == lot && (h.gln.empty() || h.gln == gln)) {
        return true;
      }
    }
    return false;
  }
  // What sales orders have allocated of each lot of an item at a location, in one pass.
  std::map<std::string, Quantity> AllocatedByLot(const std::string& gtin,
                                                 const std::string& gln) const {
    std::map<std::string, Quantity> by_lot;
    for (const auto& [order, list] : allocations) {
      for (const Allocation& a : list) {
        if (a.gtin == gtin && a.gln == gln) by_lot[a.lot_number] = by_lot[a.lot_number] + a.quantity;
      }
    }
    return by_lot;
  }
};

// One change to the store: the records to write, and what to do to the in-memory state once
// they are durable. Nothing touches memory before the write succeeded.
class Changes {
 public:
  void Put(std::string key, const json& value) { batch_.Put(key, value.dump()); }
  void Put(std::string key, std::string value) { batch_.Put(key, value); }
  void Delete(std::string key) { batch_.Delete(key); }
  void Then(std::function<void()> apply) { apply_.push_back(std::move(apply)); }
  leveldb::WriteBatch* batch() { return &batch_; }
  void Apply() {
    for (auto& f : apply_) f();
  }

 private:
  leveldb::WriteBatch batch_;
  std::vector<std::function<void()>> apply_;
};

namespace {
std::string DemandKey(const std::string& gtin, const std::string& gln, int64_t period) {
  std::string p = std::to_string(period);
  return gtin + '\0' + gln + '\0' + std::string(20 - std::min<size_t>(20, p.size()), '0') + p;
}
}  // namespace

Result<std::unique_ptr<Operations>> Operations::Open(const std::string& dir, Clock* clock,
                                                     int demand_period_days) {
  TRACERY_CHECK(clock != nullptr);
  if (demand_period_days < 1 || demand_period_days > 366) {
    return InvalidArgument("demand period: must be 1 to 366 days");
  }
  ASSIGN_OR_RETURN(auto db, OpenLevelDb(dir, "scm store"));
  std::string format;
  leveldb::Status s = db->Get(CheckedRead(), kFormatKey, &format);
  if (s.IsNotFound()) {
    leveldb::WriteOptions sync;
    sync.sync = true;
    RETURN_IF_ERROR(FromLevelDb(db->Put(sync, kFormatKey, kFormatVersion), "write scm store"));
    format = kFormatVersion;
  } else {
    RETURN_IF_ERROR(FromLevelDb(s, "read scm store"));
  }
  if (format != kFormatVersion) {
    return FailedPrecondition("scm store in " + dir + " has format \"" + format +
                              "\"; this node reads \"" + kFormatVersion + "\"");
  }
  auto state = std::make_unique<State>();
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(CheckedRead()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    if (key.empty() || key[0] == '!') continue;
    std::string rest = key.substr(1);
    json j = json::parse(it->value().ToString(), nullptr, false);
    if (j.is_discarded()) return Corruption("scm store: record " + rest + " is not JSON");
    auto corrupt = [&](const Status& st) {
      return Corruption("scm store: record " + rest + ": " + st.message());
    };
    switch (key[0]) {
      case 'I': {
        auto v = ItemFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->items[rest] = *v;
        break;
      }
      case 'L': {
        auto v = LocationFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->locations[rest] = *v;
        break;
      }
      case 'P': {
        auto v = PartyFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->parties[rest] = *v;
        break;
      }
      case 'B': {
        size_t a = rest.find('\0');
        size_t b = rest.find('\0', a + 1);
        if (a == std::string::npos || b == std::string::npos) return Corruption("scm store: bad lot key");
        LotBalance lot{rest.substr(0, a), rest.substr(a + 1, b - a - 1), rest.substr(b + 1), {}, {}};
        auto q = Quantity::Parse(j.value("onHand", ""));
        if (!q.ok()) return corrupt(q.status());
        lot.on_hand = *q;
        state->lots[rest] = lot;
        break;
      }
      case 'E': {
        size_t a = rest.find('\0');
        if (a == std::string::npos || !j.is_string()) return Corruption("scm store: bad expiry");
        state->expiry[{rest.substr(0, a), rest.substr(a + 1)}] = j.get<std::string>();
        break;
      }
      case 'O': {
        auto v = OrderFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->orders[rest] = *v;
        break;
      }
      case 'A': {
        std::vector<Allocation> list;
        for (const json& a : j) {
          Allocation al{a.value("orderId", ""), a.value("lineNumber", ""), a.value("gtin", ""),
                        a.value("gln", ""),     a.value("lotNumber", ""),  {}, false};
          auto q = Quantity::Parse(a.value("quantity", ""));
          if (!q.ok()) return corrupt(q.status());
          al.quantity = *q;
          list.push_back(al);
        }
        state->allocations[rest] = list;
        break;
      }
      case 'S': {
        auto v = ShipmentFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->shipments[rest] = *v;
        break;
      }
      case 'H': {
        auto v = HoldFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->holds[rest] = *v;
        break;
      }
      case 'X': {
        auto v = ExceptionFromJson(j);
        if (!v.ok()) return corrupt(v.status());
        state->exceptions[rest] = *v;
        break;
      }
      case 'D': {
        auto q = Quantity::Parse(j.is_string() ? j.get<std::string>() : "");
        if (!q.ok()) return corrupt(q.status());
        state->demand[rest] = *q;
        break;
      }
      case 'N':
        if (rest == "hold") state->next_hold = j.get<uint64_t>();
        if (rest == "exception") state->next_exception = j.get<uint64_t>();
        break;
      default:
        return Corruption("scm store: unknown record table '" + std::string(1, key[0]) + "'");
    }
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read scm store"));
  return std::unique_ptr<Operations>(
      new Operations(std::move(db), clock, demand_period_days, std::move(state)));
}

Operations::Operations(std::unique_ptr<leveldb::DB> db, Clock* clock, int demand_period_days,
                       std::unique_ptr<State> state)
    : db_(std::move(db)),
      clock_(clock),
      demand_period_days_(demand_period_days),
      state_(std::move(state)) {}

Operations::~Operations() = default;

Status Operations::Write(Changes& changes) {
  leveldb::WriteOptions sync;
  sync.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(sync, changes.batch()), "write scm store"));
  changes.Apply();
  return Status::Ok();
}

Status Operations::UpsertMasterData(const std::vector<Item>& items,
                                    const std::vector<Location>& locations,
                                    const std::vector<Party>& parties) {
  Changes changes;
  for (const Item& i : items) {
    if (!IsValidGtin(i.gtin)) return InvalidArgument("item " + i.gtin + ": not a valid GTIN-14");
    changes.Put(Key('I', {i.gtin}), ToJson(i));
  }
  for (const Location& l : locations) {
    if (!IsValidGln(l.gln)) return InvalidArgument("location " + l.gln + ": not a valid GLN");
    changes.Put(Key('L', {l.gln}), ToJson(l));
  }
  for (const Party& p : parties) {
    RETURN_IF_ERROR(CheckKeyPart("party id", p.id));
    changes.Put(Key('P', {p.id}), ToJson(p));
  }
  std::lock_guard<std::mutex> lock(mu_);
  changes.Then([&] {
    for (const Item& i : items) state_->items[i.gtin] = i;
    for (const Location& l : locations) state_->locations[l.gln] = l;
    for (const Party& p : parties) state_->parties[p.id] = p;
  });
  return Write(changes);
}

Result<Item> Operations::GetItem(const std::string& gtin) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->items.find(gtin);
  if (it == state_->items.end()) return NotFound("item " + gtin + " is not in the master data");
  return it->second;
}

Result<Location> Operations::GetLocation(const std::string& gln) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->locations.find(gln);
  if (it == state_->locations.end()) {
    return NotFound("location " + gln + " is not in the master data");
  }
  return it->second;
}

template <typename K, typename V>
static std::vector<V> Values(const std::map<K, V>& m) {
  std::vector<V> out;
  for (const auto& [k, v] : m) {
    if (out.size() == kMaxListed) break;
    out.push_back(v);
  }
  return out;
}

std::vector<Item> Operations::Items() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Values(state_->items);
}
std::vector<Location> Operations::Locations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Values(state_->locations);
}
std::vector<Party> Operations::Parties() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Values(state_->parties);
}

Status Operations::ApplyMovements(const std::vector<Movement>& movements) {
  std::lock_guard<std::mutex> lock(mu_);
  // Work on copies of the touched balances so a refused movement changes nothing.
  std::map<std::string, LotBalance> balances;
  std::map<std::string, Quantity> demand;
  std::map<std::string, std::vector<Allocation>> allocations;
  const int64_t period_ms = demand_period_days_ * kDayMs;
  for (const Movement& m : movements) {
    RETURN_IF_ERROR(CheckKeyPart("movement gtin", m.gtin));
    RETURN_IF_ERROR(CheckKeyPart("movement gln", m.gln));
    RETURN_IF_ERROR(CheckKeyPart("movement lot", m.lot_number, false));
    std::string key = LotKey(m.gtin, m.gln, m.lot_number);
    auto [it, fresh] = balances.try_emplace(key);
    if (fresh) {
      auto stored = state_->lots.find(key);
      it->second = stored != state_->lots.end()
                       ? stored->second
                       : LotBalance{m.gtin, m.gln, m.lot_number, {}, {}};
    }
    LotBalance& lot = it->second;
    Quantity before = lot.on_hand;
    lot.on_hand = m.kind == MovementKind::kCount ? m.quantity : lot.on_hand + m.quantity;
    if (lot.on_hand.thousandths < 0) {
      return FailedPrecondition("movement " + std::string(MovementKindName(m.kind)) + " of " +
                                m.quantity.ToString() + " of " + m.gtin + " lot " +
                                (m.lot_number.empty() ? "(none)" : m.lot_number) + " at " +
                                m.gln + ": only " + before.ToString() + " on hand");
    }
    if (m.kind == MovementKind::kShipment && m.quantity.thousandths < 0) {
      std::string dkey = DemandKey(m.gtin, m.gln, m.time_ms / period_ms);
      auto [d, dfresh] = demand.try_emplace(dkey);
      if (dfresh) {
        auto stored = state_->demand.find(dkey);
        if (stored != state_->demand.end()) d->second = stored->second;
      }
      d->second = d->second - m.quantity;
      // A shipment that names a sales order consumes that order's allocation of the lot.
      auto order_alloc = state_->allocations.find(m.reference);
      if (order_alloc != state_->allocations.end()) {
        auto [a, afresh] = allocations.try_emplace(m.reference, order_alloc->second);
        Quantity left = Quantity{} - m.quantity;
        for (Allocation& al : a->second) {
          if (al.gtin != m.gtin || al.gln != m.gln || al.lot_number != m.lot_number) continue;
          Quantity take = std::min(al.quantity, left);
          al.quantity = al.quantity - take;
          left = left - take;
        }
        std::erase_if(a->second, [](const Allocation& al) { return al.quantity.thousandths == 0; });
      }
    }
  }
  Changes changes;
  for (const auto& [key, lot] : balances) {
    changes.Put("B" + key, json{{"onHand", lot.on_hand.ToString()}});
  }
  for (const auto& [key, q] : demand) changes.Put("D" + key, json(q.ToString()));
  for (const auto& [order, list] : allocations) {
    json arr = json::array();
    for (const Allocation& al : list) arr.push_back(AllocationJson(al));
    changes.Put(Key('A', {order}), arr);
  }
  changes.Then([&] {
    for (auto& [key, lot] : balances) state_->lots[key] = lot;
    for (auto& [key, q] : demand) state_->demand[key] = q;
    for (auto& [order, list] : allocations) state_->allocations[order] = list;
  });
  return Write(changes);
}

std::vector<LotBalance> Operations::Lots(const std::string& gtin, const std::string& gln) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LotBalance> out;
  std::string prefix = gtin + '\0' + gln + '\0';
  for (auto it = state_->lots.lower_bound(prefix);
       it != state_->lots.end() && it->first.starts_with(prefix); ++it) {
    LotBalance lot = it->second;
    auto e = state_->expiry.find({gtin, lot.lot_number});
    if (e != state_->expiry.end()) lot.expiry_date = e->second;
    out.push_back(lot);
  }
  return out;
}

Status Operations::SetLotExpiry(const std::string& gtin, const std::string& lot_number,
                                const std::string& expiry_date) {
  RETURN_IF_ERROR(CheckKeyPart("gtin", gtin));
  RETURN_IF_ERROR(CheckKeyPart("lot", lot_number));
  std::lock_guard<std::mutex> lock(mu_);
  Changes changes;
  changes.Put(Key('E', {gtin, lot_number}), json(expiry_date));
  changes.Then([&] { state_->expiry[{gtin, lot_number}] = expiry_date; });
  return Write(changes);
}

Result<AllocationResult> Operations::AddOrder(const Order& order) {
  RETURN_IF_ERROR(CheckKeyPart("order id", order.id));
  if (order.lines.empty()) return InvalidArgument("order " + order.id + ": has no lines");
  if (order.lines.size() > kMaxOrderLines) {
    return ResourceExhausted("order " + order.id + ": more than " +
                             std::to_string(kMaxOrderLines) + " lines");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (state_->orders.count(order.id) != 0) {
    return AlreadyExists("order " + order.id + " is already stored");
  }
  AllocationResult result;
  if (order.kind == OrderKind::kSales && !order.ship_from.empty()) {
    // First expiry first out over the free stock of each lot at the ship-from location. What
    // is allocated of each item's lots, counting this order's earlier lines.
    std::map<std::string, std::map<std::string, Quantity>> allocated;  // gtin → lot → quantity
    for (const OrderLine& line : order.lines) {
      auto [by_lot, fresh] = allocated.try_emplace(line.gtin);
      if (fresh) by_lot->second = state_->AllocatedByLot(line.gtin, order.ship_from);
      std::vector<LotBalance> lots;
      std::string prefix = line.gtin + '\0' + order.ship_from + '\0';
      for (auto it = state_->lots.lower_bound(prefix);
           it != state_->lots.end() && it->first.starts_with(prefix); ++it) {
        lots.push_back(it->second);
      }
      auto expiry = [&](const LotBalance& l) {
        auto e = state_->expiry.find({l.gtin, l.lot_number});
        return e == state_->expiry.end() ? std::string("9999-99-99") : e->second;
      };
      std::sort(lots.begin(), lots.end(), [&](const LotBalance& a, const LotBalance& b) {
        return std::pair(expiry(a), a.lot_number) < std::pair(expiry(b), b.lot_number);
      });
      Quantity wanted = line.quantity;
      for (const LotBalance& lot : lots) {
        if (wanted.thousandths <= 0) break;
        if (state_->Held(lot.gtin, lot.lot_number, lot.gln)) continue;
        Quantity& lot_allocated = by_lot->second[lot.lot_number];
        Quantity free = lot.on_hand - lot_allocated;
        if (free.thousandths <= 0) continue;
        Quantity take = std::min(free, wanted);
        lot_allocated = lot_allocated + take;
        wanted = wanted - take;
        result.allocations.push_back(Allocation{order.id, line.line_number, line.gtin,
                                                order.ship_from, lot.lot_number, take, false});
      }
      if (wanted.thousandths > 0) {
        OrderLine short_line = line;
        short_line.quantity = wanted;
        result.short_lines.push_back(short_line);
      }
    }
  }
  Changes changes;
  changes.Put(Key('O', {order.id}), ToJson(order));
  if (!result.allocations.empty()) {
    json arr = json::array();
    for (const Allocation& a : result.allocations) arr.push_back(AllocationJson(a));
    changes.Put(Key('A', {order.id}), arr);
  }
  changes.Then([&] {
    state_->orders[order.id] = order;
    if (!result.allocations.empty()) state_->allocations[order.id] = result.allocations;
  });
  RETURN_IF_ERROR(Write(changes));
  return result;
}

Result<Order> Operations::GetOrder(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->orders.find(id);
  if (it == state_->orders.end()) return NotFound("order " + id + " is not known");
  return it->second;
}

std::vector<Order> Operations::Orders(std::optional<OrderKind> kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Order> out;
  for (const auto& [id, o] : state_->orders) {
    if (out.size() == kMaxListed) break;
    if (!kind || o.kind == *kind) out.push_back(o);
  }
  return out;
}

std::vector<Allocation> Operations::Allocations(const std::string& order_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->allocations.find(order_id);
  if (it == state_->allocations.end()) return {};
  std::vector<Allocation> out = it->second;
  for (Allocation& a : out) a.held = state_->Held(a.gtin, a.lot_number, a.gln);
  return out;
}

Status Operations::AddShipment(const Shipment& shipment) {
  RETURN_IF_ERROR(CheckKeyPart("shipment id", shipment.id));
  std::lock_guard<std::mutex> lock(mu_);
  if (state_->shipments.count(shipment.id) != 0) {
    return AlreadyExists("shipment " + shipment.id + " is already stored");
  }
  Changes changes;
  changes.Put(Key('S', {shipment.id}), ToJson(shipment));
  changes.Then([&] { state_->shipments[shipment.id] = shipment; });
  return Write(changes);
}

Result<Shipment> Operations::GetShipment(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->shipments.find(id);
  if (it == state_->shipments.end()) return NotFound("shipment " + id + " is not known");
  return it->second;
}

std::vector<Shipment> Operations::Shipments() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Values(state_->shipments);
}

Result<Hold> Operations::PlaceHold(const std::string& gtin, const std::string& lot_number,
                                   const std::string& gln, const std::string& reason_code,
                                   const std::string& placed_by) {
  if (!IsValidGtin(gtin)) return InvalidArgument("gtin: not a GTIN-14 with a valid check digit");
  RETURN_IF_ERROR(CheckKeyPart("lotNumber", lot_number));
  if (!gln.empty() && !IsValidGln(gln)) {
    return InvalidArgument("gln: not a GLN with a valid check digit");
  }
  RETURN_IF_ERROR(CheckKeyPart("reasonCode", reason_code));
  RETURN_IF_ERROR(CheckKeyPart("placedBy", placed_by));
  std::lock_guard<std::mutex> lock(mu_);
  Hold hold;
  hold.id = "hold-" + std::to_string(state_->next_hold);
  hold.gtin = gtin;
  hold.lot_number = lot_number;
  hold.gln = gln;
  hold.reason_code = reason_code;
  hold.placed_by = placed_by;
  hold.placed_at_ms = clock_->NowMs();
  Changes changes;
  changes.Put(Key('H', {hold.id}), ToJson(hold));
  changes.Put(Key('N', {"hold"}), json(state_->next_hold + 1));
  changes.Then([&] {
    state_->holds[hold.id] = hold;
    ++state_->next_hold;
  });
  RETURN_IF_ERROR(Write(changes));
  return hold;
}

Result<Hold> Operations::ReleaseHold(const std::string& id, const std::string& released_by,
                                     const std::string& release_reason) {
  RETURN_IF_ERROR(CheckKeyPart("releasedBy", released_by));
  RETURN_IF_ERROR(CheckKeyPart("releaseReason", release_reason));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->holds.find(id);
  if (it == state_->holds.end()) return NotFound("hold " + id + " is not known");
  if (!it->second.Active()) {
    return FailedPrecondition("hold " + id + " was already released by " +
                              it->second.released_by);
  }
  Hold hold = it->second;
  hold.released_by = released_by;
  hold.release_reason = release_reason;
  hold.released_at_ms = std::max<int64_t>(1, clock_->NowMs());
  Changes changes;
  changes.Put(Key('H', {hold.id}), ToJson(hold));
  changes.Then([&] { state_->holds[hold.id] = hold; });
  RETURN_IF_ERROR(Write(changes));
  return hold;
}

std::vector<Hold> Operations::Holds(bool active_only) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Hold> out;
  for (const auto& [id, h] : state_->holds) {
    if (out.size() == kMaxListed) break;
    if (!active_only || h.Active()) out.push_back(h);
  }
  return out;
}

bool Operations::IsHeld(const std::string& gtin, const std::string& lot_number,
                        const std::string& gln) const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_->Held(gtin, lot_number, gln);
}

Result<ExceptionRecord> Operations::RaiseException(ExceptionRecord record) {
  RETURN_IF_ERROR(CheckKeyPart("type", record.type));
  std::lock_guard<std::mutex> lock(mu_);
  record.id = "exc-" + std::to_string(state_->next_exception);
  if (record.severity.empty()) record.severity = "warning";
  record.opened_at_ms = clock_->NowMs();
  record.closed_at_ms = 0;
  Changes changes;
  changes.Put(Key('X', {record.id}), ToJson(record));
  changes.Put(Key('N', {"exception"}), json(state_->next_exception + 1));
  changes.Then([&] {
    state_->exceptions[record.id] = record;
    ++state_->next_exception;
  });
  RETURN_IF_ERROR(Write(changes));
  return record;
}

Result<ExceptionRecord> Operations::CloseException(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_->exceptions.find(id);
  if (it == state_->exceptions.end()) return NotFound("exception " + id + " is not known");
  if (it->second.closed_at_ms != 0) return FailedPrecondition("exception " + id + " is closed");
  ExceptionRecord record = it->second;
  record.closed_at_ms = std::max<int64_t>(1, clock_->NowMs());
  Changes changes;
  changes.Put(Key('X', {record.id}), ToJson(record));
  changes.Then([&] { state_->exceptions[record.id] = record; });
  RETURN_IF_ERROR(Write(changes));
  return record;
}

std::vector<ExceptionRecord> Operations::Exceptions(bool open_only) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ExceptionRecord> out;
  for (const auto& [id, e] : state_->exceptions) {
    if (out.size() == kMaxListed) break;
    if (!open_only || e.closed_at_ms == 0) out.push_back(e);
  }
  return out;
}

OwnExposure Operations::Exposed(
    const std::vector<std::pair<std::string, std::string>>& lots) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto exposed = [&](const std::string& gtin, const std::string& lot) {
    for (const auto& [g, l] : lots) {
      if (g == gtin && (l.empty() || l == lot)) return true;
    }
    return false;
  };
  OwnExposure out;
  std::set<std::string> order_ids;
  for (const auto& [id, s] : state_->shipments) {
    bool hit = false;
    for (const ShipmentLine& line : s.lines) {
      if (!exposed(line.gtin, line.lot_number)) continue;
      hit = true;
      if (!line.order_id.empty()) order_ids.insert(line.order_id);
    }
    if (!hit) continue;
    order_ids.insert(s.order_ids.begin(), s.order_ids.end());
    if (out.shipments.size() < kMaxListed) out.shipments.push_back(s);
  }
  for (const auto& [order, list] : state_->allocations) {
    for (const Allocation& a : list) {
      if (exposed(a.gtin, a.lot_number)) order_ids.insert(order);
    }
  }
  for (const std::string& id : order_ids) {
    auto it = state_->orders.find(id);
    if (it != state_->orders.end() && out.orders.size() < kMaxListed) out.orders.push_back(it->second);
  }
  return out;
}

InventoryPosition Operations::Position(const std::string& gtin, const std::string& gln) const {
  std::lock_guard<std::mutex> lock(mu_);
  InventoryPosition p{gtin, gln, {}, {}, {}};
  const std::map<std::string, Quantity> allocated = state_->AllocatedByLot(gtin, gln);
  std::string prefix = gtin + '\0' + gln + '\0';
  for (auto it = state_->lots.lower_bound(prefix);
       it != state_->lots.end() && it->first.starts_with(prefix); ++it) {
    const LotBalance& lot = it->second;
    p.on_hand = p.on_hand + lot.on_hand;
    if (state_->Held(gtin, lot.lot_number, gln)) {
      p.on_hold = p.on_hold + lot.on_hand;
    } else {
      auto a = allocated.find(lot.lot_number);
      if (a != allocated.end()) p.allocated = p.allocated + a->second;
    }
  }
  return p;
}

std::vector<InventoryPosition> Operations::Positions(const std::string& gtin,
                                                     const std::string& gln) const {
  std::vector<std::pair<std::string, std::string>> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, lot] : state_->lots) {
      if ((!gtin.empty() && lot.gtin != gtin) || (!gln.empty() && lot.gln != gln)) continue;
      std::pair<std::string, std::string> k{lot.gtin, lot.gln};
      if (keys.empty() || keys.back() != k) keys.push_back(k);
      if (keys.size() == kMaxListed) break;
    }
  }
  std::vector<InventoryPosition> out;
  for (const auto& [g, l] : keys) out.push_back(Position(g, l));
  return out;
}

std::vector<Quantity> Operations::DemandHistory(const std::string& gtin, const std::string& gln,
                                                int periods) const {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t period_ms = demand_period_days_ * kDayMs;
  int64_t current = clock_->NowMs() / period_ms;
  std::vector<Quantity> out;
  for (int64_t p = current - periods; p < current; ++p) {
    auto it = state_->demand.find(DemandKey(gtin, gln, p));
    out.push_back(it == state_->demand.end() ? Quantity{} : it->second);
  }
  return out;
}

}  // namespace tracery::scm_core

// Random supply chains for the differential and recovery tests: farm lots, merges and splits
// (some spread over several events by a transformation id), relabels (some back to an earlier
// identifier: cycles), items commissioned into lots (ILMD) or named with their lot, pallets
// packed, unpacked, emptied and reused, shipments and receipts between parties, and error
// declarations (some by the wrong organisation). Event times mostly advance; some arrive late.
// Everything follows from the seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lineage_test_util.h"
#include "tracery/core/encoding.h"
#include "tracery/lineage/lot_keys.h"
#include "tracery/lineage/query.h"

namespace tracery::lineage::testing {

// splitmix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  // Biased to the end of `v` (recent entries), as real chains consume recent lots.
  template <typename T>
  const T& PickRecent(const std::vector<T>& v) {
    const uint64_t span = std::min<uint64_t>(v.size(), 1 + Below(100));
    return v[v.size() - 1 - Below(span)];
  }

 private:
  uint64_t s_;
};

struct RandomChain {
  std::vector<std::vector<TxSpec>> blocks;
  std::vector<std::string> identifiers;  // every lineage subject named, in first-use order
  std::vector<std::string> lots;
  OrgByLocation orgs;  // GLN → org for the parties the chain uses
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  size_t checkpoints = 0;
};

class RandomChainBuilder {
 public:
  RandomChainBuilder(uint64_t seed, size_t lots) : rng_(seed), target_lots_(lots) {
    for (int i = 0; i < 6; ++i) {
      glns_.push_back(Gln("061414100" + std::to_string(1000 + i)));
      chain_.orgs[glns_.back()] = i < 2 ? "a" : (i < 4 ? "b" : "carrier");
    }
  }

  RandomChain Build() {
    while (chain_.lots.size() < target_lots_) Step();
    FlushBlock();
    chain_.first_ms = kStartMs;
    chain_.last_ms = clock_ms_ + 10000;
    return std::move(chain_);
  }

 private:
  static constexpr int64_t kStartMs = 1'700'000'000'000;
  struct Emitted {
    v1::Checkpoint cp;
    std::string org;
  };

  void Step() {
    clock_ms_ += 1 + static_cast<int64_t>(rng_.Below(1000));
    const uint64_t roll = rng_.Below(100);
    if (roll < 15 || chain_.lots.size() < 5) return Harvest();
    if (roll < 40) return TransformLots();
    if (roll < 45) return Relabel();
    if (roll < 58) return CommissionItems();
    if (roll < 72) return Pack();
    if (roll < 80) return Unpack();
    if (roll < 93) return MoveSomething();
    if (roll < 96) return DeclareError();
    return Observe();
  }

  int64_t EventTime() {
    // One event in ten is dated before events already recorded (late capture).
    if (rng_.Chance(10)) return clock_ms_ - static_cast<int64_t>(rng_.Below(20000));
    return clock_ms_;
  }
  std::string NewEventId() { return "urn:uuid:ev-" + std::to_string(++events_); }
  std::string Org() { return rng_.Chance(70) ? "a" : "b"; }
  std::string Gtin() { return "0952123454" + std::to_string(3000 + rng_.Below(8)); }
  std::string Use(const std::string& id) {
    if (used_.emplace(id, true).second) chain_.identifiers.push_back(id);
    return id;
  }
  std::string NewLot() {
    const std::string gtin = Gtin();
    const std::string value = "L" + std::to_string(++lot_serial_) + (rng_.Chance(5) ? "/x" : "");
    const std::string lot = Lot(gtin, DigitalLinkEscape(value));
    lot_parts_[lot] = {gtin, value};
    chain_.lots.push_back(lot);
    return Use(lot);
  }
  std::string AnyLot() { return rng_.PickRecent(chain_.lots); }
  std::string AnyItemOrLot() {
    if (!items_.empty() && rng_.Chance(50)) return rng_.PickRecent(items_);
    return AnyLot();
  }

  void Emit(v1::Checkpoint cp, const std::string& org) {
    if (!cp.has_error_declaration() && rng_.Chance(30)) {
      cp.set_client_event_id("urn:uuid:client-" + std::to_string(events_));
    }
    pending_.push_back({std::move(cp), org});
    if (rng_.Chance(25)) FlushBlock();
  }

  // Groups the pending checkpoints into transactions of one org each and makes a block.
  void FlushBlock() {
    if (pending_.empty()) return;
    std::vector<TxSpec> txs;
    for (Emitted& e : pending_) {
      if (txs.empty() || txs.back().org != e.org || rng_.Chance(30)) txs.push_back({e.org, {}});
      txs.back().checkpoints.push_back(e.cp);
      if (!e.cp.has_error_declaration()) declarable_.push_back({e.cp, e.org});
      ++chain_.checkpoints;
    }
    chain_.blocks.push_back(std::move(txs));
    pending_.clear();
  }

  void Harvest() {
    v1::Checkpoint cp = Base(NewEventId(), "ObjectEvent", EventTime());
    cp.set_action("ADD");
    cp.set_biz_step(BizStep("commissioning"));
    AddClass(cp.mutable_quantity_list(), NewLot());
    Emit(cp, Org());
  }

  void TransformLots() {
    std::vector<std::string> inputs, outputs;
    const uint64_t n_in = 1 + rng_.Below(3), n_out = 1 + rng_.Below(3);
    for (uint64_t i = 0; i < n_in; ++i) inputs.push_back(AnyItemOrLot());
    for (uint64_t i = 0; i < n_out; ++i) outputs.push_back(NewLot());
    const std::string org = Org();
    if (rng_.Chance(15)) {
      // One transformation over two or three events, inputs and outputs apart.
      const std::string tid = "urn:uuid:tr-" + std::to_string(events_);
      Emit(Transform(NewEventId(), EventTime(), inputs, {}, tid), org);
      Emit(Transform(NewEventId(), EventTime(), {}, outputs, tid), org);
      if (rng_.Chance(50)) Emit(Transform(NewEventId(), EventTime(), {AnyLot()}, {}, tid), org);
      return;
    }
    v1::Checkpoint cp = Transform(NewEventId(), EventTime(), inputs, outputs);
    if (rng_.Chance(20)) cp.set_disposition(Disp("active"));
    Emit(cp, org);
  }

  void Relabel() {
    if (items_.empty()) return;
    const std::string from = rng_.PickRecent(items_);
    // One relabel in five goes back to an earlier identifier: a cycle.
    const std::string to = rng_.Chance(20) ? rng_.Pick(items_) : NewItem(Gtin());
    Emit(Transform(NewEventId(), EventTime(), {from}, {to}), Org());
  }

  std::string NewItem(const std::string& gtin) {
    const std::string item = Item(gtin, "S" + std::to_string(++item_serial_));
    items_.push_back(item);
    return Use(item);
  }

  void CommissionItems() {
    const std::string lot = AnyLot();
    const auto& [gtin, value] = lot_parts_[lot];
    const uint64_t n = 1 + rng_.Below(4);
    if (rng_.Chance(30)) {
      // Items that name their lot: https://id.gs1.org/01/G/10/L/21/S.
      for (uint64_t i = 0; i < n; ++i) {
        const std::string item = lot + "/21/N" + std::to_string(++item_serial_);
        items_.push_back(Use(item));
      }
      return;  // they enter the ledger when packed or moved
    }
    std::vector<std::string> items;
    for (uint64_t i = 0; i < n; ++i) items.push_back(NewItem(gtin));
    v1::Checkpoint cp = Commission(NewEventId(), EventTime(), items, value);
    if (rng_.Chance(10)) cp.set_action("OBSERVE");  // binds no lot
    Emit(cp, Org());
  }

  std::string PickPallet() {
    if (pallets_.empty() || rng_.Chance(30)) {
      pallets_.push_back(Use(Sscc("1061414" + std::to_string(10000000000ull + pallets_.size()))));
    }
    return rng_.PickRecent(pallets_);
  }

  void Pack() {
    const std::string pallet = PickPallet();
    std::vector<std::string> children;
    const uint64_t n = 1 + rng_.Below(5);
    for (uint64_t i = 0; i < n; ++i) children.push_back(AnyItemOrLot());
    if (rng_.Chance(5)) children.push_back(rng_.Pick(pallets_));  // pallets in pallets
    contents_[pallet].insert(contents_[pallet].end(), children.begin(), children.end());
    Emit(Aggregate(NewEventId(), EventTime(), "ADD", pallet, children), Org());
  }

  void Unpack() {
    if (pallets_.empty()) return;
    const std::string pallet = rng_.Pick(pallets_);
    std::vector<std::string> children;
    if (rng_.Chance(60)) {
      const std::vector<std::string>& inside = contents_[pallet];
      for (int i = 0; i < 2 && !inside.empty(); ++i) children.push_back(rng_.Pick(inside));
      if (children.empty()) children.push_back(AnyItemOrLot());
    }  // else: empty the whole pallet
    Emit(Aggregate(NewEventId(), EventTime(), "DELETE", pallet, children), Org());
  }

  void Observe() {
    if (pallets_.empty()) return;
    const std::string pallet = rng_.Pick(pallets_);
    Emit(Aggregate(NewEventId(), EventTime(), "OBSERVE", pallet, {AnyItemOrLot()}), Org());
  }

  void MoveSomething() {
    std::string what;
    if (!pallets_.empty() && rng_.Chance(60)) {
      what = rng_.PickRecent(pallets_);
    } else {
      what = AnyItemOrLot();
    }
    static const char* kSteps[] = {"shipping", "receiving", "arriving", "storing", "departing"};
    static const char* kDisps[] = {"in_transit", "in_progress", "sellable_accessible", "",
                                   "recalled"};
    const std::string step = kSteps[rng_.Below(5)];
    const std::string disp = kDisps[rng_.Below(5)];
    v1::Checkpoint cp =
        Move(NewEventId(), EventTime(), step, {what}, rng_.Chance(70) ? rng_.Pick(glns_) : "",
             rng_.Chance(70) ? rng_.Pick(glns_) : "", disp);
    if (rng_.Chance(50)) cp.set_biz_location(rng_.Pick(glns_) + (rng_.Chance(30) ? "/254/7" : ""));
    if (rng_.Chance(20)) {  // a TransactionEvent naming the pallet as parent
      cp.set_type("TransactionEvent");
      cp.set_parent_id(rng_.Chance(50) && !pallets_.empty() ? rng_.Pick(pallets_) : what);
    }
    Emit(cp, Org());
  }

  void DeclareError() {
    if (declarable_.empty()) return;
    const Emitted& target = rng_.Pick(declarable_);
    v1::Checkpoint decl = Declare(target.cp, clock_ms_);
    if (!target.cp.client_event_id().empty() && rng_.Chance(40)) {
      // Declared by its client event id under another event id.
      decl.set_event_id(NewEventId());
    }
    // One declaration in ten comes from the wrong organisation and must change nothing.
    const std::string org = rng_.Chance(10) ? (target.org == "a" ? "b" : "a") : target.org;
    Emit(decl, org);
  }

  Rng rng_;
  size_t target_lots_;
  RandomChain chain_;
  std::vector<std::string> glns_;
  std::vector<std::string> items_;
  std::vector<std::string> pallets_;
  std::map<std::string, std::vector<std::string>> contents_;
  std::map<std::string, std::pair<std::string, std::string>> lot_parts_;  // lot → (gtin, value)
  std::map<std::string, bool> used_;
  std::vector<Emitted> pending_;
  std::vector<Emitted> declarable_;
  int64_t clock_ms_ = kStartMs;
  uint64_t events_ = 0;
  uint64_t lot_serial_ = 0;
  uint64_t item_serial_ = 0;
};

}  // namespace tracery::lineage::testing

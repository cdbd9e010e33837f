// The canonical model of the SCM core, in GS1 vocabulary. Every source format (X12, EDIFACT, CSV,
// JSON, EPCIS) maps to these records through a versioned mapping, and the operational state
// (inventory, holds) is kept in them. Identifiers are stored in their plain GS1 keys: GTIN-14,
// GLN-13, SSCC-18; lots and serials as the strings the partner wrote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"

namespace tracery::scm_core {

// A quantity in thousandths of its unit of measure, so decimal quantities (12.5 KGM) add up
// exactly; inventory arithmetic never goes through floating point.
struct Quantity {
  int64_t thousandths = 0;

  static Quantity Units(int64_t units) { return Quantity{units * 1000}; }
  // "12", "12.5", "-3.125"; more than three decimals, exponents or overflow are refused.
  static Result<Quantity> Parse(std::string_view text);
  // "12", "12.5", "-3.125" (shortest exact form).
  std::string ToString() const;

  friend Quantity operator+(Quantity a, Quantity b) { return {a.thousandths + b.thousandths}; }
  friend Quantity operator-(Quantity a, Quantity b) { return {a.thousandths - b.thousandths}; }
  friend auto operator<=>(Quantity a, Quantity b) = default;
};

// Which mapping produced a record ("x12-856/1", "edifact-desadv/1", "csv-items/1"): a mapping
// changes only by a new version, so a record can always be traced to the rules that made it.
struct MappingRef {
  std::string name;
  int version = 0;
  std::string ToString() const { return name + "/" + std::to_string(version); }
};

struct Address {
  std::string street;
  std::string city;
  std::string region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2
};

struct Item {
  std::string gtin;  // 14 digits, check digit verified
  std::string description;
  std::string unit;  // UN/ECE Recommendation 20 code: EA, KGM, LTR, CS, ...
};

struct Location {
  std::string gln;  // 13 digits, check digit verified
  std::string name;
  Address address;
};

enum class PartyRole { kSupplier, kCustomer };

// A supplier or customer of the partner; `gln` is its party GLN when it has one.
struct Party {
  std::string id;  // the partner's own code for it
  PartyRole role = PartyRole::kSupplier;
  std::string name;
  std::string gln;
};

struct Lot {
  std::string gtin;
  std::string lot_number;
  std::optional<std::string> expiry_date;      // YYYY-MM-DD
  std::optional<std::string> production_date;  // YYYY-MM-DD
};

enum class OrderKind { kPurchase, kSales };

struct OrderLine {
  std::string line_number;
  std::string gtin;
  // The partner's own product code with its qualifier ("BP:0459001004", "VN:abc123"), when the
  // document gives one; the only product id of a line that has no GTIN.
  std::string item_code;
  Quantity quantity;
  std::string unit;
  std::optional<std::string> requested_date;  // YYYY-MM-DD
};

struct Order {
  std::string id;  // the order number (BEG03, BGM document number, ...)
  OrderKind kind = OrderKind::kPurchase;
  std::string buyer;      // party id or GLN
  std::string seller;     // party id or GLN
  std::string ship_to;    // GLN when known
  std::string ship_from;  // GLN the goods leave from, when known (a sales order allocates there)
  std::string order_date;  // YYYY-MM-DD
  std::vector<OrderLine> lines;
  MappingRef mapping;
};

// One line of a shipment: a quantity of an item, optionally of one lot, optionally packed in a
// logistic unit (SSCC) and optionally serialised.
struct ShipmentLine {
  std::string sscc;  // 18 digits, the pack it travels in; empty when unpacked
  std::string gtin;
  std::string item_code;  // as OrderLine::item_code
  std::string lot_number;
  std::vector<std::string> serials;
  Quantity quantity;
  std::string unit;
  std::string order_id;  // the order this line fulfils, when the document says
};

struct Shipment {
  std::string id;             // the ship notice number (BSN02, BGM document number)
  std::string ship_from;      // GLN (or party id when the document has no GLN)
  std::string ship_to;        // GLN (or party id)
  std::string ship_date;      // YYYY-MM-DD
  std::string ship_time;      // HH:MM:SS (UTC), empty when the document gives no time
  std::string carrier;        // SCAC or name
  std::string bill_of_lading;
  std::vector<std::string> order_ids;
  std::vector<ShipmentLine> lines;
  MappingRef mapping;
};

// Stock of one item at one location. `sellable` is what can still be promised:
// on hand less what is allocated to orders and what is on hold, never below zero.
struct InventoryPosition {
  std::string gtin;
  std::string gln;
  Quantity on_hand;
  Quantity allocated;
  Quantity on_hold;
  Quantity Sellable() const {
    Quantity free = on_hand - allocated - on_hold;
    return free.thousandths < 0 ? Quantity{} : free;
  }
};

// A hold keeps a lot (at one location, or everywhere when `gln` is empty) out of allocation
// until it is released. Who placed and released it, when and why, is kept.
struct Hold {
  std::string id;
  std::string gtin;
  std::string lot_number;
  std::string gln;
  std::string reason_code;  // inspection, temperature_excursion, recall, quality, ...
  std::string placed_by;
  int64_t placed_at_ms = 0;
  std::string released_by;
  std::string release_reason;
  int64_t released_at_ms = 0;  // 0 while the hold is active
  bool Active() const { return released_at_ms == 0; }
};

// An operational exception: something a planner must look at (an excursion, a refused
// document, a short allocation).
struct ExceptionRecord {
  std::string id;
  std::string type;      // temperature_excursion, short_allocation, ...
  std::string severity;  // info, warning, critical
  std::string gtin;
  std::string lot_number;
  std::string shipment_id;
  std::string gln;
  std::string detail;
  int64_t opened_at_ms = 0;
  int64_t closed_at_ms = 0;  // 0 while open
  std::string reference;     // e.g. the anchored event id
};

// GS1 keys: digits only, the given length, and a valid mod-10 check digit.
bool IsValidGs1Key(std::string_view digits, size_t length);
inline bool IsValidGtin(std::string_view v) { return IsValidGs1Key(v, 14); }
inline bool IsValidGln(std::string_view v) { return IsValidGs1Key(v, 13); }
inline bool IsValidSscc(std::string_view v) { return IsValidGs1Key(v, 18); }
// A GTIN-8/12/13 (UPC, EAN) padded with leading zeros to GTIN-14; refused when the check digit
// is wrong or the length is none of 8, 12, 13, 14.
Result<std::string> NormaliseGtin(std::string_view digits);

}  // namespace tracery::scm_core

// The five EPCIS 2.0 event types as bits, so that a table can say which types carry a member.
// Internal to epcis/ (the event validation and the checkpoint codec share it).
#pragma once

#include <optional>
#include <string_view>

namespace tracery::epcis {

enum TypeBit : unsigned {
  kObject = 1u << 0,
  kAggregation = 1u << 1,
  kTransaction = 1u << 2,
  kTransformation = 1u << 3,
  kAssociation = 1u << 4,
  kAllTypes = kObject | kAggregation | kTransaction | kTransformation | kAssociation,
};

// The bit of an event type name ("ObjectEvent", ...); nullopt for any other string.
inline std::optional<TypeBit> EventTypeBit(std::string_view name) {
  struct Entry {
    std::string_view name;
    TypeBit bit;
  };
  static constexpr Entry kTypes[] = {
      {"ObjectEvent", kObject},           {"AggregationEvent", kAggregation},
      {"TransactionEvent", kTransaction}, {"TransformationEvent", kTransformation},
      {"AssociationEvent", kAssociation},
  };
  for (const Entry& t : kTypes) {
    if (t.name == name) return t.bit;
  }
  return std::nullopt;
}

}  // namespace tracery::epcis

// How the lot graph bridges instance-level and class-level GS1 identifiers. Identifiers reach
// the index in Tracery's canonical form (epcis/identifiers.h): GS1 keys as Digital Link URIs on
// https://id.gs1.org with their key qualifiers in the standard order, anything else unchanged.
// These functions read only that form; any other string is "not a GS1 trade item instance".
#pragma once

#include <string>
#include <string_view>

namespace tracery::lineage {

inline constexpr std::string_view kGtinPrefix = "https://id.gs1.org/01/";

// The lot (class) a serialised trade item names by itself:
//   https://id.gs1.org/01/G[/22/V]/10/L/21/S → https://id.gs1.org/01/G[/22/V]/10/L
// Empty when `id` is not a GTIN instance URI that carries a lot (no /10/, no /21/, another
// key, a query string, an empty value or a qualifier out of the order 22, 10, 21).
std::string LotOfInstance(std::string_view id);

// The lot that an ILMD lot number (cbvmda:lotNumber) puts a serialised trade item in:
//   (https://id.gs1.org/01/G[/22/V][/10/X]/21/S, "L") → https://id.gs1.org/01/G[/22/V]/10/L
// with L written as DigitalLinkEscape (core/encoding.h) writes it, as the identifier
// canonicaliser does. Empty when `id` is not a GTIN instance
// URI (above) or `lot_number` is empty.
std::string LotOfInstanceWithLotNumber(std::string_view id, std::string_view lot_number);


}  // namespace tracery::lineage

// How an EPCIS event moves stock at the partner's own locations (docs/scm.md, "Stock"). The
// event comes as its checkpoint, whose identifiers are canonical GS1 Digital Link URIs.
//
// At the event's business location (its read point when it has none), when that location is
// one of the partner's own:
//   receiving, accepting, commissioning (ADD), unpacking ........... + each object and quantity
//   shipping ....................................................... − (counted as demand)
//   destroying, decommissioning, dispensing, retail_selling ......... −
//   TransformationEvent ........ − inputs (consumption), + outputs (production)
// Any other event moves nothing. An instance (SGTIN) counts 1 of its GTIN in its lot (from the
// identifier, else the event's ILMD lot number); a quantity element of an LGTIN or GTIN class
// counts its quantity. Identifiers that are not GTIN-based (SSCC, GRAI, ...) move nothing:
// a pallet's cases are counted through their own events.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/scm_core/operations.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::scm_core {

// The GLN of a canonical location URI ("https://id.gs1.org/414/0614141000005[/254/x]"), or "".
std::string GlnOfLocation(const std::string& uri);

struct TradeItem {
  std::string gtin;
  std::string lot_number;  // "" when the identifier has none
};
// The GTIN and lot of a canonical SGTIN, LGTIN or GTIN Digital Link URI; gtin "" otherwise.
TradeItem TradeItemOf(const std::string& uri);

// The movements `checkpoint` makes at the locations for which `own(gln)` is true. A quantity
// that is not an exact decimal is refused (InvalidArgument naming it).
Result<std::vector<Movement>> StockEffects(const v1::Checkpoint& checkpoint,
                                           const std::function<bool(const std::string&)>& own);

}  // namespace tracery::scm_core

// Identifiers of EPCIS: EPC URNs (urn:epc:id:sgtin:..., urn:epc:class:lgtin:...,
// urn:epc:idpat:sgtin:...) and GS1 Digital Link URIs (https://id.gs1.org/01/...) name the same
// things. Tracery keeps one canonical form, the one the CBV 2.0 Event Hash ID uses: GS1 keys as
// Digital Link URIs on https://id.gs1.org with the check digit computed, every other URI
// unchanged. The checkpoint, the lineage index and the event queries hold canonical forms, and
// every identifier a client gives (in an event, a query parameter or a URL path) is made
// canonical first, so both forms find the same records.
#pragma once

#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery::epcis {

// The canonical form of an EPC, class, location, party or business-transaction identifier:
//   urn:epc:id:sgtin:0614141.107346.2017   → https://id.gs1.org/01/10614141073464/21/2017
//   urn:epc:class:lgtin:4012345.012345.998877 → https://id.gs1.org/01/04012345123456/10/998877
//   urn:epc:idpat:sgtin:4012345.066666.*  → https://id.gs1.org/01/04012345666663
//   urn:epc:id:sscc:0614141.1234567890    → https://id.gs1.org/00/106141412345678908
//   urn:epc:id:sgln:0614141.00777.0       → https://id.gs1.org/414/0614141007770
//   (and grai, giai, gsrn, gdti, pgln, ...)
// A Digital Link URI on another host, with short names (/gtin/, /lot/), a query string, or its
// key qualifiers in another order is rewritten onto https://id.gs1.org with the finest level of
// identification only (a serial over a lot; no CPV), as the CBV 2.0 Event Hash ID constrains it.
// Any other absolute URI is returned unchanged (urn:epcglobal:cbv:bt:..., urn:uuid:...,
// http://... without a GS1 key in its path, EPC schemes that name no GS1 key such as gid).
// Malformed EPC URNs or Digital Link URIs (bad characters, wrong digit counts, a key qualifier
// the key does not have, a broken %-escape), a string that is not an absolute URI or that has
// spaces or control characters, and more than kMaxIdentifierBytes are InvalidArgument naming
// what is wrong (the message does not name the field: the caller prefixes its path).
//
// The check digit of a Digital Link URI is kept as written, neither verified nor corrected:
// EPCIS capture does not reject wrong ones (OpenEPCIS's corpus of valid capture documents has
// one), and correcting one would turn a mistyped key silently into another key.
// docs/formats/epcis.md lists every scheme and rule.
Result<std::string> CanonicalIdentifier(std::string_view id);

}  // namespace tracery::epcis

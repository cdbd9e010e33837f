// Inbound ERP documents: ASC X12 850 (purchase order) and 856 (ship notice), UN/EDIFACT DESADV,
// and the CSV and JSON layouts of docs/formats/erp.md, mapped to the canonical model by
// versioned mappings, and shipments mapped to EPCIS 2.0 events. Pure logic: bytes in, records
// out; no files, sockets or clocks.
//
// All or nothing: a structural error anywhere in a document (broken envelope, wrong control
// number or count, a segment that does not parse, a limit exceeded) refuses the whole document
// and nothing is imported. Transaction sets of a type no mapping supports (X12 810, EDIFACT
// ORDERS, ...) are not errors: they are listed as unsupported, by type, beside the ones that
// were imported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/scm_core/model.h"

namespace tracery::scm_core {

// Limits, checked where the bytes enter; exceeding one refuses the document
// (ResourceExhausted, rule "limit.<name>").
inline constexpr size_t kMaxErpDocumentBytes = size_t{256} << 20;
inline constexpr size_t kMaxErpSegments = 16'000'000;  // X12/EDIFACT segments, CSV/JSON records
inline constexpr size_t kMaxErpLineItems = 4'000'000;  // order and shipment lines in a document
inline constexpr size_t kMaxErpElementBytes = 1024;    // one element (field) of a segment or row
inline constexpr size_t kMaxErpElementsPerSegment = 512;
inline constexpr size_t kMaxErpWarnings = 1000;  // kept; the rest are only counted

enum class ErpFormat { kX12, kEdifact, kCsv, kJson };
// kAuto decides by content: "ISA" → X12, "UNA"/"UNB" → EDIFACT, '{' → JSON, else CSV (after
// a UTF-8 byte-order mark and leading white space).
enum class ErpFormatHint { kAuto, kX12, kEdifact, kCsv, kJson };
const char* ErpFormatName(ErpFormat format);  // "x12", "edifact", "csv", "json"

// Why a document was refused: where (X12/EDIFACT "segment 13 (N1)" — the segment's 1-based
// position in the file and its tag — with its line; CSV "line 4, field gtin"; JSON
// "shipments[2].quantity"), the rule broken (a stable short name such as "x12.se.count",
// "x12.segment.terminator"; docs/formats/erp.md lists them) and a sentence for people.
struct ErpProblem {
  std::string where;
  std::string rule;
  std::string detail;
  // "segment 13 (N1, line 13): x12.segment.terminator: ..."
  std::string ToString() const;
};

// One transaction set (X12 ST..SE) or message (EDIFACT UNH..UNT), or one CSV/JSON document.
struct ErpTransactionOutcome {
  std::string type;     // "850", "856", "810", "DESADV", "ORDERS", "csv-orders", ...
  std::string version;  // GS08 / the UNH message version ("004010", "D:96A", ...)
  std::string control_number;  // ST02 / UNH01
  bool imported = false;       // false: unsupported type, nothing taken from it
  std::string detail;          // "unsupported transaction set 810 (invoice)", ...
};

// A warning about something accepted leniently: the document was imported, but a person may
// want to look ("DESADV message version '0' instead of 'D'", "LIN UP 999999310145: wrong check
// digit, kept as the item code").
struct ErpWarning {
  std::string where;
  std::string detail;
};

// What one document yields. Every order and shipment carries its MappingRef ("x12-856/1");
// items, locations and parties carry theirs in the parallel *_mappings vectors.
struct ErpImport {
  ErpFormat format = ErpFormat::kX12;
  std::vector<Order> orders;
  std::vector<Shipment> shipments;
  std::vector<Item> items;
  std::vector<MappingRef> item_mappings;
  std::vector<Location> locations;
  std::vector<MappingRef> location_mappings;
  std::vector<Party> parties;
  std::vector<MappingRef> party_mappings;
  std::vector<ErpTransactionOutcome> transactions;
  std::vector<ErpWarning> warnings;
  size_t warnings_dropped = 0;  // warnings beyond kMaxErpWarnings, counted only
};

// Parses `bytes` (the whole document) and maps it. Errors: InvalidArgument (structure, syntax,
// envelope, a value breaking a rule) or ResourceExhausted (a limit), with the message
// problem.ToString(); `*problem` is set when not null. Never throws.
Result<ErpImport> ImportErpDocument(std::string_view bytes, ErpFormatHint hint,
                                    ErpProblem* problem = nullptr);

// EPCIS 2.0 events (JSON-LD event objects, serialised) for one shipment, in this order:
//  - per SSCC of its lines (first appearance order), an AggregationEvent: action ADD, bizStep
//    packing, parentID https://id.gs1.org/00/<sscc>, childEPCs (serials as SGTIN Digital
//    Links) and childQuantityList (lots as LGTIN class Digital Links, else the GTIN class);
//  - one ObjectEvent: action OBSERVE, bizStep shipping, disposition in_transit, epcList the
//    SSCCs, quantityList (and serials in epcList) for unpacked lines, bizTransactionList
//    desadv (shipment id), po (order ids), bol (bill of lading), sourceList/destinationList
//    owning_party and location from ship_from/ship_to when they are GLNs, readPoint and
//    bizLocation the ship_from GLN.
// eventTime is the ship date at 00:00:00Z, or `ship_time` ("HH:MM:SS", UTC) when the shipment
// has one (see docs/formats/erp.md). Items without a GTIN use the class
// urn:tracery:erp:item:<qualifier>:<code> (the partner's own code). Every event passes
// epcis::ValidateEvent. Refused (InvalidArgument, the rule in the message) when the shipment
// cannot make valid events: no valid ship date or time, no lines, a negative quantity, a line
// without GTIN or item code, a unit that is not Rec. 20 syntax, an identifier longer than EPCIS
// accepts (docs/formats/erp.md, "EPCIS mapping").
Result<std::vector<std::string>> ShipmentToEpcisEvents(const Shipment& shipment);

}  // namespace tracery::scm_core

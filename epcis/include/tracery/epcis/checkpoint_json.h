// The JSON form of a tracery::v1::Checkpoint: what `POST /v1/checkpoints` accepts and what proofs
// print. Members have their EPCIS 2.0 names:
//
//   {"eventID": "ni:///sha-256;<64 hex>?ver=CBV2.0",        required; or any urn:/http(s):// URI
//    "type": "ObjectEvent",                                  required; one of the five event types
//    "action": "OBSERVE",             required (ADD, OBSERVE, DELETE); absent for TransformationEvent
//    "bizStep": "shipping", "disposition": "in_transit",     CBV values, normalised by cbv.h
//    "eventTime": "2005-04-03T20:33:31.116-06:00",           required; RFC 3339 with an offset
//    "eventTimeZoneOffset": "-06:00",                        optional; overrides eventTime's offset
//    "readPoint": {"id": "urn:epc:id:sgln:..."},             or a plain string; so is bizLocation
//    "epcList": ["urn:epc:id:sgtin:..."],
//    "quantityList": [{"epcClass": "...", "quantity": 200, "uom": "KGM"}],
//    "parentID", "childEPCs", "childQuantityList",                    (Aggregation, Association)
//    "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList" (Transformation)
//    "sourceList": [{"type": "owning_party", "source": "..."}],
//    "destinationList": [{"type": "owning_party", "destination": "..."}],
//    "bizTransactionList": [{"type": "po", "bizTransaction": "..."}],     type optional
//    "payloadHash": "<64 hex digits>"}                        optional, see below
//
// Which lists an event type may carry follows EPCIS 2.0: ObjectEvent epcList/quantityList;
// AggregationEvent and AssociationEvent parentID/childEPCs/childQuantityList; TransactionEvent
// parentID/epcList/quantityList; TransformationEvent the input and output lists. A member of
// another event type is refused, and so is any unknown member ("@context" is allowed and ignored):
// the full EPCIS event with its extensions is captured elsewhere, not here.
//
// Quantities: a JSON number or a decimal string ("200", "12.5", "1e3"), at least 0 and below
// kMaxQuantity, stored as a canonical decimal string: an integral value as an integer ("200",
// never "200.0"), any other value in the shortest form that reads back as the same double
// (std::to_chars). quantity and uom are optional as in EPCIS; a uom needs a quantity.
//
// Errors are InvalidArgument (ResourceExhausted when a named limit below is exceeded) and every
// message starts with the path of the field: "epcList[3]: expected a string". Errors about the
// object as a whole say "checkpoint: ..."; CheckpointsFromJsonText prefixes the index of the
// array element ("[2].epcList[3]: ...", "[2]: unknown member 'foo'").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tracery/core/status.h"
#include "tracery/v1/ledger.pb.h"

namespace tracery::epcis {

// Entries in any one list (epcList, quantityList, sourceList, ...).
inline constexpr size_t kMaxListEntries = 10'000;
// Bytes of any one identifier or URI (eventID, an EPC, a class, a location, a CBV value, ...).
inline constexpr size_t kMaxIdentifierBytes = 2'048;
// Bytes of one checkpoint's compact JSON serialisation (nlohmann dump()).
inline constexpr size_t kMaxCheckpointJsonBytes = 1 << 20;
// Exclusive upper bound of a quantity: 2^53, below which every integer is exact in a double, so
// an integral quantity always prints as the integer that was written.
inline constexpr uint64_t kMaxQuantity = uint64_t{1} << 53;
// Nesting of arrays and objects (including inside "@context"). Checked before a checkpoint is
// serialised, because serialisation recurses once per level.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses and validates one checkpoint. schema_version is set to 1.
//
// payloadHash: when present, 64 hex digits (either case) giving the 32 bytes of payload_hash.
// When absent, payload_hash is set to SHA-256 of j.dump(): the compact serialisation of `j`
// exactly as given (including any "@context"), with object members sorted by key, since
// nlohmann::json keeps objects sorted. So the same JSON value always gets the same hash, whatever
// member order or white space the client sent.
//
// Never throws.
Result<v1::Checkpoint> CheckpointFromJson(const nlohmann::json& j);

// The JSON form above: eventTime as FormatRfc3339Utc, eventTimeZoneOffset always (FormatOffset),
// CBV values as stored (Web URIs), readPoint and bizLocation as {"id": ...}, quantities as JSON
// numbers, payloadHash as lowercase hex; empty fields are omitted.
// Round trip: for every checkpoint c that CheckpointFromJson returned,
// CheckpointFromJson(CheckpointToJson(c)) returns c again, field for field.
nlohmann::json CheckpointToJson(const v1::Checkpoint& c);

// A request body: one checkpoint object, or a non-empty array of at most `max_checkpoints` of
// them (more is ResourceExhausted, naming the limit). Text that is not JSON is InvalidArgument
// naming the byte position of the error. A member that occurs twice in one object is refused too
// (naming it), since JSON parsers disagree on which of the two counts; so is nesting deeper than
// kMaxJsonDepth. All or nothing: any invalid checkpoint fails the whole body. Never throws.
// REQUIRES: max_checkpoints >= 1.
Result<std::vector<v1::Checkpoint>> CheckpointsFromJsonText(std::string_view body,
                                                            size_t max_checkpoints);

}  // namespace tracery::epcis

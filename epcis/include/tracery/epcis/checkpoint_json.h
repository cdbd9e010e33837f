// The JSON form of a tracery::v1::Checkpoint: what `POST /v1/checkpoints` accepts and what proofs
// print. Members have their EPCIS 2.0 names:
//
//   eventID              required: ni:///sha-256;<64 lowercase hex>?ver=CBV2.0 (the CBV 2.0
//                        Event Hash ID) or any urn: or http(s):// URI
//   type                 required: ObjectEvent, AggregationEvent, TransactionEvent,
//                        TransformationEvent or AssociationEvent
//   action               required: ADD, OBSERVE or DELETE; absent for TransformationEvent
//   bizStep, disposition CBV values, normalised to Web URIs by cbv.h
//   eventTime            required: RFC 3339 with an offset, "2005-04-03T20:33:31.116-06:00"
//   eventTimeZoneOffset  optional "-06:00"; overrides the offset eventTime was written with
//   readPoint,           {"id": "urn:epc:id:sgln:..."} as in EPCIS, or a plain string
//   bizLocation
//   epcList, quantityList                              ObjectEvent, TransactionEvent
//   parentID                                           Aggregation-, Transaction-, AssociationEvent
//   childEPCs, childQuantityList                       AggregationEvent, AssociationEvent
//   inputEPCList, inputQuantityList,                   TransformationEvent
//   outputEPCList, outputQuantityList
//   sourceList           [{"type": "owning_party", "source": "..."}]           (type required)
//   destinationList      [{"type": "owning_party", "destination": "..."}]      (type required)
//   bizTransactionList   [{"type": "po", "bizTransaction": "..."}]             (type optional)
//   payloadHash          optional: 64 hex digits; see CheckpointFromJson
//   clientEventID        optional: the eventID the client gave the event (any absolute URI)
//   errorDeclaration     optional: {"declarationTime": RFC 3339 (required), "reason": CBV ER-
//                        value or URI, "correctiveEventIDs": [absolute URIs]}
//   lotNumber            optional (Object-, TransformationEvent): the ILMD lot number
//   transformationID     optional (TransformationEvent)
//
// A quantity element is {"epcClass": "...", "quantity": 200, "uom": "KGM"}. A member that the
// event type does not carry in EPCIS 2.0 is refused, and so is any unknown member ("@context" is
// allowed and ignored): the full EPCIS event with its extensions is captured elsewhere, not here.
//
// Quantities: a JSON number or a decimal string ("200", "12.5", "1e3"), at least 0 and below
// kMaxQuantity, stored as a canonical decimal string: an integral value as an integer ("200",
// never "200.0"), any other value in the shortest form that reads back as the same double
// (std::to_chars). quantity and uom are optional as in EPCIS; a uom needs a quantity and is a
// UN/ECE Rec. 20 code (2 or 3 of A-Z, 0-9).
//
// Errors are InvalidArgument, also when a named limit below is exceeded (the message then names
// the limit): this is bad input, not a lack of resources, so it must not invite a retry. Every
// message starts with the path of the field: "epcList[3]: expected a string". Errors about the
// object as a whole say "checkpoint: ..."; CheckpointsFromJsonText prefixes the index of the
// array element ("[2].epcList[3]: ...", "[2]: unknown member 'foo'") and says "body: ..." about
// the text as a whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

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

// The JSON form above: eventTime (and errorDeclaration.declarationTime) as FormatRfc3339Utc,
// eventTimeZoneOffset always (FormatOffset), CBV values as stored (Web URIs), readPoint and
// bizLocation as {"id": ...}, quantities as JSON numbers, payloadHash as lowercase hex; empty
// fields are omitted (errorDeclaration is printed whenever the checkpoint has one).
// Round trip: for every checkpoint c that CheckpointFromJson returned,
// CheckpointFromJson(CheckpointToJson(c)) returns c again, field for field.
nlohmann::json CheckpointToJson(const v1::Checkpoint& c);

// A request body: one checkpoint object, or a non-empty array of at most `max_checkpoints` of
// them (more is refused, naming the limit). Text that is not JSON is InvalidArgument
// naming the byte position of the error. A member that occurs twice in one object is refused too
// (naming it), since JSON parsers disagree on which of the two counts; so is nesting deeper than
// kMaxJsonDepth. All or nothing: any invalid checkpoint fails the whole body. Never throws.
// REQUIRES: max_checkpoints >= 1.
Result<std::vector<v1::Checkpoint>> CheckpointsFromJsonText(std::string_view body,
                                                            size_t max_checkpoints);

}  // namespace tracery::epcis

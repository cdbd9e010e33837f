// The EPCIS event query index: postings from identifiers and vocabulary values to the
// checkpoints of the ledger, built deterministically from committed blocks and kept in its own
// LevelDB store. It answers the SimpleEventQuery parameters of EPCIS 2.0 (GET /v1/events,
// named queries) over every organisation's checkpoints.
//
// Every checkpoint has a sequence number: its position in the ledger-wide checkpoint log
// (ledger order, which is record-time order). Postings are keyed by (field, value, sequence), so
// a posting list reads in ledger order and a page resumes from the last sequence it returned.
//
// Store layout (docs/formats/node-stores.md):
//   'h'                                   → applied height (big-endian u64)
//   'c' seq(8)                            → height(8) tx_position(4) checkpoint_index(4)
//                                           record_time_ms(8) org_size(4) org checkpoint bytes
//   'p' field(1) value '\0' seq(8)        → ""   (postings)
//   't' (event_time_ms XOR 2^63)(8) seq(8) → ""  (event-time order)
//   'w' org '\0' id                       → seq(8) of the latest error declaration of org
//                                           naming id (event id or client event id)
// A block's entries and the new applied height are one WriteBatch, so a crash leaves the index
// at a block boundary and CatchUp continues from there.
//
// Thread-safety: one writer calls Apply/CatchUp; any number of readers call Query.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/ledger/block.h"
#include "tracery/ledger/ledger.h"

namespace leveldb {
class DB;
struct ReadOptions;
}

namespace tracery::lineage {

// Results of one page.
inline constexpr size_t kMaxEventsPerPage = 1'000;
// Checkpoints one page may examine before it returns what it has with a token to go on, so
// that a query matching little of a large ledger still answers in bounded time.
inline constexpr size_t kMaxExaminedPerPage = 200'000;

// One SimpleEventQuery. Each list is a disjunction ("any of these values"); the members are a
// conjunction. Identifiers and vocabulary values are canonical (epcis/identifiers.h, cbv.h).
// A MATCH_ value matches an identifier equal to it and, for a GTIN-based Digital Link, every
// identifier below it (a GTIN class matches its lots and serials, a lot its serials): this is
// what the EPC pattern urn:epc:idpat:sgtin:...* and class-level identifiers mean.
struct EventQuery {
  std::vector<std::string> event_types;      // eventType
  std::vector<std::string> actions;          // EQ_action
  std::vector<std::string> biz_steps;        // EQ_bizStep
  std::vector<std::string> dispositions;     // EQ_disposition
  std::vector<std::string> read_points;      // EQ_readPoint
  std::vector<std::string> biz_locations;    // EQ_bizLocation
  std::vector<std::string> event_ids;        // EQ_eventID: Event Hash IDs or client eventIDs
  std::vector<std::string> match_epc;        // MATCH_epc: epcList, childEPCs
  std::vector<std::string> match_parent_id;  // MATCH_parentID
  std::vector<std::string> match_input_epc;  // MATCH_inputEPC
  std::vector<std::string> match_output_epc; // MATCH_outputEPC
  std::vector<std::string> match_any_epc;    // MATCH_anyEPC: any of the four above
  std::vector<std::string> match_epc_class;  // MATCH_epcClass: quantityList, childQuantityList
  std::vector<std::string> match_any_epc_class;  // MATCH_anyEPCClass: every quantity list
  // EQ_bizTransaction_<type>: type (CBV Web URI or user URI) → ids.
  std::map<std::string, std::vector<std::string>> biz_transactions;
  std::optional<int64_t> ge_event_time_ms, lt_event_time_ms;
  std::optional<int64_t> ge_record_time_ms, lt_record_time_ms;
  std::optional<double> ge_quantity, lt_quantity;  // any quantity element of the event
  // false: leave out checkpoints that a later error declaration of the same organisation
  // withdrew (naming their event id or client event id), as the lot graph does.
  bool include_withdrawn = true;
  enum class Order { kLedger, kEventTime };
  Order order = Order::kLedger;  // kLedger is record-time order
  bool descending = false;
};

struct EventHit {
  uint64_t seq = 0;
  ledger::CheckpointLocation location;
  int64_t record_time_ms = 0;
  v1::Checkpoint checkpoint;
};

struct EventPage {
  std::vector<EventHit> hits;
  std::string next_page_token;  // empty on the last page
};

class EventIndex {
 public:
  // Opens (creating when missing) the index in `dir`.
  static Result<std::unique_ptr<EventIndex>> Open(const std::string& dir);
  ~EventIndex();

  uint64_t applied_height() const;
  // Indexes a committed block. A height at or below the applied one is a no-op; a gap is
  // FailedPrecondition.
  Status Apply(const ledger::ParsedBlock& block);
  // Applies every block of the ledger above the applied height.
  Status CatchUp(const ledger::Ledger& ledger);

  // One page of the answer, starting after `page_token` (empty: from the start).
  // REQUIRES: 1 <= per_page <= kMaxEventsPerPage. A malformed token is InvalidArgument.
  Result<EventPage> Query(const EventQuery& query, const std::string& page_token,
                          size_t per_page) const;

 private:
  explicit EventIndex(std::unique_ptr<leveldb::DB> db, uint64_t applied);
  struct Cursor;
  // Whether an error declaration of `org` recorded after `seq` names the checkpoint's event id
  // or client event id (the rule of the lot graph too).
  Result<bool> Withdrawn(const leveldb::ReadOptions& ro, const std::string& org,
                         const v1::Checkpoint& c, uint64_t seq) const;
  const std::unique_ptr<leveldb::DB> db_;
  std::atomic<uint64_t> applied_;  // written by the writer only
};

// Whether the checkpoint satisfies every member of the query (the sequence-independent part;
// the index uses it on every candidate, and tests use it as the oracle).
bool MatchesEventQuery(const EventQuery& query, const v1::Checkpoint& checkpoint,
                       int64_t record_time_ms);

}  // namespace tracery::lineage

#include "tracery/lineage/event_index.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <charconv>
#include <functional>

#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"

namespace tracery::lineage {
namespace {

constexpr char kAppliedKey[] = "h";
constexpr char kCheckpointPrefix = 'c';
constexpr char kPostingPrefix = 'p';
constexpr char kTimePrefix = 't';
constexpr char kWithdrawnPrefix = 'w';

// Posting fields.
constexpr char kFieldEventId = 'e';
constexpr char kFieldEpc = 'E';     // epcList, childEPCs
constexpr char kFieldParent = 'P';  // parentID
constexpr char kFieldInput = 'I';   // inputEPCList
constexpr char kFieldOutput = 'O';  // outputEPCList
constexpr char kFieldClass = 'C';   // quantityList, childQuantityList
constexpr char kFieldIoClass = 'D'; // inputQuantityList, outputQuantityList
constexpr char kFieldBizStep = 's';
constexpr char kFieldDisposition = 'd';
constexpr char kFieldBizLocation = 'l';
constexpr char kFieldReadPoint = 'r';
constexpr char kFieldBizTransaction = 'b';  // type '\x01' id

constexpr std::string_view kGs1Gtin = "https://id.gs1.org/01/";

std::string SeqKey(uint64_t seq) {
  std::string k(1, kCheckpointPrefix);
  PutBe64(&k, seq);
  return k;
}

std::string PostingPrefix(char field, std::string_view value) {
  std::string k(1, kPostingPrefix);
  k.push_back(field);
  k.append(value);
  k.push_back('\0');
  return k;
}

uint64_t BiasedTime(int64_t ms) { return static_cast<uint64_t>(ms) ^ (uint64_t{1} << 63); }

std::string TimeKey(int64_t event_time_ms, uint64_t seq) {
  std::string k(1, kTimePrefix);
  PutBe64(&k, BiasedTime(event_time_ms));
  PutBe64(&k, seq);
  return k;
}

std::string BizTransactionValue(std::string_view type, std::string_view id) {
  std::string v(type);
  v.push_back('\x01');
  v.append(id);
  return v;
}

// An identifier and, for a GTIN-based Digital Link, the classes above it: the GTIN, and the
// lot when it has one. ".../01/G/10/L/21/S" → itself, ".../01/G/10/L", ".../01/G".
std::vector<std::string_view> WithGtinClasses(std::string_view id) {
  std::vector<std::string_view> out{id};
  if (id.substr(0, kGs1Gtin.size()) != kGs1Gtin) return out;
  const size_t gtin_end = id.find('/', kGs1Gtin.size());
  if (gtin_end == std::string_view::npos) return out;
  out.push_back(id.substr(0, gtin_end));
  const std::string_view rest = id.substr(gtin_end);
  if (rest.substr(0, 4) == "/10/") {
    const size_t lot_end = id.find('/', gtin_end + 4);
    if (lot_end != std::string_view::npos) out.push_back(id.substr(0, lot_end));
  }
  return out;
}

// A MATCH_ value matches the identifier itself or one of its GTIN classes.
bool MatchesId(const std::vector<std::string>& patterns, std::string_view id) {
  for (std::string_view candidate : WithGtinClasses(id)) {
    for (const std::string& p : patterns) {
      if (p == candidate) return true;
    }
  }
  return false;
}

template <typename Ids>
bool AnyMatches(const std::vector<std::string>& patterns, const Ids& ids) {
  for (const auto& id : ids) {
    if (MatchesId(patterns, id)) return true;
  }
  return false;
}

template <typename Quantities>
bool AnyClassMatches(const std::vector<std::string>& patterns, const Quantities& qs) {
  for (const v1::Quantity& q : qs) {
    if (MatchesId(patterns, q.epc_class())) return true;
  }
  return false;
}

bool In(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Each non-empty list must contain the value.
bool EqOk(const std::vector<std::string>& values, const std::string& v) {
  return values.empty() || In(values, v);
}

std::optional<double> ParseQuantity(const std::string& text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

bool QuantityOk(const EventQuery& q, const v1::Checkpoint& c) {
  if (!q.ge_quantity && !q.lt_quantity) return true;
  auto in_range = [&](const v1::Quantity& e) {
    const std::optional<double> v = ParseQuantity(e.quantity());
    if (!v) return false;
    if (q.ge_quantity && *v < *q.ge_quantity) return false;
    if (q.lt_quantity && *v >= *q.lt_quantity) return false;
    return true;
  };
  for (const auto* list : {&c.quantity_list(), &c.child_quantity_list(), &c.input_quantity_list(),
                           &c.output_quantity_list()}) {
    for (const v1::Quantity& e : *list) {
      if (in_range(e)) return true;
    }
  }
  return false;
}

bool EpcMatchesOk(const EventQuery& q, const v1::Checkpoint& c) {
  auto epcs_or_children = [&](const std::vector<std::string>& p) {
    return AnyMatches(p, c.epc_list()) || AnyMatches(p, c.child_epcs());
  };
  if (!q.match_epc.empty() && !epcs_or_children(q.match_epc)) return false;
  if (!q.match_parent_id.empty() &&
      (c.parent_id().empty() || !MatchesId(q.match_parent_id, c.parent_id()))) {
    return false;
  }
  if (!q.match_input_epc.empty() && !AnyMatches(q.match_input_epc, c.input_epc_list())) {
    return false;
  }
  if (!q.match_output_epc.empty() && !AnyMatches(q.match_output_epc, c.output_epc_list())) {
    return false;
  }
  if (!q.match_any_epc.empty()) {
    const auto& p = q.match_any_epc;
    const bool any = epcs_or_children(p) || (!c.parent_id().empty() && MatchesId(p, c.parent_id())) ||
                     AnyMatches(p, c.input_epc_list()) || AnyMatches(p, c.output_epc_list());
    if (!any) return false;
  }
  if (!q.match_epc_class.empty() && !AnyClassMatches(q.match_epc_class, c.quantity_list()) &&
      !AnyClassMatches(q.match_epc_class, c.child_quantity_list())) {
    return false;
  }
  if (!q.match_any_epc_class.empty()) {
    const auto& p = q.match_any_epc_class;
    const bool any = AnyClassMatches(p, c.quantity_list()) ||
                     AnyClassMatches(p, c.child_quantity_list()) ||
                     AnyClassMatches(p, c.input_quantity_list()) ||
                     AnyClassMatches(p, c.output_quantity_list());
    if (!any) return false;
  }
  return true;
}

bool BizTransactionsOk(const EventQuery& q, const v1::Checkpoint& c) {
  for (const auto& [type, ids] : q.biz_transactions) {
    bool found = false;
    for (const v1::TypedId& t : c.biz_transaction_list()) {
      if (t.type() == type && In(ids, t.id())) found = true;
    }
    if (!found) return false;
  }
  return true;
}

// The postings of one checkpoint.
std::vector<std::string> Postings(const v1::Checkpoint& c) {
  std::vector<std::string> keys;
  auto add = [&](char field, std::string_view value) {
    if (!value.empty()) keys.push_back(PostingPrefix(field, value));
  };
  auto add_ids = [&](char field, const auto& ids) {
    for (const auto& id : ids) {
      for (std::string_view v : WithGtinClasses(id)) add(field, v);
    }
  };
  auto add_classes = [&](char field, const auto& qs) {
    for (const v1::Quantity& q : qs) {
      for (std::string_view v : WithGtinClasses(q.epc_class())) add(field, v);
    }
  };
  add(kFieldEventId, c.event_id());
  add(kFieldEventId, c.client_event_id());
  add_ids(kFieldEpc, c.epc_list());
  add_ids(kFieldEpc, c.child_epcs());
  if (!c.parent_id().empty()) add_ids(kFieldParent, std::vector<std::string>{c.parent_id()});
  add_ids(kFieldInput, c.input_epc_list());
  add_ids(kFieldOutput, c.output_epc_list());
  add_classes(kFieldClass, c.quantity_list());
  add_classes(kFieldClass, c.child_quantity_list());
  add_classes(kFieldIoClass, c.input_quantity_list());
  add_classes(kFieldIoClass, c.output_quantity_list());
  add(kFieldBizStep, c.biz_step());
  add(kFieldDisposition, c.disposition());
  add(kFieldBizLocation, c.biz_location());
  add(kFieldReadPoint, c.read_point());
  for (const v1::TypedId& t : c.biz_transaction_list()) {
    add(kFieldBizTransaction, BizTransactionValue(t.type(), t.id()));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// The posting lists that every match must appear in at least one of: the most selective
// filter the query has, by a fixed order of preference. Empty: no posting filter.
std::vector<std::string> DriverPrefixes(const EventQuery& q) {
  std::vector<std::string> out;
  auto each = [&](std::initializer_list<char> fields, const std::vector<std::string>& values) {
    for (const std::string& v : values) {
      for (char f : fields) out.push_back(PostingPrefix(f, v));
    }
    return !out.empty();
  };
  if (each({kFieldEventId}, q.event_ids)) return out;
  if (each({kFieldEpc}, q.match_epc)) return out;
  if (each({kFieldParent}, q.match_parent_id)) return out;
  if (each({kFieldInput}, q.match_input_epc)) return out;
  if (each({kFieldOutput}, q.match_output_epc)) return out;
  if (each({kFieldEpc, kFieldParent, kFieldInput, kFieldOutput}, q.match_any_epc)) return out;
  if (each({kFieldClass}, q.match_epc_class)) return out;
  if (each({kFieldClass, kFieldIoClass}, q.match_any_epc_class)) return out;
  if (!q.biz_transactions.empty()) {
    const auto& [type, ids] = *q.biz_transactions.begin();
    for (const std::string& id : ids) {
      out.push_back(PostingPrefix(kFieldBizTransaction, BizTransactionValue(type, id)));
    }
    return out;
  }
  if (each({kFieldBizLocation}, q.biz_locations)) return out;
  if (each({kFieldReadPoint}, q.read_points)) return out;
  if (each({kFieldBizStep}, q.biz_steps)) return out;
  if (each({kFieldDisposition}, q.dispositions)) return out;
  return out;
}

struct StoredCheckpoint {
  ledger::CheckpointLocation location;
  int64_t record_time_ms = 0;
  std::string org;  // the organisation whose transaction carried it
  std::string bytes;
};

std::string EncodeStored(const ledger::CheckpointLocation& loc, int64_t record_time_ms,
                         const std::string& org, const std::string& bytes) {
  std::string v;
  PutBe64(&v, loc.height);
  PutBe32(&v, loc.tx_position);
  PutBe32(&v, loc.checkpoint_index);
  PutBe64(&v, static_cast<uint64_t>(record_time_ms));
  PutBe32(&v, static_cast<uint32_t>(org.size()));
  v += org;
  v += bytes;
  return v;
}

Result<StoredCheckpoint> DecodeStored(std::string_view v) {
  if (v.size() < 28) return Corruption("event index: checkpoint record shorter than 28 bytes");
  StoredCheckpoint s;
  s.location.height = GetBe64(v);
  s.location.tx_position = GetBe32(v.substr(8));
  s.location.checkpoint_index = GetBe32(v.substr(12));
  s.record_time_ms = static_cast<int64_t>(GetBe64(v.substr(16)));
  const uint32_t org_size = GetBe32(v.substr(24));
  if (v.size() - 28 < org_size) return Corruption("event index: checkpoint record cut short");
  s.org = std::string(v.substr(28, org_size));
  s.bytes = std::string(v.substr(28 + org_size));
  return s;
}

// An error declaration of `org` names `id`: the key that withdraws the checkpoints of `org`
// with that event id (or client event id) recorded before the declaration.
std::string WithdrawnKey(const std::string& org, const std::string& id) {
  std::string k(1, kWithdrawnPrefix);
  k += org;
  k.push_back('\0');
  k += id;
  return k;
}

// Page tokens: kind byte, then big-endian fields, as hex.
//   'L' seq            ledger order: resume after (or, descending, before) seq
//   'T' time seq       event-time order: resume after (time, seq)
struct Position {
  char kind = 0;
  uint64_t time = 0;  // biased
  uint64_t seq = 0;
};

std::string EncodeToken(const Position& p) {
  std::string raw(1, p.kind);
  if (p.kind == 'T') PutBe64(&raw, p.time);
  PutBe64(&raw, p.seq);
  return HexEncode(raw);
}

Result<std::optional<Position>> DecodeToken(const std::string& token, char expected_kind) {
  if (token.empty()) return std::optional<Position>();
  auto raw = HexDecode(token);
  const size_t want = expected_kind == 'T' ? 17 : 9;
  if (!raw.ok() || raw->size() != want || (*raw)[0] != expected_kind) {
    return InvalidArgument("nextPageToken: not a token of this query");
  }
  Position p;
  p.kind = expected_kind;
  std::string_view r = *raw;
  if (expected_kind == 'T') {
    p.time = GetBe64(r.substr(1));
    p.seq = GetBe64(r.substr(9));
  } else {
    p.seq = GetBe64(r.substr(1));
  }
  return std::optional<Position>(p);
}

}  // namespace

bool MatchesEventQuery(const EventQuery& q, const v1::Checkpoint& c, int64_t record_time_ms) {
  if (!EqOk(q.event_types, c.type()) || !EqOk(q.actions, c.action()) ||
      !EqOk(q.biz_steps, c.biz_step()) || !EqOk(q.dispositions, c.disposition()) ||
      !EqOk(q.read_points, c.read_point()) || !EqOk(q.biz_locations, c.biz_location())) {
    return false;
  }
  if (!q.event_ids.empty() && !In(q.event_ids, c.event_id()) &&
      (c.client_event_id().empty() || !In(q.event_ids, c.client_event_id()))) {
    return false;
  }
  if (q.ge_event_time_ms && c.event_time_ms() < *q.ge_event_time_ms) return false;
  if (q.lt_event_time_ms && c.event_time_ms() >= *q.lt_event_time_ms) return false;
  if (q.ge_record_time_ms && record_time_ms < *q.ge_record_time_ms) return false;
  if (q.lt_record_time_ms && record_time_ms >= *q.lt_record_time_ms) return false;
  return EpcMatchesOk(q, c) && BizTransactionsOk(q, c) && QuantityOk(q, c);
}

// A stream of candidate positions in the query's order: a union of posting lists, the
// event-time index, or every checkpoint.
struct EventIndex::Cursor {
  struct Source {
    std::unique_ptr<leveldb::Iterator> it;
    std::string prefix;
  };
  std::vector<Source> sources;
  bool descending = false;
  char kind = 'L';

  // The position under a source's iterator, when it is still inside its prefix.
  std::optional<Position> At(const Source& s) const {
    if (!s.it->Valid() || !s.it->key().starts_with(s.prefix)) return std::nullopt;
    std::string_view key(s.it->key().data(), s.it->key().size());
    Position p;
    p.kind = kind;
    if (kind == 'T') {
      p.time = GetBe64(key.substr(1));
      p.seq = GetBe64(key.substr(9));
    } else {
      p.seq = GetBe64(key.substr(key.size() - 8));
    }
    return p;
  }
  static bool Before(const Position& a, const Position& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }
  // The next position over all sources (smallest ascending, largest descending); advances
  // every source that stands on it (the same checkpoint may be in several lists).
  std::optional<Position> Next() {
    std::optional<Position> best;
    for (const Source& s : sources) {
      auto p = At(s);
      if (!p) continue;
      if (!best || (descending ? Before(*best, *p) : Before(*p, *best))) best = p;
    }
    if (!best) return std::nullopt;
    for (Source& s : sources) {
      auto p = At(s);
      if (p && p->seq == best->seq && p->time == best->time) {
        if (descending) {
          s.it->Prev();
        } else {
          s.it->Next();
        }
      }
    }
    return best;
  }
};

EventIndex::EventIndex(std::unique_ptr<leveldb::DB> db, uint64_t applied)
    : db_(std::move(db)), applied_(applied) {}
EventIndex::~EventIndex() = default;

Result<std::unique_ptr<EventIndex>> EventIndex::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "event index", 16 << 20));
  std::string value;
  uint64_t applied = 0;
  leveldb::Status s = db->Get(CheckedRead(), kAppliedKey, &value);
  if (s.ok()) {
    if (value.size() != 8) return Corruption("event index: applied height is not 8 bytes");
    applied = GetBe64(value);
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "read event index");
  }
  return std::unique_ptr<EventIndex>(new EventIndex(std::move(db), applied));
}

Result<bool> EventIndex::Withdrawn(const leveldb::ReadOptions& ro, const std::string& org,
                                   const v1::Checkpoint& c, uint64_t seq) const {
  for (const std::string* id : {&c.event_id(), &c.client_event_id()}) {
    if (id->empty()) continue;
    std::string at;
    leveldb::Status s = db_->Get(ro, WithdrawnKey(org, *id), &at);
    if (s.IsNotFound()) continue;
    RETURN_IF_ERROR(FromLevelDb(s, "read event index"));
    if (at.size() != 8) return Corruption("event index: withdrawal record is not 8 bytes");
    if (seq < GetBe64(at)) return true;
  }
  return false;
}

uint64_t EventIndex::applied_height() const {
  return applied_.load(std::memory_order_acquire);
}

Status EventIndex::Apply(const ledger::ParsedBlock& block) {
  const uint64_t height = block.header.height();
  if (height <= applied_) return Status::Ok();
  if (height != applied_ + 1) {
    return FailedPrecondition("event index: block " + std::to_string(height) +
                              " does not follow the applied height " + std::to_string(applied_));
  }
  uint64_t count = 0;
  for (const ledger::ParsedTx& tx : block.txs) count += tx.tx.checkpoints_size();
  uint64_t seq = block.header.log_size() - count;
  leveldb::WriteBatch batch;
  for (uint32_t t = 0; t < block.txs.size(); ++t) {
    const v1::Tx& tx = block.txs[t].tx;
    for (int i = 0; i < tx.checkpoints_size(); ++i, ++seq) {
      v1::Checkpoint c;
      if (!c.ParseFromString(tx.checkpoints(i))) {
        return Corruption("event index: block " + std::to_string(height) + " transaction " +
                          std::to_string(t) + " checkpoint " + std::to_string(i) +
                          " does not parse");
      }
      const ledger::CheckpointLocation loc{height, t, static_cast<uint32_t>(i)};
      const std::string& org = block.txs[t].header.org();
      batch.Put(SeqKey(seq), EncodeStored(loc, block.header.time_ms(), org, tx.checkpoints(i)));
      for (const std::string& prefix : Postings(c)) {
        std::string key = prefix;
        PutBe64(&key, seq);
        batch.Put(key, "");
      }
      batch.Put(TimeKey(c.event_time_ms(), seq), "");
      if (c.has_error_declaration()) {
        // The value is the declaration's sequence number: what came before it is withdrawn.
        std::string at;
        PutBe64(&at, seq);
        batch.Put(WithdrawnKey(org, c.event_id()), at);
        if (!c.client_event_id().empty()) batch.Put(WithdrawnKey(org, c.client_event_id()), at);
      }
    }
  }
  std::string applied;
  PutBe64(&applied, height);
  batch.Put(kAppliedKey, applied);
  // Not synced: the index is derived from the ledger. A batch is atomic in LevelDB's log, so
  // after a power loss the store is at some earlier block boundary and CatchUp goes on from it.
  leveldb::WriteOptions wo;
  wo.sync = false;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write event index"));
  applied_.store(height, std::memory_order_release);
  return Status::Ok();
}

Status EventIndex::CatchUp(const ledger::Ledger& ledger) {
  const uint64_t head = ledger.head().height;
  for (uint64_t h = applied_height() + 1; h <= head; ++h) {
    ASSIGN_OR_RETURN(ledger::ParsedBlock block, ledger.ReadBlock(h));
    RETURN_IF_ERROR(Apply(block));
  }
  return Status::Ok();
}

Result<EventPage> EventIndex::Query(const EventQuery& q, const std::string& page_token,
                                    size_t per_page) const {
  if (per_page < 1 || per_page > kMaxEventsPerPage) {
    return InvalidArgument("perPage: between 1 and " + std::to_string(kMaxEventsPerPage));
  }
  Cursor cursor;
  cursor.descending = q.descending;
  cursor.kind = q.order == EventQuery::Order::kEventTime ? 'T' : 'L';
  ASSIGN_OR_RETURN(std::optional<Position> from, DecodeToken(page_token, cursor.kind));

  std::unique_ptr<const leveldb::Snapshot, std::function<void(const leveldb::Snapshot*)>> snap(
      db_->GetSnapshot(), [this](const leveldb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  leveldb::ReadOptions ro = CheckedRead();
  ro.snapshot = snap.get();

  // Each source is positioned at its first candidate in the query's direction.
  auto add_source = [&](std::string prefix, std::string start_key, std::string end_key) {
    Cursor::Source s{std::unique_ptr<leveldb::Iterator>(db_->NewIterator(ro)), std::move(prefix)};
    if (!q.descending) {
      s.it->Seek(start_key);
    } else {
      s.it->Seek(end_key);  // the first key at or after the end; step back once
      if (s.it->Valid()) {
        s.it->Prev();
      } else {
        s.it->SeekToLast();
      }
    }
    cursor.sources.push_back(std::move(s));
  };
  if (cursor.kind == 'T') {
    const uint64_t lo = q.ge_event_time_ms ? BiasedTime(*q.ge_event_time_ms) : 0;
    const uint64_t hi = q.lt_event_time_ms ? BiasedTime(*q.lt_event_time_ms) : ~uint64_t{0};
    std::string start(1, kTimePrefix), end(1, kTimePrefix);
    PutBe64(&start, lo);
    PutBe64(&start, 0);
    PutBe64(&end, hi);
    PutBe64(&end, 0);
    if (from) {
      if (!q.descending) {
        start = std::string(1, kTimePrefix);
        PutBe64(&start, from->time);
        PutBe64(&start, from->seq + 1);
      } else {
        end = std::string(1, kTimePrefix);
        PutBe64(&end, from->time);
        PutBe64(&end, from->seq);
      }
    }
    add_source(std::string(1, kTimePrefix), start, end);
  } else {
    std::vector<std::string> prefixes = DriverPrefixes(q);
    if (prefixes.empty()) prefixes.push_back(std::string(1, kCheckpointPrefix));
    for (std::string& prefix : prefixes) {
      std::string start = prefix, end = prefix;
      PutBe64(&start, from ? from->seq + 1 : 0);
      PutBe64(&end, from ? from->seq : ~uint64_t{0});
      add_source(std::move(prefix), std::move(start), std::move(end));
    }
  }

  EventPage page;
  size_t examined = 0;
  std::optional<Position> last;
  while (page.hits.size() < per_page) {
    if (examined == kMaxExaminedPerPage) {
      if (last) page.next_page_token = EncodeToken(*last);
      return page;
    }
    std::optional<Position> p = cursor.Next();
    if (!p) return page;
    if (cursor.kind == 'T' && !q.descending && q.lt_event_time_ms &&
        p->time >= BiasedTime(*q.lt_event_time_ms)) {
      return page;
    }
    if (cursor.kind == 'T' && q.descending && q.ge_event_time_ms &&
        p->time < BiasedTime(*q.ge_event_time_ms)) {
      return page;
    }
    ++examined;
    last = p;
    std::string value;
    RETURN_IF_ERROR(FromLevelDb(db_->Get(ro, SeqKey(p->seq), &value), "read event index"));
    ASSIGN_OR_RETURN(StoredCheckpoint stored, DecodeStored(value));
    EventHit hit;
    if (!hit.checkpoint.ParseFromString(stored.bytes)) {
      return Corruption("event index: checkpoint " + std::to_string(p->seq) + " does not parse");
    }
    if (!MatchesEventQuery(q, hit.checkpoint, stored.record_time_ms)) continue;
    if (!q.include_withdrawn && !hit.checkpoint.has_error_declaration()) {
      ASSIGN_OR_RETURN(bool withdrawn, Withdrawn(ro, stored.org, hit.checkpoint, p->seq));
      if (withdrawn) continue;
    }
    hit.seq = p->seq;
    hit.location = stored.location;
    hit.record_time_ms = stored.record_time_ms;
    page.hits.push_back(std::move(hit));
  }
  // A full page: there may be more.
  if (cursor.Next()) page.next_page_token = EncodeToken(*last);
  return page;
}

}  // namespace tracery::lineage

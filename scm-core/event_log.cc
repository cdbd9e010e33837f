#include "tracery/scm_core/event_log.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <nlohmann/json.hpp>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"

namespace tracery::scm_core {
namespace {

// Keys (docs/formats/event-log.md):
//   "m" "format"                      → "1"
//   "m" "id"                          → the log id (16 hex digits)
//   "h" topic                         → BE64 head offset
//   "e" topic 0x00 BE64(offset)       → message
//   "c" topic 0x00 consumer           → BE64 committed offset
constexpr char kMetaPrefix = 'm';
constexpr char kHeadPrefix = 'h';
constexpr char kEventPrefix = 'e';
constexpr char kConsumerPrefix = 'c';
constexpr std::string_view kFormatVersion = "1";
constexpr uint8_t kEventVersion = 1;

std::string MetaKey(std::string_view name) { return std::string(1, kMetaPrefix) + std::string(name); }
std::string HeadKey(const std::string& topic) { return std::string(1, kHeadPrefix) + topic; }
std::string EventPrefix(const std::string& topic) {
  std::string k(1, kEventPrefix);
  k += topic;
  k += '\0';
  return k;
}
std::string EventKey(const std::string& topic, uint64_t offset) {
  std::string k = EventPrefix(topic);
  PutBe64(&k, offset);
  return k;
}
std::string ConsumerKey(const std::string& topic, const std::string& consumer) {
  std::string k(1, kConsumerPrefix);
  k += topic;
  k += '\0';
  k += consumer;
  return k;
}
std::string Be64(uint64_t v) {
  std::string s;
  PutBe64(&s, v);
  return s;
}

// version (1) | BE64 time_ms | BE32 len | type | BE32 len | correlation id | payload
std::string EncodeEvent(const NewEvent& e, int64_t time_ms) {
  std::string out;
  out.reserve(1 + 8 + 8 + e.type.size() + e.correlation_id.size() + e.payload_json.size());
  out.push_back(static_cast<char>(kEventVersion));
  PutBe64(&out, static_cast<uint64_t>(time_ms));
  PutBe32(&out, static_cast<uint32_t>(e.type.size()));
  out += e.type;
  PutBe32(&out, static_cast<uint32_t>(e.correlation_id.size()));
  out += e.correlation_id;
  out += e.payload_json;
  return out;
}

Result<Event> DecodeEvent(std::string_view in, const std::string& topic, uint64_t offset,
                          const std::string& log_id) {
  auto bad = [&](const char* what) {
    return Corruption("event log: message " + topic + "/" + std::to_string(offset) + ": " + what);
  };
  if (in.size() < 1 + 8 + 4 || static_cast<uint8_t>(in[0]) != kEventVersion) {
    return bad("unknown version or cut short");
  }
  Event e;
  e.topic = topic;
  e.offset = offset;
  e.time_ms = static_cast<int64_t>(GetBe64(in.substr(1)));
  in.remove_prefix(9);
  for (std::string* field : {&e.type, &e.correlation_id}) {
    if (in.size() < 4) return bad("cut short");
    const uint32_t n = GetBe32(in);
    in.remove_prefix(4);
    if (in.size() < n) return bad("cut short");
    field->assign(in.substr(0, n));
    in.remove_prefix(n);
  }
  e.payload_json.assign(in);
  e.id = "evt_" + log_id + "_" + topic + "_" + std::to_string(offset);
  return e;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Status CheckNewEvent(const NewEvent& e, size_t index) {
  const std::string at = "event " + std::to_string(index) + ": ";
  if (Status st = EventLog::CheckEventType(e.type); !st.ok()) {
    return st.Annotate("event " + std::to_string(index));
  }
  if (e.correlation_id.size() > kMaxCorrelationIdBytes) {
    return InvalidArgument(at + "correlation id: at most " +
                           std::to_string(kMaxCorrelationIdBytes) + " bytes");
  }
  for (char c : e.correlation_id) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgument(at + "correlation id: printable ASCII without spaces only");
    }
  }
  if (e.payload_json.size() > kMaxEventPayloadBytes) {
    return InvalidArgument(at + "payload: " + std::to_string(e.payload_json.size()) +
                           " bytes, more than the limit of " +
                           std::to_string(kMaxEventPayloadBytes));
  }
  nlohmann::json j = nlohmann::json::parse(e.payload_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(at + "payload: not valid JSON");
  if (!j.is_object()) return InvalidArgument(at + "payload: must be a JSON object");
  return Status::Ok();
}

}  // namespace

std::string EventLog::DeadLetterTopic(const std::string& topic) {
  return topic + std::string(kDeadLetterSuffix);
}

Status EventLog::CheckTopic(const std::string& topic, bool allow_dead_letter) {
  std::string_view base = topic;
  if (allow_dead_letter && base.ends_with(kDeadLetterSuffix)) {
    base.remove_suffix(kDeadLetterSuffix.size());
  }
  if (base.empty() || base.size() > kMaxTopicNameBytes) {
    return InvalidArgument("topic: 1 to " + std::to_string(kMaxTopicNameBytes) + " characters");
  }
  if (!IsLowerAlnum(base[0])) {
    return InvalidArgument("topic '" + topic + "': must start with a-z or 0-9");
  }
  for (char c : base) {
    if (!IsLowerAlnum(c) && c != '_' && c != '-') {
      return InvalidArgument("topic '" + topic + "': only a-z, 0-9, '_' and '-'" +
                             (allow_dead_letter ? " (and the suffix .dead-letter)" : ""));
    }
  }
  return Status::Ok();
}

Status EventLog::CheckEventType(const std::string& type) {
  if (type.empty() || type.size() > kMaxEventTypeBytes) {
    return InvalidArgument("type: 1 to " + std::to_string(kMaxEventTypeBytes) + " characters");
  }
  if (type[0] < 'a' || type[0] > 'z') {
    return InvalidArgument("type '" + type + "': must start with a-z");
  }
  for (char c : type) {
    if (!IsLowerAlnum(c) && c != '_') {
      return InvalidArgument("type '" + type + "': only a-z, 0-9 and '_'");
    }
  }
  return Status::Ok();
}

Status EventLog::CheckConsumer(const std::string& consumer) {
  if (consumer.empty() || consumer.size() > kMaxConsumerNameBytes) {
    return InvalidArgument("consumer: 1 to " + std::to_string(kMaxConsumerNameBytes) +
                           " characters");
  }
  for (char c : consumer) {
    const bool ok = IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
                    c == ':' || c == '-';
    if (!ok) return InvalidArgument("consumer '" + consumer + "': only A-Z, a-z, 0-9, _ . : -");
  }
  return Status::Ok();
}

EventLog::EventLog(std::unique_ptr<leveldb::DB> db, Clock* clock, std::string log_id)
    : db_(std::move(db)), clock_(clock), log_id_(std::move(log_id)) {}
EventLog::~EventLog() = default;

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& dir, Clock* clock) {
  TRACERY_CHECK(clock != nullptr);
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "event log"));
  std::string format;
  std::string log_id;
  leveldb::Status s = db->Get(CheckedRead(), MetaKey("format"), &format);
  if (s.IsNotFound()) {
    // A new log: its id keeps message ids unique even if the folder is ever recreated.
    log_id = HexEncode(RandomBytes(8));
    leveldb::WriteBatch batch;
    batch.Put(MetaKey("format"), std::string(kFormatVersion));
    batch.Put(MetaKey("id"), log_id);
    leveldb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(FromLevelDb(db->Write(wo, &batch), "create event log"));
  } else {
    RETURN_IF_ERROR(FromLevelDb(s, "read event log format"));
    if (format != kFormatVersion) {
      return FailedPrecondition("event log " + dir + " has format '" + format +
                                "'; this build reads format " + std::string(kFormatVersion));
    }
    RETURN_IF_ERROR(FromLevelDb(db->Get(CheckedRead(), MetaKey("id"), &log_id), "read event log id"));
    if (log_id.size() != 16) return Corruption("event log " + dir + ": bad log id");
  }
  std::unique_ptr<EventLog> log(new EventLog(std::move(db), clock, std::move(log_id)));
  RETURN_IF_ERROR(log->LoadHeads());
  return log;
}

Status EventLog::LoadHeads() {
  std::lock_guard lock(mu_);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  const std::string prefix(1, kHeadPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 8) return Corruption("event log: bad head record");
    heads_[it->key().ToString().substr(1)] = GetBe64(it->value().ToString());
  }
  return FromLevelDb(it->status(), "read event log heads");
}

uint64_t EventLog::HeadLocked(const std::string& topic) const {
  auto it = heads_.find(topic);
  return it == heads_.end() ? 0 : it->second;
}

Result<uint64_t> EventLog::Head(const std::string& topic) const {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/true));
  std::lock_guard lock(mu_);
  return HeadLocked(topic);
}

std::vector<std::string> EventLog::Topics() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [topic, head] : heads_) out.push_back(topic);
  return out;
}

Result<uint64_t> EventLog::AppendLocked(
    const std::string& topic, const std::vector<NewEvent>& events,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  const uint64_t head = HeadLocked(topic);
  if (head == 0 && heads_.size() >= kMaxTopics) {
    return ResourceExhausted("event log: at most " + std::to_string(kMaxTopics) + " topics");
  }
  const int64_t now_ms = clock_->NowMs();
  leveldb::WriteBatch batch;
  for (size_t i = 0; i < events.size(); ++i) {
    batch.Put(EventKey(topic, head + 1 + i), EncodeEvent(events[i], now_ms));
  }
  const uint64_t new_head = head + events.size();
  batch.Put(HeadKey(topic), Be64(new_head));
  for (const auto& [key, value] : extra) batch.Put(key, value);
  leveldb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(FromLevelDb(db_->Write(wo, &batch), "write event log"));
  heads_[topic] = new_head;
  return head + 1;
}

Result<uint64_t> EventLog::Append(const std::string& topic, const std::vector<NewEvent>& events) {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/false));
  if (events.empty()) return InvalidArgument("append: no message");
  if (events.size() > kMaxAppendEvents) {
    return InvalidArgument("append: " + std::to_string(events.size()) +
                           " messages, more than the limit of " +
                           std::to_string(kMaxAppendEvents));
  }
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    RETURN_IF_ERROR(CheckNewEvent(events[i], i));
    bytes += events[i].payload_json.size();
  }
  if (bytes > kMaxAppendBytes) {
    return InvalidArgument("append: " + std::to_string(bytes) +
                           " payload bytes, more than the limit of " +
                           std::to_string(kMaxAppendBytes));
  }
  uint64_t first = 0;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(first, AppendLocked(topic, events, {}));
  }
  Notify(topic, first + events.size() - 1);
  return first;
}

Result<ReadPage> EventLog::Read(const std::string& topic, uint64_t from_offset,
                                size_t max_events) const {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/true));
  if (from_offset == 0) return InvalidArgument("from: offsets start at 1");
  if (max_events == 0 || max_events > kMaxReadPageEvents) {
    return InvalidArgument("limit: 1 to " + std::to_string(kMaxReadPageEvents));
  }
  ReadPage page;
  {
    std::lock_guard lock(mu_);
    page.head = HeadLocked(topic);
  }
  page.next_offset = from_offset;
  if (from_offset > page.head) return page;
  const std::string prefix = EventPrefix(topic);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  size_t bytes = 0;
  uint64_t expected = from_offset;
  for (it->Seek(EventKey(topic, from_offset));
       it->Valid() && it->key().starts_with(prefix) && expected <= page.head &&
       page.events.size() < max_events && bytes < kMaxReadPageBytes;
       it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.size() != prefix.size() + 8 || GetBe64(key.substr(prefix.size())) != expected) {
      return Corruption("event log: topic " + topic + " has a gap before offset " +
                        std::to_string(expected));
    }
    ASSIGN_OR_RETURN(Event e, DecodeEvent(std::string_view(it->value().data(), it->value().size()),
                                          topic, expected, log_id_));
    bytes += e.payload_json.size();
    page.events.push_back(std::move(e));
    ++expected;
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read event log"));
  if (page.events.empty() || (page.events.size() < max_events && bytes < kMaxReadPageBytes &&
                              expected <= page.head)) {
    return Corruption("event log: topic " + topic + " is missing offset " +
                      std::to_string(expected));
  }
  page.next_offset = expected;
  return page;
}

Result<uint64_t> EventLog::ConsumerOffset(const std::string& topic,
                                          const std::string& consumer) const {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/true));
  RETURN_IF_ERROR(CheckConsumer(consumer));
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), ConsumerKey(topic, consumer), &value);
  if (s.IsNotFound()) return uint64_t{0};
  RETURN_IF_ERROR(FromLevelDb(s, "read consumer offset"));
  if (value.size() != 8) return Corruption("event log: bad consumer offset record");
  return GetBe64(value);
}

Status EventLog::CommitOffset(const std::string& topic, const std::string& consumer,
                              uint64_t offset) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(uint64_t current, ConsumerOffset(topic, consumer));
  const uint64_t head = HeadLocked(topic);
  if (offset > head) {
    return InvalidArgument("offset " + std::to_string(offset) + " is past the head (" +
                           std::to_string(head) + ") of topic " + topic);
  }
  if (offset < current) {
    return FailedPrecondition("consumer " + consumer + " of topic " + topic + " is at " +
                              std::to_string(current) + "; a commit may not move it back to " +
                              std::to_string(offset) + " (ResetConsumer may)");
  }
  if (offset == current) return Status::Ok();
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, ConsumerKey(topic, consumer), Be64(offset)),
                     "write consumer offset");
}

Status EventLog::ResetConsumer(const std::string& topic, const std::string& consumer,
                               uint64_t offset) {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/true));
  RETURN_IF_ERROR(CheckConsumer(consumer));
  std::lock_guard lock(mu_);
  const uint64_t head = HeadLocked(topic);
  if (offset > head) {
    return InvalidArgument("offset " + std::to_string(offset) + " is past the head (" +
                           std::to_string(head) + ") of topic " + topic);
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, ConsumerKey(topic, consumer), Be64(offset)),
                     "write consumer offset");
}

Status EventLog::DeleteConsumer(const std::string& topic, const std::string& consumer) {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/true));
  RETURN_IF_ERROR(CheckConsumer(consumer));
  std::lock_guard lock(mu_);
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Delete(wo, ConsumerKey(topic, consumer)), "delete consumer offset");
}

Result<uint64_t> EventLog::DeadLetter(const std::string& topic, uint64_t offset,
                                      const DeadLetterInfo& info) {
  RETURN_IF_ERROR(CheckTopic(topic, /*allow_dead_letter=*/false));
  if (!info.consumer.empty()) RETURN_IF_ERROR(CheckConsumer(info.consumer));
  if (info.reason.empty()) return InvalidArgument("dead letter: a reason is required");
  ASSIGN_OR_RETURN(ReadPage page, Read(topic, offset, 1));
  if (page.events.empty()) {
    return NotFound("topic " + topic + " has no message at offset " + std::to_string(offset));
  }
  const Event& e = page.events[0];
  std::string reason = info.reason.substr(0, kMaxDeadLetterReasonBytes);
  nlohmann::json original =
      nlohmann::json::parse(e.payload_json, nullptr, /*allow_exceptions=*/false);
  NewEvent letter;
  letter.type = std::string(kDeadLetterEventType);
  letter.correlation_id = e.correlation_id;
  const int64_t now_ms = clock_->NowMs();
  nlohmann::json payload{{"topic", e.topic},
                         {"offset", e.offset},
                         {"eventId", e.id},
                         {"type", e.type},
                         {"time", FormatRfc3339Utc(e.time_ms)},
                         {"consumer", info.consumer},
                         {"reason", reason},
                         {"attempts", info.attempts},
                         {"deadLetteredAt", FormatRfc3339Utc(now_ms)},
                         {"data", original}};
  // dump() with replace: a reason cut inside a UTF-8 sequence must not fail the write.
  letter.payload_json = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (letter.payload_json.size() > kMaxEventPayloadBytes) {
    payload["data"] = nullptr;  // the original stays at its own offset
    payload["dataOmitted"] = true;
    letter.payload_json = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const std::string dead_topic = DeadLetterTopic(topic);
  uint64_t dead_offset = 0;
  {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, std::string>> extra;
    if (!info.consumer.empty()) {
      ASSIGN_OR_RETURN(uint64_t current, ConsumerOffset(topic, info.consumer));
      if (current >= offset) {
        return FailedPrecondition("consumer " + info.consumer + " of topic " + topic +
                                  " has already passed offset " + std::to_string(offset));
      }
      extra.emplace_back(ConsumerKey(topic, info.consumer), Be64(offset));
    }
    ASSIGN_OR_RETURN(dead_offset, AppendLocked(dead_topic, {letter}, extra));
  }
  Notify(dead_topic, dead_offset);
  return dead_offset;
}

uint64_t EventLog::AddAppendListener(AppendListener listener) {
  std::lock_guard lock(listeners_mu_);
  const uint64_t handle = next_listener_++;
  listeners_[handle] = std::move(listener);
  return handle;
}

void EventLog::RemoveAppendListener(uint64_t handle) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(handle);
}

void EventLog::Notify(const std::string& topic, uint64_t head) {
  std::lock_guard lock(listeners_mu_);
  for (const auto& [handle, listener] : listeners_) listener(topic, head);
}

}  // namespace tracery::scm_core

// The durable event log of a partner's node: append-only topics of typed JSON messages in
// LevelDB, replay from any offset, named consumers with explicitly committed offsets, and a
// dead-letter topic per topic for what a consumer could not process. Layout and rules:
// docs/formats/event-log.md.
//
// Offsets are dense per topic and start at 1; a message, once appended, never changes and is
// never removed. Every write is synced before the call returns.
//
// Thread-safety: every method may be called from any thread at once. Appends and offset
// commits are serialised by one mutex (held across the synced write, so offsets are handed out
// in the order messages reach the disk); reads take no lock beyond LevelDB's own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tracery/core/status.h"
#include "tracery/core/time.h"

namespace leveldb {
class DB;
}

namespace tracery::scm_core {

// Named limits, checked where data enters.
// A topic: 1 to 64 of [a-z0-9_-], starting with a letter or digit. The dead-letter topic of
// topic T is "T.dead-letter"; only DeadLetter() writes to it.
constexpr size_t kMaxTopicNameBytes = 64;
constexpr std::string_view kDeadLetterSuffix = ".dead-letter";
// A message type: 1 to 64 of [a-z0-9_], starting with a letter (shipment_temperature_exceeded).
constexpr size_t kMaxEventTypeBytes = 64;
// A correlation id: 0 to 128 printable ASCII characters without spaces.
constexpr size_t kMaxCorrelationIdBytes = 128;
// The JSON payload of one message (a JSON object), in bytes.
constexpr size_t kMaxEventPayloadBytes = 256 << 10;
// One Append: at most this many messages and this many payload bytes in all.
constexpr size_t kMaxAppendEvents = 1000;
constexpr size_t kMaxAppendBytes = 8 << 20;
// One Read page: at most this many messages; a page also stops after kMaxReadPageBytes of
// payload (but always holds at least one message when one is there).
constexpr size_t kMaxReadPageEvents = 1000;
constexpr size_t kMaxReadPageBytes = 8 << 20;
// A consumer name: 1 to 128 of [A-Za-z0-9_.:-].
constexpr size_t kMaxConsumerNameBytes = 128;
// The reason stored with a dead letter; a longer one is cut to this length.
constexpr size_t kMaxDeadLetterReasonBytes = 1024;
// Topics (dead-letter topics included) a log holds; heads are kept in memory.
constexpr size_t kMaxTopics = 4096;

// The type of the messages of a dead-letter topic.
constexpr std::string_view kDeadLetterEventType = "dead_letter";

// A message to append.
struct NewEvent {
  std::string type;
  std::string payload_json;  // a JSON object; stored and returned as these exact bytes
  std::string correlation_id;
};

// A message as stored.
struct Event {
  std::string topic;
  uint64_t offset = 0;
  std::string type;
  int64_t time_ms = 0;  // when it was appended (the log's Clock)
  std::string payload_json;
  std::string correlation_id;
  // A stable id, unique across logs: "evt_" + the log's id (16 hex digits) + "_" + topic +
  // "_" + offset. Webhook deliveries send it as webhook-id so receivers can drop redeliveries.
  std::string id;
};

struct ReadPage {
  std::vector<Event> events;
  uint64_t next_offset = 1;  // where the next page starts
  uint64_t head = 0;         // the topic's last offset when the page was read (0: empty)
};

// What a consumer reports about a message it gives up on.
struct DeadLetterInfo {
  std::string consumer;  // its committed offset moves to the message, in the same write
  std::string reason;    // e.g. the last delivery error
  uint32_t attempts = 0;
};

class EventLog {
 public:
  // Opens (creating when missing) the log in `dir`. `clock` stamps appended messages and must
  // outlive the log.
  static Result<std::unique_ptr<EventLog>> Open(const std::string& dir, Clock* clock);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends `events` to `topic` in one synced write: all of them at consecutive offsets, or
  // none (any invalid message refuses the whole append, naming it). Returns the offset of
  // the first. The dead-letter topics are refused here.
  Result<uint64_t> Append(const std::string& topic, const std::vector<NewEvent>& events);

  // Up to `max_events` (1..kMaxReadPageEvents) messages of `topic` from `from_offset` (>= 1)
  // on. A topic never written to reads as empty, as does an offset past its head.
  Result<ReadPage> Read(const std::string& topic, uint64_t from_offset, size_t max_events) const;
  // The last offset of `topic` (0: empty).
  Result<uint64_t> Head(const std::string& topic) const;
  // Every topic that holds a message, in name order.
  std::vector<std::string> Topics() const;

  // Consumers: the last offset a consumer has processed (0: none); it goes on from the next.
  Result<uint64_t> ConsumerOffset(const std::string& topic, const std::string& consumer) const;
  // Records that `consumer` has processed `topic` up to `offset` (synced). The offset may not
  // pass the head nor move back (FailedPrecondition; ResetConsumer moves back).
  Status CommitOffset(const std::string& topic, const std::string& consumer, uint64_t offset);
  // Sets the offset to any value up to the head, for a replay.
  Status ResetConsumer(const std::string& topic, const std::string& consumer, uint64_t offset);
  Status DeleteConsumer(const std::string& topic, const std::string& consumer);

  // Moves message `offset` of `topic` to the topic's dead-letter topic, with the reason, the
  // attempts and the time, and (when info.consumer is set) commits that consumer's offset to
  // `offset`, in one synced write. The consumer must not have passed `offset` already.
  // Returns the offset of the dead letter. Its payload: docs/formats/event-log.md.
  Result<uint64_t> DeadLetter(const std::string& topic, uint64_t offset, const DeadLetterInfo& info);

  // A hook for consumers that wait for new messages: `listener(topic, head)` runs on the
  // appending thread after each successful append (dead letters included), outside the
  // append lock. It must be quick and must not add or remove listeners. Once
  // RemoveAppendListener returns, the listener is not running and will not run again.
  using AppendListener = std::function<void(const std::string& topic, uint64_t head)>;
  uint64_t AddAppendListener(AppendListener listener);
  void RemoveAppendListener(uint64_t handle);

  // The log's id (16 hex digits), fixed when the log was created.
  const std::string& log_id() const { return log_id_; }

  static std::string DeadLetterTopic(const std::string& topic);
  // Whether `topic` is a valid topic name; `allow_dead_letter` also admits "T.dead-letter".
  static Status CheckTopic(const std::string& topic, bool allow_dead_letter);
  static Status CheckEventType(const std::string& type);
  static Status CheckConsumer(const std::string& consumer);

 private:
  EventLog(std::unique_ptr<leveldb::DB> db, Clock* clock, std::string log_id);
  Status LoadHeads();
  // Writes `events` at head+1.. of `topic` (plus `extra` puts) in one synced batch.
  // REQUIRES: mu_ held; events validated.
  Result<uint64_t> AppendLocked(const std::string& topic, const std::vector<NewEvent>& events,
                                const std::vector<std::pair<std::string, std::string>>& extra);
  uint64_t HeadLocked(const std::string& topic) const;  // REQUIRES: mu_ held
  void Notify(const std::string& topic, uint64_t head);

  const std::unique_ptr<leveldb::DB> db_;
  Clock* const clock_;
  const std::string log_id_;

  mutable std::mutex mu_;
  std::map<std::string, uint64_t> heads_;  // guarded by mu_

  std::mutex listeners_mu_;  // held while a listener runs
  uint64_t next_listener_ = 1;                           // guarded by listeners_mu_
  std::map<uint64_t, AppendListener> listeners_;         // guarded by listeners_mu_
};

}  // namespace tracery::scm_core

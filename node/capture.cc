#include "capture.h"

#include <leveldb/db.h>

#include <map>
#include <random>
#include <set>

#include "node.h"
#include "scm_service.h"
#include "tracery/core/encoding.h"
#include "tracery/core/leveldb.h"
#include "tracery/core/time.h"

namespace tracery::node {
namespace {

using nlohmann::json;

constexpr char kJobPrefix = 'j';

std::string NewJobId() {
  std::random_device rd;
  std::string raw;
  for (int i = 0; i < 4; ++i) PutBe32(&raw, rd());
  return HexEncode(raw);
}

json ProblemJson(const epcis::Problem& p) {
  return {{"type", "/problems/epcis-validation"},
          {"title", "The event is not valid"},
          {"detail", p.ToString()},
          {"field", p.field},
          {"rule", p.rule}};
}

json JobToStored(const CaptureJob& job) {
  json events = json::array();
  for (const CapturedEvent& e : job.events) {
    json j{{"eventID", e.event_id}};
    if (!e.client_event_id.empty()) j["clientEventID"] = e.client_event_id;
    if (e.declaration) j["declaration"] = true;
    if (e.height) j["height"] = *e.height;
    if (e.tx) j["tx"] = *e.tx;
    if (!e.kept_off_chain.empty()) j["keptOffChain"] = e.kept_off_chain;
    if (e.problem) j["problem"] = {{"field", e.problem->field}, {"rule", e.problem->rule},
                                   {"detail", e.problem->detail}};
    events.push_back(std::move(j));
  }
  json txs = json::array();
  for (const Hash32& id : job.tx_ids) txs.push_back(HashHex(id));
  return {{"org", job.org}, {"createdMs", job.created_ms}, {"proceed", job.proceed},
          {"events", events}, {"txIds", txs}};
}

Result<CaptureJob> JobFromStored(const std::string& id, const std::string& text) {
  try {
    const json j = json::parse(text);
    CaptureJob job;
    job.id = id;
    job.org = j.at("org").get<std::string>();
    job.created_ms = j.at("createdMs").get<int64_t>();
    job.proceed = j.at("proceed").get<bool>();
    for (const json& e : j.at("events")) {
      CapturedEvent ev;
      ev.event_id = e.at("eventID").get<std::string>();
      ev.client_event_id = e.value("clientEventID", "");
      ev.declaration = e.value("declaration", false);
      if (e.contains("height")) ev.height = e["height"].get<uint64_t>();
      if (e.contains("tx")) ev.tx = e["tx"].get<size_t>();
      ev.kept_off_chain = e.value("keptOffChain", "");
      if (e.contains("problem")) {
        const json& p = e["problem"];
        ev.problem = epcis::Problem{p.at("field").get<std::string>(),
                                    p.at("rule").get<std::string>(),
                                    p.at("detail").get<std::string>()};
      }
      job.events.push_back(std::move(ev));
    }
    for (const json& t : j.at("txIds")) {
      ASSIGN_OR_RETURN(std::string bytes, HexDecode(t.get<std::string>()));
      ASSIGN_OR_RETURN(Hash32 h, HashFromBytes(bytes));
      job.tx_ids.push_back(h);
    }
    return job;
  } catch (const json::exception& e) {
    return Corruption("capture job " + id + " does not parse: " + e.what());
  }
}

}  // namespace

Capture::Capture(Node* node, std::unique_ptr<leveldb::DB> db) : node_(node), db_(std::move(db)) {}
Capture::~Capture() = default;

Result<std::unique_ptr<Capture>> Capture::Open(Node* node, const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "capture job store"));
  return std::unique_ptr<Capture>(new Capture(node, std::move(db)));
}

Result<std::optional<uint64_t>> Capture::AnchoredHeight(const v1::Checkpoint& checkpoint) const {
  auto locations = node_->ledger().FindEvent(checkpoint.event_id());
  if (!locations.ok() && locations.status().code() == Code::kNotFound) {
    return std::optional<uint64_t>();
  }
  RETURN_IF_ERROR(locations.status());
  for (const ledger::CheckpointLocation& loc : *locations) {
    ASSIGN_OR_RETURN(ledger::ParsedBlock block, node_->ledger().ReadBlock(loc.height));
    if (loc.tx_position >= block.txs.size()) return Corruption("event index points past a block");
    const v1::Tx& tx = block.txs[loc.tx_position].tx;
    if (static_cast<int>(loc.checkpoint_index) >= tx.checkpoints_size()) {
      return Corruption("event index points past a transaction");
    }
    v1::Checkpoint stored;
    if (!stored.ParseFromString(tx.checkpoints(static_cast<int>(loc.checkpoint_index)))) {
      return Corruption("a checkpoint of block " + std::to_string(loc.height) + " does not parse");
    }
    if (stored.payload_hash() == checkpoint.payload_hash() &&
        stored.has_error_declaration() == checkpoint.has_error_declaration()) {
      return std::optional<uint64_t>(loc.height);
    }
  }
  return std::optional<uint64_t>();
}

Result<CaptureJob> Capture::Run(const std::string& org, const std::vector<epcis::Event>& events,
                                const std::vector<std::optional<epcis::Problem>>& problems,
                                CaptureErrorBehaviour behaviour, bool always_anchor) {
  if (org != node_->org()) {
    return PermissionDenied("this node captures for organisation '" + node_->org() +
                            "' only; capture '" + org + "' events through that organisation's node");
  }
  CaptureJob job;
  job.id = NewJobId();
  job.org = org;
  job.created_ms = SystemClock::Get()->NowMs();
  job.proceed = behaviour == CaptureErrorBehaviour::kProceed;
  // The checkpoint and payload of every valid event, outside any lock (hashing is the work).
  struct Candidate {
    size_t event;
    v1::Checkpoint checkpoint;
    std::string payload;
  };
  std::vector<Candidate> candidates;
  job.events.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CapturedEvent& ev = job.events[i];
    if (i < problems.size() && problems[i]) {
      if (!job.proceed) return InvalidArgument(problems[i]->ToString());
      ev.problem = problems[i];
      continue;
    }
    ASSIGN_OR_RETURN(v1::Checkpoint cp, epcis::EventToCheckpoint(events[i]));
    ev.event_id = cp.event_id();
    ev.client_event_id = cp.client_event_id();
    ev.declaration = cp.has_error_declaration();
    candidates.push_back({i, std::move(cp), epcis::EventPayload(events[i])});
  }
  // What the anchoring policy keeps off-chain, and which of those this node had not stored yet.
  ScmService& scm = node_->scm();
  std::vector<v1::Checkpoint> fresh;  // events new to this node, for the SCM core
  for (const Candidate& c : candidates) {
    scm_core::AnchoringDecision d =
        scm.policy().Decide(c.checkpoint.type(), c.checkpoint.biz_step(), c.checkpoint.disposition());
    if (d.anchor || always_anchor) continue;
    job.events[c.event].kept_off_chain = d.reason;
    // The checkpoint carries the payload's SHA-256 already.
    ASSIGN_OR_RETURN(Hash32 payload_hash, HashFromBytes(c.checkpoint.payload_hash()));
    ASSIGN_OR_RETURN(bool stored, node_->blobs().Contains(payload_hash));
    if (!stored) fresh.push_back(c.checkpoint);
  }
  // Payloads first: a checkpoint is never anchored without its payload kept here. Storing one
  // that is there already changes nothing.
  std::vector<std::string_view> views;
  for (const Candidate& c : candidates) views.push_back(c.payload);
  RETURN_IF_ERROR(node_->blobs().PutAll(views).status());

  // Which events are new: one capture at a time decides and submits, so that two concurrent
  // captures of the same event anchor it once.
  std::lock_guard lock(mu_);
  std::vector<std::vector<v1::Checkpoint>> batches;
  std::vector<std::string> batch_keys;  // the in-flight key of each new checkpoint, in order
  std::map<std::string, size_t> in_job;  // key → transaction index in this job
  std::vector<Hash32> foreign;           // transactions of other captures still in flight
  std::vector<std::pair<size_t, size_t>> foreign_events;  // (event, index in foreign)
  for (Candidate& c : candidates) {
    CapturedEvent& ev = job.events[c.event];
    if (!ev.kept_off_chain.empty()) continue;
    const std::string key = c.checkpoint.payload_hash() + (ev.declaration ? "d" : "e");
    if (auto it = in_job.find(key); it != in_job.end()) {
      ev.tx = it->second;
      continue;
    }
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      auto loc = node_->ledger().FindTx(it->second);
      if (loc.ok()) {
        ev.height = loc->height;
      } else {
        foreign.push_back(it->second);
        foreign_events.emplace_back(c.event, foreign.size() - 1);
      }
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<uint64_t> height, AnchoredHeight(c.checkpoint));
    if (height) {
      ev.height = height;
      continue;
    }
    if (batches.empty() || batches.back().size() == ledger::kMaxCheckpointsPerTx) {
      batches.emplace_back();
    }
    fresh.push_back(c.checkpoint);
    batches.back().push_back(std::move(c.checkpoint));
    batch_keys.push_back(key);
    ev.tx = batches.size() - 1;
    in_job.emplace(key, *ev.tx);
  }
  if (!batches.empty()) {
    ASSIGN_OR_RETURN(SubmitResult submitted,
                     node_->Submit(org, batches, std::nullopt, Node::Ack::kAccepted));
    job.tx_ids = std::move(submitted.tx_ids);
    size_t k = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      for (size_t j = 0; j < batches[b].size(); ++j) in_flight_[batch_keys[k++]] = job.tx_ids[b];
    }
    PruneInFlight();
  }
  for (const auto& [event, f] : foreign_events) job.events[event].tx = job.tx_ids.size() + f;
  job.tx_ids.insert(job.tx_ids.end(), foreign.begin(), foreign.end());
  RETURN_IF_ERROR(Save(job));
  scm.OnCaptured(org, fresh);
  return job;
}

void Capture::PruneInFlight() {
  if (in_flight_.size() < kMaxInFlight) return;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = node_->ledger().FindTx(it->second).ok() ? in_flight_.erase(it) : std::next(it);
  }
}

Status Capture::Save(const CaptureJob& job) {
  leveldb::WriteOptions wo;
  wo.sync = true;  // the 202 names the job; it must be there after a crash
  return FromLevelDb(db_->Put(wo, std::string(1, kJobPrefix) + job.id, JobToStored(job).dump()),
                     "write capture job");
}

Result<CaptureJob> Capture::Load(const std::string& id) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), std::string(1, kJobPrefix) + id, &value);
  if (s.IsNotFound()) return NotFound("no capture job '" + id + "'");
  RETURN_IF_ERROR(FromLevelDb(s, "read capture job"));
  return JobFromStored(id, value);
}

json Capture::StatusJson(const CaptureJob& job) const {
  const ledger::Ledger& ledger = node_->ledger();
  std::vector<std::optional<uint64_t>> tx_heights;
  for (const Hash32& id : job.tx_ids) {
    auto loc = ledger.FindTx(id);
    tx_heights.push_back(loc.ok() ? std::optional<uint64_t>(loc->height) : std::nullopt);
  }
  json events = json::array();
  json errors = json::array();
  bool running = false;
  uint64_t last_height = 0;
  for (size_t i = 0; i < job.events.size(); ++i) {
    const CapturedEvent& e = job.events[i];
    json j{{"index", i}};
    if (e.problem) {
      j["status"] = "failed";
      j["error"] = ProblemJson(*e.problem);
      json err = ProblemJson(*e.problem);
      err["index"] = i;
      errors.push_back(std::move(err));
      events.push_back(std::move(j));
      continue;
    }
    j["eventID"] = e.event_id;
    if (!e.client_event_id.empty()) j["clientEventID"] = e.client_event_id;
    if (!e.kept_off_chain.empty()) {
      j["status"] = "stored";
      j["anchored"] = false;
      j["reason"] = e.kept_off_chain;
      events.push_back(std::move(j));
      continue;
    }
    std::optional<uint64_t> height = e.height;
    if (!height && e.tx && *e.tx < tx_heights.size()) height = tx_heights[*e.tx];
    if (height) {
      j["status"] = "committed";
      j["height"] = *height;
      if (e.height) j["alreadyAnchored"] = true;
      last_height = std::max(last_height, *height);
    } else {
      j["status"] = "pending";
      running = true;
    }
    events.push_back(std::move(j));
  }
  json out{{"captureID", job.id},
           {"createdAt", FormatRfc3339Utc(job.created_ms)},
           {"running", running},
           {"success", !running && errors.empty()},
           {"captureErrorBehaviour", job.proceed ? "proceed" : "rollback"},
           {"errors", errors},
           {"events", events}};
  if (!running) {
    int64_t finished_ms = job.created_ms;
    if (last_height > 0) {
      auto header = ledger.ReadHeaderBytes(last_height);
      v1::BlockHeader h;
      if (header.ok() && h.ParseFromString(*header)) finished_ms = std::max(finished_ms, h.time_ms());
    }
    out["finishedAt"] = FormatRfc3339Utc(finished_ms);
  }
  return out;
}

}  // namespace tracery::node

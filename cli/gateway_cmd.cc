// tracery gateway keygen | simulate: an edge gateway that signs batches of sensor readings and
// publishes them over MQTT, keeping each batch in a durable local buffer until the node's
// acknowledgement covers it (docs/formats/telemetry.md).
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "args.h"
#include "commands.h"
#include "mqtt_client.h"
#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/leveldb.h"
#include "tracery/core/time.h"
#include "tracery/ledger/genesis.h"
#include "tracery/scm_core/model.h"
#include "tracery/scm_core/telemetry.h"

namespace tracery::cli {
namespace {

using Clock = std::chrono::steady_clock;
using scm_core::Reading;
using scm_core::TelemetryBatch;

constexpr const char* kHelp =
    "usage: tracery gateway keygen --out FILE\n"
    "       tracery gateway simulate --broker HOST:PORT --gateway ID --key FILE\n"
    "                                --scenario FILE (--genesis FILE | --genesis-hash HEX)\n"
    "                                [--batch 100] [--buffer DIR] [--timeout 120]\n"
    "                                [--resend-ms 2000] [--window 2048] [--frame 16]\n\n"
    "keygen writes a gateway key (mode 0600) and prints its public key in hex, which the node\n"
    "registers.\n"
    "simulate replays a scenario file (CSV: sensor_id,time,kind,value; time in Unix ms or RFC\n"
    "3339, kind temperature|humidity|shock|light, value a decimal in the kind's unit, e.g. 8.25\n"
    "for 8.25 degrees C; '#' comments and a 'sensor_id,...' header line are skipped) as fast as\n"
    "the node acknowledges: batches of --batch readings, sequence numbers from 1, signed for the\n"
    "genesis, published with QoS 1 on tracery/telemetry/ID. Every batch is written (synced) to\n"
    "the buffer (LevelDB in --buffer, default ./gateway-ID.buffer) before it is published and\n"
    "deleted when an acknowledgement on tracery/ack/ID covers it. Unacknowledged batches are\n"
    "published again after --resend-ms without progress, after a reconnect and when the node\n"
    "reports them missing. A restarted simulator resumes from its buffer. At most --window\n"
    "batches are unacknowledged at once. New batches go --frame at a time in one MQTT message (a\n"
    "frame of signed envelopes, each verified on its own); batches published again go alone.\n"
    "Exit codes: 0 everything acknowledged; 1 not everything acknowledged within --timeout\n"
    "seconds; 2 usage or I/O errors.\n";

constexpr size_t kMaxScenarioReadings = 50'000'000;
constexpr size_t kMaxWindow = 8192;  // the node's default dedup window
constexpr size_t kBatchesPerSyncedWrite = 64;
constexpr char kProgressKey[] = "p";

Result<std::vector<Reading>> LoadScenario(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<Reading> out;
  std::istringstream in(text);
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || line.rfind("sensor_id,", 0) == 0) continue;
    auto where = [&](const std::string& m) {
      return InvalidArgument(path + ":" + std::to_string(line_no) + ": " + m);
    };
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, ',')) f.push_back(field);
    if (f.size() != 4) return where("expected sensor_id,time,kind,value");
    Reading r;
    r.sensor_id = f[0];
    if (Status st = scm_core::CheckTelemetryId(r.sensor_id, "sensor id"); !st.ok()) {
      return where(st.message());
    }
    if (!f[1].empty() && f[1].find_first_not_of("-0123456789") == std::string::npos) {
      try {
        r.time_ms = std::stoll(f[1]);
      } catch (...) {
        return where("time '" + f[1] + "' out of range");
      }
    } else {
      auto t = ParseRfc3339(f[1]);
      if (!t.ok()) return where("time: " + t.status().message());
      r.time_ms = t->unix_ms;
    }
    auto kind = scm_core::ParseReadingKind(f[2]);
    if (!kind.ok()) return where(kind.status().message());
    r.kind = *kind;
    auto value = scm_core::Quantity::Parse(f[3]);
    if (!value.ok()) return where("value '" + f[3] + "': " + value.status().message());
    r.value_milli = value->thousandths;
    out.push_back(std::move(r));
    if (out.size() > kMaxScenarioReadings) {
      return ResourceExhausted(path + ": over " + std::to_string(kMaxScenarioReadings) +
                               " readings");
    }
  }
  if (out.empty()) return InvalidArgument(path + ": no readings");
  return out;
}

int KeygenCommand(const Args& args) {
  auto out = args.Require("out");
  if (!out.ok()) return Fail(out.status());
  PrivateKey key = PrivateKey::Generate();
  if (Status st = WriteKeyFile(*out, key); !st.ok()) return Fail(st);
  std::printf("%s\n", HexEncode(key.public_key().bytes()).c_str());
  return kExitOk;
}

// The gateway's durable buffer: "b" + sequence (big-endian) -> envelope; "p" -> the number of
// scenario readings already put into batches and the next sequence number, and the SHA-256 of
// the scenario, so that a restart resumes the same scenario where it stopped.
struct Progress {
  uint64_t consumed = 0;
  uint64_t next_sequence = 1;
  Hash32 scenario_hash{};
};

std::string BufferKey(uint64_t seq) {
  std::string k = "b";
  PutBe64(&k, seq);
  return k;
}

class Simulator {
 public:
  Simulator(std::string gateway, PrivateKey key, Hash32 genesis, std::vector<Reading> readings,
            size_t batch_size, size_t window, int resend_ms, size_t frame)
      : gateway_(std::move(gateway)),
        key_(std::move(key)),
        genesis_(genesis),
        readings_(std::move(readings)),
        batch_size_(batch_size),
        window_(window),
        resend_ms_(resend_ms),
        frame_(frame) {}

  Status OpenBuffer(const std::string& dir, const Hash32& scenario_hash) {
    ASSIGN_OR_RETURN(db_, OpenLevelDb(dir, "gateway buffer"));
    std::string v;
    leveldb::Status s = db_->Get(CheckedRead(), kProgressKey, &v);
    if (s.ok()) {
      if (v.size() != 48) return Corruption("gateway buffer: bad progress record");
      progress_.consumed = GetBe64(v);
      progress_.next_sequence = GetBe64(std::string_view(v).substr(8));
      std::copy(v.begin() + 16, v.end(), progress_.scenario_hash.begin());
      if (progress_.scenario_hash != scenario_hash) {
        return FailedPrecondition("gateway buffer " + dir +
                                  " belongs to another scenario: use another --buffer");
      }
    } else if (!s.IsNotFound()) {
      return FromLevelDb(s, "read gateway buffer");
    }
    progress_.scenario_hash = scenario_hash;
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
    for (it->Seek("b"); it->Valid() && it->key().starts_with("b"); it->Next()) {
      if (it->key().size() != 9) return Corruption("gateway buffer: bad key");
      unacked_.emplace(GetBe64(std::string_view(it->key().data() + 1, 8)), it->value().ToString());
    }
    return FromLevelDb(it->status(), "read gateway buffer");
  }

  void OnAck(const std::string& payload) {
    auto ack = scm_core::DecodeAck(payload);
    if (!ack.ok() || ack->gateway_id != gateway_) return;
    std::lock_guard<std::mutex> lock(mu_);
    ack_through_ = std::max(ack_through_, ack->durable_through);
    missing_ = ack->missing;
    cv_.notify_all();
  }

  void OnConnection(bool connected) {
    std::lock_guard<std::mutex> lock(mu_);
    if (connected) {
      if (ever_connected_) reconnected_ = true;
      ever_connected_ = true;
    }
    cv_.notify_all();
  }

  // Runs until every batch is acknowledged (true) or the deadline passes (false).
  Result<bool> Run(node::MqttClient* mqtt, Clock::time_point deadline) {
    mqtt_ = mqtt;
    for (const auto& [seq, envelope] : unacked_) Publish(seq, envelope);  // a restart resumes
    Clock::time_point last_progress = Clock::now();
    uint64_t noted_missing = 0;
    Clock::time_point missing_since = Clock::now();
    for (;;) {
      uint64_t through;
      bool reconnected;
      std::vector<std::pair<uint64_t, uint64_t>> missing;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(20));
        through = ack_through_;
        reconnected = reconnected_;
        reconnected_ = false;
        missing = missing_;
      }
      if (through > acked_) {
        RETURN_IF_ERROR(Forget(through));
        last_progress = Clock::now();
      }
      if (unacked_.empty() && progress_.consumed == readings_.size()) return true;
      RETURN_IF_ERROR(Fill());
      const auto now = Clock::now();
      if (reconnected || now - last_progress > std::chrono::milliseconds(resend_ms_)) {
        for (const auto& [seq, envelope] : unacked_) Publish(seq, envelope, true);
        last_progress = now;
      } else if (!missing.empty()) {
        // Gaps that stay for half the resend time were lost (not merely reordered).
        if (missing.front().first != noted_missing) {
          noted_missing = missing.front().first;
          missing_since = now;
        } else if (now - missing_since > std::chrono::milliseconds(resend_ms_ / 2)) {
          for (const auto& [from, to] : missing) {
            for (auto it = unacked_.lower_bound(from); it != unacked_.end() && it->first <= to;
                 ++it) {
              Publish(it->first, it->second, true);
            }
          }
          missing_since = now;
        }
      }
      if (now > deadline) return false;
    }
  }

  uint64_t first_unacked() const { return unacked_.empty() ? 0 : unacked_.begin()->first; }
  size_t unacked() const { return unacked_.size(); }
  uint64_t published() const { return published_; }
  uint64_t republished() const { return republished_; }
  uint64_t batches() const { return progress_.next_sequence - 1; }
  size_t readings() const { return readings_.size(); }

 private:
  void Publish(uint64_t seq, const std::string& envelope, bool again = false) {
    (void)seq;
    PublishPayload(envelope, 1, again);
  }
  // A failed publish (no connection) is retried by the resend timer or the reconnect.
  void PublishPayload(const std::string& payload, size_t batches, bool again) {
    if (mqtt_->Publish(scm_core::TelemetryTopic(gateway_), payload, 1).ok()) {
      published_ += batches;
      if (again) republished_ += batches;
    }
  }

  // Makes, stores (one synced write) and publishes new batches while the window has room.
  Status Fill() {
    while (unacked_.size() < window_ && progress_.consumed < readings_.size()) {
      leveldb::WriteBatch wb;
      std::vector<std::pair<uint64_t, std::string>> made;
      Progress p = progress_;
      while (made.size() < kBatchesPerSyncedWrite && unacked_.size() + made.size() < window_ &&
             p.consumed < readings_.size()) {
        TelemetryBatch batch{gateway_, p.next_sequence, {}};
        const size_t n = std::min<size_t>(batch_size_, readings_.size() - p.consumed);
        batch.readings.assign(readings_.begin() + static_cast<ptrdiff_t>(p.consumed),
                              readings_.begin() + static_cast<ptrdiff_t>(p.consumed + n));
        ASSIGN_OR_RETURN(std::string envelope, scm_core::SignBatch(batch, key_, genesis_));
        wb.Put(BufferKey(p.next_sequence), envelope);
        made.emplace_back(p.next_sequence, std::move(envelope));
        p.consumed += n;
        ++p.next_sequence;
      }
      std::string v;
      PutBe64(&v, p.consumed);
      PutBe64(&v, p.next_sequence);
      v.append(reinterpret_cast<const char*>(p.scenario_hash.data()), 32);
      wb.Put(kProgressKey, v);
      leveldb::WriteOptions sync;
      sync.sync = true;  // durable before it is published
      RETURN_IF_ERROR(FromLevelDb(db_->Write(sync, &wb), "write gateway buffer"));
      progress_ = p;
      // New batches go out frame_ at a time in one MQTT message (a frame); what is published
      // again goes alone.
      for (size_t i = 0; i < made.size(); i += frame_) {
        std::vector<std::string_view> envelopes;
        for (size_t j = i; j < std::min(made.size(), i + frame_); ++j) envelopes.push_back(made[j].second);
        PublishPayload(envelopes.size() == 1 ? std::string(envelopes[0])
                                             : scm_core::EncodeFrame(envelopes),
                       envelopes.size(), false);
      }
      for (auto& [seq, envelope] : made) unacked_.emplace(seq, std::move(envelope));
    }
    return Status::Ok();
  }

  // Deletes acknowledged batches (not synced: a batch that comes back after a crash is
  // published again and the node drops it as a duplicate).
  Status Forget(uint64_t through) {
    leveldb::WriteBatch wb;
    for (auto it = unacked_.begin(); it != unacked_.end() && it->first <= through;) {
      wb.Delete(BufferKey(it->first));
      it = unacked_.erase(it);
    }
    acked_ = through;
    return FromLevelDb(db_->Write(leveldb::WriteOptions(), &wb), "trim gateway buffer");
  }

  const std::string gateway_;
  const PrivateKey key_;
  const Hash32 genesis_;
  const std::vector<Reading> readings_;
  const size_t batch_size_;
  const size_t window_;
  const int resend_ms_;
  const size_t frame_;  // new batches per MQTT message
  std::unique_ptr<leveldb::DB> db_;
  Progress progress_;
  std::map<uint64_t, std::string> unacked_;  // sequence -> envelope, all in the buffer
  uint64_t acked_ = 0;
  uint64_t published_ = 0;
  uint64_t republished_ = 0;
  node::MqttClient* mqtt_ = nullptr;

  std::mutex mu_;  // guards what the network thread hands over
  std::condition_variable cv_;
  uint64_t ack_through_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> missing_;
  bool ever_connected_ = false;
  bool reconnected_ = false;
};

Result<Hash32> GenesisHashOf(const Args& args) {
  if (args.Has("genesis-hash")) {
    ASSIGN_OR_RETURN(std::string bytes, HexDecode(args.Get("genesis-hash")));
    return HashFromBytes(bytes);
  }
  ASSIGN_OR_RETURN(std::string path, args.Require("genesis"));
  ASSIGN_OR_RETURN(ledger::Genesis genesis, ledger::Genesis::Load(path));
  return genesis.hash();
}

Result<long> Number(const Args& args, const std::string& name, long fallback, long lo, long hi) {
  if (!args.Has(name)) return fallback;
  const std::string v = args.Get(name);
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi) {
    return InvalidArgument("--" + name + ": an integer in " + std::to_string(lo) + ".." +
                           std::to_string(hi));
  }
  return n;
}

int SimulateCommand(const Args& args) {
  auto broker = args.Require("broker");
  auto gateway = args.Require("gateway");
  auto key_path = args.Require("key");
  auto scenario_path = args.Require("scenario");
  for (const auto* r : {&broker, &gateway, &key_path, &scenario_path}) {
    if (!r->ok()) return Fail(r->status());
  }
  if (Status st = scm_core::CheckTelemetryId(*gateway, "--gateway"); !st.ok()) return Fail(st);
  const size_t colon = broker->rfind(':');
  if (colon == std::string::npos) return Fail("--broker: HOST:PORT");
  node::MqttOptions mqtt;
  mqtt.host = broker->substr(0, colon);
  mqtt.port = std::atoi(broker->c_str() + colon + 1);
  mqtt.client_id = "tracery-gateway-" + *gateway;
  auto batch = Number(args, "batch", 100, 1, scm_core::kMaxReadingsPerBatch);
  auto timeout_s = Number(args, "timeout", 120, 1, 86400);
  auto resend_ms = Number(args, "resend-ms", 2000, 50, 600000);
  auto window = Number(args, "window", 2048, 1, kMaxWindow);
  auto frame = Number(args, "frame", 16, 1, scm_core::kMaxFrameEnvelopes);
  for (const auto* r : {&batch, &timeout_s, &resend_ms, &window, &frame}) {
    if (!r->ok()) return Fail(r->status());
  }
  auto genesis = GenesisHashOf(args);
  if (!genesis.ok()) return Fail(genesis.status());
  auto key = ReadKeyFile(*key_path);
  if (!key.ok()) return Fail(key.status());
  auto scenario_text = ReadFile(*scenario_path);
  if (!scenario_text.ok()) return Fail(scenario_text.status());
  auto readings = LoadScenario(*scenario_path);
  if (!readings.ok()) return Fail(readings.status());

  const auto start = Clock::now();
  Simulator sim(*gateway, *key, *genesis, std::move(readings).value(), static_cast<size_t>(*batch),
                static_cast<size_t>(*window), static_cast<int>(*resend_ms),
                static_cast<size_t>(*frame));
  const std::string buffer = args.Get("buffer", "./gateway-" + *gateway + ".buffer");
  if (Status st = sim.OpenBuffer(buffer, Sha256(*scenario_text)); !st.ok()) return Fail(st);
  auto client = node::MqttClient::Start(
      mqtt, [&sim](const std::string&, std::string payload) { sim.OnAck(payload); },
      [&sim](bool connected) { sim.OnConnection(connected); });
  if (!client.ok()) return Fail(client.status());
  if (Status st = (*client)->Subscribe(scm_core::AckTopic(*gateway), 1); !st.ok()) return Fail(st);
  auto done = sim.Run(client->get(), start + std::chrono::seconds(*timeout_s));
  client->reset();
  if (!done.ok()) return Fail(done.status());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!*done) {
    std::fprintf(stderr,
                 "tracery gateway simulate: %zu batches (from sequence %llu) not acknowledged by "
                 "the node after %ld s; they stay in %s\n",
                 sim.unacked(), static_cast<unsigned long long>(sim.first_unacked()), *timeout_s,
                 buffer.c_str());
    return kExitNegative;
  }
  nlohmann::json summary = {{"gateway", *gateway},
                            {"batches", sim.batches()},
                            {"readings", sim.readings()},
                            {"published", sim.published()},
                            {"republished", sim.republished()},
                            {"seconds", seconds}};
  std::printf("%s\n", summary.dump().c_str());
  return kExitOk;
}

}  // namespace

int GatewayCommand(const Argv& argv) {
  if (auto help = HelpForSubcommand(argv, kHelp)) return *help;
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()),
                          {"out", "broker", "gateway", "key", "scenario", "genesis", "genesis-hash",
                           "batch", "buffer", "timeout", "resend-ms", "window", "frame"},
                          {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  if (argv[0] == "keygen") return KeygenCommand(*args);
  if (argv[0] == "simulate") return SimulateCommand(*args);
  return Fail("gateway: unknown subcommand '" + argv[0] + "' (keygen, simulate)");
}

}  // namespace tracery::cli

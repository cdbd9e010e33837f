// tracery_bench_load: a closed-loop HTTP load generator for one running node. Each client thread
// keeps one keep-alive connection and posts checkpoints (K per request, so K per transaction)
// to POST /v1/checkpoints?wait=committed, one request at a time: by default every counted
// checkpoint is committed — in a block on disk with its certificate — when the answer arrives.
//
// Timeline: all clients start together; requests that complete during the warm-up are not
// counted; afterwards every request that completes inside the window of --seconds is counted
// (by completion time) and its latency recorded. No request starts after the window ends; the
// ones in flight then are awaited (bounded by the client timeout) and not counted.
//
// With --etcd the same closed loop drives an etcd member's HTTP gateway instead, as the peer
// baseline: each request is POST /v3/kv/put of a unique key and a 256-byte value (etcd syncs its
// WAL on a majority before it answers).
//
// Request bodies (unique eventIDs and EPCs) are generated before the clients start, for an
// expected rate of --pool-checkpoints-per-s; a client that runs past its pool generates more
// bodies as it goes, and the output says how many (bodies_generated_in_window).
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <latch>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench_util.h"
#include "http_client.h"
#include "tracery/core/key_file.h"

namespace tracery::bench {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery_bench_load --node http://127.0.0.1:PORT (--token-file FILE | --etcd)\n"
    "                          [--clients 16] [--seconds 10] [--checkpoints-per-tx 1]\n"
    "                          [--wait | --no-wait] [--warmup 1] [--timeout-ms 60000]\n"
    "                          [--pool-checkpoints-per-s 20000|150000] [--node-pid PID]\n\n"
    "Posts checkpoints to POST /v1/checkpoints from N keep-alive clients for S seconds and prints\n"
    "one JSON object: throughput of committed checkpoints (or accepted ones with --no-wait),\n"
    "latency percentiles and errors by status. With --node-pid (a process on this machine), also\n"
    "the CPU seconds the node and this generator used during the window. With --etcd, the node is\n"
    "an etcd member and each request puts one 256-byte value (the baseline for Raft).\n";

constexpr int kMaxClients = 1024;
constexpr int64_t kMaxCheckpointsPerTx = 1000;  // ledger::kMaxCheckpointsPerTx
constexpr double kMaxSeconds = 3600;

struct Options {
  std::string node;
  std::string token;
  int clients = 16;
  double seconds = 10;
  double warmup = 1;
  int64_t checkpoints_per_tx = 1;
  bool wait = true;
  int64_t timeout_ms = 60000;
  double pool_checkpoints_per_s = 20000;
  int64_t node_pid = 0;  // 0: not sampled
  bool etcd = false;      // the node is an etcd member: puts instead of checkpoints
};

constexpr size_t kEtcdValueBytes = 256;

// User + system CPU seconds of process `pid` so far (from /proc), or -1 when unreadable.
double ProcessCpuSeconds(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// The JSON of `count` ObjectEvent checkpoints with unique ids: run id, client and sequence.
std::string MakeBody(uint32_t run, int client, uint64_t* sequence, int64_t count) {
  std::string body;
  body.reserve(static_cast<size_t>(count) * 240 + 2);
  if (count > 1) body += '[';
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t seq = (*sequence)++;
    char buf[400];
    std::snprintf(buf, sizeof(buf),
                  "%s{\"eventID\":\"urn:uuid:%08" PRIx32 "-%04x-4%03" PRIx64 "-8%03" PRIx64
                  "-%012" PRIx64
                  "\",\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
                  "\"eventTime\":\"2026-01-01T00:00:00Z\",\"epcList\":["
                  "\"urn:epc:id:sgtin:0614141.107346.%" PRIu32 "%04d%" PRIu64 "\"]}",
                  i == 0 ? "" : ",", run, client & 0xffff, (seq >> 60) & 0xfff, (seq >> 48) & 0xfff,
                  static_cast<uint64_t>(seq & 0xffffffffffffull), run % 100000, client, seq);
    body += buf;
  }
  if (count > 1) body += ']';
  return body;
}

// An etcd v3 gateway put of a unique key and a 256-byte value.
std::string MakeEtcdBody(uint32_t run, int client, uint64_t* sequence) {
  const std::string key = "bench/" + std::to_string(run) + "/" + std::to_string(client) + "/" +
                          std::to_string((*sequence)++);
  const std::string value(kEtcdValueBytes, 'v');
  return json{{"key", Base64Encode(key)}, {"value", Base64Encode(value)}}.dump();
}

struct ClientResult {
  uint64_t requests = 0;
  std::vector<double> latencies_ms;
  std::map<std::string, uint64_t> errors;
  uint64_t generated_in_window = 0;
  uint64_t warmup_requests = 0;
  uint64_t late_requests = 0;  // completed after the window
};

void RunClient(const Options& o, int index, uint32_t run, std::latch* start,
               Clock::time_point* t_start, ClientResult* out) {
  auto client = client::HttpClient::Create(o.node, o.timeout_ms);
  std::vector<std::string> pool;
  uint64_t sequence = 0;
  const double expected = o.pool_checkpoints_per_s * (o.seconds + o.warmup) /
                          static_cast<double>(o.clients) /
                          static_cast<double>(o.checkpoints_per_tx);
  const size_t pool_size = static_cast<size_t>(expected) + 8;
  pool.reserve(pool_size);
  auto make_body = [&] {
    return o.etcd ? MakeEtcdBody(run, index, &sequence)
                  : MakeBody(run, index, &sequence, o.checkpoints_per_tx);
  };
  for (size_t i = 0; i < pool_size; ++i) pool.push_back(make_body());
  const std::string target = o.etcd   ? "/v3/kv/put"
                             : o.wait ? "/v1/checkpoints?wait=committed"
                                      : "/v1/checkpoints";
  const int ok_status = o.etcd || o.wait ? 200 : 202;
  start->arrive_and_wait();
  if (!client.ok()) {
    out->errors["transport"]++;
    return;
  }
  if (!o.etcd) (*client)->set_bearer_token(o.token);
  const Clock::time_point window_start =
      *t_start + std::chrono::microseconds(static_cast<int64_t>(o.warmup * 1e6));
  const Clock::time_point window_end =
      window_start + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
  size_t next = 0;
  while (Clock::now() < window_end) {
    std::string generated;
    const std::string* body = nullptr;
    if (next < pool.size()) {
      body = &pool[next++];
    } else {
      generated = make_body();
      body = &generated;
      if (Clock::now() >= window_start) out->generated_in_window++;
    }
    const auto t0 = Clock::now();
    auto res = (*client)->Request("POST", target, *body, {{"Content-Type", "application/json"}});
    const auto t1 = Clock::now();
    const bool in_window = t1 >= window_start && t1 <= window_end;
    if (!res.ok() || res->status != ok_status) {
      const std::string key = res.ok() ? std::to_string(res->status) : "transport";
      if (in_window) out->errors[key]++;
      if (!res.ok() || res->status == 503) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    if (t1 < window_start) {
      out->warmup_requests++;
    } else if (t1 > window_end) {
      out->late_requests++;
    } else {
      out->requests++;
      out->latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
}

Result<Options> ParseOptions(int argc, char** argv) {
  Flags flags(argc, argv,
              {"node", "token-file", "clients", "seconds", "checkpoints-per-tx", "warmup",
               "timeout-ms", "pool-checkpoints-per-s", "node-pid"},
              {"wait", "no-wait", "etcd"}, kUsage);
  Options o;
  o.node = flags.Get("node");
  if (o.node.empty()) return InvalidArgument("--node is required");
  if (o.node.rfind("http://127.", 0) != 0 && o.node.rfind("http://localhost", 0) != 0 &&
      o.node.rfind("http://[::1]", 0) != 0) {
    return InvalidArgument("--node must be a loopback URL (http://127.x.x.x:PORT)");
  }
  o.etcd = flags.Has("etcd");
  if (o.etcd == flags.Has("token-file")) {
    return InvalidArgument("give --token-file (a Tracery node) or --etcd (an etcd member)");
  }
  if (!o.etcd) {
    ASSIGN_OR_RETURN(o.token, ReadFile(flags.Get("token-file")));
    while (!o.token.empty() && (o.token.back() == '\n' || o.token.back() == '\r')) {
      o.token.pop_back();
    }
  }
  o.clients = static_cast<int>(flags.Int("clients", 16));
  o.seconds = flags.Double("seconds", 10);
  o.warmup = flags.Double("warmup", 1);
  o.checkpoints_per_tx = flags.Int("checkpoints-per-tx", 1);
  o.timeout_ms = flags.Int("timeout-ms", 60000);
  // Pool sizes for the rates measured on 2 vCPUs (about 7,000 checkpoints/s one per tx, about
  // 100,000/s in batches), with room: 20,000 or 150,000 checkpoints per second of run.
  o.pool_checkpoints_per_s =
      flags.Double("pool-checkpoints-per-s", o.checkpoints_per_tx == 1 ? 20000 : 150000);
  o.node_pid = flags.Int("node-pid", 0);
  if (o.node_pid < 0 || (o.node_pid > 0 && ProcessCpuSeconds(o.node_pid) < 0)) {
    return InvalidArgument("--node-pid: no readable process " + std::to_string(o.node_pid));
  }
  if (flags.Has("wait") && flags.Has("no-wait")) {
    return InvalidArgument("--wait and --no-wait exclude each other");
  }
  o.wait = !flags.Has("no-wait");
  if (o.clients < 1 || o.clients > kMaxClients) {
    return InvalidArgument("--clients must be 1.." + std::to_string(kMaxClients));
  }
  if (!(o.seconds > 0) || o.seconds > kMaxSeconds) {
    return InvalidArgument("--seconds must be in (0, 3600]");
  }
  if (!(o.warmup >= 0) || o.warmup > kMaxSeconds) {
    return InvalidArgument("--warmup must be in [0, 3600]");
  }
  if (o.checkpoints_per_tx < 1 || o.checkpoints_per_tx > kMaxCheckpointsPerTx) {
    return InvalidArgument("--checkpoints-per-tx must be 1..1000");
  }
  if (o.timeout_ms < 100) return InvalidArgument("--timeout-ms must be at least 100");
  if (!(o.pool_checkpoints_per_s >= 0) || o.pool_checkpoints_per_s > 1e6) {
    return InvalidArgument("--pool-checkpoints-per-s must be in [0, 1000000]");
  }
  return o;
}

int Main(int argc, char** argv) {
  auto options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "tracery_bench_load: %s\n%s", options.status().message().c_str(), kUsage);
    return 2;
  }
  const Options& o = *options;
  uint32_t run = 0;
  for (char c : RandomBytes(4)) run = (run << 8) | static_cast<uint8_t>(c);

  std::vector<ClientResult> results(o.clients);
  std::latch start(o.clients + 1);
  Clock::time_point t_start;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back(RunClient, std::cref(o), i, run, &start, &t_start, &results[i]);
  }
  // Written before the latch releases the clients: they read it only after arrive_and_wait.
  t_start = Clock::now();
  start.arrive_and_wait();
  // CPU use during the window: sampled at its start and its end.
  const auto window_start =
      t_start + std::chrono::microseconds(static_cast<int64_t>(o.warmup * 1e6));
  const auto window_end =
      window_start + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
  std::this_thread::sleep_until(window_start);
  const double node_cpu0 = o.node_pid > 0 ? ProcessCpuSeconds(o.node_pid) : 0;
  const double self_cpu0 = SelfCpuSeconds();
  std::this_thread::sleep_until(window_end);
  const double node_cpu1 = o.node_pid > 0 ? ProcessCpuSeconds(o.node_pid) : 0;
  const double self_cpu1 = SelfCpuSeconds();
  for (std::thread& t : threads) t.join();

  uint64_t requests = 0, generated = 0, warmup_requests = 0, late = 0;
  std::vector<double> latencies;
  std::map<std::string, uint64_t> errors;
  for (const ClientResult& r : results) {
    requests += r.requests;
    generated += r.generated_in_window;
    warmup_requests += r.warmup_requests;
    late += r.late_requests;
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    for (const auto& [k, v] : r.errors) errors[k] += v;
  }
  const uint64_t checkpoints = requests * static_cast<uint64_t>(o.checkpoints_per_tx);
  double mean = 0;
  for (double l : latencies) mean += l;
  if (!latencies.empty()) mean /= static_cast<double>(latencies.size());
  json out{{"node", o.node},
           {"target", o.etcd ? "etcd" : "tracery"},
           {"wait", o.wait ? "committed" : "accepted"},
           {"clients", o.clients},
           {"checkpoints_per_tx", o.checkpoints_per_tx},
           {"requests", requests},
           {"checkpoints", checkpoints},
           {"seconds", o.seconds},
           {"warmup_seconds", o.warmup},
           {"checkpoints_per_s", static_cast<double>(checkpoints) / o.seconds},
           {"txs_per_s", static_cast<double>(requests) / o.seconds},
           {"latency_ms_mean", mean},
           {"latency_ms_p50", Percentile(latencies, 0.50)},
           {"latency_ms_p99", Percentile(latencies, 0.99)},
           {"latency_ms_max",
            latencies.empty() ? 0.0 : *std::max_element(latencies.begin(), latencies.end())},
           {"errors", errors},
           {"warmup_requests", warmup_requests},
           {"late_requests", late},
           {"bodies_generated_in_window", generated},
           {"generator_cpu_seconds", self_cpu1 - self_cpu0}};
  if (o.node_pid > 0) {
    out["node_pid"] = o.node_pid;
    out["node_cpu_seconds"] = node_cpu1 - node_cpu0;
    out["node_cpu_us_per_tx"] =
        requests == 0 ? 0.0 : (node_cpu1 - node_cpu0) * 1e6 / static_cast<double>(requests);
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace tracery::bench

int main(int argc, char** argv) { return tracery::bench::Main(argc, argv); }

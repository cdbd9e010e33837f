// tracery devnet up|down|status: run the nodes of a consortium folder on this machine.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "args.h"
#include "commands.h"
#include "http_client.h"
#include "tracery/core/key_file.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery devnet up|down|status --dir DIR [--format table|json]\n\n"
    "  up      start every node of DIR that is not running (traceryd in the background,\n"
    "          log in DIR/<org>/traceryd.log) and wait until each answers\n"
    "  down    stop every running node of DIR (SIGTERM, then SIGKILL after 30 s)\n"
    "  status  list the nodes with org, API URL, process id and ledger height\n";

struct DevNode {
  std::string org;
  std::string node_id;
  std::string dir;
  std::string config;
  std::string api;  // http://host:port
  pid_t pid = 0;    // 0 when not running
};

pid_t ReadPid(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return 0;
  pid_t pid = static_cast<pid_t>(std::atoi(text->c_str()));
  if (pid <= 0 || ::kill(pid, 0) != 0) return 0;
  // The pid must still be a traceryd (pids are reused).
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline.ok() || cmdline->find("traceryd") == std::string::npos) return 0;
  return pid;
}

Result<std::vector<DevNode>> ListNodes(const std::string& dir) {
  std::vector<DevNode> nodes;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("cannot open " + dir + ": " + std::strerror(errno));
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string config = dir + "/" + name + "/node.json";
    auto text = ReadFile(config);
    if (!text.ok()) continue;
    auto j = json::parse(*text, nullptr, false);
    if (!j.is_object()) continue;
    DevNode n;
    n.org = name;
    n.node_id = j.value("nodeId", "");
    n.dir = dir + "/" + name;
    n.config = config;
    n.api = "http://" + j["api"].value("listen", "");
    n.pid = ReadPid(n.dir + "/traceryd.pid");
    nodes.push_back(std::move(n));
  }
  ::closedir(d);
  if (nodes.empty()) return NotFound("no node configurations (DIR/<org>/node.json) in " + dir);
  std::sort(nodes.begin(), nodes.end(), [](const DevNode& a, const DevNode& b) {
    return a.org < b.org;
  });
  return nodes;
}

Result<pid_t> Spawn(const DevNode& n) {
  const std::string traceryd = ExecutableDir() + "/traceryd";
  const std::string log = n.dir + "/traceryd.log";
  pid_t pid = ::fork();
  if (pid < 0) return IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execl(traceryd.c_str(), "traceryd", "--config", n.config.c_str(), nullptr);
    std::fprintf(stderr, "exec %s: %s\n", traceryd.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  // Reap it in a grandchild-free way: the CLI exits soon; init adopts the node.
  RETURN_IF_ERROR(WriteFileAtomic(n.dir + "/traceryd.pid", std::to_string(pid) + "\n"));
  return pid;
}

Result<std::unique_ptr<client::HttpClient>> AuditorClient(const DevNode& n) {
  auto token = ReadFile(n.dir + "/auditor.token");
  if (!token.ok()) return token.status();
  std::string t = *token;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  ASSIGN_OR_RETURN(auto client, client::HttpClient::Create(n.api, 2000));
  client->set_bearer_token(t);
  return client;
}

// Ready: the node serves, and with Raft it knows a leader.
bool Ready(const DevNode& n) {
  auto client = AuditorClient(n);
  if (!client.ok()) return false;
  auto res = (*client)->Request("GET", "/readyz");
  return res.ok() && res->status == 200;
}

Result<uint64_t> Height(const DevNode& n) {
  ASSIGN_OR_RETURN(auto client, AuditorClient(n));
  ASSIGN_OR_RETURN(client::Response res, client->Request("GET", "/v1/ledger/head"));
  if (res.status != 200) return Unavailable(client::DescribeError(res));
  auto j = json::parse(res.body, nullptr, false);
  if (!j.is_object()) return Unavailable("bad head response");
  return j.value("height", uint64_t{0});
}

int Up(const std::string& dir) {
  auto nodes = ListNodes(dir);
  if (!nodes.ok()) return Fail(nodes.status());
  for (DevNode& n : *nodes) {
    if (n.pid != 0) continue;
    auto pid = Spawn(n);
    if (!pid.ok()) return Fail(pid.status());
    n.pid = *pid;
    std::printf("started %s (pid %d), log %s/traceryd.log\n", n.node_id.c_str(), n.pid,
                n.dir.c_str());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (DevNode& n : *nodes) {
    while (!Ready(n)) {
      int status = 0;
      if (::waitpid(n.pid, &status, WNOHANG) == n.pid || ::kill(n.pid, 0) != 0) {
        ::unlink((n.dir + "/traceryd.pid").c_str());
        return Fail("node " + n.node_id + " exited; see " + n.dir + "/traceryd.log");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return Fail("node " + n.node_id + " did not answer at " + n.api + " within 60 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::printf("devnet up: %zu nodes ready\n", nodes->size());
  return kExitOk;
}

int Down(const std::string& dir) {
  auto nodes = ListNodes(dir);
  if (!nodes.ok()) return Fail(nodes.status());
  for (const DevNode& n : *nodes) {
    if (n.pid != 0) ::kill(n.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const DevNode& n : *nodes) {
    if (n.pid == 0) continue;
    while (::kill(n.pid, 0) == 0 && ReadPid(n.dir + "/traceryd.pid") != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(n.pid, SIGKILL);
        break;
      }
      ::waitpid(n.pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::unlink((n.dir + "/traceryd.pid").c_str());
    std::printf("stopped %s\n", n.node_id.c_str());
  }
  return kExitOk;
}

int StatusCmd(const std::string& dir, const std::string& format) {
  auto nodes = ListNodes(dir);
  if (!nodes.ok()) return Fail(nodes.status());
  json out = json::array();
  for (const DevNode& n : *nodes) {
    json row{{"org", n.org}, {"nodeId", n.node_id}, {"api", n.api}, {"running", n.pid != 0}};
    row["pid"] = n.pid == 0 ? json(nullptr) : json(n.pid);
    if (n.pid != 0) {
      auto h = Height(n);
      row["height"] = h.ok() ? json(*h) : json(nullptr);
    }
    out.push_back(row);
  }
  if (format == "json") {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-12s %-16s %-24s %-8s %-8s %s\n", "ORG", "NODE", "API", "PID", "STATE", "HEIGHT");
  for (const json& r : out) {
    std::printf("%-12s %-16s %-24s %-8s %-8s %s\n", r["org"].get<std::string>().c_str(),
                r["nodeId"].get<std::string>().c_str(), r["api"].get<std::string>().c_str(),
                r["pid"].is_null() ? "-" : std::to_string(r["pid"].get<int>()).c_str(),
                r["running"].get<bool>() ? "running" : "stopped",
                r.contains("height") && !r["height"].is_null()
                    ? std::to_string(r["height"].get<uint64_t>()).c_str()
                    : "-");
  }
  return kExitOk;
}

}  // namespace

int DevnetCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()), {"dir", "format"}, {"help"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  auto dir = args->Require("dir");
  if (!dir.ok()) return Fail(dir.status());
  auto format = args->Format({"table", "json"});
  if (!format.ok()) return Fail(format.status());
  if (argv[0] == "up") return Up(*dir);
  if (argv[0] == "down") return Down(*dir);
  if (argv[0] == "status") return StatusCmd(*dir, *format);
  return Fail("unknown subcommand 'devnet " + argv[0] + "'\n" + kHelp);
}

}  // namespace tracery::cli

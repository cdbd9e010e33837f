// Test helpers that run the real binaries: `tracery genesis init` for a consortium folder,
// traceryd processes started and killed by pid, and HTTP clients for their APIs.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.h"
#include "tracery/core/key_file.h"

namespace tracery::e2e {

inline std::string Bin(const std::string& name) { return std::string(TRACERY_BIN_DIR) + "/" + name; }

// Runs a command, returns its exit code and (in *out) its standard output.
inline int RunCommand(const std::string& command, std::string* out = nullptr) {
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  int status = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

inline int FreePortBase() {
  // Spread test processes over ports so parallel ctest runs do not collide. Every port a test
  // uses (base .. base + 299) stays below Linux's ephemeral range (32768 and up), where an
  // outgoing connection could take it, or connect to itself.
  return 2000 + static_cast<int>(::getpid() % 3000) * 10;
}

class Consortium {
 public:
  explicit Consortium(const std::string& orgs, const std::string& consensus = "solo") {
    char tmpl[] = "/tmp/tracery-e2e-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    base_port_ = FreePortBase();
    const int rc = RunCommand(Bin("tracery") + " genesis init --consensus " + consensus + " --orgs " + orgs +
                       " --out " + dir_ + " --base-port " + std::to_string(base_port_));
    if (rc != 0) std::abort();
    size_t start = 0;
    while (start <= orgs.size()) {
      size_t end = orgs.find(',', start);
      if (end == std::string::npos) end = orgs.size();
      orgs_.push_back(orgs.substr(start, end - start));
      start = end + 1;
    }
    pids_.assign(orgs_.size(), 0);
  }
  ~Consortium() {
    for (pid_t pid : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    if (std::getenv("TRACERY_KEEP_TEST_DIRS") == nullptr) RunCommand("rm -rf " + dir_);
  }

  const std::string& dir() const { return dir_; }
  size_t size() const { return orgs_.size(); }
  int base_port() const { return base_port_; }
  // The p2p port the genesis names for node i (genesis init: base + 100 + i).
  int p2p_port(size_t i) const { return base_port_ + 100 + static_cast<int>(i); }
  std::string org_dir(size_t i) const { return dir_ + "/" + orgs_[i]; }
  std::string url(size_t i) const { return "http://127.0.0.1:" + std::to_string(base_port_ + i); }
  std::string token(size_t i, const std::string& role) const {
    return Trim(ReadFile(org_dir(i) + "/" + role + ".token").value());
  }
  pid_t pid(size_t i) const { return pids_[i]; }

  // Starts traceryd for org i and waits until /healthz answers.
  bool Start(size_t i) {
    std::fflush(nullptr);  // or the child's freopen writes the test's buffered output again
    pid_t pid = ::fork();
    if (pid == 0) {
      // The node dies with the test process, and holds none of the test's output pipes
      // (ctest waits for every holder of its pipe).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close_range(3, ~0u, 0);  // no descriptor of the test (sockets, pipes) lives on in the node
      const std::string log = org_dir(i) + "/traceryd.log";
      if (std::freopen(log.c_str(), "a", stderr) == nullptr) ::_exit(126);
      if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
      const std::string config = org_dir(i) + "/node.json";
      ::execl(Bin("traceryd").c_str(), "traceryd", "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
    pids_[i] = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = client::HttpClient::Create(url(i), 1000);
      if (c.ok()) {
        auto r = (*c)->Request("GET", "/healthz");
        if (r.ok() && r->status == 200) return true;
      }
      int status;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pids_[i] = 0;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Sends a signal and waits for the process; returns its exit status (or -signal).
  int Stop(size_t i, int sig) {
    if (pids_[i] <= 0) return -1000;
    ::kill(pids_[i], sig);
    int status = 0;
    ::waitpid(pids_[i], &status, 0);
    pids_[i] = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  std::unique_ptr<client::HttpClient> Client(size_t i, const std::string& role) const {
    auto c = client::HttpClient::Create(url(i), 30000).value();
    c->set_bearer_token(token(i, role));
    return c;
  }

 private:
  std::string dir_;
  int base_port_ = 0;
  std::vector<std::string> orgs_;
  std::vector<pid_t> pids_;
};

// Sends a JSON request, expects HTTP status `expect` (a test failure otherwise, naming the
// request and the answer) and returns the answer parsed (discarded when not JSON).
inline nlohmann::json Call(client::HttpClient* c, const std::string& method,
                           const std::string& target, const nlohmann::json& body, int expect) {
  auto r = c->Request(method, target, body.is_null() ? "" : body.dump(),
                      {{"Content-Type", "application/json"}});
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return nlohmann::json();
  EXPECT_EQ(r->status, expect) << method << " " << target << ": " << r->body;
  return nlohmann::json::parse(r->body, nullptr, false);
}

inline std::string CheckpointJson(const std::string& event_id, int serial = 1) {
  return nlohmann::json{{"eventID", event_id},
                        {"type", "ObjectEvent"},
                        {"action", "OBSERVE"},
                        {"bizStep", "shipping"},
                        {"disposition", "in_transit"},
                        {"eventTime", "2026-11-27T10:00:00.000+01:00"},
                        {"readPoint", {{"id", "urn:epc:id:sgln:0614141.00001.0"}}},
                        {"epcList", {"urn:epc:id:sgtin:0614141.107346." + std::to_string(serial)}}}
      .dump();
}

}  // namespace tracery::e2e

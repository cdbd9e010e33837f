// tracery events import: capture EPCIS documents through a node, with a progress bar.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "client_util.h"
#include "commands.h"
#include "tracery/core/key_file.h"
#include "tracery/epcis/document.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kHelp =
    "usage: tracery events import --node URL (--token T | --token-file F)\n"
    "                             [--proceed] [--timeout SECONDS] FILE...\n\n"
    "Captures each EPCIS 2.0 document (JSON-LD or XML; EPCIS 1.2 XML too) through the node's\n"
    "POST /v1/capture and follows each capture job until every event is committed, showing\n"
    "progress on stderr. --proceed captures the valid events of a document and reports the\n"
    "others (GS1-Capture-Error-Behaviour: proceed); by default a document with an invalid\n"
    "event is refused whole. Exit 0 when every event committed, 1 when a document or an event\n"
    "was refused, 2 on usage, I/O or network errors.\n";

struct Progress {
  size_t total = 0;
  size_t committed = 0;
  size_t failed = 0;
  void Show(bool done) const {
    if (!::isatty(STDERR_FILENO)) return;
    const size_t width = 30;
    const size_t filled = total == 0 ? width : (committed + failed) * width / total;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu events committed%s%s",
                 std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
                 committed, total, failed ? (", " + std::to_string(failed) + " failed").c_str() : "",
                 done ? "\n" : "");
  }
};

struct JobCount {
  size_t committed = 0;
  size_t failed = 0;
  bool running = true;
};

JobCount Count(const json& job) {
  JobCount c;
  c.running = job.value("running", true);
  for (const json& e : job["events"]) {
    const std::string status = e.value("status", "");
    // "stored": kept off-chain by the node's anchoring policy; done as committed is.
    if (status == "committed" || status == "stored") ++c.committed;
    if (status == "failed") ++c.failed;
  }
  return c;
}

int Import(const Args& args) {
  if (args.positional().empty()) return Fail("give at least one FILE");
  auto client = ConnectFromArgs(args);
  if (!client.ok()) return Fail(client.status());
  int64_t timeout_s = 0;
  const std::string timeout_text = args.Get("timeout", "120");
  auto [end, ec] = std::from_chars(timeout_text.data(), timeout_text.data() + timeout_text.size(),
                                   timeout_s);
  if (ec != std::errc() || end != timeout_text.data() + timeout_text.size() || timeout_s < 1) {
    return Fail("--timeout: a whole number of seconds, at least 1");
  }
  Progress progress;
  std::vector<std::pair<std::string, std::string>> jobs;  // file, job location
  bool refused = false;
  for (const std::string& file : args.positional()) {
    auto text = ReadFile(file);
    if (!text.ok()) return Fail(text.status());
    std::map<std::string, std::string> headers;
    headers["Content-Type"] = epcis::DetectBinding(*text, "") == epcis::Binding::kXml
                                  ? "application/xml"
                                  : "application/ld+json";
    if (args.Has("proceed")) headers["GS1-Capture-Error-Behaviour"] = "proceed";
    auto res = (*client)->Request("POST", "/v1/capture", *text, headers);
    if (!res.ok()) return Fail(res.status());
    if (res->status == 400) {
      if (progress.total) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "tracery: %s refused: %s\n", file.c_str(),
                   client::DescribeError(*res).c_str());
      refused = true;
      continue;
    }
    if (res->status != 202) return Fail(file + ": " + client::DescribeError(*res));
    const json job = json::parse(res->body, nullptr, false);
    progress.total += job["events"].size();
    jobs.emplace_back(file, res->headers["location"]);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::vector<JobCount> counts(jobs.size());
  for (;;) {
    progress.committed = progress.failed = 0;
    bool running = false;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (counts[i].running) {
        auto res = (*client)->Request("GET", jobs[i].second);
        if (!res.ok()) return Fail(res.status());
        if (res->status != 200) return Fail(jobs[i].first + ": " + client::DescribeError(*res));
        const json job = json::parse(res->body, nullptr, false);
        counts[i] = Count(job);
        if (!counts[i].running) {
          for (const json& e : job["errors"]) {
            std::fprintf(stderr, "%stracery: %s: event %zu refused: %s\n",
                         ::isatty(STDERR_FILENO) ? "\n" : "", jobs[i].first.c_str(),
                         e.value("index", size_t{0}), e.value("detail", "").c_str());
          }
        }
      }
      progress.committed += counts[i].committed;
      progress.failed += counts[i].failed;
      running = running || counts[i].running;
    }
    progress.Show(!running);
    if (!running) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail("timed out after " + std::to_string(timeout_s) +
                  " s with events still pending; the capture jobs go on: " +
                  (jobs.empty() ? "" : jobs.front().second));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("%zu events committed, %zu refused, from %zu of %zu files\n", progress.committed,
              progress.failed, jobs.size(), args.positional().size());
  return refused || progress.failed ? kExitNegative : kExitOk;
}

}  // namespace

int EventsCommand(const Argv& argv) {
  if (auto code = HelpForSubcommand(argv, kHelp)) return *code;
  std::set<std::string> flags = kClientFlags;
  flags.insert("timeout");
  auto args = Args::Parse(Argv(argv.begin() + 1, argv.end()), flags, {"help", "proceed"});
  if (!args.ok()) return Fail(args.status());
  if (args->Has("help")) return PrintHelp(kHelp);
  if (argv[0] == "import") return Import(*args);
  return Fail("unknown subcommand 'events " + argv[0] + "'\n" + kHelp);
}

}  // namespace tracery::cli

#include "erp_inbox.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "scm_service.h"
#include "tracery/core/key_file.h"

namespace tracery::node {

namespace fs = std::filesystem;

// A file still being written is left for a later pass.
constexpr auto kSettle = std::chrono::seconds(1);
constexpr size_t kMaxFilesPerPass = 100;

ErpInbox::ErpInbox(std::string dir, ScmService* scm) : dir_(std::move(dir)), scm_(scm) {}

ErpInbox::~ErpInbox() { Stop(); }

void ErpInbox::Start() {
  std::error_code ec;
  for (const char* sub : {"", "/imported", "/refused"}) fs::create_directories(dir_ + sub, ec);
  thread_ = std::thread([this] { Run(); });
}

void ErpInbox::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ErpInbox::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ScanOnce();
    lock.lock();
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

size_t ErpInbox::ScanOnce() {
  std::vector<fs::path> files;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.starts_with(".")) continue;
    auto mtime = e.last_write_time(ec);
    if (ec || now - mtime < kSettle) continue;
    files.push_back(e.path());
    if (files.size() == kMaxFilesPerPass) break;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    auto bytes = ReadFile(file.string());
    if (!bytes.ok()) continue;  // gone or unreadable now: the next pass sees
    scm_core::ErpProblem problem;
    auto summary = scm_->ImportErp(*bytes, scm_core::ErpFormatHint::kAuto, "inbox:" + name,
                                   &problem);
    const bool imported = summary.ok();
    if (!imported) {
      nlohmann::json why{{"file", name}, {"detail", summary.status().message()}};
      if (!problem.rule.empty()) {
        why["where"] = problem.where;
        why["rule"] = problem.rule;
      }
      (void)WriteFileAtomic(dir_ + "/refused/" + name + ".problem.json", why.dump(2) + "\n");
      std::fprintf(stderr, "traceryd: ERP inbox: %s refused: %s\n", name.c_str(),
                   summary.status().message().c_str());
    }
    fs::rename(file, fs::path(dir_) / (imported ? "imported" : "refused") / name, ec);
  }
  return files.size();
}

}  // namespace tracery::node

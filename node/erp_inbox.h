// The ERP inbox: a folder the partner's ERP (or an SFTP drop) writes documents into. A thread
// picks up each file once it has not changed for a second, imports it through the SCM service
// (ScmService::ImportErp) and moves it to imported/ or refused/ (with <name>.problem.json
// saying why). Hidden files (".name", how writers stage a file before renaming it) are left.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tracery::node {

class ScmService;

class ErpInbox {
 public:
  ErpInbox(std::string dir, ScmService* scm);
  ~ErpInbox();  // stops the thread
  void Start();
  void Stop();
  // One pass over the folder (the thread calls it every second). Returns the files handled.
  size_t ScanOnce();

 private:
  void Run();

  const std::string dir_;
  ScmService* const scm_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace tracery::node

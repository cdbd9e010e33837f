// Named queries of the EPCIS 2.0 REST binding (POST /v1/queries, GET /v1/queries/{name}/events):
// each is a name and its SimpleEventQuery parameters as JSON, kept in LevelDB.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tracery/core/status.h"

namespace leveldb {
class DB;
}

namespace tracery::node {

// Bytes of a query name: letters, digits, '-', '_' and '.'.
inline constexpr size_t kMaxQueryNameBytes = 128;

class NamedQueries {
 public:
  static Result<std::unique_ptr<NamedQueries>> Open(const std::string& dir);
  ~NamedQueries();

  // AlreadyExists when the name is taken; InvalidArgument for a bad name. Synced.
  Status Create(const std::string& name, const nlohmann::json& params);
  Result<nlohmann::json> Get(const std::string& name) const;
  Result<std::vector<std::string>> Names() const;
  Status Delete(const std::string& name);

 private:
  explicit NamedQueries(std::unique_ptr<leveldb::DB> db);
  std::unique_ptr<leveldb::DB> db_;
  mutable std::mutex mu_;  // Create checks and writes under it
};

}  // namespace tracery::node

#include "named_queries.h"

#include <leveldb/db.h>

#include "tracery/core/leveldb.h"

namespace tracery::node {
namespace {

constexpr char kQueryPrefix = 'q';

Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > kMaxQueryNameBytes) {
    return InvalidArgument("name: 1 to " + std::to_string(kMaxQueryNameBytes) + " characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return InvalidArgument("name: only letters, digits, '-', '_' and '.'");
  }
  return Status::Ok();
}

std::string Key(const std::string& name) { return std::string(1, kQueryPrefix) + name; }

}  // namespace

NamedQueries::NamedQueries(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}
NamedQueries::~NamedQueries() = default;

Result<std::unique_ptr<NamedQueries>> NamedQueries::Open(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<leveldb::DB> db, OpenLevelDb(dir, "named query store"));
  return std::unique_ptr<NamedQueries>(new NamedQueries(std::move(db)));
}

Status NamedQueries::Create(const std::string& name, const nlohmann::json& params) {
  RETURN_IF_ERROR(CheckName(name));
  std::lock_guard lock(mu_);
  std::string ignored;
  leveldb::Status s = db_->Get(CheckedRead(), Key(name), &ignored);
  if (s.ok()) return AlreadyExists("a query named '" + name + "' exists");
  if (!s.IsNotFound()) return FromLevelDb(s, "read named query");
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, Key(name), params.dump()), "write named query");
}

Result<nlohmann::json> NamedQueries::Get(const std::string& name) const {
  std::string value;
  leveldb::Status s = db_->Get(CheckedRead(), Key(name), &value);
  if (s.IsNotFound()) return NotFound("no query named '" + name + "'");
  RETURN_IF_ERROR(FromLevelDb(s, "read named query"));
  nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("named query '" + name + "' does not parse");
  return j;
}

Result<std::vector<std::string>> NamedQueries::Names() const {
  std::vector<std::string> names;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  for (it->Seek(std::string(1, kQueryPrefix)); it->Valid() && it->key()[0] == kQueryPrefix;
       it->Next()) {
    names.push_back(it->key().ToString().substr(1));
  }
  RETURN_IF_ERROR(FromLevelDb(it->status(), "read named queries"));
  return names;
}

Status NamedQueries::Delete(const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(nlohmann::json ignored, Get(name));
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Delete(wo, Key(name)), "delete named query");
}

}  // namespace tracery::node

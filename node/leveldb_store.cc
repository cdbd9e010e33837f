#include "leveldb_store.h"

namespace tracery::node {

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Corruption(what + ": " + s.ToString());
  return IoError(what + ": " + s.ToString());
}

Result<std::unique_ptr<leveldb::DB>> OpenLevelDb(const std::string& dir, const std::string& what) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  leveldb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(options, dir, &raw), "open " + what + " " + dir));
  return std::unique_ptr<leveldb::DB>(raw);
}

}  // namespace tracery::node

#include "tracery/core/leveldb.h"

namespace tracery {

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Corruption(what + ": " + s.ToString());
  if (s.IsNotFound()) return NotFound(what);
  return IoError(what + ": " + s.ToString());
}

Result<std::unique_ptr<leveldb::DB>> OpenLevelDb(const std::string& dir, const std::string& what,
                                                 size_t write_buffer_bytes) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = write_buffer_bytes;
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Unavailable(what + " " + dir + " is in use by another process (" + s.ToString() + ")");
  }
  RETURN_IF_ERROR(FromLevelDb(s, "open " + what + " " + dir));
  return std::unique_ptr<leveldb::DB>(raw);
}

leveldb::ReadOptions CheckedRead() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

}  // namespace tracery

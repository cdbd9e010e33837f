// Private to scm-core: the big-endian byte reader and writers of the telemetry formats
// (batches, envelopes, registry records, rule state, excursion events).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tracery/core/encoding.h"
#include "tracery/core/status.h"

namespace tracery::scm_core::codec {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}
inline void PutI64(std::string* out, int64_t v) { PutBe64(out, static_cast<uint64_t>(v)); }
// A string of at most 255 bytes, after a one-byte length. REQUIRES: s.size() <= 255.
void PutShort(std::string* out, std::string_view s);
// A string of any length below 4 GiB, after a four-byte length.
void PutLong(std::string* out, std::string_view s);

// Reads fields in order; the first failure sticks and names the field that was short.
class Reader {
 public:
  Reader(std::string_view in, const char* what) : in_(in), what_(what) {}
  bool U8(uint8_t* v, const char* field);
  bool U16(uint16_t* v, const char* field);
  bool U32(uint32_t* v, const char* field);
  bool U64(uint64_t* v, const char* field);
  bool I64(int64_t* v, const char* field);
  bool Bytes(size_t n, std::string_view* v, const char* field);
  bool Short(std::string_view* v, const char* field);
  bool Long(std::string_view* v, const char* field);
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  // The error of the first failed read, or of trailing bytes after the last field.
  Status Finish() const;
  Status Fail(const std::string& message);

 private:
  bool Need(size_t n, const char* field);
  std::string_view in_;
  const char* what_;
  size_t pos_ = 0;
  Status status_;
};

}  // namespace tracery::scm_core::codec

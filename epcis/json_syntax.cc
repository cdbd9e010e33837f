#include "json_syntax.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "tracery/epcis/checkpoint_json.h"

namespace tracery::epcis {
namespace {

using nlohmann::json;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

Status Invalid(const std::string& path, std::string_view what) {
  return InvalidArgument(path + ": " + std::string(what));
}

Result<double> ParseDecimal(std::string_view s, const std::string& path) {
  if (s.size() > kMaxIdentifierBytes) return IdentifierTooLong(path, s.size());
  if (StartsWith(s, "-")) return Invalid(path, "must not be negative");
  if (!IsDecimal(s)) return Invalid(path, "not a decimal number: " + Shown(s));
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc::result_out_of_range) return Invalid(path, "out of range: " + Shown(s));
  TRACERY_CHECK(ec == std::errc());
  TRACERY_CHECK(end == s.data() + s.size());
  return d;
}

std::string DepthMessage() {
  return "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels (kMaxJsonDepth)";
}

// Where the parser is: one frame per open object or array, outermost first. The member of a
// frame's container that is being parsed is `key` (objects) or `index` (arrays).
class PathTracker {
 public:
  void Open(bool is_object) { frames_.push_back(Frame{is_object, {}, 0, {}}); }
  void Close() {
    frames_.pop_back();
    ElementDone();
  }
  // A scalar value ended: the next element of an array follows.
  void ElementDone() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }
  // False when the key occurred before in the innermost object.
  bool Key(const std::string& key) {
    Frame& top = frames_.back();
    top.key = key;
    return top.keys.insert(key).second;
  }
  // The path of the element being parsed in the innermost container ("" at the root).
  std::string Path() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.is_object) {
        if (!path.empty()) path += '.';
        path += f.key;
      } else {
        path += "[" + std::to_string(f.index) + "]";
      }
    }
    return path;
  }

 private:
  struct Frame {
    bool is_object;
    std::string key;
    size_t index;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames_;
};

// Thrown from the parser callback to stop parsing; caught in ParseJsonText.
struct Stop {
  JsonTextProblem problem;
};

}  // namespace

Status IdentifierTooLong(const std::string& path, size_t size) {
  return InvalidArgument(path + ": " + std::to_string(size) + " bytes exceed the limit of " +
                         std::to_string(kMaxIdentifierBytes) +
                         " bytes per identifier (kMaxIdentifierBytes)");
}

std::string Shown(std::string_view text) {
  constexpr size_t kMaxShown = 100;
  if (text.size() <= kMaxShown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
}

bool HasSpaceOrControl(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

Status CheckIdentifier(std::string_view s, const std::string& path) {
  if (s.empty()) return Invalid(path, "must not be empty");
  if (s.size() > kMaxIdentifierBytes) return IdentifierTooLong(path, s.size());
  if (HasSpaceOrControl(s)) return Invalid(path, "must not contain spaces or control characters");
  return Status::Ok();
}

bool IsAbsoluteUri(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (char c : s.substr(1, colon - 1)) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

bool IsUom(std::string_view s) {
  if (s.size() < 2 || s.size() > 3) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool IsDecimal(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Result<std::string> FormatQuantity(double d, const std::string& path) {
  if (!std::isfinite(d)) return Invalid(path, "must be a finite number");
  if (d < 0) return Invalid(path, "must not be negative");
  if (d >= static_cast<double>(kMaxQuantity)) {
    return InvalidArgument(path + ": must be below 2^53 (kMaxQuantity)");
  }
  if (d == std::floor(d)) return std::to_string(static_cast<uint64_t>(d));  // also -0 → "0"
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  TRACERY_CHECK(ec == std::errc());
  return std::string(buf, end);
}

Result<std::string> CanonicalQuantity(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u >= kMaxQuantity) return InvalidArgument(path + ": must be below 2^53 (kMaxQuantity)");
    return std::to_string(u);
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return Invalid(path, "must not be negative");
    return FormatQuantity(static_cast<double>(i), path);
  }
  if (v.is_number_float()) return FormatQuantity(v.get<double>(), path);
  if (v.is_string()) {
    ASSIGN_OR_RETURN(double d, ParseDecimal(v.get_ref<const std::string&>(), path));
    return FormatQuantity(d, path);
  }
  return Invalid(path, "expected a number or a decimal string");
}

Status CheckDepth(const json& root, const std::string& path) {
  std::vector<std::pair<const json*, size_t>> pending = {{&root, 1}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (!value->is_structured()) continue;
    if (depth > kMaxJsonDepth) return InvalidArgument(path + ": " + DepthMessage());
    for (const json& child : *value) pending.emplace_back(&child, depth + 1);
  }
  return Status::Ok();
}

std::optional<JsonTextProblem> ParseJsonText(std::string_view text, json* out) {
  PathTracker tracker;
  json::parser_callback_t callback = [&tracker](int depth, json::parse_event_t event,
                                                json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) >= kMaxJsonDepth) {
          throw Stop{{JsonTextProblem::Kind::kDepth, tracker.Path(), DepthMessage()}};
        }
        tracker.Open(event == json::parse_event_t::object_start);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        tracker.Close();
        break;
      case json::parse_event_t::key:
        if (!tracker.Key(parsed.get<std::string>())) {
          throw Stop{{JsonTextProblem::Kind::kDuplicateMember, tracker.Path(),
                      "duplicate member " + Shown(parsed.get<std::string>()) + " in an object"}};
        }
        break;
      case json::parse_event_t::value:
        tracker.ElementDone();
        break;
    }
    return true;
  };
  try {
    *out = json::parse(text.begin(), text.end(), callback);
    return std::nullopt;
  } catch (const Stop& stop) {
    return stop.problem;
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return JsonTextProblem{JsonTextProblem::Kind::kSyntax, "",
                           "not valid JSON at byte " + std::to_string(e.byte) + ": " + what};
  } catch (const json::exception& e) {
    return JsonTextProblem{JsonTextProblem::Kind::kSyntax, "",
                           std::string("not valid JSON: ") + e.what()};
  }
}

}  // namespace tracery::epcis

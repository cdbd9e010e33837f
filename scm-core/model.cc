#include "tracery/scm_core/model.h"

#include <limits>

#include "tracery/core/encoding.h"

namespace tracery::scm_core {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  auto refuse = [&](const char* why) {
    return InvalidArgument("quantity \"" + std::string(text.substr(0, 40)) + "\": " + why);
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return refuse("not a decimal number");
  if ((!whole.empty() && !AllDigits(whole)) || (!fraction.empty() && !AllDigits(fraction))) {
    return refuse("not a decimal number");
  }
  if (dot != std::string_view::npos && fraction.empty()) return refuse("not a decimal number");
  // Trailing zeros beyond the third decimal carry no value ("1.2500").
  while (fraction.size() > 3 && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 3) return refuse("more than three decimals");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000 - 1;
  int64_t units = 0;
  for (char c : whole) {
    if (units > (kMax - (c - '0')) / 10) return refuse("too large");
    units = units * 10 + (c - '0');
  }
  int64_t thousandths = 0;
  for (size_t i = 0; i < 3; ++i) {
    thousandths = thousandths * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  int64_t value = units * 1000 + thousandths;
  return Quantity{negative ? -value : value};
}

std::string Quantity::ToString() const {
  // Unsigned magnitude: the most negative value has no positive twin in int64_t.
  uint64_t magnitude = thousandths < 0 ? 0 - static_cast<uint64_t>(thousandths)
                                       : static_cast<uint64_t>(thousandths);
  std::string out = thousandths < 0 ? "-" : "";
  out += std::to_string(magnitude / 1000);
  uint64_t fraction = magnitude % 1000;
  if (fraction != 0) {
    std::string digits = std::to_string(1000 + fraction).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

bool IsValidGs1Key(std::string_view digits, size_t length) {
  if (digits.size() != length || !AllDigits(digits)) return false;
  return Gs1CheckDigit(digits.substr(0, length - 1)) == digits.back();
}

Result<std::string> NormaliseGtin(std::string_view digits) {
  if (!AllDigits(digits) || (digits.size() != 8 && digits.size() != 12 && digits.size() != 13 &&
                             digits.size() != 14)) {
    return InvalidArgument("GTIN \"" + std::string(digits.substr(0, 40)) +
                           "\": not 8, 12, 13 or 14 digits");
  }
  std::string gtin = std::string(14 - digits.size(), '0') + std::string(digits);
  if (!IsValidGtin(gtin)) {
    return InvalidArgument("GTIN \"" + std::string(digits) + "\": wrong check digit");
  }
  return gtin;
}

}  // namespace tracery::scm_core

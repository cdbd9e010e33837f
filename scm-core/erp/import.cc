// The entry point of the ERP readers: format detection, limits, and the shared helpers.
#include <cstdio>

#include "erp/erp_internal.h"

namespace tracery::scm_core {

const char* ErpFormatName(ErpFormat format) {
  switch (format) {
    case ErpFormat::kX12: return "x12";
    case ErpFormat::kEdifact: return "edifact";
    case ErpFormat::kCsv: return "csv";
    case ErpFormat::kJson: return "json";
  }
  return "?";
}

std::string ErpProblem::ToString() const {
  return (where.empty() ? std::string("document") : where) + ": " + rule + ": " + detail;
}

namespace erp {

Status Refuse(ErpProblem* problem, std::string where, std::string rule, std::string detail,
              Code code) {
  problem->where = std::move(where);
  problem->rule = std::move(rule);
  problem->detail = std::move(detail);
  return Status(code, problem->ToString());
}

std::string Shown(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 40) out += "...";
  return out + "\"";
}

std::string_view StripBom(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string DateFromDigits(std::string_view s) {
  if (!AllDigits(s)) return "";
  std::string year;
  if (s.size() == 8) {
    year = std::string(s.substr(0, 4));
    s.remove_prefix(4);
  } else if (s.size() == 6) {
    year = (s.substr(0, 2) < "50" ? "20" : "19") + std::string(s.substr(0, 2));
    s.remove_prefix(2);
  } else {
    return "";
  }
  int month = (s[0] - '0') * 10 + (s[1] - '0');
  int day = (s[2] - '0') * 10 + (s[3] - '0');
  const int y = std::stoi(year);
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return "";
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return "";
  return year + "-" + std::string(s.substr(0, 2)) + "-" + std::string(s.substr(2, 2));
}

std::string TimeFromDigits(std::string_view s) {
  if (s.size() < 4 || !AllDigits(s)) return "";
  int hh = (s[0] - '0') * 10 + (s[1] - '0');
  int mm = (s[2] - '0') * 10 + (s[3] - '0');
  int ss = s.size() >= 6 ? (s[4] - '0') * 10 + (s[5] - '0') : 0;
  if (hh > 23 || mm > 59 || ss > 59) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", hh, mm, ss);
  return buf;
}

std::string X12UnitToRec20(std::string_view unit) {
  static constexpr std::pair<std::string_view, std::string_view> kTable[] = {
      {"LB", "LBR"}, {"KG", "KGM"}, {"CA", "CS"}, {"PC", "H87"},
      {"DZ", "DZN"}, {"GA", "GLL"}, {"LT", "LTR"}, {"FT", "FOT"}};
  for (const auto& [x12, rec20] : kTable) {
    if (unit == x12) return std::string(rec20);
  }
  if (unit.size() < 2 || unit.size() > 3) return "";
  for (char c : unit) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return "";
  }
  return std::string(unit);
}

Result<std::string> GtinOf(std::string_view digits) { return NormaliseGtin(digits); }

void AddWarning(ErpImport* out, ErpWarning warning) {
  if (out->warnings.size() < kMaxErpWarnings) {
    out->warnings.push_back(std::move(warning));
  } else {
    ++out->warnings_dropped;
  }
}

void AddParty(ErpImport* out, Party party, const MappingRef& mapping) {
  for (const Party& p : out->parties) {
    if (p.role == party.role && p.id == party.id) return;
  }
  out->parties.push_back(std::move(party));
  out->party_mappings.push_back(mapping);
}

}  // namespace erp

namespace {

ErpFormat Detect(std::string_view bytes) {
  std::string_view s = erp::StripBom(bytes);
  while (!s.empty() && erp::IsBlank(s.front())) s.remove_prefix(1);
  if (s.substr(0, 3) == "ISA") return ErpFormat::kX12;
  if (s.substr(0, 3) == "UNA" || s.substr(0, 3) == "UNB") return ErpFormat::kEdifact;
  if (!s.empty() && s.front() == '{') return ErpFormat::kJson;
  return ErpFormat::kCsv;
}

}  // namespace

Result<ErpImport> ImportErpDocument(std::string_view bytes, ErpFormatHint hint,
                                    ErpProblem* problem) {
  ErpProblem local;
  ErpProblem* p = problem != nullptr ? problem : &local;
  *p = {};
  if (bytes.size() > kMaxErpDocumentBytes) {
    return erp::Refuse(p, "document", "limit.document_bytes",
                       std::to_string(bytes.size()) + " bytes, more than the limit of " +
                           std::to_string(kMaxErpDocumentBytes),
                       Code::kResourceExhausted);
  }
  ErpFormat format = ErpFormat::kCsv;
  switch (hint) {
    case ErpFormatHint::kAuto: format = Detect(bytes); break;
    case ErpFormatHint::kX12: format = ErpFormat::kX12; break;
    case ErpFormatHint::kEdifact: format = ErpFormat::kEdifact; break;
    case ErpFormatHint::kCsv: format = ErpFormat::kCsv; break;
    case ErpFormatHint::kJson: format = ErpFormat::kJson; break;
  }
  ErpImport out;
  out.format = format;
  Status status;
  switch (format) {
    case ErpFormat::kX12: status = erp::ImportX12(bytes, &out, p); break;
    case ErpFormat::kEdifact: status = erp::ImportEdifact(bytes, &out, p); break;
    case ErpFormat::kCsv: status = erp::ImportCsv(bytes, &out, p); break;
    case ErpFormat::kJson: status = erp::ImportJson(bytes, &out, p); break;
  }
  if (!status.ok()) return status;
  return out;
}

}  // namespace tracery::scm_core

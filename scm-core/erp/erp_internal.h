// Helpers shared by the ERP document readers (private to scm-core).
#pragma once

#include <string>
#include <string_view>

#include "tracery/core/status.h"
#include "tracery/scm_core/erp.h"

namespace tracery::scm_core::erp {

// Fills *problem and returns its Status (InvalidArgument unless `code` says otherwise).
Status Refuse(ErpProblem* problem, std::string where, std::string rule, std::string detail,
              Code code = Code::kInvalidArgument);
// `s` quoted for a message: at most 40 bytes, control bytes as \xNN.
std::string Shown(std::string_view s);
// The text after a UTF-8 byte-order mark, if any.
std::string_view StripBom(std::string_view s);
bool IsBlank(char c);
bool AllDigits(std::string_view s);
// CCYYMMDD or YYMMDD (YY < 50 → 20YY) → YYYY-MM-DD; empty on anything else.
std::string DateFromDigits(std::string_view s);
// HHMM, HHMMSS or HHMMSSd.. → HH:MM:SS; empty on anything else.
std::string TimeFromDigits(std::string_view s);
// An X12 unit of measure (code list 355) as a UN/ECE Recommendation 20 code: the few that
// differ are translated (LB → LBR, KG → KGM, CA → CS, PC → H87, DZ → DZN, GA → GLL, LT → LTR,
// FT → FOT), other 2–3 character upper-case codes kept; empty when not such a code.
std::string X12UnitToRec20(std::string_view unit);
// A GTIN of a GTIN qualifier (X12 UP/UK/EN/UA, EDIFACT EN/SRV) normalised to 14 digits, or the
// error of NormaliseGtin.
Result<std::string> GtinOf(std::string_view digits);
// Appends a warning while fewer than kMaxErpWarnings are kept, else counts it.
void AddWarning(ErpImport* out, ErpWarning warning);
// Appends a party and its mapping unless the same (role, id) is already there.
void AddParty(ErpImport* out, Party party, const MappingRef& mapping);

Status ImportX12(std::string_view bytes, ErpImport* out, ErpProblem* problem);
Status ImportEdifact(std::string_view bytes, ErpImport* out, ErpProblem* problem);
Status ImportCsv(std::string_view bytes, ErpImport* out, ErpProblem* problem);
Status ImportJson(std::string_view bytes, ErpImport* out, ErpProblem* problem);

}  // namespace tracery::scm_core::erp

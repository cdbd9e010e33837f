// The FDA FSMA 204 electronic sortable spreadsheet of a recall: one row per critical tracking
// event (CTE) and traceability lot code (TLC) with its key data elements, and a legend sheet of
// the location and product codes it uses (docs/scm.md, "FSMA 204 export").
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tracery/core/status.h"
#include "xlsx.h"

namespace tracery::cli {

// `exposure`: GET /v1/recalls/{lot}/exposure. `event_of(eventID)`: the captured EPCIS event
// (JSON) of a checkpoint. `masterdata`: GET /v1/masterdata (may be null: no descriptions).
// Returns the "Traceability records" sheet and the "Legend" sheet.
Result<std::vector<Sheet>> Fsma204Sheets(
    const nlohmann::json& exposure,
    const std::function<Result<nlohmann::json>(const std::string&)>& event_of,
    const nlohmann::json& masterdata);

}  // namespace tracery::cli

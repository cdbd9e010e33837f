// A minimal Office Open XML workbook writer (ECMA-376, SpreadsheetML) for sortable exports:
// sheets of text cells (inline strings), a bold, frozen header row and an autofilter, stored in
// a ZIP archive without compression. Enough for any spreadsheet program to open and sort.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tracery::cli {

struct Sheet {
  std::string name;  // at most 31 characters, none of the characters [ ] : * ? / and backslash
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// The bytes of an .xlsx file holding `sheets` in order.
std::string WriteXlsx(const std::vector<Sheet>& sheets);

// The CRC-32 of ZIP (ISO 3309, reflected polynomial 0xEDB88320).
uint32_t Crc32(std::string_view data);

}  // namespace tracery::cli

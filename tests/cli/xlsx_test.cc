#include "xlsx.h"

#include <gtest/gtest.h>

namespace tracery::cli {
namespace {

uint32_t U32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

TEST(Xlsx, Crc32MatchesTheCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value of ISO 3309
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(Xlsx, AWorkbookIsAConsistentZipOfItsParts) {
  Sheet s{"Records", {"Lot", "Note"}, {{"L1", "a < b & \"c\""}, {"L2", "bell\x07gone"}}};
  std::string zip = WriteXlsx({s, Sheet{"Legend", {"Code"}, {}}});
  // End of central directory: 7 entries (content types, rels, workbook, its rels, styles,
  // two sheets), and the central directory where it says.
  const size_t eocd = zip.size() - 22;
  ASSERT_EQ(U32(zip, eocd), 0x06054b50u);
  EXPECT_EQ(static_cast<uint8_t>(zip[eocd + 10]), 7);
  const size_t central = U32(zip, eocd + 16);
  EXPECT_EQ(U32(zip, central), 0x02014b50u);
  // Every local entry's CRC matches its data.
  size_t at = 0, entries = 0;
  std::string sheet1;
  while (U32(zip, at) == 0x04034b50u) {
    const uint32_t crc = U32(zip, at + 14), size = U32(zip, at + 18);
    const size_t name_len = static_cast<uint8_t>(zip[at + 26]);
    const std::string name = zip.substr(at + 30, name_len);
    const std::string data = zip.substr(at + 30 + name_len, size);
    EXPECT_EQ(Crc32(data), crc) << name;
    if (name == "xl/worksheets/sheet1.xml") sheet1 = data;
    at += 30 + name_len + size;
    ++entries;
  }
  EXPECT_EQ(entries, 7u);
  EXPECT_EQ(at, central);
  EXPECT_NE(sheet1.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(sheet1.find("bellgone"), std::string::npos);  // no control characters in XML
  EXPECT_NE(sheet1.find("<autoFilter ref=\"A1:B3\"/>"), std::string::npos);
  EXPECT_NE(sheet1.find("r=\"B3\""), std::string::npos);
}

}  // namespace
}  // namespace tracery::cli

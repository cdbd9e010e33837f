#include "xlsx.h"

#include <array>

namespace tracery::cli {
namespace {

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and carriage return.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
        out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// "A", "B", ..., "Z", "AA", ...
std::string Column(size_t index) {
  std::string name;
  ++index;
  while (index > 0) {
    name.insert(name.begin(), static_cast<char>('A' + (index - 1) % 26));
    index = (index - 1) / 26;
  }
  return name;
}

std::string Row(size_t row, const std::vector<std::string>& cells, bool header) {
  std::string out = "<row r=\"" + std::to_string(row) + "\">";
  for (size_t c = 0; c < cells.size(); ++c) {
    out += "<c r=\"" + Column(c) + std::to_string(row) + "\" t=\"inlineStr\"" +
           (header ? " s=\"1\"" : "") + "><is><t xml:space=\"preserve\">" + XmlEscape(cells[c]) +
           "</t></is></c>";
  }
  return out + "</row>";
}

std::string SheetXml(const Sheet& sheet) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
      "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" "
      "activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews><sheetData>";
  out += Row(1, sheet.header, true);
  for (size_t r = 0; r < sheet.rows.size(); ++r) out += Row(r + 2, sheet.rows[r], false);
  out += "</sheetData>";
  if (!sheet.header.empty()) {
    out += "<autoFilter ref=\"A1:" + Column(sheet.header.size() - 1) +
           std::to_string(sheet.rows.size() + 1) + "\"/>";
  }
  return out + "</worksheet>";
}

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v & 0xffff));
  Put16(out, static_cast<uint16_t>(v >> 16));
}

// A ZIP archive (APPNOTE 6.3) of stored entries; no ZIP64 (an export stays far below 4 GiB).
class ZipWriter {
 public:
  void Add(const std::string& name, const std::string& data) {
    const uint32_t crc = Crc32(data);
    const uint32_t offset = static_cast<uint32_t>(out_.size());
    Put32(out_, 0x04034b50);
    Header(name, data, crc);
    out_ += name;
    out_ += data;
    Put32(central_, 0x02014b50);
    Put16(central_, 20);  // made by: version 2.0
    Header(name, data, crc, &central_);
    Put16(central_, 0);  // comment length
    Put16(central_, 0);  // disk number
    Put16(central_, 0);  // internal attributes
    Put32(central_, 0);  // external attributes
    Put32(central_, offset);
    central_ += name;
    ++entries_;
  }
  std::string Finish() {
    const uint32_t offset = static_cast<uint32_t>(out_.size());
    out_ += central_;
    Put32(out_, 0x06054b50);
    Put16(out_, 0);
    Put16(out_, 0);
    Put16(out_, entries_);
    Put16(out_, entries_);
    Put32(out_, static_cast<uint32_t>(central_.size()));
    Put32(out_, offset);
    Put16(out_, 0);
    return std::move(out_);
  }

 private:
  void Header(const std::string& name, const std::string& data, uint32_t crc,
              std::string* to = nullptr) {
    std::string& o = to ? *to : out_;
    Put16(o, 20);      // version needed: 2.0
    Put16(o, 0x0800);  // flags: names are UTF-8
    Put16(o, 0);       // method: stored
    Put16(o, 0);       // time 00:00
    Put16(o, 0x21);    // date 1980-01-01
    Put32(o, crc);
    Put32(o, static_cast<uint32_t>(data.size()));
    Put32(o, static_cast<uint32_t>(data.size()));
    Put16(o, static_cast<uint16_t>(name.size()));
    Put16(o, 0);  // extra length
  }

  std::string out_;
  std::string central_;
  uint16_t entries_ = 0;
};

}  // namespace

uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string WriteXlsx(const std::vector<Sheet>& sheets) {
  std::string types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
      "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>";
  std::string workbook =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>";
  std::string rels =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  for (size_t i = 0; i < sheets.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    types += "<Override PartName=\"/xl/worksheets/sheet" + n +
             ".xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>";
    workbook += "<sheet name=\"" + XmlEscape(sheets[i].name) + "\" sheetId=\"" + n +
                "\" r:id=\"rId" + n + "\"/>";
    rels += "<Relationship Id=\"rId" + n +
            "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
            "Target=\"worksheets/sheet" + n + ".xml\"/>";
  }
  const std::string styles_id = "rId" + std::to_string(sheets.size() + 1);
  rels += "<Relationship Id=\"" + styles_id +
          "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
          "Target=\"styles.xml\"/></Relationships>";
  types += "</Types>";
  workbook += "</sheets></workbook>";
  const std::string styles =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
      "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>"
      "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>"
      "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
      "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
      "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
      "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
      "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
      "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>"
      "</styleSheet>";
  ZipWriter zip;
  zip.Add("[Content_Types].xml", types);
  zip.Add("_rels/.rels",
          "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
          "Target=\"xl/workbook.xml\"/></Relationships>");
  zip.Add("xl/workbook.xml", workbook);
  zip.Add("xl/_rels/workbook.xml.rels", rels);
  zip.Add("xl/styles.xml", styles);
  for (size_t i = 0; i < sheets.size(); ++i) {
    zip.Add("xl/worksheets/sheet" + std::to_string(i + 1) + ".xml", SheetXml(sheets[i]));
  }
  return zip.Finish();
}

}  // namespace tracery::cli

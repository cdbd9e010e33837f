// ASC X12 interchanges: delimiters from the ISA segment, the ISA/GS/ST envelopes with their
// control numbers and counts, and the 850 and 856 mappings (docs/formats/erp.md).
//
// One pass over the bytes: segments are views into the input, their elements split into a
// reused vector, and the transaction set's mapping consumes them as they come.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

#include "erp/erp_internal.h"

namespace tracery::scm_core::erp {
namespace {

constexpr size_t kIsaElements = 16;
constexpr size_t kMaxIsaBytes = 200;  // a standard ISA is 106 bytes; tolerate wider fields

struct Delimiters {
  char element = '*';
  char component = '>';
  std::string segment;  // 1 to 4 bytes (one UTF-8 character)
};

struct Segment {
  std::vector<std::string_view> el;  // el[0] is the tag
  size_t ordinal = 0;                // 1-based position in the file
  size_t offset = 0;                 // byte offset of the tag
  std::string_view tag() const { return el[0]; }
  std::string_view at(size_t i) const { return i < el.size() ? el[i] : std::string_view(); }
};

class Reader {
 public:
  Reader(std::string_view bytes, ErpProblem* problem) : bytes_(bytes), problem_(problem) {}

  // Line numbers are asked for in increasing offsets (warnings as the reader goes), so the
  // count resumes from the last answer: all warnings together cost one pass over the bytes.
  size_t LineOf(size_t offset) const {
    offset = std::min(offset, bytes_.size());
    if (offset < line_offset_) {
      line_offset_ = 0;
      line_ = 1;
    }
    for (size_t i = line_offset_; i < offset; ++i) line_ += bytes_[i] == '\n';
    line_offset_ = offset;
    return line_;
  }
  std::string Where(size_t ordinal, std::string_view tag, size_t offset) const {
    return "segment " + std::to_string(ordinal) + " (" + std::string(tag.substr(0, 8)) +
           ", line " + std::to_string(LineOf(offset)) + ")";
  }
  std::string Where(const Segment& s) const { return Where(s.ordinal, s.tag(), s.offset); }
  Status Fail(const Segment& s, std::string rule, std::string detail) const {
    return Refuse(problem_, Where(s), std::move(rule), std::move(detail));
  }

  // Skips blanks; true when input remains.
  bool More() {
    while (pos_ < bytes_.size() && IsBlank(bytes_[pos_])) ++pos_;
    return pos_ < bytes_.size();
  }
  size_t pos() const { return pos_; }
  const Delimiters& delimiters() const { return d_; }

  // Reads an ISA segment at the current position and takes its delimiters.
  Status ReadIsa(Segment* seg) {
    seg->el.clear();
    seg->ordinal = ++ordinal_;
    seg->offset = pos_;
    std::string_view rest = bytes_.substr(pos_);
    if (rest.substr(0, 3) != "ISA") {
      return Refuse(problem_, Where(ordinal_, rest.substr(0, 3), pos_), "x12.isa.missing",
                    "an interchange must start with ISA, found " + Shown(rest.substr(0, 10)));
    }
    if (rest.size() < 4) return Truncated("ISA");
    const char sep = rest[3];
    if (static_cast<unsigned char>(sep) >= 0x80 || IsBlank(sep) || std::isalnum(
                                                                       static_cast<unsigned char>(sep))) {
      return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.element_separator",
                    "the byte after ISA must be a punctuation character, found " +
                        Shown(rest.substr(3, 1)));
    }
    seg->el.push_back(rest.substr(0, 3));
    size_t i = 4;
    for (size_t n = 1; n < kIsaElements; ++n) {
      size_t next = rest.find(sep, i);
      if (next == std::string_view::npos || next > kMaxIsaBytes) {
        if (next == std::string_view::npos && rest.size() < kMaxIsaBytes) return Truncated("ISA");
        return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.elements",
                      "ISA needs 16 elements separated by " + Shown(std::string_view(&sep, 1)) +
                          "; found " + std::to_string(n));
      }
      seg->el.push_back(rest.substr(i, next - i));
      i = next + 1;
    }
    if (i + 2 > rest.size()) return Truncated("ISA");
    seg->el.push_back(rest.substr(i, 1));  // ISA16, the component separator
    const char component = rest[i];
    ++i;
    const unsigned char lead = static_cast<unsigned char>(rest[i]);
    size_t term_len = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                                    : (lead & 0xF8) == 0xF0 ? 4 : 0;
    if (term_len == 0 || i + term_len > rest.size()) {
      return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.segment_terminator",
                    "the character after ISA16 is not a valid UTF-8 character");
    }
    for (size_t k = 1; k < term_len; ++k) {
      if ((static_cast<unsigned char>(rest[i + k]) & 0xC0) != 0x80) {
        return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.segment_terminator",
                      "the character after ISA16 is not a valid UTF-8 character");
      }
    }
    std::string_view term = rest.substr(i, term_len);
    if (term_len == 1 && (std::isalnum(lead) || lead == ' ' || lead == '\t' ||
                          term[0] == sep || term[0] == component)) {
      return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.segment_terminator",
                    "segment terminator " + Shown(term) +
                        " must differ from the separators and be no letter, digit or space");
    }
    if (component == sep || std::isalnum(static_cast<unsigned char>(component))) {
      return Refuse(problem_, Where(ordinal_, "ISA", pos_), "x12.isa.component_separator",
                    "ISA16 " + Shown(std::string_view(&component, 1)) +
                        " must be a punctuation character other than the element separator");
    }
    d_.element = sep;
    d_.component = component;
    d_.segment = std::string(term);
    newline_terminated_ = term == "\r" || term == "\n";
    pos_ += i + term_len;
    return Status::Ok();
  }

  // The next segment (REQUIRES: More()).
  Status Next(Segment* seg) {
    seg->el.clear();
    seg->ordinal = ++ordinal_;
    seg->offset = pos_;
    if (ordinal_ > kMaxErpSegments) {
      return Refuse(problem_, Where(ordinal_, "", pos_), "limit.segments",
                    "more than " + std::to_string(kMaxErpSegments) + " segments",
                    Code::kResourceExhausted);
    }
    const char* begin = bytes_.data() + pos_;
    const size_t left = bytes_.size() - pos_;
    const char* end = nullptr;
    if (d_.segment.size() == 1) {
      end = static_cast<const char*>(std::memchr(begin, d_.segment[0], left));
    } else {
      std::string_view rest(begin, left);
      size_t at = rest.find(d_.segment);
      if (at != std::string_view::npos) end = begin + at;
    }
    bool terminated = end != nullptr;
    if (!terminated) end = begin + left;
    std::string_view text(begin, static_cast<size_t>(end - begin));
    if (newline_terminated_ && !text.empty() && text.back() == '\r') text.remove_suffix(1);
    // Split into elements.
    size_t start = 0;
    for (size_t k = 0; k <= text.size(); ++k) {
      if (k == text.size() || text[k] == d_.element) {
        if (k - start > kMaxErpElementBytes) {
          seg->el.push_back(seg->el.empty() ? text.substr(0, 3) : seg->el[0]);
          return Refuse(problem_, Where(*seg), "limit.element_bytes",
                        "element " + std::to_string(seg->el.size() - 1) + " has " +
                            std::to_string(k - start) + " bytes, more than " +
                            std::to_string(kMaxErpElementBytes),
                        Code::kResourceExhausted);
        }
        seg->el.push_back(text.substr(start, k - start));
        start = k + 1;
        if (seg->el.size() > kMaxErpElementsPerSegment) {
          return Refuse(problem_, Where(*seg), "limit.elements_per_segment",
                        "more than " + std::to_string(kMaxErpElementsPerSegment) + " elements",
                        Code::kResourceExhausted);
        }
      }
    }
    const std::string_view tag = seg->el[0];
    if (!newline_terminated_) {
      const void* nl = std::memchr(text.data(), '\n', text.size());
      const void* cr = std::memchr(text.data(), '\r', text.size());
      if (nl != nullptr || cr != nullptr) {
        const char* br = static_cast<const char*>(nl != nullptr ? nl : cr);
        if (cr != nullptr && cr < br) br = static_cast<const char*>(cr);
        std::string detail = "a line break inside the segment: the interchange's segment "
                             "terminator is " + Shown(d_.segment);
        if (br > text.data()) {
          const char before = br[-1];
          if (!std::isalnum(static_cast<unsigned char>(before)) && before != ' ' &&
              before != d_.element) {
            detail += " but this segment ends its line with " +
                      Shown(std::string_view(&before, 1)) + " (mixed segment terminators)";
          }
        }
        return Fail(*seg, "x12.segment.terminator", detail);
      }
    }
    if (tag.size() < 2 || tag.size() > 3) {
      return Fail(*seg, "x12.segment.tag", "segment tag " + Shown(tag) + " is not 2 or 3 characters");
    }
    for (char c : tag) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        return Fail(*seg, "x12.segment.tag", "segment tag " + Shown(tag) +
                                                 " is not upper-case letters and digits");
      }
    }
    if (!terminated) {
      if (tag != "IEA") {
        return Fail(*seg, "x12.truncated",
                    "the input ends inside the segment (no terminator " + Shown(d_.segment) + ")");
      }
      missing_final_terminator_ = true;
      pos_ = bytes_.size();
    } else {
      pos_ = static_cast<size_t>(end - bytes_.data()) + d_.segment.size();
    }
    return Status::Ok();
  }

  bool missing_final_terminator() const { return missing_final_terminator_; }
  Status Truncated(std::string_view tag) {
    return Refuse(problem_, Where(ordinal_, tag, pos_), "x12.truncated",
                  "the input ends inside the ISA segment");
  }

 private:
  std::string_view bytes_;
  ErpProblem* problem_;
  size_t pos_ = 0;
  size_t ordinal_ = 0;
  Delimiters d_;
  bool newline_terminated_ = false;
  bool missing_final_terminator_ = false;
  mutable size_t line_offset_ = 0;
  mutable size_t line_ = 1;
};

// Control numbers compare as numbers when both are digits ("1" = "000000001"), else exactly.
bool SameControl(std::string_view a, std::string_view b) {
  if (AllDigits(a) && AllDigits(b)) {
    while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
    while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  }
  return a == b;
}

bool SameCount(std::string_view text, size_t count) {
  return AllDigits(text) && SameControl(text, std::to_string(count));
}

// The mapping of one transaction set type.
class SetMapper {
 public:
  virtual ~SetMapper() = default;
  virtual Status Take(const Segment& seg) = 0;
  virtual Status Finish(const Segment& se, ErpImport* out) = 0;
};

struct PartyRef {
  std::string code;  // GLN when N103 = UL, else N104, else the name
  std::string gln;
  std::string name;
};

PartyRef PartyOf(const Segment& n1) {
  PartyRef p;
  p.name = std::string(n1.at(2));
  std::string_view qualifier = n1.at(3);
  std::string_view id = n1.at(4);
  if (qualifier == "UL" && IsValidGln(id)) p.gln = std::string(id);
  p.code = !p.gln.empty() ? p.gln : !id.empty() ? std::string(id) : p.name;
  return p;
}

bool IsGtinQualifier(std::string_view q) { return q == "UP" || q == "UK" || q == "EN"; }
bool IsItemCodeQualifier(std::string_view q) {
  static constexpr std::string_view kCodes[] = {"VN", "VP", "BP", "IN", "CB", "SK",
                                                "PI", "MG", "MF", "VA", "UA"};
  for (std::string_view c : kCodes) {
    if (q == c) return true;
  }
  return false;
}

// Product ids of qualifier/value pairs from element `first` on (LIN, PO1).
struct ProductIds {
  std::string gtin;
  std::string item_code;
  std::string lot;
  std::vector<std::string> serials;
};

ProductIds ReadProductIds(const Segment& s, size_t first, const Reader& r, ErpImport* out) {
  ProductIds ids;
  for (size_t k = first; k + 1 < s.el.size(); k += 2) {
    std::string_view q = s.el[k];
    std::string_view v = s.el[k + 1];
    if (q.empty() || v.empty()) continue;
    if (IsGtinQualifier(q)) {
      if (!ids.gtin.empty()) continue;
      Result<std::string> gtin = GtinOf(v);
      if (gtin.ok()) {
        ids.gtin = std::move(gtin).value();
      } else {
        AddWarning(out, {r.Where(s), std::string(q) + " " + std::string(v) + ": " +
                                             gtin.status().message() + "; kept as the item code"});
        if (ids.item_code.empty()) ids.item_code = std::string(q) + ":" + std::string(v);
      }
    } else if (q == "LT") {
      ids.lot = std::string(v);
    } else if (q == "SN") {
      ids.serials.emplace_back(v);
    } else if (IsItemCodeQualifier(q) && ids.item_code.empty()) {
      ids.item_code = std::string(q) + ":" + std::string(v);
    }
  }
  return ids;
}

// X12 850 → Order, mapping "x12-850/1".
class Mapper850 : public SetMapper {
 public:
  Mapper850(const Reader& r, ErpImport* out, ErpProblem* problem, size_t* line_total)
      : r_(r), out_(out), problem_(problem), line_total_(line_total) {}

  Status Take(const Segment& s) override {
    const std::string_view tag = s.tag();
    if (tag == "BEG") {
      order_.id = std::string(s.at(3));
      if (order_.id.empty()) return r_.Fail(s, "x12-850.beg.order_number", "BEG03 is empty");
      order_.order_date = DateFromDigits(s.at(5));
      if (order_.order_date.empty()) {
        return r_.Fail(s, "x12-850.beg.date", "BEG05 " + Shown(s.at(5)) + " is not a date");
      }
      has_beg_ = true;
    } else if (tag == "N1") {
      PartyRef p = PartyOf(s);
      std::string_view role = s.at(1);
      if (role == "BY") {
        order_.buyer = p.code;
        AddParty(out_, {p.code, PartyRole::kCustomer, p.name, p.gln}, kMapping);
      } else if (role == "SE" || role == "SF" || role == "VN" || role == "SU") {
        if (order_.seller.empty()) order_.seller = p.code;
        AddParty(out_, {p.code, PartyRole::kSupplier, p.name, p.gln}, kMapping);
      } else if (role == "ST") {
        order_.ship_to = p.code;
      }
    } else if (tag == "PO1") {
      if (*line_total_ + order_.lines.size() + 1 > kMaxErpLineItems) {
        return Refuse(problem_, r_.Where(s), "limit.line_items",
                      "more than " + std::to_string(kMaxErpLineItems) + " line items",
                      Code::kResourceExhausted);
      }
      OrderLine line;
      line.line_number = s.at(1).empty() ? std::to_string(order_.lines.size() + 1)
                                         : std::string(s.at(1));
      Result<Quantity> q = Quantity::Parse(s.at(2));
      if (!q.ok()) return r_.Fail(s, "x12-850.po1.quantity", "PO102: " + q.status().message());
      if (q->thousandths < 0) return r_.Fail(s, "x12-850.po1.quantity", "PO102 is negative");
      line.quantity = *q;
      line.unit = X12UnitToRec20(s.at(3));
      ProductIds ids = ReadProductIds(s, 6, r_, out_);
      if (ids.gtin.empty() && ids.item_code.empty()) {
        return r_.Fail(s, "x12-850.po1.product", "PO1 names no product (UP/UK/EN/VN/BP/IN...)");
      }
      line.gtin = std::move(ids.gtin);
      line.item_code = std::move(ids.item_code);
      order_.lines.push_back(std::move(line));
    } else if (tag == "DTM" && !order_.lines.empty()) {
      std::string_view q = s.at(1);
      if ((q == "002" || q == "010" || q == "017" || q == "106") &&
          !order_.lines.back().requested_date) {
        std::string date = DateFromDigits(s.at(2));
        if (date.empty()) return r_.Fail(s, "x12.dtm.date", "DTM02 " + Shown(s.at(2)) + " is not a date");
        order_.lines.back().requested_date = date;
      }
    } else if (tag == "CTT") {
      if (!SameCount(s.at(1), order_.lines.size())) {
        return r_.Fail(s, "x12-850.ctt.count",
                       "CTT01 " + Shown(s.at(1)) + " but the order has " +
                           std::to_string(order_.lines.size()) + " PO1 lines");
      }
    }
    return Status::Ok();
  }

  Status Finish(const Segment& se, ErpImport* out) override {
    if (!has_beg_) return r_.Fail(se, "x12-850.beg.missing", "the 850 has no BEG segment");
    order_.kind = OrderKind::kPurchase;
    order_.mapping = kMapping;
    *line_total_ += order_.lines.size();
    out->orders.push_back(std::move(order_));
    return Status::Ok();
  }

 private:
  inline static const MappingRef kMapping{"x12-850", 1};
  const Reader& r_;
  ErpImport* out_;
  ErpProblem* problem_;
  size_t* line_total_;  // lines of the document so far (kMaxErpLineItems)
  Order order_;
  bool has_beg_ = false;
};

// X12 856 → Shipment, mapping "x12-856/1".
class Mapper856 : public SetMapper {
 public:
  Mapper856(const Reader& r, ErpImport* out, ErpProblem* problem, size_t* line_total)
      : r_(r), out_(out), problem_(problem), line_total_(line_total) {}

  Status Take(const Segment& s) override {
    const std::string_view tag = s.tag();
    if (tag == "HL") return Hl(s);
    if (tag == "LIN") return Lin(s);
    if (tag == "SN1") return Sn1(s);
    if (tag == "MAN") return Man(s);
    if (tag == "PRF") return Prf(s);
    if (tag == "BSN") {
      shipment_.id = std::string(s.at(2));
      if (shipment_.id.empty()) return r_.Fail(s, "x12-856.bsn.number", "BSN02 is empty");
      bsn_date_ = DateFromDigits(s.at(3));
      bsn_time_ = TimeFromDigits(s.at(4));
      has_bsn_ = true;
    } else if (tag == "REF") {
      if (s.at(1) == "BM" && shipment_.bill_of_lading.empty()) {
        shipment_.bill_of_lading = std::string(s.at(2));
      }
    } else if (tag == "TD5") {
      if (shipment_.carrier.empty()) {
        shipment_.carrier = std::string(!s.at(3).empty() ? s.at(3) : s.at(5));
      }
    } else if (tag == "DTM") {
      if (s.at(1) == "011" && shipment_.ship_date.empty()) {
        shipment_.ship_date = DateFromDigits(s.at(2));
        if (shipment_.ship_date.empty()) {
          return r_.Fail(s, "x12.dtm.date", "DTM02 " + Shown(s.at(2)) + " is not a date");
        }
        shipment_.ship_time = TimeFromDigits(s.at(3));
      }
    } else if (tag == "N1") {
      PartyRef p = PartyOf(s);
      std::string_view role = s.at(1);
      if (role == "SF" || role == "SU" || role == "SH") {
        int rank = role == "SF" ? 3 : role == "SH" ? 2 : 1;
        if (rank > from_rank_) {
          shipment_.ship_from = p.code;
          from_rank_ = rank;
        }
        AddParty(out_, {p.code, PartyRole::kSupplier, p.name, p.gln}, kMapping);
      } else if (role == "ST" || role == "BY" || role == "OB") {
        int rank = role == "ST" ? 3 : role == "BY" ? 2 : 1;
        if (rank > to_rank_) {
          shipment_.ship_to = p.code;
          to_rank_ = rank;
        }
        if (role != "ST") AddParty(out_, {p.code, PartyRole::kCustomer, p.name, p.gln}, kMapping);
      }
    } else if (tag == "CTT") {
      if (!SameCount(s.at(1), nodes_.size())) {
        return r_.Fail(s, "x12-856.ctt.count", "CTT01 " + Shown(s.at(1)) + " but the set has " +
                                                   std::to_string(nodes_.size()) + " HL segments");
      }
    }
    return Status::Ok();
  }

  Status Finish(const Segment& se, ErpImport* out) override {
    if (!has_bsn_) return r_.Fail(se, "x12-856.bsn.missing", "the 856 has no BSN segment");
    RETURN_IF_ERROR(CloseItem(se));
    if (shipment_.ship_date.empty()) {
      shipment_.ship_date = bsn_date_;
      shipment_.ship_time = bsn_time_;
    }
    shipment_.mapping = kMapping;
    *line_total_ += shipment_.lines.size();
    out->shipments.push_back(std::move(shipment_));
    return Status::Ok();
  }

 private:
  struct Node {
    char level = 0;
    int32_t parent = -1;  // index into nodes_
    std::string sscc;     // MAN*GM of a pack or tare
    std::string order_id;
  };
  inline static const MappingRef kMapping{"x12-856", 1};

  Status Hl(const Segment& s) {
    RETURN_IF_ERROR(CloseItem(s));
    const std::string expected = std::to_string(nodes_.size() + 1);
    if (s.at(1) != expected) {
      return r_.Fail(s, "x12-856.hl.sequence",
                     "HL01 " + Shown(s.at(1)) + " but HL01 counts 1, 2, 3, ...: expected " + expected);
    }
    Node node;
    std::string_view level = s.at(3);
    if (level.size() != 1) return r_.Fail(s, "x12-856.hl.level", "HL03 " + Shown(level) + " is not a level code");
    node.level = level[0];
    std::string_view parent = s.at(2);
    if (parent.empty()) {
      if (node.level != 'S') {
        return r_.Fail(s, "x12-856.hl.parent", "HL " + expected + " (level " + std::string(level) +
                                                   ") has no parent (HL02)");
      }
    } else {
      if (!AllDigits(parent) || parent.size() > 9) {
        return r_.Fail(s, "x12-856.hl.parent", "HL02 " + Shown(parent) + " names no earlier HL");
      }
      size_t p = std::stoul(std::string(parent));
      if (p == 0 || p > nodes_.size()) {
        return r_.Fail(s, "x12-856.hl.parent", "HL02 " + Shown(parent) + " names no earlier HL");
      }
      if (node.level == 'S') {
        return r_.Fail(s, "x12-856.hl.parent", "a shipment level (S) HL cannot have a parent");
      }
      if (nodes_[p - 1].level == 'I') {
        return r_.Fail(s, "x12-856.hl.parent", "HL02 " + Shown(parent) + " is an item (I) level");
      }
      node.parent = static_cast<int32_t>(p - 1);
      node.order_id = nodes_[p - 1].order_id;
      node.sscc = nodes_[p - 1].sscc;
    }
    nodes_.push_back(std::move(node));
    if (nodes_.back().level == 'I') {
      if (*line_total_ + shipment_.lines.size() + 1 > kMaxErpLineItems) {
        return Refuse(problem_, r_.Where(s), "limit.line_items",
                      "more than " + std::to_string(kMaxErpLineItems) + " line items",
                      Code::kResourceExhausted);
      }
      item_open_ = true;
      item_ = ShipmentLine{};
      item_.sscc = nodes_.back().sscc;
      item_.order_id = nodes_.back().order_id;
      has_qty_ = false;
      item_hl_ = s;
    }
    return Status::Ok();
  }

  Status CloseItem(const Segment& at) {
    if (!item_open_) return Status::Ok();
    item_open_ = false;
    if (item_.gtin.empty() && item_.item_code.empty()) {
      return Refuse(problem_, r_.Where(item_hl_), "x12-856.item.product",
                    "item HL " + std::string(item_hl_.at(1)) +
                        " has no LIN product id (UP/EN/UK/VN/BP/...)");
    }
    if (!has_qty_) {
      return Refuse(problem_, r_.Where(item_hl_), "x12-856.item.quantity",
                    "item HL " + std::string(item_hl_.at(1)) + " has no SN1 quantity");
    }
    (void)at;
    shipment_.lines.push_back(std::move(item_));
    return Status::Ok();
  }

  Status Lin(const Segment& s) {
    if (!item_open_) return Status::Ok();  // LIN outside an item level carries nothing we map
    ProductIds ids = ReadProductIds(s, 2, r_, out_);
    if (item_.gtin.empty()) item_.gtin = std::move(ids.gtin);
    if (item_.item_code.empty()) item_.item_code = std::move(ids.item_code);
    if (!ids.lot.empty()) item_.lot_number = std::move(ids.lot);
    for (std::string& serial : ids.serials) item_.serials.push_back(std::move(serial));
    return Status::Ok();
  }

  Status Sn1(const Segment& s) {
    if (!item_open_) return r_.Fail(s, "x12-856.sn1.level", "SN1 outside an item (I) level");
    Result<Quantity> q = Quantity::Parse(s.at(2));
    if (!q.ok()) return r_.Fail(s, "x12-856.sn1.quantity", "SN102: " + q.status().message());
    if (q->thousandths < 0) return r_.Fail(s, "x12-856.sn1.quantity", "SN102 is negative");
    item_.quantity = *q;
    item_.unit = X12UnitToRec20(s.at(3));
    if (item_.unit.empty() && !s.at(3).empty()) {
      return r_.Fail(s, "x12-856.sn1.unit", "SN103 " + Shown(s.at(3)) + " is not a unit code");
    }
    has_qty_ = true;
    return Status::Ok();
  }

  Status Man(const Segment& s) {
    if (s.at(1) != "GM") return Status::Ok();
    std::string_view v = s.at(2);
    if (v.size() == 20 && v.substr(0, 2) == "00") v.remove_prefix(2);  // with its AI (00)
    if (!IsValidSscc(v)) {
      return r_.Fail(s, "x12-856.man.sscc",
                     "MAN02 " + Shown(s.at(2)) + " is not an SSCC-18 with a valid check digit");
    }
    if (nodes_.empty()) return r_.Fail(s, "x12-856.man.level", "MAN before any HL");
    nodes_.back().sscc = std::string(v);
    if (item_open_) item_.sscc = nodes_.back().sscc;
    return Status::Ok();
  }

  Status Prf(const Segment& s) {
    std::string id(s.at(1));
    if (id.empty()) return r_.Fail(s, "x12-856.prf.order_number", "PRF01 is empty");
    if (!nodes_.empty()) nodes_.back().order_id = id;
    if (item_open_) item_.order_id = id;
    bool known = false;
    for (const std::string& o : shipment_.order_ids) known = known || o == id;
    if (!known) shipment_.order_ids.push_back(std::move(id));
    return Status::Ok();
  }

  const Reader& r_;
  ErpImport* out_;
  ErpProblem* problem_;
  size_t* line_total_;  // lines of the document so far (kMaxErpLineItems)
  Shipment shipment_;
  std::vector<Node> nodes_;
  ShipmentLine item_;
  Segment item_hl_;
  bool item_open_ = false;
  bool has_qty_ = false;
  bool has_bsn_ = false;
  int from_rank_ = 0;
  int to_rank_ = 0;
  std::string bsn_date_;
  std::string bsn_time_;
};

const char* SetName(std::string_view type) {
  if (type == "810") return "invoice";
  if (type == "855") return "purchase order acknowledgment";
  if (type == "997") return "functional acknowledgment";
  if (type == "860") return "purchase order change";
  return nullptr;
}

}  // namespace

Status ImportX12(std::string_view bytes, ErpImport* out, ErpProblem* problem) {
  std::string_view body = StripBom(bytes);
  // Offsets (and so line numbers) are relative to the text after the byte-order mark.
  Reader r(body, problem);
  Segment seg;
  size_t line_total = 0;
  bool any = false;
  while (r.More()) {
    any = true;
    RETURN_IF_ERROR(r.ReadIsa(&seg));
    const std::string isa_control(seg.at(13));
    size_t groups = 0;
    bool closed = false;
    Segment gs;
    bool in_group = false;
    size_t sets_in_group = 0;
    std::unique_ptr<SetMapper> mapper;
    bool in_set = false;
    size_t set_segments = 0;
    std::string st_control;
    while (!closed) {
      if (!r.More()) {
        return Refuse(problem, "end of input", "x12.truncated",
                      in_set ? "the input ends inside a transaction set (no SE)"
                             : in_group ? "the input ends inside a functional group (no GE)"
                                        : "the input ends inside the interchange (no IEA)");
      }
      RETURN_IF_ERROR(r.Next(&seg));
      const std::string_view tag = seg.tag();
      if (in_set) {
        ++set_segments;
        if (tag == "SE") {
          if (!SameCount(seg.at(1), set_segments) && mapper == nullptr) {
            // Nothing is taken from a set of an unsupported type: a wrong count is reported.
            AddWarning(out, {r.Where(seg), "SE01 " + Shown(seg.at(1)) + " but the " +
                                                       out->transactions.back().type + " set has " +
                                                       std::to_string(set_segments) + " segments"});
          } else if (!SameCount(seg.at(1), set_segments)) {
            return r.Fail(seg, "x12.se.count",
                          "SE01 " + Shown(seg.at(1)) + " but the transaction set has " +
                              std::to_string(set_segments) + " segments (ST to SE)");
          }
          if (!SameControl(seg.at(2), st_control)) {
            return r.Fail(seg, "x12.se.control_number",
                          "SE02 " + Shown(seg.at(2)) + " differs from ST02 " + Shown(st_control));
          }
          if (mapper != nullptr) {
            RETURN_IF_ERROR(mapper->Finish(seg, out));
            out->transactions.back().imported = true;
          }
          mapper.reset();
          in_set = false;
          continue;
        }
        if (tag == "ST" || tag == "GS" || tag == "GE" || tag == "ISA" || tag == "IEA") {
          return r.Fail(seg, "x12.envelope.order",
                        std::string(tag) + " inside a transaction set (no SE before it)");
        }
        if (mapper != nullptr) RETURN_IF_ERROR(mapper->Take(seg));
        continue;
      }
      if (tag == "ST") {
        if (!in_group) return r.Fail(seg, "x12.envelope.order", "ST outside a functional group (GS)");
        in_set = true;
        set_segments = 1;
        ++sets_in_group;
        st_control = std::string(seg.at(2));
        if (st_control.empty()) return r.Fail(seg, "x12.st.control_number", "ST02 is empty");
        const std::string type(seg.at(1));
        ErpTransactionOutcome outcome{type, std::string(gs.at(8)), st_control, false, ""};
        const std::string_view fid = gs.at(1);
        if (type == "850" || type == "856") {
          const char* want = type == "850" ? "PO" : "SH";
          if (fid != want) {
            AddWarning(out, {r.Where(seg), "transaction set " + type + " in a group with GS01 " +
                                                       Shown(fid) + " (expected " + want + ")"});
          }
          if (type == "850") {
            mapper = std::make_unique<Mapper850>(r, out, problem, &line_total);
          } else {
            mapper = std::make_unique<Mapper856>(r, out, problem, &line_total);
          }
          outcome.detail = "mapped by x12-" + type + "/1";
        } else {
          const char* name = SetName(type);
          outcome.detail = "unsupported transaction set " + type +
                           (name != nullptr ? std::string(" (") + name + ")" : std::string());
        }
        out->transactions.push_back(std::move(outcome));
        continue;
      }
      if (tag == "GS") {
        if (in_group) return r.Fail(seg, "x12.envelope.order", "GS inside a functional group (no GE before it)");
        gs = seg;
        // The views of `seg` stay valid (they point into the input); copy the vector.
        in_group = true;
        sets_in_group = 0;
        ++groups;
        if (gs.at(6).empty()) return r.Fail(seg, "x12.gs.control_number", "GS06 is empty");
        continue;
      }
      if (tag == "GE") {
        if (!in_group) return r.Fail(seg, "x12.envelope.order", "GE without a GS");
        if (!SameCount(seg.at(1), sets_in_group)) {
          return r.Fail(seg, "x12.ge.count", "GE01 " + Shown(seg.at(1)) + " but the group has " +
                                                 std::to_string(sets_in_group) + " transaction sets");
        }
        if (!SameControl(seg.at(2), gs.at(6))) {
          return r.Fail(seg, "x12.ge.control_number",
                        "GE02 " + Shown(seg.at(2)) + " differs from GS06 " + Shown(gs.at(6)));
        }
        in_group = false;
        continue;
      }
      if (tag == "IEA") {
        if (in_group) return r.Fail(seg, "x12.envelope.order", "IEA inside a functional group (no GE)");
        if (!SameCount(seg.at(1), groups)) {
          return r.Fail(seg, "x12.iea.count", "IEA01 " + Shown(seg.at(1)) + " but the interchange has " +
                                                  std::to_string(groups) + " functional groups");
        }
        if (!SameControl(seg.at(2), isa_control)) {
          return r.Fail(seg, "x12.iea.control_number",
                        "IEA02 " + Shown(seg.at(2)) + " differs from ISA13 " + Shown(isa_control));
        }
        if (r.missing_final_terminator()) {
          AddWarning(out, {r.Where(seg), "the final IEA has no segment terminator"});
        }
        closed = true;
        continue;
      }
      return r.Fail(seg, "x12.envelope.order",
                    std::string(tag) + " outside a transaction set (ST..SE)");
    }
  }
  if (!any) return Refuse(problem, "document", "x12.empty", "no ISA segment");
  return Status::Ok();
}

}  // namespace tracery::scm_core::erp

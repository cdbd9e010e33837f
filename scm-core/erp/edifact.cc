// UN/EDIFACT interchanges: UNA service string advice (or the default separators), release
// character, the UNB/UNG/UNH envelopes with their counts and references, and the DESADV
// mapping (docs/formats/erp.md).
#include <cctype>
#include <memory>
#include <vector>

#include "erp/erp_internal.h"

namespace tracery::scm_core::erp {
namespace {

// One segment: elements of components, release characters already removed.
struct Segment {
  std::vector<std::vector<std::string>> el;  // el[0][0] is the tag
  size_t ordinal = 0;
  size_t offset = 0;
  const std::string& tag() const { return el[0][0]; }
  // Component `c` of element `e`, empty when absent.
  std::string_view at(size_t e, size_t c = 0) const {
    if (e >= el.size() || c >= el[e].size()) return {};
    return el[e][c];
  }
};

struct Separators {
  char component = ':';
  char element = '+';
  char release = '?';
  char segment = '\'';
};

class Reader {
 public:
  Reader(std::string_view bytes, ErpProblem* problem) : bytes_(bytes), problem_(problem) {}

  std::string Where(size_t ordinal, std::string_view tag, size_t offset) const {
    size_t line = 1;
    for (size_t i = 0; i < offset && i < bytes_.size(); ++i) line += bytes_[i] == '\n';
    return "segment " + std::to_string(ordinal) + " (" + std::string(tag.substr(0, 8)) +
           ", line " + std::to_string(line) + ")";
  }
  std::string Where(const Segment& s) const { return Where(s.ordinal, s.tag(), s.offset); }
  Status Fail(const Segment& s, std::string rule, std::string detail) const {
    return Refuse(problem_, Where(s), std::move(rule), std::move(detail));
  }

  Status ReadUna() {
    if (bytes_.substr(0, 3) != "UNA") return Status::Ok();
    if (bytes_.size() < 9) {
      return Refuse(problem_, Where(1, "UNA", 0), "edifact.una.length",
                    "UNA needs six service characters");
    }
    sep_.component = bytes_[3];
    sep_.element = bytes_[4];
    sep_.release = bytes_[6];
    sep_.segment = bytes_[8];
    const char all[] = {sep_.component, sep_.element, sep_.segment};
    for (char c : all) {
      if (std::isalnum(static_cast<unsigned char>(c)) || IsBlank(c)) {
        return Refuse(problem_, Where(1, "UNA", 0), "edifact.una.separator",
                      "separator " + Shown(std::string_view(&c, 1)) + " is a letter, digit or blank");
      }
    }
    if (sep_.component == sep_.element || sep_.element == sep_.segment ||
        sep_.component == sep_.segment) {
      return Refuse(problem_, Where(1, "UNA", 0), "edifact.una.separator",
                    "the UNA separators are not distinct");
    }
    pos_ = 9;
    ordinal_ = 1;
    return Status::Ok();
  }

  bool More() {
    while (pos_ < bytes_.size() && IsBlank(bytes_[pos_])) ++pos_;
    return pos_ < bytes_.size();
  }

  Status Next(Segment* seg) {
    seg->el.clear();
    seg->ordinal = ++ordinal_;
    seg->offset = pos_;
    if (ordinal_ > kMaxErpSegments) {
      return Refuse(problem_, Where(ordinal_, "", pos_), "limit.segments",
                    "more than " + std::to_string(kMaxErpSegments) + " segments",
                    Code::kResourceExhausted);
    }
    seg->el.emplace_back(1);
    std::string* cur = &seg->el.back().back();
    while (true) {
      if (pos_ >= bytes_.size()) {
        if (seg->el[0][0].empty()) seg->el[0][0] = "?";
        return Fail(*seg, "edifact.truncated",
                    "the input ends inside the segment (no terminator " +
                        Shown(std::string_view(&sep_.segment, 1)) + ")");
      }
      char c = bytes_[pos_++];
      if (c == sep_.release && sep_.release != ' ') {
        if (pos_ >= bytes_.size()) continue;  // reported as truncated above
        *cur += bytes_[pos_++];
      } else if (c == sep_.segment) {
        break;
      } else if (c == sep_.element) {
        if (seg->el.size() >= kMaxErpElementsPerSegment) {
          return Refuse(problem_, Where(*seg), "limit.elements_per_segment",
                        "more than " + std::to_string(kMaxErpElementsPerSegment) + " elements",
                        Code::kResourceExhausted);
        }
        seg->el.emplace_back(1);
        cur = &seg->el.back().back();
      } else if (c == sep_.component) {
        if (seg->el.back().size() >= kMaxErpElementsPerSegment) {
          return Refuse(problem_, Where(*seg), "limit.elements_per_segment",
                        "more than " + std::to_string(kMaxErpElementsPerSegment) +
                            " components in one element",
                        Code::kResourceExhausted);
        }
        seg->el.back().emplace_back();
        cur = &seg->el.back().back();
      } else if ((c == '\n' || c == '\r') && seg->el.size() == 1 && seg->el[0].size() == 1 &&
                 cur->empty()) {
        continue;
      } else {
        *cur += c;
      }
      if (cur->size() > kMaxErpElementBytes) {
        return Refuse(problem_, Where(*seg), "limit.element_bytes",
                      "an element longer than " + std::to_string(kMaxErpElementBytes) + " bytes",
                      Code::kResourceExhausted);
      }
    }
    const std::string& tag = seg->el[0][0];
    bool ok = tag.size() == 3;
    for (char c : tag) ok = ok && c >= 'A' && c <= 'Z';
    if (!ok) return Fail(*seg, "edifact.segment.tag", "segment tag " + Shown(tag) + " is not 3 upper-case letters");
    return Status::Ok();
  }

 private:
  std::string_view bytes_;
  ErpProblem* problem_;
  size_t pos_ = 0;
  size_t ordinal_ = 0;
  Separators sep_;
};

bool SameCount(std::string_view text, size_t n) {
  if (!AllDigits(text)) return false;
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  return text == std::to_string(n);
}

// DTM: 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS.
void DateTimeOf(std::string_view value, std::string* date, std::string* time) {
  *date = DateFromDigits(value.substr(0, 8));
  *time = value.size() >= 12 ? TimeFromDigits(value.substr(8)) : "";
}

const MappingRef kDesadv{"edifact-desadv", 1};

class DesadvMapper {
 public:
  DesadvMapper(const Reader& r, ErpImport* out, ErpProblem* problem, size_t* line_total)
      : r_(r), out_(out), problem_(problem), line_total_(line_total) {}

  Status Take(const Segment& s) {
    const std::string& tag = s.tag();
    if (tag == "BGM") {
      shipment_.id = std::string(s.at(2));
      if (shipment_.id.empty()) return r_.Fail(s, "edifact-desadv.bgm.number", "BGM document number (1004) is empty");
    } else if (tag == "DTM") {
      std::string date, time;
      DateTimeOf(s.at(1, 1), &date, &time);
      if (s.at(1, 0) == "11" || (s.at(1, 0) == "137" && doc_date_.empty())) {
        if (date.empty()) return r_.Fail(s, "edifact.dtm.date", "DTM value " + Shown(s.at(1, 1)) + " is not a date");
        if (s.at(1, 0) == "11") {
          shipment_.ship_date = date;
          shipment_.ship_time = time;
        } else {
          doc_date_ = date;
          doc_time_ = time;
        }
      }
    } else if (tag == "RFF") {
      if (s.at(1, 0) == "ON" && !s.at(1, 1).empty()) {
        std::string id(s.at(1, 1));
        if (in_line_) line_.order_id = id;
        bool known = false;
        for (const std::string& o : shipment_.order_ids) known = known || o == id;
        if (!known) shipment_.order_ids.push_back(id);
        if (!in_line_) header_order_ = id;
      } else if (s.at(1, 0) == "BM" || s.at(1, 0) == "AAS") {
        if (shipment_.bill_of_lading.empty()) shipment_.bill_of_lading = std::string(s.at(1, 1));
      }
    } else if (tag == "NAD") {
      std::string_view role = s.at(1);
      std::string code(s.at(2, 0));
      std::string gln;
      if (s.at(2, 2) == "9" && IsValidGln(code)) gln = code;
      std::string name(s.at(4, 0));
      if (code.empty()) code = name;
      if (role == "SF" || role == "SU") {
        int rank = role == "SF" ? 2 : 1;
        if (rank > from_rank_) { shipment_.ship_from = code; from_rank_ = rank; }
        AddParty(out_, {code, PartyRole::kSupplier, name, gln}, kDesadv);
      } else if (role == "DP" || role == "ST" || role == "BY") {
        int rank = role == "DP" ? 3 : role == "ST" ? 2 : 1;
        if (rank > to_rank_) { shipment_.ship_to = code; to_rank_ = rank; }
        if (role == "BY") AddParty(out_, {code, PartyRole::kCustomer, name, gln}, kDesadv);
      }
    } else if (tag == "CPS") {
      RETURN_IF_ERROR(CloseLine(s));
      pack_sscc_.clear();
    } else if (tag == "GIN") {
      if (s.at(1) == "BJ") {
        std::string_view v = s.at(2, 0);
        if (v.size() == 20 && v.substr(0, 2) == "00") v.remove_prefix(2);
        if (!IsValidSscc(v)) {
          return r_.Fail(s, "edifact-desadv.gin.sscc", "GIN+BJ " + Shown(s.at(2, 0)) +
                                                         " is not an SSCC-18 with a valid check digit");
        }
        pack_sscc_ = std::string(v);
        if (in_line_ && line_.sscc.empty()) line_.sscc = pack_sscc_;
      } else if (s.at(1) == "BX" && in_line_) {
        line_.lot_number = std::string(s.at(2, 0));
      } else if (s.at(1) == "BN" && in_line_) {
        for (size_t e = 2; e < s.el.size(); ++e) {
          if (!s.at(e, 0).empty()) line_.serials.emplace_back(s.at(e, 0));
        }
      }
    } else if (tag == "LIN") {
      RETURN_IF_ERROR(CloseLine(s));
      if (*line_total_ + shipment_.lines.size() + 1 > kMaxErpLineItems) {
        return Refuse(problem_, r_.Where(s), "limit.line_items",
                      "more than " + std::to_string(kMaxErpLineItems) + " line items",
                      Code::kResourceExhausted);
      }
      in_line_ = true;
      line_ = ShipmentLine{};
      line_.sscc = pack_sscc_;
      line_.order_id = header_order_;
      lin_ = s;
      has_qty_ = false;
      std::string_view id = s.at(3, 0), q = s.at(3, 1);
      if (!id.empty()) TakeId(s, id, q);
    } else if (tag == "PIA" && in_line_) {
      if (s.at(1) == "5" || s.at(1) == "1") {
        for (size_t e = 2; e < s.el.size(); ++e) TakeId(s, s.at(e, 0), s.at(e, 1));
      }
    } else if (tag == "QTY" && in_line_) {
      if (s.at(1, 0) == "12") {
        Result<Quantity> q = Quantity::Parse(s.at(1, 1));
        if (!q.ok()) return r_.Fail(s, "edifact-desadv.qty.quantity", q.status().message());
        if (q->thousandths < 0) return r_.Fail(s, "edifact-desadv.qty.quantity", "negative quantity");
        line_.quantity = *q;
        line_.unit = std::string(s.at(1, 2));
        if (!line_.unit.empty() && X12UnitToRec20(line_.unit) != line_.unit) {
          return r_.Fail(s, "edifact-desadv.qty.unit", Shown(line_.unit) + " is not a UN/ECE Rec. 20 unit code");
        }
        has_qty_ = true;
      }
    }
    return Status::Ok();
  }

  Status Finish(const Segment& unt, ErpImport* out) {
    RETURN_IF_ERROR(CloseLine(unt));
    if (shipment_.id.empty()) return r_.Fail(unt, "edifact-desadv.bgm.missing", "the DESADV has no BGM");
    if (shipment_.ship_date.empty()) {
      shipment_.ship_date = doc_date_;
      shipment_.ship_time = doc_time_;
    }
    shipment_.mapping = kDesadv;
    *line_total_ += shipment_.lines.size();
    out->shipments.push_back(std::move(shipment_));
    return Status::Ok();
  }

 private:
  // EN/SRV (GTIN), IB (ISBN = GTIN-13), or no qualifier and a valid GTIN → gtin; others
  // (SA supplier's article number, IN buyer's, BP, ...) → item code.
  void TakeId(const Segment& s, std::string_view id, std::string_view q) {
    if (id.empty()) return;
    const bool gtin_qualifier = q == "EN" || q == "SRV" || q == "IB" || q == "UP";
    if (line_.gtin.empty() && (gtin_qualifier || q.empty())) {
      Result<std::string> gtin = GtinOf(id);
      if (gtin.ok()) {
        line_.gtin = std::move(gtin).value();
        return;
      }
      if (gtin_qualifier) {
        AddWarning(out_, {r_.Where(s), std::string(id) + ": " + gtin.status().message() +
                                                   "; kept as the item code"});
      }
    }
    if (line_.item_code.empty()) {
      line_.item_code = (q.empty() ? std::string("ZZ") : std::string(q)) + ":" + std::string(id);
    }
  }

  Status CloseLine(const Segment&) {
    if (!in_line_) return Status::Ok();
    in_line_ = false;
    if (line_.gtin.empty() && line_.item_code.empty()) {
      return r_.Fail(lin_, "edifact-desadv.lin.product", "line " + Shown(lin_.at(1)) + " names no product (LIN/PIA)");
    }
    if (!has_qty_) {
      return r_.Fail(lin_, "edifact-desadv.lin.quantity", "line " + Shown(lin_.at(1)) + " has no QTY+12");
    }
    shipment_.lines.push_back(std::move(line_));
    return Status::Ok();
  }

  const Reader& r_;
  ErpImport* out_;
  ErpProblem* problem_;
  size_t* line_total_;
  Shipment shipment_;
  ShipmentLine line_;
  Segment lin_;
  bool in_line_ = false;
  bool has_qty_ = false;
  std::string pack_sscc_;
  std::string header_order_;
  std::string doc_date_, doc_time_;
  int from_rank_ = 0, to_rank_ = 0;
};

}  // namespace

Status ImportEdifact(std::string_view bytes, ErpImport* out, ErpProblem* problem) {
  Reader r(StripBom(bytes), problem);
  RETURN_IF_ERROR(r.ReadUna());
  Segment seg;
  size_t line_total = 0;
  if (!r.More()) return Refuse(problem, "document", "edifact.empty", "no UNB segment");
  RETURN_IF_ERROR(r.Next(&seg));
  if (seg.tag() != "UNB") return r.Fail(seg, "edifact.unb.missing", "an interchange starts with UNB");
  const std::string unb_ref(seg.at(5));
  size_t top_count = 0;  // messages, or groups when there are groups
  bool groups_used = false, in_group = false, in_message = false;
  std::string ung_ref, unh_ref, type, version;
  size_t group_messages = 0, message_segments = 0;
  std::unique_ptr<DesadvMapper> mapper;
  while (true) {
    if (!r.More()) {
      return Refuse(problem, "end of input", "edifact.truncated",
                    in_message ? "the input ends inside a message (no UNT)"
                               : "the input ends inside the interchange (no UNZ)");
    }
    RETURN_IF_ERROR(r.Next(&seg));
    const std::string& tag = seg.tag();
    if (in_message) {
      ++message_segments;
      if (tag == "UNT") {
        if (!SameCount(seg.at(1), message_segments) && mapper == nullptr) {
          // Nothing is taken from a message of an unsupported type, so a wrong count there
          // cannot corrupt an import: it is reported, not refused.
          AddWarning(out, {r.Where(seg), "UNT " + Shown(seg.at(1)) + " but the " + type +
                                                     " message has " + std::to_string(message_segments) +
                                                     " segments (UNH to UNT)"});
        } else if (!SameCount(seg.at(1), message_segments)) {
          return r.Fail(seg, "edifact.unt.count", "UNT " + Shown(seg.at(1)) + " but the message has " +
                                                      std::to_string(message_segments) + " segments (UNH to UNT)");
        }
        if (seg.at(2) != unh_ref) {
          return r.Fail(seg, "edifact.unt.reference",
                        "UNT reference " + Shown(seg.at(2)) + " differs from UNH " + Shown(unh_ref));
        }
        if (mapper != nullptr) {
          RETURN_IF_ERROR(mapper->Finish(seg, out));
          out->transactions.back().imported = true;
        }
        mapper.reset();
        in_message = false;
        continue;
      }
      if (tag == "UNH" || tag == "UNZ" || tag == "UNG" || tag == "UNE" || tag == "UNB") {
        return r.Fail(seg, "edifact.envelope.order", tag + " inside a message (no UNT before it)");
      }
      if (mapper != nullptr) RETURN_IF_ERROR(mapper->Take(seg));
      continue;
    }
    if (tag == "UNH") {
      if (groups_used && !in_group) return r.Fail(seg, "edifact.envelope.order", "UNH outside the UNG group");
      in_message = true;
      message_segments = 1;
      unh_ref = std::string(seg.at(1));
      if (unh_ref.empty()) return r.Fail(seg, "edifact.unh.reference", "UNH message reference is empty");
      if (in_group) ++group_messages; else ++top_count;
      type = std::string(seg.at(2, 0));
      version = std::string(seg.at(2, 1)) + ":" + std::string(seg.at(2, 2));
      ErpTransactionOutcome outcome{type, version, unh_ref, false, ""};
      if (type == "DESADV") {
        if (seg.at(2, 1) != "D") {
          AddWarning(out, {r.Where(seg), "DESADV message version " + Shown(seg.at(2, 1)) +
                                                     " instead of \"D\"; read as D"});
        }
        mapper = std::make_unique<DesadvMapper>(r, out, problem, &line_total);
        outcome.detail = "mapped by edifact-desadv/1";
      } else {
        outcome.detail = "unsupported message type " + type;
      }
      out->transactions.push_back(std::move(outcome));
      continue;
    }
    if (tag == "UNG") {
      if (in_group) return r.Fail(seg, "edifact.envelope.order", "UNG inside a group (no UNE)");
      if (top_count > 0 && !groups_used) return r.Fail(seg, "edifact.envelope.order", "UNG after ungrouped messages");
      groups_used = in_group = true;
      ++top_count;
      group_messages = 0;
      ung_ref = std::string(seg.at(5));
      continue;
    }
    if (tag == "UNE") {
      if (!in_group) return r.Fail(seg, "edifact.envelope.order", "UNE without UNG");
      if (!SameCount(seg.at(1), group_messages)) {
        return r.Fail(seg, "edifact.une.count", "UNE " + Shown(seg.at(1)) + " but the group has " +
                                                    std::to_string(group_messages) + " messages");
      }
      if (seg.at(2) != ung_ref) {
        return r.Fail(seg, "edifact.une.reference", "UNE reference " + Shown(seg.at(2)) + " differs from UNG " + Shown(ung_ref));
      }
      in_group = false;
      continue;
    }
    if (tag == "UNZ") {
      if (in_group) return r.Fail(seg, "edifact.envelope.order", "UNZ inside a group (no UNE)");
      if (!SameCount(seg.at(1), top_count)) {
        return r.Fail(seg, "edifact.unz.count", "UNZ " + Shown(seg.at(1)) + " but the interchange has " +
                                                    std::to_string(top_count) + (groups_used ? " groups" : " messages"));
      }
      if (seg.at(2) != unb_ref) {
        return r.Fail(seg, "edifact.unz.reference", "UNZ reference " + Shown(seg.at(2)) + " differs from UNB " + Shown(unb_ref));
      }
      if (r.More()) {
        RETURN_IF_ERROR(r.Next(&seg));
        return r.Fail(seg, "edifact.envelope.order", "data after UNZ");
      }
      return Status::Ok();
    }
    return r.Fail(seg, "edifact.envelope.order", tag + " outside a message (UNH..UNT)");
  }
}

}  // namespace tracery::scm_core::erp

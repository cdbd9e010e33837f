#include "tracery/lineage/lot_keys.h"

#include "tracery/core/encoding.h"

#include <vector>

namespace tracery::lineage {
namespace {

// The key qualifiers of an AI 01 path, in the order GS1 Digital Link requires.
constexpr std::string_view kQualifierOrder[] = {"22", "10", "21"};

struct GtinInstance {
  std::string_view gtin;
  std::string_view cpv;  // AI 22, empty when absent
  std::string_view lot;  // AI 10, empty when absent
  std::string_view serial;
};

int QualifierRank(std::string_view key) {
  for (int i = 0; i < 3; ++i) {
    if (kQualifierOrder[i] == key) return i;
  }
  return -1;
}

// Splits https://id.gs1.org/01/G[/22/V][/10/L]/21/S; false for anything else.
bool ParseGtinInstance(std::string_view id, GtinInstance* out) {
  if (!id.starts_with(kGtinPrefix)) return false;
  if (id.find_first_of("?#") != std::string_view::npos) return false;
  std::string_view rest = id.substr(kGtinPrefix.size());
  std::vector<std::string_view> parts;
  while (true) {
    const size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.size() % 2 != 1) return false;
  for (std::string_view p : parts) {
    if (p.empty()) return false;
  }
  *out = GtinInstance{parts[0], {}, {}, {}};
  int last_rank = -1;
  for (size_t i = 1; i + 1 < parts.size(); i += 2) {
    const int rank = QualifierRank(parts[i]);
    if (rank <= last_rank) return false;
    last_rank = rank;
    if (rank == 0) out->cpv = parts[i + 1];
    if (rank == 1) out->lot = parts[i + 1];
    if (rank == 2) out->serial = parts[i + 1];
  }
  return !out->serial.empty();
}

std::string LotUri(const GtinInstance& g, std::string_view encoded_lot) {
  std::string lot(kGtinPrefix);
  lot.append(g.gtin);
  if (!g.cpv.empty()) lot.append("/22/").append(g.cpv);
  lot.append("/10/").append(encoded_lot);
  return lot;
}

}  // namespace

std::string LotOfInstance(std::string_view id) {
  GtinInstance g;
  if (!ParseGtinInstance(id, &g) || g.lot.empty()) return "";
  return LotUri(g, g.lot);
}

std::string LotOfInstanceWithLotNumber(std::string_view id, std::string_view lot_number) {
  GtinInstance g;
  if (lot_number.empty() || !ParseGtinInstance(id, &g)) return "";
  return LotUri(g, DigitalLinkEscape(lot_number));
}


}  // namespace tracery::lineage

// tracery_bench_erp: ERP import of a generated X12 856 ship notice.
//
// Generates in memory (deterministically) one interchange with one 856 of --items item lines:
// a shipment level, an order level (PRF), packs of --items-per-pack items each with a
// MAN*GM SSCC-18, and per item HL*I, LIN with a UPC and a lot (LT), SN1 with a quantity.
// Then, --runs times each, it times:
//   - split: the bound — merely finding every segment terminator with memchr (no parsing);
//   - import: ImportErpDocument (delimiters, envelopes and counts, segments, HL hierarchy,
//     GTIN/SSCC check digits, quantities, the canonical Shipment);
//   - epcis: ShipmentToEpcisEvents on the imported shipment (the JSON-LD events);
// and prints one JSON object per line, the median run of each, with line items per second.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tracery/core/encoding.h"
#include "tracery/scm_core/erp.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string WithCheckDigit(const std::string& body) {
  return body + tracery::Gs1CheckDigit(body);
}

std::string Digits(uint64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(width - std::min<int>(width, static_cast<int>(s.size())), '0') + s;
}

// The 856 text and the number of segments in it.
std::string Generate(size_t items, size_t per_pack) {
  std::vector<std::string> upcs;
  for (int p = 0; p < 1000; ++p) upcs.push_back(WithCheckDigit("61414" + Digits(p, 6)));
  std::string body;
  body.reserve(items * 90 + 1024);
  size_t segments = 0;
  auto seg = [&](const std::string& s) {
    body += s;
    body += '~';
    body += '\n';
    ++segments;
  };
  seg("ST*856*0001");
  seg("BSN*00*SN20260101*20260101*1200");
  size_t hl = 0;
  seg("HL*" + std::to_string(++hl) + "**S");
  seg("TD5*B*2*ABCD");
  seg("REF*BM*BOL123456");
  seg("DTM*011*20260101*1200");
  seg("N1*SF*Farm*UL*0614141000005");
  seg("N1*ST*Shop*UL*0614141000012");
  seg("HL*" + std::to_string(++hl) + "*1*O");
  seg("PRF*PO778899");
  size_t pack_hl = 0;
  for (size_t i = 0; i < items; ++i) {
    if (i % per_pack == 0) {
      pack_hl = ++hl;
      seg("HL*" + std::to_string(pack_hl) + "*2*P");
      seg("MAN*GM*00" + WithCheckDigit("10614141" + Digits(i / per_pack, 9)));
    }
    seg("HL*" + std::to_string(++hl) + "*" + std::to_string(pack_hl) + "*I");
    seg("LIN*" + std::to_string(i % 1000 + 1) + "*UP*" + upcs[i % 1000] + "*LT*L" +
        Digits(i / 5000, 6));
    seg("SN1**" + std::to_string(1 + i % 48) + "*EA");
  }
  seg("CTT*" + std::to_string(hl));
  seg("SE*" + std::to_string(segments + 1) + "*0001");
  return "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*U*"
         "00401*000000001*0*P*>~\nGS*SH*S*R*20260101*1200*1*X*004010~\n" +
         body + "GE*1*1~\nIEA*1*000000001~\n";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t items = 1'000'000, per_pack = 10;
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> long {
      if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); }
      return std::atol(argv[++i]);
    };
    if (a == "--items") items = static_cast<size_t>(value());
    else if (a == "--items-per-pack") per_pack = static_cast<size_t>(value());
    else if (a == "--runs") runs = static_cast<int>(value());
    else {
      std::fprintf(stderr,
                   "usage: tracery_bench_erp [--items 1000000] [--items-per-pack 10] [--runs 3]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  if (items == 0 || per_pack == 0 || runs <= 0) return 2;
  Clock::time_point t0 = Clock::now();
  const std::string text = Generate(items, per_pack);
  const double generate_s = Since(t0);

  std::vector<double> split_s, import_s, epcis_s;
  size_t segments = 0, events = 0, event_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    t0 = Clock::now();
    size_t n = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while ((p = static_cast<const char*>(std::memchr(p, '~', static_cast<size_t>(end - p))))) {
      ++n;
      ++p;
    }
    split_s.push_back(Since(t0));
    segments = n;

    t0 = Clock::now();
    auto imported = tracery::scm_core::ImportErpDocument(text, tracery::scm_core::ErpFormatHint::kAuto);
    import_s.push_back(Since(t0));
    if (!imported.ok()) {
      std::fprintf(stderr, "import failed: %s\n", imported.status().ToString().c_str());
      return 1;
    }
    if (imported->shipments.size() != 1 || imported->shipments[0].lines.size() != items) {
      std::fprintf(stderr, "import produced the wrong number of lines\n");
      return 1;
    }
    t0 = Clock::now();
    auto ev = tracery::scm_core::ShipmentToEpcisEvents(imported->shipments[0]);
    epcis_s.push_back(Since(t0));
    if (!ev.ok()) {
      std::fprintf(stderr, "EPCIS mapping failed: %s\n", ev.status().ToString().c_str());
      return 1;
    }
    events = ev->size();
    event_bytes = 0;
    for (const std::string& e : *ev) event_bytes += e.size();
  }
  const double split = Median(split_s), import = Median(import_s), epcis = Median(epcis_s);
  const double n = static_cast<double>(items);
  auto line = [](const json& j) { std::printf("%s\n", j.dump().c_str()); };
  line({{"figure", "erp_856_document"}, {"line_items", items}, {"items_per_pack", per_pack},
        {"bytes", text.size()}, {"segments", segments}, {"generate_s", generate_s}, {"runs", runs}});
  line({{"figure", "erp_856_split_bound"}, {"seconds", split},
        {"segments_per_s", static_cast<double>(segments) / split},
        {"line_items_per_s", n / split}, {"mb_per_s", static_cast<double>(text.size()) / split / 1e6}});
  line({{"figure", "erp_856_import"}, {"seconds", import}, {"line_items_per_s", n / import},
        {"mb_per_s", static_cast<double>(text.size()) / import / 1e6},
        {"vs_split_bound", split / import}, {"target_line_items_per_s", 200000},
        {"meets_target", n / import >= 200000}, {"all_runs_s", import_s}});
  line({{"figure", "erp_856_epcis_mapping"}, {"seconds", epcis}, {"events", events},
        {"event_bytes", event_bytes}, {"line_items_per_s", n / epcis}});
  line({{"figure", "erp_856_import_and_epcis"}, {"seconds", import + epcis},
        {"line_items_per_s", n / (import + epcis)}});
  return 0;
}

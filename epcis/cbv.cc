#include "tracery/epcis/cbv.h"

#include <algorithm>
#include <array>

namespace tracery::epcis {
namespace {

using namespace std::string_view_literals;

// The complete CBV 2.0 lists (GS1 CBV 2.0, sections 7.1–7.5; the same values as the CBV
// ontology at https://ref.gs1.org/cbv/). Each list is sorted in byte order so that lookups are
// binary searches; the static_asserts below keep it so.
constexpr std::array kBizSteps = {
    "accepting"sv,
    "arriving"sv,
    "assembling"sv,
    "collecting"sv,
    "commissioning"sv,
    "consigning"sv,
    "creating_class_instance"sv,
    "cycle_counting"sv,
    "decommissioning"sv,
    "departing"sv,
    "destroying"sv,
    "disassembling"sv,
    "dispensing"sv,
    "encoding"sv,
    "entering_exiting"sv,
    "holding"sv,
    "inspecting"sv,
    "installing"sv,
    "killing"sv,
    "loading"sv,
    "other"sv,
    "packing"sv,
    "picking"sv,
    "receiving"sv,
    "removing"sv,
    "repackaging"sv,
    "repairing"sv,
    "replacing"sv,
    "reserving"sv,
    "retail_selling"sv,
    "sampling"sv,
    "sensor_reporting"sv,
    "shipping"sv,
    "staging_outbound"sv,
    "stock_taking"sv,
    "stocking"sv,
    "storing"sv,
    "transporting"sv,
    "unloading"sv,
    "unpacking"sv,
    "void_shipping"sv,
};

constexpr std::array kDispositions = {
    "active"sv,
    "available"sv,
    "completeness_inferred"sv,
    "completeness_verified"sv,
    "conformant"sv,
    "container_closed"sv,
    "container_open"sv,
    "damaged"sv,
    "destroyed"sv,
    "dispensed"sv,
    "disposed"sv,
    "encoded"sv,
    "expired"sv,
    "in_progress"sv,
    "in_transit"sv,
    "inactive"sv,
    "mismatch_class"sv,
    "mismatch_instance"sv,
    "mismatch_quantity"sv,
    "needs_replacement"sv,
    "no_pedigree_match"sv,
    "non_conformant"sv,
    "non_sellable_other"sv,
    "partially_dispensed"sv,
    "recalled"sv,
    "reserved"sv,
    "retail_sold"sv,
    "returned"sv,
    "sellable_accessible"sv,
    "sellable_not_accessible"sv,
    "stolen"sv,
    "unavailable"sv,
    "unknown"sv,
};

constexpr std::array kSourceDestTypes = {
    "location"sv,
    "owning_party"sv,
    "possessing_party"sv,
};

constexpr std::array kBizTransactionTypes = {
    "bol"sv, "cert"sv,      "desadv"sv, "inv"sv, "pedigree"sv, "po"sv,
    "poc"sv, "prodorder"sv, "recadv"sv, "rma"sv, "testprd"sv,  "testres"sv,
};

constexpr std::array kErrorReasons = {
    "did_not_occur"sv,
    "incorrect_data"sv,
};

template <size_t N>
constexpr bool SortedAndUnique(const std::array<std::string_view, N>& values) {
  return std::is_sorted(values.begin(), values.end()) &&
         std::adjacent_find(values.begin(), values.end()) == values.end();
}
static_assert(SortedAndUnique(kBizSteps));
static_assert(SortedAndUnique(kDispositions));
static_assert(SortedAndUnique(kSourceDestTypes));
static_assert(SortedAndUnique(kBizTransactionTypes));
static_assert(SortedAndUnique(kErrorReasons));
static_assert(kBizSteps.size() == 41);
static_assert(kDispositions.size() == 33);
static_assert(kSourceDestTypes.size() == 3);
static_assert(kBizTransactionTypes.size() == 12);
static_assert(kErrorReasons.size() == 2);

constexpr std::array kAllVocabularies = {
    CbvVocabulary::kBizStep,        CbvVocabulary::kDisposition,
    CbvVocabulary::kSourceDestType, CbvVocabulary::kBizTransactionType,
    CbvVocabulary::kErrorReason,
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// A URI that names a user-defined value: http://, https:// or urn: followed by at least one
// character, and no space or control character anywhere (they cannot occur in a URI).
bool IsUserUri(std::string_view value) {
  if (!StartsWith(value, "http://") && !StartsWith(value, "https://") &&
      !StartsWith(value, "urn:")) {
    return false;
  }
  if (value == "http://" || value == "https://" || value == "urn:") return false;
  return std::none_of(value.begin(), value.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::string Quoted(std::string_view value) { return "'" + std::string(value) + "'"; }

Status NotInList(CbvVocabulary vocabulary, std::string_view value) {
  return InvalidArgument(Quoted(value) + " is not a CBV 2.0 " + CbvVocabularyName(vocabulary) +
                         "; write a URI for a user-defined one");
}

}  // namespace

const char* CbvVocabularyName(CbvVocabulary vocabulary) {
  switch (vocabulary) {
    case CbvVocabulary::kBizStep:
      return "business step";
    case CbvVocabulary::kDisposition:
      return "disposition";
    case CbvVocabulary::kSourceDestType:
      return "source/destination type";
    case CbvVocabulary::kBizTransactionType:
      return "business transaction type";
    case CbvVocabulary::kErrorReason:
      return "error reason";
  }
  ::tracery::CheckFailed(__FILE__, __LINE__, "unknown CbvVocabulary");
}

std::string_view CbvWebUriPrefix(CbvVocabulary vocabulary) {
  switch (vocabulary) {
    case CbvVocabulary::kBizStep:
      return "https://ref.gs1.org/cbv/BizStep-";
    case CbvVocabulary::kDisposition:
      return "https://ref.gs1.org/cbv/Disp-";
    case CbvVocabulary::kSourceDestType:
      return "https://ref.gs1.org/cbv/SDT-";
    case CbvVocabulary::kBizTransactionType:
      return "https://ref.gs1.org/cbv/BTT-";
    case CbvVocabulary::kErrorReason:
      return "https://ref.gs1.org/cbv/ER-";
  }
  ::tracery::CheckFailed(__FILE__, __LINE__, "unknown CbvVocabulary");
}

std::string_view CbvUrnPrefix(CbvVocabulary vocabulary) {
  switch (vocabulary) {
    case CbvVocabulary::kBizStep:
      return "urn:epcglobal:cbv:bizstep:";
    case CbvVocabulary::kDisposition:
      return "urn:epcglobal:cbv:disp:";
    case CbvVocabulary::kSourceDestType:
      return "urn:epcglobal:cbv:sdt:";
    case CbvVocabulary::kBizTransactionType:
      return "urn:epcglobal:cbv:btt:";
    case CbvVocabulary::kErrorReason:
      return "urn:epcglobal:cbv:er:";
  }
  ::tracery::CheckFailed(__FILE__, __LINE__, "unknown CbvVocabulary");
}

std::span<const std::string_view> CbvValues(CbvVocabulary vocabulary) {
  switch (vocabulary) {
    case CbvVocabulary::kBizStep:
      return kBizSteps;
    case CbvVocabulary::kDisposition:
      return kDispositions;
    case CbvVocabulary::kSourceDestType:
      return kSourceDestTypes;
    case CbvVocabulary::kBizTransactionType:
      return kBizTransactionTypes;
    case CbvVocabulary::kErrorReason:
      return kErrorReasons;
  }
  ::tracery::CheckFailed(__FILE__, __LINE__, "unknown CbvVocabulary");
}

bool IsCbvValue(CbvVocabulary vocabulary, std::string_view bare) {
  std::span<const std::string_view> values = CbvValues(vocabulary);
  return std::binary_search(values.begin(), values.end(), bare);
}

Result<std::string> NormalizeCbv(CbvVocabulary vocabulary, std::string_view value) {
  if (value.empty()) return InvalidArgument("must not be empty");
  const std::string_view web_prefix = CbvWebUriPrefix(vocabulary);
  std::string_view bare;
  if (StartsWith(value, web_prefix)) {
    bare = value.substr(web_prefix.size());
  } else if (StartsWith(value, CbvUrnPrefix(vocabulary))) {
    bare = value.substr(CbvUrnPrefix(vocabulary).size());
  } else if (IsUserUri(value)) {
    return std::string(value);
  } else if (value.find(':') != std::string_view::npos) {
    return InvalidArgument(Quoted(value) + " is neither a CBV 2.0 " +
                           CbvVocabularyName(vocabulary) +
                           " nor an absolute http://, https:// or urn: URI (compact IRIs are not "
                           "expanded here)");
  } else {
    bare = value;
  }
  if (!IsCbvValue(vocabulary, bare)) return NotInList(vocabulary, value);
  std::string uri(web_prefix);
  uri.append(bare);
  return uri;
}

std::string_view CbvBareValue(std::string_view uri) {
  for (CbvVocabulary vocabulary : kAllVocabularies) {
    const std::string_view prefix = CbvWebUriPrefix(vocabulary);
    if (!StartsWith(uri, prefix)) continue;
    const std::string_view bare = uri.substr(prefix.size());
    return IsCbvValue(vocabulary, bare) ? bare : uri;
  }
  return uri;
}

}  // namespace tracery::epcis

#include "vocabulary.h"

#include <algorithm>
#include <optional>

#include "json_syntax.h"
#include "tracery/epcis/cbv.h"

namespace tracery::epcis {
namespace {

bool IsBareTerm(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::optional<CbvVocabulary> CbvOf(Vocabulary vocabulary) {
  switch (vocabulary) {
    case Vocabulary::kBizStep:
      return CbvVocabulary::kBizStep;
    case Vocabulary::kDisposition:
      return CbvVocabulary::kDisposition;
    case Vocabulary::kSourceDestType:
      return CbvVocabulary::kSourceDestType;
    case Vocabulary::kBizTransactionType:
      return CbvVocabulary::kBizTransactionType;
    case Vocabulary::kErrorReason:
      return CbvVocabulary::kErrorReason;
    case Vocabulary::kMeasurementType:
    case Vocabulary::kSensorAlertType:
    case Vocabulary::kComponent:
      return std::nullopt;
  }
  return std::nullopt;
}

// The URI a bare term of a non-CBV vocabulary stands for; nullopt when the term is not one.
std::optional<std::string> BareTermUri(Vocabulary vocabulary, std::string_view term) {
  if (!IsBareTerm(term)) return std::nullopt;
  switch (vocabulary) {
    case Vocabulary::kMeasurementType:
      return "https://ref.gs1.org/voc/" + std::string(term);
    case Vocabulary::kSensorAlertType:
      if (term != "ALARM_CONDITION" && term != "ERROR_CONDITION") return std::nullopt;
      return "https://ref.gs1.org/voc/SensorAlertType-" + std::string(term);
    case Vocabulary::kComponent:
      return "https://ref.gs1.org/cbv/Comp-" + std::string(term);
    default:
      return std::nullopt;
  }
}

Status UndeclaredPrefix(std::string_view value) {
  std::string_view prefix = value.substr(0, value.find(':'));
  return InvalidArgument(Shown(value) + ": the prefix '" + std::string(prefix) +
                         "' is not declared in @context");
}

}  // namespace

bool IsLotNumberMember(std::string_view name, const Namespaces& namespaces) {
  constexpr std::string_view kLocal = "lotNumber";
  if (name.size() <= kLocal.size() || name.substr(name.size() - kLocal.size()) != kLocal) {
    return false;
  }
  std::string expanded = namespaces.ExpandValue(name);
  std::string_view ns = std::string_view(expanded).substr(0, expanded.size() - kLocal.size());
  while (!ns.empty() && (ns.back() == ':' || ns.back() == '/' || ns.back() == '#')) {
    ns.remove_suffix(1);
  }
  return ns == "urn:epcglobal:cbv:mda" || ns == "https://ref.gs1.org/cbv/mda";
}

Result<std::string> VocabularyUri(Vocabulary vocabulary, std::string_view value,
                                  const Namespaces& namespaces) {
  if (value.empty()) return InvalidArgument("must not be empty");
  const std::string expanded = namespaces.ExpandValue(value);
  if (std::optional<CbvVocabulary> cbv = CbvOf(vocabulary)) {
    std::optional<std::string_view> prefix = Namespaces::PrefixOf(expanded);
    if (prefix && *prefix != "http" && *prefix != "https" && namespaces.Find(*prefix) == nullptr) {
      return UndeclaredPrefix(value);
    }
    return NormalizeCbv(*cbv, expanded);
  }
  if (std::optional<std::string> uri = BareTermUri(vocabulary, expanded)) return *uri;
  if (!IsAbsoluteUri(expanded) || HasSpaceOrControl(expanded)) {
    return InvalidArgument(Shown(value) +
                           " is neither a term of the vocabulary nor an absolute URI");
  }
  return expanded;
}

}  // namespace tracery::epcis

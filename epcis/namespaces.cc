#include "namespaces.h"

#include <utility>

namespace tracery::epcis {
namespace {

using nlohmann::json;

constexpr std::string_view kGs1Vocabulary = "https://ref.gs1.org/voc/";

// The prefixes the EPCIS 2.0 JSON-LD context (epcis-context.jsonld) declares and events use
// without declaring them again.
constexpr std::pair<std::string_view, std::string_view> kWellKnown[] = {
    {"cbv", "https://ref.gs1.org/cbv/"},
    {"cbvmda", "urn:epcglobal:cbv:mda:"},
    {"dcterms", "http://purl.org/dc/terms/"},
    {"epcis", "https://ref.gs1.org/epcis/"},
    {"gs1", kGs1Vocabulary},
    {"owl", "http://www.w3.org/2002/07/owl#"},
    {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
    {"xsd", "http://www.w3.org/2001/XMLSchema#"},
};

std::string Normalised(std::string iri) {
  if (iri == "https://gs1.org/voc/" || iri == "http://gs1.org/voc/")
    return std::string(kGs1Vocabulary);
  return iri;
}

}  // namespace

Namespaces::Namespaces(const json& context) {
  for (const auto& [prefix, iri] : kWellKnown) prefixes_.emplace(prefix, iri);
  auto add_object = [this](const json& object) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (it.key().find(':') != std::string::npos || it.key().empty() || it.key()[0] == '@') {
        continue;
      }
      const json& v = it.value();
      const json* iri = v.is_string() ? &v : nullptr;
      if (v.is_object() && v.contains("@id") && v["@id"].is_string()) iri = &v["@id"];
      if (iri != nullptr) prefixes_[it.key()] = Normalised(iri->get<std::string>());
    }
  };
  if (context.is_object()) add_object(context);
  if (context.is_array()) {
    for (const json& entry : context) {
      if (entry.is_object()) add_object(entry);
    }
  }
}

const std::string* Namespaces::Find(std::string_view prefix) const {
  auto it = prefixes_.find(prefix);
  return it == prefixes_.end() ? nullptr : &it->second;
}

std::optional<std::string_view> Namespaces::PrefixOf(std::string_view name) {
  size_t colon = name.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view prefix = name.substr(0, colon);
  std::string_view suffix = name.substr(colon + 1);
  if (suffix.substr(0, 2) == "//" || prefix == "urn") return std::nullopt;
  return prefix;
}

std::string Namespaces::ExpandValue(std::string_view value) const {
  std::optional<std::string_view> prefix = PrefixOf(value);
  const std::string* iri = prefix ? Find(*prefix) : nullptr;
  if (iri == nullptr) return std::string(value);
  return *iri + std::string(value.substr(prefix->size() + 1));
}

std::string Namespaces::HashName(std::string_view name) const {
  if (std::optional<std::string_view> prefix = PrefixOf(name)) {
    const std::string* iri = Find(*prefix);
    if (iri == nullptr) return std::string(name);
    return "{" + *iri + "}" + std::string(name.substr(prefix->size() + 1));
  }
  if (name.find(':') == std::string_view::npos) return std::string(name);
  size_t split = name.find_last_of("/#:");
  return "{" + std::string(name.substr(0, split + 1)) + "}" + std::string(name.substr(split + 1));
}

}  // namespace tracery::epcis

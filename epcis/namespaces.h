// The namespaces of an EPCIS document's JSON-LD "@context", as far as Tracery needs them: to
// expand the prefixes of user extensions ("example:myField") and of compact IRIs in vocabulary
// values ("cbv:Comp-easting"). Nothing is fetched: a context given as a URL contributes nothing
// beyond the well-known prefixes of the EPCIS 2.0 context, which are built in. Internal to epcis/.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tracery::epcis {

class Namespaces {
 public:
  // The well-known prefixes (epcis, cbv, cbvmda, gs1, dcterms, xsd, rdf, rdfs, owl), overridden
  // by the string-valued members (and {"@id": "..."} members) of every object in `context` (an
  // object, or an array of objects and URL strings). Members whose name contains ':' (term
  // definitions such as "rail:vehiclePosition") are not prefixes and are skipped. The GS1 Web
  // Vocabulary namespace is one namespace whether a document writes it https://gs1.org/voc/ or
  // https://ref.gs1.org/voc/: both read as the latter, so the XML and JSON forms of one event
  // agree.
  explicit Namespaces(const nlohmann::json& context);

  // The namespace IRI of `prefix`, or nullptr when it is not declared.
  const std::string* Find(std::string_view prefix) const;

  // The prefix of a compact IRI "prefix:suffix" (the suffix not starting with "//"); nullopt
  // for a name without ':' and for an absolute IRI (http://..., urn:...).
  static std::optional<std::string_view> PrefixOf(std::string_view name);

  // "prefix:suffix" with a declared prefix as the full IRI; anything else unchanged.
  std::string ExpandValue(std::string_view value) const;

  // A member name as the Event Hash ID writes it (CBV 2.0 §8.9): "{namespace}localName" for
  // "prefix:localName" with a declared prefix, and for an absolute IRI (split after its last
  // '/', '#' or ':'); any other name unchanged.
  std::string HashName(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> prefixes_;
};

}  // namespace tracery::epcis

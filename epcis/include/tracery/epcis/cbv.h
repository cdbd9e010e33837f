// CBV 2.0 (GS1 Core Business Vocabulary) values: normalisation to their Web URI form.
//
// A CBV value can be written three ways; Tracery stores and prints only the Web URI:
//   bare      "shipping"
//   URN       "urn:epcglobal:cbv:bizstep:shipping"
//   Web URI   "https://ref.gs1.org/cbv/BizStep-shipping"
// Any other absolute URI (http://, https://, urn:) is a user-defined vocabulary value and is kept
// exactly as given. The vocabulary lists are the complete CBV 2.0 lists, built in as sorted
// arrays: lookups are binary searches, with no allocation and no hash containers.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tracery/core/status.h"

namespace tracery::epcis {

enum class CbvVocabulary {
  kBizStep,             // BizStep-, urn:epcglobal:cbv:bizstep:
  kDisposition,         // Disp-,    urn:epcglobal:cbv:disp:
  kSourceDestType,      // SDT-,     urn:epcglobal:cbv:sdt:
  kBizTransactionType,  // BTT-,     urn:epcglobal:cbv:btt:
  kErrorReason,         // ER-,      urn:epcglobal:cbv:er:   (errorDeclaration reason)
};

// The vocabulary's name in messages: "business step", "disposition", "source/destination type",
// "business transaction type", "error reason".
const char* CbvVocabularyName(CbvVocabulary vocabulary);
// "https://ref.gs1.org/cbv/BizStep-" and so on.
std::string_view CbvWebUriPrefix(CbvVocabulary vocabulary);
// "urn:epcglobal:cbv:bizstep:" and so on.
std::string_view CbvUrnPrefix(CbvVocabulary vocabulary);

// The bare values of the CBV 2.0 list of the vocabulary, sorted (byte order), without
// duplicates. The span refers to static storage.
std::span<const std::string_view> CbvValues(CbvVocabulary vocabulary);
// Whether `bare` ("shipping") is a value of the CBV 2.0 list of the vocabulary.
bool IsCbvValue(CbvVocabulary vocabulary, std::string_view bare);

// The Web URI of `value`:
// - a bare value or the URN of this vocabulary must name a value of the CBV 2.0 list;
// - the Web URI of this vocabulary must name one too ("https://ref.gs1.org/cbv/BizStep-shiping"
//   is a typo, not a user-defined value: GS1's namespace is not open to users);
// - any other URI starting with http://, https:// or urn: is returned unchanged;
// - anything else (a word not in the list, a compact IRI such as "ex:step", text with spaces or
//   control characters, the empty string) is refused with InvalidArgument.
// The message does not name the field; the caller prefixes its path, so that it reads
// "bizStep: 'shiping' is not a CBV 2.0 business step; write a URI for a user-defined one".
Result<std::string> NormalizeCbv(CbvVocabulary vocabulary, std::string_view value);

// For short (table) output: when `uri` is the Web URI of a value of any of the four CBV 2.0
// lists, its bare value ("https://ref.gs1.org/cbv/BizStep-shipping" → "shipping"); otherwise
// `uri` itself. The result is a view into `uri`.
std::string_view CbvBareValue(std::string_view uri);

}  // namespace tracery::epcis

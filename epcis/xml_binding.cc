// The XML bindings of EPCIS 2.0 and 1.2, converted to the JSON-LD form of EPCIS 2.0 with
// libxml2's DOM. docs/formats/epcis-xml.md describes the mapping and its choices.
//
// Safety: the parser never loads a DTD, never expands an entity, never touches the network, and
// refuses any DOCTYPE that declares something (an entity, element, attribute list or notation)
// or names an external subset, before any declaration takes effect: that is the defence against
// entity expansion ("billion laughs") and external entities (XXE). A bare `<!DOCTYPE name>`,
// which GS1's own examples carry and which declares nothing, is accepted. Input is bounded by
// kMaxDocumentBytes, element nesting by kMaxXmlDepth (libxml2 keeps its own bound of 256 too),
// events by kMaxDocumentEvents.
#include "xml_binding.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tracery::epcis {
namespace {

using nlohmann::json;

// Element nesting of an XML document, its root counting 1. EPCIS documents nest about ten deep
// (a sensor report or an ILMD member inside an event); this leaves room for user extensions and
// keeps the JSON that comes out (at most two levels per element) within kMaxJsonDepth.
constexpr int kMaxXmlDepth = 32;
// Distinct namespaces of extension elements and attributes declared in one "@context".
constexpr size_t kMaxContextNamespaces = 1'000;

constexpr std::string_view kEpcis2Ns = "urn:epcglobal:epcis:xsd:2";
constexpr std::string_view kEpcis1Ns = "urn:epcglobal:epcis:xsd:1";
constexpr std::string_view kEpcisQuery2Ns = "urn:epcglobal:epcis-query:xsd:2";
constexpr std::string_view kEpcisQuery1Ns = "urn:epcglobal:epcis-query:xsd:1";
constexpr std::string_view kEpcisMasterData1Ns = "urn:epcglobal:epcis-masterdata:xsd:1";
constexpr std::string_view kEpcisMasterData2Ns = "urn:epcglobal:epcis-masterdata:xsd:2";
constexpr std::string_view kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
constexpr char kEpcisContext[] = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
// Where the schemaVersion of an EPCIS 1.x document is kept once it becomes a 2.0 document.
constexpr char kTraceryPrefix[] = "tracery";
constexpr char kTraceryNs[] = "urn:tracery:epcis:xml:";
constexpr char kSourceSchemaVersion[] = "tracery:sourceSchemaVersion";

// Prefixes that the standard EPCIS 2.0 context defines: an XML namespace that uses one of them
// for another URI gets another prefix, and one that binds it to the same URI needs no entry.
const std::map<std::string, std::string, std::less<>>& StandardPrefixes() {
  static const auto* const kPrefixes = new std::map<std::string, std::string, std::less<>>{
      {"epcis", "https://ref.gs1.org/epcis/"},
      {"cbv", "https://ref.gs1.org/cbv/"},
      {"gs1", "https://gs1.org/voc/"},
      {"xsd", "http://www.w3.org/2001/XMLSchema#"},
      {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
      {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
      {"owl", "http://www.w3.org/2002/07/owl#"},
      {"dcterms", "http://purl.org/dc/terms/"},
      {"sh", "http://www.w3.org/ns/shacl#"},
      {"schema", "http://schema.org/"},
  };
  return *kPrefixes;
}

std::string_view Sv(const xmlChar* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// Parsing

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
using CtxtPtr = std::unique_ptr<xmlParserCtxt, CtxtFree>;

// What the SAX hooks saw while libxml2 parsed; reached through xmlParserCtxt::_private.
struct ParseState {
  bool doctype_refused = false;
  int doctype_line = 0;
  std::string doctype_detail;
  bool has_error = false;
  int error_line = 0;
  std::string error_message;
};

ParseState* StateOf(void* ctx) {
  return static_cast<ParseState*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

void RefuseDoctype(void* ctx, std::string detail) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  ParseState* state = StateOf(ctx);
  if (!state->doctype_refused) {
    state->doctype_refused = true;
    state->doctype_line = xmlSAX2GetLineNumber(ctx);
    state->doctype_detail = std::move(detail);
  }
  xmlStopParser(ctxt);
}

// SAX hooks. Each declaration hook stops the parser before libxml2 records the declaration.
void OnInternalSubset(void* ctx, const xmlChar*, const xmlChar* external_id,
                      const xmlChar* system_id) {
  if (external_id != nullptr || system_id != nullptr) {
    RefuseDoctype(ctx, "a DOCTYPE naming an external DTD is refused");
  }
  // Nothing is recorded for a bare DOCTYPE: no DTD node, so nothing can refer to it.
}
void OnEntityDecl(void* ctx, const xmlChar* name, int, const xmlChar*, const xmlChar*, xmlChar*) {
  RefuseDoctype(ctx, "a DOCTYPE declaring entities is refused (entity '" + std::string(Sv(name)) +
                         "'); entity expansion is disabled");
}
void OnElementDecl(void* ctx, const xmlChar*, int, xmlElementContent*) {
  RefuseDoctype(ctx, "a DOCTYPE declaring elements is refused");
}
void OnAttributeDecl(void* ctx, const xmlChar*, const xmlChar*, int, int, const xmlChar*,
                     xmlEnumeration* tree) {
  xmlFreeEnumeration(tree);  // the hook owns it
  RefuseDoctype(ctx, "a DOCTYPE declaring attributes is refused");
}
void OnNotationDecl(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  RefuseDoctype(ctx, "a DOCTYPE declaring notations is refused");
}
void OnUnparsedEntityDecl(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*,
                          const xmlChar*) {
  RefuseDoctype(ctx, "a DOCTYPE declaring entities is refused");
}
// libxml2's errors go here instead of stderr; the first error is the one reported.
void OnError(void* ctx, xmlError* error) {
  if (error == nullptr || error->level < XML_ERR_ERROR) return;
  ParseState* state = StateOf(ctx);
  if (state->has_error) return;
  state->has_error = true;
  state->error_line = error->line;
  std::string message = error->message ? error->message : "not well-formed";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  state->error_message = std::move(message);
}

// Errors that libxml2 raises without a parser context (encoding conversion, I/O) go to the
// thread's structured error handler, or else to stderr. While a parse runs, this routes them to
// the parse's own handler on the calling thread (libxml2 keeps these handlers per thread), and
// restores the previous one afterwards.
class ThreadErrorRoute {
 public:
  explicit ThreadErrorRoute(xmlParserCtxt* ctxt)
      : previous_(xmlStructuredError), previous_context_(xmlStructuredErrorContext) {
    xmlSetStructuredErrorFunc(ctxt, OnError);
  }
  ~ThreadErrorRoute() { xmlSetStructuredErrorFunc(previous_context_, previous_); }
  ThreadErrorRoute(const ThreadErrorRoute&) = delete;
  ThreadErrorRoute& operator=(const ThreadErrorRoute&) = delete;

 private:
  xmlStructuredErrorFunc previous_;
  void* previous_context_;
};

Status Fail(Problem* problem, std::string field, std::string rule, std::string detail) {
  Status status = InvalidArgument(field + ": " + detail);
  if (problem) *problem = {std::move(field), std::move(rule), std::move(detail)};
  return status;
}

// The parsing options, all given explicitly: no DTD loading, attribute defaults, validation,
// entity substitution, XInclude or network; no "huge" mode (libxml2 keeps its limits on text
// size and nesting); CDATA merged into text; line numbers beyond 65535 kept.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

// Parses `xml` into a DOM. `what` names the input in problems ("document" or "event").
Result<DocPtr> ParseXml(std::string_view xml, const std::string& what, Problem* problem) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });

  if (xml.size() > kMaxDocumentBytes) {
    return Fail(problem, what, "xml.size",
                std::to_string(xml.size()) + " bytes is more than the limit kMaxDocumentBytes (" +
                    std::to_string(kMaxDocumentBytes) + ")");
  }
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Fail(problem, what, "xml.wellFormed", "line 1: the document is empty");
  }
  ParseState state;  // outlives the parser context that points to it
  CtxtPtr ctxt(xmlCreateMemoryParserCtxt(xml.data(), static_cast<int>(xml.size())));
  if (!ctxt) return Internal(what + ": cannot create an XML parser");
  ctxt->_private = &state;
  xmlCtxtUseOptions(ctxt.get(), kParseOptions);
  xmlSAXHandler* sax = ctxt->sax;
  sax->internalSubset = OnInternalSubset;
  sax->entityDecl = OnEntityDecl;
  sax->elementDecl = OnElementDecl;
  sax->attributeDecl = OnAttributeDecl;
  sax->notationDecl = OnNotationDecl;
  sax->unparsedEntityDecl = OnUnparsedEntityDecl;
  sax->externalSubset = nullptr;  // never load one
  sax->serror = OnError;
  sax->warning = nullptr;
  sax->error = nullptr;
  sax->fatalError = nullptr;

  int parsed = -1;
  {
    ThreadErrorRoute route(ctxt.get());
    parsed = xmlParseDocument(ctxt.get());
  }
  DocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  if (state.doctype_refused) {
    return Fail(problem, what, "xml.doctype",
                "line " + std::to_string(state.doctype_line) + ": " + state.doctype_detail);
  }
  if (parsed != 0 || !ctxt->wellFormed || !doc || state.has_error) {
    std::string message = state.has_error ? state.error_message : "not well-formed";
    const int line = state.has_error ? state.error_line : xmlSAX2GetLineNumber(ctxt.get());
    return Fail(problem, what, "xml.wellFormed", "line " + std::to_string(line) + ": " + message);
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    return Fail(problem, what, "xml.wellFormed", "line 1: no root element");
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Element helpers

std::string_view LocalName(const xmlNode* node) { return Sv(node->name); }
std::string_view NsUri(const xmlNode* node) { return node->ns ? Sv(node->ns->href) : ""; }

// An element of the EPCIS binding itself: unqualified (as the EPCIS schemas declare them) or,
// as some writers do with a default namespace, in one of the EPCIS namespaces.
bool IsEpcisNamespace(std::string_view ns) {
  return ns == kEpcis2Ns || ns == kEpcis1Ns || ns == kEpcisQuery2Ns || ns == kEpcisQuery1Ns ||
         ns == kEpcisMasterData1Ns || ns == kEpcisMasterData2Ns;
}
bool IsEpcisElement(const xmlNode* node) {
  const std::string_view ns = NsUri(node);
  return ns.empty() || IsEpcisNamespace(ns);
}
bool Is(const xmlNode* node, std::string_view name) {
  return IsEpcisElement(node) && LocalName(node) == name;
}

std::string QualifiedName(const xmlNode* node) {
  std::string name;
  if (!IsEpcisElement(node) && node->ns && node->ns->prefix) {
    name = std::string(Sv(node->ns->prefix)) + ":";
  }
  name += LocalName(node);
  return name;
}

// "EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/epcList": the element's path with the
// 1-based position among siblings of the same name wherever there are several. Computed only
// when a problem is reported.
std::string ElementPath(const xmlNode* node) {
  std::vector<std::string> steps;
  for (const xmlNode* n = node; n != nullptr && n->type == XML_ELEMENT_NODE; n = n->parent) {
    int index = 0;
    int same = 0;
    if (n->parent != nullptr) {
      for (const xmlNode* s = n->parent->children; s != nullptr; s = s->next) {
        if (s->type != XML_ELEMENT_NODE || LocalName(s) != LocalName(n) || NsUri(s) != NsUri(n)) {
          continue;
        }
        ++same;
        if (s == n) index = same;
      }
    }
    std::string step = QualifiedName(n);
    if (same > 1) step += "[" + std::to_string(index) + "]";
    steps.push_back(std::move(step));
  }
  std::string path;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += *it;
  }
  return path;
}

Status FailAt(Problem* problem, const xmlNode* node, std::string rule, const std::string& detail) {
  return Fail(problem, ElementPath(node), std::move(rule),
              "line " + std::to_string(xmlGetLineNo(node)) + ": " + detail);
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// The content of an element, split: its child elements in order, and its text (text and CDATA
// children concatenated, then trimmed). Comments and processing instructions are skipped; an
// entity reference is refused (no entity is ever declared, so it can only be an undeclared one).
struct Content {
  std::vector<const xmlNode*> elements;
  std::string text;
};

Result<Content> ContentOf(const xmlNode* node, Problem* problem) {
  Content content;
  std::string raw;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    switch (c->type) {
      case XML_ELEMENT_NODE:
        content.elements.push_back(c);
        break;
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        raw += Sv(c->content);
        break;
      case XML_ENTITY_REF_NODE:
        return FailAt(problem, node, "xml.entity",
                      "entity reference '&" + std::string(Sv(c->name)) +
                          ";' refused: no entities are declared or expanded");
      default:
        break;
    }
  }
  content.text = std::string(Trim(raw));
  return content;
}

// The trimmed text of an element that must hold text only.
Result<std::string> TextOf(const xmlNode* node, Problem* problem) {
  ASSIGN_OR_RETURN(Content content, ContentOf(node, problem));
  if (!content.elements.empty()) {
    return FailAt(problem, content.elements.front(), "xml.structure",
                  "<" + QualifiedName(node) + "> holds text only, not <" +
                      QualifiedName(content.elements.front()) + ">");
  }
  return std::move(content.text);
}

int Depth(const xmlNode* node) {
  int depth = 0;
  for (const xmlNode* n = node; n != nullptr && n->type == XML_ELEMENT_NODE; n = n->parent) {
    ++depth;
  }
  return depth;
}

// An xsd:decimal or xsd:double lexical form as a JSON number: an integer when the value is
// integral and exact in a double (so "26.0" and "26" give the same number), else a double.
// Returns nullopt for anything else (including INF and NaN, which JSON cannot hold), so the
// caller keeps the text and validation reports it.
std::optional<json> NumberFromText(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  // Grammar check first: from_chars alone would accept "inf", "nan" and hex forms.
  size_t i = (!s.empty() && s.front() == '-') ? 1 : 0;
  size_t digits = 0;
  bool integral_syntax = true;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    integral_syntax = false;
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integral_syntax = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;

  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (integral_syntax) {
    int64_t v = 0;
    if (auto [p, ec] = std::from_chars(first, last, v); ec == std::errc() && p == last) {
      return json(v);
    }
    uint64_t u = 0;
    if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc() && p == last) {
      return json(u);
    }
  }
  double d = 0;
  auto [p, ec] = std::from_chars(first, last, d, std::chars_format::general);
  if (ec != std::errc() || p != last || !std::isfinite(d)) return std::nullopt;
  constexpr double kExactIntegerBound = 9007199254740992.0;  // 2^53
  if (std::floor(d) == d && std::fabs(d) < kExactIntegerBound) {
    return json(static_cast<int64_t>(d));
  }
  return json(d);
}

json NumberOrText(const std::string& text) {
  std::optional<json> number = NumberFromText(text);
  return number ? std::move(*number) : json(text);
}

// Adds a member; a member that is already there becomes an array of all its values in document
// order. (Values made here from elements are never arrays themselves, so an array always means
// repetition.)
void AddRepeatable(json& object, const std::string& name, json value) {
  auto it = object.find(name);
  if (it == object.end()) {
    object[name] = std::move(value);
  } else if (it->is_array()) {
    it->push_back(std::move(value));
  } else {
    json both = json::array();
    both.push_back(std::move(*it));
    both.push_back(std::move(value));
    *it = std::move(both);
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion

// The members of an event element, by how they map to JSON.
enum class Kind {
  kText,
  kTextList,  // repeatable text (certificationInfo)
  kEpcList,
  kQuantityList,
  kLocation,
  kBizTransactionList,
  kSourceList,
  kDestinationList,
  kPersistentDisposition,
  kErrorDeclaration,
  kSensorElementList,
  kIlmd,
};

std::optional<Kind> EventMemberKind(std::string_view name) {
  static const auto* const kKinds = new std::map<std::string_view, Kind>{
      {"eventTime", Kind::kText},
      {"recordTime", Kind::kText},
      {"eventTimeZoneOffset", Kind::kText},
      {"eventID", Kind::kText},
      {"certificationInfo", Kind::kTextList},
      {"parentID", Kind::kText},
      {"action", Kind::kText},
      {"bizStep", Kind::kText},
      {"disposition", Kind::kText},
      {"transformationID", Kind::kText},
      {"epcList", Kind::kEpcList},
      {"childEPCs", Kind::kEpcList},
      {"inputEPCList", Kind::kEpcList},
      {"outputEPCList", Kind::kEpcList},
      {"quantityList", Kind::kQuantityList},
      {"childQuantityList", Kind::kQuantityList},
      {"inputQuantityList", Kind::kQuantityList},
      {"outputQuantityList", Kind::kQuantityList},
      {"readPoint", Kind::kLocation},
      {"bizLocation", Kind::kLocation},
      {"bizTransactionList", Kind::kBizTransactionList},
      {"sourceList", Kind::kSourceList},
      {"destinationList", Kind::kDestinationList},
      {"persistentDisposition", Kind::kPersistentDisposition},
      {"errorDeclaration", Kind::kErrorDeclaration},
      {"sensorElementList", Kind::kSensorElementList},
      {"ilmd", Kind::kIlmd},
  };
  auto it = kKinds->find(name);
  if (it == kKinds->end()) return std::nullopt;
  return it->second;
}

// Converts the elements of one document (or one event) and collects the "@context" entries of
// the extension namespaces it meets. Not thread-safe; one per conversion.
class Converter {
 public:
  explicit Converter(Problem* problem) : problem_(problem) {}

  Result<json> Document(const xmlNode* root);
  Result<json> SingleEvent(const xmlNode* node);

 private:
  // The JSON-LD "@context": the EPCIS 2.0 context, then one {prefix: namespace} per extension
  // namespace in prefix order.
  json Context() const;
  // The prefix under which `ns` appears in member names, declared in the context.
  Result<std::string> PrefixFor(const xmlNode* where, const xmlNs* ns);
  // "prefix:local" for a namespaced node, "local" for an unqualified one.
  Result<std::string> MemberName(const xmlNode* where, const xmlNs* ns, std::string_view local);

  Status Header(const xmlNode* header, json& out);
  Result<json> MasterData(const xmlNode* node);
  Result<json> Vocabulary(const xmlNode* node);
  Result<json> VocabularyElement(const xmlNode* node);
  Status Body(const xmlNode* body, bool query, json& out);
  Status EventList(const xmlNode* list, json& events);
  Result<json> QueryResults(const xmlNode* node);

  Result<json> Event(const xmlNode* node);
  Status EventMember(const xmlNode* child, json& event);
  Result<json> EventMemberValue(Kind kind, const xmlNode* child);
  Result<json> EpcList(const xmlNode* node);
  Result<json> QuantityList(const xmlNode* node);
  Result<json> QuantityElement(const xmlNode* node);
  Result<json> Location(const xmlNode* node);
  Result<json> TypedList(const xmlNode* node, std::string_view item);
  Result<json> PersistentDisposition(const xmlNode* node);
  Result<json> ErrorDeclaration(const xmlNode* node);
  Result<json> SensorElementList(const xmlNode* node);
  Result<json> SensorElement(const xmlNode* node);
  Result<json> SensorAttributes(const xmlNode* node);
  Result<json> Ilmd(const xmlNode* node);

  // Any element outside the EPCIS binding (user extensions, the SBDH): text becomes a string;
  // attributes and child elements become members (repeated ones an array); text beside them
  // goes to "#text".
  Result<json> Generic(const xmlNode* node);
  // Adds the namespaced attributes of `node` (an EPCIS element) as members; refuses unqualified
  // ones, which the EPCIS schemas do not allow there, unless listed in `allowed`.
  Status ExtensionAttributes(const xmlNode* node, json& out,
                             std::initializer_list<std::string_view> allowed = {});
  // Refuses any attribute but the xsi: annotations (and those in `allowed`), on an element whose
  // JSON form (a string or an array) has no room for them.
  Status NoAttributes(const xmlNode* node, std::initializer_list<std::string_view> allowed = {});
  // Adds an extension element `child` of an EPCIS element to `out` as "prefix:name".
  Status AddExtension(const xmlNode* child, json& out);
  // Children of `node`, with the <extension>/<baseExtension> wrappers of EPCIS 1.x (and any
  // left in 2.0 documents) replaced by their content.
  Result<std::vector<const xmlNode*>> Unwrapped(const xmlNode* node);
  Status CheckDepth(const xmlNode* node);

  Status Unexpected(const xmlNode* node) {
    return FailAt(problem_, node, "xml.structure",
                  "unexpected element <" + QualifiedName(node) + "> in <" +
                      (node->parent ? QualifiedName(node->parent) : std::string()) + ">");
  }

  Problem* problem_;
  std::map<std::string, std::string> prefix_to_ns_;  // extension namespaces met so far
  std::map<std::string, std::string> ns_to_prefix_;
  size_t events_ = 0;
};

json Converter::Context() const {
  json context = json::array({kEpcisContext});
  for (const auto& [prefix, ns] : prefix_to_ns_) context.push_back(json{{prefix, ns}});
  return context;
}

Result<std::string> Converter::PrefixFor(const xmlNode* where, const xmlNs* ns) {
  const std::string uri(Sv(ns->href));
  if (auto it = ns_to_prefix_.find(uri); it != ns_to_prefix_.end()) return it->second;
  std::string prefix(ns->prefix ? Sv(ns->prefix) : "ns");
  const auto& standard = StandardPrefixes();
  if (auto it = standard.find(prefix); it != standard.end() && it->second == uri) {
    ns_to_prefix_[uri] = prefix;  // the standard context already declares it
    return prefix;
  }
  // A prefix taken (by the standard context or by another namespace of this document) or
  // missing (a default namespace) gets a numbered one: "ns1", "ext1_2", ...
  if (!ns->prefix || standard.count(prefix) || prefix_to_ns_.count(prefix) ||
      prefix == kTraceryPrefix) {
    const std::string base = prefix;
    for (int n = ns->prefix ? 2 : 1;; ++n) {
      prefix = base + (ns->prefix ? "_" : "") + std::to_string(n);
      if (!standard.count(prefix) && !prefix_to_ns_.count(prefix)) break;
    }
  }
  if (prefix_to_ns_.size() >= kMaxContextNamespaces) {
    return FailAt(problem_, where, "xml.limit",
                  "more than kMaxContextNamespaces (" + std::to_string(kMaxContextNamespaces) +
                      ") extension namespaces");
  }
  prefix_to_ns_[prefix] = uri;
  ns_to_prefix_[uri] = prefix;
  return prefix;
}

Result<std::string> Converter::MemberName(const xmlNode* where, const xmlNs* ns,
                                          std::string_view local) {
  // Unqualified names, and names in an EPCIS namespace made default by the writer, stay bare.
  if (ns == nullptr || IsEpcisNamespace(Sv(ns->href))) return std::string(local);
  ASSIGN_OR_RETURN(std::string prefix, PrefixFor(where, ns));
  return prefix + ":" + std::string(local);
}

Status Converter::CheckDepth(const xmlNode* node) {
  if (Depth(node) > kMaxXmlDepth) {
    return FailAt(
        problem_, node, "xml.depth",
        "elements nested deeper than kMaxXmlDepth (" + std::to_string(kMaxXmlDepth) + ")");
  }
  return Status::Ok();
}

Result<std::vector<const xmlNode*>> Converter::Unwrapped(const xmlNode* node) {
  ASSIGN_OR_RETURN(Content content, ContentOf(node, problem_));
  if (!content.text.empty()) {
    return FailAt(problem_, node, "xml.structure",
                  "<" + QualifiedName(node) + "> holds elements, not text ('" +
                      content.text.substr(0, 40) + "')");
  }
  std::vector<const xmlNode*> out;
  for (const xmlNode* child : content.elements) {
    if (Is(child, "extension") || Is(child, "baseExtension")) {
      RETURN_IF_ERROR(CheckDepth(child));
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> inner, Unwrapped(child));
      out.insert(out.end(), inner.begin(), inner.end());
    } else {
      out.push_back(child);
    }
  }
  return out;
}

Status Converter::ExtensionAttributes(const xmlNode* node, json& out,
                                      std::initializer_list<std::string_view> allowed) {
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    const std::string_view name = Sv(a->name);
    if (a->ns == nullptr) {
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      return FailAt(
          problem_, node, "xml.structure",
          "unexpected attribute '" + std::string(name) + "' on <" + QualifiedName(node) + ">");
    }
    if (Sv(a->ns->href) == kXsiNs) continue;  // schema annotations, not data
    ASSIGN_OR_RETURN(std::string member, MemberName(node, a->ns, name));
    xmlChar* value = xmlNodeListGetString(node->doc, a->children, 1);
    std::string text(Sv(value));
    xmlFree(value);
    out[member] = std::string(Trim(text));
  }
  return Status::Ok();
}

Status Converter::NoAttributes(const xmlNode* node,
                               std::initializer_list<std::string_view> allowed) {
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    const std::string_view name = Sv(a->name);
    if (a->ns != nullptr && Sv(a->ns->href) == kXsiNs) continue;
    if (a->ns == nullptr && std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      continue;
    }
    return FailAt(problem_, node, "xml.structure",
                  "attribute '" + std::string(name) + "' on <" + QualifiedName(node) +
                      "> has no place in the JSON binding");
  }
  return Status::Ok();
}

Status Converter::AddExtension(const xmlNode* child, json& out) {
  ASSIGN_OR_RETURN(std::string member, MemberName(child, child->ns, LocalName(child)));
  ASSIGN_OR_RETURN(json value, Generic(child));
  AddRepeatable(out, member, std::move(value));
  return Status::Ok();
}

Result<json> Converter::Generic(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  ASSIGN_OR_RETURN(Content content, ContentOf(node, problem_));
  json object = json::object();
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    if (a->ns != nullptr && Sv(a->ns->href) == kXsiNs) continue;
    ASSIGN_OR_RETURN(std::string member, MemberName(node, a->ns, Sv(a->name)));
    xmlChar* value = xmlNodeListGetString(node->doc, a->children, 1);
    std::string text(Sv(value));
    xmlFree(value);
    AddRepeatable(object, member, std::string(Trim(text)));
  }
  if (object.empty() && content.elements.empty()) return json(std::move(content.text));
  for (const xmlNode* child : content.elements) {
    ASSIGN_OR_RETURN(std::string member, MemberName(child, child->ns, LocalName(child)));
    ASSIGN_OR_RETURN(json value, Generic(child));
    AddRepeatable(object, member, std::move(value));
  }
  if (!content.text.empty()) object["#text"] = std::move(content.text);
  return object;
}

// --- Document

Result<json> Converter::Document(const xmlNode* root) {
  const std::string_view ns = NsUri(root);
  const std::string_view name = LocalName(root);
  const bool capture = name == "EPCISDocument" && (ns == kEpcis2Ns || ns == kEpcis1Ns);
  const bool query = name == "EPCISQueryDocument" && (ns == kEpcisQuery2Ns || ns == kEpcisQuery1Ns);
  if (!capture && !query) {
    return Fail(problem_, "document", "xml.root",
                "line " + std::to_string(xmlGetLineNo(root)) + ": the root element is {" +
                    std::string(ns) + "}" + std::string(name) + "; expected EPCISDocument in " +
                    std::string(kEpcis2Ns) + " or " + std::string(kEpcis1Ns) +
                    " (or EPCISQueryDocument)");
  }
  const bool version1 = ns == kEpcis1Ns || ns == kEpcisQuery1Ns;

  json doc = json::object();
  doc["type"] = capture ? "EPCISDocument" : "EPCISQueryDocument";
  for (const xmlAttr* a = root->properties; a != nullptr; a = a->next) {
    const std::string_view attr = Sv(a->name);
    xmlChar* raw = xmlNodeListGetString(root->doc, a->children, 1);
    const std::string value(Trim(Sv(raw)));
    xmlFree(raw);
    if (a->ns == nullptr && attr == "schemaVersion") {
      // An EPCIS 1.x document becomes a 2.0 one; its own version stays beside it.
      if (version1) {
        doc["schemaVersion"] = "2.0";
        doc[kSourceSchemaVersion] = value;
        prefix_to_ns_[kTraceryPrefix] = kTraceryNs;
        ns_to_prefix_[kTraceryNs] = kTraceryPrefix;
      } else {
        doc["schemaVersion"] = value;
      }
    } else if (a->ns == nullptr && attr == "creationDate") {
      doc["creationDate"] = value;
    }
  }
  RETURN_IF_ERROR(ExtensionAttributes(root, doc, {"schemaVersion", "creationDate"}));

  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(root));
  bool has_body = false;
  for (const xmlNode* child : children) {
    if (Is(child, "EPCISHeader") && !doc.contains("epcisHeader") && !has_body) {
      json header = json::object();
      RETURN_IF_ERROR(Header(child, header));
      doc["epcisHeader"] = std::move(header);
    } else if (Is(child, "EPCISBody") && !has_body) {
      has_body = true;
      json body = json::object();
      RETURN_IF_ERROR(Body(child, query, body));
      doc["epcisBody"] = std::move(body);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, doc));
    } else {
      return Unexpected(child);
    }
  }
  if (!has_body) {
    return FailAt(problem_, root, "xml.structure",
                  "<" + std::string(name) + "> has no <EPCISBody>");
  }
  doc["@context"] = Context();
  return doc;
}

Status Converter::Header(const xmlNode* header, json& out) {
  RETURN_IF_ERROR(ExtensionAttributes(header, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(header));
  for (const xmlNode* child : children) {
    if (Is(child, "EPCISMasterData") && !out.contains("epcisMasterData")) {
      ASSIGN_OR_RETURN(out["epcisMasterData"], MasterData(child));
    } else if (!IsEpcisElement(child)) {
      // The SBDH (sbdh:StandardBusinessDocumentHeader) and user extensions.
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return Status::Ok();
}

Result<json> Converter::MasterData(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "VocabularyList") && !out.contains("vocabularyList")) {
      json list = json::array();
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> vocabularies, Unwrapped(child));
      for (const xmlNode* v : vocabularies) {
        if (!Is(v, "Vocabulary")) return Unexpected(v);
        ASSIGN_OR_RETURN(json vocabulary, Vocabulary(v));
        list.push_back(std::move(vocabulary));
      }
      out["vocabularyList"] = std::move(list);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Result<json> Converter::Vocabulary(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  json out = json::object();
  if (xmlChar* type = xmlGetNoNsProp(node, BAD_CAST "type")) {
    out["type"] = std::string(Trim(Sv(type)));
    xmlFree(type);
  }
  RETURN_IF_ERROR(ExtensionAttributes(node, out, {"type"}));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "VocabularyElementList") && !out.contains("vocabularyElementList")) {
      json list = json::array();
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> elements, Unwrapped(child));
      for (const xmlNode* e : elements) {
        if (!Is(e, "VocabularyElement")) return Unexpected(e);
        ASSIGN_OR_RETURN(json element, VocabularyElement(e));
        list.push_back(std::move(element));
      }
      out["vocabularyElementList"] = std::move(list);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Result<json> Converter::VocabularyElement(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  json out = json::object();
  if (xmlChar* id = xmlGetNoNsProp(node, BAD_CAST "id")) {
    out["id"] = std::string(Trim(Sv(id)));
    xmlFree(id);
  }
  RETURN_IF_ERROR(ExtensionAttributes(node, out, {"id"}));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "attribute")) {
      RETURN_IF_ERROR(CheckDepth(child));
      json attribute = json::object();
      if (xmlChar* id = xmlGetNoNsProp(child, BAD_CAST "id")) {
        attribute["id"] = std::string(Trim(Sv(id)));
        xmlFree(id);
      }
      RETURN_IF_ERROR(ExtensionAttributes(child, attribute, {"id"}));
      // The value: text, or structured content (an address, ...) as generic members.
      ASSIGN_OR_RETURN(Content content, ContentOf(child, problem_));
      if (content.elements.empty()) {
        attribute["attribute"] = std::move(content.text);
      } else {
        json value = json::object();
        for (const xmlNode* e : content.elements) RETURN_IF_ERROR(AddExtension(e, value));
        if (!content.text.empty()) value["#text"] = std::move(content.text);
        attribute["attribute"] = std::move(value);
      }
      if (!out.contains("attributes")) out["attributes"] = json::array();
      out["attributes"].push_back(std::move(attribute));
    } else if (Is(child, "children") && !out.contains("children")) {
      json ids = json::array();
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> items, Unwrapped(child));
      for (const xmlNode* id : items) {
        if (!Is(id, "id")) return Unexpected(id);
        RETURN_IF_ERROR(NoAttributes(id));
        ASSIGN_OR_RETURN(std::string text, TextOf(id, problem_));
        ids.push_back(std::move(text));
      }
      out["children"] = std::move(ids);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Status Converter::Body(const xmlNode* body, bool query, json& out) {
  RETURN_IF_ERROR(ExtensionAttributes(body, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(body));
  bool has_list = false;
  for (const xmlNode* child : children) {
    if (!query && Is(child, "EventList") && !has_list) {
      has_list = true;
      json events = json::array();
      RETURN_IF_ERROR(EventList(child, events));
      out["eventList"] = std::move(events);
    } else if (query && Is(child, "QueryResults") && !out.contains("queryResults")) {
      ASSIGN_OR_RETURN(out["queryResults"], QueryResults(child));
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  // An empty body is an empty list of events, as in the XML schema (EventList is optional).
  if (!query && !has_list) out["eventList"] = json::array();
  return Status::Ok();
}

Status Converter::EventList(const xmlNode* list, json& events) {
  RETURN_IF_ERROR(CheckDepth(list));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(list));
  for (const xmlNode* child : children) {
    if (++events_ > kMaxDocumentEvents) {
      return FailAt(
          problem_, child, "xml.limit",
          "more than kMaxDocumentEvents (" + std::to_string(kMaxDocumentEvents) + ") events");
    }
    ASSIGN_OR_RETURN(json event, Event(child));
    events.push_back(std::move(event));
  }
  return Status::Ok();
}

Result<json> Converter::QueryResults(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    const std::string name(LocalName(child));
    if ((Is(child, "queryName") || Is(child, "subscriptionID")) && !out.contains(name)) {
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(out[name], TextOf(child, problem_));
    } else if (Is(child, "resultsBody") && !out.contains("resultsBody")) {
      json results = json::object();
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> items, Unwrapped(child));
      for (const xmlNode* item : items) {
        if (!Is(item, "EventList") || results.contains("eventList")) return Unexpected(item);
        json events = json::array();
        RETURN_IF_ERROR(EventList(item, events));
        results["eventList"] = std::move(events);
      }
      out["resultsBody"] = std::move(results);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

// --- Events

bool IsEventType(std::string_view name) {
  return name == "ObjectEvent" || name == "AggregationEvent" || name == "TransactionEvent" ||
         name == "TransformationEvent" || name == "AssociationEvent";
}

Result<json> Converter::Event(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  if (Is(node, "QuantityEvent")) {
    return FailAt(problem_, node, "xml.structure",
                  "QuantityEvent (deprecated since EPCIS 1.1, removed in 2.0) is not supported; "
                  "an ObjectEvent with a quantityList says the same");
  }
  if (!IsEpcisElement(node) || !IsEventType(LocalName(node))) {
    return FailAt(problem_, node, "xml.structure",
                  "<" + QualifiedName(node) +
                      "> is not an event (ObjectEvent, AggregationEvent, TransactionEvent, "
                      "TransformationEvent or AssociationEvent)");
  }
  json event = json::object();
  event["type"] = std::string(LocalName(node));
  RETURN_IF_ERROR(ExtensionAttributes(node, event));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) RETURN_IF_ERROR(EventMember(child, event));
  return event;
}

Status Converter::EventMember(const xmlNode* child, json& event) {
  if (!IsEpcisElement(child)) return AddExtension(child, event);
  const std::string name(LocalName(child));
  const std::optional<Kind> kind = EventMemberKind(name);
  if (!kind) return Unexpected(child);
  RETURN_IF_ERROR(CheckDepth(child));
  if (*kind != Kind::kTextList && event.contains(name)) {
    return FailAt(problem_, child, "xml.structure", "<" + name + "> occurs more than once");
  }
  ASSIGN_OR_RETURN(json value, EventMemberValue(*kind, child));
  AddRepeatable(event, name, std::move(value));
  return Status::Ok();
}

Result<json> Converter::EventMemberValue(Kind kind, const xmlNode* child) {
  switch (kind) {
    case Kind::kText:
    case Kind::kTextList: {
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
      return json(std::move(text));
    }
    case Kind::kEpcList:
      return EpcList(child);
    case Kind::kQuantityList:
      return QuantityList(child);
    case Kind::kLocation:
      return Location(child);
    case Kind::kBizTransactionList:
      return TypedList(child, "bizTransaction");
    case Kind::kSourceList:
      return TypedList(child, "source");
    case Kind::kDestinationList:
      return TypedList(child, "destination");
    case Kind::kPersistentDisposition:
      return PersistentDisposition(child);
    case Kind::kErrorDeclaration:
      return ErrorDeclaration(child);
    case Kind::kSensorElementList:
      return SensorElementList(child);
    case Kind::kIlmd:
      return Ilmd(child);
  }
  return Internal("unknown kind of event member");
}

Result<json> Converter::EpcList(const xmlNode* node) {
  RETURN_IF_ERROR(NoAttributes(node));
  json list = json::array();
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (!Is(child, "epc")) return Unexpected(child);
    RETURN_IF_ERROR(NoAttributes(child));
    ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
    list.push_back(std::move(text));
  }
  return list;
}

Result<json> Converter::QuantityList(const xmlNode* node) {
  RETURN_IF_ERROR(NoAttributes(node));
  json list = json::array();
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (!Is(child, "quantityElement")) return Unexpected(child);
    ASSIGN_OR_RETURN(json element, QuantityElement(child));
    list.push_back(std::move(element));
  }
  return list;
}

Result<json> Converter::QuantityElement(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    const std::string name(LocalName(child));
    if (IsEpcisElement(child) && (name == "epcClass" || name == "quantity" || name == "uom")) {
      if (out.contains(name)) {
        return FailAt(problem_, child, "xml.structure", "<" + name + "> occurs more than once");
      }
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
      out[name] = name == "quantity" ? NumberOrText(text) : json(std::move(text));
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Result<json> Converter::Location(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "id") && !out.contains("id")) {
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
      out["id"] = std::move(text);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

// bizTransactionList, sourceList, destinationList: <item type="...">value</item> becomes
// {"type": "...", "<item>": "value"}; "type" is left out when the attribute is.
Result<json> Converter::TypedList(const xmlNode* node, std::string_view item) {
  RETURN_IF_ERROR(NoAttributes(node));
  json list = json::array();
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (!Is(child, item)) return Unexpected(child);
    json entry = json::object();
    if (xmlChar* type = xmlGetNoNsProp(child, BAD_CAST "type")) {
      entry["type"] = std::string(Trim(Sv(type)));
      xmlFree(type);
    }
    RETURN_IF_ERROR(ExtensionAttributes(child, entry, {"type"}));
    ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
    entry[std::string(item)] = std::move(text);
    list.push_back(std::move(entry));
  }
  return list;
}

Result<json> Converter::PersistentDisposition(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "set") || Is(child, "unset")) {
      const std::string name(LocalName(child));
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
      if (!out.contains(name)) out[name] = json::array();
      out[name].push_back(std::move(text));
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Result<json> Converter::ErrorDeclaration(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    const std::string name(LocalName(child));
    if (IsEpcisElement(child) && (name == "declarationTime" || name == "reason")) {
      if (out.contains(name)) {
        return FailAt(problem_, child, "xml.structure", "<" + name + "> occurs more than once");
      }
      RETURN_IF_ERROR(NoAttributes(child));
      ASSIGN_OR_RETURN(std::string text, TextOf(child, problem_));
      out[name] = std::move(text);
    } else if (Is(child, "correctiveEventIDs") && !out.contains(name)) {
      json ids = json::array();
      ASSIGN_OR_RETURN(std::vector<const xmlNode*> items, Unwrapped(child));
      for (const xmlNode* id : items) {
        if (!Is(id, "correctiveEventID")) return Unexpected(id);
        RETURN_IF_ERROR(NoAttributes(id));
        ASSIGN_OR_RETURN(std::string text, TextOf(id, problem_));
        ids.push_back(std::move(text));
      }
      out[name] = std::move(ids);
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

Result<json> Converter::SensorElementList(const xmlNode* node) {
  RETURN_IF_ERROR(NoAttributes(node));
  json list = json::array();
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (!Is(child, "sensorElement")) return Unexpected(child);
    ASSIGN_OR_RETURN(json element, SensorElement(child));
    list.push_back(std::move(element));
  }
  return list;
}

Result<json> Converter::SensorElement(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (Is(child, "sensorMetadata") && !out.contains("sensorMetadata")) {
      ASSIGN_OR_RETURN(out["sensorMetadata"], SensorAttributes(child));
    } else if (Is(child, "sensorReport")) {
      ASSIGN_OR_RETURN(json report, SensorAttributes(child));
      if (!out.contains("sensorReport")) out["sensorReport"] = json::array();
      out["sensorReport"].push_back(std::move(report));
    } else if (!IsEpcisElement(child)) {
      RETURN_IF_ERROR(AddExtension(child, out));
    } else {
      return Unexpected(child);
    }
  }
  return out;
}

// The XML binding writes the GS1 vocabulary terms of sensorReport's type and exception as
// "gs1:Temperature", the JSON binding as "Temperature" (the JSON-LD context maps both to
// https://gs1.org/voc/Temperature); the JSON form is kept.
std::string SensorTerm(std::string value) {
  constexpr std::string_view kGs1 = "gs1:";
  if (value.size() <= kGs1.size() || value.compare(0, kGs1.size(), kGs1) != 0) return value;
  const std::string_view term = std::string_view(value).substr(kGs1.size());
  for (char c : term) {
    const bool word = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    if (!word) return value;
  }
  return std::string(term);
}

bool IsNumericSensorAttribute(std::string_view name) {
  return name == "value" || name == "minValue" || name == "maxValue" || name == "meanValue" ||
         name == "sDev" || name == "percRank" || name == "percValue";
}

// sensorMetadata and sensorReport: every attribute a member. The measurements (value,
// minValue, ...) become numbers and booleanValue a boolean, as in the JSON binding; a value
// that is not one stays text for validation to report.
Result<json> Converter::SensorAttributes(const xmlNode* node) {
  RETURN_IF_ERROR(CheckDepth(node));
  json out = json::object();
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    if (a->ns != nullptr && Sv(a->ns->href) == kXsiNs) continue;
    xmlChar* raw = xmlNodeListGetString(node->doc, a->children, 1);
    const std::string value(Trim(Sv(raw)));
    xmlFree(raw);
    const std::string_view name = Sv(a->name);
    if (a->ns != nullptr) {
      ASSIGN_OR_RETURN(std::string member, MemberName(node, a->ns, name));
      out[member] = value;
    } else if (IsNumericSensorAttribute(name)) {
      out[std::string(name)] = NumberOrText(value);
    } else if (name == "type" || name == "exception") {
      out[std::string(name)] = SensorTerm(value);
    } else if (name == "booleanValue" && (value == "true" || value == "1")) {
      out["booleanValue"] = true;
    } else if (name == "booleanValue" && (value == "false" || value == "0")) {
      out["booleanValue"] = false;
    } else {
      out[std::string(name)] = value;
    }
  }
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (IsEpcisElement(child)) return Unexpected(child);
    RETURN_IF_ERROR(AddExtension(child, out));
  }
  return out;
}

Result<json> Converter::Ilmd(const xmlNode* node) {
  json out = json::object();
  RETURN_IF_ERROR(ExtensionAttributes(node, out));
  ASSIGN_OR_RETURN(std::vector<const xmlNode*> children, Unwrapped(node));
  for (const xmlNode* child : children) {
    if (IsEpcisElement(child)) return Unexpected(child);
    RETURN_IF_ERROR(AddExtension(child, out));
  }
  return out;
}

Result<json> Converter::SingleEvent(const xmlNode* node) {
  const xmlNode* event = node;
  // EPCIS 1.x wraps newer event types in <extension> (once or twice).
  while (Is(event, "extension")) {
    RETURN_IF_ERROR(NoAttributes(event));
    ASSIGN_OR_RETURN(Content content, ContentOf(event, problem_));
    if (content.elements.size() != 1 || !content.text.empty()) {
      return FailAt(problem_, event, "xml.structure",
                    "<extension> must wrap exactly one event element");
    }
    event = content.elements.front();
  }
  ASSIGN_OR_RETURN(json out, Event(event));
  out["@context"] = Context();
  return out;
}

}  // namespace

Result<nlohmann::json> XmlDocumentToJson(std::string_view xml, Problem* problem) {
  ASSIGN_OR_RETURN(DocPtr doc, ParseXml(xml, "document", problem));
  Converter converter(problem);
  return converter.Document(xmlDocGetRootElement(doc.get()));
}

Result<nlohmann::json> XmlEventToJson(std::string_view xml, Problem* problem) {
  ASSIGN_OR_RETURN(DocPtr doc, ParseXml(xml, "event", problem));
  Converter converter(problem);
  return converter.SingleEvent(xmlDocGetRootElement(doc.get()));
}

}  // namespace tracery::epcis

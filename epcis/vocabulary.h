// The vocabulary-valued members of EPCIS events and the URIs their values stand for. Internal to
// epcis/: validation, the Event Hash ID and the checkpoint all read a value through here, so they
// agree on what it means.
#pragma once

#include <string>
#include <string_view>

#include "namespaces.h"
#include "tracery/core/status.h"

namespace tracery::epcis {

enum class Vocabulary {
  kBizStep,             // bizStep                            CBV BizStep-
  kDisposition,         // disposition, persistentDisposition CBV Disp-
  kSourceDestType,      // sourceList/destinationList type    CBV SDT-
  kBizTransactionType,  // bizTransactionList type            CBV BTT-
  kErrorReason,         // errorDeclaration reason            CBV ER-
  kMeasurementType,     // sensorReport type                  GS1 Web Vocabulary term
  kSensorAlertType,     // sensorReport exception             gs1:SensorAlertType-
  kComponent,           // sensorReport component             CBV Comp-
};

// The URI of a vocabulary value. A compact IRI whose prefix @context declares is expanded first
// ("cbv:Comp-easting", "ext1:summarising_discharge").
// - CBV vocabularies: as NormalizeCbv (cbv.h): bare value, URN or Web URI of the CBV 2.0 list,
//   or a user-defined http(s):// or urn: URI.
// - Measurement types: a bare term ("Temperature") is a term of the GS1 Web Vocabulary,
//   https://ref.gs1.org/voc/Temperature; alert types: ALARM_CONDITION and ERROR_CONDITION are
//   https://ref.gs1.org/voc/SensorAlertType-...; components: a bare value is CBV's
//   https://ref.gs1.org/cbv/Comp-<value>. Any other value must be an absolute URI.
// Messages do not name the member; the caller prefixes its path.
Result<std::string> VocabularyUri(Vocabulary vocabulary, std::string_view value,
                                  const Namespaces& namespaces);

// Whether the ILMD member `name` is the CBV master data attribute lotNumber: its namespace (with
// any trailing ':', '/' or '#' left off) is urn:epcglobal:cbv:mda or https://ref.gs1.org/cbv/mda
// ("cbvmda:lotNumber" under the EPCIS 2.0 context, "urn:epcglobal:cbv:mda:lotNumber").
bool IsLotNumberMember(std::string_view name, const Namespaces& namespaces);

}  // namespace tracery::epcis

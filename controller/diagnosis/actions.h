// The recommended action of each finding, following the analysis guide's areas: troubleshoot
// the client's LAN; report to the local ISP; report to the ISP that owns the node (named by
// AS); report to the destination's provider; check the destination's security policy. Info
// findings say why nothing needs doing.
//
//   finding.set_action(ActionFor(finding, /*has_reverse_trace=*/false));
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_ACTIONS_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_ACTIONS_H_

#include <string>

#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

// Whom to contact about a node in the finding's area (uses area, asn, as_name, address).
std::string ContactFor(const v1::Finding& finding);

// The full action text for a finding whose area/AS fields are already set.
std::string ActionFor(const v1::Finding& finding, bool has_reverse_trace);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_ACTIONS_H_

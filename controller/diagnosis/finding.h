// Helpers to build v1::Finding messages: a finding about one hop or about the whole path, and
// named evidence figures in the order a rule adds them.
//
//   v1::Finding f = HopFinding(v1::PACKET_LOSS, v1::SEVERITY_PROBLEM, hop, "Loss starts ...");
//   AddNumber(f, "loss_pct", 30.3);
//   AddList(f, "responders", {"198.51.100.1", "198.51.100.2"});
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_FINDING_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_FINDING_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "controller/diagnosis/path_view.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

using Findings = std::vector<v1::Finding>;

// A finding about the whole path (no ttl).
v1::Finding PathFinding(v1::FindingCode code, v1::Severity severity, std::string summary);
// A finding about one hop: ttl, address and probes (the hop's sent count) are filled in.
v1::Finding HopFinding(v1::FindingCode code, v1::Severity severity, const HopView& hop,
                       std::string summary);

// Evidence figures; numbers are rounded to 3 decimals so reports are stable.
void AddNumber(v1::Finding& finding, absl::string_view name, double value);
void AddText(v1::Finding& finding, absl::string_view name, absl::string_view value);
void AddList(v1::Finding& finding, absl::string_view name, const std::vector<std::string>& values);
// The named evidence, or nullptr.
const v1::Evidence* FindEvidence(const v1::Finding& finding, absl::string_view name);

// The stable string of a code ("PACKET_LOSS"), and the lower-case names used in reports.
std::string CodeName(v1::FindingCode code);
std::string SeverityName(v1::Severity severity);    // "info", "warning", "problem"
std::string AreaName(v1::NetworkArea area);         // "client_lan", ..., "unknown"
std::string VerdictName(v1::Verdict verdict);       // "healthy", "degraded", "broken"
std::string AreaSourceName(v1::AreaSource source);  // "mmdb", "dns", "heuristic"

// Short decimal text for summaries: 30.303 -> "30.3", 2 -> "2".
std::string Decimal(double value, int digits = 1);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_FINDING_H_

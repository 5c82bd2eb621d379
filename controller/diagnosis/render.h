// Renders a v1::Diagnosis for people (a few lines under the trace report) and for programs
// (the `report.diagnosis`, `report.verdict`, `report.effective` members of pathpair's JSON).
//
//   nlohmann::ordered_json root;
//   WriteDiagnosisJson(diagnosis, root["report"]);
//   std::cout << RenderDiagnosisText(diagnosis);
//
// JSON shape (keys in this order):
//   "diagnosis": [ { "code": "PACKET_LOSS", "severity": "problem", "hop": 6 | null,
//                    "address": "198.51.100.6", "area": "carrier", "summary": "...",
//                    "evidence": { "loss_pct": 30.3, ..., "responders": ["a", "b"] },
//                    "action": "...", "confidence": 0.98,
//                    "asn": 64500 | null, "as_name": "..." (only with asn), "probes": 33,
//                    "direction": "forward" | "reverse" } ],
//   "verdict": "healthy" | "degraded" | "broken",
//   "effective": { "loss_pct": 0.0, "latency_ms": 12.0, "loss_hop": 15 | null },
//   "area_source": "mmdb" | "dns" | "heuristic"
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_RENDER_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_RENDER_H_

#include <nlohmann/json.hpp>
#include <string>

#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

// One finding as a JSON object (the array element above).
nlohmann::ordered_json FindingToJson(const v1::Finding& finding);

// Sets report["diagnosis"], report["verdict"], report["effective"], report["area_source"] and
// report["incomplete"] (plus report["incomplete_reason"] when true), replacing any previous
// values and leaving other members alone. report must be an object or null.
void WriteDiagnosisJson(const v1::Diagnosis& diagnosis, nlohmann::ordered_json& report);

// Text block for the end of a report:
//   Diagnosis: DEGRADED (effective loss 30.3% from hop 9, latency 17.6 ms; areas: heuristic)
//     [problem] PACKET_LOSS at hop 6 198.51.100.6 (carrier, AS64501 Example) conf 0.98, 33 probes
//         Loss starts at hop 6 ...
//         evidence: loss_pct=30.3 sent=33 ...
//         action: Report the issue to ...
// An incomplete trace says so on the first line:
//   Diagnosis: HEALTHY, INCOMPLETE TRACE (interrupted after 13 of 50 rounds; effective loss ...
// With verbose false, info findings other than HEALTHY are listed on one line each.
std::string RenderDiagnosisText(const v1::Diagnosis& diagnosis, bool verbose = true);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_RENDER_H_

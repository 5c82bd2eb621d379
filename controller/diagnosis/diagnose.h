// The diagnosis engine: the analysis guide (docs: "Diagnose packet loss and latency issues
// with MTR"), automated. Turns a trace's per-hop statistics — plus, in a paired run, the
// reverse trace and one-way results — into findings with evidence, confidence and an action,
// an overall verdict, and the path's effective loss and latency.
//
// Pure: no I/O except through the optional AsLookup the caller passes.
//
//   v1::Diagnosis d = DiagnoseTrace(trace);                       // heuristic areas
//   DiagnoseOptions options;
//   options.as_lookup = mmdb.get();                                // AS names and areas
//   v1::DiagnosisInput input;
//   *input.mutable_forward() = forward;
//   *input.mutable_reverse() = reverse;                            // optional
//   v1::Diagnosis paired = Diagnose(input, options);
//
// Verdict: BROKEN when the trace did not reach the destination (link interruption, routing
// loop, Destination Unreachable, a destination blocking ICMP, nothing answering) or the
// effective loss is at least kBrokenLossPct; DEGRADED when any finding is a warning or a
// problem; HEALTHY otherwise, with exactly one HEALTHY finding. Findings come in TTL order,
// whole-path ones last, then the reverse trace's, then the paired ones. A destination that
// drops ICMP is BROKEN for an ICMP trace (it cannot be measured that way; the finding says to
// use TCP or UDP), so the verdict does not depend on whether DEST_ICMP_BLOCKED or
// LINK_INTERRUPTION is reported, which can depend on DiagnosisInput.forward_destination_check.
// A trace not measured to its end (TraceResult.incomplete or interrupted) sets
// Diagnosis.incomplete with the reason; its HEALTHY finding says "in an incomplete trace".
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_

#include "controller/asn/as_lookup.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::diagnosis {

// Effective loss at or above which a reachable path is called broken rather than degraded.
inline constexpr double kBrokenLossPct = 50;

struct DiagnoseOptions {
  asn::AsLookup* as_lookup = nullptr;  // not owned; nullptr = address heuristics
};

v1::Diagnosis Diagnose(const v1::DiagnosisInput& input, const DiagnoseOptions& options = {});
v1::Diagnosis DiagnoseTrace(const v1::TraceResult& trace, const DiagnoseOptions& options = {});

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_

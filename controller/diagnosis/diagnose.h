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
//   options.geo_lookup = cities.get();                             // long links' distances
//   v1::DiagnosisInput input;
//   *input.mutable_forward() = forward;
//   *input.mutable_reverse() = reverse;                            // optional
//   v1::Diagnosis paired = Diagnose(input, options);
//
// Verdict: BROKEN when the trace did not reach the destination (link interruption, routing
// loop, Destination Unreachable, a destination blocking ICMP, nothing answering), the effective
// loss is at least kBrokenLossPct, or a one-way direction loses that much; DEGRADED when any
// finding is a warning or a problem; HEALTHY otherwise, with exactly one HEALTHY finding. In a
// paired run the verdict covers both traces and the one-way results. Findings come in TTL order,
// whole-path ones last, then the reverse trace's, then the paired ones.
//
// A destination that drops ICMP cannot be told from a link that is down right before it by an
// ICMP trace alone, and both are BROKEN. When DiagnosisInput.forward_destination_check found the
// host answering TCP or UDP (the caller probed it), the host is up and only drops ICMP: that is
// DEST_ICMP_BLOCKED as info, and the path can be HEALTHY.
//
// A steady latency step (distance_rules.h) is a LONG_DISTANCE_LINK (info), checked against the
// hops' distance when a location database is given.
//
// A trace not measured to its end (TraceResult.incomplete or interrupted) sets
// Diagnosis.incomplete with the reason; its HEALTHY finding says "in an incomplete trace".
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_

#include "controller/asn/as_lookup.h"
#include "controller/geo/geo_lookup.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::diagnosis {

// Effective loss at or above which a reachable path is called broken rather than degraded.
inline constexpr double kBrokenLossPct = 50;

struct DiagnoseOptions {
  asn::AsLookup* as_lookup = nullptr;  // not owned; nullptr = address heuristics
  // Not owned; nullptr = long links are judged by their steadiness alone (distance_rules.h).
  geo::GeoLookup* geo_lookup = nullptr;
};

v1::Diagnosis Diagnose(const v1::DiagnosisInput& input, const DiagnoseOptions& options = {});
v1::Diagnosis DiagnoseTrace(const v1::TraceResult& trace, const DiagnoseOptions& options = {});

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_DIAGNOSE_H_

// Latency and jitter rules from the analysis guide ("Avg and StDev", "Latency"):
//  - a latency step that persists from a hop to the end is an exception at that hop
//    (LATENCY_INCREASE); it may come from the return path, which the summary says;
//  - a step at one hop that returns to normal after it is the node's slow ICMP generation
//    (ICMP_SLOW_PATH_LATENCY, info, ignore);
//  - StDev is judged relative to Avg (25 ms is large at 30 ms, small at 325 ms); when it is
//    high, Best and Wrst decide between one slow probe (TRANSIENT_SPIKE, info: a high Wrst with
//    a normal Avg) and real jitter (HIGH_JITTER). Jitter counts as a path property only when it
//    persists to the last hop, like loss; jitter at a middle hop alone is its control plane.
//
//   Findings findings;
//   FindLatencySteps(path, findings);
//   FindJitter(path, findings);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_LATENCY_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_LATENCY_RULES_H_

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/path_view.h"

namespace pathpair::diagnosis {

// A hop's Avg takes part in the latency rules only when it rests on this many replies.
inline constexpr int kMinRepliesForLatency = 2;

// A persistent step: the lowest Avg from a hop to the end exceeds the previous hop's by at
// least kLatencyStepMinMs AND by at least kLatencyStepMinFraction of the previous level. The
// absolute floor keeps ordinary per-hop growth and first-mile access delay (DSL, cable: tens of
// ms) out; the fraction keeps a long path's normal hop-to-hop growth out.
inline constexpr double kLatencyStepMinMs = 30;
// The sentence a LATENCY_INCREASE on a reached destination ends with when only one direction was
// traced. The paired rules replace it with what the one-way delays say.
inline constexpr char kReturnPathCaveat[] =
    " The destination is reached, so the delay may be on the return path: compare with a reverse "
    "trace.";
inline constexpr double kLatencyStepMinFraction = 0.5;

// A one-hop step (slow path): a hop's Avg exceeds both the previous answering hop's Avg and the
// lowest Avg after it by at least kSlowPathMinExcessMs and kSlowPathMinFraction of that level.
// Lower than the persistent-step floor because the finding only explains a figure (info).
inline constexpr double kSlowPathMinExcessMs = 5;
inline constexpr double kSlowPathMinFraction = 0.5;

// StDev is "high" when it is at least kHighStdevFraction of Avg AND at least kHighStdevMinMs
// (sub-millisecond LAN noise is never jitter). 25 ms at Avg 30 (0.83) is high; 25 at 325 (0.08)
// is not.
inline constexpr double kHighStdevFraction = 0.25;
inline constexpr double kHighStdevMinMs = 5;
// The jitter rules need this many replies at a hop.
inline constexpr int kMinRepliesForJitter = 4;

// A transient spike: Wrst is at least kSpikeWorstToAvgRatio times Avg and kSpikeMinExcessMs
// above it, while Avg stays near Best: Avg - Best is at most kSpikeMaxAvgShare of Wrst - Best
// (one slow probe among n raises Avg by (Wrst - Best) / n; steady jitter raises it by a large
// share of the spread).
inline constexpr double kSpikeWorstToAvgRatio = 3;
inline constexpr double kSpikeMinExcessMs = 10;
inline constexpr double kSpikeMaxAvgShare = 0.25;

// High jitter is a path property when the hops with a high StDev make up at least this share
// of the answering hops from where it starts to the last hop (which must have it): one hop whose
// sample happened to be calm does not split the run.
inline constexpr double kJitterPersistShare = 0.75;

// A spread of latencies dominated by a few samples far above a normal Avg.
bool IsTransientSpike(const HopView& hop);
// StDev at least kHighStdevFraction of Avg and kHighStdevMinMs (whatever the cause).
bool HasHighStdev(const HopView& hop);
// A high StDev that is not a transient spike.
bool HasHighJitter(const HopView& hop);

// LATENCY_INCREASE (warning) at each persistent step; ICMP_SLOW_PATH_LATENCY (info) at each
// hop whose excess vanishes after it.
void FindLatencySteps(const PathView& path, Findings& out);

// HIGH_JITTER (warning) at the first hop of the run of high-StDev hops that reaches the last
// answering hop (see kJitterPersistShare; a run that is one transient spike is not jitter);
// TRANSIENT_SPIKE (info) at each hop with a transient spike outside that run.
void FindJitter(const PathView& path, Findings& out);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_LATENCY_RULES_H_

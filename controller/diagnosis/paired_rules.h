// Rules for paired runs (`pathpair test`): the forward trace together with the reverse trace
// (traced from the far end back) and/or the one-way results of both directions. The guide says
// to "analyze together with a reverse link test"; this is that analysis.
//
// Round-trip traces cannot tell by themselves which direction loses or delays packets: a hop's
// figures cover the probe's way out and the reply's way back, in both traces alike. Only
// one-way results can. So:
//  - LOSS_FORWARD_DIRECTION / LOSS_REVERSE_DIRECTION / LOSS_BOTH_DIRECTIONS come from the
//    one-way loss of each direction (Wilson test, as for hops), and name the hop where loss
//    starts in that direction's trace; without one-way results, only the unambiguous pattern
//    (one trace loses from a hop on, the other only at its destination) decides;
//  - LATENCY_ON_RETURN_PATH: a forward latency step that the one-way delays put on the way
//    back;
//  - ASYMMETRIC_PATH: a router one direction crosses and the other does not, matched router by
//    router (controller/merge: same address, alias probes, link addresses; the ends' own
//    networks never count).
//
//   Findings out;
//   FindLossDirection(forward, forward_loss, reverse, reverse_loss, &fwd_ow, &rev_ow, out);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/loss_rules.h"
#include "controller/diagnosis/path_view.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

// A latency step is put on the return path when the one-way results show at least this share
// of it in the reverse direction (and on the forward path when they show it forward).
inline constexpr double kReturnPathMinShare = 0.5;

inline constexpr double kAsymmetricConfidence = 0.8;

// Direction from round trips alone is an inference (see FindLossDirection).
inline constexpr double kTraceDirectionConfidence = 0.7;

// From the one-way results when there are any. Without them, from the traces: one trace losing
// from a hop to its end while the other loses only at its destination puts the loss in the
// first trace's direction; anything else is undecided (nothing reported). reverse /
// reverse_loss may be null.
void FindLossDirection(const PathView& forward, const LossProfile& forward_loss,
                       const PathView* reverse, const LossProfile* reverse_loss,
                       const v1::OneWayResult* forward_oneway,
                       const v1::OneWayResult* reverse_oneway, Findings& out);

// For each LATENCY_INCREASE in forward_findings: LATENCY_ON_RETURN_PATH when the one-way delays
// put the step on the way back; when they put it on the way out, the LATENCY_INCREASE gets
// evidence "direction": "forward" and its summary says so; when the delays are alike both ways,
// the summary says the step is no return-path effect. Needs both one-way results.
void FindReturnPathLatency(Findings& forward_findings, const v1::OneWayResult* forward_oneway,
                           const v1::OneWayResult* reverse_oneway, Findings& out);

// The reverse trace's LATENCY_INCREASE findings, read against the one-way delays: when those are
// alike both ways, the return-path caveat in their summary gives way to that fact. (A step that
// one direction alone carries is named by FindReturnPathLatency on the forward trace.)
void ExplainReverseLatencySteps(Findings& reverse_findings, const v1::OneWayResult* forward_oneway,
                                const v1::OneWayResult* reverse_oneway);

// Once LOSS_FORWARD_DIRECTION or LOSS_REVERSE_DIRECTION (in `paired`) names the lossy
// direction, the other direction's trace sees that loss only because its ICMP replies cross it on
// the way back: that trace's PACKET_LOSS findings become info, say so, and point at the paired
// finding instead of at their own hop's owner. With loss both ways nothing changes.
void AttributeTraceLossToDirection(const Findings& paired, Findings& forward_findings,
                                   Findings& reverse_findings);

// ASYMMETRIC_PATH (info) when a router one direction crosses is absent from the other: the
// input's forward and reverse traces merged router by router with its aliases
// (merge::MergePaths). Names those routers (evidence only_forward / only_reverse).
void FindAsymmetricPath(const v1::DiagnosisInput& input, Findings& out);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_

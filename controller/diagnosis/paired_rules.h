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
//  - LATENCY_ON_FORWARD_PATH / LATENCY_ON_RETURN_PATH: one direction's one-way delay is longer
//    than the other's by more than the clock error plus noise; each trace's LATENCY_INCREASE is
//    put on the direction the one-way delays show, or said to be unplaceable;
//  - ASYMMETRIC_PATH: a router one direction crosses and the other does not, matched router by
//    router (controller/merge: same address, alias probes, link addresses; the ends' own
//    networks never count).
//
//   Findings out;
//   FindLossDirection(forward, forward_loss, reverse, reverse_loss, &fwd_ow, &rev_ow, out);
//   FindLatencyDirection(forward_findings, &reverse_findings, &fwd_ow, &rev_ow, out);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_

#include <optional>

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/loss_rules.h"
#include "controller/diagnosis/path_view.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

// Latency by direction. With out and back the two directions' average one-way delays, the
// difference D = back - out is known to within the clock error E (the sum of both directions'
// offset_error_ms: what the clock method bounds; none with CLOCK_METHOD_NONE, which places
// nothing). Steady delays still differ from sample to sample by the noise
// N = max(kOneWayNoiseFloorMs, sqrt(stdev_out^2 + stdev_back^2)): one sample of each direction
// can differ by that much with nothing directional about it. A direction is named when
// |D| > E + N: LATENCY_ON_RETURN_PATH (back longer) or LATENCY_ON_FORWARD_PATH (out longer).
// The floor covers what the delays' spread does not: stamps taken in user space before
// sendto and scheduling on a busy host (fractions of a millisecond).
inline constexpr double kOneWayNoiseFloorMs = 1.0;
// The finding is a warning when |D| - E is at least this, info below: a few milliseconds more
// one way than the other is common when the two directions take different routes.
inline constexpr double kDirectionalLatencyWarningMs = 10.0;
// A trace's latency step (LATENCY_INCREASE, step S) is put on a direction when that direction
// is named (above) and |D| - E >= this share of S; it is alike both ways when E + N < this share
// of S (the delays could have shown it, and do not); otherwise it cannot be placed (typically
// with CLOCK_METHOD_ESTIMATED, whose E is about the round trip).
inline constexpr double kStepDirectionMinShare = 0.5;

inline constexpr double kAsymmetricConfidence = 0.8;

// A one-way direction's loss in percent (counts clamped: the input is untrusted); 0 when nothing
// was sent.
double OneWayLossPct(const v1::OneWayResult& result);

// The destination cross-check (loss_rules.h) of either trace of a paired run: a probe and its
// reply cross both directions, so what the agents' own packets get through both ways, out times
// back, over the smaller of the two samples. Empty unless both directions sent packets.
std::optional<DestinationCrossCheck> OneWayCrossCheck(const v1::OneWayResult* forward_oneway,
                                                      const v1::OneWayResult* reverse_oneway);

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

// LATENCY_ON_FORWARD_PATH / LATENCY_ON_RETURN_PATH (see kOneWayNoiseFloorMs): named at the
// trace step the one-way delays put in that direction (the reverse trace's first for the way
// back, the forward trace's first for the way out; `direction` says which trace), else about
// the whole path. Every LATENCY_INCREASE of forward_findings and *reverse_findings (null for a
// lone trace) gets evidence "direction": "forward" (client to server), "return", "both" or
// "unplaced", and its single-trace caveat becomes what the one-way delays say. A lone trace
// without one-way results keeps its caveat.
void FindLatencyDirection(Findings& forward_findings, Findings* reverse_findings,
                          const v1::OneWayResult* forward_oneway,
                          const v1::OneWayResult* reverse_oneway, Findings& out);

// Once LOSS_FORWARD_DIRECTION or LOSS_REVERSE_DIRECTION (in `paired`) names the lossy
// direction, the other direction's trace sees that loss only because its ICMP replies cross it on
// the way back: that trace's PACKET_LOSS findings (and DEST_ICMP_RATE_LIMITED, loss at its
// destination alone) become info, say so, and point at the paired finding instead of at their own
// hop's owner. With loss both ways nothing changes.
void AttributeTraceLossToDirection(const Findings& paired, Findings& forward_findings,
                                   Findings& reverse_findings);

// ASYMMETRIC_PATH (info) when a router one direction crosses is absent from the other: the
// input's forward and reverse traces merged router by router with its aliases
// (merge::MergePaths). Names those routers (evidence only_forward / only_reverse).
void FindAsymmetricPath(const v1::DiagnosisInput& input, Findings& out);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_PAIRED_RULES_H_

// Loss rules from the analysis guide ("Loss%"): where a hop's loss is only ICMP rate limiting
// and where it is a real exception, and the path's effective loss.
//
// The guide's reading, automated:
//  - loss at a hop whose later hops are clean is the node rate-limiting the ICMP replies it
//    generates: reported as ICMP_RATE_LIMITED_HOP (info) and to be ignored;
//  - loss that continues at every later hop is an exception at the first such hop
//    (PACKET_LOSS);
//  - with both, both are reported, and the final (effective) loss is read from the last few
//    hops, not from a rate-limited middle hop;
//  - a middle hop that never answers while later hops do is UNRESPONSIVE_HOP (info);
//  - high loss at the destination only is DEST_ICMP_RATE_LIMITED;
//  - loss at the destination that a cross-check does not confirm (ICMP echo in UDP/TCP mode, the
//    one-way packets of a paired run) is the destination rationing its ICMP, not path loss.
// "Has loss" is a statistical statement: the Wilson interval decides (1 lost in 10 is noise,
// 30 in 100 is not).
//
//   LossProfile loss = AnalyzeLoss(path);
//   Findings findings;
//   FindPacketLoss(path, loss, findings);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_LOSS_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_LOSS_RULES_H_

#include <cstdint>
#include <string>

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/path_view.h"

namespace pathpair::diagnosis {

// A hop "has loss" when the lower end of the 95% Wilson interval of its loss rate is above
// this: we are 97.5% sure more than 2% of its probes go unanswered. 1 of 10 (10%, lower bound
// 1.8%) is not loss; 2 of 10 (lower bound 5.7%) and 30 of 100 (21.9%) are.
inline constexpr double kSignificantLossFloor = 0.02;

// The effective loss is the smallest loss among this many last answering hops (the
// destination and the hop before it): loss the path really inflicts shows at every later hop,
// so a higher figure at one of them alone is that node's ICMP policy.
inline constexpr int kEffectiveLossWindowHops = 2;

// A single lost probe is never an exception by itself (it may be one dropped ICMP reply
// anywhere on the way back), however few probes were sent: 1 in 5 is as weak as 1 in 10.
inline constexpr int kMinLostProbes = 2;

// At least kMinLostProbes lost and the Wilson lower bound above kSignificantLossFloor.
bool HasSignificantLoss(const HopView& hop);

// A persistent run in which every hop loses at least this share of its probes, on a trace
// that reached the destination, is a link that went down (or flaps) during the trace: the
// probes beyond it were answered for a while and then not at all. Reported as
// LINK_INTERRUPTION at the last clean hop before the run, like a silent tail.
inline constexpr double kInterruptionMinLossPct = 45;

struct LossProfile {
  // Index of the hop where loss starts and from which every answering hop to the end has loss;
  // -1 when the last hop is clean.
  int persistent_start = -1;
  // Answering hops in that run. A run of one hop is not PACKET_LOSS: no later hop confirms it
  // (at the destination it is DEST_ICMP_RATE_LIMITED; at the last hop of a trace that did not
  // reach the destination, the interruption or blocked destination explains the silence).
  int run_hops = 0;
  // True when the run is the destination alone (the DEST_ICMP_RATE_LIMITED case).
  bool destination_only = false;
  // True when the run (two or more hops, destination reached) loses at least
  // kInterruptionMinLossPct everywhere; last_clean_index is the answering hop before it.
  bool interrupted = false;
  int last_clean_index = -1;
  // The loss read from the last hops (see kEffectiveLossWindowHops) and where it was read.
  int effective_index = -1;
  double effective_loss_pct = 0;
};

LossProfile AnalyzeLoss(const PathView& path);

// ICMP_RATE_LIMITED_HOP (info) at every answering hop with some loss that is not part of the
// persistent run and has an answering hop after it; and at every hop inside the run whose loss
// is clearly above what persists to the end (a one-sided two-proportion test against the hop
// the effective loss is read from, at kConfidenceZ): the excess is the node's ICMP rate
// limiting on top of the real loss.
void FindRateLimitedHops(const PathView& path, const LossProfile& loss, Findings& out);

// UNRESPONSIVE_HOP (info) at every probed hop that never answered while a later hop did.
void FindUnresponsiveHops(const PathView& path, Findings& out);

// PACKET_LOSS (problem) at the start of the persistent run when it has two or more answering
// hops; LINK_INTERRUPTION (problem) at the last clean hop instead when the run is interrupted
// (see kInterruptionMinLossPct).
void FindPacketLoss(const PathView& path, const LossProfile& loss, Findings& out);

// DEST_ICMP_RATE_LIMITED (warning) when the destination answered, has loss, and the answering
// hop before it is clean.
void FindDestinationRateLimited(const PathView& path, const LossProfile& loss, Findings& out);

// The destination's reachability measured without its rationed ICMP replies: ICMP echo in UDP or
// TCP mode (DiagnosisInput.forward_destination_cross_check), or in a paired run the one-way
// packets of both directions combined (a probe and its reply cross both).
struct DestinationCrossCheck {
  int64_t sent = 0;
  int64_t received = 0;
  std::string method;  // in words, for the finding: "ICMP echo", "the one-way packets"
};

// Fewer cross-check packets than this prove nothing either way.
inline constexpr int64_t kMinCrossCheckPackets = 10;

// Rationed ICMP at the destination. A stock Linux destination answers UDP probes with Port
// Unreachable, which its kernel rate-limits per prober exactly like the routers' Time Exceeded
// (icmp_ratelimit: about 1 a second after a burst of 6). At mtr's pace every hop, the
// destination included, then "loses" about alike, and the guide's reading (loss that carries on
// to the destination is real) would call a healthy path broken. The cross-check decides: when
// the destination's loss in the trace is clearly above the cross-check's (one-sided
// two-proportion z >= kConfidenceZ, at least kMinCrossCheckPackets), the excess is rationing.
// The destination hop of `path` then takes the cross-check's counts, so that the loss rules
// read the path from what really arrives (the routers' loss, not carrying on, becomes their
// rate limiting; real loss, seen by the cross-check too, stays), and DEST_ICMP_RATE_LIMITED
// (info) says so with both figures. Returns whether it did.
bool ApplyDestinationCrossCheck(const DestinationCrossCheck& check, PathView& path, Findings& out);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_LOSS_RULES_H_

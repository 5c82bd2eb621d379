// Path-shape rules from the analysis guide's "Common link exceptions": how a trace ends (the
// destination answered, blocked ICMP, a routing loop, an interruption, or a Destination
// Unreachable) and load-balanced hops.
//
//   Findings findings;
//   FindTermination(path, /*last_hop_in_destination_network=*/false,
//                   v1::DESTINATION_CHECK_NOT_RUN, findings);
//   FindLoadBalancedHops(path, findings);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_RULES_H_

#include <string>

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/path_view.h"

namespace pathpair::diagnosis {

// A routing loop is a cycle of 1..kMaxLoopPeriod addresses repeating at successive TTLs.
inline constexpr int kMaxLoopPeriod = 8;
// Repetitions needed before a cycle counts as a loop: this many TTLs must repeat the address
// seen one period earlier (2 means A B A B, or A A A for a period of 1).
inline constexpr int kMinLoopRepeatedHops = 2;

// When the destination is not reached and the silence starts right after a hop that sits in
// the destination's network, the destination is taken to block ICMP rather than the link to be
// broken. Without an AS database, "in the destination's network" means sharing this prefix
// with the target address.
inline constexpr int kDestinationPrefixV4 = 24;
inline constexpr int kDestinationPrefixV6 = 48;

// Confidence of the structural findings, which rest on the shape of the trace rather than on
// a statistic: a loop and an unreachable message are unambiguous; an interruption may also be a
// filter beyond the last answering hop; "the destination blocks ICMP" is an inference from
// where the silence starts.
inline constexpr double kLoopConfidence = 0.95;
inline constexpr double kUnreachableConfidence = 0.95;
inline constexpr double kInterruptionConfidence = 0.8;
inline constexpr double kDestinationBlockedConfidence = 0.6;
// With a direct check of the target by another protocol, the cause is known.
inline constexpr double kCheckedConfidence = 0.95;
inline constexpr double kLoadBalancedConfidence = 0.95;

// Whether address shares the target's /24 (IPv4) or /48 (IPv6).
bool SharesDestinationPrefix(const std::string& address, const std::string& target);

// The first routing loop, if any: the index of the last hop before the addresses start
// repeating ("packets enter a loop after hop N"), or -1. period receives the cycle length.
int FindLoopStart(const PathView& path, int& period);

// When the destination was not reached, explains why, exactly one of:
//  DEST_UNREACHABLE (problem) at the hop that sent the ICMP Destination Unreachable;
//  ROUTING_LOOP (problem) at the hop after which the addresses cycle;
//  DEST_ICMP_BLOCKED when the hops answer and then nothing does, and the target is known to be
//    up (check ANSWERED: info, the host only drops ICMP) or, without a check, the last answering
//    hop sits in the destination's network (last_hop_in_destination_network: the caller's
//    AS-aware test, OR-ed with SharesDestinationPrefix: problem, as it may be a link down);
//  LINK_INTERRUPTION (problem) at the last answering hop ("no feedback after hop N"; the first
//    silent TTL is in the evidence), or for the whole path when nothing answered.
// Returns the code it reported, or FINDING_CODE_UNSPECIFIED when the destination answered or
// the trace simply stopped (max TTL) with its last hop answering.
v1::FindingCode FindTermination(const PathView& path, bool last_hop_in_destination_network,
                                v1::DestinationCheck check, Findings& out);

// LOAD_BALANCED_HOP (info) at every TTL where several addresses answered.
void FindLoadBalancedHops(const PathView& path, Findings& out);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_RULES_H_

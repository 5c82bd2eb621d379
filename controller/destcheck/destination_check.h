// Destination check: when an ICMP trace does not reach its target, a few TCP SYN and UDP probes
// sent to the target at the trace's full TTL tell a destination whose firewall drops ICMP (it
// still answers SYN-ACK/RST or Port Unreachable: DEST_ICMP_BLOCKED) from a path that is down
// (nothing answers: LINK_INTERRUPTION). The result is the diagnosis input's
// `forward_destination_check`.
// Its mirror, the cross-check: when a UDP or TCP trace's destination loses probes, a short run of
// ICMP echo requests (whose replies no default rate limit rations, unlike Port Unreachable) tells
// a destination rationing its ICMP from a path that loses packets (`CrossCheckDestination`, the
// input's `forward_destination_cross_check`). Probing goes through an injected runner, so this
// logic needs no sockets in tests.
//
//   v1::DiagnosisInput input;
//   *input.mutable_forward() = trace;
//   input.set_forward_destination_check(destcheck::CheckDestination(
//       trace, target, [&](const v1::ProbeOptions& o, const IpAddress& t) {
//         return runner(o, t, cli::TraceHooks{});
//       }));
#ifndef PATHPAIR_CONTROLLER_DESTCHECK_DESTINATION_CHECK_H_
#define PATHPAIR_CONTROLLER_DESTCHECK_DESTINATION_CHECK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::destcheck {

// Runs one short trace (the same contract as the trace command's runner, without hooks).
using CheckRunner = std::function<absl::StatusOr<v1::TraceResult>(const v1::ProbeOptions& options,
                                                                  const IpAddress& target)>;

// Probes per attempt: one answer is proof enough, three survive ordinary loss.
inline constexpr int kProbesPerAttempt = 3;
// Time between those probes, and how long each may wait for its answer. The whole check
// (three attempts when nothing answers) stays within a few seconds.
inline constexpr int64_t kProbeIntervalUs = 100'000;
inline constexpr int64_t kProbeTimeoutUs = 1'000'000;
// TTL used when the trace's options leave max_ttl unset (the prober's default).
inline constexpr int kDefaultFullTtl = 30;

// One way of asking the target whether it is up.
struct Attempt {
  v1::Protocol protocol = v1::PROTOCOL_TCP;
  int port = 0;  // 0: the prober's default for the protocol
};

// TCP 80, TCP 443, then UDP to the prober's default (high, normally closed) port.
std::vector<Attempt> DefaultAttempts();

// Whether `trace` calls for a check: ICMP (or unspecified) protocol, target not reached, no
// error (a cancelled trace is not judged), and not ended by a Destination Unreachable (that
// already says what happened).
bool NeedsDestinationCheck(const v1::TraceResult& trace);

// The options of one attempt: the trace's own (source, interface, family, TOS, mark) with the
// attempt's protocol and port, first = max TTL = the trace's max TTL, kProbesPerAttempt rounds.
v1::ProbeOptions AttemptOptions(const v1::ProbeOptions& trace_options, const Attempt& attempt);

// Whether an attempt's result shows the target alive: a reply that ended the path at the target
// (SYN-ACK, RST, Port Unreachable; HOP_TERMINATION_DESTINATION or reached), or any reply sent
// by the target's own address.
bool TargetAnswered(const v1::TraceResult& attempt_result, const IpAddress& target);

// NOT_RUN when no check is needed or every attempt failed (a non-OK status, e.g. TCP not
// permitted, or a result carrying an error, e.g. cancelled by Ctrl-C); ANSWERED at the first
// attempt the target answers; SILENT when attempts completed and none did.
v1::DestinationCheck CheckDestination(const v1::TraceResult& trace, const IpAddress& target,
                                      const CheckRunner& runner,
                                      const std::vector<Attempt>& attempts = DefaultAttempts());

// Echo requests of the cross-check, sent this far apart (2 s in all, well inside the 1000/s
// global ICMP budget; a stock kernel does not rate-limit echo replies per prober).
inline constexpr int kCrossCheckProbes = 20;
inline constexpr int64_t kCrossCheckIntervalUs = 100'000;

// Whether `trace` calls for the cross-check: UDP or TCP, no error, the target reached, and its
// hop lost at least two probes.
bool NeedsCrossCheck(const v1::TraceResult& trace);

// The cross-check's options: the trace's own (source, interface, family, TOS, mark), ICMP echo,
// first = max TTL = the trace's max TTL, kCrossCheckProbes rounds.
v1::ProbeOptions CrossCheckOptions(const v1::ProbeOptions& trace_options);

// Echo requests sent to and answered by the target, when `trace` needs the check and it ran
// (empty otherwise: not needed, the runner failed, or it stopped on an error).
std::optional<v1::DestinationCrossCheck> CrossCheckDestination(const v1::TraceResult& trace,
                                                               const IpAddress& target,
                                                               const CheckRunner& runner);

}  // namespace pathpair::destcheck

#endif  // PATHPAIR_CONTROLLER_DESTCHECK_DESTINATION_CHECK_H_

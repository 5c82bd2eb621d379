// Router alias resolution (Agent.ResolveAliases; proto/pathpair/v1/alias.proto) on the probe
// engine: which address a router shows to this end, for an address the other end's trace saw,
// and how many hops away that router is. Every probe goes through a TraceRunner, so it needs
// no socket of its own: the agent runs it on its shared prober (whose sockets were opened up
// front), the controller's in-process client end on a ProberTraceRunner of its own.
//
//   PATHPAIR_ASSIGN_OR_RETURN(AliasRequest checked, CheckAliasRequest(request, limits));
//   v1::ResolveAliasesResponse answer =
//       ResolveAliases(checked, runner, limits, absl::Now() + absl::Seconds(20), [] { return false;
//       });
//
// Per address, two short traces at most, each a few rounds from TTL 1 to max_ttl:
//  1. UDP to an unused high port (kAliasUdpPort) of the address. The router that owns it answers
//     port unreachable. A Mercator-style router answers from its interface toward the prober, so
//     the reply's source is the router's address as this end sees it (an alias of the probed
//     one). Linux answers from the probed address itself (measured on stock routers in
//     namespaces), which then only tells the distance.
//  2. For addresses that gave no answer (port unreachable is rate-limited, or filtered): ICMP
//     echo, whose replies come from the address itself (the engine accepts no other) and are not
//     rate-limited by Linux.
// A trace rather than one probe at a high TTL, because the TTL at which the owner first answers
// is its distance from this end: the merge (controller/merge) rejects a link-heuristic match
// whose distance disagrees with this end's own trace, which is what exposes a detour router on
// stock Linux routers, where no alias is learned. The distance is left unknown (0) when the TTL
// before the owner's went unanswered: answers lost on the way back at the owner's own TTL would
// put it a hop too far, which the merge would read as a detour.
//
// Bounds: at most AliasLimits::max_addresses addresses, unicast only; limits.rounds rounds per
// trace at limits.interval; limits.traces_at_once traces at a time (a wave); nothing starts
// after `deadline` or once `stop` says so, and running traces are then cancelled.
#ifndef PATHPAIR_AGENT_SERVICE_ALIAS_RESOLVER_H_
#define PATHPAIR_AGENT_SERVICE_ALIAS_RESOLVER_H_

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/service/trace_runner.h"
#include "common/net/ip_address.h"
#include "pathpair/v1/agent.pb.h"
#include "pathpair/v1/alias.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::agent {

// The UDP destination port of alias probes: the traceroute port, which nothing listens on by
// convention (RFC 5237 registers 33434 for traceroute use).
inline constexpr int kAliasUdpPort = 33434;

struct AliasLimits {
  int max_addresses = 64;    // per call
  int default_max_ttl = 30;  // when the request says 0
  int max_ttl = 32;          // the most a request may ask
  int rounds = 2;            // per trace: a lost answer at the owner's TTL is seen at the next
  // Between the rounds; this phase waits for the second round, so it is most of what the paired
  // test's alias phase costs. Routers' ICMP rate limits refill at about one answer a second per
  // destination (Linux icmp_ratelimit), so no interval this short spares the second round from
  // them: 50 ms loses nothing to the 200 ms used before.
  absl::Duration interval = absl::Milliseconds(50);
  absl::Duration probe_timeout = absl::Seconds(1);
  absl::Duration grace = absl::Seconds(1);
  int traces_at_once = 16;
};

// A request that passed CheckAliasRequest.
struct AliasRequest {
  std::vector<IpAddress> addresses;  // in request order
  int max_ttl = 0;
};

// InvalidArgument naming the address that is not a unicast address literal (multicast,
// broadcast, unspecified and loopback are refused) or a max_ttl out of 0..limits.max_ttl;
// ResourceExhausted for more than limits.max_addresses addresses. The pairing is the caller's
// to check.
absl::StatusOr<AliasRequest> CheckAliasRequest(const v1::ResolveAliasesRequest& request,
                                               const AliasLimits& limits);

// The probe options of one alias trace (protocol UDP or ICMP) to `address`.
v1::ProbeOptions AliasTraceOptions(const IpAddress& address, v1::Protocol protocol, int max_ttl,
                                   const AliasLimits& limits);

// What one alias trace says about its address: the first hop its owner answered (the owner's
// reply for ICMP and for UDP from Linux; a port unreachable from another address for UDP from a
// Mercator-style router). nullopt when nothing answered for the address (time exceeded only, or
// another unreachable).
std::optional<v1::AliasResolution> ReadAliasTrace(const v1::TraceResult& trace,
                                                  const IpAddress& address, v1::Protocol protocol);

// Resolves every address of `request` (see the top of this file). Blocking; `runner` must
// outlive the call. Addresses left without an answer have method ALIAS_METHOD_NONE.
v1::ResolveAliasesResponse ResolveAliases(const AliasRequest& request, TraceRunner& runner,
                                          const AliasLimits& limits, absl::Time deadline,
                                          const std::function<bool()>& stop);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_ALIAS_RESOLVER_H_

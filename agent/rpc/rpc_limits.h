// The limits both ends of the Agent service agree on: message sizes (the agent refuses larger
// requests and never sends larger answers; the client's channel is set to the same) and the
// keepalive ping that notices a vanished peer (the agent accepts pings this often, no more).
//
//   builder.SetMaxReceiveMessageSize(kMaxRequestBytes);      // the agent
//   args.SetMaxReceiveMessageSize(kMaxResponseBytes);        // a client
#ifndef PATHPAIR_AGENT_RPC_RPC_LIMITS_H_
#define PATHPAIR_AGENT_RPC_RPC_LIMITS_H_

namespace pathpair::agent {

// Largest request to an agent; requests are small option sets.
inline constexpr int kMaxRequestBytes = 64 * 1024;
// Largest message an agent sends (a snapshot of a long path with many ECMP responders).
inline constexpr int kMaxResponseBytes = 4 * 1024 * 1024;
// Keepalive ping interval and how long a ping may go unanswered. A client pinging more often
// than the agent's minimum (5 s without data) would get its connection closed.
inline constexpr int kKeepaliveTimeMs = 10000;
inline constexpr int kKeepaliveTimeoutMs = 5000;

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_RPC_LIMITS_H_

// A StartOneWayRequest as the session config it asks for (ConfigFromRequest), and the proto
// form (v1::AgentOneWayResult) of a one-way result measured at this end: the peer ->
// us direction in full (its delays raw, as the two clocks stamped them), the count of packets
// we sent the other way (the peer measures what arrived), and the clock offset estimate. Shared by
// the agent's service and the controller's in-process endpoint, which both report a local
// OneWaySession's outcome.
//
//   PATHPAIR_ASSIGN_OR_RETURN(oneway::OneWayConfig config, oneway::ConfigFromRequest(request));
//   v1::AgentOneWayResult proto = oneway::ResultToProto(*result);
//   proto.set_final(true);
#ifndef PATHPAIR_AGENT_ONEWAY_RESULT_PROTO_H_
#define PATHPAIR_AGENT_ONEWAY_RESULT_PROTO_H_

#include "absl/status/statusor.h"
#include "agent/oneway/session.h"
#include "pathpair/v1/agent.pb.h"

namespace pathpair::oneway {

// The session config of a request: test_id (not 0), session_key (kSessionKeySize bytes), and
// count, interval and packet size where set (defaults otherwise); checked with ValidateConfig.
// InvalidArgument saying what is wrong.
absl::StatusOr<OneWayConfig> ConfigFromRequest(const v1::StartOneWayRequest& request);

// Sets the inbound direction (raw_delay, not delay), outbound.sent, the offset (when
// estimated) and an error when no packet from the peer arrived. Leaves the times and `final`
// to the caller.
v1::AgentOneWayResult ResultToProto(const OneWayResult& result);

}  // namespace pathpair::oneway

#endif  // PATHPAIR_AGENT_ONEWAY_RESULT_PROTO_H_

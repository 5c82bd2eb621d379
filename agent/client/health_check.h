// The standard gRPC health check (grpc.health.v1.Health/Check, service "") against an agent,
// over the same channel options as every other client: `pathpair-agent --health-check` uses it
// as a Kubernetes exec probe, since Kubernetes' own grpc probe cannot present a client
// certificate.
//
//   AgentClientOptions options;
//   PATHPAIR_ASSIGN_OR_RETURN(options.credentials, MakeChannelCredentials(tls_files));
//   absl::Status serving = CheckAgentHealth("127.0.0.1:8620", options);
#ifndef PATHPAIR_AGENT_CLIENT_HEALTH_CHECK_H_
#define PATHPAIR_AGENT_CLIENT_HEALTH_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "agent/client/channel.h"

namespace pathpair::agent {

// OK when the agent answers SERVING within options.unary_timeout. Otherwise the call's error
// (e.g. UNAVAILABLE when nothing listens, UNAUTHENTICATED), or Unavailable naming the status the
// agent reported (NOT_SERVING while it stops).
absl::Status CheckAgentHealth(const std::string& endpoint, const AgentClientOptions& options);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_CLIENT_HEALTH_CHECK_H_

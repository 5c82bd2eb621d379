// Conversions between absl::Status (used inside pathpair) and grpc::Status (on the wire), the
// one place each direction is written: the agent's service converts its errors at the RPC edge,
// and the client (agent/client) converts what an agent answered. The numeric codes are the same
// canonical codes.
//
//   absl::Status s = consent.Check(target, pairing, now);
//   if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
//   absl::Status answer = FromGrpcStatus(stub->Info(&context, request, &response));
#ifndef PATHPAIR_AGENT_RPC_STATUS_CONVERT_H_
#define PATHPAIR_AGENT_RPC_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace pathpair::agent {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_STATUS_CONVERT_H_

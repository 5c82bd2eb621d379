// Conversions between absl::Status (used inside pathpair) and grpc::Status (on the wire), done
// only at the edge of the agent's gRPC service. The numeric codes are the same canonical codes.
//
//   absl::Status s = consent.Check(target, pairing, now);
//   if (!s.ok()) return reactor->Finish(ToGrpcStatus(s));
#ifndef PATHPAIR_AGENT_SERVICE_STATUS_CONVERT_H_
#define PATHPAIR_AGENT_SERVICE_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace pathpair::agent {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_STATUS_CONVERT_H_

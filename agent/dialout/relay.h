// What both ends of the Controller.Attach relay (proto/pathpair/v1/fleet.proto) share: which
// methods may be relayed (those of the Agent service, found in its descriptor so that a new
// Agent method is relayed without a change here), the checks every relayed call's fields pass
// on either side, and the copies between gRPC byte buffers and the frames' bytes. The agent's
// end is controller_link.h, the controller's controller/fleet/agent_hub.h.
//
//   absl::StatusOr<RelayedMethod> method = FindAgentMethod(start.method());
//   if (!method.ok()) ...;                       // not an Agent method: refuse the call
//   grpc::ByteBuffer request = ToByteBuffer(start.request());
#ifndef PATHPAIR_AGENT_DIALOUT_RELAY_H_
#define PATHPAIR_AGENT_DIALOUT_RELAY_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pathpair::agent {

// A fleet agent name: 1..64 of [A-Za-z0-9._-] (as a SPIFFE ID's NAME). InvalidArgument
// otherwise.
absl::Status ValidateAgentName(absl::string_view name);

struct RelayedMethod {
  std::string full_name;  // "/pathpair.v1.Agent/StartTrace"
  bool server_streaming = false;
};

// The Agent method `full_name` names ("/pathpair.v1.Agent/NAME"); InvalidArgument for anything
// else (another service, a client-streaming method, garbage).
absl::StatusOr<RelayedMethod> FindAgentMethod(absl::string_view full_name);

// The longest deadline a relayed call may carry (a long trace's stream).
inline constexpr absl::Duration kMaxRelayedCallTimeout = absl::Hours(24);
// Largest "authorization" value relayed ("Bearer " and a token).
inline constexpr size_t kMaxAuthorizationBytes = 4096;
// Largest CallEnd message kept (longer ones are cut).
inline constexpr size_t kMaxEndMessageBytes = 4096;

// A relayed call's deadline (1 ms .. kMaxRelayedCallTimeout) and authorization (printable
// ASCII, at most kMaxAuthorizationBytes): InvalidArgument saying which is wrong.
absl::Status ValidateRelayedCall(int64_t timeout_ms, absl::string_view authorization);

// A CallEnd's status from the untrusted side: an unknown code becomes UNKNOWN, a long message
// is cut.
grpc::Status RelayedEndStatus(int32_t code, absl::string_view message);

std::string FromByteBuffer(const grpc::ByteBuffer& buffer);
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_DIALOUT_RELAY_H_

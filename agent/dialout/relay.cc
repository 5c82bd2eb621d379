#include "agent/dialout/relay.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "pathpair/v1/agent.pb.h"

namespace pathpair::agent {

absl::Status ValidateAgentName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("an agent name must be 1..64 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("agent name '", name.substr(0, 64), "': only [A-Za-z0-9._-] are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RelayedMethod> FindAgentMethod(absl::string_view full_name) {
  const google::protobuf::ServiceDescriptor* agent =
      v1::InfoRequest::descriptor()->file()->FindServiceByName("Agent");
  const std::string prefix = absl::StrCat("/", agent->full_name(), "/");
  if (absl::StartsWith(full_name, prefix)) {
    const google::protobuf::MethodDescriptor* method =
        agent->FindMethodByName(std::string(full_name.substr(prefix.size())));
    if (method != nullptr && !method->client_streaming()) {
      return RelayedMethod{.full_name = std::string(full_name),
                           .server_streaming = method->server_streaming()};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", full_name.substr(0, 128), "' is not a method of the Agent service"));
}

absl::Status ValidateRelayedCall(int64_t timeout_ms, absl::string_view authorization) {
  if (timeout_ms < 1 || timeout_ms > absl::ToInt64Milliseconds(kMaxRelayedCallTimeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a relayed call's timeout must be 1 ms .. 24 h, not ", timeout_ms, " ms"));
  }
  if (authorization.size() > kMaxAuthorizationBytes) {
    return absl::InvalidArgumentError("a relayed call's authorization is too long");
  }
  for (char c : authorization) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError("a relayed call's authorization is not printable ASCII");
    }
  }
  return absl::OkStatus();
}

grpc::Status RelayedEndStatus(int32_t code, absl::string_view message) {
  const bool known = code >= grpc::StatusCode::OK && code <= grpc::StatusCode::UNAUTHENTICATED;
  return grpc::Status(known ? static_cast<grpc::StatusCode>(code) : grpc::StatusCode::UNKNOWN,
                      std::string(message.substr(0, kMaxEndMessageBytes)));
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace pathpair::agent

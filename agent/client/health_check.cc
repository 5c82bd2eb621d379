#include "agent/client/health_check.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/rpc/status_convert.h"

namespace pathpair::agent {
namespace {

// grpc.health.v1.HealthCheckResponse: field 1, status; 1 is SERVING. Debian ships no compiled
// health.proto, so the one-field reply is read as unknown fields.
constexpr int kStatusField = 1;
constexpr uint64_t kServing = 1;

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

absl::Status CheckAgentHealth(const std::string& endpoint, const AgentClientOptions& options) {
  grpc::GenericStub stub(MakeAgentChannel(endpoint, options));
  grpc::ClientContext context;
  PrepareContext(context, options, options.unary_timeout);
  grpc::Slice no_bytes("");  // HealthCheckRequest{service: ""} encodes to nothing
  grpc::ByteBuffer request(&no_bytes, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return FromGrpcStatus(status);
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(Flatten(response))) {
    return absl::UnknownError("the health reply is not a HealthCheckResponse");
  }
  uint64_t serving_status = 0;  // UNKNOWN when the field is absent
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == kStatusField &&
        fields.field(i).type() == google::protobuf::UnknownField::TYPE_VARINT) {
      serving_status = fields.field(i).varint();
    }
  }
  if (serving_status != kServing) {
    return absl::UnavailableError(absl::StrCat(
        "the agent at ", endpoint, " is not serving (health status ", serving_status, ")"));
  }
  return absl::OkStatus();
}

}  // namespace pathpair::agent

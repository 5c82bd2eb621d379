// A remote pathpair-agent as one end of a paired test: the Endpoint interface (endpoint.h) over
// the agent's gRPC service. Every call carries a deadline and the bearer token (if any);
// streaming sessions are renewed every third of their lease while they run, and stopped within
// about a second of cancellation (Stop, then the stream is cancelled).
//
//   AgentConnectionOptions options;
//   options.credentials = grpc::InsecureChannelCredentials();   // or MakeAgentCredentials
//   GrpcAgentEndpoint server("203.0.113.80:8620", options);
//   absl::StatusOr<v1::InfoResponse> info = server.Info();
#ifndef PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_
#define PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controller/paired/endpoint.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::paired {

struct AgentConnectionOptions {
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // required
  std::string bearer_token;                               // empty: none
  std::string tls_name;  // TLS name to verify this agent's certificate against (default: host)
  // TLS name the client agent verifies the server agent against in ReflectPeer (default: the
  // address it connects to).
  std::string peer_tls_name;
  absl::Duration unary_timeout = absl::Seconds(5);
};

// Channel credentials from the flags: mutual TLS with the three PEM files, or plaintext when
// `insecure`. InvalidArgument/NotFound with a message naming the file on bad input.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeAgentCredentials(
    bool insecure, const std::string& ca_file, const std::string& cert_file,
    const std::string& key_file);

// grpc::Status -> absl::Status, keeping the code and message.
absl::Status FromGrpc(const grpc::Status& status);

// Calls Reflect on the agent at `endpoint` with `pairing_id` and returns the address it saw.
absl::StatusOr<std::string> CallReflect(const std::string& endpoint,
                                        const AgentConnectionOptions& options,
                                        const std::string& pairing_id);

class GrpcAgentEndpoint : public Endpoint {
 public:
  GrpcAgentEndpoint(std::string endpoint, AgentConnectionOptions options);

  std::string Describe() const override { return endpoint_; }
  absl::StatusOr<v1::InfoResponse> Info() override;
  absl::StatusOr<std::string> ReflectFrom(const std::string& peer_endpoint,
                                          const std::string& pairing_id) override;
  TraceOutcome RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                        const CancelToken& cancel) override;
  OneWayOutcome RunOneWay(const v1::StartOneWayRequest& request, const OneWayHooks& hooks,
                          const CancelToken& cancel) override;

 private:
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;
  // What the keeper thread knows of a running session: its id once the agent granted it.
  struct SessionState {
    absl::Mutex mu;
    std::string session_id ABSL_GUARDED_BY(mu);
    int64_t lease_ms ABSL_GUARDED_BY(mu) = 0;
  };
  // Runs beside a session stream until `finished`: renews the session every third of its lease;
  // on cancellation stops it (Stop, so the agent sends its final result) and cuts the stream
  // (`context`) if it has not ended within a second, or at once before the session is granted.
  void KeepSession(SessionState& session, grpc::ClientContext& context,
                   const absl::Notification& finished, const CancelToken& cancel);
  // Reads a session stream (`reader`, on `context`) to its end, with KeepSession beside it;
  // `payload` returns an update's result when it carries one, kept in `last`.
  template <typename Update, typename Result, typename Payload>
  absl::Status FollowSession(grpc::ClientContext& context, grpc::ClientReader<Update>& reader,
                             const std::function<void()>& on_started,
                             const std::function<void(const Result&)>& on_result, Payload payload,
                             std::optional<Result>& last, const CancelToken& cancel);
  // A session's status once its stream ended: cancelled when the user stopped it, and a lost
  // connection names this agent.
  absl::Status SessionEndStatus(absl::Status status, const CancelToken& cancel) const;

  std::string endpoint_;
  AgentConnectionOptions options_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_

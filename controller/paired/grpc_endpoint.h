// A remote pathpair-agent as one end of a paired test: the Endpoint interface (endpoint.h) as a
// thin adapter over the agent client library (agent/client/agent_client.h), which carries the
// deadlines and the bearer token, renews running sessions every third of their lease and stops
// them within about a second of cancellation (Stop, then the stream is cancelled).
//
//   AgentConnectionOptions options;
//   options.credentials = grpc::InsecureChannelCredentials();   // or MakeAgentCredentials
//   GrpcAgentEndpoint server("203.0.113.80:8620", options);
//   absl::StatusOr<v1::InfoResponse> info = server.Info();
#ifndef PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_
#define PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/client/agent_client.h"
#include "controller/paired/endpoint.h"
#include "pathpair/v1/agent.pb.h"

namespace pathpair::paired {

// How to reach an agent (credentials, bearer token, TLS name, unary timeout: the client
// library's options), plus what its ReflectPeer needs.
struct AgentConnectionOptions : agent::AgentClientOptions {
  // TLS name the client agent verifies the server agent against in ReflectPeer (default: the
  // address it connects to).
  std::string peer_tls_name;
};

// Channel credentials from the controller's flags: mutual TLS with the three PEM files, or
// plaintext when `insecure`. InvalidArgument/NotFound with a message naming the flag or the file
// on bad input.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeAgentCredentials(
    bool insecure, const std::string& ca_file, const std::string& cert_file,
    const std::string& key_file);

// Calls Reflect on the agent at `endpoint` with `pairing_id` and returns the address it saw.
absl::StatusOr<std::string> CallReflect(const std::string& endpoint,
                                        const agent::AgentClientOptions& options,
                                        const std::string& pairing_id);

class GrpcAgentEndpoint : public Endpoint {
 public:
  GrpcAgentEndpoint(std::string endpoint, AgentConnectionOptions options);

  std::string Describe() const override { return client_.endpoint(); }
  absl::StatusOr<v1::InfoResponse> Info() override;
  absl::StatusOr<std::string> ReflectFrom(const std::string& peer_endpoint,
                                          const std::string& pairing_id) override;
  TraceOutcome RunTrace(const v1::StartTraceRequest& request, const TraceHooks& hooks,
                        const CancelToken& cancel) override;
  OneWayOutcome RunOneWay(const v1::StartOneWayRequest& request, const OneWayHooks& hooks,
                          const CancelToken& cancel) override;
  absl::StatusOr<v1::ResolveAliasesResponse> ResolveAliases(
      const v1::ResolveAliasesRequest& request, const CancelToken& cancel) override;

 private:
  const std::string peer_tls_name_;
  agent::AgentClient client_;
};

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_GRPC_ENDPOINT_H_

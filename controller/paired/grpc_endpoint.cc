#include "controller/paired/grpc_endpoint.h"

#include <utility>

#include "agent/rpc/tls_files.h"

namespace pathpair::paired {
namespace {

// How long an alias resolution may take: the agent answers before this with what it learned
// (typically within a few seconds; 64 addresses that never answer take longest).
constexpr absl::Duration kAliasCallTimeout = absl::Seconds(30);

// The client library's view of a CancelToken.
agent::CancelWait WaitFor(const CancelToken& cancel) {
  return [&cancel](absl::Duration timeout) { return cancel.WaitFor(timeout); };
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeAgentCredentials(
    bool insecure, const std::string& ca_file, const std::string& cert_file,
    const std::string& key_file) {
  if (insecure) return grpc::InsecureChannelCredentials();
  if (ca_file.empty() || cert_file.empty() || key_file.empty()) {
    return absl::InvalidArgumentError(
        "agents need mutual TLS: give --tls-ca, --tls-cert and --tls-key (deploy/make-certs.sh "
        "makes them), or --insecure for plaintext");
  }
  return agent::MakeChannelCredentials(
      agent::TlsFiles{.cert = cert_file, .key = key_file, .ca = ca_file});
}

absl::StatusOr<std::string> CallReflect(const std::string& endpoint,
                                        const agent::AgentClientOptions& options,
                                        const std::string& pairing_id) {
  absl::StatusOr<v1::ReflectResponse> response =
      agent::AgentClient(endpoint, options).Reflect(pairing_id);
  if (!response.ok()) return response.status();
  return response->address();
}

GrpcAgentEndpoint::GrpcAgentEndpoint(std::string endpoint, AgentConnectionOptions options)
    : peer_tls_name_(options.peer_tls_name), client_(std::move(endpoint), std::move(options)) {}

absl::StatusOr<v1::InfoResponse> GrpcAgentEndpoint::Info() { return client_.Info(); }

absl::StatusOr<std::string> GrpcAgentEndpoint::ReflectFrom(const std::string& peer_endpoint,
                                                           const std::string& pairing_id) {
  v1::ReflectPeerRequest request;
  request.set_peer(peer_endpoint);
  request.set_pairing_id(pairing_id);
  request.set_peer_token(client_.options().bearer_token);
  request.set_peer_tls_name(peer_tls_name_);
  absl::StatusOr<v1::ReflectPeerResponse> response = client_.ReflectPeer(request);
  if (!response.ok()) return response.status();
  return response->reflected_address();
}

TraceOutcome GrpcAgentEndpoint::RunTrace(const v1::StartTraceRequest& request,
                                         const TraceHooks& hooks, const CancelToken& cancel) {
  agent::SessionOutcome<v1::TraceResult> outcome = client_.RunTrace(
      request, {.on_started = hooks.on_started, .on_result = hooks.on_snapshot}, WaitFor(cancel));
  return TraceOutcome{.status = std::move(outcome.status), .result = std::move(outcome.result)};
}

OneWayOutcome GrpcAgentEndpoint::RunOneWay(const v1::StartOneWayRequest& request,
                                           const OneWayHooks& hooks, const CancelToken& cancel) {
  agent::SessionOutcome<v1::AgentOneWayResult> outcome = client_.RunOneWay(
      request, {.on_started = hooks.on_started, .on_result = hooks.on_update}, WaitFor(cancel));
  return OneWayOutcome{.status = std::move(outcome.status), .result = std::move(outcome.result)};
}

absl::StatusOr<v1::ResolveAliasesResponse> GrpcAgentEndpoint::ResolveAliases(
    const v1::ResolveAliasesRequest& request, const CancelToken& cancel) {
  return client_.ResolveAliases(request, kAliasCallTimeout, WaitFor(cancel));
}

}  // namespace pathpair::paired

#include "agent/service/agent_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/rpc/rpc_limits.h"
#include "agent/service/call_log.h"

namespace pathpair::agent {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  absl::StatusOr<TlsPem> pem = ReadTlsPem(files);
  if (!pem.ok()) return pem.status();
  options.pem_root_certs = std::move(pem->ca);
  options.pem_key_cert_pairs.push_back(
      {.private_key = std::move(pem->key), .cert_chain = std::move(pem->cert)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::string& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, int* selected_port) {
  std::vector<int> ports;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      BuildAgentServer(std::vector<std::string>{listen}, std::move(credentials), service, &ports);
  if (server.ok() && selected_port != nullptr) *selected_port = ports[0];
  return server;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::vector<std::string>& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, std::vector<int>* selected_ports) {
  if (listen.empty()) return absl::InvalidArgumentError("no endpoint to listen on");
  // Both are process-wide switches that take effect for servers built after them.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  std::vector<int> ports(listen.size(), 0);
  for (size_t i = 0; i < listen.size(); ++i) {
    builder.AddListeningPort(listen[i], credentials, &ports[i]);
  }
  builder.RegisterService(service);
  builder.experimental().SetInterceptorCreators(CallLogInterceptors());
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.SetMaxSendMessageSize(kMaxResponseBytes);
  // Ping idle connections so that a controller that vanished without closing its connection
  // (host down, cable cut) has its streams cancelled; the lease is the backstop.
  // One agent per port: without this a second agent on a port in use would bind it too
  // (SO_REUSEPORT) and silently share its connections, instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", absl::StrJoin(listen, ", "),
                                               " (address in use, or not a local address?)"));
  }
  for (size_t i = 0; i < listen.size(); ++i) {
    // unix: endpoints report port 1 on success; 0 means that endpoint failed.
    if (ports[i] == 0) {
      server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", listen[i],
                                                 " (address in use, or not a local address?)"));
    }
  }
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(true);
  }
  if (selected_ports != nullptr) *selected_ports = std::move(ports);
  return server;
}

}  // namespace pathpair::agent

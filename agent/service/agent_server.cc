#include "agent/service/agent_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/rpc/rpc_limits.h"
#include "agent/service/call_log.h"

namespace pathpair::agent {
namespace {

// Counts every call by method and final status code (pathpair_agent_rpcs_total) as its status
// leaves, so that no handler has to remember to.
class RpcCountingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RpcCountingInterceptor(const grpc::experimental::ServerRpcInfo& info)
      : method_(absl::StripPrefix(info.method() != nullptr ? info.method() : "", "/")) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics::CountRpc(method_, absl::StatusCodeToString(static_cast<absl::StatusCode>(
                                     methods->GetSendStatus().error_code())));
    }
    methods->Proceed();
  }

 private:
  std::string method_;
};

class RpcCountingFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcCountingInterceptor(*info);
  }
};

// Drops a server builder plugin by name. Linking the reflection library registers its plugin
// for every server (a static initializer), so leaving it out takes removing it.
class WithoutPlugin final : public grpc::ServerBuilderOption {
 public:
  explicit WithoutPlugin(std::string name) : name_(std::move(name)) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [this](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return plugin->name() == name_;
    });
  }

 private:
  const std::string name_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  absl::StatusOr<TlsPem> pem = ReadTlsPem(files);
  if (!pem.ok()) return pem.status();
  return MakeServerCredentials(*pem);
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsPem& pem) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pem.ca;
  options.pem_key_cert_pairs.push_back({.private_key = pem.key, .cert_chain = pem.cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::string& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, int* selected_port, bool reflection) {
  std::vector<int> ports;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = BuildAgentServer(
      std::vector<std::string>{listen}, std::move(credentials), service, &ports, reflection);
  if (server.ok() && selected_port != nullptr) *selected_port = ports[0];
  return server;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::vector<std::string>& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, std::vector<int>* selected_ports, bool reflection) {
  // Both are process-wide switches that take effect for servers built after them.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  std::vector<int> ports(listen.size(), 0);
  for (size_t i = 0; i < listen.size(); ++i) {
    builder.AddListeningPort(listen[i], credentials, &ports[i]);
  }
  builder.RegisterService(service);
  // Every call is logged when refused or failed (call_log.h) and counted by method and code.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors =
      CallLogInterceptors();
  interceptors.push_back(std::make_unique<RpcCountingFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  if (!reflection) builder.SetOption(std::make_unique<WithoutPlugin>("proto_server_reflection"));
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

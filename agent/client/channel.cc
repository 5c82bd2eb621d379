#include "agent/client/channel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/rpc/rpc_limits.h"

namespace pathpair::agent {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  absl::StatusOr<TlsPem> pem = ReadTlsPem(files);
  if (!pem.ok()) return pem.status();
  return MakeChannelCredentials(*pem);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsPem& pem) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem.ca;
  options.pem_private_key = pem.key;
  options.pem_cert_chain = pem.cert;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& endpoint,
                                                const AgentClientOptions& options) {
  if (options.channel != nullptr) return options.channel;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxResponseBytes);
  args.SetMaxSendMessageSize(kMaxRequestBytes);
  // Notice a vanished agent even when no packet says so.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  if (!options.tls_name.empty()) args.SetSslTargetNameOverride(options.tls_name);
  return grpc::CreateCustomChannel(endpoint, options.credentials, args);
}

void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    absl::Duration timeout) {
  PrepareContext(context, options,
                 std::chrono::system_clock::now() +
                     std::chrono::microseconds(absl::ToInt64Microseconds(timeout)));
}

void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    std::chrono::system_clock::time_point deadline) {
  context.set_deadline(deadline);
  if (!options.bearer_token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options.bearer_token));
  }
}

}  // namespace pathpair::agent

#include "agent/service/agent_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pathpair::agent {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than 1 MiB"));
  }
  return text.str();
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no token"));
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the token must be a single word"));
  }
  return token;
}

namespace {

absl::Status ReadTls(const TlsFiles& files, std::string* cert, std::string* key, std::string* ca) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty()) {
    return absl::InvalidArgumentError("TLS needs a certificate, its key and the CA certificate");
  }
  absl::StatusOr<std::string> c = ReadSmallFile(files.cert);
  if (!c.ok()) return c.status();
  absl::StatusOr<std::string> k = ReadSmallFile(files.key);
  if (!k.ok()) return k.status();
  absl::StatusOr<std::string> a = ReadSmallFile(files.ca);
  if (!a.ok()) return a.status();
  if (c->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(files.cert, " is not a PEM certificate"));
  }
  if (k->find("PRIVATE KEY-----") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(files.key, " is not a PEM private key"));
  }
  if (a->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(files.ca, " is not a PEM certificate"));
  }
  *cert = *std::move(c);
  *key = *std::move(k);
  *ca = *std::move(a);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (absl::Status s = ReadTls(files, &pair.cert_chain, &pair.private_key, &options.pem_root_certs);
      !s.ok()) {
    return s;
  }
  options.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  grpc::SslCredentialsOptions options;
  if (absl::Status s = ReadTls(files, &options.pem_cert_chain, &options.pem_private_key,
                               &options.pem_root_certs);
      !s.ok()) {
    return s;
  }
  return grpc::SslCredentials(options);
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
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.SetMaxSendMessageSize(kMaxSendMessageBytes);
  // Ping idle connections so that a controller that vanished without closing its connection
  // (host down, cable cut) has its streams cancelled; the lease is the backstop.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
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

// Building the agent's gRPC server: credentials (mutual TLS with the operator's CA by default,
// plaintext only when asked), the standard grpc.health.v1 health service, server reflection,
// bounded message sizes and keepalive (so that a vanished controller's connection is noticed).
// Shared by pathpair-agent and the tests.
//
//   PATHPAIR_ASSIGN_OR_RETURN(auto credentials, MakeServerCredentials(tls));
//   int port = 0;
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<grpc::Server> server,
//                             BuildAgentServer("127.0.0.1:0", credentials, service, &port));
#ifndef PATHPAIR_AGENT_SERVICE_AGENT_SERVER_H_
#define PATHPAIR_AGENT_SERVICE_AGENT_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pathpair::agent {

// Largest request the agent accepts; requests are small option sets.
inline constexpr int kMaxReceiveMessageBytes = 64 * 1024;
// Largest message it sends (a snapshot of a long path with many ECMP responders).
inline constexpr int kMaxSendMessageBytes = 4 * 1024 * 1024;

// PEM files of the operator's PKI (deploy/make-certs.sh makes them).
struct TlsFiles {
  std::string cert;  // this side's certificate chain
  std::string key;   // its private key
  std::string ca;    // the CA that signs the other side's certificates
};

// Reads a whole file (certificates, keys, tokens); errors name the file.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);
// A bearer token file: one line, surrounding whitespace removed, not empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Server side of mutual TLS: the client must present a certificate signed by `files.ca`.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);
// Client side of mutual TLS (controllers, and agents calling a peer's Reflect).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

// Builds and starts a server on `listen` ("ADDRESS:PORT"; port 0 picks one, written to
// *selected_port) with `service`, health checking (reported SERVING) and reflection.
absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::string& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, int* selected_port);
// The same on several endpoints ("ADDRESS:PORT" or "unix:PATH"); selected_ports (if not null)
// receives the port of each, in order.
absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::vector<std::string>& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, std::vector<int>* selected_ports);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_AGENT_SERVER_H_

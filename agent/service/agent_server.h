// Building the agent's gRPC server: credentials (mutual TLS with the operator's CA by default,
// plaintext only when asked), the standard grpc.health.v1 health service, server reflection,
// bounded message sizes and keepalive (so that a vanished controller's connection is noticed).
// Shared by pathpair-agent and the tests. The credential files, message limits and status
// conversion are shared with the client (agent/rpc); the client itself is agent/client.
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
#include "agent/rpc/tls_files.h"

namespace pathpair::agent {

// Server side of mutual TLS: the client must present a certificate signed by `files.ca`.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);
// The same from PEM read earlier (the agent reads its files before it drops its privileges).
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsPem& pem);
// Builds and starts a server on `listen` ("ADDRESS:PORT"; port 0 picks one, written to
// *selected_port) with `service`, health checking (reported SERVING, open to every caller) and,
// with `reflection`, server reflection. Reflection cannot check a bearer token, so an agent
// serves it only where it is as authenticated as the service: under mutual TLS (the handshake
// authenticates every call), or over plaintext without a token (then nothing is).
absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::string& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, int* selected_port, bool reflection = true);
// The same on several endpoints ("ADDRESS:PORT" or "unix:PATH"); selected_ports (if not null)
// receives the port of each, in order. With none, the server is reached only in-process
// (Server::InProcessChannel: an agent that only dials out, agent/dialout).
absl::StatusOr<std::unique_ptr<grpc::Server>> BuildAgentServer(
    const std::vector<std::string>& listen, std::shared_ptr<grpc::ServerCredentials> credentials,
    grpc::Service* service, std::vector<int>* selected_ports, bool reflection = true);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_AGENT_SERVER_H_

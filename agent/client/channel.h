// How a client reaches a pathpair-agent: the options every client shares, the channel (mutual TLS
// or plaintext, the agent's message limits, keepalive) and per-call contexts that always carry
// a deadline (agents refuse calls without one) and the bearer token. The base of AgentClient
// (agent_client.h) and LeaseRenewer (lease_renewer.h).
//
//   AgentClientOptions options;
//   PATHPAIR_ASSIGN_OR_RETURN(options.credentials, MakeChannelCredentials(tls_files));
//   options.bearer_token = token;
//   std::shared_ptr<grpc::Channel> channel = MakeAgentChannel("203.0.113.2:8620", options);
//   grpc::ClientContext context;
//   PrepareContext(context, options, absl::Seconds(5));
#ifndef PATHPAIR_AGENT_CLIENT_CHANNEL_H_
#define PATHPAIR_AGENT_CLIENT_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/rpc/tls_files.h"

namespace pathpair::agent {

struct AgentClientOptions {
  // Required: MakeChannelCredentials(files) for mutual TLS, or grpc::InsecureChannelCredentials()
  // for an agent run with --insecure. Without credentials every call fails (a "lame" channel).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string bearer_token;  // sent as "authorization: Bearer <token>" when not empty
  std::string tls_name;      // name to check the agent's certificate against (default: its host)
  absl::Duration unary_timeout = absl::Seconds(5);  // deadline of the short calls (Info, Reflect)
  // When set, calls go over this channel instead of one to the endpoint (which then only names
  // the agent): a dial-in agent's tunnel (controller/fleet/agent_hub.h). `credentials` and
  // `tls_name` are then unused.
  std::shared_ptr<grpc::Channel> channel;
};

// Client side of mutual TLS: this side's certificate and key, and the CA that signed the agent's
// certificate. Errors name the file (tls_files.h).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);
// The same from PEM read earlier (the agent reads its files before it drops its privileges).
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsPem& pem);

// A channel to the agent at `endpoint` ("ADDRESS:PORT", "[V6]:PORT", "HOST:PORT" or
// "unix:PATH"), or options.channel when set. It connects lazily: an unreachable agent shows in
// the first call.
std::shared_ptr<grpc::Channel> MakeAgentChannel(const std::string& endpoint,
                                                const AgentClientOptions& options);

// Sets the deadline and the authorization metadata.
void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    absl::Duration timeout);
void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    std::chrono::system_clock::time_point deadline);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_CLIENT_CHANNEL_H_

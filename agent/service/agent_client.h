// The client side of the agent service, for controllers (and tests): a channel to an agent with
// the operator's credentials and the agent's message limits, per-call contexts that always
// carry a deadline and the bearer token, and a LeaseRenewer that keeps running sessions alive
// (so that when the controller dies, its sessions stop within one lease).
//
//   AgentClientOptions options{.endpoint = "203.0.113.2:8620", .tls = tls, .token = token};
//   PATHPAIR_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, MakeAgentChannel(options));
//   auto stub = v1::Agent::NewStub(channel);
//   grpc::ClientContext context;
//   PrepareContext(context, options, absl::Minutes(10));
//   auto reader = stub->StartTrace(&context, request);
//   LeaseRenewer renewer(*stub, options);
//   ... first update: renewer.Add(update.session_id(), absl::Milliseconds(update.lease_ms()));
#ifndef PATHPAIR_AGENT_SERVICE_AGENT_CLIENT_H_
#define PATHPAIR_AGENT_SERVICE_AGENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/service/agent_server.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {

struct AgentClientOptions {
  std::string endpoint;         // "ADDRESS:PORT", "[V6]:PORT", "HOST:PORT" or "unix:PATH"
  std::optional<TlsFiles> tls;  // nullopt: plaintext (the agent must run with --insecure)
  std::string token;            // bearer token, if the agent wants one
  std::string tls_name;         // name to check the agent's certificate against (optional)
};

// The channel: mutual TLS with options.tls (client certificate + CA), or plaintext; keepalive
// pings so a dead agent is noticed; the agent's message limits.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeAgentChannel(const AgentClientOptions& options);

// Sets the deadline (agents refuse calls without one) and the authorization metadata.
void PrepareContext(grpc::ClientContext& context, const AgentClientOptions& options,
                    absl::Duration timeout);

// Renews the leases of the sessions it holds, from its own thread, every third of the
// shortest lease. Sessions the agent no longer knows are dropped.
class LeaseRenewer {
 public:
  LeaseRenewer(v1::Agent::Stub& stub, AgentClientOptions options);
  ~LeaseRenewer();  // stops renewing (the sessions then lapse unless stopped otherwise)
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  void Add(const std::string& session_id, absl::Duration lease);
  void Remove(const std::string& session_id);

 private:
  void Loop();

  v1::Agent::Stub& stub_;
  const AgentClientOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> sessions_ ABSL_GUARDED_BY(mu_);
  absl::Duration period_ ABSL_GUARDED_BY(mu_) = absl::Seconds(5);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_AGENT_CLIENT_H_

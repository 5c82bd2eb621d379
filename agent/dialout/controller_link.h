// The agent's end of fleet mode (pathpair-agent --controller HOST:PORT --name NAME): one
// outbound gRPC stream to the controller (Controller.Attach, proto/pathpair/v1/fleet.proto)
// over which the controller sends Agent calls, so that an agent behind NAT or a firewall needs
// no inbound port. Each relayed call is replayed, unchanged (method, request, deadline,
// authorization), on the agent's own Agent service through an in-process channel: the same
// handlers, limits, consent and authorization as a direct call. The controller is
// authenticated when the stream opens: its certificate must carry the controller role
// (spiffe://pathpair/controller/NAME), which the service then sees as the caller of every
// relayed call (agent/rpc/tunnel_caller.h); with tokens, each relayed call carries
// the controller token, checked by the service as for a direct call. The link reconnects after
// any failure with exponential backoff and jitter (Backoff), reset once a stream is accepted.
//
//   ControllerLinkOptions options{.controller = "203.0.113.10:7500", .name = "office"};
//   options.credentials = MakeChannelCredentials(pem);   // or grpc::InsecureChannelCredentials()
//   options.agent_token = agent_token;                   // presented on Attach
//   options.tunnel = &tunnel;                            // also the service's tunnel_caller
//   ControllerLink link(options, server->InProcessChannel(grpc::ChannelArguments()));
//   link.Start();
//   ...
//   link.Stop();                                          // before the server shuts down
#ifndef PATHPAIR_AGENT_DIALOUT_CONTROLLER_LINK_H_
#define PATHPAIR_AGENT_DIALOUT_CONTROLLER_LINK_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/rpc/caller_identity.h"
#include "agent/rpc/tunnel_caller.h"

namespace pathpair::agent {

// Exponential backoff with jitter: the n-th delay is drawn from [d/2, d] where d = initial * 2^n
// capped at `max`, so that agents cut off together (a controller restart) do not all come back
// in the same instant. `uniform` returns a number in [0, 1).
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, std::function<double()> uniform);
  absl::Duration Next();
  void Reset() { attempt_ = 0; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  std::function<double()> uniform_;
  int attempt_ = 0;
};

struct ControllerLinkOptions {
  std::string controller;  // "HOST:PORT" (or "unix:PATH")
  std::string name;        // this agent's fleet name (ValidateAgentName's rules)
  std::string version;
  // Mutual TLS with the agent's certificate (MakeChannelCredentials), or
  // grpc::InsecureChannelCredentials() for plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string tls_name;     // name to check the controller's certificate against
  std::string agent_token;  // sent as "authorization: Bearer <token>" on Attach when not empty
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(60);
  int max_calls = 64;  // relayed calls open at once; more are refused (RESOURCE_EXHAUSTED)
  // Required: the controller each accepted stream authenticated is set there (its
  // certificate's identity over TLS; anonymous over plaintext, where the controller token of
  // each call says who calls), and every relayed call carries its mark. Must outlive the link.
  TunnelCaller* tunnel = nullptr;
  // Told every state change ("attached", "disconnected: ..."); for logs and tests.
  std::function<void(const std::string&)> on_state;
};

class ControllerLink {
 public:
  // `agent_channel`: an in-process channel to the agent's own server (Server::InProcessChannel).
  ControllerLink(ControllerLinkOptions options, std::shared_ptr<grpc::Channel> agent_channel);
  ~ControllerLink();
  ControllerLink(const ControllerLink&) = delete;
  ControllerLink& operator=(const ControllerLink&) = delete;

  // Starts the thread that keeps the stream up.
  void Start();
  // Closes the stream (its relayed calls are cancelled) and joins the thread. Idempotent.
  void Stop();

  // Streams the controller accepted so far.
  int attachments() const;
  // Waits until the stream is accepted (attachments() > `after`); false on timeout.
  bool WaitForAttachment(int after, absl::Duration timeout) const;

 private:
  class Connection;
  void Run();
  // One connection, until it fails or Stop; OK when Stop ended it.
  absl::Status Serve(Backoff& backoff);
  void ReportState(const std::string& state);

  const ControllerLinkOptions options_;
  const std::shared_ptr<grpc::Channel> agent_channel_;
  absl::Notification stopping_;
  mutable absl::Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;  // the open stream's context
  int attachments_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_DIALOUT_CONTROLLER_LINK_H_

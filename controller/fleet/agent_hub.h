// The controller's side of agents that dial out (fleet mode): the pathpair.v1.Controller
// service (proto/pathpair/v1/fleet.proto). Each agent keeps one Attach stream open; the hub
// registers it under its name and relays Agent calls to it over that stream. EndpointFor(name)
// is a paired::Endpoint over the tunnel, so paired::RunPairedTest runs unchanged with a dial-in
// agent at either end: the hub serves an in-process Agent service that forwards every call of
// the named agent into its stream, and the Endpoint is the ordinary gRPC one
// (paired/grpc_endpoint.h: deadlines, bearer token, lease renewal, Stop on cancel) on that
// in-process channel.
//
// Who may attach: an agent certificate (spiffe://pathpair/agent/NAME, over mutual TLS) or the
// agent token ("authorization: Bearer <agent token>"), as the server's credentials and
// AgentHubOptions say. A second agent attaching under a name already connected REPLACES the
// first (its stream is ended with ABORTED and its calls fail UNAVAILABLE): an agent that
// reconnects after a network change must not wait for the dead stream's keepalive to expire,
// and only authenticated agents can attach at all.
//
//   AgentHubOptions options;
//   options.agent_token = agent_token;                  // or rely on mutual TLS
//   options.calls.bearer_token = controller_token;      // what each relayed call carries
//   options.on_presence = [&](const AgentPresence& p) { db.RecordPresence(p); };
//   AgentHub hub(options);
//   builder.RegisterService(&hub);                       // next to nothing else, or anything
//   ...
//   absl::StatusOr<std::unique_ptr<paired::Endpoint>> office = hub.EndpointFor("office");
//   if (!office.ok()) ...;                               // Unavailable: not connected
//   paired::RunPairedTest(plan, **office, *dc, deps, cancel, progress);
//   ...
//   hub.Shutdown();                                      // before server->Shutdown()
#ifndef PATHPAIR_CONTROLLER_FLEET_AGENT_HUB_H_
#define PATHPAIR_CONTROLLER_FLEET_AGENT_HUB_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/paired/endpoint.h"
#include "controller/paired/grpc_endpoint.h"
#include "pathpair/v1/fleet.grpc.pb.h"

namespace pathpair::fleet {

// An agent's connection or disconnection, as on_presence sees it.
struct AgentPresence {
  std::string name;
  bool connected = false;
  // Where its connection comes from as the hub sees it ("ADDRESS:PORT", the NAT's public side).
  std::string peer;
  std::string version;  // from its hello
  // Connected: OK. Disconnected: why (the agent went away, was replaced, the hub shut down...).
  absl::Status reason;
};

struct AgentHubOptions {
  // When not empty, Attach must carry "authorization: Bearer <agent_token>" (the agents'
  // --agent-token-file). When empty, the server's credentials must authenticate agents: a
  // client certificate with the agent role; a plaintext Attach without a token is refused
  // (UNAUTHENTICATED) unless allow_unauthenticated (tests on loopback only).
  std::string agent_token;
  bool allow_unauthenticated = false;
  // What every relayed call carries (the controller token as "authorization", the unary
  // timeout, peer_tls_name for ReflectPeer); the channel fields are the hub's.
  paired::AgentConnectionOptions calls;
  // Told about every connect and disconnect, in order per agent, from a gRPC thread; must be
  // thread-safe and quick (no blocking RPC).
  std::function<void(const AgentPresence&)> on_presence;
  // Bounds for untrusted agents: calls open at once per agent, bytes of one frame.
  int max_calls_per_agent = 64;
  int max_frame_bytes = 8 << 20;
  // How long an agent may take to send its hello.
  absl::Duration hello_timeout = absl::Seconds(10);
};

class AgentHub final : public v1::Controller::CallbackService {
 public:
  explicit AgentHub(AgentHubOptions options);
  ~AgentHub() override;
  AgentHub(const AgentHub&) = delete;
  AgentHub& operator=(const AgentHub&) = delete;

  // A paired-test end over the named agent's tunnel. Unavailable when it is not connected now;
  // if it disconnects later, the Endpoint's calls fail Unavailable (and work again once it
  // reconnects). The Endpoint may outlive neither the hub nor Shutdown.
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> EndpointFor(const std::string& name);

  bool IsConnected(const std::string& name) const;
  // The agents connected now, sorted by name.
  std::vector<AgentPresence> Connected() const;

  // Ends every tunnel (their calls fail Unavailable, on_presence reports each) and refuses new
  // ones. Call before the gRPC server's Shutdown (which waits for open streams).
  void Shutdown();

  grpc::ServerBidiReactor<v1::AgentFrame, v1::ControllerFrame>* Attach(
      grpc::CallbackServerContext* context) override;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "name" is a valid fleet agent name: 1..64 of [A-Za-z0-9._-]. InvalidArgument otherwise.
absl::Status ValidateAgentName(const std::string& name);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_AGENT_HUB_H_

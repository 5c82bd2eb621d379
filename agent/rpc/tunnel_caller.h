// Who calls an agent through its dial-out link (agent/dialout/controller_link.h). The link
// replays the controller's calls on the agent's own service over an in-process channel, each
// carrying the header kTunnelHeader with a random secret only this process knows; the service
// (AgentServiceConfig::tunnel_caller) then takes the caller to be the controller the link
// authenticated when its stream opened (its certificate's identity over TLS, anonymous over
// plaintext, where the relayed controller token says who calls). A network caller cannot know
// the secret, and the link relays no other metadata than "authorization".
//
//   TunnelCaller tunnel;                              // one per agent process
//   config.tunnel_caller = &tunnel;                   // the service
//   link_options.tunnel = &tunnel;                    // the link sets it, and marks its calls
#ifndef PATHPAIR_AGENT_RPC_TUNNEL_CALLER_H_
#define PATHPAIR_AGENT_RPC_TUNNEL_CALLER_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "agent/rpc/caller_identity.h"

namespace pathpair::agent {

inline constexpr char kTunnelHeader[] = "x-pathpair-tunnel";

class TunnelCaller {
 public:
  TunnelCaller();  // a fresh random secret (32 bytes from OpenSSL's generator, hex)

  // Marks a relayed call.
  void Mark(grpc::ClientContext& context) const { context.AddMetadata(kTunnelHeader, secret_); }
  // Whether a call's metadata carries the secret (compared in constant time).
  bool Marked(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;

  CallerIdentity Get() const;
  void Set(CallerIdentity identity);

 private:
  const std::string secret_;
  mutable absl::Mutex mu_;
  CallerIdentity identity_ ABSL_GUARDED_BY(mu_){.name = "anonymous"};
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_TUNNEL_CALLER_H_

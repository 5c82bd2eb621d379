// Who is calling an agent, and what that caller may do. Certificates of the operator's PKI
// (deploy/make-certs.sh) carry a role in a SPIFFE ID, a URI subject alternative name:
//   spiffe://pathpair/controller/NAME   may call every RPC
//   spiffe://pathpair/agent/NAME        may call only Reflect (an agent's ReflectPeer calls it)
// An agent certificate's IP subject alternative names are the addresses it vouches for: a
// pairing grant made by its Reflect covers those addresses (consent.h). With bearer tokens
// (plaintext or on top of TLS) the token gives the role: the controller token (--token-file)
// or the agent token (--agent-token-file, Reflect only). Both ends use this: the agent to
// authorize calls, and an agent's ReflectPeer to check that its peer is an agent.
//
//   absl::StatusOr<CallerIdentity> who = IdentityFromAuthContext(*context->auth_context());
//   PATHPAIR_RETURN_IF_ERROR(AuthorizeRpc(who->role, "Reflect"));
#ifndef PATHPAIR_AGENT_RPC_CALLER_IDENTITY_H_
#define PATHPAIR_AGENT_RPC_CALLER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"

namespace pathpair::agent {

enum class Role : uint8_t {
  kAgent,       // Reflect only
  kController,  // everything
};

// "controller" or "agent".
absl::string_view RoleName(Role role);

inline constexpr char kSpiffeTrustDomain[] = "spiffe://pathpair/";

struct CallerIdentity {
  Role role = Role::kController;
  // Stable key for per-client limits and pairing grants: the SPIFFE ID of a certificate,
  // "token:controller" / "token:agent" for bearer tokens, "anonymous" for a plaintext
  // loopback caller without a token.
  std::string name;
  // Addresses the caller's certificate vouches for (its IP subject alternative names); empty
  // without a certificate.
  std::vector<IpAddress> certified_addresses;
  bool has_certificate = false;
};

// "spiffe://pathpair/controller/NAME" or "spiffe://pathpair/agent/NAME" (NAME: 1..64 of
// [A-Za-z0-9._-]); InvalidArgument with what is wrong otherwise.
absl::StatusOr<Role> ParseSpiffeRole(absl::string_view spiffe_id);

// The identity a TLS peer's certificate gives (peer_spiffe_id, peer_ip properties);
// PermissionDenied when the certificate carries no pathpair role. An unauthenticated context
// (plaintext) gives an anonymous controller: the caller decides whether that is acceptable.
absl::StatusOr<CallerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context);

// Compares two secrets (bearer tokens) in constant time, so that a token cannot be guessed
// byte by byte from timing.
bool SecretEquals(absl::string_view a, absl::string_view b);

// OK when `role` may call the Agent method `method` (e.g. "Reflect", "StartTrace");
// PermissionDenied naming the role and the method otherwise.
absl::Status AuthorizeRpc(Role role, absl::string_view method);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_RPC_CALLER_IDENTITY_H_

#include "agent/rpc/caller_identity.h"

#include <grpc/grpc_security_constants.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pathpair::agent {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string PropertyText(const grpc::string_ref& value) {
  return std::string(value.data(), value.size());
}

}  // namespace

absl::string_view RoleName(Role role) { return role == Role::kController ? "controller" : "agent"; }

absl::StatusOr<Role> ParseSpiffeRole(absl::string_view spiffe_id) {
  if (!absl::StartsWith(spiffe_id, kSpiffeTrustDomain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", spiffe_id, "' is not in the ", kSpiffeTrustDomain, " trust domain"));
  }
  absl::string_view rest = spiffe_id.substr(sizeof(kSpiffeTrustDomain) - 1);
  Role role;
  if (absl::ConsumePrefix(&rest, "controller/")) {
    role = Role::kController;
  } else if (absl::ConsumePrefix(&rest, "agent/")) {
    role = Role::kAgent;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", spiffe_id, "' names no role (controller/NAME or agent/NAME)"));
  }
  if (!ValidName(rest)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", spiffe_id, "': the name must be 1..64 of [A-Za-z0-9._-]"));
  }
  return role;
}

absl::StatusOr<CallerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context) {
  CallerIdentity identity;
  if (!context.IsPeerAuthenticated()) {
    identity.name = "anonymous";
    return identity;
  }
  identity.has_certificate = true;
  const std::vector<grpc::string_ref> spiffe =
      context.FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
  if (spiffe.size() != 1) {
    return absl::PermissionDeniedError(
        "the client certificate carries no pathpair role: it needs one URI subject alternative "
        "name spiffe://pathpair/controller/NAME or spiffe://pathpair/agent/NAME (reissue it "
        "with deploy/make-certs.sh)");
  }
  identity.name = PropertyText(spiffe[0]);
  absl::StatusOr<Role> role = ParseSpiffeRole(identity.name);
  if (!role.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the client certificate's role: ", role.status().message()));
  }
  identity.role = *role;
  for (const grpc::string_ref& ip : context.FindPropertyValues(GRPC_PEER_IP_PROPERTY_NAME)) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(PropertyText(ip));
    if (address.ok()) identity.certified_addresses.push_back(*address);
  }
  return identity;
}

bool SecretEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::Status AuthorizeRpc(Role role, absl::string_view method) {
  if (role == Role::kController || method == "Reflect") return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(role), " may not call ", method,
      ": an agent certificate or token may only call Reflect (a controller's may call all)"));
}

}  // namespace pathpair::agent

// Consent: whom this agent may probe. An agent only sends probes to
//   (a) a peer agent in a paired test, once that peer has answered over the path, or
//   (b) an address inside one of the operator's allow-listed CIDRs (--allow).
// "Answered over the path" is recorded by the Reflect exchange: when agent B calls agent A's
// Reflect with a pairing id, A has seen B's packets arrive from B's address, so A records
// (pairing id, B's address); when B gets A's answer, B records (pairing id, A's address). A trace
// or one-way measurement that names the same pairing id may then probe that address, until the
// grant expires. Everything else is refused with PERMISSION_DENIED and the reason. Alias
// resolution (a few probes to the routers a paired test's traces crossed) needs only a live
// pairing (CheckPairing).
//
//   ConsentPolicy consent(clock, absl::Minutes(10));
//   PATHPAIR_RETURN_IF_ERROR(consent.AllowCidr("198.51.100.0/24"));
//   consent.GrantPeer("pairing-1234", caller_address);          // from Reflect
//   absl::Status s = consent.Check(target, "pairing-1234");     // before StartTrace
#ifndef PATHPAIR_AGENT_SERVICE_CONSENT_H_
#define PATHPAIR_AGENT_SERVICE_CONSENT_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"

namespace pathpair::agent {

// An address range "ADDRESS/PREFIX" (a bare address is a /32 or /128).
struct Cidr {
  IpAddress network;
  int prefix_length = 0;

  static absl::StatusOr<Cidr> Parse(absl::string_view text);
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;
};

// Pairing ids are chosen by the controller: 8..128 characters of [A-Za-z0-9._-].
absl::Status ValidatePairingId(absl::string_view pairing_id);

// Thread-safe.
class ConsentPolicy {
 public:
  // Peer grants last `grant_lifetime` after the exchange that made them.
  ConsentPolicy(const Clock& clock, absl::Duration grant_lifetime);

  absl::Status AllowCidr(absl::string_view cidr);
  void AllowCidr(const Cidr& cidr);

  // Records that `peer` answered over the path in `pairing_id`. Returns the grant's expiry.
  MonoTime GrantPeer(absl::string_view pairing_id, const IpAddress& peer);

  // OK when `target` may be probed (allow-list, or a live grant for pairing_id); otherwise
  // PermissionDenied explaining why and what would make it allowed.
  absl::Status Check(const IpAddress& target, absl::string_view pairing_id) const;

  // OK when `pairing_id` holds a live grant for some peer (the pairing is under way): what
  // ResolveAliases needs before it probes the routers between the two agents. Otherwise
  // PermissionDenied saying why.
  absl::Status CheckPairing(absl::string_view pairing_id) const;

  absl::Duration grant_lifetime() const { return grant_lifetime_; }
  const std::vector<Cidr>& allow_list() const { return allow_list_; }

 private:
  const Clock& clock_;
  const absl::Duration grant_lifetime_;
  std::vector<Cidr> allow_list_;  // set up before serving; read-only afterwards
  mutable absl::Mutex mu_;
  // (pairing id, address text) -> expiry
  absl::flat_hash_map<std::pair<std::string, IpAddress>, MonoTime> grants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_CONSENT_H_

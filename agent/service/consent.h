// Consent: whom this agent may probe. An agent only sends probes to
//   (a) a peer agent in a paired test, once that peer has answered over the path, or
//   (b) an address inside one of the operator's allow-listed CIDRs (--allow): traces only.
// "Answered over the path" is recorded by the Reflect exchange: when agent B calls agent A's
// Reflect with a pairing id, A records a grant in that pairing bound to B's identity (its
// certificate's SPIFFE ID) covering the addresses B's certificate vouches for (its IP SANs), not
// the address B's connection came from (through a proxy or NAT that address is a third
// party's). Without certificates (plaintext with a token) the grant covers the connection's
// address. When B gets A's answer, B records the same for A. A pairing belongs to the first
// identity that made a grant in it. A trace that names the pairing may then probe a covered
// address until the grant expires; one-way traffic (CheckPeer) goes only to such a peer agent,
// never to an allow-listed address. Everything else is PERMISSION_DENIED with the reason. Alias
// resolution needs only a live pairing (CheckPairing). The table is bounded, per identity and
// in all (RESOURCE_EXHAUSTED), and expired grants are dropped as new ones come.
//
//   ConsentPolicy consent(clock, absl::Minutes(10));
//   PATHPAIR_RETURN_IF_ERROR(consent.AllowCidr("198.51.100.0/24"));
//   consent.Grant("pairing-1234", "spiffe://pathpair/agent/b", b_addresses);  // from Reflect
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

// Why `address` can never be a probe target: "a multicast address", "the broadcast address"
// or "the unspecified address"; nullptr for a unicast address.
const char* NonUnicastKind(const IpAddress& address);

// Pairing ids are chosen by the controller: 8..128 characters of [A-Za-z0-9._-].
absl::Status ValidatePairingId(absl::string_view pairing_id);

// Thread-safe.
class ConsentPolicy {
 public:
  // Bounds of the grant table: live pairings in all, and per identity.
  static constexpr int kMaxGrants = 4096;
  static constexpr int kMaxGrantsPerIdentity = 64;

  // Peer grants last `grant_lifetime` after the exchange that made them.
  ConsentPolicy(const Clock& clock, absl::Duration grant_lifetime);

  absl::Status AllowCidr(absl::string_view cidr);
  void AllowCidr(const Cidr& cidr);

  // Records that the agent `identity` answered over the path in `pairing_id` and may be probed
  // at `addresses` in it. Returns the grant's expiry; PermissionDenied when the pairing belongs
  // to another identity or `addresses` is empty; ResourceExhausted when the table is full.
  absl::StatusOr<MonoTime> Grant(absl::string_view pairing_id, absl::string_view identity,
                                 std::vector<IpAddress> addresses);
  // A grant for one address, bound to that address (certificate-less peers; tests).
  absl::StatusOr<MonoTime> GrantPeer(absl::string_view pairing_id, const IpAddress& peer);

  // OK when `target` may be traced (allow-list, or a live grant for pairing_id); otherwise
  // PermissionDenied explaining why and what would make it allowed.
  absl::Status Check(const IpAddress& target, absl::string_view pairing_id) const;
  // OK when `target` is a peer agent with a live grant in pairing_id: one-way traffic goes
  // only there (the allow-list does not count).
  absl::Status CheckPeer(const IpAddress& target, absl::string_view pairing_id) const;

  // OK when `pairing_id` holds a live grant for some peer (the pairing is under way): what
  // ResolveAliases needs before it probes the routers between the two agents. Otherwise
  // PermissionDenied saying why.
  absl::Status CheckPairing(absl::string_view pairing_id) const;

  absl::Duration grant_lifetime() const { return grant_lifetime_; }
  const std::vector<Cidr>& allow_list() const { return allow_list_; }
  // Grants in the table (live or not yet dropped), for tests.
  int GrantCount() const;

 private:
  struct PairingGrant {
    std::string identity;
    std::vector<IpAddress> addresses;  // unmapped
    MonoTime expiry;
  };
  // The grant check shared by Check and CheckPeer: `refusal_prefix` starts the message.
  absl::Status CheckGrant(const IpAddress& target, absl::string_view pairing_id,
                          absl::string_view why_not_allowed) const;

  const Clock& clock_;
  const absl::Duration grant_lifetime_;
  std::vector<Cidr> allow_list_;  // set up before serving; read-only afterwards
  mutable absl::Mutex mu_;
  // pairing id -> the grant of the identity the pairing belongs to
  absl::flat_hash_map<std::string, PairingGrant> grants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_CONSENT_H_

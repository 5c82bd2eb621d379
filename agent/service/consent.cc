#include "agent/service/consent.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/service/peer_address.h"
#include "common/status/status_macros.h"

namespace pathpair::agent {

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  const absl::string_view host = text.substr(0, slash);
  absl::StatusOr<IpAddress> address = IpAddress::Parse(host);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad CIDR '", text, "': bad address"));
  }
  const int max_length = address->is_v4() ? 32 : 128;
  int length = max_length;
  if (slash != absl::string_view::npos &&
      (!absl::SimpleAtoi(text.substr(slash + 1), &length) || length < 0 || length > max_length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad CIDR '", text, "': prefix length must be 0..", max_length));
  }
  return Cidr{*address, length};
}

bool Cidr::Contains(const IpAddress& address) const {
  const IpAddress unmapped = UnmapV4(address);
  return unmapped.family() == network.family() && unmapped.SharesPrefix(network, prefix_length);
}

std::string Cidr::ToString() const { return absl::StrCat(network.ToString(), "/", prefix_length); }

const char* NonUnicastKind(const IpAddress& address) {
  const IpAddress unmapped = UnmapV4(address);
  if (unmapped.IsMulticast()) return "a multicast address";
  if (unmapped.IsBroadcast()) return "the broadcast address";
  if (unmapped.IsUnspecified()) return "the unspecified address";
  return nullptr;
}

absl::Status ValidatePairingId(absl::string_view pairing_id) {
  if (pairing_id.size() < 8 || pairing_id.size() > 128) {
    return absl::InvalidArgumentError("pairing_id must be 8..128 characters");
  }
  for (char c : pairing_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError("pairing_id may only hold [A-Za-z0-9._-]");
    }
  }
  return absl::OkStatus();
}

ConsentPolicy::ConsentPolicy(const Clock& clock, absl::Duration grant_lifetime)
    : clock_(clock), grant_lifetime_(grant_lifetime) {}

absl::Status ConsentPolicy::AllowCidr(absl::string_view cidr) {
  absl::StatusOr<Cidr> parsed = Cidr::Parse(cidr);
  if (!parsed.ok()) return parsed.status();
  AllowCidr(*parsed);
  return absl::OkStatus();
}

void ConsentPolicy::AllowCidr(const Cidr& cidr) { allow_list_.push_back(cidr); }

absl::StatusOr<MonoTime> ConsentPolicy::Grant(absl::string_view pairing_id,
                                              absl::string_view identity,
                                              std::vector<IpAddress> addresses) {
  if (addresses.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent recorded: ", identity,
        " vouches for no address (an agent certificate lists its addresses as IP subject "
        "alternative names; deploy/make-certs.sh DIR --name NAME ADDRESS...)"));
  }
  for (IpAddress& address : addresses) address = UnmapV4(address);
  const MonoTime now = clock_.Now();
  const MonoTime expiry = now + grant_lifetime_;
  absl::MutexLock lock(&mu_);
  // Drop stale grants so that the table stays as small as the set of live pairings.
  absl::erase_if(grants_, [now](const auto& entry) { return entry.second.expiry <= now; });
  auto it = grants_.find(pairing_id);
  if (it != grants_.end()) {
    if (it->second.identity != identity) {
      return absl::PermissionDeniedError(
          absl::StrCat("pairing '", pairing_id, "' belongs to another agent (", it->second.identity,
                       "); a controller picks a fresh pairing id for every test"));
    }
    it->second.addresses = std::move(addresses);
    it->second.expiry = expiry;
    return expiry;
  }
  if (grants_.size() >= static_cast<size_t>(kMaxGrants)) {
    return absl::ResourceExhaustedError(absl::StrCat("consent table full: ", kMaxGrants,
                                                     " live pairings; try again when some expire"));
  }
  const auto of_identity = std::count_if(grants_.begin(), grants_.end(), [&](const auto& entry) {
    return entry.second.identity == identity;
  });
  if (of_identity >= kMaxGrantsPerIdentity) {
    return absl::ResourceExhaustedError(
        absl::StrCat("consent table: ", identity, " holds ", kMaxGrantsPerIdentity,
                     " live pairings already (the limit per peer)"));
  }
  grants_.emplace(std::string(pairing_id),
                  PairingGrant{std::string(identity), std::move(addresses), expiry});
  return expiry;
}

absl::StatusOr<MonoTime> ConsentPolicy::GrantPeer(absl::string_view pairing_id,
                                                  const IpAddress& peer) {
  return Grant(pairing_id, absl::StrCat("address:", UnmapV4(peer).ToString()), {peer});
}

namespace {

std::string AllowListText(const std::vector<Cidr>& allow_list) {
  if (allow_list.empty()) return "the operator allow-listed no CIDR (--allow)";
  return absl::StrCat(
      "it is outside the allow-list (",
      absl::StrJoin(allow_list, ", ",
                    [](std::string* out, const Cidr& c) { out->append(c.ToString()); }),
      ")");
}

}  // namespace

absl::Status ConsentPolicy::Check(const IpAddress& target, absl::string_view pairing_id) const {
  const IpAddress unmapped = UnmapV4(target);
  if (const char* kind = NonUnicastKind(unmapped)) {
    return absl::PermissionDeniedError(
        absl::StrCat("no consent to probe ", unmapped.ToString(), ": it is ", kind));
  }
  for (const Cidr& cidr : allow_list_) {
    if (cidr.Contains(unmapped)) return absl::OkStatus();
  }
  return CheckGrant(unmapped, pairing_id, AllowListText(allow_list_));
}

absl::Status ConsentPolicy::CheckPeer(const IpAddress& target, absl::string_view pairing_id) const {
  const IpAddress unmapped = UnmapV4(target);
  if (const char* kind = NonUnicastKind(unmapped)) {
    return absl::PermissionDeniedError(absl::StrCat("no consent to send one-way traffic to ",
                                                    unmapped.ToString(), ": it is ", kind));
  }
  return CheckGrant(unmapped, pairing_id,
                    "one-way traffic goes only to a peer agent (--allow opens traces only)");
}

absl::Status ConsentPolicy::CheckGrant(const IpAddress& unmapped, absl::string_view pairing_id,
                                       absl::string_view why_not_allowed) const {
  if (pairing_id.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent to probe ", unmapped.ToString(), ": ", why_not_allowed,
        ", and the request names no pairing_id (a peer agent at that address must first answer "
        "a Reflect exchange with the same pairing_id)"));
  }
  const MonoTime now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = grants_.find(pairing_id);
  if (it == grants_.end() || std::find(it->second.addresses.begin(), it->second.addresses.end(),
                                       unmapped) == it->second.addresses.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("no consent to probe ", unmapped.ToString(), ": ", why_not_allowed,
                     ", and no peer agent at ", unmapped.ToString(),
                     " has answered a Reflect exchange in pairing '", pairing_id, "'"));
  }
  if (it->second.expiry <= now) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent to probe ", unmapped.ToString(), ": the peer's consent in pairing '",
        pairing_id, "' expired ", absl::FormatDuration(now - it->second.expiry),
        " ago; repeat the Reflect exchange"));
  }
  return absl::OkStatus();
}

absl::Status ConsentPolicy::CheckPairing(absl::string_view pairing_id) const {
  PATHPAIR_RETURN_IF_ERROR(ValidatePairingId(pairing_id));
  const MonoTime now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = grants_.find(pairing_id);
  if (it != grants_.end() && it->second.expiry > now) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("no live pairing '", pairing_id,
                   "': no peer agent has answered a Reflect exchange in it (or its consent "
                   "expired); repeat the Reflect exchange"));
}

int ConsentPolicy::GrantCount() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(grants_.size());
}

}  // namespace pathpair::agent

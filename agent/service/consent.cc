#include "agent/service/consent.h"

#include <utility>

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

MonoTime ConsentPolicy::GrantPeer(absl::string_view pairing_id, const IpAddress& peer) {
  const MonoTime now = clock_.Now();
  const MonoTime expiry = now + grant_lifetime_;
  absl::MutexLock lock(&mu_);
  // Drop stale grants so that the table stays as small as the set of live pairings.
  for (auto it = grants_.begin(); it != grants_.end();) {
    if (it->second <= now) {
      grants_.erase(it++);
    } else {
      ++it;
    }
  }
  grants_[{std::string(pairing_id), UnmapV4(peer)}] = expiry;
  return expiry;
}

absl::Status ConsentPolicy::Check(const IpAddress& target, absl::string_view pairing_id) const {
  const IpAddress unmapped = UnmapV4(target);
  for (const Cidr& cidr : allow_list_) {
    if (cidr.Contains(unmapped)) return absl::OkStatus();
  }
  const std::string allow_text =
      allow_list_.empty()
          ? std::string("the operator allow-listed no CIDR (--allow)")
          : absl::StrCat(
                "it is outside the allow-list (",
                absl::StrJoin(allow_list_, ", ",
                              [](std::string* out, const Cidr& c) { out->append(c.ToString()); }),
                ")");
  if (pairing_id.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent to probe ", unmapped.ToString(), ": ", allow_text,
        ", and the request names no pairing_id (a peer agent at that address must first answer "
        "a Reflect exchange with the same pairing_id)"));
  }
  const MonoTime now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = grants_.find(std::make_pair(std::string(pairing_id), unmapped));
  if (it == grants_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "no consent to probe ", unmapped.ToString(), ": ", allow_text, ", and no peer agent at ",
        unmapped.ToString(), " has answered a Reflect exchange in pairing '", pairing_id, "'"));
  }
  if (it->second <= now) {
    return absl::PermissionDeniedError(
        absl::StrCat("no consent to probe ", unmapped.ToString(),
                     ": the peer's consent in pairing '", pairing_id, "' expired ",
                     absl::FormatDuration(now - it->second), " ago; repeat the Reflect exchange"));
  }
  return absl::OkStatus();
}

absl::Status ConsentPolicy::CheckPairing(absl::string_view pairing_id) const {
  PATHPAIR_RETURN_IF_ERROR(ValidatePairingId(pairing_id));
  const MonoTime now = clock_.Now();
  absl::MutexLock lock(&mu_);
  for (const auto& [key, expiry] : grants_) {
    if (key.first == pairing_id && expiry > now) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("no live pairing '", pairing_id,
                   "': no peer agent has answered a Reflect exchange in it (or its consent "
                   "expired); repeat the Reflect exchange"));
}

}  // namespace pathpair::agent

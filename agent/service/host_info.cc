#include "agent/service/host_info.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/timex.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pathpair::agent {

std::string ReadBootId(const std::string& path) {
  std::ifstream file(path);
  std::string id;
  if (!file || !std::getline(file, id)) return "";
  id = std::string(absl::StripAsciiWhitespace(id));
  // A UUID: 36 characters of hex digits and dashes. Anything else is not trusted as one.
  const bool uuid = id.size() == 36 && std::all_of(id.begin(), id.end(), [](char c) {
                      return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == '-';
                    });
  return uuid ? id : "";
}

v1::ClockStatus ReadClockStatus(const Clock& clock, const TestClockOverrides& test) {
  v1::ClockStatus status;
  status.set_unix_time_us(absl::ToUnixMicros(clock.WallNow() + test.offset));
  status.set_boot_id(test.boot_id.value_or(ReadBootId()));
  struct timex tx;
  std::memset(&tx, 0, sizeof(tx));
  const int state = adjtimex(&tx);
  if (state < 0) {
    status.set_source(absl::StrCat("adjtimex failed: ", std::strerror(errno)));
  } else {
    status.set_synchronized(state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0);
    status.set_estimated_error_us(tx.esterror);
    status.set_maximum_error_us(tx.maxerror);
    status.set_source("adjtimex");
  }
  if (test.synchronized.has_value()) status.set_synchronized(*test.synchronized);
  if (test.estimated_error_us.has_value()) status.set_estimated_error_us(*test.estimated_error_us);
  if (test.any()) status.set_source(absl::StrCat(status.source(), " with test overrides"));
  return status;
}

namespace {

int PrefixLength(const sockaddr* netmask) {
  if (netmask == nullptr) return 0;
  absl::StatusOr<IpAddress> mask = IpAddress::FromSockaddr(
      netmask, netmask->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (!mask.ok()) return 0;
  int bits = 0;
  for (uint8_t b : mask->bytes()) bits += std::popcount(b);
  return bits;
}

}  // namespace

std::vector<v1::InterfaceAddress> ListInterfaceAddresses() {
  std::vector<v1::InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || (ifa->ifa_flags & IFF_UP) == 0) continue;
    const int family = ifa->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    absl::StatusOr<IpAddress> address = IpAddress::FromSockaddr(
        ifa->ifa_addr, family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    if (!address.ok()) continue;
    v1::InterfaceAddress entry;
    entry.set_interface(ifa->ifa_name != nullptr ? ifa->ifa_name : "");
    entry.set_address(address->ToString());
    entry.set_prefix_length(PrefixLength(ifa->ifa_netmask));
    out.push_back(std::move(entry));
  }
  freeifaddrs(list);
  std::stable_partition(out.begin(), out.end(), [](const v1::InterfaceAddress& a) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(a.address());
    return !(ip.ok() && ip->IsLoopback());
  });
  return out;
}

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

absl::StatusOr<IpAddress> ResolveTarget(absl::string_view target, int ip_version) {
  if (target.empty()) return absl::InvalidArgumentError("options.target is empty");
  absl::StatusOr<IpAddress> literal = IpAddress::Parse(target);
  if (literal.ok()) {
    if ((ip_version == 4 && !literal->is_v4()) || (ip_version == 6 && !literal->is_v6())) {
      return absl::InvalidArgumentError(
          absl::StrCat("target ", target, " is not an IPv", ip_version, " address"));
    }
    return *literal;
  }
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = ip_version == 4 ? AF_INET : ip_version == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* result = nullptr;
  const std::string name(target);
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve target '", target, "': ", gai_strerror(rc)));
  }
  absl::StatusOr<IpAddress> address = IpAddress::FromSockaddr(result->ai_addr, result->ai_addrlen);
  freeaddrinfo(result);
  return address;
}

}  // namespace pathpair::agent

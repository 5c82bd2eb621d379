#include "controller/cli/resolver.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::cli {

absl::StatusOr<IpAddress> SystemHostResolver::Resolve(absl::string_view host, int ip_version) {
  addrinfo hints{};
  hints.ai_family = ip_version == 4 ? AF_INET : ip_version == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;  // one answer per address instead of one per socket type
  addrinfo* raw = nullptr;
  const std::string name(host);
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &raw);
  if (rc != 0) {
    const std::string why = rc == EAI_SYSTEM ? "system error" : gai_strerror(rc);
    return absl::NotFoundError(absl::StrCat("cannot resolve '", host, "': ", why));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, &freeaddrinfo);
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<IpAddress> address = IpAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (address.ok()) return *address;
  }
  return absl::NotFoundError(absl::StrCat("cannot resolve '", host, "': no usable address"));
}

std::optional<std::string> SystemReverseResolver::NameOf(const IpAddress& address) {
  sockaddr_storage storage{};
  const socklen_t len = address.ToSockaddr(0, &storage);
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage), len, host, sizeof(host), nullptr, 0,
                  NI_NAMEREQD) != 0) {
    return std::nullopt;
  }
  return std::string(host);
}

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "UNKNOWNHOST";
  return name;
}

}  // namespace pathpair::cli

#include "agent/net/source_address.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/net/socket_set.h"

namespace pathpair::net {

absl::StatusOr<IpAddress> FindSourceAddress(const IpAddress& destination,
                                            const std::optional<IpAddress>& requested,
                                            absl::string_view interface) {
  if (requested.has_value() && requested->family() != destination.family()) {
    return absl::InvalidArgumentError(absl::StrCat("source address ", requested->ToString(),
                                                   " is not in the family of ",
                                                   destination.ToString()));
  }
  const int family = destination.is_v4() ? AF_INET : AF_INET6;
  FileDescriptor fd(socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    const int err = errno;
    return absl::UnavailableError(absl::StrCat("socket(UDP): ", std::strerror(err)));
  }
  if (!interface.empty()) {
    const std::string name(interface);
    if (setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, name.data(),
                   static_cast<socklen_t>(name.size())) != 0) {
      const int err = errno;
      return absl::InvalidArgumentError(
          absl::StrCat("cannot use interface '", name, "': ", std::strerror(err)));
    }
  }
  sockaddr_storage addr{};
  if (requested.has_value()) {
    const socklen_t len = requested->ToSockaddr(0, &addr);
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
      const int err = errno;
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot use source address ", requested->ToString(), ": ", std::strerror(err)));
    }
  }
  // Any port will do: connect() on UDP only makes the routing decision.
  socklen_t len = destination.ToSockaddr(33434, &addr);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    return absl::UnavailableError(
        absl::StrCat("no route to ", destination.ToString(), ": ", std::strerror(err)));
  }
  len = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    return absl::InternalError(absl::StrCat("getsockname: ", std::strerror(err)));
  }
  return IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&addr), len);
}

}  // namespace pathpair::net

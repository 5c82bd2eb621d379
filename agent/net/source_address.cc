#include "agent/net/source_address.h"

#include <sys/socket.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "agent/net/socket_set.h"

namespace pathpair::net {

absl::StatusOr<IpAddress> FindSourceAddress(const IpAddress& destination,
                                            const std::optional<IpAddress>& requested,
                                            absl::string_view interface, OsSysCalls& sys) {
  if (requested.has_value() && requested->family() != destination.family()) {
    return absl::InvalidArgumentError(absl::StrCat("source address ", requested->ToString(),
                                                   " is not in the family of ",
                                                   destination.ToString()));
  }
  const int family = destination.is_v4() ? AF_INET : AF_INET6;
  const SysCallIntResult opened = sys.Socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (opened.value < 0) {
    return absl::UnavailableError(absl::StrCat("socket(UDP): ", ErrnoText(opened.error)));
  }
  const FileDescriptor fd(opened.value, sys);
  if (!interface.empty()) {
    const SysCallIntResult bound =
        sys.SetSockOpt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, interface.data(),
                       static_cast<socklen_t>(interface.size()));
    if (bound.value != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot use interface '", interface, "': ", ErrnoText(bound.error)));
    }
  }
  sockaddr_storage addr{};
  if (requested.has_value()) {
    const socklen_t len = requested->ToSockaddr(0, &addr);
    const SysCallIntResult bound =
        sys.Bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len);
    if (bound.value != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot use source address ", requested->ToString(), ": ", ErrnoText(bound.error)));
    }
  }
  // Any port will do: connect() on UDP only makes the routing decision.
  socklen_t len = destination.ToSockaddr(33434, &addr);
  const SysCallIntResult connected =
      sys.Connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len);
  if (connected.value != 0) {
    return absl::UnavailableError(
        absl::StrCat("no route to ", destination.ToString(), ": ", ErrnoText(connected.error)));
  }
  len = sizeof(addr);
  const SysCallIntResult named =
      sys.GetSockName(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  if (named.value != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", ErrnoText(named.error)));
  }
  return IpAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(&addr), len);
}

absl::StatusOr<uint32_t> FindInterfaceIndex(absl::string_view name, OsSysCalls& sys) {
  const std::string terminated(name);  // if_nametoindex wants a C string
  const unsigned int index = name.empty() ? 0 : sys.IfNameToIndex(terminated.c_str());
  if (index == 0) {
    return absl::InvalidArgumentError(absl::StrCat("no network interface named '", name, "'"));
  }
  return index;
}

}  // namespace pathpair::net

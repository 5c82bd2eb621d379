// Name resolution for the controller, behind two tiny interfaces so that commands can be tested
// with fakes and the system resolver (getaddrinfo/getnameinfo today, c-ares later) can change
// without touching them.
//
//   SystemHostResolver resolver;
//   absl::StatusOr<IpAddress> target = resolver.Resolve("example.net", /*ip_version=*/4);
//   SystemReverseResolver reverse;
//   std::optional<std::string> name = reverse.NameOf(*target);  // nullopt: no PTR record
#ifndef PATHPAIR_CONTROLLER_CLI_RESOLVER_H_
#define PATHPAIR_CONTROLLER_CLI_RESOLVER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"

namespace pathpair::cli {

// Host name or address literal -> one address.
class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // ip_version: 4 or 6 restricts the family, 0 takes the first address the system prefers.
  // NotFound when the name does not resolve (in that family).
  virtual absl::StatusOr<IpAddress> Resolve(absl::string_view host, int ip_version) = 0;
};

// Address -> reverse DNS name, for reports with DNS on.
class ReverseResolver {
 public:
  virtual ~ReverseResolver() = default;
  virtual std::optional<std::string> NameOf(const IpAddress& address) = 0;
};

// getaddrinfo(3) with AI_ADDRCONFIG off, so that a namespace with only loopback and test
// addresses still resolves literals of either family.
class SystemHostResolver : public HostResolver {
 public:
  absl::StatusOr<IpAddress> Resolve(absl::string_view host, int ip_version) override;
};

// getnameinfo(3) with NI_NAMEREQD: numeric answers are not names.
class SystemReverseResolver : public ReverseResolver {
 public:
  std::optional<std::string> NameOf(const IpAddress& address) override;
};

// The local host name for report headers (mtr prints "UNKNOWNHOST" when it cannot get one).
std::string LocalHostName();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_RESOLVER_H_

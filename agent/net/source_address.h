// Finds the local address probes to a destination will leave from, which UDP and TCP checksums
// need (their pseudo-header includes it) and which the report shows. It asks the kernel's
// routing decision: a UDP socket is connect()ed to the destination (nothing is sent) and
// getsockname() reads the chosen address, honouring mtr's -a (bind) and -I (interface).
//
//   absl::StatusOr<IpAddress> src = FindSourceAddress(target, /*requested=*/std::nullopt, "");
#ifndef PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_
#define PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"

namespace pathpair::net {

// `requested` (-a) must be an address of this host in the destination's family; `interface`
// (-I) may be empty. Fails with a clear message when there is no route or the address is foreign.
absl::StatusOr<IpAddress> FindSourceAddress(const IpAddress& destination,
                                            const std::optional<IpAddress>& requested,
                                            absl::string_view interface);

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_

// The local end of a trace's probes, looked up once per trace before it runs (never in the event
// loop, since both are system calls):
// - FindSourceAddress: the local address probes to a destination leave from, which UDP and TCP
//   checksums need (their pseudo-header includes it) and which the report shows. It asks the
//   kernel's routing decision: a UDP socket is connect()ed to the destination (nothing is sent)
//   and getsockname() reads the chosen address, honouring mtr's -a (bind) and -I (interface).
// - FindInterfaceIndex: the index of mtr's -I interface, which rides on each probe when one set
//   of sockets serves traces on several interfaces.
//
//   absl::StatusOr<IpAddress> src = FindSourceAddress(target, /*requested=*/std::nullopt, "");
//   absl::StatusOr<uint32_t> index = FindInterfaceIndex("eth0");
#ifndef PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_
#define PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/net/os_sys_calls.h"
#include "common/net/ip_address.h"

namespace pathpair::net {

// `requested` (-a) must be an address of this host in the destination's family; `interface`
// (-I) may be empty. Fails with a clear message when there is no route or the address is foreign.
absl::StatusOr<IpAddress> FindSourceAddress(const IpAddress& destination,
                                            const std::optional<IpAddress>& requested,
                                            absl::string_view interface,
                                            OsSysCalls& sys = OsSysCalls::Real());

// The index of the interface called `name`; InvalidArgument naming it when there is none.
absl::StatusOr<uint32_t> FindInterfaceIndex(absl::string_view name,
                                            OsSysCalls& sys = OsSysCalls::Real());

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_SOURCE_ADDRESS_H_

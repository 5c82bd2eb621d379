// Rebuilds, from what an unprivileged ICMP datagram socket delivers, the packets a raw socket
// would have delivered, so that the codec and matcher have one input format. Pure functions:
// no sockets, testable against the codec's parsers.
//
// An ICMP datagram socket strips the IPv4 header from echo replies, and reports Time Exceeded /
// Destination Unreachable on its error queue as (type, code, offender) plus the quoted ICMP
// header of our probe. These functions put the headers back with correct checksums. Every
// address passed must be of the family of the packet built (the caller checks what recvmsg
// returned: SocketTransport drops messages that mix families).
//
//   std::vector<uint8_t> packet = RebuildIpv4Packet(responder, local, icmp_message);
//   absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(packet);
#ifndef PATHPAIR_AGENT_NET_REBUILT_PACKETS_H_
#define PATHPAIR_AGENT_NET_REBUILT_PACKETS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "common/net/ip_address.h"

namespace pathpair::net {

// An IPv4 packet (20-byte header, protocol ICMP) from `source` to `destination` around an ICMP
// message as received.
std::vector<uint8_t> RebuildIpv4Packet(const IpAddress& source, const IpAddress& destination,
                                       std::span<const uint8_t> icmp_message);

// An IPv4 packet carrying an ICMP error (type, code) from `offender` to `local`, quoting an IPv4
// header (local -> probe_destination, protocol ICMP, TTL 1) and `quoted_icmp` (our echo request
// as the router quoted it).
std::vector<uint8_t> RebuildIpv4IcmpError(uint8_t type, uint8_t code, const IpAddress& offender,
                                          const IpAddress& local,
                                          const IpAddress& probe_destination,
                                          std::span<const uint8_t> quoted_icmp);

// An ICMPv6 error message (no IPv6 header) of (type, code) from `offender` to `local`, quoting
// an IPv6 header (local -> probe_destination, next header ICMPv6, hop limit 1) and
// `quoted_icmp`, with the ICMPv6 checksum over the pseudo-header.
std::vector<uint8_t> RebuildIcmpv6Error(uint8_t type, uint8_t code, const IpAddress& offender,
                                        const IpAddress& local, const IpAddress& probe_destination,
                                        std::span<const uint8_t> quoted_icmp);

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_REBUILT_PACKETS_H_

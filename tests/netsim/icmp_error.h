// The packet builders only the path emulator needs (moved here from the probe codec,
// common/packet): ICMP Time Exceeded and Destination Unreachable errors about a packet, quoting
// it as Linux does, with RFC 4884/4950 MPLS labels when asked; a router's echo reply; and the
// TTL decrement of a router. The tests of the codec's parsers and the fakes of the prober's tests
// use them to make replies.
//
//   uint8_t buffer[1500];
//   IcmpErrorSpec spec{.source = router_address, .mpls = {{.label = 24001}}};
//   absl::StatusOr<size_t> n = BuildIcmpErrorPacket(spec, probe_bytes, buffer);
//   absl::StatusOr<size_t> m = BuildEchoReplyPacket(router_address, 64, request_bytes, buffer);
//   absl::StatusOr<uint8_t> ttl = DecrementTtl(forwarded_bytes);
#ifndef PATHPAIR_TESTS_NETSIM_ICMP_ERROR_H_
#define PATHPAIR_TESTS_NETSIM_ICMP_ERROR_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"

namespace pathpair::netsim {

enum class IcmpErrorKind : uint8_t { kTimeExceeded, kDestinationUnreachable };

struct IcmpErrorSpec {
  IcmpErrorKind kind = IcmpErrorKind::kTimeExceeded;
  // Destination Unreachable code (ICMPv4 type 3 codes, or ICMPv6 type 1 codes). Time Exceeded
  // always uses code 0 (TTL / hop limit exceeded in transit).
  uint8_t code = 0;
  IpAddress source;  // the router sending the error
  uint8_t ttl = 64;  // of the error packet itself
  // Labels to attach in an RFC 4884 extension (with the RFC 4950 MPLS object). Empty: none, and
  // the quote is not padded.
  std::vector<packet::MplsLabel> mpls;
};

// Builds a complete IP packet carrying an ICMP(v6) error about `offending` (a complete IP packet),
// sent to offending's source address. The quote is truncated as RFC 792/4443/4884 allow
// (128 bytes when an extension follows, padded to that length).
// Without labels the quote is as much of `offending` (up to its stated length) as keeps the
// error within 576 bytes (IPv4) or 1280 bytes (IPv6), as Linux does. The IPv4 header has TOS 0,
// id 0 and no DF. Labels above 20 bits or traffic classes above 7 are InvalidArgument.
absl::StatusOr<size_t> BuildIcmpErrorPacket(const IcmpErrorSpec& spec,
                                            std::span<const uint8_t> offending,
                                            std::span<uint8_t> out);

// Builds the echo reply to `request` (a complete IPv4 or IPv6 packet carrying an ICMP(v6) echo
// request), from `source` to the request's source, with the request's identifier, sequence and
// data, as a host answers. InvalidArgument when `request` is no echo request or `out` is short.
absl::StatusOr<size_t> BuildEchoReplyPacket(const IpAddress& source, uint8_t ttl,
                                            std::span<const uint8_t> request,
                                            std::span<uint8_t> out);

// Decrements the IPv4 TTL (with an incremental checksum update) or the IPv6 hop limit in place.
// Returns the new value. Fails on a malformed header or a TTL already 0.
absl::StatusOr<uint8_t> DecrementTtl(std::span<uint8_t> packet);

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_ICMP_ERROR_H_

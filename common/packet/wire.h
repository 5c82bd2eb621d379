// Protocol numbers and field values on the wire, shared by the codec's builders and parsers.
//
//   if (ip.protocol == wire::kProtocolUdp) ...
#ifndef PATHPAIR_COMMON_PACKET_WIRE_H_
#define PATHPAIR_COMMON_PACKET_WIRE_H_

#include <cstddef>
#include <cstdint>

namespace pathpair::packet::wire {

// IP protocol / IPv6 next-header numbers.
inline constexpr uint8_t kProtocolHopByHop = 0;
inline constexpr uint8_t kProtocolIcmp = 1;
inline constexpr uint8_t kProtocolTcp = 6;
inline constexpr uint8_t kProtocolUdp = 17;
inline constexpr uint8_t kProtocolRouting = 43;
inline constexpr uint8_t kProtocolFragment = 44;
inline constexpr uint8_t kProtocolIcmpv6 = 58;
inline constexpr uint8_t kProtocolDestinationOptions = 60;

// ICMPv4 types.
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;

// ICMPv6 types.
inline constexpr uint8_t kIcmpv6DestinationUnreachable = 1;
inline constexpr uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;

// TCP flags (byte 13) and the window our SYN probes advertise.
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint16_t kTcpProbeWindow = 65535;

// RFC 4884 extension structure and the RFC 4950 MPLS label stack object.
inline constexpr uint8_t kIcmpExtensionVersion = 2;
inline constexpr uint8_t kMplsObjectClass = 1;
inline constexpr uint8_t kMplsObjectType = 1;  // incoming label stack
// With an extension, the quoted datagram is padded to at least this size (RFC 4884); routers
// that predate RFC 4884 use exactly this size and leave the length field 0.
inline constexpr size_t kExtendedQuoteSize = 128;

}  // namespace pathpair::packet::wire

#endif  // PATHPAIR_COMMON_PACKET_WIRE_H_

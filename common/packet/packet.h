// The packet codec: builds probes and parses the replies to them, over IPv4 and IPv6, with no
// sockets and no clocks, so that fuzzers and golden-byte tests can drive it alone.
//
// Building writes into a caller's buffer. Parsing reads a buffer into plain values and never
// trusts a length field: short, truncated or inconsistent input is an error, never a crash.
// Deciding which trace and which probe a reply belongs to is not done here; see the engine's
// matcher, which works on ParsedReply.
//
//   uint8_t buf[1500];
//   ProbeSpec spec{.protocol = ProbeProtocol::kUdp, .source = src, .destination = dst, ...};
//   absl::StatusOr<size_t> n = BuildProbeTransport(spec, buf);   // for a raw socket
//   ...
//   absl::StatusOr<ParsedReply> reply = ParseIpv4Packet(received);
#ifndef PATHPAIR_COMMON_PACKET_PACKET_H_
#define PATHPAIR_COMMON_PACKET_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"

namespace pathpair::packet {

enum class ProbeProtocol : uint8_t { kIcmp, kUdp, kTcp };

// Sizes that callers need to reason about packet_size.
inline constexpr size_t kIpv4HeaderSize = 20;
inline constexpr size_t kIpv6HeaderSize = 40;
inline constexpr size_t kIcmpHeaderSize = 8;
inline constexpr size_t kUdpHeaderSize = 8;
inline constexpr size_t kTcpHeaderSize = 20;
inline constexpr size_t kMaxPacketSize = 65535;

// Everything needed to build one probe. The same fields let a reply's quote be recognised.
struct ProbeSpec {
  ProbeProtocol protocol = ProbeProtocol::kIcmp;
  IpAddress source;       // used for the UDP/TCP pseudo-header checksum and the IP header
  IpAddress destination;  // same family as source
  uint8_t ttl = 64;       // used only by BuildProbePacket (raw sockets set it by socket option)
  uint8_t tos = 0;        // IPv4 TOS / IPv6 traffic class, likewise
  uint16_t ip_id = 0;     // IPv4 identification, likewise
  // ICMP echo: identifier (constant per trace) and sequence (per probe).
  uint16_t icmp_id = 0;
  // The probe's sequence number. ICMP: the echo sequence. UDP: the UDP checksum is made to equal
  // this value by adjusting two payload bytes (Paris traceroute), so the 5-tuple stays constant;
  // 0 and 0xffff are not valid for UDP. TCP: the low 16 bits of the TCP sequence number.
  uint16_t sequence = 0;
  // TCP only: the high 16 bits of the TCP sequence number (constant per trace).
  uint16_t tcp_sequence_high = 0;
  uint16_t source_port = 0;       // UDP/TCP, constant per trace
  uint16_t destination_port = 0;  // UDP/TCP
  // Size of the whole IP packet, headers included, as mtr's -s. Raised to the minimum that the
  // headers need; BuildProbe* fails if it exceeds kMaxPacketSize or the buffer.
  size_t packet_size = 64;
  uint8_t fill = 0;  // payload byte pattern (mtr -B)
};

// Builds the part of a probe after the IP header (ICMP echo, UDP or TCP SYN, with payload and a
// correct checksum), for a raw socket where the kernel writes the IP header. Returns its length.
//  - UDP: the first two payload bytes steer the checksum, so a UDP probe has at least 2 bytes
//    of payload (minimum packet: IP header + 10).
//  - TCP: a bare 20-byte SYN (window 65535, no options, no payload); packet_size only has to be
//    <= kMaxPacketSize and is otherwise ignored, as with mtr, whose TCP probes are connect() SYNs.
//  - ICMPv6, UDP and TCP checksums cover the pseudo-header: `source` must be the address the
//    kernel will send from (for ICMPv6 the kernel recomputes the checksum on raw sockets anyway).
absl::StatusOr<size_t> BuildProbeTransport(const ProbeSpec& spec, std::span<uint8_t> out);

// Builds the whole probe including the IPv4 or IPv6 header (for TUN devices, IP_HDRINCL and tests).
absl::StatusOr<size_t> BuildProbePacket(const ProbeSpec& spec, std::span<uint8_t> out);

// One RFC 4950 label stack entry.
struct MplsLabel {
  uint32_t label = 0;  // 20 bits
  uint8_t traffic_class = 0;
  bool bottom_of_stack = false;
  uint8_t ttl = 0;
  friend bool operator==(const MplsLabel&, const MplsLabel&) = default;
};

// The fields of an IPv4 header (20 bytes: no options, no DF, checksum filled in) or an IPv6
// header (40 bytes, flow label 0).
struct IpHeaderFields {
  IpAddress source;
  IpAddress destination;  // same family as source
  uint8_t protocol = 0;   // of what follows (IPv6: the next header)
  uint8_t ttl = 0;        // hop limit for IPv6
  uint8_t tos = 0;        // traffic class for IPv6
  uint16_t ip_id = 0;     // IPv4 only
};

// Writes the IP header of a packet of `total_size` bytes at the start of `out`; returns the
// header's size. For builders of whole packets outside the codec (the path emulator's ICMP
// errors); BuildProbePacket uses it too.
absl::StatusOr<size_t> BuildIpHeader(const IpHeaderFields& fields, size_t total_size,
                                     std::span<uint8_t> out);

// ---- Parsing ----
//
// Conventions of every parser below:
//  - Malformed input is InvalidArgument; well-formed input that answers no probe (other ICMP
//    types, Time Exceeded code 1, TCP without RST or SYN+ACK, other protocols, fragments) is
//    Unimplemented. Either way the caller drops the packet.
//  - No checksum is verified: the kernel has checked received IPv4 headers, and ICMP/TCP
//    checksums are left to callers that want them (InternetChecksum).
//  - A stated length beyond the buffer is bounded by the buffer, so a truncated reply still
//    parses if what is needed is present.

// The fixed part of an IPv4 or IPv6 header and where its payload lies. IPv6 extension headers
// are walked to the upper-layer protocol. Used by the path emulator to forward packets.
struct IpHeaderView {
  IpFamily family = IpFamily::kV4;
  IpAddress source;
  IpAddress destination;
  uint8_t ttl = 0;           // hop limit for IPv6
  uint8_t protocol = 0;      // upper-layer protocol number after extension headers
  uint8_t tos = 0;           // traffic class for IPv6
  size_t header_length = 0;  // bytes before the upper-layer header
  size_t total_length = 0;   // as the header states (bounded by the buffer)
  // UDP/TCP ports, ICMP id for echo; 0 where absent or truncated. For flow hashing.
  // ICMP(v6) echo request/reply: source_port = identifier, destination_port = 0. Non-first
  // fragments: both 0.
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
};
absl::StatusOr<IpHeaderView> ParseIpHeader(std::span<const uint8_t> packet);

enum class ReplyKind : uint8_t {
  kEchoReply,               // ICMP/ICMPv6 echo reply
  kTimeExceeded,            // TTL / hop limit exceeded in transit (code 0)
  kDestinationUnreachable,  // any code; port unreachable is how a UDP probe reaches its target
  kTcpSynAck,
  kTcpRst,
};

// The probe as quoted inside an ICMP error (the original IP header plus at least 8 bytes).
struct QuotedProbe {
  ProbeProtocol protocol = ProbeProtocol::kIcmp;
  IpAddress source;
  IpAddress destination;
  uint8_t ttl = 0;  // the quoted TTL, as it arrived at the router
  uint16_t icmp_id = 0;
  uint16_t icmp_sequence = 0;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint16_t udp_checksum = 0;
  uint32_t tcp_sequence = 0;
};

struct ParsedReply {
  ReplyKind kind = ReplyKind::kEchoReply;
  IpAddress responder;    // source address of the reply packet
  IpAddress destination;  // destination address of the reply packet (our source)
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  // Echo replies: the identifier and sequence echoed back.
  uint16_t echo_id = 0;
  uint16_t echo_sequence = 0;
  // TCP replies: the segment's ports (source = the target's port) and acknowledgement number
  // (our sequence + 1 for both a SYN-ACK and a RST+ACK). Any segment with RST is kTcpRst.
  uint16_t tcp_source_port = 0;
  uint16_t tcp_destination_port = 0;
  uint32_t tcp_ack = 0;
  // ICMP errors: the validated quote of our probe. Always set for kTimeExceeded and
  // kDestinationUnreachable: an error whose quote is malformed (wrong IP version, bad header
  // length, fewer than 8 transport bytes, a quoted length too short for them, a non-first
  // fragment, a protocol other than ICMP echo request/UDP/TCP) is rejected as InvalidArgument.
  std::optional<QuotedProbe> quote;
  // RFC 4884 / RFC 4950 labels carried by an ICMP error, outermost first. A non-zero RFC 4884
  // length field says where the quote ends; when it is 0 and the message is long enough, an
  // extension is looked for after 128 bytes of quote (pre-RFC 4884 routers, as mtr does). The
  // extension needs version 2 and a checksum that verifies (or is 0); otherwise the labels are
  // dropped and the reply is still returned. Only the first MPLS object is read.
  std::vector<MplsLabel> mpls;
};

// A whole IPv4 packet as an IPv4 raw socket delivers it (IP header included): an ICMP message
// or a TCP segment. Anything else, or anything malformed, is an error.
absl::StatusOr<ParsedReply> ParseIpv4Packet(std::span<const uint8_t> packet);

// A whole IPv6 packet (from a TUN device, a packet capture or a test).
absl::StatusOr<ParsedReply> ParseIpv6Packet(std::span<const uint8_t> packet);

// An ICMPv4 message without its IP header, as an unprivileged ICMP datagram ("ping") socket
// delivers it; the addresses come from recvmsg and IP_PKTINFO.
absl::StatusOr<ParsedReply> ParseIcmpv4Message(std::span<const uint8_t> message,
                                               const IpAddress& source,
                                               const IpAddress& destination);

// An ICMPv6 message without its IPv6 header, as an IPv6 raw socket delivers it; the addresses
// come from recvmsg and the packet info.
absl::StatusOr<ParsedReply> ParseIcmpv6Message(std::span<const uint8_t> message,
                                               const IpAddress& source,
                                               const IpAddress& destination);

// A TCP segment without its IPv6 header, as an IPv6 raw TCP socket delivers it.
absl::StatusOr<ParsedReply> ParseTcpSegment(std::span<const uint8_t> segment,
                                            const IpAddress& source, const IpAddress& destination);

// Internet checksum (RFC 1071) helpers, exposed for tests and for the emulator.
uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum = 0);
// The one's-complement sum of the IPv4/IPv6 pseudo-header, to pass as initial_sum.
uint32_t PseudoHeaderSum(const IpAddress& source, const IpAddress& destination, uint8_t protocol,
                         uint32_t upper_layer_length);

}  // namespace pathpair::packet

#endif  // PATHPAIR_COMMON_PACKET_PACKET_H_

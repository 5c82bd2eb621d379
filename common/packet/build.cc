// Probe and ICMP error builders.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/packet/byte_io.h"
#include "common/packet/packet.h"
#include "common/packet/wire.h"
#include "common/status/status_macros.h"

namespace pathpair::packet {
namespace {

using internal::Slice;
using internal::Store16;
using internal::Store32;
using internal::Store8;
using internal::StoreBytes;

// Linux bounds an ICMP error to these totals (RFC 1812 for IPv4, the IPv6 minimum MTU for IPv6);
// the quote is as much of the offending packet as fits.
constexpr size_t kMaxIcmpv4ErrorSize = 576;
constexpr size_t kMaxIcmpv6ErrorSize = 1280;

size_t IpHeaderSize(IpFamily family) {
  return family == IpFamily::kV4 ? kIpv4HeaderSize : kIpv6HeaderSize;
}

uint8_t IcmpProtocol(IpFamily family) {
  return family == IpFamily::kV4 ? wire::kProtocolIcmp : wire::kProtocolIcmpv6;
}

uint8_t TransportProtocol(const ProbeSpec& spec) {
  switch (spec.protocol) {
    case ProbeProtocol::kUdp:
      return wire::kProtocolUdp;
    case ProbeProtocol::kTcp:
      return wire::kProtocolTcp;
    case ProbeProtocol::kIcmp:
      break;
  }
  return IcmpProtocol(spec.destination.family());
}

// Length of the transport part (header + payload) of the probe that `spec` describes.
absl::StatusOr<size_t> TransportSize(const ProbeSpec& spec) {
  if (spec.source.family() != spec.destination.family()) {
    return absl::InvalidArgumentError("probe source and destination differ in address family");
  }
  if (spec.packet_size > kMaxPacketSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("packet size ", spec.packet_size, " exceeds ", kMaxPacketSize));
  }
  const size_t ip_size = IpHeaderSize(spec.destination.family());
  switch (spec.protocol) {
    case ProbeProtocol::kIcmp:
      return std::max(spec.packet_size, ip_size + kIcmpHeaderSize) - ip_size;
    case ProbeProtocol::kUdp:
      if (spec.sequence == 0 || spec.sequence == 0xffff) {
        return absl::InvalidArgumentError("UDP probe sequence must not be 0 or 0xffff");
      }
      // Two payload bytes are always needed to steer the checksum.
      return std::max(spec.packet_size, ip_size + kUdpHeaderSize + 2) - ip_size;
    case ProbeProtocol::kTcp:
      // A bare SYN, as the connect() that mtr uses sends: packet_size does not apply.
      return kTcpHeaderSize;
  }
  return absl::InvalidArgumentError("unknown probe protocol");
}

// Writes the transport part of the probe into `out`, which is exactly TransportSize() long.
void WriteTransport(const ProbeSpec& spec, std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), spec.fill);
  const auto length = static_cast<uint32_t>(out.size());
  const uint8_t protocol = TransportProtocol(spec);
  switch (spec.protocol) {
    case ProbeProtocol::kIcmp: {
      const bool v6 = spec.destination.is_v6();
      Store8(out, 0, v6 ? wire::kIcmpv6EchoRequest : wire::kIcmpEchoRequest);
      Store8(out, 1, 0);
      Store16(out, 2, 0);
      Store16(out, 4, spec.icmp_id);
      Store16(out, 6, spec.sequence);
      // ICMPv6 covers the pseudo-header; ICMPv4 does not.
      const uint32_t initial =
          v6 ? PseudoHeaderSum(spec.source, spec.destination, protocol, length) : 0;
      Store16(out, 2, InternetChecksum(out, initial));
      break;
    }
    case ProbeProtocol::kUdp: {
      Store16(out, 0, spec.source_port);
      Store16(out, 2, spec.destination_port);
      Store16(out, 4, static_cast<uint16_t>(length));
      // Paris traceroute: the checksum field holds the sequence, and the first payload word is
      // chosen so that the whole datagram still sums to 0xffff. Ports never change, so ECMP
      // routers hashing on the 5-tuple keep every probe of a trace on one path.
      Store16(out, 6, spec.sequence);
      Store16(out, 8, 0);
      const uint32_t pseudo = PseudoHeaderSum(spec.source, spec.destination, protocol, length);
      Store16(out, 8, InternetChecksum(out, pseudo));
      break;
    }
    case ProbeProtocol::kTcp: {
      Store16(out, 0, spec.source_port);
      Store16(out, 2, spec.destination_port);
      Store32(out, 4, (uint32_t{spec.tcp_sequence_high} << 16) | spec.sequence);
      Store32(out, 8, 0);                          // acknowledgement number
      Store8(out, 12, (kTcpHeaderSize / 4) << 4);  // data offset, no options
      Store8(out, 13, wire::kTcpSyn);              // flags
      Store16(out, 14, wire::kTcpProbeWindow);     // window
      Store16(out, 16, 0);                         // checksum
      Store16(out, 18, 0);                         // urgent pointer
      const uint32_t pseudo = PseudoHeaderSum(spec.source, spec.destination, protocol, length);
      Store16(out, 16, InternetChecksum(out, pseudo));
      break;
    }
  }
}

struct IpHeaderFields {
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  uint8_t tos = 0;
  uint16_t ip_id = 0;
};

// Writes an IPv4 (20-byte, with checksum) or IPv6 (40-byte) header for a packet of total_size.
void WriteIpHeader(const IpHeaderFields& fields, size_t total_size, std::span<uint8_t> out) {
  if (fields.destination.is_v4()) {
    Store8(out, 0, 0x45);  // version 4, 5 words
    Store8(out, 1, fields.tos);
    Store16(out, 2, static_cast<uint16_t>(total_size));
    Store16(out, 4, fields.ip_id);
    Store16(out, 6, 0);  // no flags, fragment offset 0
    Store8(out, 8, fields.ttl);
    Store8(out, 9, fields.protocol);
    Store16(out, 10, 0);
    StoreBytes(out, 12, fields.source.bytes());
    StoreBytes(out, 16, fields.destination.bytes());
    Store16(out, 10, InternetChecksum(Slice(out, 0, kIpv4HeaderSize)));
    return;
  }
  Store32(out, 0, (uint32_t{6} << 28) | (uint32_t{fields.tos} << 20));  // flow label 0
  Store16(out, 4, static_cast<uint16_t>(total_size - kIpv6HeaderSize));
  Store8(out, 6, fields.protocol);
  Store8(out, 7, fields.ttl);
  StoreBytes(out, 8, fields.source.bytes());
  StoreBytes(out, 24, fields.destination.bytes());
}

absl::Status CheckFits(size_t needed, std::span<uint8_t> out) {
  if (needed > out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("packet of ", needed, " bytes does not fit a ", out.size(), "-byte buffer"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<size_t> BuildProbeTransport(const ProbeSpec& spec, std::span<uint8_t> out) {
  PATHPAIR_ASSIGN_OR_RETURN(const size_t size, TransportSize(spec));
  PATHPAIR_RETURN_IF_ERROR(CheckFits(size, out));
  WriteTransport(spec, out.first(size));
  return size;
}

absl::StatusOr<size_t> BuildProbePacket(const ProbeSpec& spec, std::span<uint8_t> out) {
  PATHPAIR_ASSIGN_OR_RETURN(const size_t transport_size, TransportSize(spec));
  const size_t ip_size = IpHeaderSize(spec.destination.family());
  const size_t size = ip_size + transport_size;
  PATHPAIR_RETURN_IF_ERROR(CheckFits(size, out));
  WriteIpHeader({.source = spec.source,
                 .destination = spec.destination,
                 .protocol = TransportProtocol(spec),
                 .ttl = spec.ttl,
                 .tos = spec.tos,
                 .ip_id = spec.ip_id},
                size, out);
  WriteTransport(spec, out.subspan(ip_size, transport_size));
  return size;
}

absl::StatusOr<size_t> BuildIcmpErrorPacket(const IcmpErrorSpec& spec,
                                            std::span<const uint8_t> offending,
                                            std::span<uint8_t> out) {
  PATHPAIR_ASSIGN_OR_RETURN(const IpHeaderView offending_ip, ParseIpHeader(offending));
  const IpFamily family = offending_ip.family;
  if (spec.source.family() != family) {
    return absl::InvalidArgumentError(
        "ICMP error source differs in family from the offending packet");
  }
  for (const MplsLabel& label : spec.mpls) {
    if (label.label > 0xfffff || label.traffic_class > 7) {
      return absl::InvalidArgumentError("MPLS label or traffic class out of range");
    }
  }
  const bool v4 = family == IpFamily::kV4;
  const size_t ip_size = IpHeaderSize(family);
  const bool extended = !spec.mpls.empty();
  // ParseIpHeader bounds total_length by the buffer, so this never reads past `offending`.
  const std::span<const uint8_t> original = offending.first(offending_ip.total_length);
  const size_t max_quote = (v4 ? kMaxIcmpv4ErrorSize : kMaxIcmpv6ErrorSize) - ip_size - 8;
  const size_t quote_size =
      extended ? wire::kExtendedQuoteSize : std::min(original.size(), max_quote);
  // Extension header, one MPLS object header, one word per label.
  const size_t extension_size = extended ? 4 + 4 + 4 * spec.mpls.size() : 0;
  const size_t icmp_size = 8 + quote_size + extension_size;
  const size_t size = ip_size + icmp_size;
  if (size > kMaxPacketSize) return absl::InvalidArgumentError("too many MPLS labels");
  PATHPAIR_RETURN_IF_ERROR(CheckFits(size, out));

  const uint8_t protocol = IcmpProtocol(family);
  WriteIpHeader({.source = spec.source,
                 .destination = offending_ip.source,
                 .protocol = protocol,
                 .ttl = spec.ttl},
                size, out);
  std::span<uint8_t> icmp = out.subspan(ip_size, icmp_size);
  std::fill(icmp.begin(), icmp.end(), 0);
  const bool time_exceeded = spec.kind == IcmpErrorKind::kTimeExceeded;
  if (v4) {
    Store8(icmp, 0, time_exceeded ? wire::kIcmpTimeExceeded : wire::kIcmpDestinationUnreachable);
  } else {
    Store8(icmp, 0,
           time_exceeded ? wire::kIcmpv6TimeExceeded : wire::kIcmpv6DestinationUnreachable);
  }
  Store8(icmp, 1, time_exceeded ? 0 : spec.code);
  StoreBytes(icmp, 8, original.first(std::min(original.size(), quote_size)));  // rest stays 0
  if (extended) {
    // RFC 4884 length of the original datagram: 32-bit words in byte 5 for ICMPv4, 64-bit
    // words in byte 4 for ICMPv6.
    if (v4) {
      Store8(icmp, 5, wire::kExtendedQuoteSize / 4);
    } else {
      Store8(icmp, 4, wire::kExtendedQuoteSize / 8);
    }
    std::span<uint8_t> extension = icmp.subspan(8 + quote_size);
    Store8(extension, 0, wire::kIcmpExtensionVersion << 4);
    Store16(extension, 4, static_cast<uint16_t>(extension_size - 4));  // object length
    Store8(extension, 6, wire::kMplsObjectClass);
    Store8(extension, 7, wire::kMplsObjectType);
    for (size_t i = 0; i < spec.mpls.size(); ++i) {
      const MplsLabel& label = spec.mpls[i];
      Store32(extension, 8 + 4 * i,
              (label.label << 12) | (uint32_t{label.traffic_class} << 9) |
                  (uint32_t{label.bottom_of_stack} << 8) | label.ttl);
    }
    Store16(extension, 2, InternetChecksum(extension));
  }
  const uint32_t initial = v4 ? 0
                              : PseudoHeaderSum(spec.source, offending_ip.source, protocol,
                                                static_cast<uint32_t>(icmp_size));
  Store16(icmp, 2, InternetChecksum(icmp, initial));
  return size;
}

}  // namespace pathpair::packet

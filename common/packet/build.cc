// Probe builders.
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

absl::Status CheckFits(size_t needed, std::span<uint8_t> out) {
  if (needed > out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("packet of ", needed, " bytes does not fit a ", out.size(), "-byte buffer"));
  }
  return absl::OkStatus();
}

// Writes the header; `out` holds at least its size (checked by the callers).
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

absl::StatusOr<size_t> BuildIpHeader(const IpHeaderFields& fields, size_t total_size,
                                     std::span<uint8_t> out) {
  if (fields.source.family() != fields.destination.family()) {
    return absl::InvalidArgumentError("IP header source and destination differ in family");
  }
  const size_t size = IpHeaderSize(fields.destination.family());
  if (total_size < size || total_size > kMaxPacketSize) {
    return absl::InvalidArgumentError(absl::StrCat("bad IP packet size ", total_size));
  }
  PATHPAIR_RETURN_IF_ERROR(CheckFits(size, out));
  WriteIpHeader(fields, total_size, out);
  return size;
}

}  // namespace pathpair::packet

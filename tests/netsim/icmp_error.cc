#include "tests/netsim/icmp_error.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/packet/byte_io.h"
#include "common/packet/wire.h"
#include "common/status/status_macros.h"

namespace pathpair::netsim {
namespace {

using packet::internal::Load16;
using packet::internal::Store16;
using packet::internal::Store32;
using packet::internal::Store8;
using packet::internal::StoreBytes;

// Linux bounds an ICMP error to these totals (RFC 1812 for IPv4, the IPv6 minimum MTU for IPv6);
// the quote is as much of the offending packet as fits.
constexpr size_t kMaxIcmpv4ErrorSize = 576;
constexpr size_t kMaxIcmpv6ErrorSize = 1280;

}  // namespace

absl::StatusOr<size_t> BuildIcmpErrorPacket(const IcmpErrorSpec& spec,
                                            std::span<const uint8_t> offending,
                                            std::span<uint8_t> out) {
  PATHPAIR_ASSIGN_OR_RETURN(const packet::IpHeaderView offending_ip,
                            packet::ParseIpHeader(offending));
  const IpFamily family = offending_ip.family;
  if (spec.source.family() != family) {
    return absl::InvalidArgumentError(
        "ICMP error source differs in family from the offending packet");
  }
  for (const packet::MplsLabel& label : spec.mpls) {
    if (label.label > 0xfffff || label.traffic_class > 7) {
      return absl::InvalidArgumentError("MPLS label or traffic class out of range");
    }
  }
  const bool v4 = family == IpFamily::kV4;
  const size_t ip_size = v4 ? packet::kIpv4HeaderSize : packet::kIpv6HeaderSize;
  const bool extended = !spec.mpls.empty();
  // ParseIpHeader bounds total_length by the buffer, so this never reads past `offending`.
  const std::span<const uint8_t> original = offending.first(offending_ip.total_length);
  const size_t max_quote = (v4 ? kMaxIcmpv4ErrorSize : kMaxIcmpv6ErrorSize) - ip_size - 8;
  const size_t quote_size =
      extended ? packet::wire::kExtendedQuoteSize : std::min(original.size(), max_quote);
  // Extension header, one MPLS object header, one word per label.
  const size_t extension_size = extended ? 4 + 4 + 4 * spec.mpls.size() : 0;
  const size_t icmp_size = 8 + quote_size + extension_size;
  const size_t size = ip_size + icmp_size;
  if (size > packet::kMaxPacketSize) return absl::InvalidArgumentError("too many MPLS labels");
  if (size > out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ICMP error of ", size, " bytes does not fit a ", out.size(), "-byte buffer"));
  }
  const uint8_t protocol = v4 ? packet::wire::kProtocolIcmp : packet::wire::kProtocolIcmpv6;
  PATHPAIR_RETURN_IF_ERROR(packet::BuildIpHeader({.source = spec.source,
                                                  .destination = offending_ip.source,
                                                  .protocol = protocol,
                                                  .ttl = spec.ttl},
                                                 size, out)
                               .status());
  std::span<uint8_t> icmp = out.subspan(ip_size, icmp_size);
  std::fill(icmp.begin(), icmp.end(), 0);
  const bool time_exceeded = spec.kind == IcmpErrorKind::kTimeExceeded;
  if (v4) {
    Store8(icmp, 0,
           time_exceeded ? packet::wire::kIcmpTimeExceeded
                         : packet::wire::kIcmpDestinationUnreachable);
  } else {
    Store8(icmp, 0,
           time_exceeded ? packet::wire::kIcmpv6TimeExceeded
                         : packet::wire::kIcmpv6DestinationUnreachable);
  }
  Store8(icmp, 1, time_exceeded ? 0 : spec.code);
  StoreBytes(icmp, 8, original.first(std::min(original.size(), quote_size)));  // rest stays 0
  if (extended) {
    // RFC 4884 length of the original datagram: 32-bit words in byte 5 for ICMPv4, 64-bit
    // words in byte 4 for ICMPv6.
    if (v4) {
      Store8(icmp, 5, packet::wire::kExtendedQuoteSize / 4);
    } else {
      Store8(icmp, 4, packet::wire::kExtendedQuoteSize / 8);
    }
    std::span<uint8_t> extension = icmp.subspan(8 + quote_size);
    Store8(extension, 0, packet::wire::kIcmpExtensionVersion << 4);
    Store16(extension, 4, static_cast<uint16_t>(extension_size - 4));  // object length
    Store8(extension, 6, packet::wire::kMplsObjectClass);
    Store8(extension, 7, packet::wire::kMplsObjectType);
    for (size_t i = 0; i < spec.mpls.size(); ++i) {
      const packet::MplsLabel& label = spec.mpls[i];
      Store32(extension, 8 + 4 * i,
              (label.label << 12) | (uint32_t{label.traffic_class} << 9) |
                  (uint32_t{label.bottom_of_stack} << 8) | label.ttl);
    }
    Store16(extension, 2, packet::InternetChecksum(extension));
  }
  const uint32_t initial = v4 ? 0
                              : packet::PseudoHeaderSum(spec.source, offending_ip.source, protocol,
                                                        static_cast<uint32_t>(icmp_size));
  Store16(icmp, 2, packet::InternetChecksum(icmp, initial));
  return size;
}

absl::StatusOr<size_t> BuildEchoReplyPacket(const IpAddress& source, uint8_t ttl,
                                            std::span<const uint8_t> request,
                                            std::span<uint8_t> out) {
  PATHPAIR_ASSIGN_OR_RETURN(const packet::IpHeaderView ip, packet::ParseIpHeader(request));
  const bool v4 = ip.family == IpFamily::kV4;
  const uint8_t protocol = v4 ? packet::wire::kProtocolIcmp : packet::wire::kProtocolIcmpv6;
  const uint8_t echo_request =
      v4 ? packet::wire::kIcmpEchoRequest : packet::wire::kIcmpv6EchoRequest;
  if (ip.protocol != protocol || ip.total_length < ip.header_length + 8 ||
      request[ip.header_length] != echo_request) {
    return absl::InvalidArgumentError("not an ICMP echo request");
  }
  if (source.family() != ip.family) {
    return absl::InvalidArgumentError("echo reply source differs in family from the request");
  }
  const std::span<const uint8_t> message =
      request.subspan(ip.header_length, ip.total_length - ip.header_length);
  const size_t ip_size = v4 ? packet::kIpv4HeaderSize : packet::kIpv6HeaderSize;
  const size_t size = ip_size + message.size();
  if (size > out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("echo reply of ", size, " bytes does not fit a ", out.size(), "-byte buffer"));
  }
  PATHPAIR_RETURN_IF_ERROR(
      packet::BuildIpHeader(
          {.source = source, .destination = ip.source, .protocol = protocol, .ttl = ttl}, size, out)
          .status());
  std::span<uint8_t> icmp = out.subspan(ip_size, message.size());
  StoreBytes(icmp, 0, message);
  Store8(icmp, 0, v4 ? packet::wire::kIcmpEchoReply : packet::wire::kIcmpv6EchoReply);
  Store8(icmp, 1, 0);
  Store16(icmp, 2, 0);
  const uint32_t initial =
      v4 ? 0
         : packet::PseudoHeaderSum(source, ip.source, protocol, static_cast<uint32_t>(icmp.size()));
  Store16(icmp, 2, packet::InternetChecksum(icmp, initial));
  return size;
}

absl::StatusOr<uint8_t> DecrementTtl(std::span<uint8_t> packet) {
  PATHPAIR_ASSIGN_OR_RETURN(const packet::IpHeaderView ip, packet::ParseIpHeader(packet));
  if (ip.ttl == 0) return absl::FailedPreconditionError("TTL is already 0");
  const uint8_t ttl = ip.ttl - 1;
  if (ip.family == IpFamily::kV6) {
    packet[7] = ttl;
    return ttl;
  }
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m is the 16-bit word holding TTL and protocol.
  const uint16_t old_word = Load16(packet, 8);
  const auto new_word = static_cast<uint16_t>((ttl << 8) | packet[9]);
  uint32_t sum = uint32_t{static_cast<uint16_t>(~Load16(packet, 10))} +
                 static_cast<uint16_t>(~old_word) + new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const auto checksum = static_cast<uint16_t>(~sum);
  packet[8] = ttl;
  packet[10] = static_cast<uint8_t>(checksum >> 8);
  packet[11] = static_cast<uint8_t>(checksum);
  return ttl;
}

}  // namespace pathpair::netsim

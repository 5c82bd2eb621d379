// Reply parsers, the IP header walker and the TTL decrement.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/packet/byte_io.h"
#include "common/packet/packet.h"
#include "common/packet/wire.h"
#include "common/status/status_macros.h"

namespace pathpair::packet {
namespace {

using internal::Has;
using internal::Load16;
using internal::Load32;
using internal::Load8;
using internal::Slice;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed packet: ", what));
}

// IpHeaderView plus what the reply parsers need and the public view leaves out.
struct IpHeaderDetails {
  IpHeaderView view;
  size_t stated_total_length = 0;  // unbounded by the buffer
  bool fragmented = false;         // any fragment, first or later
  bool later_fragment = false;     // a fragment without the transport header
};

IpAddress AddressAt(std::span<const uint8_t> data, size_t offset, IpFamily family) {
  if (family == IpFamily::kV4) return IpAddress::V4Bytes(data.subspan(offset).first<4>());
  return IpAddress::V6Bytes(data.subspan(offset).first<16>());
}

// Fills the flow fields of `view` from the transport header, if it is there.
void ReadFlowPorts(std::span<const uint8_t> transport, IpHeaderView& view) {
  switch (view.protocol) {
    case wire::kProtocolUdp:
    case wire::kProtocolTcp:
      if (Has(transport, 0, 4)) {
        view.source_port = Load16(transport, 0);
        view.destination_port = Load16(transport, 2);
      }
      break;
    case wire::kProtocolIcmp:
    case wire::kProtocolIcmpv6: {
      const uint8_t type = Load8(transport, 0);
      const bool echo = view.protocol == wire::kProtocolIcmp
                            ? type == wire::kIcmpEchoRequest || type == wire::kIcmpEchoReply
                            : type == wire::kIcmpv6EchoRequest || type == wire::kIcmpv6EchoReply;
      if (echo && Has(transport, 0, 6)) view.source_port = Load16(transport, 4);
      break;
    }
    default:
      break;
  }
}

absl::StatusOr<IpHeaderDetails> ParseIpv4Header(std::span<const uint8_t> packet) {
  if (!Has(packet, 0, kIpv4HeaderSize)) return Malformed("IPv4 header truncated");
  const size_t header_length = size_t{Load8(packet, 0) & 0x0fu} * 4;
  if (header_length < kIpv4HeaderSize) return Malformed("IPv4 header length below 20");
  if (!Has(packet, 0, header_length)) return Malformed("IPv4 options truncated");
  IpHeaderDetails details;
  details.stated_total_length = Load16(packet, 2);
  if (details.stated_total_length < header_length) {
    return Malformed("IPv4 total length shorter than its header");
  }
  const uint16_t fragment = Load16(packet, 6);
  details.fragmented = (fragment & 0x3fff) != 0;  // more-fragments flag or an offset
  details.later_fragment = (fragment & 0x1fff) != 0;
  IpHeaderView& view = details.view;
  view.family = IpFamily::kV4;
  view.tos = Load8(packet, 1);
  view.ttl = Load8(packet, 8);
  view.protocol = Load8(packet, 9);
  view.source = AddressAt(packet, 12, IpFamily::kV4);
  view.destination = AddressAt(packet, 16, IpFamily::kV4);
  view.header_length = header_length;
  view.total_length = std::min(details.stated_total_length, packet.size());
  return details;
}

bool IsIpv6ExtensionHeader(uint8_t next_header) {
  return next_header == wire::kProtocolHopByHop || next_header == wire::kProtocolRouting ||
         next_header == wire::kProtocolFragment || next_header == wire::kProtocolDestinationOptions;
}

absl::StatusOr<IpHeaderDetails> ParseIpv6Header(std::span<const uint8_t> packet) {
  if (!Has(packet, 0, kIpv6HeaderSize)) return Malformed("IPv6 header truncated");
  IpHeaderDetails details;
  details.stated_total_length = kIpv6HeaderSize + Load16(packet, 4);
  IpHeaderView& view = details.view;
  view.family = IpFamily::kV6;
  view.tos = static_cast<uint8_t>(Load32(packet, 0) >> 20);
  view.ttl = Load8(packet, 7);
  view.source = AddressAt(packet, 8, IpFamily::kV6);
  view.destination = AddressAt(packet, 24, IpFamily::kV6);
  view.total_length = std::min(details.stated_total_length, packet.size());
  // Walk the extension headers inside the stated (and received) length. Each is at least 8
  // bytes long, so the walk ends.
  const std::span<const uint8_t> bounded = packet.first(view.total_length);
  uint8_t next_header = Load8(packet, 6);
  size_t offset = kIpv6HeaderSize;
  while (IsIpv6ExtensionHeader(next_header)) {
    if (!Has(bounded, offset, 8)) return Malformed("IPv6 extension header truncated");
    size_t length = (size_t{Load8(bounded, offset + 1)} + 1) * 8;
    if (next_header == wire::kProtocolFragment) {
      length = 8;  // its second byte is reserved, not a length
      details.fragmented = true;
      details.later_fragment = (Load16(bounded, offset + 2) & 0xfff8) != 0;
    }
    if (!Has(bounded, offset, length)) return Malformed("IPv6 extension header truncated");
    next_header = Load8(bounded, offset);
    offset += length;
  }
  view.protocol = next_header;
  view.header_length = offset;
  return details;
}

absl::StatusOr<IpHeaderDetails> ParseIpHeaderDetails(std::span<const uint8_t> packet) {
  if (packet.empty()) return Malformed("empty");
  absl::StatusOr<IpHeaderDetails> details;
  switch (packet[0] >> 4) {
    case 4:
      details = ParseIpv4Header(packet);
      break;
    case 6:
      details = ParseIpv6Header(packet);
      break;
    default:
      return Malformed(absl::StrCat("IP version ", packet[0] >> 4));
  }
  if (details.ok() && !details->later_fragment) {
    ReadFlowPorts(Slice(packet.first(details->view.total_length), details->view.header_length),
                  details->view);
  }
  return details;
}

// The upper-layer bytes of a received packet, which must not be a fragment.
absl::StatusOr<std::span<const uint8_t>> UnfragmentedPayload(std::span<const uint8_t> packet,
                                                             const IpHeaderDetails& ip) {
  if (ip.fragmented) return absl::UnimplementedError("fragmented replies are not reassembled");
  return packet.subspan(ip.view.header_length, ip.view.total_length - ip.view.header_length);
}

// Validates the packet quoted in an ICMP error and extracts the fields that identify a probe.
absl::StatusOr<QuotedProbe> ParseQuote(std::span<const uint8_t> quote, IpFamily family) {
  absl::StatusOr<IpHeaderDetails> parsed = ParseIpHeaderDetails(quote);
  if (!parsed.ok()) {
    return Malformed(absl::StrCat("quoted packet: ", parsed.status().message()));
  }
  const IpHeaderView& ip = parsed->view;
  if (ip.family != family) return Malformed("quoted packet is of the other IP version");
  if (parsed->later_fragment) return Malformed("quoted packet is a non-first fragment");
  if (parsed->stated_total_length < ip.header_length + 8) {
    return Malformed("quoted packet's length leaves no room for a transport header");
  }
  const std::span<const uint8_t> transport = Slice(quote, ip.header_length, 8);
  if (transport.size() < 8) return Malformed("quote lacks 8 bytes of transport header");
  QuotedProbe probe;
  probe.source = ip.source;
  probe.destination = ip.destination;
  probe.ttl = ip.ttl;
  const uint8_t icmp_protocol =
      family == IpFamily::kV4 ? wire::kProtocolIcmp : wire::kProtocolIcmpv6;
  const uint8_t echo_request =
      family == IpFamily::kV4 ? wire::kIcmpEchoRequest : wire::kIcmpv6EchoRequest;
  if (ip.protocol == icmp_protocol) {
    if (Load8(transport, 0) != echo_request) return Malformed("quoted ICMP is not an echo request");
    probe.protocol = ProbeProtocol::kIcmp;
    probe.icmp_id = Load16(transport, 4);
    probe.icmp_sequence = Load16(transport, 6);
  } else if (ip.protocol == wire::kProtocolUdp) {
    probe.protocol = ProbeProtocol::kUdp;
    probe.source_port = Load16(transport, 0);
    probe.destination_port = Load16(transport, 2);
    probe.udp_checksum = Load16(transport, 6);
  } else if (ip.protocol == wire::kProtocolTcp) {
    probe.protocol = ProbeProtocol::kTcp;
    probe.source_port = Load16(transport, 0);
    probe.destination_port = Load16(transport, 2);
    probe.tcp_sequence = Load32(transport, 4);
  } else {
    return Malformed(absl::StrCat("quoted protocol ", ip.protocol, " is not a probe protocol"));
  }
  return probe;
}

// Reads the MPLS labels from an RFC 4884 extension structure. Returns false when `extension`
// is not one (wrong version or checksum); a malformed object list ends the search quietly.
bool ParseExtension(std::span<const uint8_t> extension, std::vector<MplsLabel>& labels) {
  if (!Has(extension, 0, 4) || (Load8(extension, 0) >> 4) != wire::kIcmpExtensionVersion) {
    return false;
  }
  // A zero checksum field means "not computed" to some senders; otherwise it must verify.
  if (Load16(extension, 2) != 0 && InternetChecksum(extension) != 0) return false;
  size_t offset = 4;
  while (Has(extension, offset, 4)) {
    const size_t object_length = Load16(extension, offset);
    if (object_length < 4 || !Has(extension, offset, object_length)) break;
    if (Load8(extension, offset + 2) == wire::kMplsObjectClass &&
        Load8(extension, offset + 3) == wire::kMplsObjectType) {
      for (size_t entry = offset + 4; entry + 4 <= offset + object_length; entry += 4) {
        const uint32_t word = Load32(extension, entry);
        labels.push_back({.label = word >> 12,
                          .traffic_class = static_cast<uint8_t>((word >> 9) & 0x7),
                          .bottom_of_stack = ((word >> 8) & 1) != 0,
                          .ttl = static_cast<uint8_t>(word)});
      }
      break;  // one label stack per message
    }
    offset += object_length;
  }
  return true;
}

// Splits the body of an ICMP error (after its 8-byte header) into the quoted datagram and the
// RFC 4884 extension, if any. `stated_quote_size` is the length field scaled to bytes.
std::span<const uint8_t> SplitExtension(std::span<const uint8_t> body, size_t stated_quote_size,
                                        std::vector<MplsLabel>& labels) {
  if (stated_quote_size > 0) {
    // RFC 4884 compliant: the length field says where the quote ends. A length that overruns
    // the message is ignored, and the whole body taken as the quote.
    if (stated_quote_size > body.size()) return body;
    ParseExtension(body.subspan(stated_quote_size), labels);
    return body.first(stated_quote_size);
  }
  // Length 0: the sender predates RFC 4884 or has no extension. Like mtr, look for an
  // extension right after a 128-byte quote, but accept it only if its header checks out.
  if (body.size() >= wire::kExtendedQuoteSize + 4 &&
      ParseExtension(body.subspan(wire::kExtendedQuoteSize), labels)) {
    return body.first(wire::kExtendedQuoteSize);
  }
  return body;
}

struct IcmpTypes {
  uint8_t echo_reply;
  uint8_t time_exceeded;
  uint8_t destination_unreachable;
  size_t length_field_offset;  // RFC 4884 length byte
  size_t length_unit;
};

constexpr IcmpTypes kIcmpv4Types{wire::kIcmpEchoReply, wire::kIcmpTimeExceeded,
                                 wire::kIcmpDestinationUnreachable, 5, 4};
constexpr IcmpTypes kIcmpv6Types{wire::kIcmpv6EchoReply, wire::kIcmpv6TimeExceeded,
                                 wire::kIcmpv6DestinationUnreachable, 4, 8};

absl::StatusOr<ParsedReply> ParseIcmp(std::span<const uint8_t> message, IpFamily family,
                                      const IpAddress& source, const IpAddress& destination) {
  if (!Has(message, 0, kIcmpHeaderSize)) return Malformed("ICMP header truncated");
  const IcmpTypes& types = family == IpFamily::kV4 ? kIcmpv4Types : kIcmpv6Types;
  ParsedReply reply;
  reply.responder = source;
  reply.destination = destination;
  reply.icmp_type = Load8(message, 0);
  reply.icmp_code = Load8(message, 1);
  if (reply.icmp_type == types.echo_reply) {
    reply.kind = ReplyKind::kEchoReply;
    reply.echo_id = Load16(message, 4);
    reply.echo_sequence = Load16(message, 6);
    return reply;
  }
  if (reply.icmp_type == types.time_exceeded) {
    // Code 1 is fragment reassembly timing out, which no probe of ours can cause.
    if (reply.icmp_code != 0) return absl::UnimplementedError("time exceeded other than TTL");
    reply.kind = ReplyKind::kTimeExceeded;
  } else if (reply.icmp_type == types.destination_unreachable) {
    reply.kind = ReplyKind::kDestinationUnreachable;
  } else {
    return absl::UnimplementedError(
        absl::StrCat("ICMP type ", reply.icmp_type, " is not a reply to a probe"));
  }
  const size_t stated_quote_size =
      size_t{Load8(message, types.length_field_offset)} * types.length_unit;
  const std::span<const uint8_t> quote =
      SplitExtension(message.subspan(kIcmpHeaderSize), stated_quote_size, reply.mpls);
  PATHPAIR_ASSIGN_OR_RETURN(reply.quote, ParseQuote(quote, family));
  return reply;
}

}  // namespace

absl::StatusOr<IpHeaderView> ParseIpHeader(std::span<const uint8_t> packet) {
  PATHPAIR_ASSIGN_OR_RETURN(IpHeaderDetails details, ParseIpHeaderDetails(packet));
  return details.view;
}

absl::StatusOr<ParsedReply> ParseIpv4Packet(std::span<const uint8_t> packet) {
  PATHPAIR_ASSIGN_OR_RETURN(const IpHeaderDetails ip, ParseIpHeaderDetails(packet));
  if (ip.view.family != IpFamily::kV4) return Malformed("not IPv4");
  PATHPAIR_ASSIGN_OR_RETURN(const std::span<const uint8_t> payload,
                            UnfragmentedPayload(packet, ip));
  switch (ip.view.protocol) {
    case wire::kProtocolIcmp:
      return ParseIcmp(payload, IpFamily::kV4, ip.view.source, ip.view.destination);
    case wire::kProtocolTcp:
      return ParseTcpSegment(payload, ip.view.source, ip.view.destination);
    default:
      return absl::UnimplementedError(absl::StrCat("IP protocol ", ip.view.protocol));
  }
}

absl::StatusOr<ParsedReply> ParseIpv6Packet(std::span<const uint8_t> packet) {
  PATHPAIR_ASSIGN_OR_RETURN(const IpHeaderDetails ip, ParseIpHeaderDetails(packet));
  if (ip.view.family != IpFamily::kV6) return Malformed("not IPv6");
  PATHPAIR_ASSIGN_OR_RETURN(const std::span<const uint8_t> payload,
                            UnfragmentedPayload(packet, ip));
  switch (ip.view.protocol) {
    case wire::kProtocolIcmpv6:
      return ParseIcmpv6Message(payload, ip.view.source, ip.view.destination);
    case wire::kProtocolTcp:
      return ParseTcpSegment(payload, ip.view.source, ip.view.destination);
    default:
      return absl::UnimplementedError(absl::StrCat("IPv6 next header ", ip.view.protocol));
  }
}

absl::StatusOr<ParsedReply> ParseIcmpv4Message(std::span<const uint8_t> message,
                                               const IpAddress& source,
                                               const IpAddress& destination) {
  return ParseIcmp(message, IpFamily::kV4, source, destination);
}

absl::StatusOr<ParsedReply> ParseIcmpv6Message(std::span<const uint8_t> message,
                                               const IpAddress& source,
                                               const IpAddress& destination) {
  return ParseIcmp(message, IpFamily::kV6, source, destination);
}

absl::StatusOr<ParsedReply> ParseTcpSegment(std::span<const uint8_t> segment,
                                            const IpAddress& source, const IpAddress& destination) {
  if (!Has(segment, 0, kTcpHeaderSize)) return Malformed("TCP header truncated");
  const size_t header_length = size_t{Load8(segment, 12)} / 16 * 4;
  if (header_length < kTcpHeaderSize || !Has(segment, 0, header_length)) {
    return Malformed("TCP data offset");
  }
  ParsedReply reply;
  const uint8_t flags = Load8(segment, 13);
  if ((flags & wire::kTcpRst) != 0) {
    reply.kind = ReplyKind::kTcpRst;
  } else if ((flags & (wire::kTcpSyn | wire::kTcpAck)) == (wire::kTcpSyn | wire::kTcpAck)) {
    reply.kind = ReplyKind::kTcpSynAck;
  } else {
    return absl::UnimplementedError("TCP segment is neither RST nor SYN-ACK");
  }
  reply.responder = source;
  reply.destination = destination;
  reply.tcp_source_port = Load16(segment, 0);
  reply.tcp_destination_port = Load16(segment, 2);
  reply.tcp_ack = Load32(segment, 8);
  return reply;
}

}  // namespace pathpair::packet

// Golden-byte, round-trip and rejection tests for the packet codec (the golden bytes and specs are
// in packet_test_data.h; the ICMP error builder the emulator uses is tested with it, in
// tests/netsim/icmp_error_test.cc).
#include "common/packet/packet.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/packet/packet_test_data.h"

namespace pathpair::packet {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

TEST(PacketChecksumTest, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(data), 0x220d);
  // An odd trailing byte is padded with zero.
  const uint8_t odd[] = {0x01};
  EXPECT_EQ(InternetChecksum(odd), 0xfeff);
}

TEST(PacketBuildProbeTest, MatchesGoldenBytes) {
  for (const GoldenProbe& golden : GoldenProbes()) {
    SCOPED_TRACE(golden.name);
    const std::vector<uint8_t> packet = BuildProbe(golden.spec);
    EXPECT_THAT(packet, ElementsAreArray(golden.expected));
    EXPECT_EQ(TransportChecksum(packet), 0);
    if (golden.spec.destination.is_v4()) {
      EXPECT_EQ(InternetChecksum(std::span(packet).first(kIpv4HeaderSize)), 0);
    }
  }
}

TEST(PacketBuildProbeTest, TransportIsThePacketWithoutItsIpHeader) {
  for (const GoldenProbe& golden : GoldenProbes()) {
    SCOPED_TRACE(golden.name);
    std::vector<uint8_t> buffer(1500);
    absl::StatusOr<size_t> size = BuildProbeTransport(golden.spec, buffer);
    ASSERT_TRUE(size.ok()) << size.status();
    const size_t ip_size = golden.spec.destination.is_v4() ? kIpv4HeaderSize : kIpv6HeaderSize;
    EXPECT_THAT(std::span(buffer).first(*size), ElementsAreArray(golden.expected.subspan(ip_size)));
  }
}

TEST(PacketBuildProbeTest, UdpChecksumIsTheSequenceAndPortsStayConstant) {
  ProbeSpec spec = Udp4Spec();
  for (uint32_t sequence : {1u, 2u, 0x8000u, 0xfffeu}) {
    spec.sequence = static_cast<uint16_t>(sequence);
    for (const IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
      spec.source = family == IpFamily::kV4 ? kSource4 : kSource6;
      spec.destination = family == IpFamily::kV4 ? kTarget4 : kTarget6;
      const std::vector<uint8_t> packet = BuildProbe(spec);
      const size_t udp = family == IpFamily::kV4 ? kIpv4HeaderSize : kIpv6HeaderSize;
      EXPECT_EQ((packet[udp + 6] << 8) | packet[udp + 7], sequence);
      EXPECT_EQ((packet[udp] << 8) | packet[udp + 1], spec.source_port);
      EXPECT_EQ((packet[udp + 2] << 8) | packet[udp + 3], spec.destination_port);
      EXPECT_EQ(TransportChecksum(packet), 0);
    }
  }
}

TEST(PacketBuildProbeTest, SizeIsRaisedToTheMinimum) {
  ProbeSpec spec = Icmp4Spec();
  spec.packet_size = 0;
  EXPECT_EQ(BuildProbe(spec).size(), 28u);
  spec = Udp6Spec();
  spec.packet_size = 1;
  EXPECT_EQ(BuildProbe(spec).size(), 40u + 8u + 2u);  // two payload bytes steer the checksum
  spec = Tcp4Spec();
  spec.packet_size = 1000;  // TCP probes are bare SYNs whatever the size
  EXPECT_EQ(BuildProbe(spec).size(), 40u);
  spec = Icmp6Spec();
  spec.packet_size = 1500;
  EXPECT_EQ(BuildProbe(spec).size(), 1500u);
}

TEST(PacketBuildIpHeaderTest, WritesTheProbesHeaderAndRejectsBadInput) {
  // The header BuildProbePacket wrote for the golden probes, field by field.
  for (const GoldenProbe& golden : GoldenProbes()) {
    SCOPED_TRACE(golden.name);
    const bool v4 = golden.spec.destination.is_v4();
    std::vector<uint8_t> header(64, 0xee);
    absl::StatusOr<size_t> size = BuildIpHeader({.source = golden.spec.source,
                                                 .destination = golden.spec.destination,
                                                 .protocol = golden.expected[v4 ? 9 : 6],
                                                 .ttl = golden.spec.ttl,
                                                 .tos = golden.spec.tos,
                                                 .ip_id = golden.spec.ip_id},
                                                golden.expected.size(), header);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, v4 ? kIpv4HeaderSize : kIpv6HeaderSize);
    EXPECT_THAT(std::span(header).first(*size), ElementsAreArray(golden.expected.first(*size)));
  }
  std::vector<uint8_t> out(64);
  EXPECT_FALSE(BuildIpHeader({.source = kSource4, .destination = kTarget6}, 60, out).ok());
  EXPECT_FALSE(BuildIpHeader({.source = kSource4, .destination = kTarget4}, 19, out).ok());
  EXPECT_FALSE(
      BuildIpHeader({.source = kSource4, .destination = kTarget4}, kMaxPacketSize + 1, out).ok());
  EXPECT_FALSE(
      BuildIpHeader({.source = kSource6, .destination = kTarget6}, 60, std::span(out).first(39))
          .ok());
}

TEST(PacketBuildProbeTest, RejectsBadSpecs) {
  std::vector<uint8_t> buffer(kMaxPacketSize + 100);
  ProbeSpec spec = Icmp4Spec();
  spec.packet_size = kMaxPacketSize + 1;
  EXPECT_FALSE(BuildProbePacket(spec, buffer).ok());
  spec.packet_size = kMaxPacketSize;
  EXPECT_TRUE(BuildProbePacket(spec, buffer).ok());
  spec.packet_size = 100;
  EXPECT_FALSE(BuildProbePacket(spec, std::span(buffer).first(99)).ok());
  EXPECT_TRUE(BuildProbePacket(spec, std::span(buffer).first(100)).ok());
  EXPECT_FALSE(BuildProbeTransport(spec, std::span(buffer).first(79)).ok());
  EXPECT_TRUE(BuildProbeTransport(spec, std::span(buffer).first(80)).ok());
  spec.destination = kTarget6;  // mixed families
  EXPECT_FALSE(BuildProbePacket(spec, buffer).ok());
  spec = Udp4Spec();
  spec.sequence = 0;
  EXPECT_FALSE(BuildProbePacket(spec, buffer).ok());
  spec.sequence = 0xffff;
  EXPECT_FALSE(BuildProbePacket(spec, buffer).ok());
}

TEST(PacketParseTest, GoldenTimeExceededWithMpls) {
  absl::StatusOr<ParsedReply> reply = ParseIpv4Packet(kTimeExceeded4Mpls);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder, kRouter4);
  EXPECT_EQ(reply->destination, kSource4);
  EXPECT_EQ(reply->icmp_type, 11);
  EXPECT_THAT(reply->mpls,
              ElementsAre(MplsLabel{.label = 16005, .bottom_of_stack = true, .ttl = 1}));
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->protocol, ProbeProtocol::kUdp);
  EXPECT_EQ(reply->quote->source, kSource4);
  EXPECT_EQ(reply->quote->destination, kTarget4);
  EXPECT_EQ(reply->quote->ttl, 3);
  EXPECT_EQ(reply->quote->source_port, 33000);
  EXPECT_EQ(reply->quote->destination_port, 33434);
  EXPECT_EQ(reply->quote->udp_checksum, 0x1001);

  reply = ParseIpv6Packet(kTimeExceeded6Mpls);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kTimeExceeded);
  EXPECT_THAT(reply->mpls, ElementsAre(MplsLabel{.label = 24001, .traffic_class = 5, .ttl = 254},
                                       MplsLabel{.label = 3, .bottom_of_stack = true, .ttl = 1}));
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->protocol, ProbeProtocol::kIcmp);
  EXPECT_EQ(reply->quote->icmp_id, 0x1111);
  EXPECT_EQ(reply->quote->icmp_sequence, 2);

  reply = ParseIpv6Packet(kPortUnreachable6);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kDestinationUnreachable);
  EXPECT_EQ(reply->icmp_code, 4);
  EXPECT_EQ(reply->responder, kTarget6);
  EXPECT_TRUE(reply->mpls.empty());
  EXPECT_EQ(reply->quote->udp_checksum, 0x2222);
}

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const std::vector<uint8_t>& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A Time Exceeded as a pre-RFC 4884 MPLS router sends it: length field 0, the quote (an 84-byte
// ping) padded to 128 bytes, then the extension. Laid out field by field.
std::vector<uint8_t> HandMadeTimeExceeded() {
  return Concat({
      {0x45, 0xc0, 0x00, 0xac,           // IPv4, IHL 5, TOS 0xc0, total length 172
       0x5d, 0x2e, 0x00, 0x00,           // id, no fragment
       0xfa, 0x01, 0xfb, 0xdf,           // TTL 250, ICMP, header checksum
       203,  0,    113,  77,             // router
       198,  51,   100,  1},             // us
      {0x0b, 0x00, 0xf4, 0xff,           // Time Exceeded, code 0, checksum
       0x00, 0x00, 0x00, 0x00},          // unused, length 0 (not RFC 4884 aware), unused
      {0x45, 0x00, 0x00, 0x54,           // quoted IPv4 header: total length 84
       0x1c, 0x46, 0x40, 0x00,           // id, DF
       0x01, 0x01, 0xf7, 0x24,           // TTL 1 on arrival, ICMP, checksum
       198,  51,   100,  1,              // us
       203,  0,    113,  9,              // the target
       0x08, 0x00, 0xf3, 0x2c,           // echo request, checksum
       0x04, 0xd2, 0x00, 0x01},          // id 1234, sequence 1
      std::vector<uint8_t>(56 + 44, 0),  // echo payload (56 zeros), padding to 128
      {0x20, 0x00, 0x84, 0xbe,           // extension version 2, checksum
       0x00, 0x0c, 0x01, 0x01,           // object length 12, class 1 (MPLS), c-type 1
       0x49, 0x31, 0x00, 0x01,           // label 299792, TC 0, S 0, TTL 1
       0x00, 0x01, 0x11, 0x01},          // label 17, TC 0, S 1, TTL 1
  });
}

TEST(PacketParseTest, HandMadeTimeExceededWithMplsExtension) {
  const std::vector<uint8_t> packet = HandMadeTimeExceeded();
  ASSERT_EQ(packet.size(), 172u);
  EXPECT_EQ(InternetChecksum(std::span(packet).first(20)), 0);
  EXPECT_EQ(InternetChecksum(std::span(packet).subspan(20)), 0);
  EXPECT_EQ(InternetChecksum(std::span(packet).subspan(20 + 8 + 128)), 0);
  absl::StatusOr<ParsedReply> reply = ParseIpv4Packet(packet);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder, Ip("203.0.113.77"));
  EXPECT_THAT(reply->mpls, ElementsAre(MplsLabel{.label = 299792, .ttl = 1},
                                       MplsLabel{.label = 17, .bottom_of_stack = true, .ttl = 1}));
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->protocol, ProbeProtocol::kIcmp);
  EXPECT_EQ(reply->quote->icmp_id, 1234);
  EXPECT_EQ(reply->quote->icmp_sequence, 1);
  EXPECT_EQ(reply->quote->ttl, 1);

  // The same with the RFC 4884 length field set (32 words) is read the same way.
  std::vector<uint8_t> compliant = packet;
  compliant[20 + 5] = 32;
  reply = ParseIpv4Packet(compliant);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->mpls.size(), 2u);

  // A corrupted extension checksum hides the labels but not the reply.
  std::vector<uint8_t> corrupt = packet;
  corrupt[20 + 8 + 128 + 3] ^= 0xff;
  reply = ParseIpv4Packet(corrupt);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->mpls.empty());
  EXPECT_EQ(reply->quote->icmp_sequence, 1);
}

TEST(PacketParseTest, EchoReplies) {
  std::vector<uint8_t> reply4 = Bytes(kIcmp4Probe);
  std::swap_ranges(reply4.begin() + 12, reply4.begin() + 16, reply4.begin() + 16);
  reply4[20] = 0;  // echo reply
  absl::StatusOr<ParsedReply> reply = ParseIpv4Packet(reply4);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kEchoReply);
  EXPECT_EQ(reply->responder, kTarget4);
  EXPECT_EQ(reply->echo_id, 0xbeef);
  EXPECT_EQ(reply->echo_sequence, 7);
  EXPECT_FALSE(reply->quote.has_value());

  reply = ParseIcmpv4Message(std::span(reply4).subspan(20), kTarget4, kSource4);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->echo_sequence, 7);

  std::vector<uint8_t> reply6 = Bytes(kIcmp6Probe);
  reply6[40] = 129;
  reply = ParseIpv6Packet(reply6);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kEchoReply);
  EXPECT_EQ(reply->echo_id, 0x1111);
  EXPECT_EQ(reply->echo_sequence, 2);
  reply = ParseIcmpv6Message(std::span(reply6).subspan(40), kTarget6, kSource6);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->responder, kTarget6);
  EXPECT_EQ(reply->destination, kSource6);

  // Our own echo request (seen on loopback) is not a reply.
  EXPECT_FALSE(ParseIpv4Packet(kIcmp4Probe).ok());
  EXPECT_FALSE(ParseIpv6Packet(kIcmp6Probe).ok());
}

TEST(PacketParseTest, TcpReplies) {
  const uint8_t syn_ack[] = {0x00, 0x50, 0x9c, 0x40,   // port 80 -> 40000
                             0x12, 0x34, 0x56, 0x78,   // sequence
                             0xab, 0xcd, 0x00, 0x06,   // ack = our sequence + 1
                             0x50, 0x12, 0xff, 0xff,   // offset 5, SYN+ACK, window
                             0x00, 0x00, 0x00, 0x00};  // checksum (not checked), urgent
  absl::StatusOr<ParsedReply> reply = ParseTcpSegment(syn_ack, kTarget6, kSource6);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kTcpSynAck);
  EXPECT_EQ(reply->tcp_source_port, 80);
  EXPECT_EQ(reply->tcp_destination_port, 40000);
  EXPECT_EQ(reply->tcp_ack, 0xabcd0006u);
  EXPECT_EQ(reply->responder, kTarget6);

  std::vector<uint8_t> rst = Bytes(syn_ack);
  rst[13] = 0x14;  // RST+ACK
  reply = ParseTcpSegment(rst, kTarget6, kSource6);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->kind, ReplyKind::kTcpRst);

  std::vector<uint8_t> syn = Bytes(syn_ack);
  syn[13] = 0x02;  // a bare SYN is not a reply
  EXPECT_FALSE(ParseTcpSegment(syn, kTarget6, kSource6).ok());
  std::vector<uint8_t> bad_offset = Bytes(syn_ack);
  bad_offset[12] = 0x60;  // 24-byte header in a 20-byte segment
  EXPECT_FALSE(ParseTcpSegment(bad_offset, kTarget6, kSource6).ok());

  // Over IPv4, inside a whole packet.
  std::vector<uint8_t> packet4 = Concat({{0x45, 0, 0,   40, 0,   0,  0,   0, 64, 6, 0, 0,  //
                                          203,  0, 113, 9,  198, 51, 100, 1},
                                         rst});
  reply = ParseIpv4Packet(packet4);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, ReplyKind::kTcpRst);
  EXPECT_EQ(reply->responder, kTarget4);
}

TEST(PacketParseTest, RejectsMalformedQuotes) {
  // Offsets into kTimeExceeded4Mpls: the quote starts at 28, its transport header at 48.
  struct Corruption {
    const char* what;
    size_t offset;
    uint8_t value;
  };
  const Corruption corruptions[] = {
      {"quoted version 6 in ICMPv4", 28, 0x65},
      {"quoted IHL 4", 28, 0x44},
      {"quoted IHL 15, longer than the quoted total length", 28, 0x4f},
      {"quoted total length 27", 30 + 1, 27},
      {"quoted protocol GRE", 28 + 9, 47},
      {"quoted non-first fragment", 28 + 7, 1},
  };
  for (const Corruption& corruption : corruptions) {
    SCOPED_TRACE(corruption.what);
    std::vector<uint8_t> packet = Bytes(kTimeExceeded4Mpls);
    packet[corruption.offset] = corruption.value;
    EXPECT_FALSE(ParseIpv4Packet(packet).ok());
  }
  // A quoted ICMP message that is not an echo request.
  std::vector<uint8_t> quoted_reply = Bytes(kTimeExceeded6Mpls);
  quoted_reply[40 + 8 + 40] = 129;
  EXPECT_FALSE(ParseIpv6Packet(quoted_reply).ok());
  // Types and codes that answer no probe.
  for (const uint8_t type : {4, 5, 8, 12, 13}) {
    std::vector<uint8_t> packet = Bytes(kTimeExceeded4Mpls);
    packet[20] = type;
    EXPECT_FALSE(ParseIpv4Packet(packet).ok()) << int{type};
  }
  std::vector<uint8_t> reassembly = Bytes(kTimeExceeded4Mpls);
  reassembly[21] = 1;
  EXPECT_FALSE(ParseIpv4Packet(reassembly).ok());
  // A quote too short for 8 transport bytes: IcmpErrorTest.ShortQuotesAreRejected (it builds the
  // error with the emulator's builder, tests/netsim/icmp_error.h).
}

// Every prefix of a valid packet must parse to the same answer or fail, and never read past
// its end (each prefix is copied into a buffer of exactly its size so ASan would notice).
TEST(PacketParseTest, TruncationAtEveryLength) {
  std::vector<std::vector<uint8_t>> packets = {Bytes(kTimeExceeded4Mpls), Bytes(kPortUnreachable6),
                                               Bytes(kTimeExceeded6Mpls), HandMadeTimeExceeded()};
  for (const GoldenProbe& golden : GoldenProbes()) packets.push_back(Bytes(golden.expected));
  for (const std::vector<uint8_t>& full : packets) {
    const absl::StatusOr<ParsedReply> whole = ParseAny(full);
    for (size_t length = 0; length < full.size(); ++length) {
      const std::vector<uint8_t> prefix(full.begin(), full.begin() + length);
      (void)ParseIpHeader(prefix);
      (void)ParseIcmpv6Message(prefix, kRouter6, kSource6);
      (void)ParseTcpSegment(prefix, kRouter6, kSource6);
      const absl::StatusOr<ParsedReply> reply = ParseAny(prefix);
      if (!reply.ok()) continue;
      ASSERT_TRUE(whole.ok()) << "a prefix parsed but the whole packet did not";
      EXPECT_EQ(reply->kind, whole->kind);
      EXPECT_EQ(reply->responder, whole->responder);
      ASSERT_EQ(reply->quote.has_value(), whole->quote.has_value());
      if (reply->quote.has_value()) {
        EXPECT_EQ(reply->quote->protocol, whole->quote->protocol);
        EXPECT_EQ(reply->quote->source_port, whole->quote->source_port);
        EXPECT_EQ(reply->quote->udp_checksum, whole->quote->udp_checksum);
        EXPECT_EQ(reply->quote->icmp_sequence, whole->quote->icmp_sequence);
        EXPECT_EQ(reply->quote->tcp_sequence, whole->quote->tcp_sequence);
      }
    }
  }
}

TEST(PacketParseTest, GarbageNeverCrashes) {
  ForEachGarbagePacket([](std::vector<uint8_t>& packet) {
    (void)ParseIpv4Packet(packet);
    (void)ParseIpv6Packet(packet);
    (void)ParseIcmpv6Message(packet, kRouter6, kSource6);
    (void)ParseIcmpv4Message(packet, kRouter4, kSource4);
    (void)ParseTcpSegment(packet, kRouter6, kSource6);
    absl::StatusOr<IpHeaderView> ip = ParseIpHeader(packet);
    if (ip.ok()) {
      EXPECT_LE(ip->header_length, ip->total_length);
      EXPECT_LE(ip->total_length, packet.size());
    }
  });
}

TEST(PacketIpHeaderTest, Ipv4Fields) {
  absl::StatusOr<IpHeaderView> ip = ParseIpHeader(kTcp4Probe);
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(ip->family, IpFamily::kV4);
  EXPECT_EQ(ip->source, kSource4);
  EXPECT_EQ(ip->destination, kTarget4);
  EXPECT_EQ(ip->ttl, 9);
  EXPECT_EQ(ip->tos, 0x10);
  EXPECT_EQ(ip->protocol, 6);
  EXPECT_EQ(ip->header_length, 20u);
  EXPECT_EQ(ip->total_length, 40u);
  EXPECT_EQ(ip->source_port, 40000);
  EXPECT_EQ(ip->destination_port, 80);
  ip = ParseIpHeader(kIcmp4Probe);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->source_port, 0xbeef);  // the echo identifier
  EXPECT_EQ(ip->destination_port, 0);
  // A stated length beyond the buffer is bounded by it; one below the header is an error.
  std::vector<uint8_t> packet = Bytes(kTcp4Probe);
  packet[3] = 200;
  ip = ParseIpHeader(packet);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->total_length, 40u);
  packet[3] = 19;
  EXPECT_FALSE(ParseIpHeader(packet).ok());
  EXPECT_FALSE(ParseIpHeader(std::vector<uint8_t>{0x55, 0, 0, 0}).ok());
  EXPECT_FALSE(ParseIpHeader(std::vector<uint8_t>{}).ok());
}

TEST(PacketIpHeaderTest, WalksIpv6ExtensionHeaders) {
  std::vector<uint8_t> udp6 = Bytes(kUdp6Probe);
  const std::vector<uint8_t> fixed(udp6.begin(), udp6.begin() + 40);
  const std::vector<uint8_t> udp(udp6.begin() + 40, udp6.end());
  const std::vector<uint8_t> extensions = {
      43, 0, 0, 0, 0, 0, 0,    0,     // hop-by-hop (8 bytes), next: routing
      44, 1, 0, 0, 0, 0, 0,    0,     // routing (16 bytes), next: fragment
      0,  0, 0, 0, 0, 0, 0,    0,     //
      60, 0, 0, 0, 0, 0, 0x12, 0x34,  // fragment, offset 0, next: destination options
      17, 0, 1, 4, 0, 0, 0,    0};    // destination options (8 bytes), next: UDP
  std::vector<uint8_t> packet = Concat({fixed, extensions, udp});
  packet[4] = 0;
  packet[5] = static_cast<uint8_t>(extensions.size() + udp.size());
  packet[6] = 0;  // hop-by-hop first
  absl::StatusOr<IpHeaderView> ip = ParseIpHeader(packet);
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_EQ(ip->family, IpFamily::kV6);
  EXPECT_EQ(ip->protocol, 17);
  EXPECT_EQ(ip->header_length, 40u + 40u);
  EXPECT_EQ(ip->total_length, packet.size());
  EXPECT_EQ(ip->ttl, 2);
  EXPECT_EQ(ip->source_port, 33001);
  EXPECT_EQ(ip->destination_port, 33435);
  // A fragment is not a reply we parse.
  EXPECT_FALSE(ParseIpv6Packet(packet).ok());
  // A later fragment has no ports.
  std::vector<uint8_t> later = packet;
  later[40 + 24 + 3] = 0x08;  // offset 1 (8 bytes)
  ip = ParseIpHeader(later);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->source_port, 0);
  // Cut inside the extension headers: an error.
  std::vector<uint8_t> cut(packet.begin(), packet.begin() + 40 + 20);
  EXPECT_FALSE(ParseIpHeader(cut).ok());
  // A payload length that ends inside the routing header: an error too.
  packet[5] = 12;
  EXPECT_FALSE(ParseIpHeader(packet).ok());
}

}  // namespace
}  // namespace pathpair::packet

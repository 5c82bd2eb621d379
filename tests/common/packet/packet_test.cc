// Golden-byte, round-trip and rejection tests for the packet codec.
//
// The expected bytes below were computed independently of the codec, with python3 `struct`
// arithmetic (header fields packed one by one, checksums summed with RFC 1071) by
// golden_packets.py, and pasted here. kernel_check.py (ctest label `root`) shows that the Linux
// kernel accepts the same bytes.
#include "common/packet/packet.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::packet {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Probes (whole IP packets). Fields are those of the specs in the tests that build them.
constexpr uint8_t kIcmp4Probe[] = {
    0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00, 0x05, 0x01, 0x3d, 0x67,
    0xc6, 0x33, 0x64, 0x01, 0xcb, 0x00, 0x71, 0x09, 0x08, 0x00, 0x8a, 0x5a,
    0xbe, 0xef, 0x00, 0x07, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};

constexpr uint8_t kUdp4Probe[] = {
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x03, 0x11, 0x51, 0x87, 0xc6, 0x33,
    0x64, 0x01, 0xcb, 0x00, 0x71, 0x09, 0x80, 0xe8, 0x82, 0x9a, 0x00, 0x14, 0x10, 0x01,
    0x86, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

constexpr uint8_t kTcp4Probe[] = {
    0x45, 0x10, 0x00, 0x28, 0x43, 0x21, 0x00, 0x00, 0x09, 0x06, 0x08, 0x61, 0xc6, 0x33,
    0x64, 0x01, 0xcb, 0x00, 0x71, 0x09, 0x9c, 0x40, 0x00, 0x50, 0xab, 0xcd, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x01, 0x41, 0x00, 0x00,
};

constexpr uint8_t kIcmp6Probe[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x3a, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x80, 0x00,
    0xbd, 0xcf, 0x11, 0x11, 0x00, 0x02, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
};

constexpr uint8_t kUdp6Probe[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x09, 0x80, 0xe9, 0x82, 0x9b, 0x00, 0x0c, 0x22, 0x22, 0x5e, 0x92, 0x20, 0x20,
};

constexpr uint8_t kTcp6Probe[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x9c, 0x41, 0x01, 0xbb, 0x00,
    0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0xb6, 0x5f, 0x00, 0x00,
};

constexpr uint8_t kTimeExceeded4Mpls[] = {
    0x45, 0x00, 0x00, 0xa8, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01, 0x65, 0xee, 0xc6, 0x33, 0x64, 0xfe,
    0xc6, 0x33, 0x64, 0x01, 0x0b, 0x00, 0x5b, 0x44, 0x00, 0x20, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
    0x00, 0x00, 0x00, 0x00, 0x03, 0x11, 0x51, 0x87, 0xc6, 0x33, 0x64, 0x01, 0xcb, 0x00, 0x71, 0x09,
    0x80, 0xe8, 0x82, 0x9a, 0x00, 0x14, 0x10, 0x01, 0x86, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x8a, 0x0d,
    0x00, 0x08, 0x01, 0x01, 0x03, 0xe8, 0x51, 0x01,
};

constexpr uint8_t kPortUnreachable6[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x32, 0x17, 0x00,
    0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x02, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d,
    0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x80, 0xe9,
    0x82, 0x9b, 0x00, 0x0c, 0x22, 0x22, 0x5e, 0x92, 0x20, 0x20,
};

constexpr uint8_t kTimeExceeded6Mpls[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x98, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0xf5, 0xf1, 0x10, 0x00, 0x00, 0x00,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x3a, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x80, 0x00, 0xbd, 0xcf, 0x11, 0x11, 0x00, 0x02,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x8d, 0x17, 0x00, 0x0c, 0x01, 0x01, 0x05, 0xdc, 0x1a, 0xfe, 0x00, 0x00, 0x31, 0x01,
};

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

const IpAddress kSource4 = Ip("198.51.100.1");
const IpAddress kTarget4 = Ip("203.0.113.9");
const IpAddress kRouter4 = Ip("198.51.100.254");
const IpAddress kSource6 = Ip("2001:db8::1");
const IpAddress kTarget6 = Ip("2001:db8:1::9");
const IpAddress kRouter6 = Ip("2001:db8::fe");

std::vector<uint8_t> Bytes(std::span<const uint8_t> span) { return {span.begin(), span.end()}; }

std::vector<uint8_t> BuildProbe(const ProbeSpec& spec) {
  std::vector<uint8_t> buffer(kMaxPacketSize);
  absl::StatusOr<size_t> size = BuildProbePacket(spec, buffer);
  EXPECT_TRUE(size.ok()) << size.status();
  buffer.resize(size.value_or(0));
  return buffer;
}

std::vector<uint8_t> BuildError(const IcmpErrorSpec& spec, std::span<const uint8_t> offending) {
  std::vector<uint8_t> buffer(kMaxPacketSize);
  absl::StatusOr<size_t> size = BuildIcmpErrorPacket(spec, offending, buffer);
  EXPECT_TRUE(size.ok()) << size.status();
  buffer.resize(size.value_or(0));
  return buffer;
}

ProbeSpec Icmp4Spec() {
  return {.protocol = ProbeProtocol::kIcmp,
          .source = kSource4,
          .destination = kTarget4,
          .ttl = 5,
          .ip_id = 0x1234,
          .icmp_id = 0xbeef,
          .sequence = 7,
          .packet_size = 36,
          .fill = 0xab};
}
ProbeSpec Udp4Spec() {
  return {.protocol = ProbeProtocol::kUdp,
          .source = kSource4,
          .destination = kTarget4,
          .ttl = 3,
          .sequence = 0x1001,
          .source_port = 33000,
          .destination_port = 33434,
          .packet_size = 40};
}
ProbeSpec Tcp4Spec() {
  return {.protocol = ProbeProtocol::kTcp,
          .source = kSource4,
          .destination = kTarget4,
          .ttl = 9,
          .tos = 0x10,
          .ip_id = 0x4321,
          .sequence = 5,
          .tcp_sequence_high = 0xabcd,
          .source_port = 40000,
          .destination_port = 80};
}
ProbeSpec Icmp6Spec() {
  return {.protocol = ProbeProtocol::kIcmp,
          .source = kSource6,
          .destination = kTarget6,
          .ttl = 4,
          .icmp_id = 0x1111,
          .sequence = 2,
          .packet_size = 56,
          .fill = 0x55};
}
ProbeSpec Udp6Spec() {
  return {.protocol = ProbeProtocol::kUdp,
          .source = kSource6,
          .destination = kTarget6,
          .ttl = 2,
          .sequence = 0x2222,
          .source_port = 33001,
          .destination_port = 33435,
          .packet_size = 52,
          .fill = 0x20};
}
ProbeSpec Tcp6Spec() {
  return {.protocol = ProbeProtocol::kTcp,
          .source = kSource6,
          .destination = kTarget6,
          .ttl = 7,
          .sequence = 9,
          .tcp_sequence_high = 1,
          .source_port = 40001,
          .destination_port = 443};
}

// Sums the transport part of a whole packet with its pseudo-header: 0 when the checksum holds.
uint16_t TransportChecksum(std::span<const uint8_t> packet) {
  absl::StatusOr<IpHeaderView> ip = ParseIpHeader(packet);
  EXPECT_TRUE(ip.ok());
  std::span<const uint8_t> transport = packet.subspan(ip->header_length);
  const bool icmpv4 = ip->protocol == 1;
  return InternetChecksum(transport,
                          icmpv4 ? 0
                                 : PseudoHeaderSum(ip->source, ip->destination, ip->protocol,
                                                   static_cast<uint32_t>(transport.size())));
}

TEST(PacketChecksumTest, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(data), 0x220d);
  // An odd trailing byte is padded with zero.
  const uint8_t odd[] = {0x01};
  EXPECT_EQ(InternetChecksum(odd), 0xfeff);
}

struct GoldenProbe {
  const char* name;
  ProbeSpec spec;
  std::span<const uint8_t> expected;
};

std::vector<GoldenProbe> GoldenProbes() {
  return {{"icmp4", Icmp4Spec(), kIcmp4Probe}, {"udp4", Udp4Spec(), kUdp4Probe},
          {"tcp4", Tcp4Spec(), kTcp4Probe},    {"icmp6", Icmp6Spec(), kIcmp6Probe},
          {"udp6", Udp6Spec(), kUdp6Probe},    {"tcp6", Tcp6Spec(), kTcp6Probe}};
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

struct GoldenError {
  const char* name;
  IcmpErrorSpec spec;
  std::span<const uint8_t> offending;
  std::span<const uint8_t> expected;
};

TEST(PacketBuildIcmpErrorTest, MatchesGoldenBytes) {
  const std::vector<GoldenError> goldens = {
      {"time exceeded v4 + MPLS",
       {.source = kRouter4,
        .ttl = 255,
        .mpls = {{.label = 16005, .bottom_of_stack = true, .ttl = 1}}},
       kUdp4Probe,
       kTimeExceeded4Mpls},
      {"port unreachable v6",
       {.kind = IcmpErrorKind::kDestinationUnreachable, .code = 4, .source = kTarget6},
       kUdp6Probe,
       kPortUnreachable6},
      {"time exceeded v6 + MPLS",
       {.source = kRouter6,
        .mpls = {{.label = 24001, .traffic_class = 5, .ttl = 254},
                 {.label = 3, .bottom_of_stack = true, .ttl = 1}}},
       kIcmp6Probe,
       kTimeExceeded6Mpls},
  };
  for (const GoldenError& golden : goldens) {
    SCOPED_TRACE(golden.name);
    const std::vector<uint8_t> packet = BuildError(golden.spec, golden.offending);
    EXPECT_THAT(packet, ElementsAreArray(golden.expected));
    EXPECT_EQ(TransportChecksum(packet), 0);
  }
}

TEST(PacketBuildIcmpErrorTest, QuotesAsMuchAsFitsWithoutExtension) {
  ProbeSpec probe = Udp4Spec();
  probe.packet_size = 1000;
  const std::vector<uint8_t> big4 = BuildProbe(probe);
  EXPECT_EQ(BuildError({.source = kRouter4}, big4).size(), 576u);
  probe.source = kSource6;
  probe.destination = kTarget6;
  probe.packet_size = 1400;
  EXPECT_EQ(BuildError({.source = kRouter6}, BuildProbe(probe)).size(), 1280u);
  // A short packet is quoted whole and not padded.
  EXPECT_EQ(BuildError({.source = kRouter4}, kUdp4Probe).size(), 20u + 8u + 40u);
  // With labels, a long quote is cut to 128 bytes.
  EXPECT_EQ(BuildError({.source = kRouter4, .mpls = {{.label = 1}}}, big4).size(),
            20u + 8u + 128u + 4u + 4u + 4u);
}

TEST(PacketBuildIcmpErrorTest, RejectsBadInput) {
  std::vector<uint8_t> out(1500);
  EXPECT_FALSE(BuildIcmpErrorPacket({.source = kRouter6}, kUdp4Probe, out).ok());  // family
  EXPECT_FALSE(
      BuildIcmpErrorPacket({.source = kRouter4}, std::span(kUdp4Probe).first(19), out).ok());
  EXPECT_FALSE(
      BuildIcmpErrorPacket({.source = kRouter4, .mpls = {{.label = 1 << 20}}}, kUdp4Probe, out)
          .ok());
  EXPECT_FALSE(
      BuildIcmpErrorPacket({.source = kRouter4}, kUdp4Probe, std::span(out).first(67)).ok());
  EXPECT_TRUE(
      BuildIcmpErrorPacket({.source = kRouter4}, kUdp4Probe, std::span(out).first(68)).ok());
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

TEST(PacketParseTest, LongQuoteWithoutExtensionHasNoLabels) {
  ProbeSpec probe = Udp4Spec();
  probe.packet_size = 400;
  probe.fill = 0x20;  // would look like an extension version if only the nibble were checked
  absl::StatusOr<ParsedReply> reply =
      ParseIpv4Packet(BuildError({.source = kRouter4}, BuildProbe(probe)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->mpls.empty());
  EXPECT_EQ(reply->quote->udp_checksum, probe.sequence);
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

ProbeSpec SpecFor(ProbeProtocol protocol, IpFamily family) {
  ProbeSpec spec;
  switch (protocol) {
    case ProbeProtocol::kIcmp:
      spec = Icmp4Spec();
      break;
    case ProbeProtocol::kUdp:
      spec = Udp4Spec();
      break;
    case ProbeProtocol::kTcp:
      spec = Tcp4Spec();
      break;
  }
  if (family == IpFamily::kV6) {
    spec.source = kSource6;
    spec.destination = kTarget6;
  }
  return spec;
}

void ExpectQuoteMatches(const QuotedProbe& quote, const ProbeSpec& spec) {
  EXPECT_EQ(quote.protocol, spec.protocol);
  EXPECT_EQ(quote.source, spec.source);
  EXPECT_EQ(quote.destination, spec.destination);
  EXPECT_EQ(quote.ttl, spec.ttl);
  switch (spec.protocol) {
    case ProbeProtocol::kIcmp:
      EXPECT_EQ(quote.icmp_id, spec.icmp_id);
      EXPECT_EQ(quote.icmp_sequence, spec.sequence);
      break;
    case ProbeProtocol::kUdp:
      EXPECT_EQ(quote.source_port, spec.source_port);
      EXPECT_EQ(quote.destination_port, spec.destination_port);
      EXPECT_EQ(quote.udp_checksum, spec.sequence);
      break;
    case ProbeProtocol::kTcp:
      EXPECT_EQ(quote.source_port, spec.source_port);
      EXPECT_EQ(quote.destination_port, spec.destination_port);
      EXPECT_EQ(quote.tcp_sequence, (uint32_t{spec.tcp_sequence_high} << 16) | spec.sequence);
      break;
  }
}

absl::StatusOr<ParsedReply> ParseAny(std::span<const uint8_t> packet) {
  if (!packet.empty() && (packet[0] >> 4) == 6) return ParseIpv6Packet(packet);
  return ParseIpv4Packet(packet);
}

TEST(PacketRoundTripTest, EveryProtocolFamilyAndErrorQuotesTheProbe) {
  const std::vector<MplsLabel> stack = {{.label = 100, .traffic_class = 1, .ttl = 9},
                                        {.label = 0xfffff, .bottom_of_stack = true, .ttl = 1}};
  for (const ProbeProtocol protocol :
       {ProbeProtocol::kIcmp, ProbeProtocol::kUdp, ProbeProtocol::kTcp}) {
    for (const IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
      for (const bool with_labels : {false, true}) {
        for (const size_t size : {size_t{0}, size_t{100}, size_t{1400}}) {
          SCOPED_TRACE(testing::Message() << "protocol " << static_cast<int>(protocol) << " family "
                                          << static_cast<int>(family) << " labels " << with_labels
                                          << " size " << size);
          ProbeSpec spec = SpecFor(protocol, family);
          spec.packet_size = size;
          const IcmpErrorSpec error{.source = family == IpFamily::kV4 ? kRouter4 : kRouter6,
                                    .mpls = with_labels ? stack : std::vector<MplsLabel>{}};
          const std::vector<uint8_t> packet = BuildError(error, BuildProbe(spec));
          EXPECT_EQ(TransportChecksum(packet), 0);
          absl::StatusOr<ParsedReply> reply = ParseAny(packet);
          ASSERT_TRUE(reply.ok()) << reply.status();
          EXPECT_EQ(reply->kind, ReplyKind::kTimeExceeded);
          EXPECT_EQ(reply->responder, error.source);
          EXPECT_EQ(reply->destination, spec.source);
          EXPECT_EQ(reply->mpls, error.mpls);
          ASSERT_TRUE(reply->quote.has_value());
          ExpectQuoteMatches(*reply->quote, spec);
        }
      }
    }
  }
}

TEST(PacketRoundTripTest, EveryDestinationUnreachableCode) {
  for (const IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    const ProbeSpec spec = SpecFor(ProbeProtocol::kUdp, family);
    const std::vector<uint8_t> probe = BuildProbe(spec);
    const int codes = family == IpFamily::kV4 ? 16 : 8;
    for (int code = 0; code < codes; ++code) {
      const IcmpErrorSpec error{.kind = IcmpErrorKind::kDestinationUnreachable,
                                .code = static_cast<uint8_t>(code),
                                .source = spec.destination};
      absl::StatusOr<ParsedReply> reply = ParseAny(BuildError(error, probe));
      ASSERT_TRUE(reply.ok()) << reply.status();
      EXPECT_EQ(reply->kind, ReplyKind::kDestinationUnreachable);
      EXPECT_EQ(reply->icmp_type, family == IpFamily::kV4 ? 3 : 1);
      EXPECT_EQ(reply->icmp_code, code);
      ExpectQuoteMatches(*reply->quote, spec);
    }
  }
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
  // A quote too short for 8 transport bytes (no extension: the whole body is the quote).
  const std::vector<uint8_t> short_quote = BuildError({.source = kRouter4}, kUdp4Probe);
  std::vector<uint8_t> cut(short_quote.begin(), short_quote.begin() + 20 + 8 + 27);
  cut[3] = static_cast<uint8_t>(cut.size());
  EXPECT_FALSE(ParseIpv4Packet(cut).ok());
  cut = {short_quote.begin(), short_quote.begin() + 20 + 8 + 28};
  cut[3] = static_cast<uint8_t>(cut.size());
  EXPECT_TRUE(ParseIpv4Packet(cut).ok());
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
      std::vector<uint8_t> copy = prefix;
      (void)DecrementTtl(copy);
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
  std::mt19937 random(12345);
  std::vector<uint8_t> packet;
  for (int round = 0; round < 20000; ++round) {
    packet.resize(random() % 200);
    for (uint8_t& byte : packet) byte = static_cast<uint8_t>(random());
    if (!packet.empty() && round % 2 == 0) packet[0] = (round % 4 == 0) ? 0x45 : 0x60;
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
    (void)DecrementTtl(packet);
  }
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

TEST(PacketDecrementTtlTest, Ipv4ChecksumStaysValid) {
  std::vector<uint8_t> packet = Bytes(kTcp4Probe);
  for (int expected = 8; expected >= 0; --expected) {
    absl::StatusOr<uint8_t> ttl = DecrementTtl(packet);
    ASSERT_TRUE(ttl.ok()) << ttl.status();
    EXPECT_EQ(*ttl, expected);
    EXPECT_EQ(packet[8], expected);
    EXPECT_EQ(InternetChecksum(std::span(packet).first(20)), 0);
  }
  EXPECT_FALSE(DecrementTtl(packet).ok());
  // Across every TTL and a header whose checksum passes through 0x0000/0xffff.
  ProbeSpec spec = Icmp4Spec();
  for (int ttl = 1; ttl < 256; ++ttl) {
    for (uint32_t ip_id = 0; ip_id < 0x10000; ip_id += 0x1111) {
      spec.ttl = static_cast<uint8_t>(ttl);
      spec.ip_id = static_cast<uint16_t>(ip_id);
      std::vector<uint8_t> incremental = BuildProbe(spec);
      ASSERT_TRUE(DecrementTtl(incremental).ok());
      spec.ttl = static_cast<uint8_t>(ttl - 1);
      EXPECT_EQ(incremental, BuildProbe(spec)) << ttl << " " << ip_id;
    }
  }
}

TEST(PacketDecrementTtlTest, Ipv6HopLimit) {
  std::vector<uint8_t> packet = Bytes(kUdp6Probe);
  ASSERT_EQ(DecrementTtl(packet).value_or(99), 1);
  ASSERT_EQ(DecrementTtl(packet).value_or(99), 0);
  EXPECT_FALSE(DecrementTtl(packet).ok());
  std::vector<uint8_t> garbage = {0x12, 0x34};
  EXPECT_FALSE(DecrementTtl(garbage).ok());
}

}  // namespace
}  // namespace pathpair::packet

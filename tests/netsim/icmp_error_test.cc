// The emulator's ICMP error builder and TTL decrement (tests/netsim/icmp_error.h), moved here
// with them from the codec's tests: golden bytes, quoting limits, bad input, and round trips
// through the codec's parsers for every protocol, family and Destination Unreachable code.
#include "tests/netsim/icmp_error.h"

#include <algorithm>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/packet/packet_test_data.h"

namespace pathpair::packet {
namespace {

using netsim::BuildEchoReplyPacket;
using netsim::BuildIcmpErrorPacket;
using netsim::DecrementTtl;
using netsim::IcmpErrorKind;
using netsim::IcmpErrorSpec;
using ::testing::ElementsAreArray;

std::vector<uint8_t> BuildError(const IcmpErrorSpec& spec, std::span<const uint8_t> offending) {
  std::vector<uint8_t> buffer(kMaxPacketSize);
  absl::StatusOr<size_t> size = BuildIcmpErrorPacket(spec, offending, buffer);
  EXPECT_TRUE(size.ok()) << size.status();
  buffer.resize(size.value_or(0));
  return buffer;
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

TEST(PacketRoundTripTest, LongQuoteWithoutExtensionHasNoLabels) {
  ProbeSpec probe = Udp4Spec();
  probe.packet_size = 400;
  probe.fill = 0x20;  // would look like an extension version if only the nibble were checked
  absl::StatusOr<ParsedReply> reply =
      ParseIpv4Packet(BuildError({.source = kRouter4}, BuildProbe(probe)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->mpls.empty());
  EXPECT_EQ(reply->quote->udp_checksum, probe.sequence);
}

TEST(PacketRoundTripTest, ShortQuotesAreRejected) {
  // A quote too short for 8 transport bytes (no extension: the whole body is the quote).
  const std::vector<uint8_t> short_quote = BuildError({.source = kRouter4}, kUdp4Probe);
  std::vector<uint8_t> cut(short_quote.begin(), short_quote.begin() + 20 + 8 + 27);
  cut[3] = static_cast<uint8_t>(cut.size());
  EXPECT_FALSE(ParseIpv4Packet(cut).ok());
  cut = {short_quote.begin(), short_quote.begin() + 20 + 8 + 28};
  cut[3] = static_cast<uint8_t>(cut.size());
  EXPECT_TRUE(ParseIpv4Packet(cut).ok());
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

// Every prefix of a valid packet, each in a buffer of exactly its size (so that ASan would notice
// a read past it), and random garbage: DecrementTtl fails or succeeds, never crashes.
// A router's echo reply: from the address asked, to the requester, identifier, sequence and data
// echoed, a valid checksum; the codec reads it as the answer to the request.
TEST(PacketBuildEchoReplyTest, AnswersTheRequestInBothFamilies) {
  for (const IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    SCOPED_TRACE(static_cast<int>(family));
    ProbeSpec spec = SpecFor(ProbeProtocol::kIcmp, family);
    spec.packet_size = 100;
    const std::vector<uint8_t> request = BuildProbe(spec);
    const IpAddress from = family == IpFamily::kV4 ? kRouter4 : kRouter6;
    std::vector<uint8_t> reply(kMaxPacketSize);
    absl::StatusOr<size_t> size = BuildEchoReplyPacket(from, 61, request, reply);
    ASSERT_TRUE(size.ok()) << size.status();
    reply.resize(*size);
    EXPECT_EQ(reply.size(), request.size());
    EXPECT_EQ(TransportChecksum(reply), 0);
    absl::StatusOr<IpHeaderView> ip = ParseIpHeader(reply);
    ASSERT_TRUE(ip.ok());
    EXPECT_EQ(ip->ttl, 61);
    absl::StatusOr<ParsedReply> parsed = ParseAny(reply);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->kind, ReplyKind::kEchoReply);
    EXPECT_EQ(parsed->responder, from);
    EXPECT_EQ(parsed->destination, spec.source);
    EXPECT_EQ(parsed->echo_id, spec.icmp_id);
    EXPECT_EQ(parsed->echo_sequence, spec.sequence);
    // The data after the ICMP header is the request's.
    EXPECT_TRUE(std::equal(reply.begin() + ip->header_length + 8, reply.end(),
                           request.begin() + ip->header_length + 8));
  }
  // Not an echo request, the wrong family, a short buffer.
  std::vector<uint8_t> out(kMaxPacketSize);
  EXPECT_FALSE(BuildEchoReplyPacket(kRouter4, 64, Bytes(kUdp4Probe), out).ok());
  EXPECT_FALSE(BuildEchoReplyPacket(kRouter6, 64, Bytes(kIcmp4Probe), out).ok());
  std::vector<uint8_t> small(20);
  EXPECT_FALSE(BuildEchoReplyPacket(kRouter4, 64, Bytes(kIcmp4Probe), small).ok());
  for (size_t n = 0; n < sizeof(kIcmp4Probe); ++n) {  // truncated: an error, never a crash
    (void)BuildEchoReplyPacket(kRouter4, 64, std::span(kIcmp4Probe, n), out);
  }
}

TEST(PacketDecrementTtlTest, TruncatedPacketsAndGarbageNeverCrash) {
  std::vector<std::vector<uint8_t>> packets = {Bytes(kTimeExceeded4Mpls), Bytes(kPortUnreachable6),
                                               Bytes(kTimeExceeded6Mpls)};
  for (const GoldenProbe& golden : GoldenProbes()) packets.push_back(Bytes(golden.expected));
  for (const std::vector<uint8_t>& full : packets) {
    for (size_t length = 0; length < full.size(); ++length) {
      std::vector<uint8_t> prefix(full.begin(), full.begin() + length);
      (void)DecrementTtl(prefix);
    }
  }
  ForEachGarbagePacket([](std::vector<uint8_t>& packet) { (void)DecrementTtl(packet); });
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

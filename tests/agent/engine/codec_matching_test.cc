// Matching against the real packet codec: probes built from a trace's identity, the ICMP errors
// and target replies a path would send back, parsed as the prober parses them, must match the
// probe's sequence; and random bytes through the parser never reach or crash the matcher.
#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "agent/engine/probe_matcher.h"
#include "common/packet/packet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/netsim/icmp_error.h"

namespace pathpair::engine {
namespace {

using packet::ParsedReply;
using packet::ProbeProtocol;
using ::testing::Optional;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

struct Family {
  IpAddress source, target, router;
};
const Family kV4{Addr("198.51.100.1"), Addr("203.0.113.9"), Addr("198.51.100.254")};
const Family kV6{Addr("2001:db8::1"), Addr("2001:db8:9::9"), Addr("2001:db8::fe")};

absl::StatusOr<ParsedReply> Parse(std::span<const uint8_t> bytes, bool v6) {
  return v6 ? packet::ParseIpv6Packet(bytes) : packet::ParseIpv4Packet(bytes);
}

std::vector<uint8_t> BuildProbe(const ProbeIdentity& identity, const IpAddress& source,
                                Sequence sequence, Ttl ttl) {
  packet::ProbeSpec spec;
  spec.source = source;
  spec.packet_size = 64;
  FillProbeSpec(identity, sequence, ttl, &spec);
  std::vector<uint8_t> out(1500);
  absl::StatusOr<size_t> n = packet::BuildProbePacket(spec, out);
  EXPECT_TRUE(n.ok()) << n.status();
  out.resize(n.ok() ? *n : 0);
  return out;
}

std::vector<uint8_t> BuildError(netsim::IcmpErrorKind kind, uint8_t code, const IpAddress& from,
                                const std::vector<uint8_t>& offending) {
  netsim::IcmpErrorSpec spec;
  spec.kind = kind;
  spec.code = code;
  spec.source = from;
  spec.mpls = {packet::MplsLabel{.label = 24000, .bottom_of_stack = true, .ttl = 1}};
  std::vector<uint8_t> out(1500);
  absl::StatusOr<size_t> n = netsim::BuildIcmpErrorPacket(spec, offending, out);
  EXPECT_TRUE(n.ok()) << n.status();
  out.resize(n.ok() ? *n : 0);
  return out;
}

class CodecMatchingTest : public ::testing::TestWithParam<std::tuple<ProbeProtocol, bool>> {};

TEST_P(CodecMatchingTest, TimeExceededQuoteMatchesTheProbe) {
  const auto [protocol, v6] = GetParam();
  const Family& f = v6 ? kV6 : kV4;
  TraceRegistry registry;
  auto reg =
      registry.Register({.protocol = protocol, .target = f.target, .destination_port = 33434});
  ASSERT_TRUE(reg.ok());
  for (uint16_t seq : {uint16_t{1}, uint16_t{0x1234}, uint16_t{0x8000}, uint16_t{0xfffe}}) {
    const std::vector<uint8_t> probe = BuildProbe(reg->identity, f.source, Sequence(seq), Ttl(3));
    const std::vector<uint8_t> error =
        BuildError(netsim::IcmpErrorKind::kTimeExceeded, 0, f.router, probe);
    absl::StatusOr<ParsedReply> reply = Parse(error, v6);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_THAT(MatchReply(reg->identity, *reply), Optional(Sequence(seq)));
    auto route = registry.RouteReply(*reply);
    ASSERT_TRUE(route.has_value());
    EXPECT_EQ(route->trace, reg->trace);
    EXPECT_EQ(route->sequence, Sequence(seq));
    EXPECT_FALSE(reply->mpls.empty());
  }
}

TEST_P(CodecMatchingTest, AnotherTracesProbeDoesNotMatch) {
  const auto [protocol, v6] = GetParam();
  const Family& f = v6 ? kV6 : kV4;
  TraceRegistry registry;
  auto ours =
      registry.Register({.protocol = protocol, .target = f.target, .destination_port = 33434});
  auto theirs =
      registry.Register({.protocol = protocol, .target = f.target, .destination_port = 33434});
  ASSERT_TRUE(ours.ok() && theirs.ok());
  const std::vector<uint8_t> probe = BuildProbe(theirs->identity, f.source, Sequence(77), Ttl(2));
  absl::StatusOr<ParsedReply> reply =
      Parse(BuildError(netsim::IcmpErrorKind::kTimeExceeded, 0, f.router, probe), v6);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(MatchReply(ours->identity, *reply), std::nullopt);
  EXPECT_EQ(registry.RouteReply(*reply)->trace, theirs->trace);
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, CodecMatchingTest,
                         ::testing::Combine(::testing::Values(ProbeProtocol::kIcmp,
                                                              ProbeProtocol::kUdp,
                                                              ProbeProtocol::kTcp),
                                            ::testing::Bool()));

TEST(CodecTargetReplyTest, UdpPortUnreachableFromTarget) {
  for (bool v6 : {false, true}) {
    const Family& f = v6 ? kV6 : kV4;
    ProbeIdentity id{.protocol = ProbeProtocol::kUdp,
                     .target = f.target,
                     .source_port = 45000,
                     .destination_port = 33434};
    const std::vector<uint8_t> probe = BuildProbe(id, f.source, Sequence(0x4321), Ttl(9));
    absl::StatusOr<ParsedReply> reply = Parse(
        BuildError(netsim::IcmpErrorKind::kDestinationUnreachable, v6 ? 4 : 3, f.target, probe),
        v6);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_THAT(MatchReply(id, *reply), Optional(Sequence(0x4321)));
    EXPECT_TRUE(IsFromTarget(id, *reply));
  }
}

// An IPv4 echo reply made from the probe itself: addresses swapped, type 8 -> 0 (the parser
// checks no checksums).
TEST(CodecTargetReplyTest, Ipv4EchoReply) {
  ProbeIdentity id{.protocol = ProbeProtocol::kIcmp, .target = kV4.target, .icmp_id = 0x7777};
  std::vector<uint8_t> packet = BuildProbe(id, kV4.source, Sequence(0x0102), Ttl(64));
  ASSERT_GE(packet.size(), 28u);
  std::swap_ranges(packet.begin() + 12, packet.begin() + 16, packet.begin() + 16);
  packet[20] = 0;
  absl::StatusOr<ParsedReply> reply = packet::ParseIpv4Packet(packet);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(MatchReply(id, *reply), Optional(Sequence(0x0102)));
}

// An IPv4 SYN-ACK made from the TCP probe: addresses and ports swapped, ack = seq + 1.
TEST(CodecTargetReplyTest, Ipv4TcpSynAck) {
  ProbeIdentity id{.protocol = ProbeProtocol::kTcp,
                   .target = kV4.target,
                   .source_port = 45001,
                   .destination_port = 443,
                   .tcp_sequence_high = 0x5a5a};
  std::vector<uint8_t> packet = BuildProbe(id, kV4.source, Sequence(0xfffe), Ttl(64));
  ASSERT_GE(packet.size(), 40u);
  std::swap_ranges(packet.begin() + 12, packet.begin() + 16, packet.begin() + 16);
  std::swap_ranges(packet.begin() + 20, packet.begin() + 22, packet.begin() + 22);
  const uint32_t ack = 0x5a5afffeu + 1;
  packet[28] = static_cast<uint8_t>(ack >> 24);
  packet[29] = static_cast<uint8_t>(ack >> 16);
  packet[30] = static_cast<uint8_t>(ack >> 8);
  packet[31] = static_cast<uint8_t>(ack);
  packet[33] = 0x12;  // SYN | ACK
  absl::StatusOr<ParsedReply> reply = packet::ParseIpv4Packet(packet);
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->kind, packet::ReplyKind::kTcpSynAck);
  EXPECT_THAT(MatchReply(id, *reply), Optional(Sequence(0xfffe)));
}

TEST(CodecHostileInputTest, RandomAndMutatedPacketsNeverMisroute) {
  TraceRegistry registry;
  auto reg = registry.Register(
      {.protocol = ProbeProtocol::kUdp, .target = kV4.target, .destination_port = 33434});
  ASSERT_TRUE(reg.ok());
  const std::vector<uint8_t> probe = BuildProbe(reg->identity, kV4.source, Sequence(5), Ttl(2));
  const std::vector<uint8_t> valid =
      BuildError(netsim::IcmpErrorKind::kTimeExceeded, 0, kV4.router, probe);
  std::mt19937 rng(1);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes = valid;
    if (i % 2 == 0) {
      // Flip a few bytes anywhere in the reply, or truncate it.
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    } else {
      bytes.resize(rng() % 200);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    }
    absl::StatusOr<ParsedReply> reply = packet::ParseIpv4Packet(bytes);
    if (!reply.ok()) continue;
    ++parsed;
    // Whatever survives parsing either matches our exact identity or is dropped.
    if (auto route = registry.RouteReply(*reply)) {
      ASSERT_TRUE(reply->quote.has_value());
      EXPECT_EQ(reply->quote->destination, kV4.target);
      EXPECT_EQ(reply->quote->source_port, reg->identity.source_port);
      EXPECT_EQ(reply->quote->destination_port, reg->identity.destination_port);
      EXPECT_EQ(route->sequence.value(), reply->quote->udp_checksum);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace pathpair::engine

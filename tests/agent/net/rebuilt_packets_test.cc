#include "agent/net/rebuilt_packets.h"

#include <vector>

#include "common/packet/packet.h"
#include "gtest/gtest.h"
#include "tests/agent/net/echo_request.h"

namespace pathpair::net {
namespace {

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

TEST(RebuiltPacketsTest, Ipv4EchoReplyParses) {
  std::vector<uint8_t> echo = EchoRequest(Addr("198.51.100.1"), Addr("203.0.113.2"), 0x1234, 7);
  // Turn the request into the reply the target sends: type 0, checksum adjusted.
  echo[0] = 0;
  const uint32_t sum = ((echo[2] << 8) | echo[3]) + 0x0800;
  const uint16_t folded = static_cast<uint16_t>((sum & 0xffff) + (sum >> 16));
  echo[2] = static_cast<uint8_t>(folded >> 8);
  echo[3] = static_cast<uint8_t>(folded);
  const std::vector<uint8_t> rebuilt =
      RebuildIpv4Packet(Addr("203.0.113.2"), Addr("198.51.100.1"), echo);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(rebuilt);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kEchoReply);
  EXPECT_EQ(reply->responder, Addr("203.0.113.2"));
  EXPECT_EQ(reply->echo_id, 0x1234);
  EXPECT_EQ(reply->echo_sequence, 7);
}

TEST(RebuiltPacketsTest, Ipv4TimeExceededQuotesTheProbe) {
  // A router quotes the IP header and the first 8 bytes (the echo header) at least.
  const std::vector<uint8_t> echo =
      EchoRequest(Addr("198.51.100.1"), Addr("203.0.113.2"), 0x4321, 9);
  const std::vector<uint8_t> rebuilt =
      RebuildIpv4IcmpError(11, 0, Addr("198.51.100.2"), Addr("198.51.100.1"), Addr("203.0.113.2"),
                           std::span<const uint8_t>(echo).first(8));
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(rebuilt);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder, Addr("198.51.100.2"));
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->destination, Addr("203.0.113.2"));
  EXPECT_EQ(reply->quote->icmp_id, 0x4321);
  EXPECT_EQ(reply->quote->icmp_sequence, 9);
}

TEST(RebuiltPacketsTest, Ipv4UnreachableKeepsItsCode) {
  const std::vector<uint8_t> echo = EchoRequest(Addr("10.0.0.1"), Addr("10.9.9.9"), 1, 2);
  const std::vector<uint8_t> rebuilt =
      RebuildIpv4IcmpError(3, 1, Addr("10.0.0.254"), Addr("10.0.0.1"), Addr("10.9.9.9"), echo);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIpv4Packet(rebuilt);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kDestinationUnreachable);
  EXPECT_EQ(reply->icmp_code, 1);
}

TEST(RebuiltPacketsTest, Icmpv6TimeExceededParses) {
  const IpAddress local = Addr("2001:db8:1::1");
  const IpAddress router = Addr("2001:db8:1::2");
  const IpAddress target = Addr("2001:db8:2::2");
  const std::vector<uint8_t> echo = EchoRequest(local, target, 0xbeef, 3);
  const std::vector<uint8_t> rebuilt = RebuildIcmpv6Error(3, 0, router, local, target, echo);
  absl::StatusOr<packet::ParsedReply> reply = packet::ParseIcmpv6Message(rebuilt, router, local);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->kind, packet::ReplyKind::kTimeExceeded);
  EXPECT_EQ(reply->responder, router);
  ASSERT_TRUE(reply->quote.has_value());
  EXPECT_EQ(reply->quote->icmp_id, 0xbeef);
  EXPECT_EQ(reply->quote->icmp_sequence, 3);
  // The checksum over the pseudo-header verifies.
  const uint32_t pseudo =
      packet::PseudoHeaderSum(router, local, 58, static_cast<uint32_t>(rebuilt.size()));
  EXPECT_EQ(packet::InternetChecksum(rebuilt, pseudo), 0);
}

TEST(RebuiltPacketsTest, OversizedQuotesAreBounded) {
  const std::vector<uint8_t> huge(100000, 0xab);
  EXPECT_LE(RebuildIpv4Packet(Addr("10.0.0.2"), Addr("10.0.0.1"), huge).size(), 1500u);
  EXPECT_LE(RebuildIpv4IcmpError(11, 0, Addr("10.0.0.2"), Addr("10.0.0.1"), Addr("10.0.0.3"), huge)
                .size(),
            1500u);
}

}  // namespace
}  // namespace pathpair::net

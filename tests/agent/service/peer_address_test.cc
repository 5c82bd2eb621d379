#include "agent/service/peer_address.h"

#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

TEST(ParseGrpcPeerTest, ReadsIpv4AndIpv6Peers) {
  absl::StatusOr<PeerEndpoint> v4 = ParseGrpcPeer("ipv4:198.51.100.7:51234");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address.ToString(), "198.51.100.7");
  EXPECT_EQ(v4->port, 51234);

  absl::StatusOr<PeerEndpoint> v6 = ParseGrpcPeer("ipv6:%5B2001:db8::7%5D:443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address.ToString(), "2001:db8::7");
  EXPECT_EQ(v6->port, 443);

  absl::StatusOr<PeerEndpoint> bracketed = ParseGrpcPeer("ipv6:[::1]:80");
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(bracketed->address.ToString(), "::1");

  absl::StatusOr<PeerEndpoint> mapped = ParseGrpcPeer("ipv6:%5B::ffff:203.0.113.9%5D:1000");
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(mapped->address.is_v4());
  EXPECT_EQ(mapped->address.ToString(), "203.0.113.9");
}

TEST(ParseGrpcPeerTest, RejectsNonIpPeersAndGarbage) {
  for (const char* bad : {"unix:/tmp/sock", "", "ipv4:", "ipv4:1.2.3.4", "ipv4:1.2.3.4:99999",
                          "ipv6:%5B::1:80", "ipv4:host:80", "ipv6:::1:80", "inproc"}) {
    EXPECT_FALSE(ParseGrpcPeer(bad).ok()) << bad;
  }
}

TEST(ParseAddressPortTest, ParsesLiterals) {
  absl::StatusOr<PeerEndpoint> v4 = ParseAddressPort("10.0.0.1:8620");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port, 8620);
  absl::StatusOr<PeerEndpoint> v6 = ParseAddressPort("[2001:db8::1]:8620");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address.ToString(), "2001:db8::1");
  EXPECT_FALSE(ParseAddressPort("agent.example:8620").ok());
  EXPECT_FALSE(ParseAddressPort("2001:db8::1:8620").ok());
}

}  // namespace
}  // namespace pathpair::agent

#include "common/net/ip_address.h"

#include "gtest/gtest.h"

namespace pathpair {
namespace {

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::Parse("198.51.100.7");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "198.51.100.7");
  EXPECT_EQ(v4->v4_host_order(), 0xc6336407u);
  auto v6 = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
}

TEST(IpAddressTest, RejectsGarbage) {
  EXPECT_FALSE(IpAddress::Parse("").ok());
  EXPECT_FALSE(IpAddress::Parse("host name").ok());
  EXPECT_FALSE(IpAddress::Parse("300.1.1.1").ok());
  EXPECT_FALSE(IpAddress::Parse(std::string(200, '1')).ok());
  // A NUL would end what inet_pton reads: the rest must not be ignored.
  EXPECT_FALSE(IpAddress::Parse(absl::string_view("198.51.100.1\0junk", 17)).ok());
  EXPECT_FALSE(IpAddress::Parse(absl::string_view("::\0", 3)).ok());
}

TEST(IpAddressTest, ClassifiesRanges) {
  EXPECT_TRUE(IpAddress::Parse("192.168.1.1")->IsPrivate());
  EXPECT_TRUE(IpAddress::Parse("172.31.255.1")->IsPrivate());
  EXPECT_FALSE(IpAddress::Parse("172.32.0.1")->IsPrivate());
  EXPECT_TRUE(IpAddress::Parse("100.64.0.1")->IsCgnat());
  EXPECT_TRUE(IpAddress::Parse("100.127.255.255")->IsCgnat());
  EXPECT_FALSE(IpAddress::Parse("100.128.0.0")->IsCgnat());
  EXPECT_TRUE(IpAddress::Parse("fe80::1")->IsLinkLocal());
  EXPECT_TRUE(IpAddress::Parse("fd00::1")->IsPrivate());
  EXPECT_TRUE(IpAddress::Parse("203.0.113.9")->IsDocumentation());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("224.0.0.1")->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("239.255.255.250")->IsMulticast());
  EXPECT_FALSE(IpAddress::Parse("240.0.0.1")->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("ff02::1")->IsMulticast());
  EXPECT_FALSE(IpAddress::Parse("fe80::1")->IsMulticast());
  EXPECT_TRUE(IpAddress::Parse("255.255.255.255")->IsBroadcast());
  EXPECT_FALSE(IpAddress::Parse("198.51.100.255")->IsBroadcast());
  EXPECT_FALSE(IpAddress::Parse("ff02::1")->IsBroadcast());
}

TEST(IpAddressTest, SharesPrefix) {
  auto a = *IpAddress::Parse("198.51.100.1");
  auto b = *IpAddress::Parse("198.51.100.2");
  auto c = *IpAddress::Parse("198.51.100.5");
  EXPECT_TRUE(a.SharesPrefix(b, 30));
  EXPECT_FALSE(a.SharesPrefix(c, 30));
  EXPECT_FALSE(a.SharesPrefix(*IpAddress::Parse("::1"), 0));
}

TEST(IpAddressTest, SockaddrRoundTrip) {
  auto a = *IpAddress::Parse("2001:db8::42");
  sockaddr_storage ss;
  socklen_t len = a.ToSockaddr(33434, &ss);
  auto back = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
}

}  // namespace
}  // namespace pathpair

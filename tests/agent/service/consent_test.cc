#include "agent/service/consent.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

using ::testing::HasSubstr;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST(CidrTest, ParsesAndMatches) {
  absl::StatusOr<Cidr> v4 = Cidr::Parse("198.51.100.0/24");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->Contains(Ip("198.51.100.77")));
  EXPECT_FALSE(v4->Contains(Ip("198.51.101.1")));
  EXPECT_TRUE(v4->Contains(Ip("::ffff:198.51.100.1")));  // dual-stack form
  EXPECT_FALSE(v4->Contains(Ip("2001:db8::1")));
  EXPECT_EQ(v4->ToString(), "198.51.100.0/24");

  absl::StatusOr<Cidr> v6 = Cidr::Parse("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(Ip("2001:db8:1::5")));
  EXPECT_FALSE(v6->Contains(Ip("2001:db9::5")));

  absl::StatusOr<Cidr> host = Cidr::Parse("203.0.113.9");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->prefix_length, 32);
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(Ip("203.0.113.1")));
}

TEST(CidrTest, RejectsBadText) {
  for (const char* bad : {"", "/24", "198.51.100.0/33", "198.51.100.0/-1", "2001:db8::/129",
                          "example.com/24", "198.51.100.0/x", "1.2.3/8"}) {
    EXPECT_FALSE(Cidr::Parse(bad).ok()) << bad;
  }
}

TEST(PairingIdTest, Validates) {
  EXPECT_TRUE(ValidatePairingId("abcdEFGH-1.2_3").ok());
  EXPECT_FALSE(ValidatePairingId("short").ok());
  EXPECT_FALSE(ValidatePairingId(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidatePairingId("has space in it").ok());
}

TEST(ConsentPolicyTest, AllowListAdmitsOnlyItsRanges) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  absl::Status refused = consent.Check(Ip("203.0.113.5"), "");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("allow-listed no CIDR"));

  ASSERT_TRUE(consent.AllowCidr("203.0.113.0/25").ok());
  EXPECT_TRUE(consent.Check(Ip("203.0.113.5"), "").ok());
  refused = consent.Check(Ip("203.0.113.200"), "");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("outside the allow-list (203.0.113.0/25)"));
  EXPECT_FALSE(consent.AllowCidr("nonsense").ok());
}

TEST(ConsentPolicyTest, PeerGrantIsScopedToPairingAndAddressAndExpires) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  const MonoTime expiry = *consent.GrantPeer("pairing-abcdefgh", Ip("::ffff:198.51.100.4"));
  EXPECT_EQ(expiry, clock.Now() + absl::Minutes(10));
  EXPECT_TRUE(consent.Check(Ip("198.51.100.4"), "pairing-abcdefgh").ok());
  EXPECT_FALSE(consent.Check(Ip("198.51.100.5"), "pairing-abcdefgh").ok());
  absl::Status other = consent.Check(Ip("198.51.100.4"), "pairing-other123");
  EXPECT_THAT(other.message(), HasSubstr("no peer agent at 198.51.100.4"));
  absl::Status none = consent.Check(Ip("198.51.100.4"), "");
  EXPECT_THAT(none.message(), HasSubstr("names no pairing_id"));

  clock.Advance(absl::Minutes(10));
  absl::Status expired = consent.Check(Ip("198.51.100.4"), "pairing-abcdefgh");
  EXPECT_EQ(expired.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  // A new exchange renews it.
  ASSERT_TRUE(consent.GrantPeer("pairing-abcdefgh", Ip("198.51.100.4")).ok());
  EXPECT_TRUE(consent.Check(Ip("198.51.100.4"), "pairing-abcdefgh").ok());
}

TEST(ConsentPolicyTest, AGrantCoversTheIdentitysAddressesAndThePairingIsBoundToIt) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  const char kAgentB[] = "spiffe://pathpair/agent/b";
  ASSERT_TRUE(
      consent.Grant("pairing-abcdefgh", kAgentB, {Ip("198.51.100.7"), Ip("2001:db8::7")}).ok());
  EXPECT_TRUE(consent.Check(Ip("198.51.100.7"), "pairing-abcdefgh").ok());
  EXPECT_TRUE(consent.CheckPeer(Ip("2001:db8::7"), "pairing-abcdefgh").ok());
  EXPECT_FALSE(consent.Check(Ip("203.0.113.1"), "pairing-abcdefgh").ok());  // e.g. its NAT
  // Another identity cannot join, take over or extend the pairing.
  absl::StatusOr<MonoTime> intruder =
      consent.Grant("pairing-abcdefgh", "spiffe://pathpair/agent/mallory", {Ip("203.0.113.1")});
  EXPECT_EQ(intruder.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(intruder.status().message(), HasSubstr("belongs to another agent"));
  EXPECT_FALSE(consent.Check(Ip("203.0.113.1"), "pairing-abcdefgh").ok());
  // An identity that vouches for no address grants nothing.
  EXPECT_EQ(consent.Grant("pairing-zzzzzzzz", "spiffe://pathpair/controller/c", {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Once the grant expired the pairing id is free again.
  clock.Advance(absl::Minutes(11));
  EXPECT_TRUE(
      consent.Grant("pairing-abcdefgh", "spiffe://pathpair/agent/c", {Ip("203.0.113.9")}).ok());
}

TEST(ConsentPolicyTest, AllowListOpensTracesOnlyNeverOneWay) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  ASSERT_TRUE(consent.AllowCidr("198.51.100.0/24").ok());
  EXPECT_TRUE(consent.Check(Ip("198.51.100.9"), "").ok());
  absl::Status oneway = consent.CheckPeer(Ip("198.51.100.9"), "pairing-abcdefgh");
  EXPECT_EQ(oneway.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(oneway.message(), HasSubstr("--allow opens traces only"));
}

TEST(ConsentPolicyTest, MulticastAndBroadcastAreNeverConsented) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  ASSERT_TRUE(consent.AllowCidr("0.0.0.0/0").ok());
  ASSERT_TRUE(consent.AllowCidr("::/0").ok());
  for (const char* address : {"224.0.0.251", "255.255.255.255", "ff05::2", "::ffff:239.0.0.1"}) {
    EXPECT_EQ(consent.Check(Ip(address), "").code(), absl::StatusCode::kPermissionDenied)
        << address;
  }
  ASSERT_TRUE(consent.GrantPeer("pairing-abcdefgh", Ip("224.0.0.251")).ok());
  EXPECT_FALSE(consent.CheckPeer(Ip("224.0.0.251"), "pairing-abcdefgh").ok());
}

TEST(ConsentPolicyTest, TheTableIsBoundedPerIdentityAndInAllAndExpires) {
  FakeClock clock;
  ConsentPolicy consent(clock, absl::Minutes(10));
  const std::vector<IpAddress> addresses = {Ip("198.51.100.7")};
  for (int i = 0; i < ConsentPolicy::kMaxGrantsPerIdentity; ++i) {
    ASSERT_TRUE(consent.Grant(absl::StrCat("pairing-a-", i), "agent-a", addresses).ok()) << i;
  }
  absl::StatusOr<MonoTime> over = consent.Grant("pairing-a-over", "agent-a", addresses);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(over.status().message(), HasSubstr("limit per peer"));
  // Renewing a pairing it holds is not a new entry.
  EXPECT_TRUE(consent.Grant("pairing-a-0", "agent-a", addresses).ok());
  // Others are not affected, up to the global bound.
  int granted = ConsentPolicy::kMaxGrantsPerIdentity;
  for (int i = 0; granted < ConsentPolicy::kMaxGrants; ++i, ++granted) {
    ASSERT_TRUE(
        consent.Grant(absl::StrCat("pairing-b-", i), absl::StrCat("agent-b", i / 32), addresses)
            .ok())
        << i;
  }
  EXPECT_EQ(consent.GrantCount(), ConsentPolicy::kMaxGrants);
  over = consent.Grant("pairing-c-0", "agent-c", addresses);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(over.status().message(), HasSubstr("consent table full"));
  // Expired grants are dropped when the next one comes.
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(consent.Grant("pairing-c-0", "agent-c", addresses).ok());
  EXPECT_EQ(consent.GrantCount(), 1);
}

}  // namespace
}  // namespace pathpair::agent

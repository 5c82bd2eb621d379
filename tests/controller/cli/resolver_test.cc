#include "controller/cli/resolver.h"

#include "gtest/gtest.h"

namespace pathpair::cli {
namespace {

// Literals only: resolving them needs no DNS server, so the test is hermetic.
TEST(SystemHostResolverTest, LiteralsHonourTheFamily) {
  SystemHostResolver resolver;
  absl::StatusOr<IpAddress> v4 = resolver.Resolve("198.51.100.7", 0);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->ToString(), "198.51.100.7");
  EXPECT_TRUE(resolver.Resolve("198.51.100.7", 4).ok());
  EXPECT_FALSE(resolver.Resolve("198.51.100.7", 6).ok());

  absl::StatusOr<IpAddress> v6 = resolver.Resolve("2001:db8::7", 0);
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->ToString(), "2001:db8::7");
  EXPECT_FALSE(resolver.Resolve("2001:db8::7", 4).ok());
}

TEST(SystemHostResolverTest, FailureIsNotFoundNamingTheHost) {
  SystemHostResolver resolver;
  // A literal of the wrong family fails locally, without asking any DNS server.
  absl::StatusOr<IpAddress> r = resolver.Resolve("2001:db8::7", 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("2001:db8::7"), absl::string_view::npos);
}

TEST(LocalHostNameTest, IsNeverEmpty) { EXPECT_FALSE(LocalHostName().empty()); }

}  // namespace
}  // namespace pathpair::cli

#include "agent/main/agent_flags.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<AgentFlags> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "pathpair-agent");
  return ParseAgentFlags(static_cast<int>(args.size()), args.data());
}

TEST(AgentFlagsTest, ParsesEveryFlag) {
  absl::StatusOr<AgentFlags> flags =
      Parse({"--listen", "0.0.0.0:8620", "--tls-cert", "a.pem", "--tls-key=a.key", "--tls-ca",
             "ca.pem", "--token-file", "t", "--allow", "198.51.100.0/24", "--allow",
             "2001:db8::/32", "--max-traces", "4", "--max-rate", "500"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->listen, ::testing::ElementsAre("0.0.0.0:8620"));
  EXPECT_EQ(flags->tls_key, "a.key");
  EXPECT_EQ(flags->token_file, "t");
  EXPECT_THAT(flags->allow, ::testing::ElementsAre("198.51.100.0/24", "2001:db8::/32"));
  EXPECT_EQ(flags->max_traces, 4);
  EXPECT_EQ(flags->max_rate_pps, 500);
  EXPECT_FALSE(flags->insecure);
}

TEST(AgentFlagsTest, RefusesPlaintextWithoutInsecure) {
  absl::StatusOr<AgentFlags> flags = Parse({"--listen", "127.0.0.1:8620"});
  EXPECT_FALSE(flags.ok());
  EXPECT_THAT(flags.status().message(), HasSubstr("--insecure"));
  EXPECT_TRUE(Parse({"--listen", "127.0.0.1:8620", "--insecure"}).ok());
}

TEST(AgentFlagsTest, RefusesIncompleteOrContradictoryTls) {
  EXPECT_THAT(Parse({"--listen", "x:1", "--tls-cert", "a"}).status().message(),
              HasSubstr("all of"));
  EXPECT_THAT(
      Parse({"--listen", "x:1", "--tls-cert", "a", "--tls-key", "b", "--tls-ca", "c", "--insecure"})
          .status()
          .message(),
      HasSubstr("exclude"));
}

TEST(AgentFlagsTest, RefusesBadValues) {
  EXPECT_FALSE(Parse({"--insecure"}).ok());  // no --listen
  EXPECT_FALSE(Parse({"--listen", "x:1", "--insecure", "--allow", "10.0.0.0/99"}).ok());
  EXPECT_FALSE(Parse({"--listen", "x:1", "--insecure", "--max-traces", "0"}).ok());
  EXPECT_FALSE(Parse({"--listen", "x:1", "--insecure", "--max-traces"}).ok());
  EXPECT_FALSE(Parse({"--listen", "x:1", "--insecure", "--bogus"}).ok());
  EXPECT_TRUE(Parse({"--help"})->help);
}

}  // namespace
}  // namespace pathpair::agent

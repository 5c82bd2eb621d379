#include "agent/main/agent_flags.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
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
  absl::StatusOr<AgentFlags> flags = Parse(
      {"--listen", "0.0.0.0:8620", "--tls-cert", "a.pem", "--tls-key=a.key", "--tls-ca", "ca.pem",
       "--token-file", "t", "--allow", "198.51.100.0/24", "--allow", "2001:db8::/32",
       "--max-traces", "4", "--max-traces-per-client", "3", "--max-rate", "500"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->listen, ::testing::ElementsAre("0.0.0.0:8620"));
  EXPECT_EQ(flags->tls_key, "a.key");
  EXPECT_EQ(flags->token_file, "t");
  EXPECT_THAT(flags->allow, ::testing::ElementsAre("198.51.100.0/24", "2001:db8::/32"));
  EXPECT_EQ(flags->max_traces, 4);
  EXPECT_EQ(flags->max_traces_per_client, 3);
  EXPECT_EQ(flags->max_rate_pps, 500);
  EXPECT_FALSE(flags->insecure);
}

TEST(AgentFlagsTest, RefusesPlaintextWithoutInsecure) {
  absl::StatusOr<AgentFlags> flags = Parse({"--listen", "127.0.0.1:8620"});
  EXPECT_FALSE(flags.ok());
  EXPECT_THAT(flags.status().message(), HasSubstr("--insecure"));
  EXPECT_TRUE(Parse({"--listen", "127.0.0.1:8620", "--insecure"}).ok());
}

TEST(AgentFlagsTest, PlaintextWithoutATokenOnlyOnLoopback) {
  for (const char* local : {"127.0.0.1:8620", "127.0.0.9:1", "[::1]:8620", "localhost:8620",
                            "unix:/run/pathpair.sock"}) {
    EXPECT_TRUE(Parse({"--listen", local, "--insecure"}).ok()) << local;
  }
  for (const char* open : {"0.0.0.0:8620", "[::]:8620", "198.51.100.1:8620", "example.com:1"}) {
    absl::StatusOr<AgentFlags> refused = Parse({"--listen", open, "--insecure"});
    ASSERT_FALSE(refused.ok()) << open;
    EXPECT_THAT(refused.status().message(), HasSubstr("only on loopback or a unix socket"));
    EXPECT_THAT(refused.status().message(), HasSubstr("--token-file"));
    EXPECT_TRUE(Parse({"--listen", open, "--insecure", "--token-file", "t"}).ok()) << open;
  }
  // One open endpoint among loopback ones is enough to refuse.
  EXPECT_FALSE(Parse({"--listen", "127.0.0.1:1", "--listen", "0.0.0.0:2", "--insecure"}).ok());
}

TEST(AgentFlagsTest, DialsOutWithControllerAndNameWithoutListening) {
  absl::StatusOr<AgentFlags> flags =
      Parse({"--controller", "203.0.113.10:7500", "--name", "office", "--tls-cert", "a.pem",
             "--tls-key", "a.key", "--tls-ca", "ca.pem", "--controller-tls-name", "hub"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->controller, "203.0.113.10:7500");
  EXPECT_EQ(flags->name, "office");
  EXPECT_EQ(flags->controller_tls_name, "hub");
  EXPECT_TRUE(flags->listen.empty());
  EXPECT_THAT(Parse({"--controller", "203.0.113.10:7500", "--insecure"}).status().message(),
              HasSubstr("--controller and --name go together"));
  EXPECT_THAT(
      Parse({"--listen", "127.0.0.1:1", "--name", "office", "--insecure"}).status().message(),
      HasSubstr("--controller and --name go together"));
  EXPECT_THAT(Parse({"--controller", "127.0.0.1:7500", "--name", "bad/name", "--insecure"})
                  .status()
                  .message(),
              HasSubstr("--name"));
  // Plaintext to a controller beyond loopback needs the controller token.
  EXPECT_THAT(Parse({"--controller", "203.0.113.10:7500", "--name", "office", "--insecure"})
                  .status()
                  .message(),
              HasSubstr("--token-file"));
  EXPECT_TRUE(Parse({"--controller", "203.0.113.10:7500", "--name", "office", "--insecure",
                     "--token-file", "t"})
                  .ok());
  EXPECT_TRUE(Parse({"--controller", "127.0.0.1:7500", "--name", "office", "--insecure"}).ok());
}

TEST(AgentFlagsTest, RefusesIncompleteOrContradictoryTls) {
  EXPECT_THAT(Parse({"--listen", "127.0.0.1:1", "--tls-cert", "a"}).status().message(),
              HasSubstr("all of"));
  EXPECT_THAT(Parse({"--listen", "127.0.0.1:1", "--tls-cert", "a", "--tls-key", "b", "--tls-ca",
                     "c", "--insecure"})
                  .status()
                  .message(),
              HasSubstr("exclude"));
}

TEST(AgentFlagsTest, RefusesBadValues) {
  EXPECT_FALSE(Parse({"--insecure"}).ok());  // no --listen
  EXPECT_FALSE(Parse({"--listen", "127.0.0.1:1", "--insecure", "--allow", "10.0.0.0/99"}).ok());
  EXPECT_FALSE(Parse({"--listen", "127.0.0.1:1", "--insecure", "--max-traces", "0"}).ok());
  EXPECT_FALSE(Parse({"--listen", "127.0.0.1:1", "--insecure", "--max-traces"}).ok());
  EXPECT_FALSE(Parse({"--listen", "127.0.0.1:1", "--insecure", "--bogus"}).ok());
  EXPECT_TRUE(Parse({"--help"})->help);
}

TEST(AgentFlagsTest, VersionNeedsNothingElse) {
  absl::StatusOr<AgentFlags> flags = Parse({"--version"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->version);
}

TEST(AgentFlagsTest, RepeatedFlagsTakeOneValueEach) {
  EXPECT_FALSE(Parse({"--listen", "localhost:1", "[::1]:2", "--insecure"}).ok());
  absl::StatusOr<AgentFlags> flags =
      Parse({"--listen", "localhost:1", "--listen=[::1]:2", "--insecure"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->listen, ::testing::ElementsAre("localhost:1", "[::1]:2"));
}

TEST(AgentFlagsTest, ErrorsAreOneLineThatNamesTheFlag) {
  struct Case {
    std::vector<const char*> args;
    const char* named;
  };
  const std::vector<Case> cases = {
      {{"--listen", "127.0.0.1:1", "--insecure", "--bogus"}, "--bogus"},
      {{"--listen", "127.0.0.1:1", "--insecure", "--max-traces", "zero"}, "--max-traces"},
      {{"--listen", "127.0.0.1:1", "--insecure", "--max-rate", "0"}, "--max-rate"},
      {{"--listen", "127.0.0.1:1", "--insecure", "--allow", "10.0.0.0/99"}, "--allow"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AgentFlags> flags = Parse(c.args);
    ASSERT_FALSE(flags.ok()) << c.named;
    EXPECT_EQ(flags.status().message().find('\n'), absl::string_view::npos)
        << flags.status().message();
    EXPECT_THAT(flags.status().message(), HasSubstr(c.named));
  }
}

TEST(AgentFlagsTest, HelpListsEveryFlag) {
  const std::string help = AgentHelp();
  for (const char* flag :
       {"--help", "--version", "--listen", "--tls-cert", "--tls-key", "--tls-ca", "--token-file",
        "--insecure", "--allow", "--max-traces", "--max-traces-per-client", "--max-rate",
        "--max-packet-size", "--consent-ttl", "--oneway-port"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

TEST(AgentFlagsTest, TestClockFlagsAreTestOnlyAndValidated) {
  // Documented as test-only, under their own heading, after everything else.
  const std::string help = AgentHelp();
  const size_t heading = help.find("Testing only:");
  ASSERT_NE(heading, std::string::npos) << help;
  for (const char* flag : {"--test-clock-offset-ms", "--test-clock-synchronized",
                           "--test-clock-esterror-us", "--test-boot-id"}) {
    const size_t at = help.find(flag);
    ASSERT_NE(at, std::string::npos) << flag;
    EXPECT_GT(at, heading) << flag;
    // Its description (up to the next flag) says so.
    EXPECT_THAT(help.substr(at, help.find("\n  --", at) - at), HasSubstr("TEST ONLY")) << flag;
  }
  // Without them nothing is overridden.
  absl::StatusOr<AgentFlags> plain = Parse({"--listen", "127.0.0.1:1", "--insecure"});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->test_clock.any());

  absl::StatusOr<AgentFlags> flags =
      Parse({"--listen", "127.0.0.1:1", "--insecure", "--test-clock-offset-ms", "-250.5",
             "--test-clock-synchronized", "false", "--test-clock-esterror-us", "1500",
             "--test-boot-id", "fake-host-b"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->test_clock.offset, absl::Microseconds(-250500));
  EXPECT_EQ(flags->test_clock.synchronized, false);
  EXPECT_EQ(flags->test_clock.estimated_error_us, 1500);
  EXPECT_EQ(flags->test_clock.boot_id, "fake-host-b");
  EXPECT_EQ(Parse({"--listen", "127.0.0.1:1", "--insecure", "--test-clock-synchronized", "true"})
                ->test_clock.synchronized,
            true);

  for (const std::vector<const char*>& bad : std::vector<std::vector<const char*>>{
           {"--test-clock-synchronized", "yes"},
           {"--test-clock-offset-ms", "86400001"},
           {"--test-clock-offset-ms", "soon"},
           {"--test-clock-esterror-us", "-1"},
           {"--test-boot-id", ""},
           {"--test-boot-id", "two words"},
           {"--test-boot-id",
            "x123456789x123456789x123456789x123456789x123456789x123456789x1234"}}) {
    std::vector<const char*> args = {"--listen", "127.0.0.1:1", "--insecure"};
    args.insert(args.end(), bad.begin(), bad.end());
    absl::StatusOr<AgentFlags> refused = Parse(args);
    ASSERT_FALSE(refused.ok()) << bad[0] << " " << bad[1];
    EXPECT_THAT(refused.status().message(), HasSubstr(bad[0]));
  }
}

}  // namespace
}  // namespace pathpair::agent

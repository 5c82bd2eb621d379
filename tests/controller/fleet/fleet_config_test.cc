#include "controller/fleet/fleet_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pathpair::fleet {
namespace {

using ::testing::HasSubstr;

// The issue's example, verbatim.
constexpr char kIssueExample[] =
    R"(database: "postgresql:///pathpair?host=/run/postgresql"   # or sqlite:PATH; default: SQLite in the state dir
listen: 0.0.0.0:7500              # where dial-in agents connect (gRPC)
http_listen: 127.0.0.1:9432       # /metrics, /runs, /runs/RUN_ID, /healthz
security: {insecure: true, token_file: /etc/pathpair/token}  # or tls_cert, tls_key, tls_ca
agents:
  - {name: dc, address: 203.0.113.10:7431}    # the controller dials it
  - {name: office, dial_in: true}             # the agent dials the controller
tests:
  - {between: [office, dc], every: 30s, options: "-c 10 -i 0.5"}
  - {mesh: [dc, office, lab], every: 5m, options: "-c 20"}
)";

TEST(FleetConfigTest, IssueExampleParses) {
  absl::StatusOr<FleetConfig> config = ParseFleetConfig(kIssueExample, "fleet.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database, "postgresql:///pathpair?host=/run/postgresql");
  EXPECT_EQ(config->listen, "0.0.0.0:7500");
  EXPECT_EQ(config->http_listen, "127.0.0.1:9432");
  EXPECT_TRUE(config->security.insecure);
  EXPECT_EQ(config->security.token_file, "/etc/pathpair/token");
  ASSERT_EQ(config->agents.size(), 2u);
  EXPECT_EQ(config->agents[0].address, "203.0.113.10:7431");
  EXPECT_TRUE(config->agents[1].dial_in);

  // between: one pair; the mesh of three: three more (dc and office again, at its interval).
  std::vector<std::string> keys;
  for (const ScheduledTest& t : config->tests) keys.push_back(t.key);
  EXPECT_THAT(keys, testing::ElementsAre("office>dc/30s", "dc>office/300s", "dc>lab/300s",
                                         "office>lab/300s"));
  EXPECT_EQ(config->tests[0].every, absl::Seconds(30));
  EXPECT_EQ(config->tests[0].options.probe.count(), 10);
  EXPECT_EQ(config->tests[0].options.probe.interval_us(), 500'000);
  EXPECT_EQ(config->tests[0].line, 9);
  EXPECT_THAT(config->warnings, testing::Contains(HasSubstr("'lab' is not in agents")));
}

TEST(FleetConfigTest, MeshExpandsToEveryPairOnce) {
  absl::StatusOr<FleetConfig> config = ParseFleetConfig(R"(
security: {insecure: true}
agents: [{name: a, address: "198.51.100.1:7431"},
         {name: b, address: "10.0.0.2:7431", target: 198.51.100.2},
         {name: c, dial_in: true}]
tests:
  - {mesh: [a, b, c], every: 1m, options: "-c 5 --no-oneway"}
)",
                                                        "f");
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<std::string> keys;
  for (const ScheduledTest& t : config->tests) keys.push_back(t.key);
  EXPECT_THAT(keys, testing::ElementsAre("a>b/60s", "a>c/60s", "b>c/60s"));
  EXPECT_FALSE(config->tests[0].options.oneway);
  EXPECT_EQ(config->agents[1].target, "198.51.100.2");
  EXPECT_EQ(config->tests[0].every, absl::Minutes(1));
}

struct BadCase {
  const char* yaml;
  int line;
  const char* message;
};

TEST(FleetConfigTest, BadConfigNamesTheLine) {
  const BadCase cases[] = {
      {"security: {insecure: true}\nagents: []\ntests: [\n", 4, ""},  // YAML syntax
      {"security: {insecure: true}\nagents: []\nbogus: 1\n", 3, "unknown key 'bogus'"},
      {"security: {insecure: true}\nagents:\n  - {name: a}\n", 3, "either an address"},
      {"security: {insecure: true}\nagents:\n  - {name: a, address: nope}\n", 3, "address"},
      {"security: {insecure: true}\nagents:\n  - {name: 'a b', dial_in: true}\n", 3, "agent name"},
      {"security: {insecure: true}\nagents:\n  - {name: a, dial_in: true}\n"
       "  - {name: a, dial_in: true}\n",
       4, "defined twice"},
      {"security: {}\nagents: []\n", 1, "mutual TLS"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 0.5s}\n", 4,
       "every"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b, c], every: 5s}\n", 4,
       "between names two agents"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 5s,\n"
       "     options: \"--server x:1\"}\n",
       5, "--server makes no sense in a schedule"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 5s,"
       " options: \"-j\"}\n",
       4, "output options"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 5s,"
       " options: \"-c 0\"}\n",
       4, "-c"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 5s,"
       " options: \"--bogus\"}\n",
       4, "bogus"},
      {"security: {insecure: true}\nagents: []\ntests:\n  - {between: [a, b], every: 5s}\n"
       "  - {between: [b, a], every: 5s}\n",
       5, "already tested every 5s (line 4)"},
      {"security: {insecure: true}\nagents:\n  - {name: a, address: \"h:1\", target: h}\n", 3,
       "not an IP address"},
      {"database: mysql://x\nsecurity: {insecure: true}\nagents: []\n", 1, "sqlite:PATH"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<FleetConfig> config = ParseFleetConfig(c.yaml, "fleet.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(config.status().message(), HasSubstr(absl::StrCat("fleet.yaml:", c.line, ": ")))
        << c.yaml;
    EXPECT_THAT(config.status().message(), HasSubstr(c.message)) << c.yaml;
  }
}

TEST(FleetConfigTest, UnreadableFile) {
  absl::StatusOr<FleetConfig> config = LoadFleetConfig("/nonexistent/fleet.yaml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pathpair::fleet

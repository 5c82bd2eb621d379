// The pathpair-agent binary's refusals and warnings (no root needed): plaintext needs
// --insecure (exit 2 otherwise), bad flags exit 2 with one line, --help exits 0, and --insecure
// warns on stderr.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

struct AgentRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the agent with `args` for at most `seconds`, then SIGTERM.
AgentRun RunAgent(const std::string& args, int seconds = 5) {
  const std::string command = std::string("timeout --preserve-status -s TERM ") +
                              std::to_string(seconds) + " " + PATHPAIR_AGENT_BINARY + " " + args +
                              " 2>&1";
  AgentRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 512> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) run.output += buffer.data();
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(AgentBinaryTest, PlaintextWithoutInsecureExitsTwoWithAClearMessage) {
  AgentRun run = RunAgent("--listen 127.0.0.1:0");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("no TLS material"));
  EXPECT_THAT(run.output, HasSubstr("--insecure"));
}

TEST(AgentBinaryTest, BadFlagsExitTwo) {
  EXPECT_EQ(RunAgent("--listen 127.0.0.1:0 --insecure --allow 10.0.0.0/40").exit_code, 2);
  EXPECT_EQ(
      RunAgent("--listen 127.0.0.1:0 --tls-cert /nonexistent --tls-key /x --tls-ca /y").exit_code,
      2);
  EXPECT_EQ(RunAgent("--listen 127.0.0.1:0 --insecure --token-file /nonexistent").exit_code, 2);
}

TEST(AgentBinaryTest, HelpExitsZeroAndListsTheFlags) {
  AgentRun run = RunAgent("--help");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("--listen"));
  EXPECT_THAT(run.output, HasSubstr("--oneway-port"));
}

TEST(AgentBinaryTest, AnUnknownFlagExitsTwoWithOneLine) {
  AgentRun run = RunAgent("--listen 127.0.0.1:0 --insecure --bogus");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("--bogus"));
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
}

TEST(AgentBinaryTest, InsecureServesWithAWarningAndStopsOnSigterm) {
  AgentRun run = RunAgent("--listen 127.0.0.1:0 --insecure", 2);
  EXPECT_EQ(run.exit_code, 0);  // SIGTERM from timeout: a clean stop
  EXPECT_THAT(run.output, HasSubstr("WARNING: --insecure"));
  EXPECT_THAT(run.output, HasSubstr("listening on port"));
}

TEST(AgentBinaryTest, PlaintextBeyondLoopbackWithoutATokenExitsTwo) {
  AgentRun run = RunAgent("--listen 0.0.0.0:0 --insecure", 2);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("only on loopback or a unix socket"));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("listening on port")));
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
}

TEST(AgentBinaryTest, UnreadableTlsFilesExitTwoNeverFallingBackToPlaintext) {
  AgentRun run = RunAgent("--listen 127.0.0.1:0 --tls-cert /nonexistent --tls-key /x --tls-ca /y");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("TLS"));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("listening on port")));
}

}  // namespace

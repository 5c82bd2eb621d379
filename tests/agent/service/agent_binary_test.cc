// The pathpair-agent binary's refusals and warnings (no root needed): plaintext needs
// --insecure (exit 2 otherwise), bad flags exit 2 with one line, --help exits 0, and --insecure
// warns on stderr.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
  // The warning is a log line (one per event, level and key=value fields).
  EXPECT_THAT(run.output, HasSubstr("level=warning event=insecure"));
  EXPECT_THAT(run.output, HasSubstr("--insecure: serving plaintext"));
  EXPECT_THAT(run.output, HasSubstr("listening on port"));
  EXPECT_THAT(run.output, HasSubstr("level=info event=listening"));
  EXPECT_THAT(run.output, HasSubstr("event=probe_privileges"));
  EXPECT_THAT(run.output, HasSubstr("level=info event=stopping signal=SIGTERM"));
}

TEST(AgentBinaryTest, LogLevelFiltersAndIsChecked) {
  AgentRun run = RunAgent("--listen 127.0.0.1:0 --insecure --log-level error", 2);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("level=warning")));
  EXPECT_THAT(run.output, ::testing::Not(HasSubstr("level=info")));
  run = RunAgent("--listen 127.0.0.1:0 --insecure --log-level loud");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("debug, info, warning or error"));
}

TEST(AgentBinaryTest, AListenPortOutOfRangeExitsTwoWithOneLine) {
  for (const char* listen : {"0.0.0.0:99999", "127.0.0.1:-1", "127.0.0.1", "[::1]:70000"}) {
    AgentRun run = RunAgent(std::string("--insecure --listen ") + listen);
    EXPECT_EQ(run.exit_code, 2) << listen;
    EXPECT_THAT(run.output, HasSubstr("port 0..65535")) << listen;
    EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
  }
}

TEST(AgentBinaryTest, APortInUseIsOneClearLine) {
  // A first agent holds a port; a second one on it fails with one line of its own (gRPC's
  // internal lines are debug events), and does not share the port.
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t first = fork();
  ASSERT_GE(first, 0);
  if (first == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(PATHPAIR_AGENT_BINARY, PATHPAIR_AGENT_BINARY, "--insecure", "--listen", "127.0.0.1:0",
          "--log-level", "error", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* first_out = fdopen(out[0], "r");
  std::array<char, 512> line;
  int port = 0;
  const bool listening =
      std::fgets(line.data(), line.size(), first_out) != nullptr &&
      std::sscanf(line.data(), "pathpair-agent: listening on port %d", &port) == 1;
  AgentRun run;
  if (listening) {
    run =
        RunAgent("--insecure --listen 127.0.0.1:" + std::to_string(port) + " --log-level warning");
  }
  kill(first, SIGTERM);
  waitpid(first, nullptr, 0);
  fclose(first_out);
  ASSERT_TRUE(listening);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("level=error event=listen_failed"));
  EXPECT_THAT(run.output, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 2) << run.output;
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

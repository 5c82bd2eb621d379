// The subcommands' shared flag parsing and exit-code table (controller/subcommands).
#include "controller/subcommands/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "common/status/exit_codes.h"

namespace pathpair::subcommands {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseFlagsTest, HelpIsPrintedAndStopsTheCommand) {
  CLI::App app("Does a thing.", "pathpair thing");
  std::string value;
  app.add_option("--value", value, "a value")->required();
  std::ostringstream out;
  absl::StatusOr<bool> go_on = ParseFlags(app, {"--help"}, out);
  ASSERT_TRUE(go_on.ok()) << go_on.status();
  EXPECT_FALSE(*go_on);
  EXPECT_THAT(out.str(), HasSubstr("Does a thing."));
  EXPECT_THAT(out.str(), HasSubstr("--value"));
}

TEST(ParseFlagsTest, BadFlagsAreOneLineOfBadInput) {
  CLI::App app("Does a thing.", "pathpair thing");
  int number = 0;
  app.add_option("--number", number, "a number")->check(CLI::Range(1, 5));
  std::ostringstream out;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--bogus"}, {"--number"}, {"--number", "9"}, {"x"}}) {
    absl::StatusOr<bool> go_on = ParseFlags(app, args, out);
    ASSERT_FALSE(go_on.ok()) << args[0];
    EXPECT_TRUE(absl::IsInvalidArgument(go_on.status()));
    EXPECT_THAT(go_on.status().message(), HasSubstr("pathpair thing --help"));
    EXPECT_THAT(std::string(go_on.status().message()), ::testing::Not(HasSubstr("\n")));
    EXPECT_EQ(ExitCodeFor(go_on.status()), kExitBadInput);
  }
  EXPECT_TRUE(out.str().empty());
}

TEST(ParseFlagsTest, ExtrasKeepTheirOrder) {
  CLI::App app("Does a thing.", "pathpair thing");
  bool json = false;
  app.add_flag("--json", json, "JSON");
  app.allow_extras();
  std::ostringstream out;
  ASSERT_TRUE(*ParseFlags(app, {"-n", "-i", "0.1", "--json", "-c", "3", "--fields=LS"}, out));
  EXPECT_TRUE(json);
  EXPECT_THAT(app.remaining(), ElementsAre("-n", "-i", "0.1", "-c", "3", "--fields=LS"));
}

TEST(ExitCodeForTest, OneTable) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), kExitBadInput);
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), kExitPartial);
  EXPECT_EQ(ExitCodeFor(absl::CancelledError("x")), kExitInterrupted);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), kExitRuntimeError);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), kExitRuntimeError);
}

TEST(ExitCodeForTest, VerdictsWhenTheCommandExitsWithOne) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus(), v1::VERDICT_HEALTHY), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::OkStatus(), v1::VERDICT_DEGRADED), kExitDegraded);
  EXPECT_EQ(ExitCodeFor(absl::OkStatus(), v1::VERDICT_BROKEN), kExitBroken);
  EXPECT_EQ(ExitCodeFor(absl::OkStatus(), v1::VERDICT_UNSPECIFIED), kExitRuntimeError);
  // A failure wins: a partial run's verdict covers only part of the path.
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x"), v1::VERDICT_BROKEN), kExitPartial);
  EXPECT_EQ(ExitCodeFor(absl::CancelledError("x"), v1::VERDICT_HEALTHY), kExitInterrupted);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x"), v1::VERDICT_HEALTHY), kExitBadInput);
  // The codes are the documented ones.
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitRuntimeError, 1);
  EXPECT_EQ(kExitBadInput, 2);
  EXPECT_EQ(kExitDegraded, 3);
  EXPECT_EQ(kExitBroken, 4);
  EXPECT_EQ(kExitPartial, 5);
  EXPECT_EQ(kExitInterrupted, 130);
}

TEST(PairedRunStatusTest, CompletenessDecidesBeforeTheVerdict) {
  v1::PairedRun run;
  EXPECT_EQ(PairedRunStatus(run, false).code(), absl::StatusCode::kUnavailable);  // nothing
  run.mutable_client()->mutable_trace();
  run.mutable_server()->mutable_trace();
  EXPECT_TRUE(PairedRunStatus(run, false).ok());
  run.mutable_server()->set_error("lost the agent");
  EXPECT_EQ(PairedRunStatus(run, false).code(), absl::StatusCode::kAborted);
  EXPECT_THAT(PairedRunStatus(run, true).message(), HasSubstr("partial"));
  run.mutable_server()->clear_error();
  run.set_interrupted(true);
  // Stopped now: interrupted; read back later: a partial run.
  EXPECT_EQ(PairedRunStatus(run, false).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(PairedRunStatus(run, true).code(), absl::StatusCode::kAborted);
  EXPECT_THAT(PairedRunStatus(run, true).message(), HasSubstr("interrupted"));
}

TEST(OpenDatabaseTest, MissingFilesAreBadInputNamingTheFlag) {
  EXPECT_EQ(*OpenAsDatabase(""), nullptr);
  EXPECT_EQ(*OpenGeoDatabase(""), nullptr);
  for (const auto& [opened, flag] :
       {std::pair{OpenAsDatabase("/nonexistent/as.mmdb").status(), "--asn-db: "},
        std::pair{OpenGeoDatabase("/nonexistent/city.mmdb").status(), "--geo-db: "}}) {
    EXPECT_EQ(ExitCodeFor(opened), kExitBadInput);
    EXPECT_THAT(opened.message(), HasSubstr(flag));
  }
}

TEST(FinishCommandTest, EveryLineNamesTheCommand) {
  std::ostringstream err;
  EXPECT_EQ(FinishCommand("test", absl::AbortedError("one\ntwo"), err), kExitPartial);
  EXPECT_EQ(err.str(), "pathpair test: one\npathpair test: two\n");
  err.str("");
  EXPECT_EQ(FinishCommand("test", absl::OkStatus(), err), kExitOk);
  EXPECT_TRUE(err.str().empty());
}

}  // namespace
}  // namespace pathpair::subcommands

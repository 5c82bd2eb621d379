#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/exit_codes.h"
#include "controller/cli/trace_options.h"
#include "controller/diagnosis/finding.h"
#include "controller/history/history_store.h"
#include "controller/paired/run_payload.h"
#include "controller/subcommands/history_commands.h"
#include "controller/subcommands/test_command.h"
#include "tests/controller/paired/fake_endpoint.h"

namespace pathpair::subcommands {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class FakeResolver : public cli::HostResolver {
 public:
  absl::StatusOr<IpAddress> Resolve(absl::string_view host, int) override {
    if (host == "agent.example") return *IpAddress::Parse("203.0.113.80");
    absl::StatusOr<IpAddress> a = IpAddress::Parse(host);
    if (!a.ok()) return absl::NotFoundError("no such host");
    return a;
  }
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/pp-commands-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    db_ = dir_ + "/history.db";
    deps_.resolver = &resolver_;
    deps_.paired = paired::SystemPairedDeps();
    deps_.default_history_path = [this] { return absl::StatusOr<std::string>(db_); };
    deps_.read_token_file = [](const std::string&) { return absl::StatusOr<std::string>("t"); };
    deps_.show_progress = false;
    deps_.make_remote =
        [this](const std::string& endpoint,
               const ConnectionFlags&) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
      auto fake = std::make_unique<paired::FakeEndpoint>(endpoint);
      fake->oneway_received = oneway_received_;
      if (endpoint == "agent.example:8620") {
        fake->fail_trace_after_snapshots = server_fails_after_;
        fake->oneway_fails = server_fails_after_ >= 0;
      }
      return std::unique_ptr<paired::Endpoint>(std::move(fake));
    };
    deps_.make_local =
        [this](const ConnectionFlags&) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
      auto fake = std::make_unique<paired::FakeEndpoint>("local");
      fake->oneway_received = oneway_received_;
      return std::unique_ptr<paired::Endpoint>(std::move(fake));
    };
    history_deps_ = SystemHistoryDeps();
    history_deps_.default_history_path = [this] { return absl::StatusOr<std::string>(db_); };
  }
  void TearDown() override { (void)system(absl::StrCat("rm -rf ", dir_).c_str()); }

  int Test(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunTestCommand(args, deps_, out_, err_);
  }
  int Run(int (*command)(const std::vector<std::string>&, const HistoryDeps&, std::ostream&,
                         std::ostream&),
          std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return command(args, history_deps_, out_, err_);
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // `test` stores, and `history`, `show` and `diagnose` read, through --history-db LOCATION (a
  // path, sqlite:PATH or a postgresql:// URL); the run records its agents by name (for `test`,
  // the endpoints) and its verdict.
  void ExpectStoreShowAndDiagnoseThrough(const std::string& location) {
    ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "2", "--json",
                    "--history-db", location}),
              kExitOk)
        << err_.str();
    const std::string run_id = nlohmann::json::parse(out_.str())["run_id"];
    ASSERT_EQ(Run(RunHistoryCommand, {"--json", "--history-db", location}), kExitOk) << err_.str();
    const nlohmann::json list = nlohmann::json::parse(out_.str());
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["run_id"], run_id);
    ASSERT_EQ(Run(RunShowCommand, {"--history-db", location, "last"}), kExitOk) << err_.str();
    EXPECT_THAT(out_.str(), HasSubstr(run_id));
    ASSERT_EQ(Run(RunDiagnoseCommand, {"--history-db", location, run_id.substr(0, 12)}), kExitOk)
        << err_.str();

    absl::StatusOr<std::unique_ptr<history::HistoryStore>> store =
        history::HistoryStore::Open(location);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<history::RunRecord> record = (*store)->Load(run_id);
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->client_name, "local");
    EXPECT_EQ(record->server_name, "agent.example:8620");
    EXPECT_EQ(record->verdict, "healthy");
  }

  std::string dir_, db_;
  FakeResolver resolver_;
  TestCommandDeps deps_;
  HistoryDeps history_deps_;
  int server_fails_after_ = -1;
  int64_t oneway_received_ = -1;  // one-way packets each fake receives; -1: all (healthy)
  std::ostringstream out_, err_;
};

TEST_F(CommandsTest, CompleteRunPrintsStoresAndShows) {
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--json"}), kExitOk)
      << err_.str();
  const nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["forward"]["report"]["mtr"]["dst"], "203.0.113.80");  // default: the server host
  EXPECT_EQ(j["client"]["endpoint"], "local");
  const std::string run_id = j["run_id"];

  ASSERT_EQ(Run(RunHistoryCommand, {"--json"}), kExitOk) << err_.str();
  const nlohmann::json list = nlohmann::json::parse(out_.str());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["run_id"], run_id);
  EXPECT_EQ(list[0]["status"], "complete");

  ASSERT_EQ(Run(RunShowCommand, {"--json", run_id}), kExitOk) << err_.str();
  const nlohmann::json shown = nlohmann::json::parse(out_.str());
  EXPECT_EQ(shown["forward"], j["forward"]);
  EXPECT_EQ(shown["oneway"], j["oneway"]);
  ASSERT_EQ(Run(RunShowCommand, {run_id}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr(run_id));
  EXPECT_THAT(out_.str(), HasSubstr("One-way"));
  ASSERT_EQ(Run(RunDiagnoseCommand, {run_id}), kExitOk);

  // A saved paired report is diagnosed as a pair.
  const std::string saved = WriteFile("paired.json", j.dump());
  ASSERT_EQ(Run(RunDiagnoseCommand, {"--json", saved}), kExitOk) << err_.str();
  const nlohmann::json again = nlohmann::json::parse(out_.str());
  EXPECT_EQ(again["run_id"], run_id);
  EXPECT_EQ(again["forward"]["report"]["hubs"].size(), j["forward"]["report"]["hubs"].size());
  EXPECT_EQ(again["oneway"]["forward"]["received"], j["oneway"]["forward"]["received"]);
}

TEST_F(CommandsTest, ServerFailingMidTestIsPartialPrintedAndStored) {
  server_fails_after_ = 1;
  ASSERT_EQ(Test({"--client", "198.51.100.9:8620", "--server", "agent.example:8620", "--insecure",
                  "-c", "3"}),
            kExitPartial);
  EXPECT_THAT(out_.str(), HasSubstr("(partial)"));
  EXPECT_THAT(out_.str(), HasSubstr("Errors:"));
  EXPECT_THAT(out_.str(), HasSubstr("lost the agent agent.example:8620"));
  EXPECT_THAT(err_.str(), HasSubstr("reverse trace (server agent.example:8620)"));
  ASSERT_EQ(Run(RunHistoryCommand, {"--json"}), kExitOk);
  const nlohmann::json list = nlohmann::json::parse(out_.str());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "partial");
  EXPECT_EQ(list[0]["client"], "198.51.100.9:8620");
  ASSERT_EQ(Run(RunShowCommand, {"--json", list[0]["run_id"].get<std::string>()}), kExitOk);
  const nlohmann::json shown = nlohmann::json::parse(out_.str());
  EXPECT_EQ(shown["status"], "partial");
  EXPECT_TRUE(shown["forward"].is_object());
  EXPECT_FALSE(shown["server"]["error"].is_null());
}

TEST_F(CommandsTest, HtmlWritesOnePageWithBothDirectionsAndFindings) {
  const std::string page_path = dir_ + "/report.html";
  oneway_received_ = 300;  // of 600 each way: half is lost, a broken path
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "-n", "--oneway-count",
                  "600", "--html", page_path}),
            kExitBroken)
      << err_.str();
  std::ifstream in(page_path);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(page, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(page, HasSubstr("Forward: client -&gt; 203.0.113.80"));
  EXPECT_THAT(page, HasSubstr("Reverse: server -&gt; 198.51.100.9"));
  EXPECT_THAT(page, HasSubstr("10.0.1.1"));  // a hop of the fake traces
  EXPECT_THAT(page, HasSubstr("<svg"));
  EXPECT_THAT(page, HasSubstr("findings:"));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("0 findings:")));
  EXPECT_THAT(page, HasSubstr("LOSS_BOTH_DIRECTIONS"));  // the fake loses half the one-way
  // With its evidence, in words (the key is forward_loss_pct).
  EXPECT_THAT(page, HasSubstr("<tr><th>way out: loss</th><td>50%</td></tr>"));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("forward_loss_pct")));
  EXPECT_THAT(page, ::testing::Not(HasSubstr("src=")));  // self-contained

  // A partial run writes the page too.
  server_fails_after_ = 1;
  ASSERT_EQ(
      Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--html=" + page_path}),
      kExitPartial);
  std::ifstream again(page_path);
  const std::string partial((std::istreambuf_iterator<char>(again)),
                            std::istreambuf_iterator<char>());
  EXPECT_THAT(partial, HasSubstr("RUN_ERROR"));
}

TEST_F(CommandsTest, TerminalShowsBothDirectionsOnTheLiveScreen) {
  std::vector<std::string> titles;
  int64_t forward_hops = 0;
  deps_.run_screen = [&](const std::vector<screen::SnapshotSource>& sources,
                         std::function<bool()> done) -> absl::Status {
    for (const screen::SnapshotSource& source : sources) titles.push_back(source.title);
    while (!done()) usleep(1000);  // the test ends on its own: the screen leaves
    forward_hops = sources[0].latest().hops_size();
    return absl::OkStatus();
  };
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "2"}), kExitOk)
      << err_.str();
  EXPECT_THAT(titles, ::testing::ElementsAre("forward: client -> 203.0.113.80",
                                             "reverse: server -> client"));
  EXPECT_EQ(forward_hops, 3);
  EXPECT_THAT(out_.str(), HasSubstr("Forward: client -> 203.0.113.80"));  // then the report

  // --json never takes the screen.
  titles.clear();
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--json"}), kExitOk);
  EXPECT_THAT(titles, IsEmpty());
}

TEST_F(CommandsTest, UnwritableHtmlIsBadInputBeforeTheTest) {
  EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--html",
                  dir_ + "/no/such/dir/report.html"}),
            kExitBadInput);
  EXPECT_THAT(out_.str(), IsEmpty());
  EXPECT_THAT(err_.str(), HasSubstr("--html"));
  EXPECT_THAT(err_.str(), ::testing::Not(HasSubstr("stored as")));
}

TEST_F(CommandsTest, HtmlCheckNeverCreatesOrTouchesTheFile) {
  // The test cannot start (the server agent cannot be made): the page was only checked.
  deps_.make_remote =
      [](const std::string&,
         const ConnectionFlags&) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
    return absl::UnavailableError("connection refused");
  };
  const std::string page = dir_ + "/new.html";
  EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--html", page}),
            kExitRuntimeError);
  EXPECT_THAT(err_.str(), HasSubstr("connection refused"));
  EXPECT_NE(access(page.c_str(), F_OK), 0) << "the check created " << page;

  const std::string existing = WriteFile("old.html", "an older page");
  EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--html", existing}),
            kExitRuntimeError);
  std::ifstream in(existing);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "an older page");

  // A directory is not a page.
  EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--html", dir_}),
            kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("--html"));
}

TEST_F(CommandsTest, HelpWorksOnEverySubcommand) {
  ASSERT_EQ(Test({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("--server"));
  EXPECT_THAT(out_.str(), HasSubstr("Trace options"));
  EXPECT_THAT(err_.str(), IsEmpty());
  ASSERT_EQ(Test({"--server", "agent.example:8620", "-h"}), kExitOk);
  for (auto command : {RunHistoryCommand, RunShowCommand, RunDiagnoseCommand}) {
    ASSERT_EQ(Run(command, {"--help"}), kExitOk) << err_.str();
    EXPECT_THAT(out_.str(), HasSubstr("--history-db"));
    EXPECT_THAT(err_.str(), IsEmpty());
  }
}

TEST_F(CommandsTest, TraceOptionsPassThroughInAnyForm) {
  ASSERT_EQ(Test({"-n", "--server=agent.example:8620", "-i", "0.2", "--insecure", "-c", "2",
                  "--json", "-s", "100", "--no-oneway"}),
            kExitOk)
      << err_.str();
  const nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["forward"]["report"]["mtr"]["tests"], 2);
  EXPECT_EQ(j["forward"]["report"]["mtr"]["psize"], "100");
  EXPECT_TRUE(j["oneway"].is_null());
  // -j is the trace's JSON flag: the paired JSON report too.
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-jc1"}), kExitOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str())["status"], "complete");
}

TEST_F(CommandsTest, RunsStoredByVersionOneAreShown) {
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = history::HistoryStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status();
  std::ifstream fixture(std::string(PATHPAIR_PAIRED_TESTDATA) + "/paired_run_v1.json");
  history::RunRecord record;
  record.run_id = "20261127T112540.123Z-3f9a1c0b";
  record.status = history::RunStatus::kPartial;
  record.payload_format = paired::kRunPayloadFormatV1;
  record.payload.assign(std::istreambuf_iterator<char>(fixture), std::istreambuf_iterator<char>());
  ASSERT_TRUE((*store)->Save(record).ok());
  record.run_id = "20261127T112540.123Z-3f9a1c0c";
  record.payload_format = "proto:pathpair.v9.PairedRun";
  ASSERT_TRUE((*store)->Save(record).ok());

  ASSERT_EQ(Run(RunShowCommand, {"--json", "20261127T112540.123Z-3f9a1c0b"}), kExitOk)
      << err_.str();
  const nlohmann::json shown = nlohmann::json::parse(out_.str());
  EXPECT_EQ(shown["status"], "partial");
  EXPECT_EQ(shown["oneway"]["forward"]["received"], 240);
  EXPECT_EQ(shown["reverse"]["report"]["hubs"].size(), 3u);

  EXPECT_EQ(Run(RunShowCommand, {"20261127T112540.123Z-3f9a1c0c"}), kExitBadInput);
  EXPECT_THAT(out_.str(), IsEmpty());
  EXPECT_THAT(err_.str(), HasSubstr("cannot read"));
}

TEST_F(CommandsTest, BadTestInputExitsTwoWithNothingOnStdout) {
  const std::vector<std::vector<std::string>> cases = {
      {"--insecure"},                               // no --server
      {"--server", "agent.example", "--insecure"},  // no port
      {"--server", "agent.example:8620"},           // neither TLS nor --insecure
      {"--server", "agent.example:8620", "--insecure", "--tls-ca", "x"},
      {"--server", "agent.example:8620", "--insecure", "-c", "0"},
      {"--server", "agent.example:8620", "--insecure", "-c", "x"},
      {"--server", "agent.example:8620", "--insecure", "--target", "nowhere.invalid"},
      {"--server", "agent.example:8620", "--insecure", "--client", "bad"},
      {"--server", "agent.example:8620", "--insecure", "--oneway-count", "0"},
      {"--server", "agent.example:8620", "--insecure", "--bogus"},
      {"--server", "agent.example:8620", "--insecure", "--asn-db", "/nonexistent.mmdb"},
      {"--server", "agent.example:8620", "--insecure", "--geo-db", "/nonexistent.mmdb"},
      {"--server", "agent.example:8620", "--insecure", "--geo-db"},
      {"--server"},
      {"--server="},
      {"--server", "agent.example:8620", "--insecure", "--no-history", "--history-db", "x"},
      {"--server", "agent.example:8620", "--insecure", "--oneway-count", "many"},
  };
  for (const auto& args : cases) {
    EXPECT_EQ(Test(args), kExitBadInput) << args.back();
    EXPECT_THAT(out_.str(), IsEmpty()) << args.back();
    EXPECT_THAT(err_.str(), HasSubstr("pathpair test: ")) << args.back();
    const std::string error = err_.str();
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  }
}

TEST_F(CommandsTest, ShowAndDiagnoseBadInput) {
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1"}), kExitOk);
  struct Case {
    int (*command)(const std::vector<std::string>&, const HistoryDeps&, std::ostream&,
                   std::ostream&);
    std::vector<std::string> args;
  };
  const std::string malformed = WriteFile("bad.json", "{\"report\": ");
  const std::string not_a_trace = WriteFile("other.json", "{\"hello\": 1}");
  const std::vector<Case> cases = {
      {RunShowCommand, {}},
      {RunShowCommand, {"not-a-run-id"}},
      {RunShowCommand, {"20261127T112540.123Z-00000000"}},  // well formed, unknown
      {RunShowCommand, {"--bogus", "20261127T112540.123Z-00000000"}},
      {RunDiagnoseCommand, {dir_ + "/missing.json"}},
      {RunDiagnoseCommand, {malformed}},
      {RunDiagnoseCommand, {not_a_trace}},
      {RunDiagnoseCommand, {"20261127T112540.123Z-00000000"}},
      {RunDiagnoseCommand, {}},
      {RunDiagnoseCommand, {"--asn-db", "/nonexistent.mmdb", malformed}},
      {RunShowCommand, {"--asn-db", "/nonexistent.mmdb", "20261127T112540.123Z-00000000"}},
      {RunShowCommand, {"--geo-db", "/nonexistent.mmdb", "20261127T112540.123Z-00000000"}},
      {RunHistoryCommand, {"--limit", "0"}},
      {RunHistoryCommand, {"extra"}},
      {RunHistoryCommand, {"--bogus"}},
      {RunHistoryCommand, {"--history-db"}},
      {RunShowCommand, {"20261127T112540.123Z-00000000", "20261127T112540.123Z-00000001"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Run(c.command, c.args), kExitBadInput) << (c.args.empty() ? "(none)" : c.args.back());
    EXPECT_THAT(out_.str(), IsEmpty());
    EXPECT_FALSE(err_.str().empty());
    // One line, naming the command.
    const std::string error = err_.str();
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
    EXPECT_THAT(err_.str(), ::testing::StartsWith("pathpair "));
  }
}

TEST_F(CommandsTest, ShowAndDiagnoseTakeLastAndAUniqueBeginningOfTheId) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--json"}), kExitOk);
    ids.push_back(nlohmann::json::parse(out_.str())["run_id"]);
  }
  ASSERT_EQ(Run(RunShowCommand, {"--json", "last"}), kExitOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str())["run_id"], ids[1]);
  ASSERT_EQ(Run(RunDiagnoseCommand, {"--json", "last"}), kExitOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str())["run_id"], ids[1]);
  // All but the last two hex digits: unique (the two ids' random parts differ).
  const std::string prefix = ids[0].substr(0, ids[0].size() - 2);
  ASSERT_NE(prefix, ids[1].substr(0, ids[1].size() - 2));
  ASSERT_EQ(Run(RunShowCommand, {"--json", prefix}), kExitOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str())["run_id"], ids[0]);
  // Both ids start with "20": ambiguous, bad input listing both.
  EXPECT_EQ(Run(RunShowCommand, {"20"}), kExitBadInput);
  EXPECT_THAT(out_.str(), IsEmpty());
  EXPECT_THAT(err_.str(), HasSubstr("several run ids"));
  EXPECT_THAT(err_.str(), HasSubstr(ids[0]));
  EXPECT_THAT(err_.str(), HasSubstr(ids[1]));
  EXPECT_EQ(Run(RunDiagnoseCommand, {"20"}), kExitBadInput);
  // No run starts so.
  EXPECT_EQ(Run(RunShowCommand, {"1999"}), kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("no run whose id starts with '1999'"));
}

TEST_F(CommandsTest, LastInAnEmptyHistoryIsBadInput) {
  EXPECT_EQ(Run(RunShowCommand, {"last"}), kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("no runs in"));
}

TEST_F(CommandsTest, HistoryDbTakesAnSqliteUrl) {
  ExpectStoreShowAndDiagnoseThrough("sqlite:" + dir_ + "/other.db");
  struct stat info;
  EXPECT_EQ(stat((dir_ + "/other.db").c_str(), &info), 0);
  EXPECT_NE(stat(db_.c_str(), &info), 0);  // not the default
}

// Runs under tests/common/pg_server.py (ctest paired.commands_postgres); skips without it.
TEST_F(CommandsTest, HistoryDbTakesAPostgresUrl) {
  const char* url = std::getenv("PATHPAIR_TEST_PG_URL");
  if (url == nullptr || url[0] == '\0') GTEST_SKIP() << "no PostgreSQL server";
  ExpectStoreShowAndDiagnoseThrough(url);
}

TEST_F(CommandsTest, ABadHistoryUrlIsBadInputAndItsPasswordIsNeverShown) {
  for (auto command : {RunHistoryCommand, RunShowCommand, RunDiagnoseCommand}) {
    std::vector<std::string> args = {"--history-db", "mysql://fleet:pw-xyzzy@db/pathpair"};
    if (command != RunHistoryCommand) args.push_back("last");
    EXPECT_EQ(Run(command, args), kExitBadInput);
    EXPECT_THAT(err_.str(), HasSubstr("unknown kind of database"));
    EXPECT_THAT(err_.str(), Not(HasSubstr("pw-xyzzy")));
  }
  EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--history-db",
                  "postgresql://fleet:pw-xyzzy@/db?bogus=1"}),
            kExitBadInput);
  EXPECT_THAT(err_.str(), Not(HasSubstr("pw-xyzzy")));
  // A server that cannot be reached is not bad input; the message still hides the password.
  EXPECT_EQ(Run(RunHistoryCommand,
                {"--history-db", "postgresql://fleet:pw-xyzzy@/db?host=/nonexistent-pp-dir"}),
            kExitRuntimeError);
  EXPECT_THAT(err_.str(), HasSubstr("fleet:***@"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("pw-xyzzy")));
}

TEST_F(CommandsTest, AHistoryInAMissingDirectoryIsBadInputAndNotCreated) {
  const std::string missing = dir_ + "/no/such/dir/history.db";
  EXPECT_EQ(Run(RunHistoryCommand, {"--history-db", missing}), kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("does not exist"));
  EXPECT_EQ(Run(RunShowCommand, {"--history-db", missing, "last"}), kExitBadInput);
  EXPECT_EQ(
      Test({"--server", "agent.example:8620", "--insecure", "-c", "1", "--history-db", missing}),
      kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("does not exist"));
  struct stat info;
  EXPECT_NE(stat((dir_ + "/no").c_str(), &info), 0);
  // The default given by PATHPAIR_HISTORY_DB (deps.default_history_path) is checked alike.
  history_deps_.default_history_path = [missing] { return absl::StatusOr<std::string>(missing); };
  EXPECT_EQ(Run(RunHistoryCommand, {}), kExitBadInput);
}

TEST_F(CommandsTest, DiagnoseReadsMtrJson) {
  const std::string mtr =
      WriteFile("mtr.json",
                R"({"report": {"mtr": {"src": "a", "dst": "203.0.113.80", "tos": 0, "tests": 3,
          "psize": "64", "bitpattern": "0x00"},
        "hubs": [{"count": 1, "host": "10.0.0.1", "Loss%": 0.0, "Snt": 3, "Last": 1.0,
                  "Avg": 1.0, "Best": 1.0, "Wrst": 1.0, "StDev": 0.0},
                 {"count": 2, "host": "203.0.113.80", "Loss%": 0.0, "Snt": 3, "Last": 2.0,
                  "Avg": 2.0, "Best": 2.0, "Wrst": 2.0, "StDev": 0.0}]}})");
  ASSERT_EQ(Run(RunDiagnoseCommand, {"-j", mtr}), kExitOk) << err_.str();
  const nlohmann::json j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["report"]["hubs"].size(), 2u);
  EXPECT_TRUE(j["report"]["diagnosis"].is_array());
  ASSERT_EQ(Run(RunDiagnoseCommand, {mtr}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("203.0.113.80"));
}

// One exit-code table for every command (common/status/exit_codes.h): `test` and `diagnose`
// exit with the verdict, `show` only with --diagnose-exit, `history` with 0.
TEST_F(CommandsTest, TestDiagnoseAndShowExitWithTheVerdict) {
  struct Case {
    int64_t oneway_received;  // of 600 each way
    int code;
    const char* verdict;
  };
  for (const Case& c : {Case{-1, kExitOk, "healthy"}, Case{560, kExitDegraded, "degraded"},
                        Case{250, kExitBroken, "broken"}}) {
    SCOPED_TRACE(c.verdict);
    oneway_received_ = c.oneway_received;
    ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--oneway-count",
                    "600", "--json"}),
              c.code)
        << err_.str();
    const nlohmann::json j = nlohmann::json::parse(out_.str());
    EXPECT_EQ(j["status"], "complete");
    EXPECT_EQ(j["verdict"], c.verdict);
    const std::string run_id = j["run_id"];
    // --diagnose-exit is accepted, as with `trace`, and changes nothing.
    EXPECT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--oneway-count",
                    "600", "--diagnose-exit", "--no-history"}),
              c.code);
    EXPECT_THAT(out_.str(),
                HasSubstr(absl::StrCat("Diagnosis: ", absl::AsciiStrToUpper(c.verdict))));

    EXPECT_EQ(Run(RunDiagnoseCommand, {run_id}), c.code);
    EXPECT_EQ(Run(RunDiagnoseCommand, {"--diagnose-exit", "--json", run_id}), c.code);
    EXPECT_EQ(nlohmann::json::parse(out_.str())["verdict"], c.verdict);
    const std::string saved = WriteFile("saved.json", j.dump());
    EXPECT_EQ(Run(RunDiagnoseCommand, {saved}), c.code);
    EXPECT_EQ(Run(RunShowCommand, {run_id}), kExitOk);
    EXPECT_EQ(Run(RunShowCommand, {"--diagnose-exit", run_id}), c.code);

    ASSERT_EQ(Run(RunHistoryCommand, {"--json", "--limit", "1"}), kExitOk);
    const nlohmann::json list = nlohmann::json::parse(out_.str());
    EXPECT_EQ(list[0]["run_id"], run_id);
    EXPECT_EQ(list[0]["verdict"], c.verdict);  // never a finding code
    ASSERT_EQ(Run(RunHistoryCommand, {"--limit", "1"}), kExitOk);
    EXPECT_THAT(out_.str(), HasSubstr(c.verdict));

    // The verdict is stored with the run itself.
    absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = history::HistoryStore::Open(db_);
    ASSERT_TRUE(store.ok());
    absl::StatusOr<history::RunRecord> record = (*store)->Load(run_id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->verdict, c.verdict);
    absl::StatusOr<v1::PairedRun> run = paired::DecodeRun(record->payload_format, record->payload);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(diagnosis::VerdictName(run->verdict()), c.verdict);
  }
}

TEST_F(CommandsTest, PartialRunsArePartialForDiagnoseAndShowDiagnoseExit) {
  server_fails_after_ = 1;
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--json"}),
            kExitPartial);
  const std::string run_id = nlohmann::json::parse(out_.str())["run_id"];
  EXPECT_EQ(Run(RunDiagnoseCommand, {run_id}), kExitPartial);
  EXPECT_THAT(out_.str(), HasSubstr("Diagnosis:"));  // the report of what was measured
  EXPECT_THAT(err_.str(), HasSubstr("pathpair diagnose: the run is partial"));
  EXPECT_EQ(Run(RunShowCommand, {run_id}), kExitOk);
  EXPECT_EQ(Run(RunShowCommand, {"--diagnose-exit", run_id}), kExitPartial);
}

TEST_F(CommandsTest, HistoryListsRunsStoredBeforeTheVerdictWithTheirVerdict) {
  ASSERT_EQ(Test({"--server", "agent.example:8620", "--insecure", "-c", "3", "--json"}), kExitOk);
  const std::string run_id = nlohmann::json::parse(out_.str())["run_id"];
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = history::HistoryStore::Open(db_);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<history::RunRecord> record = (*store)->Load(run_id);
  ASSERT_TRUE(record.ok());
  // As an older version stored it: a finding code in the column, no verdict in the run.
  absl::StatusOr<v1::PairedRun> run = paired::DecodeRun(record->payload_format, record->payload);
  ASSERT_TRUE(run.ok());
  run->clear_verdict();
  paired::RunPayload payload = paired::EncodeRun(*run);
  record->payload = payload.bytes;
  record->run_id = "20201127T112540.123Z-3f9a1c0b";
  record->start = absl::FromUnixSeconds(1606476340);
  record->verdict = "ASYMMETRIC_PATH";
  ASSERT_TRUE((*store)->Save(*record).ok());
  ASSERT_EQ(Run(RunHistoryCommand, {"--json"}), kExitOk);
  const nlohmann::json list = nlohmann::json::parse(out_.str());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["run_id"], "20201127T112540.123Z-3f9a1c0b");
  EXPECT_EQ(list[1]["verdict"], "healthy");  // diagnosed again from the stored measurements
}

TEST_F(CommandsTest, DiagnoseExitsWithTheVerdictOfATraceFile) {
  const auto mtr = [this](const std::string& name, const std::string& hubs) {
    return WriteFile(name, R"({"report": {"mtr": {"src": "a", "dst": "203.0.113.80", "tos": 0,
        "tests": 10, "psize": "64", "bitpattern": "0x00"}, "hubs": [)" +
                               hubs + "]}}");
  };
  const std::string hop1 =
      R"({"count": 1, "host": "10.0.0.1", "Loss%": 0.0, "Snt": 10, "Last": 1.0, "Avg": 1.0,
          "Best": 1.0, "Wrst": 1.0, "StDev": 0.0})";
  const std::string healthy =
      mtr("healthy.json", hop1 + R"(, {"count": 2, "host": "203.0.113.80", "Loss%": 0.0,
          "Snt": 10, "Last": 2.0, "Avg": 2.0, "Best": 2.0, "Wrst": 2.0, "StDev": 0.0})");
  const std::string degraded = mtr("degraded.json", hop1 + R"(,
      {"count": 2, "host": "10.0.1.1", "Loss%": 30.0, "Snt": 10, "Last": 2.0, "Avg": 2.0,
       "Best": 2.0, "Wrst": 2.0, "StDev": 0.0},
      {"count": 3, "host": "203.0.113.80", "Loss%": 30.0, "Snt": 10, "Last": 3.0, "Avg": 3.0,
       "Best": 3.0, "Wrst": 3.0, "StDev": 0.0})");
  const std::string broken = mtr("broken.json", hop1 + R"(,
      {"count": 2, "host": "???", "Loss%": 100.0, "Snt": 10, "Last": 0.0, "Avg": 0.0,
       "Best": 0.0, "Wrst": 0.0, "StDev": 0.0},
      {"count": 3, "host": "???", "Loss%": 100.0, "Snt": 10, "Last": 0.0, "Avg": 0.0,
       "Best": 0.0, "Wrst": 0.0, "StDev": 0.0})");
  for (const auto& [file, code] : {std::pair{healthy, kExitOk}, std::pair{degraded, kExitDegraded},
                                   std::pair{broken, kExitBroken}}) {
    EXPECT_EQ(Run(RunDiagnoseCommand, {file}), code) << file << err_.str() << out_.str();
    EXPECT_EQ(Run(RunDiagnoseCommand, {"-j", file}), code) << file;
    EXPECT_THAT(err_.str(), IsEmpty());
  }
  // Bad input stays bad input, whatever a file would have said.
  EXPECT_EQ(Run(RunDiagnoseCommand, {"--geo-db", "/nonexistent.mmdb", broken}), kExitBadInput);
  EXPECT_THAT(err_.str(), HasSubstr("--geo-db"));
}

}  // namespace
}  // namespace pathpair::subcommands

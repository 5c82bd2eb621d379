#include "controller/subcommands/test_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/cli/trace_options.h"
#include "controller/diagnosis/finding.h"
#include "controller/geo/mmdb_geo_lookup.h"
#include "controller/history/history_store.h"
#include "controller/merge/path_merge.h"
#include "controller/merge/paths_json.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_json.h"
#include "controller/paired/paired_run.h"
#include "controller/paired/run_payload.h"
#include "controller/report/paired/html_page.h"
#include "controller/report/paired/paired_html.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/paired/side_by_side_text.h"
#include "controller/report/trace/json_writer.h"
#include "controller/screen/live_trace.h"
#include "controller/subcommands/command_line.h"

namespace pathpair::subcommands {
namespace {

struct TestFlags {
  std::string client;
  std::string server;
  std::string target;
  std::string reverse_target;
  bool json = false;
  std::string html;  // --html FILE
  ConnectionFlags connection;
  std::string token_file;
  std::string history_db;
  std::string asn_db;
  std::string geo_db;
  bool diagnose_exit = false;  // accepted as in `trace`; `test` exits with the verdict anyway
  bool no_history = false;
  bool no_oneway = false;
  int64_t oneway_count = 0;
  double busy_wait_s = 30;
};

constexpr char kTestDescription[] =
    "Traces both directions at once: the client side (the agent at --client, or this\n"
    "machine without it) to the target, and the server agent back to the client, plus a\n"
    "one-way loss and delay measurement each way; prints the merged report and stores it\n"
    "in the history (pathpair history / show / diagnose).";

constexpr char kTestFooter[] =
    "Trace options: as `pathpair trace` (-c rounds, -i interval, -u/-T/-P, -4/-6, -m, -f, -s,\n"
    "-Q, -n, -j ...); defaults: -c 10 -i 1.\n"
    "\n"
    "Exit: the verdict of a complete run (0 healthy, 3 degraded, 4 broken; --diagnose-exit is\n"
    "the default), 1 nothing measured, 2 bad input, 5 partial (one side failed), 130\n"
    "interrupted.";

// The flags of `pathpair test`; whatever it does not know is left for the trace options.
// `scheduled`: for ParseScheduledTestOptions (--server is then not required: the schedule names
// both ends).
void DeclareFlags(CLI::App& app, TestFlags& flags, bool scheduled = false) {
  app.add_option("--client", flags.client, "client agent (default: this machine)")
      ->type_name("HOST:PORT");
  app.add_option("--server", flags.server, "the server agent")
      ->type_name("HOST:PORT")
      ->required(!scheduled);
  app.add_option("--target", flags.target, "forward target (default: the --server host)")
      ->type_name("ADDR");
  app.add_option("--reverse-target", flags.reverse_target,
                 "reverse target (default: learned with Reflect)")
      ->type_name("ADDR");
  app.add_flag("--json", flags.json, "the paired JSON report (also -j)");
  app.add_option("--html", flags.html, "also write a self-contained HTML report")
      ->type_name("FILE");
  CLI::Option* insecure =
      app.add_flag("--insecure", flags.connection.insecure, "plaintext gRPC to the agents");
  for (auto [name, into, what] :
       {std::tuple{"--tls-ca", &flags.connection.tls_ca, "CA certificate of the agents"},
        std::tuple{"--tls-cert", &flags.connection.tls_cert, "this controller's certificate"},
        std::tuple{"--tls-key", &flags.connection.tls_key, "this controller's key"}}) {
    app.add_option(name, *into, what)->type_name("FILE")->excludes(insecure);
  }
  app.add_option("--server-tls-name", flags.connection.server_tls_name,
                 "the server agent's name in its certificate")
      ->type_name("NAME");
  app.add_option("--token-file", flags.token_file, "bearer token for the agents")
      ->type_name("FILE");
  CLI::Option* no_history = app.add_flag("--no-history", flags.no_history, "do not store the run");
  app.add_option("--history-db", flags.history_db, kHistoryDbHelp)
      ->type_name("PATH|URL")
      ->excludes(no_history);
  app.add_flag("--no-oneway", flags.no_oneway, "no one-way measurement");
  app.add_option("--oneway-count", flags.oneway_count,
                 "one-way packets each way (default: as many as fit in the traces' duration, at "
                 "least 300, 1-5 ms apart)")
      ->type_name("N")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_option("--busy-wait", flags.busy_wait_s,
                 "when an agent's limits refuse the test (busy with other measurements),\n"
                 "try again for up to SECONDS (default 30; 0: give up at once)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--asn-db", flags.asn_db, "MaxMind-format ASN database (AS paths, areas)")
      ->type_name("FILE");
  app.add_option("--geo-db", flags.geo_db,
                 "MaxMind-format city database (checks long links against the distance)")
      ->type_name("FILE");
  app.add_flag("--diagnose-exit", flags.diagnose_exit,
               "exit with the verdict (the default for test: 0 healthy, 3 degraded, 4 broken)");
  app.allow_extras();  // the trace options
  app.footer(kTestFooter);
}

absl::Status CheckTls(const ConnectionFlags& connection) {
  if (!connection.insecure &&
      (connection.tls_ca.empty() || connection.tls_cert.empty() || connection.tls_key.empty())) {
    return absl::InvalidArgumentError(
        "agents need mutual TLS: give --tls-ca, --tls-cert and --tls-key "
        "(deploy/make-certs.sh), or --insecure for plaintext");
  }
  return absl::OkStatus();
}

// The trace options, with a stand-in host (the targets come from the test's own flags).
absl::StatusOr<cli::TraceCommandLine> ParseTraceOptions(std::vector<std::string> args) {
  args.push_back("pathpair-test-target");
  PATHPAIR_ASSIGN_OR_RETURN(cli::TraceCommandLine trace, cli::ParseTraceCommandLine(args));
  if (trace.probe.count() <= 0) {
    return absl::InvalidArgumentError("a paired test needs -c ROUNDS of at least 1");
  }
  return trace;
}

absl::StatusOr<std::string> ResolveAddress(cli::HostResolver& resolver, const std::string& host,
                                           int ip_version, const char* what) {
  absl::StatusOr<IpAddress> address = resolver.Resolve(host, ip_version);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", host, "' does not resolve: ", address.status().message()));
  }
  return address->ToString();
}

absl::StatusOr<paired::PairedTestPlan> BuildPlan(const TestFlags& flags,
                                                 const v1::ProbeOptions& probe,
                                                 cli::HostResolver& resolver) {
  absl::StatusOr<std::pair<std::string, int>> server = paired::SplitHostPort(flags.server);
  if (!server.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--server: ", server.status().message()));
  }
  if (!flags.client.empty()) {
    if (absl::Status s = paired::SplitHostPort(flags.client).status(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--client: ", s.message()));
    }
  }
  paired::PairedTestPlan plan;
  plan.probe = probe;
  plan.server_endpoint = flags.server;
  plan.oneway = !flags.no_oneway;
  plan.oneway_count = flags.oneway_count;
  plan.busy_wait = absl::Seconds(flags.busy_wait_s);
  PATHPAIR_ASSIGN_OR_RETURN(
      plan.forward_target,
      ResolveAddress(resolver, flags.target.empty() ? server->first : flags.target,
                     probe.ip_version(), "the forward target"));
  plan.forward_target_is_server = flags.target.empty();
  plan.insecure = flags.connection.insecure;
  if (!flags.reverse_target.empty()) {
    PATHPAIR_ASSIGN_OR_RETURN(
        plan.reverse_target,
        ResolveAddress(resolver, flags.reverse_target, probe.ip_version(), "--reverse-target"));
  }
  return plan;
}

// The --html page, opened during the preparation (before the in-process client drops the
// process's privileges, after which this user might not create it) but written only at the
// end: an existing page is left as it was until then, and a page this run created is removed
// again when nothing was written (a test that could not start leaves no empty file).
class HtmlPageFile {
 public:
  static absl::StatusOr<std::unique_ptr<HtmlPageFile>> Open(const std::string& path) {
    bool created = true;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--html: cannot write '", path, "': ", std::strerror(errno)));
    }
    return std::unique_ptr<HtmlPageFile>(new HtmlPageFile(path, fd, created));
  }
  HtmlPageFile(const HtmlPageFile&) = delete;
  HtmlPageFile& operator=(const HtmlPageFile&) = delete;
  ~HtmlPageFile() {
    if (created_ && !written_) unlink(path_.c_str());  // best effort
    close(fd_);
  }

  // Replaces the file's content with `page`; false on any write error.
  bool Write(absl::string_view page) {
    written_ = true;
    if (ftruncate(fd_, 0) != 0) return false;
    while (!page.empty()) {
      const ssize_t n = pwrite(fd_, page.data(), page.size(), offset_);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      page.remove_prefix(static_cast<size_t>(n));
      offset_ += n;
    }
    return true;
  }

 private:
  HtmlPageFile(std::string path, int fd, bool created)
      : path_(std::move(path)), fd_(fd), created_(created) {}

  const std::string path_;
  const int fd_;
  const bool created_;
  bool written_ = false;
  off_t offset_ = 0;
};

// The --html file is written at the end of the test: it must be writable before the test
// starts. Checked without creating or touching it.
absl::Status CheckWritable(const std::string& path) {
  const auto cannot = [&path](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--html: cannot write '", path, "': ", why));
  };
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return cannot("it is a directory");
    if (access(path.c_str(), W_OK) != 0) return cannot(std::strerror(errno));
    return absl::OkStatus();
  }
  if (errno != ENOENT) return cannot(std::strerror(errno));
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  if (stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return cannot(absl::StrCat("no directory '", directory, "'"));
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) return cannot(std::strerror(errno));
  return absl::OkStatus();
}

// The history opens before the test so that a bad --history-db fails fast. Null with
// --no-history.
absl::StatusOr<std::unique_ptr<history::HistoryStore>> OpenHistory(const TestFlags& flags,
                                                                   const TestCommandDeps& deps) {
  if (flags.no_history) return nullptr;
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store =
      OpenHistoryStore(flags.history_db, deps.default_history_path);
  if (absl::IsFailedPrecondition(store.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(store.status().message(), "; or run with --no-history"));
  }
  return store;
}

// Everything a test needs, checked and opened before anything is probed.
struct PreparedTest {
  paired::PairedTestPlan plan;
  bool json = false;                       // the paired JSON report (--json or the trace option -j)
  bool use_names = true;                   // false with -n
  std::string html;                        // --html FILE; empty: no page
  std::unique_ptr<HtmlPageFile> html_out;  // --html FILE, open since the preparation
  std::unique_ptr<asn::AsLookup> as_lookup;      // null without --asn-db
  std::unique_ptr<geo::GeoLookup> geo_lookup;    // null without --geo-db
  std::unique_ptr<history::HistoryStore> store;  // null with --no-history
  std::unique_ptr<paired::Endpoint> client;
  std::unique_ptr<paired::Endpoint> server;
};

// Step 1: the flags checked (bad input: InvalidArgument), the history and both ends opened.
absl::StatusOr<PreparedTest> PrepareTest(const TestFlags& flags,
                                         const std::vector<std::string>& trace_args,
                                         TestCommandDeps& deps) {
  PATHPAIR_RETURN_IF_ERROR(CheckTls(flags.connection));
  PATHPAIR_ASSIGN_OR_RETURN(const cli::TraceCommandLine trace, ParseTraceOptions(trace_args));
  PreparedTest test;
  test.json = flags.json || trace.output.format == cli::OutputFormat::kJson;
  test.use_names = trace.output.dns;
  PATHPAIR_ASSIGN_OR_RETURN(test.plan, BuildPlan(flags, trace.probe, *deps.resolver));
  ConnectionFlags connection = flags.connection;
  if (!flags.token_file.empty()) {
    absl::StatusOr<std::string> token = deps.read_token_file(flags.token_file);
    if (!token.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file: ", token.status().message()));
    }
    connection.token = *std::move(token);
  }
  PATHPAIR_ASSIGN_OR_RETURN(test.as_lookup, OpenAsDatabase(flags.asn_db));
  // A --geo-db among the trace options (as `pathpair trace` takes it) counts as well.
  PATHPAIR_ASSIGN_OR_RETURN(
      test.geo_lookup, OpenGeoDatabase(flags.geo_db.empty() ? trace.output.geo_db : flags.geo_db));
  if (!flags.html.empty()) {
    PATHPAIR_RETURN_IF_ERROR(CheckWritable(flags.html));
    // Opened now, before the in-process client drops the process's privileges (it may then be
    // another user, who could not create the file here).
    PATHPAIR_ASSIGN_OR_RETURN(test.html_out, HtmlPageFile::Open(flags.html));
  }
  test.html = flags.html;
  PATHPAIR_ASSIGN_OR_RETURN(test.store, OpenHistory(flags, deps));

  // The client end first: in process, it opens its sockets and drops the privileges before
  // anything (gRPC) starts a thread (docs/SECURITY.md).
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> client =
      flags.client.empty() ? deps.make_local(connection)
                           : deps.make_remote(flags.client, connection);
  if (!client.ok()) {
    return absl::UnavailableError(absl::StrCat("client side: ", client.status().message()));
  }
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> server =
      deps.make_remote(flags.server, connection);
  if (!server.ok()) {
    return absl::UnavailableError(absl::StrCat("server agent: ", server.status().message()));
  }
  test.server = *std::move(server);
  test.client = *std::move(client);
  return test;
}

// Live progress on stderr: a redrawn side-by-side view on a terminal, else one line at most
// once a second.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool tty) : err_(err), tty_(tty) {}

  // Erases the live view (terminal only), so that the report follows a clean screen.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (tty_ && lines_ > 0) err_ << "\x1b[" << lines_ << "A\x1b[J" << std::flush;
    lines_ = 0;
    finished_ = true;
  }

  void Update(const paired::LiveState& state) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    const absl::Time now = absl::Now();
    if (now - last_ < (tty_ ? absl::Milliseconds(250) : absl::Seconds(1))) return;
    last_ = now;
    if (tty_) {
      std::string view;
      if (state.forward.has_value() || state.reverse.has_value()) {
        formats::PairedTextOptions options;
        options.label.use_names = false;
        options.forward_title = "client -> server";
        options.reverse_title = "server -> client";
        view = formats::FormatPairedText(state.forward.value_or(v1::TraceResult()),
                                         state.reverse.value_or(v1::TraceResult()), options);
      }
      absl::StrAppend(&view, Line(state), "\n");
      if (lines_ > 0) err_ << "\x1b[" << lines_ << "A\x1b[J";
      err_ << view << std::flush;
      lines_ = static_cast<int>(std::count(view.begin(), view.end(), '\n'));
    } else {
      err_ << Line(state) << "\n" << std::flush;
    }
  }

 private:
  static std::string Side(const std::optional<v1::TraceResult>& trace, int wanted) {
    if (!trace.has_value()) return "starting";
    return absl::StrFormat("round %d/%d, %d hops", trace->rounds(), wanted, trace->hops_size());
  }
  static std::string Line(const paired::LiveState& state) {
    std::string line =
        absl::StrCat("pathpair test: forward ", Side(state.forward, state.rounds_wanted),
                     "; reverse ", Side(state.reverse, state.rounds_wanted));
    if (state.oneway_packets_wanted > 0) {
      const int64_t fwd =
          state.server_oneway.has_value() ? state.server_oneway->inbound().received() : 0;
      const int64_t rev =
          state.client_oneway.has_value() ? state.client_oneway->inbound().received() : 0;
      absl::StrAppendFormat(&line, "; one-way received %d/%d and %d/%d", fwd,
                            state.oneway_packets_wanted, rev, state.oneway_packets_wanted);
    }
    return line;
  }

  std::ostream& err_;
  const bool tty_;
  std::mutex mu_;
  absl::Time last_ = absl::InfinitePast();
  int lines_ = 0;
  bool finished_ = false;
};

// The test in a worker thread while the live screen shows both directions. Leaving the screen
// (`q`, a signal) stops the test as Ctrl-C does: both agents are told to stop.
absl::StatusOr<v1::PairedRun> RunWithScreen(const paired::PairedTestPlan& plan,
                                            paired::Endpoint& client, paired::Endpoint& server,
                                            TestCommandDeps& deps, const paired::CancelToken& outer,
                                            std::ostream& err) {
  screen::SnapshotSlot forward, reverse;
  paired::CancelToken stop;
  std::atomic<bool> finished{false};
  absl::StatusOr<v1::PairedRun> run = absl::UnknownError("the test did not run");
  std::thread worker([&] {
    run = paired::RunPairedTest(plan, client, server, deps.paired, stop,
                                [&](const paired::LiveState& state) {
                                  if (state.forward.has_value()) forward.Publish(*state.forward);
                                  if (state.reverse.has_value()) reverse.Publish(*state.reverse);
                                });
    if (run.ok() && run->client().has_trace()) forward.Publish(run->client().trace());
    if (run.ok() && run->server().has_trace()) reverse.Publish(run->server().trace());
    forward.Finish();
    reverse.Finish();
    finished.store(true);
  });
  const std::vector<screen::SnapshotSource> sources = {
      screen::MakeSnapshotSource(forward, nullptr, nullptr,
                                 absl::StrCat("forward: client -> ", plan.forward_target)),
      screen::MakeSnapshotSource(
          reverse, nullptr, nullptr,
          absl::StrCat("reverse: server -> ",
                       plan.reverse_target.empty() ? "client" : plan.reverse_target))};
  const absl::Status shown =
      deps.run_screen(sources, [&] { return finished.load() || outer.cancelled(); });
  stop.Cancel();
  worker.join();
  if (!shown.ok()) err << "pathpair test: " << shown.message() << "\n";
  return run;
}

// Step 2: the test itself, with the live screen or progress on stderr. An error only when
// nothing could start; what happened after the start is in the run.
absl::StatusOr<v1::PairedRun> RunTest(PreparedTest& test, TestCommandDeps& deps,
                                      std::ostream& err) {
  paired::CancelToken never;
  const paired::CancelToken& cancel = deps.cancel != nullptr ? *deps.cancel : never;
  ProgressPrinter printer(err, deps.progress_tty);
  paired::ProgressFn progress;
  if (deps.show_progress) progress = [&printer](const paired::LiveState& s) { printer.Update(s); };
  absl::StatusOr<v1::PairedRun> run =
      deps.run_screen && !test.json
          ? RunWithScreen(test.plan, *test.client, *test.server, deps, cancel, err)
          : paired::RunPairedTest(test.plan, *test.client, *test.server, deps.paired, cancel,
                                  progress);
  printer.Finish();
  return run;
}

// Stores the run, with its verdict, in the history. A failure is reported, and the report still
// prints.
void StoreRun(history::HistoryStore& store, v1::PairedRun run, v1::Verdict verdict,
              std::ostream& err) {
  run.set_verdict(verdict);
  history::RunRecord record;
  record.run_id = run.run_id();
  record.start = absl::FromUnixMicros(run.start_unix_us());
  record.end = absl::FromUnixMicros(run.end_unix_us());
  record.client = run.client().endpoint();
  record.server = run.server().endpoint();
  // `pathpair test` knows its agents by their endpoints only.
  record.client_name = record.client;
  record.server_name = record.server;
  record.target = run.forward_target();
  record.verdict = diagnosis::VerdictName(verdict);
  record.status = paired::RunCompleteness(run) == paired::Completeness::kComplete
                      ? history::RunStatus::kComplete
                      : history::RunStatus::kPartial;
  paired::RunPayload payload = paired::EncodeRun(run);
  record.payload_format = std::move(payload.format);
  record.payload = std::move(payload.bytes);
  if (absl::Status s = store.Save(record); !s.ok()) {
    err << "pathpair test: the run was not stored: " << s.message() << "\n";
  } else {
    err << "pathpair test: stored as " << run.run_id() << "\n";
  }
}

// Step 3: the run stored (before printing, so that a closed stdout — a pager quitting — never
// loses it), the report printed, the --html page written.
absl::Status ReportTest(const PreparedTest& test, const v1::PairedRun& run, std::ostream& out,
                        std::ostream& err, std::optional<v1::Verdict>& exit_verdict) {
  const std::optional<merge::MergedPaths> merged = merge::MergeRun(run, test.as_lookup.get());
  const merge::MergedPaths* paths = merged.has_value() ? &*merged : nullptr;
  const paired::DiagnosisOutput diagnosis =
      paired::DiagnosePairedRun(run, test.as_lookup.get(), test.geo_lookup.get());
  if (test.store != nullptr) StoreRun(*test.store, run, diagnosis.verdict, err);
  if (test.json) {
    const nlohmann::json paths_json = paths != nullptr ? merge::PathsToJson(*paths) : nullptr;
    out << output::DumpJson(
        paired::PairedRunToJson(run, paths_json, diagnosis.json, test.use_names));
  } else {
    out << paired::FormatPairedRunText(run, paths, diagnosis, {.use_names = test.use_names});
  }
  out.flush();
  if (!test.html.empty()) {
    const html::PairedReport page =
        BuildPairedHtmlReport(run, paths, diagnosis, test.as_lookup.get(), test.use_names);
    if (!test.html_out->Write(html::RenderPairedHtml(page))) {
      err << "pathpair test: --html: cannot write " << test.html << "\n";
    } else {
      err << "pathpair test: wrote " << test.html << "\n";
    }
  }
  exit_verdict = diagnosis.verdict;
  return PairedRunStatus(run, /*stored=*/false);
}

absl::Status TestCommand(const std::vector<std::string>& args, TestCommandDeps& deps,
                         std::ostream& out, std::ostream& err,
                         std::optional<v1::Verdict>& exit_verdict) {
  CLI::App app(kTestDescription, "pathpair test");
  TestFlags flags;
  DeclareFlags(app, flags);
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
  if (!go_on) return absl::OkStatus();
  PATHPAIR_ASSIGN_OR_RETURN(PreparedTest test, PrepareTest(flags, app.remaining(), deps));
  if (deps.on_prepared) deps.on_prepared();
  PATHPAIR_ASSIGN_OR_RETURN(const v1::PairedRun run, RunTest(test, deps, err));
  return ReportTest(test, run, out, err, exit_verdict);
}

}  // namespace

absl::StatusOr<ScheduledTestOptions> ParseScheduledTestOptions(
    const std::vector<std::string>& args) {
  CLI::App app(kTestDescription, "pathpair test");
  TestFlags flags;
  DeclareFlags(app, flags, /*scheduled=*/true);
  std::ostringstream help;
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, help));
  if (!go_on) return absl::InvalidArgumentError("--help makes no sense in a schedule");
  // Only what shapes the measurement: the ends come from the schedule, the connection from the
  // config's security, and the results go to the database.
  for (const CLI::Option* option : app.get_options()) {
    const std::string name = option->get_name();
    if (option->count() == 0 || name == "--no-oneway" || name == "--oneway-count") continue;
    return absl::InvalidArgumentError(
        absl::StrCat(name,
                     " makes no sense in a schedule (ends, security and storage come "
                     "from the config)"));
  }
  PATHPAIR_ASSIGN_OR_RETURN(const cli::TraceCommandLine trace, ParseTraceOptions(app.remaining()));
  if (trace.output.format_given || !trace.output.export_text.empty() ||
      !trace.output.export_html.empty() || !trace.hosts_file.empty() || trace.show_help ||
      trace.show_version) {
    return absl::InvalidArgumentError(
        "output options (-r -w -j -C -x -l -p -t, exports, -F, --help) make no sense in a "
        "schedule: runs go to the database");
  }
  if (trace.probe.target() != "pathpair-test-target") {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", trace.probe.target(),
                                                   "': the schedule names both ends"));
  }
  ScheduledTestOptions options;
  options.probe = trace.probe;
  options.probe.clear_target();
  options.oneway = !flags.no_oneway;
  options.oneway_count = flags.oneway_count;
  return options;
}

int RunTestCommand(const std::vector<std::string>& args, TestCommandDeps& deps, std::ostream& out,
                   std::ostream& err) {
  std::optional<v1::Verdict> verdict;
  const absl::Status status = TestCommand(args, deps, out, err, verdict);
  return FinishCommand("test", status, err, verdict);
}

}  // namespace pathpair::subcommands

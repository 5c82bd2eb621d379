#include "controller/subcommands/test_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/cli/trace_options.h"
#include "controller/history/history_store.h"
#include "controller/merge/path_merge.h"
#include "controller/merge/paths_json.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_json.h"
#include "controller/report/paired/html_page.h"
#include "controller/report/paired/paired_html.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/paired/side_by_side_text.h"
#include "controller/report/trace/json_writer.h"
#include "controller/report/trace/winmtr_export.h"
#include "controller/screen/live_trace.h"

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
  bool no_history = false;
  bool oneway = true;
  int64_t oneway_count = 0;
  bool help = false;
  std::vector<std::string> trace_args;
};

// Options that take a value, and where it goes.
absl::StatusOr<TestFlags> ParseFlags(const std::vector<std::string>& args) {
  TestFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (const size_t eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&](std::string* into) -> absl::Status {
      if (inline_value.has_value()) {
        *into = *inline_value;
      } else if (i + 1 < args.size()) {
        *into = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("option ", arg, " needs a value"));
      }
      if (into->empty()) return absl::InvalidArgumentError(absl::StrCat(arg, " is empty"));
      return absl::OkStatus();
    };
    absl::Status s;
    if (arg == "--client") {
      s = value(&flags.client);
    } else if (arg == "--server") {
      s = value(&flags.server);
    } else if (arg == "--target") {
      s = value(&flags.target);
    } else if (arg == "--reverse-target") {
      s = value(&flags.reverse_target);
    } else if (arg == "--json") {
      flags.json = true;
    } else if (arg == "--html") {
      s = value(&flags.html);
    } else if (arg == "--insecure") {
      flags.connection.insecure = true;
    } else if (arg == "--tls-ca") {
      s = value(&flags.connection.tls_ca);
    } else if (arg == "--tls-cert") {
      s = value(&flags.connection.tls_cert);
    } else if (arg == "--tls-key") {
      s = value(&flags.connection.tls_key);
    } else if (arg == "--server-tls-name") {
      s = value(&flags.connection.server_tls_name);
    } else if (arg == "--token-file") {
      s = value(&flags.token_file);
    } else if (arg == "--history-db") {
      s = value(&flags.history_db);
    } else if (arg == "--asn-db") {
      s = value(&flags.asn_db);
    } else if (arg == "--no-history") {
      flags.no_history = true;
    } else if (arg == "--no-oneway") {
      flags.oneway = false;
    } else if (arg == "--oneway-count") {
      std::string text;
      s = value(&text);
      if (s.ok() && (!absl::SimpleAtoi(text, &flags.oneway_count) || flags.oneway_count < 1 ||
                     flags.oneway_count > (1 << 20))) {
        s = absl::InvalidArgumentError(
            absl::StrCat("--oneway-count must be 1..1048576, not '", text, "'"));
      }
    } else if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else {
      if (inline_value.has_value()) arg = args[i];
      flags.trace_args.push_back(arg);
    }
    if (!s.ok()) return s;
  }
  if (flags.help) return flags;
  if (flags.server.empty()) return absl::InvalidArgumentError("--server HOST:PORT is required");
  if (flags.connection.insecure &&
      (!flags.connection.tls_ca.empty() || !flags.connection.tls_cert.empty() ||
       !flags.connection.tls_key.empty())) {
    return absl::InvalidArgumentError("--insecure and the --tls-* options exclude each other");
  }
  if (!flags.connection.insecure &&
      (flags.connection.tls_ca.empty() || flags.connection.tls_cert.empty() ||
       flags.connection.tls_key.empty())) {
    return absl::InvalidArgumentError(
        "agents need mutual TLS: give --tls-ca, --tls-cert and --tls-key "
        "(deploy/make-certs.sh), or --insecure for plaintext");
  }
  if (flags.no_history && !flags.history_db.empty()) {
    return absl::InvalidArgumentError("--no-history and --history-db exclude each other");
  }
  return flags;
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
absl::StatusOr<paired::PairedRun> RunWithScreen(const paired::PairedTestPlan& plan,
                                                paired::Endpoint& client, paired::Endpoint& server,
                                                TestCommandDeps& deps,
                                                const paired::CancelToken& outer,
                                                std::ostream& err) {
  screen::SnapshotSlot forward, reverse;
  paired::CancelToken stop;
  std::atomic<bool> finished{false};
  absl::StatusOr<paired::PairedRun> run = absl::UnknownError("the test did not run");
  std::thread worker([&] {
    run = paired::RunPairedTest(plan, client, server, deps.paired, stop,
                                [&](const paired::LiveState& state) {
                                  if (state.forward.has_value()) forward.Publish(*state.forward);
                                  if (state.reverse.has_value()) reverse.Publish(*state.reverse);
                                });
    if (run.ok() && run->client.trace.has_value()) forward.Publish(*run->client.trace);
    if (run.ok() && run->server.trace.has_value()) reverse.Publish(*run->server.trace);
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

}  // namespace

std::string TestUsage() {
  return "Usage: pathpair test [--client HOST:PORT] --server HOST:PORT [--target ADDR]\n"
         "                     [--reverse-target ADDR] [--json] [--insecure | --tls-ca F\n"
         "                     --tls-cert F --tls-key F] [--server-tls-name NAME]\n"
         "                     [--token-file F] [--history-db PATH | --no-history]\n"
         "                     [--no-oneway] [--oneway-count N] [--asn-db FILE] [--html FILE]\n"
         "                     [trace options]\n"
         "\n"
         "Traces both directions at once: the client side (the agent at --client, or this\n"
         "machine without it) to the target, and the server agent back to the client, plus a\n"
         "one-way loss and delay measurement each way; prints the merged report and stores it\n"
         "in the history (pathpair history / show / diagnose).\n"
         "\n"
         "  --target ADDR          forward target (default: the --server host)\n"
         "  --reverse-target ADDR  reverse target (default: the client's address as the server\n"
         "                         agent sees it, learned with Reflect)\n"
         "  --json                 the paired JSON report (also -j)\n"
         "  --html FILE            also write a self-contained HTML report (both directions,\n"
         "                         findings, charts, path diagram), even for a partial run\n"
         "  --asn-db FILE          MaxMind-format ASN database for AS paths and areas\n"
         "  trace options          as `pathpair trace` (-c rounds, -i interval, -u/-T/-P, -4/-6,\n"
         "                         -m, -f, -s, -Q, -n ...); defaults: -c 10 -i 1\n"
         "\n"
         "Exit: 0 complete, 1 nothing measured, 2 bad input, 5 partial (one side failed),\n"
         "130 interrupted.\n";
}

int RunTestCommand(const std::vector<std::string>& args, TestCommandDeps& deps, std::ostream& out,
                   std::ostream& err) {
  absl::StatusOr<TestFlags> flags = ParseFlags(args);
  if (!flags.ok()) {
    err << "pathpair test: " << flags.status().message() << "\n";
    return kExitBadInput;
  }
  if (flags->help) {
    out << TestUsage();
    return kExitOk;
  }
  // The trace options, with a stand-in host (the target is decided below).
  std::vector<std::string> trace_args = flags->trace_args;
  trace_args.push_back("pathpair-test-target");
  absl::StatusOr<cli::TraceCommandLine> trace = cli::ParseTraceCommandLine(trace_args);
  if (!trace.ok()) {
    err << "pathpair test: " << trace.status().message() << "\n";
    return kExitBadInput;
  }
  if (trace->probe.count() <= 0) {
    err << "pathpair test: a paired test needs -c ROUNDS of at least 1\n";
    return kExitBadInput;
  }
  const bool json = flags->json || trace->output.format == cli::OutputFormat::kJson;
  absl::StatusOr<std::pair<std::string, int>> server_hp = paired::SplitHostPort(flags->server);
  if (!server_hp.ok()) {
    err << "pathpair test: --server: " << server_hp.status().message() << "\n";
    return kExitBadInput;
  }
  if (!flags->client.empty()) {
    if (absl::Status s = paired::SplitHostPort(flags->client).status(); !s.ok()) {
      err << "pathpair test: --client: " << s.message() << "\n";
      return kExitBadInput;
    }
  }
  ConnectionFlags connection = flags->connection;
  if (!flags->token_file.empty()) {
    absl::StatusOr<std::string> token = deps.read_token_file(flags->token_file);
    if (!token.ok()) {
      err << "pathpair test: --token-file: " << token.status().message() << "\n";
      return kExitBadInput;
    }
    connection.token = *token;
  }

  paired::PairedTestPlan plan;
  plan.probe = trace->probe;
  plan.server_endpoint = flags->server;
  plan.oneway = flags->oneway;
  plan.oneway_count = flags->oneway_count;
  const int ip_version = trace->probe.ip_version();
  {
    const std::string forward = flags->target.empty() ? server_hp->first : flags->target;
    absl::StatusOr<std::string> address =
        ResolveAddress(*deps.resolver, forward, ip_version, "the forward target");
    if (!address.ok()) {
      err << "pathpair test: " << address.status().message() << "\n";
      return kExitBadInput;
    }
    plan.forward_target = *address;
  }
  if (!flags->reverse_target.empty()) {
    absl::StatusOr<std::string> address =
        ResolveAddress(*deps.resolver, flags->reverse_target, ip_version, "--reverse-target");
    if (!address.ok()) {
      err << "pathpair test: " << address.status().message() << "\n";
      return kExitBadInput;
    }
    plan.reverse_target = *address;
  }

  std::unique_ptr<asn::AsLookup> as_lookup;
  if (!flags->asn_db.empty()) {
    absl::StatusOr<std::unique_ptr<asn::MmdbAsLookup>> db = asn::MmdbAsLookup::Open(flags->asn_db);
    if (!db.ok()) {
      err << "pathpair test: --asn-db: " << db.status().message() << "\n";
      return kExitBadInput;
    }
    as_lookup = *std::move(db);
  }

  // The HTML file must be writable before the test starts (it is written at the end).
  if (!flags->html.empty()) {
    std::ofstream probe(flags->html, std::ios::app);
    if (!probe) {
      err << "pathpair test: --html: cannot write '" << flags->html << "'\n";
      return kExitBadInput;
    }
  }

  // The history opens before the test so that a bad --history-db fails fast.
  std::unique_ptr<history::HistoryStore> store;
  if (!flags->no_history) {
    std::string path = flags->history_db;
    if (path.empty()) {
      absl::StatusOr<std::string> default_path = deps.default_history_path();
      if (!default_path.ok()) {
        err << "pathpair test: no history database: " << default_path.status().message()
            << " (give --history-db PATH or --no-history)\n";
        return kExitRuntimeError;
      }
      path = *default_path;
    }
    absl::StatusOr<std::unique_ptr<history::HistoryStore>> opened =
        history::HistoryStore::Open(path);
    if (!opened.ok()) {
      err << "pathpair test: " << opened.status().message() << "\n";
      return kExitRuntimeError;
    }
    store = *std::move(opened);
  }

  absl::StatusOr<std::unique_ptr<paired::Endpoint>> server =
      deps.make_remote(flags->server, connection);
  if (!server.ok()) {
    err << "pathpair test: server agent: " << server.status().message() << "\n";
    return kExitRuntimeError;
  }
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> client =
      flags->client.empty() ? deps.make_local(connection)
                            : deps.make_remote(flags->client, connection);
  if (!client.ok()) {
    err << "pathpair test: client side: " << client.status().message() << "\n";
    return kExitRuntimeError;
  }

  paired::CancelToken never;
  const paired::CancelToken& cancel = deps.cancel != nullptr ? *deps.cancel : never;
  ProgressPrinter printer(err, deps.progress_tty);
  paired::ProgressFn progress;
  if (deps.show_progress) progress = [&printer](const paired::LiveState& s) { printer.Update(s); };
  absl::StatusOr<paired::PairedRun> run =
      deps.run_screen && !json
          ? RunWithScreen(plan, **client, **server, deps, cancel, err)
          : paired::RunPairedTest(plan, **client, **server, deps.paired, cancel, progress);
  printer.Finish();
  if (!run.ok()) {
    err << "pathpair test: " << run.status().message() << "\n";
    return kExitRuntimeError;
  }

  std::optional<merge::MergedPaths> merged;
  if (run->client.trace.has_value() && run->server.trace.has_value()) {
    merged = merge::MergePaths(*run->client.trace, *run->server.trace, as_lookup.get());
  }
  const paired::DiagnosisOutput diagnosis = paired::DiagnosePairedRun(*run, as_lookup.get());
  // Stored before printing, so that a closed stdout (a pager quitting) never loses the run.
  const paired::Completeness completeness = run->completeness();
  if (store != nullptr) {
    history::RunRecord record;
    record.run_id = run->run_id;
    record.start = absl::FromUnixMicros(run->start_unix_us);
    record.end = absl::FromUnixMicros(run->end_unix_us);
    record.client = run->client.endpoint;
    record.server = run->server.endpoint;
    record.target = run->forward_target;
    record.verdict = diagnosis.verdict;
    record.status = completeness == paired::Completeness::kComplete ? history::RunStatus::kComplete
                                                                    : history::RunStatus::kPartial;
    record.payload_format = paired::kRunPayloadFormat;
    record.payload = paired::SerializeRun(*run);
    if (absl::Status s = store->Save(record); !s.ok()) {
      err << "pathpair test: the run was not stored: " << s.message() << "\n";
    } else {
      err << "pathpair test: stored as " << run->run_id << "\n";
    }
  }
  if (json) {
    const nlohmann::json paths =
        merged.has_value() ? merge::PathsToJson(*merged) : nlohmann::json();
    out << output::DumpJson(
        paired::PairedRunToJson(*run, paths, diagnosis.json, trace->output.dns));
  } else {
    out << paired::FormatPairedRunText(*run, merged.has_value() ? &*merged : nullptr, diagnosis,
                                       {.use_names = trace->output.dns});
  }
  out.flush();
  if (!flags->html.empty()) {
    const html::PairedReport page =
        BuildPairedHtmlReport(*run, merged.has_value() ? &*merged : nullptr, diagnosis,
                              as_lookup.get(), trace->output.dns);
    if (absl::Status s = html::WriteTextFile(flags->html, html::RenderPairedHtml(page)); !s.ok()) {
      err << "pathpair test: --html: " << s.message() << "\n";
    } else {
      err << "pathpair test: wrote " << flags->html << "\n";
    }
  }

  for (const std::string& e : run->Errors()) err << "pathpair test: " << e << "\n";
  if (run->interrupted) return kExitInterrupted;
  switch (completeness) {
    case paired::Completeness::kComplete:
      return kExitOk;
    case paired::Completeness::kPartial:
      return kExitPartial;
    case paired::Completeness::kFailed:
      return kExitRuntimeError;
  }
  return kExitRuntimeError;
}

}  // namespace pathpair::subcommands

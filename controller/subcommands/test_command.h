// `pathpair test`: the paired test from the command line, in three steps.
//   prepare: parses its own flags (CLI11) and hands the rest to the trace option parser, so
//            the trace options have the same letters as in `pathpair trace`; checks every
//            value; opens the history; connects to the agents (or runs the client side
//            in-process without --client);
//   run:     the orchestration (controller/paired), showing both directions live (the
//            interactive screen when stdin and stdout are terminals and no --json; `q` stops
//            the test as Ctrl-C does; else progress on stderr);
//   report:  stores the run in the history, prints the merged report (text, or the paired
//            JSON with --json) and writes the --html page.
// Every dependency with I/O is injected, so the command runs in unit tests with fake agents.
//
//   pathpair test [--client HOST:PORT] --server HOST:PORT [--target ADDR] [--reverse-target ADDR]
//                 [--json] [--html FILE] [--insecure | --tls-ca F --tls-cert F --tls-key F]
//                 [--token-file F]
//                 [--history-db PATH | --no-history] [--no-oneway] [--oneway-count N]
//                 [--asn-db FILE] [--geo-db FILE] [--diagnose-exit]
//                 [trace options: -c -i -u -T -P -4 -6 -m -f -s -Q -n ...]
//   pathpair test --help
//
// Each step returns a Status; command_line.h's ExitCodeFor turns the final one, with the run's
// verdict, into the exit code (the table in common/status/exit_codes.h):
//   0/3/4 (kExitOk, kExitDegraded, kExitBroken)  complete: both traces and both one-way
//                         directions; the verdict over all of them is healthy, degraded, broken
//                         (--diagnose-exit is accepted, as in `trace`, and changes nothing);
//   1 (kExitRuntimeError) nothing measured: an agent did not answer, Reflect failed, both sides
//                         failed; or the history could not be opened (before the test);
//   2 (kExitBadInput)     bad option or value: one line on stderr, nothing on stdout;
//   5 (kExitPartial)      partial: one side failed or disconnected mid-test (its error is in
//                         the report) — what was measured is printed and stored;
//   130 (kExitInterrupted) stopped with Ctrl-C (SIGINT/SIGTERM): both agents were told to stop,
//                         what was measured is printed and stored.
// The run is stored with its verdict (v1::PairedRun.verdict and the history's verdict column).
#ifndef PATHPAIR_CONTROLLER_SUBCOMMANDS_TEST_COMMAND_H_
#define PATHPAIR_CONTROLLER_SUBCOMMANDS_TEST_COMMAND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/status/exit_codes.h"
#include "controller/cli/resolver.h"
#include "controller/paired/endpoint.h"
#include "controller/paired/orchestrator.h"
#include "controller/screen/screen.h"
#include "controller/subcommands/subcommand_mains.h"  // RunTestMain: the real wiring

namespace pathpair::subcommands {

// How to reach agents, from the flags.
struct ConnectionFlags {
  bool insecure = false;
  std::string tls_ca, tls_cert, tls_key;
  std::string token;  // read from --token-file
  std::string server_tls_name;
};

struct TestCommandDeps {
  // A remote agent at "HOST:PORT".
  std::function<absl::StatusOr<std::unique_ptr<paired::Endpoint>>(const std::string& endpoint,
                                                                  const ConnectionFlags& flags)>
      make_remote;
  // The in-process client end; `server_endpoint` is where its Reflect goes by default. Made
  // before the remote ends (make_remote), while the process has no other thread: it opens its
  // sockets and then drops the process's privileges (agent/net/privileges.h).
  std::function<absl::StatusOr<std::unique_ptr<paired::Endpoint>>(const ConnectionFlags& flags)>
      make_local;
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_token_file;
  cli::HostResolver* resolver = nullptr;
  paired::PairedDeps paired;
  std::function<absl::StatusOr<std::string>()> default_history_path;
  const paired::CancelToken* cancel = nullptr;  // fired by Ctrl-C; may be null
  // Called once both ends are open, before the test runs (test_main starts its Ctrl-C watcher
  // thread there: no thread may run before the in-process client drops its privileges).
  std::function<void()> on_prepared;
  bool progress_tty = false;  // stderr is a terminal: redraw both directions side by side
  bool show_progress = true;
  // The live screen (stdin and stdout are terminals; test_main sets it to screen::RunScreen):
  // shows `sources` until `q`, a signal or done(). Empty: no screen (progress on stderr). Not
  // used with --json.
  std::function<absl::Status(const std::vector<screen::SnapshotSource>& sources,
                             std::function<bool()> done)>
      run_screen;
};

// What a scheduled test (`pathpair serve`'s `options:`) sets: parsed by the same flag parser as
// `pathpair test`, but only the measurement's options are allowed: the trace options (-c -i -u
// -T -P -4 -6 -m -f -s -Q ...), --no-oneway and --oneway-count. The ends, the connection
// flags, output formats and storage flags are InvalidArgument naming the flag.
struct ScheduledTestOptions {
  v1::ProbeOptions probe;  // target empty
  bool oneway = true;
  int64_t oneway_count = 0;
};
absl::StatusOr<ScheduledTestOptions> ParseScheduledTestOptions(
    const std::vector<std::string>& args);

// `args`: argv after "test". --help prints the usage on `out` and returns kExitOk.
int RunTestCommand(const std::vector<std::string>& args, TestCommandDeps& deps, std::ostream& out,
                   std::ostream& err);

}  // namespace pathpair::subcommands

#endif  // PATHPAIR_CONTROLLER_SUBCOMMANDS_TEST_COMMAND_H_

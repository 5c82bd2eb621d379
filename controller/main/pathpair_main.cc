// pathpair: the controller's command-line entry point. A thin dispatcher: each subcommand is a
// library function taking its own arguments; `trace` is the mtr drop-in.
//
//   pathpair trace -n -r -c 10 example.net
//   pathpair --help
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/status/exit_codes.h"
#include "common/time/clock.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/cli/resolver.h"
#include "controller/cli/trace_command.h"
#include "controller/cli/trace_options.h"
#include "controller/dns/reverse_dns.h"
#include "controller/main/trace_runner.h"
#include "controller/subcommands/serve_command.h"
#include "controller/subcommands/subcommand_mains.h"

namespace pathpair {
namespace {

int64_t WallClockMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

int RunTrace(const std::vector<std::string>& args) {
  const bool privileged = geteuid() == 0;  // mtr's rule for -i below 1 s: as started, by root
  // Least privilege (docs/SECURITY.md): the probe sockets first, then no privilege at all, before
  // c-ares or anything else starts a thread.
  if (absl::Status dropped = OpenTraceSocketsAndDropPrivileges(args); !dropped.ok()) {
    std::cerr << "pathpair trace: cannot drop privileges: " << dropped.message() << "\n";
    return kExitRuntimeError;
  }
  cli::SystemHostResolver resolver;
  cli::TraceCommandDeps deps;
  deps.resolver = &resolver;
  // Reverse names through c-ares while probing; without a resolver, addresses only. Not for
  // `-n` with a report format, which never looks a name up: c-ares starts a thread and reads
  // the resolver configuration, a fixed cost of every short trace. (The screen can switch
  // names on while it runs, so it always gets the resolver.)
  const absl::StatusOr<cli::TraceCommandLine> command = cli::ParseTraceCommandLine(args);
  const bool never_names = command.ok() && !command->output.dns && command->output.format_given &&
                           command->output.format != cli::OutputFormat::kScreen;
  absl::StatusOr<std::unique_ptr<dns::AresPtrResolver>> ares =
      never_names ? absl::FailedPreconditionError("-n: no names")
                  : dns::AresPtrResolver::Create({});
  std::optional<dns::ReverseDnsCache> names;
  if (ares.ok()) deps.names = &names.emplace(**ares, SystemClock::Get());
  deps.runner = LocalTraceRunner;
  deps.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  deps.open_as_database =
      [](const std::string& path) -> absl::StatusOr<std::unique_ptr<asn::AsLookup>> {
    absl::StatusOr<std::unique_ptr<asn::MmdbAsLookup>> db = asn::MmdbAsLookup::Open(path);
    if (!db.ok()) return db.status();
    return std::unique_ptr<asn::AsLookup>(*std::move(db));
  };
  deps.now_unix_us = WallClockMicros;
  deps.local_hostname = cli::LocalHostName();
  deps.privileged = privileged;
  return cli::RunTraceCommand(args, deps, std::cout, std::cerr);
}

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

const Subcommand kSubcommands[] = {
    {"trace", "trace the path to a host, like mtr (pathpair trace --help)", RunTrace},
    {"test", "trace both directions at once with agents (pathpair test --help)",
     subcommands::RunTestMain},
    {"history", "list stored paired test runs", subcommands::RunHistoryMain},
    {"show", "print a stored run: pathpair show [--json] RUN_ID", subcommands::RunShowMain},
    {"diagnose", "diagnose a trace JSON file or a stored run", subcommands::RunDiagnoseMain},
    {"serve", "run the fleet controller: scheduled paired tests (pathpair serve --help)",
     subcommands::RunServeMain},
};

std::string Usage() {
  std::string text = "Usage: pathpair COMMAND [options]\n\nCommands:\n";
  for (const Subcommand& s : kSubcommands)
    absl::StrAppendFormat(&text, "  %-10s %s\n", s.name, s.summary);
  text += "\nOptions: --help, --version\n";
  return text;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "pathpair: missing COMMAND\n" << Usage();
    return kExitBadInput;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << Usage();
    return kExitOk;
  }
  if (command == "--version" || command == "-v") {
    std::cout << cli::VersionLine() << "\n";
    return kExitOk;
  }
  for (const Subcommand& s : kSubcommands) {
    if (command == s.name) return s.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::cerr << "pathpair: unknown command '" << command << "' (see pathpair --help)\n";
  return kExitBadInput;
}

}  // namespace
}  // namespace pathpair

int main(int argc, char** argv) { return pathpair::Main(argc, argv); }

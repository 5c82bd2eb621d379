// `pathpair trace [options] HOST`: parse and check the options, resolve HOST, run the trace
// through an injected runner, add reverse names (unless -n), and print the report or JSON.
// Every dependency with I/O or time is passed in, so the whole command runs in unit tests.
//
//   TraceCommandDeps deps = {.resolver = &system_resolver, .reverse = &system_reverse,
//                            .runner = MyRunner, .now_unix_us = WallClockMicros,
//                            .local_hostname = LocalHostName()};
//   return RunTraceCommand(args_after_trace, deps, std::cout, std::cerr);
//
// Exit codes: kExitOk; kExitBadInput (bad option, value, pair, host, or an unresolvable name),
// with one line on `err` and nothing on `out`; kExitRuntimeError when the trace could not run
// or stopped on an error (what was measured is still printed).
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"
#include "controller/cli/resolver.h"
#include "controller/cli/trace_options.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::cli {

// Runs a whole trace to `target` (options.target() is the name as typed) and returns the final
// result. A non-OK status means nothing could be measured (e.g. no permission for raw sockets).
using TraceRunner = std::function<absl::StatusOr<v1::TraceResult>(const v1::ProbeOptions& options,
                                                                  const IpAddress& target)>;

struct TraceCommandDeps {
  HostResolver* resolver = nullptr;
  ReverseResolver* reverse = nullptr;  // used only with DNS on
  TraceRunner runner;
  std::function<int64_t()> now_unix_us;  // wall clock, for start/end when the runner has none
  std::string local_hostname;            // the report's HOST: and JSON's src
  // Whether the user is root. As in mtr, only root may probe faster than once a second (-i).
  bool privileged = true;
};

// Options after parsing and resolution: what the runner gets.
struct ResolvedTrace {
  TraceCommandLine command;
  IpAddress target;
};

// Parse + resolve + cross-check (-a against the target's family). Errors are InvalidArgument
// or NotFound with a user-facing one-line message; both mean kExitBadInput.
absl::StatusOr<ResolvedTrace> PrepareTrace(const std::vector<std::string>& args,
                                           HostResolver& resolver, bool privileged = true);

// Renders the result in the requested format (the report or JSON).
std::string RenderTrace(const v1::TraceResult& result, const TraceOutputOptions& output);

int RunTraceCommand(const std::vector<std::string>& args, TraceCommandDeps& deps, std::ostream& out,
                    std::ostream& err);

// "pathpair <version>".
std::string VersionLine();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_

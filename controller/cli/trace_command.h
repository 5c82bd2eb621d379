// `pathpair trace [options] HOST`: parse and check the options, resolve HOST, run the trace
// through an injected runner, add reverse names while probing (unless -n), diagnose the result,
// and print it in the requested format: mtr's report (with the findings under it), JSON (with
// report.diagnosis/verdict/effective), CSV, XML, split or raw lines, plus WinMTR's exports.
// Without a format flag on a terminal, the interactive screen runs instead (trace_screen.h).
// Every dependency with I/O or time is passed in, so the whole command runs in unit tests.
//
//   TraceCommandDeps deps = {.resolver = &system_resolver, .names = &dns_cache,
//                            .runner = MyRunner, .now_unix_us = WallClockMicros,
//                            .local_hostname = LocalHostName()};
//   return RunTraceCommand(args_after_trace, deps, std::cout, std::cerr);
//
// Exit codes: kExitOk after a completed trace (whatever it found, as mtr); kExitBadInput (bad
// option, value, pair, host, an unresolvable name or an unreadable --asn-db), with one line on
// `err` and nothing on `out`; kExitRuntimeError when the trace could not run or stopped on an
// error, or an export could not be written (what was measured is still printed). With
// --diagnose-exit, a completed trace exits with diagnosis::ExitStatusFor(verdict) instead.
// Interrupted (Ctrl-C; the result says interrupted): what was measured is printed, with the
// report's "Interrupted after N rounds" line and an INCOMPLETE diagnosis, and the exit code is
// kExitInterrupted (130), as `pathpair test`'s.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/trace/probe_events.h"
#include "controller/asn/as_lookup.h"
#include "controller/cli/resolver.h"
#include "controller/cli/trace_options.h"
#include "controller/dns/reverse_dns.h"
#include "controller/report/trace/mtr_formats.h"
#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::cli {

// What a runner reports while it runs, and how it is stopped early.
struct TraceHooks {
  // After each round starts: the trace so far (fields the runner leaves empty may be unset).
  std::function<void(const v1::TraceResult&)> on_snapshot;
  ProbeEventSink* probe_events = nullptr;  // every probe and accepted reply (-l); may be null
  // Set by another thread to end the trace now (the screen's q or r). nullptr: the runner
  // handles SIGINT/SIGTERM itself, ending the trace with what was measured.
  const std::atomic<bool>* stop = nullptr;
};

// Runs a whole trace to `target` (options.target() is the name as typed) and returns the final
// result. A non-OK status means nothing could be measured (e.g. no permission for raw sockets).
using TraceRunner = std::function<absl::StatusOr<v1::TraceResult>(
    const v1::ProbeOptions& options, const IpAddress& target, const TraceHooks& hooks)>;

using AsDatabaseOpener =
    std::function<absl::StatusOr<std::unique_ptr<asn::AsLookup>>(const std::string& path)>;

struct TraceCommandDeps {
  HostResolver* resolver = nullptr;
  // Reverse names with DNS on: lookups start while probing, never blocking it. nullptr: none.
  dns::ReverseDnsCache* names = nullptr;
  // Report modes wait at most this long at the end for lookups still in flight.
  absl::Duration dns_wait = absl::Seconds(2);
  TraceRunner runner;
  std::function<int64_t()> now_unix_us;  // wall clock, for start/end when the runner has none
  std::string local_hostname;            // the report's HOST: and JSON's src
  // Whether the user is root. As in mtr, only root may probe faster than once a second (-i).
  bool privileged = true;
  // stdin and stdout are a terminal: without a format flag, the interactive screen runs.
  bool interactive = false;
  // Opens --asn-db (e.g. asn::MmdbAsLookup::Open); empty: --asn-db is an error.
  AsDatabaseOpener open_as_database;
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

// Fills what a runner leaves to its caller: options, source host name, target address, start
// (`started_unix_us`) and end times.
void CompleteResult(v1::TraceResult& result, const ResolvedTrace& trace,
                    const TraceCommandDeps& deps, int64_t started_unix_us);

// The machine formats' options (-n -b -z -e -w -o) with AS numbers from `as_lookup` (may be
// nullptr: every AS unknown).
formats::MtrFormatOptions MtrFormatOptionsFor(const TraceOutputOptions& output,
                                              asn::AsLookup* as_lookup);

// Renders the final result in the requested format: the report (-r/-w) with the diagnosis
// text under it, JSON with the diagnosis members, CSV or XML. Raw and split print while
// probing and render nothing here.
std::string RenderTrace(const v1::TraceResult& result, const v1::Diagnosis& diagnosis,
                        const TraceOutputOptions& output, asn::AsLookup* as_lookup = nullptr);

// Writes --export-text / --export-html (when asked) from `result`.
absl::Status WriteExports(const v1::TraceResult& result, const TraceOutputOptions& output);

int RunTraceCommand(const std::vector<std::string>& args, TraceCommandDeps& deps, std::ostream& out,
                    std::ostream& err);

// "pathpair <version>".
std::string VersionLine();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_COMMAND_H_

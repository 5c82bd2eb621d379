// Command-line options of `pathpair trace`: mtr's option letters and meanings, parsed by a small
// table-driven getopt_long wrapper into v1::ProbeOptions (what to probe) and TraceOutputOptions
// (how to print it). Every bad value or conflicting pair is an InvalidArgument whose message is
// one line meant for the user; the caller prints it and exits with kExitBadInput.
//
//   absl::StatusOr<TraceCommandLine> cmd = ParseTraceCommandLine({"-n", "-r", "-c", "5", "host"});
//   if (!cmd.ok()) { std::cerr << "pathpair trace: " << cmd.status().message() << "\n"; return 2; }
//   cmd->probe.count();   // 5
//
// Differences from mtr, on purpose: values mtr silently clamps or replaces (-m 300, -Q 300,
// -f 0, -B 300, -U 0) and pairs where mtr lets the last one win (-4 -6) are errors here, and a
// host is required (mtr traces localhost without one). Output modes (-r -w -j -C -x -l -p)
// keep mtr's "last one wins". Without any of them the interactive screen is used when stdout is
// a terminal (see TraceOutputOptions::format_given), a report otherwise.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/status/exit_codes.h"  // kExitBadInput and the other exit codes
#include "pathpair/v1/trace.pb.h"

namespace pathpair::cli {

enum class OutputFormat {
  kReport,  // -r, -w (and the default when stdout is not a terminal)
  kJson,    // -j
  kCsv,     // -C
  kXml,     // -x
  kRaw,     // -l: one line per probe event
  kSplit,   // -p: changed hop lines after every round
};

struct TraceOutputOptions {
  OutputFormat format = OutputFormat::kReport;
  bool format_given = false;   // a format flag was given: never the interactive screen
  bool wide = false;           // -w: do not cut host names
  bool dns = true;             // false with -n: numeric addresses only
  bool show_ips = false;       // -b: name and address
  bool show_as = false;        // -z: AS numbers (from --asn-db)
  bool show_mpls = false;      // -e: MPLS label lines
  std::string fields;          // -o / --fields letters, already checked; empty: mtr's default
  std::string export_text;     // --export-text FILE (WinMTR's text table)
  std::string export_html;     // --export-html FILE
  std::string asn_db;          // --asn-db PATH: MaxMind-format AS database for -z and diagnosis
  bool diagnose_exit = false;  // --diagnose-exit: exit with diagnosis::ExitStatusFor(verdict)
  std::string geo_db;          // --geo-db PATH: MaxMind-format city database for the diagnosis
};

struct TraceCommandLine {
  v1::ProbeOptions probe;  // target is the host exactly as typed
  TraceOutputOptions output;
  bool show_help = false;     // --help / -h: print TraceUsage() and nothing else
  bool show_version = false;  // --version / -v
  bool count_given = false;   // -c was given (the screen otherwise probes until `q`, as mtr)
};

// mtr's defaults: 10 cycles, 1 s interval, TTL 1..30, 64-byte packets, 10 s probe timeout,
// 5 s grace time, 12 unknown hops; TCP's port defaults to 80.
v1::ProbeOptions DefaultProbeOptions();

// Parses the arguments that follow `pathpair trace` (argv without the program and subcommand
// names). Options and the host may come in any order, as with mtr.
absl::StatusOr<TraceCommandLine> ParseTraceCommandLine(const std::vector<std::string>& args);

// The --help text, generated from the same table the parser uses.
std::string TraceUsage();

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_OPTIONS_H_

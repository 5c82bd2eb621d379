// The interactive side of `pathpair trace`: with no format flag on a terminal (or with -t), the
// trace runs in a worker thread while the screen (controller/screen) shows it live in the main
// thread, as mtr's curses display, with the diagnosis of what has been measured so far under the
// table. Keys are the screen's: `p` pauses probing itself (the prober sends nothing until space
// or `p`), `r` restarts the counters keeping the path on screen, `u` `t` `b` `i` restart probing
// with another protocol, bit pattern or interval, `z` `y` show AS information from Team Cymru's
// DNS (asynchronously; answers fill in), `q` and signals end it. --export-text/--export-html are
// written from the last snapshot when the screen exits.
//
//   if (screen) return RunTraceScreen(trace, deps, as_info, err);
//
// Without -c the trace runs until `q`, as mtr's display does; with -c the screen closes after the
// last round, as mtr's, and also when the trace fails. Exit: kExitOk after `q` (or 128 +
// the signal that ended the screen), kExitRuntimeError when the screen cannot start, the trace
// failed or an export could not be written.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_

#include <ostream>
#include <string>
#include <vector>

#include "controller/cli/trace_command.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::cli {

int RunTraceScreen(const ResolvedTrace& trace, TraceCommandDeps& deps, AsInfoSources& as_info,
                   std::ostream& err);

// The screen's diagnosis pane: the verdict line and the most severe finding, e.g.
//   Diagnosis: DEGRADED (effective loss 30.0% from hop 4, latency 8.0 ms; areas: heuristic)
//     top: [problem] PACKET_LOSS at hop 4 198.51.100.4: Loss starts at hop 4 and ...
std::vector<std::string> ScreenDiagnosisLines(const v1::Diagnosis& diagnosis);

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_

// The interactive side of `pathpair trace`: with no format flag on a terminal, the trace runs in
// a worker thread while the screen (controller/screen) shows it live in the main thread, as
// mtr's curses display. Keys are the screen's; `r` restarts the trace, `q` and signals end it.
// --export-text/--export-html are written from the last snapshot when the screen exits.
//
//   if (deps.interactive && !command.output.format_given) return RunTraceScreen(trace, deps, err);
//
// Without -c the trace runs until `q`, as mtr's display does; with -c the screen closes after the
// last round, as mtr's, and also when the trace fails. Exit: kExitOk after `q` (or 128 +
// the signal that ended the screen), kExitRuntimeError when the screen cannot start, the trace
// failed or an export could not be written.
#ifndef PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_
#define PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_

#include <ostream>

#include "controller/cli/trace_command.h"

namespace pathpair::cli {

int RunTraceScreen(const ResolvedTrace& trace, TraceCommandDeps& deps, std::ostream& err);

}  // namespace pathpair::cli

#endif  // PATHPAIR_CONTROLLER_CLI_TRACE_SCREEN_H_

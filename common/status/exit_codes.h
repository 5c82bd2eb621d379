// The process exit codes of every pathpair command, in one table, so that a code means the same
// thing whichever command a script ran (2 is always bad input, 1 always "nothing to report").
// The subcommands turn how they ended into a code in one place (controller/subcommands/
// command_line.h's ExitCodeFor); verdicts map through diagnosis::ExitStatusFor
// (controller/diagnosis/exit_status.h).
//
//   0    kExitOk            success; with a verdict: healthy (VERDICT_HEALTHY)
//   1    kExitRuntimeError  no result or no verdict: the trace or the run could not be made, the
//                           history could not be read
//   2    kExitBadInput      bad flags or values, an unreadable or malformed file, an unknown run id
//   3    kExitDegraded      verdict degraded (a warning or problem, destination reachable)
//   4    kExitBroken        verdict broken (destination not reached, or effective loss >= 50%)
//   5    kExitPartial       a paired run that did not measure everything (one side or one
//                           one-way direction failed, or a stored run was interrupted)
//   130  kExitInterrupted   stopped with Ctrl-C (128 + SIGINT, as shells report): `pathpair
//                           trace` (its report covers the rounds measured and says
//                           "Interrupted after N of M rounds") and `pathpair test` (a partial
//                           run, stored, with the one-way packets received until then)
//
// Which commands exit with their verdict (3 and 4):
//   trace     only with --diagnose-exit; 130 when interrupted, whatever it found. It is mtr's
//   drop-in: a completed trace exits 0 whatever
//             it found, as mtr does, so that scripts written for mtr keep working.
//   test      always: the verdict is what it is for. --diagnose-exit is accepted and changes
//             nothing. A partial run exits 5 and an interrupted one 130 whatever its verdict
//             (the verdict covers only what was measured; it is in the report).
//   diagnose  always, like test (a stored or saved paired run that is partial: 5).
//   show      only with --diagnose-exit (then like diagnose): it reprints a stored run.
//   history   never: 0 when it listed the runs.
//
//   if (!options.ok()) return pathpair::kExitBadInput;
#ifndef PATHPAIR_COMMON_STATUS_EXIT_CODES_H_
#define PATHPAIR_COMMON_STATUS_EXIT_CODES_H_

namespace pathpair {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitDegraded = 3;
inline constexpr int kExitBroken = 4;
inline constexpr int kExitPartial = 5;
inline constexpr int kExitInterrupted = 130;

}  // namespace pathpair

#endif  // PATHPAIR_COMMON_STATUS_EXIT_CODES_H_

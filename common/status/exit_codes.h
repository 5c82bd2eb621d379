// The process exit codes of every pathpair command, in one table, so that a code means the same
// thing whichever command a script ran (2 is always bad input, 1 always "nothing to report").
// Commands that report a verdict (`pathpair diagnose`, `pathpair trace --diagnose-exit`,
// `pathpair test`) map it with diagnosis::ExitStatusFor (controller/diagnosis/exit_status.h);
// plain `pathpair trace` exits kExitOk after any completed trace, as mtr does.
//
//   0    kExitOk            success; with a verdict: healthy (VERDICT_HEALTHY)
//   1    kExitRuntimeError  no result or no verdict: the trace or the run could not be made
//   2    kExitBadInput      bad flags or values, an unreadable or malformed file, an unknown run id
//   3    kExitDegraded      verdict degraded (a warning or problem, destination reachable)
//   4    kExitBroken        verdict broken (destination not reached, or effective loss >= 50%)
//   5    kExitPartial       `pathpair test`: one direction's result is missing
//   130  kExitInterrupted   `pathpair test` stopped with Ctrl-C (128 + SIGINT, as shells report)
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

// The exit status of commands that report a verdict: `pathpair diagnose` always, `pathpair trace`
// with --diagnose-exit (plain `trace` exits 0 after any completed trace, as mtr does), and
// `pathpair test`. The values extend the codes every pathpair command uses, so that 2 always
// means bad input whichever command a script ran:
//
//   0  healthy   (VERDICT_HEALTHY)
//   1  no verdict: the trace or the run could not be made (kExitRuntimeError)
//   2  bad input: flags, an unreadable or malformed file, an unknown run id (kExitBadInput)
//   3  degraded  (VERDICT_DEGRADED: a warning or problem, destination reachable)
//   4  broken    (VERDICT_BROKEN: destination not reached, or effective loss >= 50%)
//   5  partial   (`pathpair test`: one direction's result is missing)
//
//   return ExitStatusFor(diagnosis.verdict());
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_

#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

inline constexpr int kExitHealthy = 0;
inline constexpr int kExitUnknown = 1;
inline constexpr int kExitDegraded = 3;
inline constexpr int kExitBroken = 4;
inline constexpr int kExitPartial = 5;

inline int ExitStatusFor(v1::Verdict verdict) {
  switch (verdict) {
    case v1::VERDICT_HEALTHY:
      return kExitHealthy;
    case v1::VERDICT_DEGRADED:
      return kExitDegraded;
    case v1::VERDICT_BROKEN:
      return kExitBroken;
    default:
      return kExitUnknown;
  }
}

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_

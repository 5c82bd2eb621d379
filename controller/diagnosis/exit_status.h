// The exit status of commands that report a verdict: `pathpair diagnose` always, `pathpair trace`
// with --diagnose-exit (plain `trace` exits 0 after any completed trace, as mtr does), and
// `pathpair test`. The codes are those of the table every command shares
// (common/status/exit_codes.h): healthy 0, degraded 3, broken 4, no verdict 1.
//
//   return ExitStatusFor(diagnosis.verdict());
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_

#include "common/status/exit_codes.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

inline int ExitStatusFor(v1::Verdict verdict) {
  switch (verdict) {
    case v1::VERDICT_HEALTHY:
      return kExitOk;
    case v1::VERDICT_DEGRADED:
      return kExitDegraded;
    case v1::VERDICT_BROKEN:
      return kExitBroken;
    default:
      return kExitRuntimeError;
  }
}

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_EXIT_STATUS_H_

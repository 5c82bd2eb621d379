// The exit status for a verdict, for the commands that exit with one: `pathpair trace
// --diagnose-exit`, `pathpair test`, `pathpair diagnose` and `pathpair show --diagnose-exit`
// (common/status/exit_codes.h says which and when). The codes are those of the table every command
// shares: healthy 0, degraded 3, broken 4, no verdict 1.
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

// The paired run (v1::PairedRun, proto/pathpair/v1/paired.proto) and what every report derives
// from it: whether it is complete, and each failure as a line for the user. The run is what
// the orchestration returns, what the history stores (run_payload.h) and what every report is
// drawn from.
//
//   v1::PairedRun run = *RunPairedTest(plan, client, server, deps, cancel, nullptr);
//   if (RunCompleteness(run) == Completeness::kPartial) ...   // one side failed: exit partial
//   for (const std::string& e : RunErrors(run)) std::cerr << e << "\n";
#ifndef PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_
#define PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_

#include <optional>
#include <string>
#include <vector>

#include "pathpair/v1/paired.pb.h"

namespace pathpair::paired {

enum class Completeness {
  kComplete,  // both traces and (when asked) both one-way directions
  kPartial,   // something failed or the run was interrupted, but something was measured
  kFailed,    // no trace result at all
};

// "complete", "partial", "failed".
const char* CompletenessName(Completeness c);

// The side's trace completed (a result and no error).
bool SideOk(const v1::PairedSide& side);
Completeness RunCompleteness(const v1::PairedRun& run);

// Every failure as "what: why" lines, for reports.
std::vector<std::string> RunErrors(const v1::PairedRun& run);

// How each direction's delays were put on one time base, and their error bound: see
// oneway_clock.h (EffectiveClock).

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PAIRED_RUN_H_

// The text report of a paired run (`pathpair test`, `pathpair show`): a header (run, ends,
// targets, status), both traces side by side (forward as the client traced it, reverse as the
// server traced it), the one-way results, the merged paths, every error, and the diagnosis.
//
//   std::cout << FormatPairedRunText(run, &merged, diagnosis, {.use_names = false});
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_TEXT_REPORT_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_TEXT_REPORT_H_

#include <string>

#include "controller/merge/path_merge.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_run.h"

namespace pathpair::paired {

struct TextReportOptions {
  bool use_names = true;  // false with -n
};

// `merged` may be null (one trace missing).
std::string FormatPairedRunText(const v1::PairedRun& run, const merge::MergedPaths* merged,
                                const DiagnosisOutput& diagnosis, const TextReportOptions& options);

// One line for a one-way direction: "sent 300, received 240, loss 20.0%, delay ...".
std::string FormatOneWayLine(const v1::OneWayMeasurement& measurement);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_PAIRED_TEXT_REPORT_H_

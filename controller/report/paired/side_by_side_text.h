// The `pathpair test` text report: the forward and reverse traces side by side in one table
// that fits 120 columns, so a reader sees at a glance where each direction starts losing or
// slowing. Rows are paired as given (row i of each trace); orienting the reverse trace is the
// caller's business.
//
//   PairedTextOptions options;
//   options.forward_title = "a.example -> b.example";
//   options.reverse_title = "b.example -> a.example";
//   std::cout << FormatPairedText(forward, reverse, options);
//
//   Hop Host                    Loss%  Snt  Best   Avg  Wrst | Hop Host          ...
//     1 198.51.100.2             0.0%   10   0.1   0.1   0.2 |   1 203.0.113.9   ...
#ifndef PATHPAIR_CONTROLLER_REPORT_PAIRED_SIDE_BY_SIDE_TEXT_H_
#define PATHPAIR_CONTROLLER_REPORT_PAIRED_SIDE_BY_SIDE_TEXT_H_

#include <string>

#include "controller/report/trace/host_label.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::formats {

struct PairedTextOptions {
  LabelOptions label;
  std::string forward_title;  // default: "<source> -> <target>" from the result
  std::string reverse_title;
};

// Width of one side and of the whole table (two sides and " | ").
inline constexpr int kPairedSideWidth = 58;
inline constexpr int kPairedWidth = 2 * kPairedSideWidth + 3;

// Title lines, a column header, one line per row (the longer trace sets the count; a side
// without that row is blank), each line at most kPairedWidth characters, ending in '\n'.
std::string FormatPairedText(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                             const PairedTextOptions& options);

}  // namespace pathpair::formats

#endif  // PATHPAIR_CONTROLLER_REPORT_PAIRED_SIDE_BY_SIDE_TEXT_H_

// Small formatting steps shared by the writers of fixed-width tables and pages: cutting a name
// to a column with a visible mark, and printing a figure as a whole number the way mtr and
// WinMTR do (truncated, never "nan").
//
//   CutWithMark("a-very-long-name.example.net", 10);  // "a-very-lo~"
//   WholeNumber(12.9);                                // 12
#ifndef PATHPAIR_CONTROLLER_REPORT_COMMON_TEXT_FORMAT_H_
#define PATHPAIR_CONTROLLER_REPORT_COMMON_TEXT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace pathpair::output {

// `text` if it fits in `width` (at least 1) characters; otherwise its first width - 1
// characters and '~', so that a reader sees the name was cut.
std::string CutWithMark(std::string text, size_t width);

// The value truncated toward zero; 0 for NaN and infinities (a hop without replies), and
// clamped to int64_t's range.
int64_t WholeNumber(double value);

}  // namespace pathpair::output

#endif  // PATHPAIR_CONTROLLER_REPORT_COMMON_TEXT_FORMAT_H_

// mtr's statistic fields (key letter, title, printf format, column width) and how each is read
// from a v1::HopResult, shared by every trace writer (report, JSON, CSV, XML, screen, WinMTR,
// paired pages) so all show the same figures.
//
//   for (char key : std::string(kMtrDefaultFieldOrder)) {
//     const HopField* field = FindHopField(key);    // nullptr: unknown key
//     double value = field->value(hop);
//   }
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_HOP_FIELDS_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_HOP_FIELDS_H_

#include <cstdint>

#include "pathpair/v1/trace.pb.h"

namespace pathpair::output {

// mtr's report columns: Loss%, Snt, a blank, Last, Avg, Best, Wrst, StDev.
inline constexpr char kMtrDefaultFieldOrder[] = "LS NABWV";

struct HopField {
  char key;            // mtr's -o letter; ' ' is the one-column blank
  const char* title;   // column title and JSON key
  const char* format;  // printf format of one cell, leading space included
  int width;           // cell width in the report
  bool is_integer;     // printed with %d (and as a JSON integer)
  double (*value)(const v1::HopResult& hop);
};

// nullptr when key is not one of mtr's field letters (L D R S N B A W V G J M X I and ' ').
const HopField* FindHopField(char key);

// Loss% as mtr computes it: lost share of the probes whose outcome is known (0 when none).
double LossPercent(int64_t sent, int64_t received);

// mtr's Drop: probes sent and not answered (never negative).
int64_t DroppedProbes(const v1::HopResult& hop);

}  // namespace pathpair::output

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_HOP_FIELDS_H_

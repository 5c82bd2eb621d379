// The traces of a realistic paired test, for the trace writers' tests (WinMTR exports) and the
// paired pages built on them: a 9-hop path through a customer LAN, an access ISP and a transit
// AS, with loss starting at forward hop 6 and carrying on to the target, an ICMP rate-limiting
// hop on the reverse path, a silent hop and ECMP at one hop.
//
//   v1::TraceResult forward = SampleTrace(false);  // branch-gw -> hq-app.example.com
//   v1::TraceResult reverse = SampleTrace(true);   // rows in forward orientation
#ifndef PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_PATH_H_
#define PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_PATH_H_

#include <string>

#include "pathpair/v1/trace.pb.h"

namespace pathpair::html::testing {

v1::TraceResult SampleTrace(bool reverse);

// How many times `what` occurs in `text` (overlaps counted): tags in a page, lines in a table.
int Count(const std::string& text, const std::string& what);

}  // namespace pathpair::html::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_PATH_H_

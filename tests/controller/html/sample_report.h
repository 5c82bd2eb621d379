// A realistic paired test for the HTML tests and the docs screenshot: a 9-hop path through a
// customer LAN, an access ISP and a transit AS, with loss starting at forward hop 6 and carrying
// on to the target, an ICMP rate-limiting hop on the reverse path, ECMP at one hop, and two
// findings with evidence.
#ifndef PATHPAIR_TESTS_CONTROLLER_HTML_SAMPLE_REPORT_H_
#define PATHPAIR_TESTS_CONTROLLER_HTML_SAMPLE_REPORT_H_

#include "controller/html/paired_report.h"

namespace pathpair::html::testing {

PairedReport SampleReport();
v1::TraceResult SampleTrace(bool reverse);

}  // namespace pathpair::html::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_HTML_SAMPLE_REPORT_H_

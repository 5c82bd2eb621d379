// A realistic paired test for the HTML tests and the docs screenshot: the sample path's two
// traces (tests/controller/report/trace/sample_path.h), its network areas, and two findings with
// evidence.
#ifndef PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_REPORT_H_
#define PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_REPORT_H_

#include "controller/report/paired/html_page.h"
#include "tests/controller/report/trace/sample_path.h"

namespace pathpair::html::testing {

PairedReport SampleReport();

}  // namespace pathpair::html::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_REPORT_H_

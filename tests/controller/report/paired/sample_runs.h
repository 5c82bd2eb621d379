// Three paired runs for the report tests (text, HTML, and the Chromium checks of the page), all
// on one small path with one address per router, the same both ways (so the merge matches the
// routers by address, and each router is at a known place on both traces):
//
//   client 10.1.0.2 - r1 10.1.0.1 - r2 198.51.100.1 - r3 198.51.100.5 - r4 198.51.100.9
//                   - r5 203.0.113.1 - server 203.0.113.10
//
//   HealthyRun()       nothing lost; one-way delays on one host's clock (same_host).
//   LossyReverseRun()  20% lost on the way back from r4 to r3 (the reverse trace loses from its
//                      hop 3 on, the forward trace from hop 4, where the replies cross that link;
//                      the one-way measurement loses 20% back, nothing out); r2 rate-limits its
//                      ICMP replies on the way out (40% at forward hop 2 only). Synchronised
//                      clocks.
//   PartialRun()       the client's trace failed; the server's trace is the lossy one above.
#ifndef PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_RUNS_H_
#define PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_RUNS_H_

#include "pathpair/v1/paired.pb.h"

namespace pathpair::html::testing {

v1::PairedRun HealthyRun();
v1::PairedRun LossyReverseRun();
v1::PairedRun PartialRun();

// The routers' addresses, client first (r1 .. r5), as the fixtures use them.
inline constexpr const char* kRouters[] = {"10.1.0.1", "198.51.100.1", "198.51.100.5",
                                           "198.51.100.9", "203.0.113.1"};

}  // namespace pathpair::html::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_REPORT_PAIRED_SAMPLE_RUNS_H_

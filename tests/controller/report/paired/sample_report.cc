#include "tests/controller/report/paired/sample_report.h"

#include <string>

namespace pathpair::html::testing {

PairedReport SampleReport() {
  PairedReport report;
  report.title = "pathpair test: branch-gw \u21c4 hq-app";
  report.forward = SampleTrace(false);
  report.reverse = SampleTrace(true);
  report.generated_unix_us = 1'795'780'100'000'000;
  report.forward_areas = {{"Branch LAN", 0, 1},
                          {"AS64500 Example ISP", 2, 4},
                          {"AS64510 Example Transit", 5, 6},
                          {"AS64520 HQ", 7, 8}};
  report.reverse_areas = {{"Branch LAN", 0, 1},
                          {"AS64500 Example ISP", 2, 4},
                          {"AS64530 Other Transit", 5, 6},
                          {"AS64520 HQ", 7, 8}};
  ReportFinding loss;
  loss.code = "FORWARDING_LOSS";
  loss.severity = "problem";
  loss.direction = "forward";
  loss.hop = 6;
  loss.area = "AS64510 Example Transit";
  loss.summary =
      "12% of packets are lost from hop 6 (ix-peer.transit.example) onwards, up to the target.";
  loss.evidence = {{"loss at hop 5", "0.0% (100 sent)"},
                   {"loss at hop 6", "12.0% (12 of 100)"},
                   {"loss at the target", "12.0% (12 of 100)"},
                   {"reverse path at the same link", "0.0%"}};
  loss.action =
      "Open a ticket with AS64510 (Example Transit) for the link into ix-peer.transit.example; "
      "attach this report.";
  ReportFinding rate;
  rate.code = "ICMP_RATE_LIMIT";
  rate.severity = "info";
  rate.direction = "reverse";
  rate.hop = 4;
  rate.area = "AS64530 Other Transit";
  rate.summary =
      "Hop 4 (pe2.other-transit.example) drops 39% of probes addressed to it but hops after it "
      "lose nothing: this is ICMP rate limiting, not packet loss.";
  rate.evidence = {
      {"loss at hop 4", "39.0%"},
      {"loss at hops 5-9", "0.0%"},
      {"forward path at the same place", "AS64510, not AS64530: the paths diverge here"}};
  rate.action = "No action needed.";
  report.findings = {loss, rate};
  return report;
}

}  // namespace pathpair::html::testing

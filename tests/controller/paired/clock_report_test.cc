// The text and HTML reports of a paired run say how the one-way delays were timed: the clock
// method and its error on each direction's line, and in words what the method can and cannot
// tell (an estimated offset cannot place a constant asymmetry; NTP, chrony or PTP fixes that).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "controller/paired/oneway_clock.h"
#include "controller/report/paired/html_page.h"
#include "controller/report/paired/paired_html.h"
#include "controller/report/paired/paired_text_report.h"
#include "tests/controller/paired/sample_run.h"

namespace pathpair::paired {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// SampleRun with both one-way directions measured in full: raw delays 8.5 ms out and 37.5 ms
// back on one host's clock, each with an offset estimate that splits the asymmetry.
v1::PairedRun Measured(const std::string& client_boot_id, const std::string& server_boot_id) {
  v1::PairedRun run = SampleRun();
  run.mutable_client()->mutable_clock()->set_boot_id(client_boot_id);
  run.mutable_server()->mutable_clock()->set_boot_id(server_boot_id);
  for (auto [m, raw_ms, offset_ms] : {std::tuple{run.mutable_oneway_forward(), 8.5, 14.5},
                                      std::tuple{run.mutable_oneway_reverse(), 37.5, -14.5}}) {
    *m = OneWay(300, 300, 0);
    m->mutable_stats()->mutable_raw_delay()->set_min_ms(raw_ms);
    m->mutable_stats()->mutable_raw_delay()->set_avg_ms(raw_ms);
    m->mutable_stats()->mutable_raw_delay()->set_max_ms(raw_ms);
    m->mutable_offset_estimate()->set_estimated(true);
    m->mutable_offset_estimate()->set_offset_ms(offset_ms);
    m->mutable_offset_estimate()->set_error_bound_ms(23);
  }
  ResolveOneWayClocks(run);
  return run;
}

std::string Text(const v1::PairedRun& run) {
  return FormatPairedRunText(run, nullptr, DiagnosisOutput(), TextReportOptions());
}

std::string Html(const v1::PairedRun& run) {
  return html::RenderPairedHtml(
      subcommands::BuildPairedHtmlReport(run, nullptr, DiagnosisOutput(), nullptr, false));
}

TEST(ClockReportTest, SameHostSaysOneClockAndItsGranularity) {
  const v1::PairedRun run = Measured("boot-a", "boot-a");
  const std::string text = Text(run);
  EXPECT_THAT(text, HasSubstr("client -> server: sent 300, received 300, loss 0.0%, delay "
                              "min/avg/max/stdev 8.50/8.50/8.50/0.00 ms (same_host, clock error "
                              "+-0.001 ms)"));
  EXPECT_THAT(text, HasSubstr("server -> client: sent 300, received 300, loss 0.0%, delay "
                              "min/avg/max/stdev 37.50/37.50/37.50/0.00 ms"));
  EXPECT_THAT(text, HasSubstr("  Clocks: one host (both ends report the same boot id)"));
  EXPECT_THAT(text, Not(HasSubstr("cannot be placed")));
  const std::string page = Html(run);
  EXPECT_THAT(page, HasSubstr("<h2>One-way delay and loss</h2>"));
  // Loss and delay each way, with the clock method and its error bound in their own columns.
  EXPECT_THAT(page, HasSubstr("<tr data-dir=\"forward\"><th class=\"fwd\">Way out (client "
                              "\u2192 server)</th><td class=\"loss\">0.0% (0 of 300 lost)</td>"
                              "<td>8.50 / 8.50 / 8.50 ms</td><td>0.00 ms</td><td class=\"clock\">"
                              "same host: one clock</td><td class=\"bound\">+-0.001 ms</td>"));
  EXPECT_THAT(page, HasSubstr("<td>37.50 / 37.50 / 37.50 ms</td>"));
  EXPECT_THAT(page, HasSubstr("(same_host, clock error +-0.001 ms)"));
  EXPECT_THAT(page, HasSubstr("Clocks: one host"));
}

TEST(ClockReportTest, EstimatedSaysTheAsymmetryCannotBePlacedAndWhatFixesIt) {
  const v1::PairedRun run = Measured("boot-a", "boot-b");
  const std::string text = Text(run);
  // Both directions at half the round trip: the 29 ms asymmetry is split evenly.
  EXPECT_THAT(text, HasSubstr("23.00/23.00/23.00/0.00 ms (estimated, clock error +-23.0 ms)"));
  EXPECT_THAT(text, HasSubstr("Clocks: not known to be synchronised"));
  EXPECT_THAT(text, HasSubstr("A constant difference between the two directions cannot be "
                              "placed"));
  EXPECT_THAT(text, HasSubstr("Synchronise both ends' clocks (NTP, chrony or PTP) to place it."));
  const std::string page = Html(run);
  EXPECT_THAT(page, HasSubstr("cannot be placed"));
  EXPECT_THAT(page, HasSubstr("NTP, chrony or PTP"));
  EXPECT_THAT(page, HasSubstr("(estimated, clock error +-23.0 ms)"));
}

TEST(ClockReportTest, NoOneWaySectionWithoutOneWayMeasurement) {
  v1::PairedRun run = SampleRun();
  run.set_oneway_requested(false);
  EXPECT_THAT(Text(run), Not(HasSubstr("Clocks:")));
  EXPECT_THAT(Html(run), Not(HasSubstr("One-way delay")));
}

}  // namespace
}  // namespace pathpair::paired

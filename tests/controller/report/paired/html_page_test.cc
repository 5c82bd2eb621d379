#include "controller/report/paired/html_page.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/paired/sample_report.h"

namespace pathpair::html {
namespace {

using testing::Count;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PairedReportTest, SelfContainedWithEverySection) {
  const std::string page = RenderPairedHtml(testing::SampleReport());
  EXPECT_THAT(page, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(page, Not(HasSubstr("http://www.w3.org/1999")));  // no external stylesheet etc.
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("href=")));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_EQ(Count(page, "<svg"), 3);
  EXPECT_THAT(page, HasSubstr("FORWARDING_LOSS"));
  EXPECT_THAT(page, HasSubstr("12.0% (12 of 100)"));
  EXPECT_THAT(page, HasSubstr("paths diverge"));
  EXPECT_THAT(page, HasSubstr("also edge2.isp.example.net"));
  EXPECT_EQ(Count(page, "<table class=\"hops\">"), 2);
}

TEST(PairedReportTest, DivergenceFromAreasOrGiven) {
  PairedReport report = testing::SampleReport();
  EXPECT_EQ(DivergenceRow(report), 5);  // AS64510 forward, AS64530 reverse
  report.reverse_areas = report.forward_areas;
  EXPECT_EQ(DivergenceRow(report), -1);
  report.reverse_areas[1].last_row = 3;  // row 4 leaves the ISP on one side only
  report.reverse_areas[2].first_row = 4;
  EXPECT_EQ(DivergenceRow(report), 4);
  report.divergence_row = 3;
  EXPECT_EQ(DivergenceRow(report), 3);
}

TEST(PairedReportTest, EmptyTracesStillRender) {
  PairedReport report;
  const std::string page = RenderPairedHtml(report);
  EXPECT_THAT(page, HasSubstr("No findings"));
  EXPECT_EQ(Count(page, "<svg"), 3);
  EXPECT_THAT(page, Not(HasSubstr("=\"nan")));
  EXPECT_THAT(page, Not(HasSubstr("=\"inf")));
  EXPECT_THAT(page, Not(HasSubstr("=\"-nan")));
}

TEST(PairedReportTest, LossBarsScaleToPercent) {
  const std::string svg = LossChartSvg(testing::SampleReport());
  EXPECT_THAT(svg, HasSubstr("way out, hop 6: 12.0% loss (12 of 100 lost)"));
  EXPECT_THAT(svg, HasSubstr("way back, hop 4: 39.0% loss"));
}

}  // namespace
}  // namespace pathpair::html

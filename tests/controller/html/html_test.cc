#include <string>

#include "controller/html/html_escape.h"
#include "controller/html/paired_report.h"
#include "controller/html/winmtr_export.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/html/sample_report.h"

namespace pathpair::html {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(WinMtrTextTest, TableAsWinMtr) {
  const std::string text = FormatWinMtrText(testing::SampleTrace(false), formats::LabelOptions{});
  EXPECT_THAT(text, HasSubstr("|                       Host              -   %  | Sent | Recv | "
                              "Best | Avrg | Wrst | Last |\n"));
  EXPECT_THAT(text, HasSubstr("|                           gw.branch.lan -    0 |  100 |  100 |    "
                              "0 |    0 |    2 |    0 |\n"));
  EXPECT_THAT(text, HasSubstr("|                   No response from host -  100 |  100 |    0 |"));
  EXPECT_THAT(
      text,
      HasSubstr("|                      hq-app.example.com -   12 |  100 |   88 |   21 |   24 |"));
  EXPECT_EQ(Count(text, "\n"), 4 + 9 + 2);
}

TEST(WinMtrHtmlTest, EscapesAndBalances) {
  v1::TraceResult trace = testing::SampleTrace(false);
  trace.mutable_hops(0)->mutable_responders(0)->set_hostname("<script>x</script>");
  const std::string page = FormatWinMtrHtml(trace, formats::LabelOptions{});
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;"));
  EXPECT_EQ(Count(page, "<tr>"), 10);
  EXPECT_EQ(Count(page, "<tr>"), Count(page, "</tr>"));
}

TEST(EscapeTest, AllSpecials) {
  EXPECT_EQ(EscapeHtml("a&b<c>\"d'\x01"), "a&amp;b&lt;c&gt;&quot;d&#39;&#xFFFD;");
}

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
  const std::string svg = LossChartSvg(testing::SampleTrace(false), testing::SampleTrace(true));
  EXPECT_THAT(svg, HasSubstr("forward hop 6: 12.0% loss (12 of 100 lost)"));
  EXPECT_THAT(svg, HasSubstr("reverse hop 4: 39.0% loss"));
}

}  // namespace
}  // namespace pathpair::html

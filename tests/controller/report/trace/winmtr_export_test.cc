#include "controller/report/trace/winmtr_export.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/trace/sample_path.h"

namespace pathpair::html {
namespace {

using testing::Count;
using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace pathpair::html

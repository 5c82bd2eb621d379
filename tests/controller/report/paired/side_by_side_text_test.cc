#include "controller/report/paired/side_by_side_text.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/trace/sample_trace.h"

namespace pathpair::formats {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PairedTextTest, FitsIn120ColumnsAndPairsRows) {
  v1::TraceResult forward = testing::SampleTrace();
  v1::TraceResult reverse = testing::SampleTrace();
  reverse.mutable_hops()->DeleteSubrange(2, 1);
  reverse.mutable_hops(0)->mutable_responders(0)->set_hostname(
      "a-very-long-reverse-name.with.many.labels.example.net");
  const std::string text = FormatPairedText(forward, reverse, PairedTextOptions{});
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_LE(line.size(), 120u) << line;
    if (count > 3) {
      EXPECT_EQ(line.substr(58, 2), " |") << line;
    }
  }
  EXPECT_EQ(count, 3 + 3);
  EXPECT_THAT(text, HasSubstr("Forward: vm -> target.example"));
  EXPECT_THAT(text, HasSubstr("a-very-long-reverse-na~"));
  EXPECT_THAT(text, HasSubstr("  3 198.51.100.10            66.7%     3  12.5  12.5  12.5 |\n"));
  EXPECT_THAT(text, Not(HasSubstr("\t")));
}

}  // namespace
}  // namespace pathpair::formats

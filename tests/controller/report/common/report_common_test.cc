#include <stdlib.h>
#include <time.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "controller/report/common/markup_escape.h"
#include "controller/report/common/text_format.h"
#include "controller/report/common/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair {
namespace {

TEST(EscapeTest, AllSpecials) {
  EXPECT_EQ(EscapeHtml("a&b<c>\"d'\x01"), "a&amp;b&lt;c&gt;&quot;d&#39;&#xFFFD;");
}

TEST(EscapeTest, XmlAsMtrKeepsApostrophesAndControls) {
  EXPECT_EQ(EscapeXml("a&b<c>\"d'\x01"), "a&amp;b&lt;c&gt;&quot;d'\x01");
}

TEST(TimeFormatTest, IsoUtcWithMilliseconds) {
  EXPECT_EQ(output::FormatIsoUtc(1'795'779'851'250'999), "2026-11-27T11:44:11.250Z");
  EXPECT_EQ(output::FormatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  // Before the epoch the milliseconds still count forward from the whole second.
  EXPECT_EQ(output::FormatIsoUtc(-1'000), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormatTest, MtrLocalTimeWithOffset) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(output::FormatMtrLocalTime(1'700'000'000'123'456), "2023-11-14T22:13:20+0000");
}

TEST(TimeFormatTest, ReadableUtcToTheSecond) {
  EXPECT_EQ(output::FormatReadableUtc(1'795'779'851'250'999), "2026-11-27 11:44:11 UTC");
}

TEST(TextFormatTest, CutWithMarkShowsTheCut) {
  EXPECT_EQ(output::CutWithMark("a-very-long-name.example.net", 10), "a-very-lo~");
  EXPECT_EQ(output::CutWithMark("short", 5), "short");
  EXPECT_EQ(output::CutWithMark("short", 0), "");
}

TEST(TextFormatTest, WholeNumberTruncatesAndNeverOverflows) {
  EXPECT_EQ(output::WholeNumber(12.9), 12);
  EXPECT_EQ(output::WholeNumber(-0.5), 0);
  EXPECT_EQ(output::WholeNumber(std::nan("")), 0);
  EXPECT_EQ(output::WholeNumber(std::numeric_limits<double>::infinity()), 0);
  EXPECT_EQ(output::WholeNumber(1e300), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(output::WholeNumber(-1e300), std::numeric_limits<int64_t>::min());
}

}  // namespace
}  // namespace pathpair

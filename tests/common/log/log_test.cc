#include "common/log/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pathpair::log {
namespace {

using ::testing::ElementsAre;

TEST(LogTest, OneLineWithLevelEventAndFields) {
  const absl::Time t = absl::FromUnixMillis(1764896052123);
  const std::vector<Field> fields = {{"session", "s-1"}, {"count", 10}, {"ok", true}};
  EXPECT_EQ(FormatLine(t, Level::kInfo, "trace_start", fields),
            "ts=2025-12-05T00:54:12.123Z level=info event=trace_start session=s-1 count=10 "
            "ok=true");
}

TEST(LogTest, ValuesThatWouldBreakTheLineAreQuoted) {
  const absl::Time t = absl::UnixEpoch();
  const std::vector<Field> fields = {{"reason", "bad bearer token"},
                                     {"peer", "ipv4:203.0.113.9:5000"},
                                     {"text", "a\"b\\c\nd=e"},
                                     {"empty", ""}};
  EXPECT_EQ(FormatLine(t, Level::kWarning, "call_refused", fields),
            "ts=1970-01-01T00:00:00.000Z level=warning event=call_refused "
            "reason=\"bad bearer token\" peer=ipv4:203.0.113.9:5000 text=\"a\\\"b\\\\c\\nd=e\" "
            "empty=\"\"");
}

TEST(LogTest, LevelsFilterAndParse) {
  std::vector<std::string> lines;
  SetSinkForTesting([&lines](absl::string_view line) { lines.emplace_back(line); });
  SetLevel(Level::kWarning);
  Log(Level::kInfo, "hidden");
  Log(Level::kError, "shown", {{"why", "x"}});
  SetLevel(Level::kDebug);
  Log(Level::kDebug, "debugged");
  SetLevel(Level::kInfo);
  SetSinkForTesting(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("level=error event=shown why=x"));
  EXPECT_THAT(lines[1], ::testing::HasSubstr("level=debug event=debugged"));
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("INFO"), Level::kInfo);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("error"), Level::kError);
  EXPECT_FALSE(ParseLevel("verbose").ok());
  EXPECT_FALSE(ParseLevel("").ok());
}

}  // namespace
}  // namespace pathpair::log

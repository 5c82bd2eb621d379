#include "controller/screen/screen_model.h"

#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/screen/fake_trace_source.h"

namespace pathpair::screen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(const std::vector<std::string>& lines) { return absl::StrJoin(lines, "\n"); }

TEST(HandleKeyTest, MtrKeys) {
  ScreenState s;
  EXPECT_EQ(HandleKey(s, 'd'), KeyAction::kNone);
  EXPECT_EQ(s.mode, DisplayMode::kStripchart);
  HandleKey(s, 'd');
  EXPECT_EQ(s.mode, DisplayMode::kHistogram);
  HandleKey(s, 'd');
  EXPECT_EQ(s.mode, DisplayMode::kStatistics);
  HandleKey(s, 'j');
  EXPECT_TRUE(s.jitter);
  EXPECT_EQ(HandleKey(s, 'n'), KeyAction::kDnsChanged);
  EXPECT_FALSE(s.dns);
  EXPECT_EQ(HandleKey(s, ' '), KeyAction::kPauseChanged);
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(HandleKey(s, 'p'), KeyAction::kPauseChanged);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(HandleKey(s, 'r'), KeyAction::kReset);
  EXPECT_EQ(HandleKey(s, 'q'), KeyAction::kQuit);
  EXPECT_EQ(HandleKey(s, 'x'), KeyAction::kNone);
}

TEST(HandleKeyTest, HelpIsClosedByAnyKey) {
  ScreenState s;
  HandleKey(s, '?');
  EXPECT_TRUE(s.help);
  EXPECT_EQ(HandleKey(s, 'd'), KeyAction::kNone);  // closes help, does not switch modes
  EXPECT_FALSE(s.help);
  EXPECT_EQ(s.mode, DisplayMode::kStatistics);
  HandleKey(s, 'h');
  EXPECT_EQ(HandleKey(s, 'q'), KeyAction::kQuit);
}

TEST(ScreenModelTest, StatisticsTableAsMtr) {
  ScreenModel model({});
  ScreenState s;
  const v1::TraceResult trace = testing::FakeTrace(8, "198.51.100.");
  const std::vector<std::string> lines = model.Render(s, {trace}, 80, 24);
  const std::string text = Text(lines);
  EXPECT_THAT(text, HasSubstr("My traceroute  [pathpair]"));
  EXPECT_THAT(text, HasSubstr(" Host"));
  EXPECT_THAT(text, HasSubstr("Loss%   Snt   Last   Avg  Best  Wrst StDev"));
  EXPECT_THAT(text, HasSubstr(" 1. hop1.example.net"));
  EXPECT_THAT(text, HasSubstr(" 3. ???"));
  EXPECT_THAT(text, HasSubstr(" 25.0%     8"));  // hop 4 lost 2 of 8
  for (const std::string& l : lines) EXPECT_LE(l.size(), 80u) << l;
}

TEST(ScreenModelTest, DnsOffJitterOnAndNarrowTerminal) {
  ScreenModel model({});
  ScreenState s;
  s.dns = false;
  s.jitter = true;
  const std::string text = Text(model.Render(s, {testing::FakeTrace(4, "198.51.100.")}, 80, 24));
  EXPECT_THAT(text, HasSubstr("198.51.100.1"));
  EXPECT_THAT(text, Not(HasSubstr("hop1.example.net")));
  EXPECT_THAT(text, HasSubstr("Jttr"));
  EXPECT_EQ(model.Render(s, {testing::FakeTrace(4, "x")}, 60, 6).size(), 6u);
  EXPECT_TRUE(model.Render(s, {testing::FakeTrace(4, "x")}, 0, 0).empty());
  model.Render(s, {testing::FakeTrace(4, "x")}, 3, 2);  // must not crash
}

TEST(ScreenModelTest, HistoryDrivesStripchartAndHistogram) {
  ScreenModel model({});
  for (int round = 1; round <= 8; ++round)
    model.Observe(0, testing::FakeTrace(round, "198.51.100."));
  const auto* samples = model.Samples(0, 4);
  ASSERT_NE(samples, nullptr);
  EXPECT_EQ(samples->size(), 8u);
  int lost = 0;
  for (const auto& s : *samples) lost += !s.has_value();
  EXPECT_EQ(lost, 2);
  ScreenState s;
  s.mode = DisplayMode::kStripchart;
  const std::string strip = Text(model.Render(s, {testing::FakeTrace(8, "198.51.100.")}, 80, 24));
  EXPECT_THAT(strip, HasSubstr("Scale:"));
  EXPECT_THAT(strip, HasSubstr("?"));
  s.mode = DisplayMode::kHistogram;
  const std::string histogram =
      Text(model.Render(s, {testing::FakeTrace(8, "198.51.100.")}, 80, 24));
  EXPECT_THAT(histogram, HasSubstr("Histogram"));
  model.Reset();
  EXPECT_EQ(model.Samples(0, 4), nullptr);
}

TEST(ScreenModelTest, PairedSourcesEachGetABlock) {
  ScreenModelOptions options;
  options.titles = {"forward: a -> b", "reverse: b -> a"};
  ScreenModel model(options);
  ScreenState s;
  const std::string text = Text(model.Render(
      s, {testing::FakeTrace(3, "198.51.100."), testing::FakeTrace(3, "203.0.113.")}, 100, 40));
  EXPECT_THAT(text, HasSubstr("== forward: a -> b =="));
  EXPECT_THAT(text, HasSubstr("== reverse: b -> a =="));
}

TEST(ScreenModelTest, HelpListsEveryKey) {
  ScreenModel model({});
  ScreenState s;
  s.help = true;
  const std::string text = Text(model.Render(s, {testing::FakeTrace(1, "x")}, 100, 40));
  for (const char* key : {"?|h", "  d ", "  j ", "  n ", "  r ", "p|space", "  q "}) {
    EXPECT_THAT(text, HasSubstr(key));
  }
}

}  // namespace
}  // namespace pathpair::screen

#include "controller/screen/screen_model.h"

#include <string>

#include "absl/strings/str_cat.h"
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
  EXPECT_EQ(s.mode, DisplayMode::kStripchartLatency);
  HandleKey(s, 'd');
  EXPECT_EQ(s.mode, DisplayMode::kHistogram);
  HandleKey(s, 'd');
  EXPECT_EQ(s.mode, DisplayMode::kStatistics);
  HandleKey(s, 'j');
  EXPECT_TRUE(s.jitter);
  EXPECT_EQ(HandleKey(s, 'n'), KeyAction::kDnsChanged);
  EXPECT_FALSE(s.dns);
  // As mtr: p pauses, space resumes (and only resumes); p also resumes.
  EXPECT_EQ(HandleKey(s, ' '), KeyAction::kNone);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(HandleKey(s, 'p'), KeyAction::kPauseChanged);
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(HandleKey(s, ' '), KeyAction::kPauseChanged);
  EXPECT_FALSE(s.paused);
  HandleKey(s, 'p');
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
  const std::string plain = Text(model.Render(s, {testing::FakeTrace(8, "198.51.100.")}, 80, 24));
  EXPECT_THAT(plain, HasSubstr("Marks:"));
  EXPECT_THAT(plain, HasSubstr("?"));
  s.mode = DisplayMode::kStripchartLatency;
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
  for (const char* key : {"?|h", "  d ", "  j ", "  n ", "  r ", "p|space", "  q ", "  e ",
                          "  o str", "  i <n>", "  b <c>", "  u ", "  t ", "  y ", "  z "}) {
    EXPECT_THAT(text, HasSubstr(key));
  }
}

// The value keys read their value on the status line until Enter, as mtr's do.
TEST(HandleKeyTest, OrderBitPatternAndIntervalPrompts) {
  ScreenState s;
  HandleKey(s, 'o');
  EXPECT_EQ(s.prompt, PromptKind::kFields);
  for (int key : {'L', 'x', 'S', ' ', 'N'}) EXPECT_EQ(HandleKey(s, key), KeyAction::kNone);
  EXPECT_EQ(s.typed, "LS N");  // 'x' is no field letter: ignored
  ScreenModel model({});
  EXPECT_THAT(Text(model.Render(s, {testing::FakeTrace(1, "x")}, 100, 40)),
              HasSubstr("Fields: LS N_"));
  HandleKey(s, 0407);  // backspace
  HandleKey(s, 'A');
  EXPECT_EQ(HandleKey(s, '\r'), KeyAction::kNone);
  EXPECT_EQ(s.prompt, PromptKind::kNone);
  EXPECT_EQ(s.fields, "LS A");
  const std::string table = Text(model.Render(s, {testing::FakeTrace(4, "198.51.100.")}, 100, 40));
  EXPECT_THAT(table, HasSubstr("Loss%   Snt    Avg"));
  EXPECT_THAT(table, Not(HasSubstr("StDev")));

  HandleKey(s, 'b');
  for (int key : {'1', '7'}) HandleKey(s, key);
  EXPECT_EQ(HandleKey(s, '\n'), KeyAction::kBitPatternChanged);
  EXPECT_EQ(s.bit_pattern, 17);
  HandleKey(s, 'b');
  for (int key : {'3', '0', '0'}) HandleKey(s, key);
  EXPECT_EQ(HandleKey(s, '\n'), KeyAction::kNone);
  EXPECT_THAT(s.notice, HasSubstr("0 to 255"));

  HandleKey(s, 'i');
  for (int key : {'0', '.', '2', '5'}) HandleKey(s, key);
  EXPECT_EQ(HandleKey(s, '\r'), KeyAction::kIntervalChanged);
  EXPECT_EQ(s.interval_us, 250'000);
  HandleKey(s, 'i');
  HandleKey(s, '0');
  EXPECT_EQ(HandleKey(s, '\r'), KeyAction::kNone);  // not above 0
  HandleKey(s, 'i');
  HandleKey(s, '5');
  EXPECT_EQ(HandleKey(s, 27), KeyAction::kNone);  // Esc: nothing changes
  EXPECT_EQ(s.prompt, PromptKind::kNone);
  EXPECT_EQ(s.interval_us, 250'000);
  EXPECT_EQ(HandleKey(s, 0x100 + 'q'), KeyAction::kNone);  // a curses key code is no letter
}

TEST(HandleKeyTest, ProbeKeysSwitchAsMtr) {
  ScreenState s;
  v1::ProbeOptions o;
  o.set_protocol(v1::PROTOCOL_ICMP);
  EXPECT_EQ(HandleKey(s, 'u'), KeyAction::kSwitchUdp);
  ApplyProbeKey(KeyAction::kSwitchUdp, s, o);
  EXPECT_EQ(o.protocol(), v1::PROTOCOL_UDP);
  EXPECT_EQ(DescribeProbeKey(KeyAction::kSwitchUdp, o), "probing with UDP");
  ApplyProbeKey(KeyAction::kSwitchUdp, s, o);
  EXPECT_EQ(o.protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(HandleKey(s, 't'), KeyAction::kSwitchTcp);
  ApplyProbeKey(KeyAction::kSwitchTcp, s, o);
  EXPECT_EQ(o.protocol(), v1::PROTOCOL_TCP);
  ApplyProbeKey(KeyAction::kSwitchUdp, s, o);  // TCP -> UDP, as mtr
  EXPECT_EQ(o.protocol(), v1::PROTOCOL_UDP);
  ApplyProbeKey(KeyAction::kSwitchTcp, s, o);
  ApplyProbeKey(KeyAction::kSwitchTcp, s, o);
  EXPECT_EQ(o.protocol(), v1::PROTOCOL_ICMP);
  s.bit_pattern = 0xa5;
  s.interval_us = 500'000;
  ApplyProbeKey(KeyAction::kBitPatternChanged, s, o);
  ApplyProbeKey(KeyAction::kIntervalChanged, s, o);
  EXPECT_EQ(o.bit_pattern(), 0xa5);
  EXPECT_EQ(o.interval_us(), 500'000);
  EXPECT_EQ(DescribeProbeKey(KeyAction::kBitPatternChanged, o), "bit pattern 0xA5");
  EXPECT_EQ(DescribeProbeKey(KeyAction::kIntervalChanged, o), "interval 0.5 s");
}

TEST(HandleKeyTest, MplsAndIpInfoKeys) {
  ScreenState s;
  HandleKey(s, 'e');
  EXPECT_TRUE(s.mpls);
  HandleKey(s, 'z');
  EXPECT_EQ(s.ip_info, 0);
  HandleKey(s, 'z');
  EXPECT_EQ(s.ip_info, -1);
  for (int expected : {0, 1, 2, 3, 4, 0}) {
    HandleKey(s, 'y');
    EXPECT_EQ(s.ip_info, expected);
  }
  EXPECT_EQ(DisplayModeFromMtr(0), DisplayMode::kStatistics);
  EXPECT_EQ(DisplayModeFromMtr(1), DisplayMode::kStripchart);
  EXPECT_EQ(DisplayModeFromMtr(2), DisplayMode::kStripchartLatency);
}

TEST(ScreenModelTest, MplsLinesAndTheIpInfoColumn) {
  ScreenModelOptions options;
  options.ip_info = [](size_t, const std::string& address, int field) -> std::string {
    if (address != "198.51.100.1") return "";
    return field == 0 ? "64500" : field == 2 ? "ZZ" : "";
  };
  ScreenModel model(options);
  v1::TraceResult trace = testing::FakeTrace(4, "198.51.100.");
  v1::MplsLabel* label = trace.mutable_hops(1)->mutable_responders(0)->add_mpls();
  label->set_label(24001);
  label->set_ttl(1);
  ScreenState s;
  EXPECT_THAT(Text(model.Render(s, {trace}, 100, 40)), Not(HasSubstr("MPLS")));
  s.mpls = true;
  s.ip_info = 0;
  std::string text = Text(model.Render(s, {trace}, 100, 40));
  EXPECT_THAT(text, HasSubstr("\n    [MPLS: Lbl 24001 TC 0 S 0 TTL 1]"));
  EXPECT_THAT(text, HasSubstr(" 1. AS64500  hop1.example.net"));
  EXPECT_THAT(text, HasSubstr(" 2. AS???    hop2.example.net"));
  s.ip_info = 2;
  text = Text(model.Render(s, {trace}, 100, 40));
  EXPECT_THAT(text, HasSubstr(" 1. ZZ  hop1.example.net"));
  EXPECT_THAT(text, HasSubstr(" 2. ??? hop2.example.net"));
}

// A narrow terminal shortens names; addresses stay whole (the statistics give way instead).
TEST(ScreenModelTest, NarrowTerminalsShortenNamesNeverAddresses) {
  ScreenModel model({});
  ScreenState s;
  v1::TraceResult trace = testing::FakeTrace(4, "198.51.100.");
  trace.mutable_hops(4)->mutable_responders(0)->set_address("2001:db8:ffff:1234::55");
  trace.mutable_hops(4)->mutable_responders(0)->clear_hostname();
  for (int width : {20, 30, 40, 50, 60}) {
    for (DisplayMode mode : {DisplayMode::kStatistics, DisplayMode::kStripchart}) {
      s.mode = mode;
      for (bool dns : {false, true}) {
        s.dns = dns;
        const std::string text = Text(model.Render(s, {trace}, width, 40));
        if (width < 24) continue;  // the address itself is wider than the screen
        EXPECT_THAT(text, HasSubstr("2001:db8:ffff:1234::55")) << width << "\n" << text;
        if (!dns) {
          for (int hop : {1, 2, 4}) {
            EXPECT_THAT(text, HasSubstr(absl::StrCat(" ", hop, ". 198.51.100.", hop, " ")))
                << width << "\n"
                << text;
          }
        }
      }
    }
  }
  s.mode = DisplayMode::kStatistics;
  s.dns = true;
  const std::vector<std::string> narrow =
      model.Render(s, {testing::FakeTrace(4, "198.51.100.")}, 34, 40);
  EXPECT_THAT(Text(narrow), HasSubstr(" 1. hop1.exampl~ "));  // as wide as an address
  for (size_t i = 3; i < narrow.size(); ++i) EXPECT_THAT(narrow[i], Not(HasSubstr("198.51.")));

  v1::Responder r;
  r.set_address("198.51.100.2");
  r.set_hostname("core1.example.net");
  EXPECT_EQ(FitHostLabel(r, true, false, 40), "core1.example.net");
  EXPECT_EQ(FitHostLabel(r, true, false, 8), "core1.e~");
  EXPECT_EQ(FitHostLabel(r, false, false, 4), "198.51.100.2");
  EXPECT_EQ(FitHostLabel(r, true, true, 40), "core1.example.net (198.51.100.2)");
  EXPECT_EQ(FitHostLabel(r, true, true, 24), "core1.ex~ (198.51.100.2)");
  EXPECT_EQ(FitHostLabel(r, true, true, 16), "198.51.100.2");
}

// Every mark a chart can draw is named in its legend.
TEST(ScreenModelTest, ChartLegendsExplainEveryMark) {
  ScreenModel model({});
  for (int round = 1; round <= 40; ++round) {
    model.Observe(0, testing::FakeTrace(round, "198.51.100."));
  }
  const v1::TraceResult trace = testing::FakeTrace(40, "198.51.100.");
  ScreenState s;
  for (DisplayMode mode :
       {DisplayMode::kStripchart, DisplayMode::kStripchartLatency, DisplayMode::kHistogram}) {
    s.mode = mode;
    const std::vector<std::string> lines = model.Render(s, {trace}, 120, 40);
    std::string marks;
    std::string legend;
    bool in_legend = false;
    for (const std::string& line : lines) {
      if (line.rfind("Scale:", 0) == 0 || line.rfind("Marks:", 0) == 0 ||
          line.rfind("Histogram:", 0) == 0) {
        in_legend = true;
      }
      if (in_legend) {
        legend += line + " ";
      } else if (line.size() > 4 && line[2] == '.' && line[3] == ' ') {
        marks += line.substr(4 + 30 + 1);  // after the hop number and the name column
      }
    }
    ASSERT_FALSE(legend.empty());
    EXPECT_THAT(legend, HasSubstr("blank"));
    for (char mark : marks) {
      if (mark == ' ') continue;
      EXPECT_NE(legend.find(std::string(1, mark) + " "), std::string::npos)
          << "mark '" << mark << "' not in the legend: " << legend;
    }
  }
}

// The diagnosis footer stays when the table does not fit.
TEST(ScreenModelTest, FooterStaysOnAShortTerminal) {
  ScreenModel model({});
  model.SetFooter(0, {"Diagnosis: DEGRADED (effective loss 25.0%)", "  top: [problem] X"});
  ScreenState s;
  const std::vector<std::string> lines =
      model.Render(s, {testing::FakeTrace(4, "198.51.100.")}, 80, 9);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[7], "Diagnosis: DEGRADED (effective loss 25.0%)");
  EXPECT_EQ(lines[8], "  top: [problem] X");
  const std::string tall = Text(model.Render(s, {testing::FakeTrace(4, "198.51.100.")}, 80, 40));
  EXPECT_THAT(tall, HasSubstr(" 5. hop5.example.net"));
  EXPECT_THAT(tall, HasSubstr("Diagnosis: DEGRADED"));
}

}  // namespace
}  // namespace pathpair::screen

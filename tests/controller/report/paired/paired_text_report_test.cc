// The text report of a paired run (`pathpair test`, `pathpair show`) reads like an answer: the
// verdict and the findings first in plain words, then the one-way figures and the merged path
// router by router with both directions' loss and latency and the faulty direction marked, the
// evidence in words folded below. Assertions on the sample runs (sample_runs.h), which go through
// the real merge and diagnosis.
#include "controller/report/paired/paired_text_report.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "controller/merge/path_merge.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/report/paired/path_rows.h"
#include "controller/report/paired/report_findings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/paired/sample_runs.h"

namespace pathpair::paired {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Report(const v1::PairedRun& run) {
  const std::optional<merge::MergedPaths> merged = merge::MergeRun(run, nullptr);
  return FormatPairedRunText(run, merged.has_value() ? &*merged : nullptr,
                             DiagnosePairedRun(run, nullptr), {.use_names = false});
}

// The line of the merged path table whose router is `router` ("" when none).
std::string PathLine(const std::string& report, const std::string& router) {
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    const std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cells.size() > 2 && cells[1] == router && line.find('|') != std::string::npos &&
        line.find("Hop Host") == std::string::npos) {
      return std::string(line);
    }
  }
  return "";
}

size_t At(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  return at;
}

TEST(PairedTextReportTest, FindingsFirstThenPathThenEvidenceAndTraces) {
  const std::string text = Report(html::testing::LossyReverseRun());
  const size_t verdict = At(text, "Diagnosis: DEGRADED");
  const size_t finding = At(text,
                            "  [problem] LOSS_REVERSE_DIRECTION, way back, at reverse hop 3 "
                            "198.51.100.5");
  const size_t oneway = At(text, "One-way:\n");
  const size_t path = At(text, "Path, router by router");
  const size_t evidence = At(text, "Evidence of the findings:");
  const size_t traces = At(text, "Both traces as measured");
  EXPECT_LT(verdict, finding);
  EXPECT_LT(finding, oneway);
  EXPECT_LT(oneway, path);
  EXPECT_LT(path, evidence);
  EXPECT_LT(evidence, traces);
  // The direction finding leads its severity; the action follows in words.
  EXPECT_THAT(text.substr(verdict), ContainsRegex("^Diagnosis: [^\n]*\n  \\[problem\\] "
                                                  "LOSS_REVERSE_DIRECTION"));
  EXPECT_THAT(text, HasSubstr("      What to do: Report the issue"));
  // No evidence between the findings and the one-way figures: it is folded below.
  EXPECT_THAT(text.substr(finding, oneway - finding), Not(HasSubstr("probes sent")));
}

TEST(PairedTextReportTest, MergedPathShowsEachRouterBothWaysAndTheFaultyDirection) {
  const std::string text = Report(html::testing::LossyReverseRun());
  EXPECT_THAT(text, HasSubstr("| Way out                | Way back (FAULTY)      |"));
  // Each router on one line, with its hop in each direction's own numbering: r_k is forward hop
  // k and reverse hop 6 - k.
  for (int k = 1; k <= 5; ++k) {
    const std::string line = PathLine(text, html::testing::kRouters[k - 1]);
    ASSERT_FALSE(line.empty()) << html::testing::kRouters[k - 1] << "\n" << text;
    EXPECT_THAT(line, ContainsRegex(absl::StrCat("same address +\\| +", k, " .*\\| +", 6 - k, " ")))
        << line;
  }
  // Where the loss starts on the way back: marked, with the finding's name.
  EXPECT_THAT(PathLine(text, "198.51.100.5"), AllOf(HasSubstr("|    3   20.0%!    10.5 |"),
                                                    HasSubstr("<< LOSS_REVERSE_DIRECTION")));
  // The rate-limiting router: to be ignored, not a fault.
  EXPECT_THAT(PathLine(text, "198.51.100.1"),
              AllOf(HasSubstr("|    2   40.0%      5.0 |"),
                    HasSubstr("ignore (ICMP_RATE_LIMITED_HOP)"), Not(HasSubstr("!"))));
  // The endpoints close the path at each end.
  EXPECT_THAT(PathLine(text, "10.1.0.2"), HasSubstr("client"));
  EXPECT_THAT(PathLine(text, "203.0.113.10"), HasSubstr("server"));
}

TEST(PairedTextReportTest, EvidenceInWords) {
  const std::string text = Report(html::testing::LossyReverseRun());
  const std::string details = text.substr(At(text, "Evidence of the findings:"));
  EXPECT_THAT(details, HasSubstr("  LOSS_REVERSE_DIRECTION, way back, at reverse hop 3"));
  EXPECT_THAT(details, HasSubstr("      way back: loss: 20%\n"));
  EXPECT_THAT(details, HasSubstr("      loss (95% interval): 13.3% to 28.9%\n"));
  EXPECT_THAT(details, HasSubstr("      explained by: LOSS_REVERSE_DIRECTION\n"));
  EXPECT_THAT(text, Not(ContainsRegex("[a-z]+_[a-z_]+[:=]")));  // no raw key anywhere
}

TEST(PairedTextReportTest, HealthyRunMarksNothing) {
  const std::string text = Report(html::testing::HealthyRun());
  EXPECT_THAT(text, HasSubstr("Diagnosis: HEALTHY"));
  EXPECT_THAT(text, HasSubstr("  [info] HEALTHY\n"));
  EXPECT_THAT(text, Not(HasSubstr("FAULTY")));
  EXPECT_THAT(text, Not(HasSubstr("%!")));
  EXPECT_THAT(text, HasSubstr("(same_host, clock error +-0.001 ms)"));
  EXPECT_THAT(text, HasSubstr("Paths: symmetric, 5 router(s) matched both ways"));
}

TEST(PairedTextReportTest, PartialRunTagsTheReverseTracesFindingsAsTheWayBack) {
  const std::string text = Report(html::testing::PartialRun());
  EXPECT_THAT(text, StartsWith("pathpair test 20270115T102000.000Z-partial0 (partial)\n"));
  EXPECT_THAT(text, HasSubstr("  [problem] PACKET_LOSS, way back, at reverse hop 3 198.51.100.5"));
  EXPECT_THAT(text, Not(HasSubstr(", way out")));
  EXPECT_THAT(text, HasSubstr("Errors:\n  forward trace (client local): the local trace failed"));
  EXPECT_THAT(text, Not(HasSubstr("Path, router by router")));  // one trace: nothing to merge
  EXPECT_THAT(text, HasSubstr("Forward: no result\n"));
}

TEST(ReportFindingsTest, EvidenceLabelsAreWords) {
  EXPECT_EQ(html::EvidenceLabel("loss_ci_low_pct"), "loss, 95% interval from");
  EXPECT_EQ(html::EvidenceLabel("effective_loss_pct"), "at the end of the path: loss");
  EXPECT_EQ(html::EvidenceLabel("forward_delay_avg_ms"), "way out: one-way delay (average)");
  // A key no table knows is spelled out, never shown raw.
  EXPECT_EQ(html::EvidenceLabel("some_new_rtt_ms"), "some new round trip");
  EXPECT_EQ(html::EvidenceLabel("reverse_something_pct"), "way back: something");
  for (const char* key : {"a_b", "x_y_z_ms", "first_lossy_ttl", "q_ci_low_pct"}) {
    EXPECT_THAT(html::EvidenceLabel(key), Not(HasSubstr("_"))) << key;
  }
}

TEST(ReportFindingsTest, EvidenceValuesCarryTheirUnits) {
  EXPECT_EQ(html::EvidenceValue("loss_pct", 30.303), "30.3%");
  EXPECT_EQ(html::EvidenceValue("step_ms", 12.25), "12.2 ms");
  EXPECT_EQ(html::EvidenceValue("noise_ms", 0.0015), "0.002 ms");
  EXPECT_EQ(html::EvidenceValue("distance_km", 812.4), "812 km");
  EXPECT_EQ(html::EvidenceValue("sent", 100), "100");
  EXPECT_EQ(html::EvidenceValue("responders", nlohmann::ordered_json::array({"a", "b"})), "a, b");
}

TEST(ReportFindingsTest, DirectionsSeverityOrderAndMarks) {
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  json.push_back({{"code", "ICMP_RATE_LIMITED_HOP"},
                  {"severity", "info"},
                  {"hop", 2},
                  {"direction", "forward"}});
  json.push_back(
      {{"code", "PACKET_LOSS"}, {"severity", "problem"}, {"hop", 3}, {"direction", "reverse"}});
  json.push_back({{"code", "LATENCY_ON_RETURN_PATH"},
                  {"severity", "warning"},
                  {"hop", nullptr},
                  {"direction", "forward"}});
  json.push_back({{"code", "LOSS_BOTH_DIRECTIONS"},
                  {"severity", "problem"},
                  {"hop", 4},
                  {"direction", "forward"}});
  const std::vector<html::ReportFinding> findings = html::FindingsFromJson(json);
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].code, "LOSS_BOTH_DIRECTIONS");  // problems first, direction codes first
  EXPECT_EQ(findings[0].direction, "both");
  EXPECT_EQ(findings[0].hop_direction, "forward");
  EXPECT_EQ(findings[1].code, "PACKET_LOSS");
  EXPECT_EQ(findings[1].direction, "reverse");
  EXPECT_EQ(findings[2].code, "LATENCY_ON_RETURN_PATH");
  EXPECT_EQ(findings[2].direction, "reverse");  // the code names it, whatever the JSON says
  EXPECT_TRUE(findings[3].ignore);
  EXPECT_TRUE(html::MarkOf(findings, "forward", 2).ignore);
  EXPECT_FALSE(html::MarkOf(findings, "forward", 2).fault);
  EXPECT_TRUE(html::MarkOf(findings, "reverse", 3).fault);
  EXPECT_FALSE(html::MarkOf(findings, "forward", 3).fault);  // the other trace's hop 3
}

}  // namespace
}  // namespace pathpair::paired

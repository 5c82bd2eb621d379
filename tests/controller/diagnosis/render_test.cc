// The JSON members (report.diagnosis/verdict/effective) and the text block.
#include "controller/diagnosis/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/exit_status.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::HasSubstr;
using testing::TraceBuilder;

v1::Diagnosis LossAtHopTwo() {
  return DiagnoseTrace(TraceBuilder("203.0.113.10")
                           .Hop("192.168.1.1", 20, 20, 1)
                           .Hop("198.51.100.1", 20, 12, 2)
                           .Hop("203.0.113.10", 20, 14, 3)
                           .Reached()
                           .Build());
}

TEST(RenderJsonTest, FindingsAsTheIssueSpecifies) {
  nlohmann::ordered_json root;
  root["report"]["mtr"]["dst"] = "203.0.113.10";  // members the CLI owns stay
  WriteDiagnosisJson(LossAtHopTwo(), root["report"]);
  const nlohmann::ordered_json& report = root["report"];
  EXPECT_EQ(report["mtr"]["dst"], "203.0.113.10");
  EXPECT_EQ(report["verdict"], "degraded");
  EXPECT_DOUBLE_EQ(report["effective"]["loss_pct"].get<double>(), 30);
  EXPECT_EQ(report["effective"]["loss_hop"], 3);
  EXPECT_EQ(report["area_source"], "heuristic");
  ASSERT_TRUE(report["diagnosis"].is_array());
  const nlohmann::ordered_json& f = report["diagnosis"][0];
  std::vector<std::string> keys;
  for (auto it = f.begin(); it != f.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ::testing::ElementsAre("code", "severity", "hop", "address", "area", "summary",
                                           "evidence", "action", "confidence", "asn", "probes",
                                           "direction"));
  EXPECT_EQ(f["code"], "PACKET_LOSS");
  EXPECT_EQ(f["severity"], "problem");
  EXPECT_EQ(f["hop"], 2);
  EXPECT_EQ(f["address"], "198.51.100.1");
  EXPECT_EQ(f["area"], "client_isp");
  EXPECT_TRUE(f["asn"].is_null());
  EXPECT_DOUBLE_EQ(f["evidence"]["loss_pct"].get<double>(), 40);
  EXPECT_GT(f["confidence"].get<double>(), 0.9);
  EXPECT_LE(f["confidence"].get<double>(), 1);
}

TEST(RenderJsonTest, WholePathFindingHasNullHop) {
  const v1::Diagnosis d = DiagnoseTrace(TraceBuilder()
                                            .Hop("198.51.100.1", 10, 10, 1)
                                            .Hop("203.0.113.10", 10, 10, 2)
                                            .Reached()
                                            .Build());
  nlohmann::ordered_json report;
  WriteDiagnosisJson(d, report);
  ASSERT_EQ(report["diagnosis"].size(), 1u);
  EXPECT_EQ(report["diagnosis"][0]["code"], "HEALTHY");
  EXPECT_TRUE(report["diagnosis"][0]["hop"].is_null());
  EXPECT_EQ(report["verdict"], "healthy");
  // Lists in evidence are arrays.
  v1::Finding f;
  f.set_code(v1::ASYMMETRIC_PATH);
  f.add_evidence()->set_name("forward_hops");
  f.mutable_evidence(0)->mutable_list()->add_values("a");
  EXPECT_EQ(FindingToJson(f)["evidence"]["forward_hops"], nlohmann::ordered_json::array({"a"}));
  EXPECT_EQ(FindingToJson(f)["code"], "ASYMMETRIC_PATH");
}

TEST(RenderTextTest, FewLinesPerFinding) {
  const std::string text = RenderDiagnosisText(LossAtHopTwo());
  EXPECT_THAT(text, HasSubstr("Diagnosis: DEGRADED (effective loss 30% from hop 3, latency 3 ms"));
  EXPECT_THAT(text, HasSubstr("[problem] PACKET_LOSS at hop 2 198.51.100.1 (client_isp)"));
  EXPECT_THAT(text, HasSubstr("evidence: loss_pct=40 sent=20 lost=8"));
  EXPECT_THAT(text, HasSubstr("action: Report the issue to the local ISP"));
}

TEST(ExitStatusTest, MonitoringPluginConvention) {
  EXPECT_EQ(ExitStatusFor(v1::VERDICT_HEALTHY), 0);
  EXPECT_EQ(ExitStatusFor(v1::VERDICT_DEGRADED), 3);
  EXPECT_EQ(ExitStatusFor(v1::VERDICT_BROKEN), 4);
  EXPECT_EQ(ExitStatusFor(v1::VERDICT_UNSPECIFIED), 1);
  EXPECT_EQ(ExitStatusFor(LossAtHopTwo().verdict()), kExitDegraded);
}

// Issue 15: an incomplete trace is never called clean without saying so.
TEST(RenderTextTest, IncompleteTraceSaysSoOnTheVerdictLine) {
  v1::TraceResult trace = TraceBuilder()
                              .Hop("198.51.100.1", 13, 13, 1)
                              .Hop("203.0.113.10", 13, 13, 2)
                              .Reached()
                              .Build();
  const v1::Diagnosis complete = DiagnoseTrace(trace);
  EXPECT_FALSE(complete.incomplete());
  EXPECT_THAT(RenderDiagnosisText(complete),
              ::testing::StartsWith("Diagnosis: HEALTHY (effective"));

  trace.mutable_options()->set_count(50);
  trace.set_rounds(13);
  trace.set_interrupted(true);
  trace.set_incomplete(true);
  const v1::Diagnosis cut = DiagnoseTrace(trace);
  EXPECT_EQ(cut.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_TRUE(cut.incomplete());
  EXPECT_EQ(cut.incomplete_reason(), "interrupted after 13 of 50 rounds");
  const std::string text = RenderDiagnosisText(cut);
  EXPECT_THAT(text, ::testing::StartsWith("Diagnosis: HEALTHY, INCOMPLETE TRACE (interrupted after "
                                          "13 of 50 rounds; effective loss 0%"));
  ASSERT_GT(cut.findings_size(), 0);
  const v1::Finding& healthy = cut.findings(cut.findings_size() - 1);
  EXPECT_EQ(healthy.code(), v1::HEALTHY);
  EXPECT_THAT(healthy.summary(), HasSubstr("in an incomplete trace"));
  nlohmann::ordered_json report;
  WriteDiagnosisJson(cut, report);
  EXPECT_EQ(report["incomplete"], true);
  EXPECT_EQ(report["incomplete_reason"], "interrupted after 13 of 50 rounds");

  // A stream that broke (incomplete without an interrupt), and the reverse trace of a pair.
  trace.set_interrupted(false);
  EXPECT_EQ(DiagnoseTrace(trace).incomplete_reason(), "not measured to the end");
  v1::DiagnosisInput pair;
  *pair.mutable_forward() = TraceBuilder()
                                .Hop("198.51.100.1", 13, 13, 1)
                                .Hop("203.0.113.10", 13, 13, 2)
                                .Reached()
                                .Build();
  *pair.mutable_reverse() = trace;
  EXPECT_EQ(Diagnose(pair).incomplete_reason(), "reverse trace not measured to the end");
}

}  // namespace
}  // namespace pathpair::diagnosis

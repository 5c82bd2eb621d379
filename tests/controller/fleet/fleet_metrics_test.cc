#include "controller/fleet/fleet_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pathpair::fleet {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(FleetMetricsTest, RendersEveryFamily) {
  MetricsSnapshot s;
  s.runs = {{"office", "dc", "complete", 3}, {"office", "dc", "failed", 1}};
  s.latest = {
      {"office", "dc", "degraded", {{"forward", 0.25, 0.0125}, {"reverse", 0, std::nullopt}}},
      {"a", "b\"x", "", {}}};
  s.agents = {{"dc", true}, {"office", false}};
  const std::string text = RenderFleetMetrics(s);
  EXPECT_THAT(text, HasSubstr("# TYPE pathpair_test_runs_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "pathpair_test_runs_total{client=\"office\",server=\"dc\",status=\"complete\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_path_loss_ratio{client=\"office\",server=\"dc\","
                              "direction=\"forward\"} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_path_loss_ratio{client=\"office\",server=\"dc\","
                              "direction=\"reverse\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_path_delay_seconds{client=\"office\",server=\"dc\","
                              "direction=\"forward\"} 0.0125\n"));
  EXPECT_THAT(text, Not(HasSubstr("direction=\"reverse\"} 0\npathpair_path_delay")));
  EXPECT_THAT(text, HasSubstr("pathpair_test_verdict{client=\"office\",server=\"dc\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("server=\"b\\\"x\"} ")));  // no verdict: no sample
  EXPECT_THAT(text, HasSubstr("pathpair_agent_connected{agent=\"dc\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_connected{agent=\"office\"} 0\n"));
}

TEST(FleetMetricsTest, VerdictValues) {
  EXPECT_EQ(VerdictValue("healthy"), 0);
  EXPECT_EQ(VerdictValue("degraded"), 1);
  EXPECT_EQ(VerdictValue("broken"), 2);
  EXPECT_EQ(VerdictValue(""), std::nullopt);
}

}  // namespace
}  // namespace pathpair::fleet

// The metrics registry's text output (names, labels, escaping, the series bound) and the HTTP
// endpoint that serves it, fetched with cpp-httplib's client over loopback.
#include "agent/metrics/agent_metrics.h"

#include <httplib.h>

#include <memory>
#include <string>

#include "agent/metrics/metrics_http.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::agent::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AgentMetricsTest, FreshRegistryShowsEveryFamilyAtZero) {
  AgentMetrics metrics;
  metrics.SetVersion("1.2.3");
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE pathpair_agent_build_info gauge\n"
                              "pathpair_agent_build_info{version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\npathpair_agent_traces_active 0\n"));
  EXPECT_THAT(text, HasSubstr("\npathpair_agent_oneway_sessions_active 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE pathpair_agent_probes_sent_total counter\n"
                              "pathpair_agent_probes_sent_total 0\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_replies_received_total{kind=\"time_exceeded\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE pathpair_agent_rpcs_total counter\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_limit_refusals_total{reason=\"max_traces\"} 0\n"));
}

TEST(AgentMetricsTest, CountsAndGaugesShowInTheText) {
  AgentMetrics metrics;
  metrics.CountProbeSent();
  metrics.CountProbeSent();
  metrics.CountReply("echo_reply");
  metrics.CountRpc("pathpair.v1.Agent/Info", "OK");
  metrics.CountRpc("pathpair.v1.Agent/Info", "OK");
  metrics.CountRpc("pathpair.v1.Agent/StartTrace", "RESOURCE_EXHAUSTED");
  metrics.CountLimitRefusal("max_rate");
  metrics.CountLimitRefusal("tokens_per_peer");  // a limit the registry did not know
  metrics.SetTracesActive([] { return 3; });
  metrics.SetOneWaySessionsActive([] { return 1; });
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("\npathpair_agent_probes_sent_total 2\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_replies_received_total{kind=\"echo_reply\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_rpcs_total{method=\"pathpair.v1.Agent/Info\","
                              "code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_rpcs_total{method=\"pathpair.v1.Agent/StartTrace\","
                              "code=\"RESOURCE_EXHAUSTED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pathpair_agent_limit_refusals_total{reason=\"max_rate\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("pathpair_agent_limit_refusals_total{reason=\"tokens_per_peer\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\npathpair_agent_traces_active 3\n"));
  EXPECT_THAT(text, HasSubstr("\npathpair_agent_oneway_sessions_active 1\n"));
}

TEST(AgentMetricsTest, LabelValuesAreEscaped) {
  AgentMetrics metrics;
  metrics.CountRpc("a\"b\\c\nd", "OK");
  EXPECT_THAT(metrics.Render(), HasSubstr("{method=\"a\\\"b\\\\c\\nd\",code=\"OK\"} 1\n"));
}

TEST(AgentMetricsTest, ClientChosenMethodNamesAreBounded) {
  AgentMetrics metrics;
  for (int i = 0; i < 1000; ++i) metrics.CountRpc("unknown/" + std::to_string(i), "UNIMPLEMENTED");
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("unknown/0\""));
  EXPECT_THAT(text, Not(HasSubstr("unknown/999\"")));
  EXPECT_THAT(text, HasSubstr("{method=\"other\",code=\"UNIMPLEMENTED\"} 744\n"));
}

TEST(MetricsHttpServerTest, ServesMetricsAndNothingElse) {
  int renders = 0;
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start("127.0.0.1", 0, [&renders] {
        return "pathpair_agent_probes_sent_total " + std::to_string(++renders) + "\n";
      });
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result first = client.Get("/metrics");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(first->body, "pathpair_agent_probes_sent_total 1\n");
  httplib::Result second = client.Get("/metrics");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "pathpair_agent_probes_sent_total 2\n");  // read per scrape
  httplib::Result other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST(MetricsHttpServerTest, BusyPortIsAnError) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> first =
      MetricsHttpServer::Start("127.0.0.1", 0, [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second =
      MetricsHttpServer::Start("127.0.0.1", (*first)->port(), [] { return std::string(); });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsHttpServerTest, StopsRightAfterStarting) {
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
        MetricsHttpServer::Start("127.0.0.1", 0, [] { return std::string(); });
    ASSERT_TRUE(server.ok()) << server.status();
  }  // each destructor returns: the stop is not lost before the loop runs
}

}  // namespace
}  // namespace pathpair::agent::metrics

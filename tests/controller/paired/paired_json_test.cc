#include "controller/paired/paired_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controller/paired/fake_endpoint.h"

namespace pathpair::paired {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

PairedRun SampleRun() {
  PairedRun run;
  run.run_id = "20261127T112540.123Z-3f9a1c0b";
  run.start_unix_us = 1'800'000'000'000'000;
  run.end_unix_us = run.start_unix_us + 12'000'000;
  run.forward_target = "203.0.113.80";
  run.reverse_target = "198.51.100.9";
  run.reverse_target_reflected = true;
  run.client.endpoint = "local";
  run.client.hostname = "laptop";
  run.server.endpoint = "agent.example:8620";
  v1::StartTraceRequest forward;
  forward.mutable_options()->set_target("203.0.113.80");
  forward.mutable_options()->set_count(3);
  run.client.trace = FakeEndpoint::Snapshot(forward, {"10.0.0.1"}, 3, true);
  v1::StartTraceRequest reverse;
  reverse.mutable_options()->set_target("198.51.100.9");
  run.server.trace = FakeEndpoint::Snapshot(reverse, {"10.9.0.1", "10.9.1.1"}, 2, false);
  run.server.error = "lost the agent agent.example:8620: Socket closed";
  run.oneway_forward = OneWayStats{.sent = 300, .received = 240, .loss_pct = 20};
  run.oneway_reverse = OneWayStats{.sent = 300, .received = 300, .offset_error_ms = 0.5};
  run.start_skew_ms = 4.5;
  return run;
}

TEST(PairedJsonTest, TopLevelKeysAndShapes) {
  const PairedRun run = SampleRun();
  DiagnosisJson diagnosis;
  diagnosis.paired.push_back({{"code", "LOSS_REVERSE_DIRECTION"}});
  nlohmann::json paths = {{"symmetric", false}};
  const nlohmann::ordered_json j = PairedRunToJson(run, paths, diagnosis);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_THAT(keys,
              ElementsAre("run_id", "start", "end", "status", "client", "server", "start_skew_ms",
                          "forward", "reverse", "oneway", "paths", "diagnosis", "errors"));
  EXPECT_EQ(j["status"], "partial");
  EXPECT_EQ(j["start"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(j["client"]["address"], "198.51.100.9");
  EXPECT_EQ(j["server"]["address"], "203.0.113.80");
  EXPECT_THAT(j["server"]["error"].get<std::string>(), HasSubstr("lost the agent"));
  EXPECT_TRUE(j["client"]["error"].is_null());
  // forward/reverse are trace -j objects; reverse stays in the server's order.
  EXPECT_EQ(j["forward"]["report"]["mtr"]["dst"], "203.0.113.80");
  EXPECT_EQ(j["reverse"]["report"]["hubs"][0]["host"], "10.9.0.1");
  EXPECT_EQ(j["reverse"]["report"]["hubs"][2]["host"], "198.51.100.9");
  EXPECT_EQ(j["oneway"]["forward"]["loss_pct"], 20.0);
  EXPECT_EQ(j["oneway"]["forward"]["received"], 240);
  EXPECT_TRUE(j["oneway"]["forward"]["offset_error_ms"].is_null());  // unsynchronised
  EXPECT_EQ(j["oneway"]["reverse"]["offset_error_ms"], 0.5);
  for (const char* k : {"min", "avg", "max", "stdev"}) {
    EXPECT_TRUE(j["oneway"]["reverse"]["delay_ms"].contains(k)) << k;
  }
  EXPECT_EQ(j["paths"]["symmetric"], false);
  EXPECT_EQ(j["diagnosis"][0]["code"], "LOSS_REVERSE_DIRECTION");
  EXPECT_EQ(j["start_skew_ms"], 4.5);
  EXPECT_EQ(j["errors"].size(), 1u);
}

TEST(PairedJsonTest, MissingSideIsNull) {
  PairedRun run = SampleRun();
  run.server.trace.reset();
  run.oneway_requested = false;
  const nlohmann::ordered_json j = PairedRunToJson(run, nlohmann::json(), DiagnosisJson());
  EXPECT_TRUE(j["reverse"].is_null());
  EXPECT_TRUE(j["oneway"].is_null());
  EXPECT_TRUE(j["paths"].is_null());
  EXPECT_TRUE(j["diagnosis"].is_array());
}

TEST(PairedJsonTest, DiagnosisMembersGoIntoEachTrace) {
  DiagnosisJson diagnosis;
  diagnosis.forward = {{"diagnosis", nlohmann::ordered_json::array({{{"code", "HEALTHY"}}})},
                       {"verdict", "healthy"}};
  const nlohmann::ordered_json j = PairedRunToJson(SampleRun(), nlohmann::json(), diagnosis);
  EXPECT_EQ(j["forward"]["report"]["verdict"], "healthy");
  EXPECT_EQ(j["forward"]["report"]["diagnosis"][0]["code"], "HEALTHY");
  EXPECT_TRUE(j["reverse"]["report"]["diagnosis"].is_array());
}

TEST(PairedJsonTest, SerialisedRunRoundTrips) {
  const PairedRun run = SampleRun();
  absl::StatusOr<PairedRun> again = DeserializeRun(SerializeRun(run));
  ASSERT_TRUE(again.ok()) << again.status();
  const nlohmann::ordered_json a = PairedRunToJson(run, nlohmann::json(), DiagnosisJson());
  const nlohmann::ordered_json b = PairedRunToJson(*again, nlohmann::json(), DiagnosisJson());
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(again->server.trace->hops_size(), 3);
  EXPECT_TRUE(again->reverse_target_reflected);
}

TEST(PairedJsonTest, ForeignPayloadsAreRefused) {
  for (const char* bad : {"", "{", "[]", "{\"format\": \"other\"}", "null",
                          "{\"format\": \"json:pathpair.paired_run.v1\", \"client\": 3}",
                          "{\"format\": \"json:pathpair.paired_run.v1\", \"client\": {\"trace\": "
                          "{\"hops\": \"x\"}}, \"server\": {}}"}) {
    EXPECT_FALSE(DeserializeRun(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace pathpair::paired

#include "controller/paired/paired_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/paired/oneway_clock.h"
#include "controller/paired/paired_run.h"
#include "tests/controller/paired/sample_run.h"

namespace pathpair::paired {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PairedJsonTest, TopLevelKeysAndShapes) {
  const v1::PairedRun run = SampleRun();
  DiagnosisJson diagnosis;
  diagnosis.paired.push_back({{"code", "LOSS_REVERSE_DIRECTION"}});
  diagnosis.verdict = "degraded";
  nlohmann::json paths = {{"symmetric", false}};
  const nlohmann::ordered_json j = PairedRunToJson(run, paths, diagnosis);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_THAT(keys, ElementsAre("run_id", "start", "end", "status", "verdict", "client", "server",
                                "start_skew_ms", "forward", "reverse", "oneway", "paths", "aliases",
                                "diagnosis", "errors"));
  EXPECT_EQ(j["status"], "partial");
  EXPECT_EQ(j["verdict"], "degraded");
  // Without a diagnosis the verdict is null, never a guess.
  EXPECT_TRUE(PairedRunToJson(run, paths, DiagnosisJson())["verdict"].is_null());
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
  // Unsynchronised and no estimate: no bound. The reverse delays were corrected by the estimate.
  EXPECT_EQ(j["oneway"]["forward"]["clock"]["method"], "none");
  EXPECT_TRUE(j["oneway"]["forward"]["clock"]["error_ms"].is_null());
  EXPECT_EQ(j["oneway"]["reverse"]["clock"]["method"], "estimated");
  EXPECT_EQ(j["oneway"]["reverse"]["clock"]["error_ms"], 0.5);
  EXPECT_TRUE(j["oneway"]["reverse"]["clock"]["note"].is_null());
  for (const char* k : {"min", "avg", "max", "stdev"}) {
    EXPECT_TRUE(j["oneway"]["reverse"]["delay_ms"].contains(k)) << k;
  }
  // The one-way part is OneWayDirection's JSON mapping: every key, counts as numbers.
  std::vector<std::string> oneway_keys;
  for (const auto& [key, value] : j["oneway"]["forward"].items()) oneway_keys.push_back(key);
  EXPECT_THAT(oneway_keys, ::testing::UnorderedElementsAre(
                               "sent", "received", "loss_pct", "delay_ms", "raw_delay_ms", "clock",
                               "jitter_ms", "duplicates", "reordered", "error", "incomplete"));
  EXPECT_TRUE(j["oneway"]["forward"]["sent"].is_number_integer());
  EXPECT_TRUE(j["oneway"]["forward"]["error"].is_null());
  EXPECT_EQ(j["paths"]["symmetric"], false);
  EXPECT_EQ(j["diagnosis"][0]["code"], "LOSS_REVERSE_DIRECTION");
  EXPECT_EQ(j["start_skew_ms"], 4.5);
  EXPECT_EQ(j["errors"].size(), 1u);
  EXPECT_TRUE(j["aliases"]["client"].is_null());  // not resolved in this run
  EXPECT_TRUE(j["aliases"]["server"].is_null());
}

TEST(PairedJsonTest, AliasesAreWrittenAndReadBack) {
  v1::PairedRun run = SampleRun();
  v1::AliasResolution* resolution = run.mutable_client_aliases()->add_resolutions();
  resolution->set_address("10.9.0.1");
  resolution->set_reply_source("10.9.0.2");
  resolution->set_method(v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE);
  resolution->set_distance(2);
  resolution->set_rtt_ms(1.5);
  run.mutable_server_aliases()->set_error("the server agent does not resolve router aliases");
  const nlohmann::ordered_json j = PairedRunToJson(run, nlohmann::json(), DiagnosisJson());
  const nlohmann::ordered_json& client = j["aliases"]["client"]["resolutions"][0];
  EXPECT_EQ(client["address"], "10.9.0.1");
  EXPECT_EQ(client["reply_source"], "10.9.0.2");
  EXPECT_EQ(client["method"], "ALIAS_METHOD_UDP_PORT_UNREACHABLE");
  EXPECT_EQ(client["distance"], 2);
  EXPECT_EQ(client["rtt_ms"], 1.5);
  EXPECT_THAT(j["aliases"]["server"]["error"].get<std::string>(), HasSubstr("does not resolve"));

  std::optional<absl::StatusOr<v1::PairedRun>> again =
      PairedRunFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(again->ok()) << again->status();
  EXPECT_EQ((*again)->client_aliases().SerializeAsString(),
            run.client_aliases().SerializeAsString());
  EXPECT_EQ((*again)->server_aliases().error(), run.server_aliases().error());

  nlohmann::json bad = nlohmann::json::parse(j.dump());
  bad["aliases"]["client"]["resolutions"][0]["distance"] = "far";
  std::optional<absl::StatusOr<v1::PairedRun>> refused = PairedRunFromJson(bad);
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->ok());
}

TEST(PairedJsonTest, MissingSideIsNull) {
  v1::PairedRun run = SampleRun();
  run.mutable_server()->clear_trace();
  run.set_oneway_requested(false);
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

TEST(PairedJsonTest, ReportReadsBackIntoTheSameRun) {
  const v1::PairedRun run = SampleRun();
  const nlohmann::ordered_json report = PairedRunToJson(run, nlohmann::json(), DiagnosisJson());
  std::optional<absl::StatusOr<v1::PairedRun>> again =
      PairedRunFromJson(nlohmann::json::parse(report.dump()));
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(again->ok()) << again->status();
  EXPECT_EQ((*again)->oneway_forward().stats().received(), 240);
  EXPECT_EQ(EffectiveClock((*again)->oneway_forward()).method(), v1::CLOCK_METHOD_NONE);
  EXPECT_EQ(EffectiveClock((*again)->oneway_reverse()).method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(EffectiveClock((*again)->oneway_reverse()).error_ms(), 0.5);
  EXPECT_EQ((*again)->server().error(), run.server().error());
  EXPECT_EQ((*again)->reverse_target(), "198.51.100.9");
  EXPECT_EQ(OneWayToJson((*again)->oneway_forward()).dump(),
            OneWayToJson(run.oneway_forward()).dump());
  EXPECT_FALSE((*again)->has_client_aliases());  // null in the report: not resolved

  EXPECT_FALSE((*again)->server().trace().incomplete());
  EXPECT_FALSE((*again)->oneway_reverse().incomplete());

  // What was cut short reads back as cut short (issue 15): `pathpair diagnose` of a saved
  // report must not take it for clean.
  v1::PairedRun cut = run;
  cut.mutable_server()->mutable_trace()->set_incomplete(true);
  cut.mutable_oneway_reverse()->set_incomplete(true);
  again = PairedRunFromJson(
      nlohmann::json::parse(PairedRunToJson(cut, nlohmann::json(), DiagnosisJson()).dump()));
  ASSERT_TRUE(again.has_value() && again->ok());
  EXPECT_TRUE((*again)->server().trace().incomplete());
  EXPECT_FALSE((*again)->client().trace().incomplete());
  EXPECT_TRUE((*again)->oneway_reverse().incomplete());
  EXPECT_FALSE((*again)->oneway_forward().incomplete());

  EXPECT_FALSE(PairedRunFromJson(nlohmann::json::parse(R"({"report": {}})")).has_value());
  nlohmann::json bad = nlohmann::json::parse(report.dump());
  bad["oneway"]["forward"]["sent"] = "many";
  std::optional<absl::StatusOr<v1::PairedRun>> refused = PairedRunFromJson(bad);
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->ok());
}

}  // namespace
}  // namespace pathpair::paired

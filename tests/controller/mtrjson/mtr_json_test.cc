// The mtr JSON reader over real captures (mtr 0.95, testdata/mtr095_*.json, made with
// capture_mtr_samples.sh) and hand-made 0.92-layout files (testdata/mtr092_*.json, written in
// the exact printf layout of mtr 0.92's ui/report.c), then the diagnosis of each.
#include "controller/mtrjson/mtr_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/diagnosis/diagnose.h"

namespace pathpair::mtrjson {
namespace {

using ::testing::ElementsAre;

std::string Slurp(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::string TestData(const std::string& name) {
  return Slurp(std::string(PATHPAIR_MTRJSON_TESTDATA) + "/" + name);
}

v1::TraceResult Parse(const std::string& name) {
  const std::string text = TestData(name);
  EXPECT_FALSE(text.empty()) << name;
  absl::StatusOr<v1::TraceResult> trace = ParseMtrJson(text);
  EXPECT_TRUE(trace.ok()) << name << ": " << trace.status();
  return trace.ok() ? *trace : v1::TraceResult();
}

std::vector<int> Ttls(const v1::Diagnosis& d, v1::FindingCode code) {
  std::vector<int> out;
  for (const v1::Finding& f : d.findings()) {
    if (f.code() == code) out.push_back(f.has_ttl() ? f.ttl() : 0);
  }
  return out;
}

TEST(MtrJson095Test, Healthy) {
  const v1::TraceResult t = Parse("mtr095_healthy_v4.json");
  EXPECT_EQ(t.options().target(), "203.0.113.10");
  EXPECT_EQ(t.target_address(), "203.0.113.10");
  EXPECT_EQ(t.options().count(), 5);
  EXPECT_EQ(t.options().packet_size(), 64);
  EXPECT_EQ(t.source_hostname(), "vm");
  ASSERT_EQ(t.hops_size(), 3);
  EXPECT_EQ(t.hops(0).ttl(), 1);
  EXPECT_EQ(t.hops(0).responders(0).address(), "198.51.100.2");
  EXPECT_EQ(t.hops(0).sent(), 5);
  EXPECT_EQ(t.hops(0).received(), 5);
  EXPECT_GT(t.hops(2).rtt().avg_ms(), 0);
  EXPECT_TRUE(t.reached());
  EXPECT_EQ(t.hops(2).termination(), v1::HOP_TERMINATION_DESTINATION);
  EXPECT_EQ(diagnosis::DiagnoseTrace(t).verdict(), v1::VERDICT_HEALTHY);
  const v1::TraceResult v6 = Parse("mtr095_healthy_v6.json");
  EXPECT_EQ(v6.target_address(), "2001:db8:5::10");
  EXPECT_TRUE(v6.reached());
  EXPECT_EQ(diagnosis::DiagnoseTrace(v6).verdict(), v1::VERDICT_HEALTHY);
}

TEST(MtrJson095Test, SlowDestination) {
  // A capture taken before IPv6 neighbour discovery had settled: the destination's replies
  // waited 0.5-1 s while the routers answered in 0.06 ms. A step that lasts to the end.
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(Parse("mtr095_slow_destination_v6.json"));
  EXPECT_THAT(Ttls(d, v1::LATENCY_INCREASE), ElementsAre(3));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(MtrJson095Test, DestinationBlockingIcmp) {
  const v1::TraceResult t = Parse("mtr095_dest_blocked_v4.json");
  EXPECT_FALSE(t.reached());
  ASSERT_EQ(t.hops_size(), 3);
  EXPECT_EQ(t.hops(2).responders_size(), 0);  // "???"
  EXPECT_EQ(t.hops(2).received(), 0);
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(t);
  EXPECT_THAT(Ttls(d, v1::DEST_ICMP_BLOCKED), ElementsAre(3));
  EXPECT_THAT(Ttls(d, v1::PACKET_LOSS), ElementsAre());  // 1 in 5 at hops 1-2: rate limiting
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(MtrJson095Test, LinkInterrupted) {
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(Parse("mtr095_interrupted_v4.json"));
  EXPECT_THAT(Ttls(d, v1::LINK_INTERRUPTION), ElementsAre(1));
  EXPECT_THAT(Ttls(d, v1::PACKET_LOSS), ElementsAre());
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(MtrJson095Test, ForwardingLoss) {
  // r1 drops 20% of what it forwards, both ways (~36% round trip), and Linux rate-limits the
  // Time Exceeded messages of both routers (87.5%).
  const v1::TraceResult t = Parse("mtr095_forward_loss_v4.json");
  EXPECT_EQ(t.hops(0).sent(), 40);
  EXPECT_EQ(t.hops(0).received(), 5);
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(t);
  EXPECT_THAT(Ttls(d, v1::PACKET_LOSS), ElementsAre(1));
  EXPECT_NEAR(d.effective_loss_pct(), 35, 1e-9);  // the destination's, not 87.5
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(MtrJson095Test, RateLimitedRouter) {
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(Parse("mtr095_rate_limited_v4.json"));
  EXPECT_THAT(Ttls(d, v1::UNRESPONSIVE_HOP), ElementsAre(1));
  EXPECT_THAT(Ttls(d, v1::ICMP_RATE_LIMITED_HOP), ElementsAre(2));
  EXPECT_THAT(Ttls(d, v1::PACKET_LOSS), ElementsAre());
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(MtrJson092Test, StringsAndTwoDecimals) {
  const v1::TraceResult t = Parse("mtr092_healthy.json");
  EXPECT_EQ(t.options().count(), 10);
  EXPECT_EQ(t.options().tos(), 0);
  ASSERT_EQ(t.hops_size(), 3);
  EXPECT_EQ(t.hops(1).ttl(), 2);
  EXPECT_DOUBLE_EQ(t.hops(1).rtt().avg_ms(), 0.08);
  EXPECT_TRUE(t.reached());
  EXPECT_EQ(diagnosis::DiagnoseTrace(t).verdict(), v1::VERDICT_HEALTHY);
}

TEST(MtrJson092Test, EmptyHubsInvalidJsonIsRepaired) {
  const v1::TraceResult t = Parse("mtr092_empty_hubs.json");
  EXPECT_EQ(t.hops_size(), 0);
  EXPECT_FALSE(t.reached());
  EXPECT_EQ(t.options().target(), "203.0.113.10");
}

TEST(MtrJson092Test, NamesAsnAndAllFields) {
  const v1::TraceResult t = Parse("mtr092_names_asn_fields.json");
  ASSERT_EQ(t.hops_size(), 5);
  EXPECT_EQ(t.target_address(), "");  // dst is a name
  EXPECT_EQ(t.hops(0).responders(0).hostname(), "gw.client.example");
  EXPECT_EQ(t.hops(0).responders(0).address(), "192.168.1.1");
  EXPECT_EQ(t.hops(2).responders_size(), 0);
  EXPECT_EQ(t.hops(3).responders(0).hostname(), "transit.example");
  EXPECT_EQ(t.hops(3).responders(0).address(), "");
  EXPECT_EQ(t.hops(3).received(), 14);  // from Rcv
  EXPECT_DOUBLE_EQ(t.hops(3).rtt().jitter_max_ms(), 1.2);
  EXPECT_TRUE(t.reached());
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(t);
  EXPECT_THAT(Ttls(d, v1::PACKET_LOSS), ElementsAre(4));
  EXPECT_THAT(Ttls(d, v1::UNRESPONSIVE_HOP), ElementsAre(3));
}

TEST(MtrJson092Test, AsNumbersFromDashZ) {
  auto numbers = ParseMtrJsonAsNumbers(TestData("mtr092_names_asn_fields.json"));
  ASSERT_TRUE(numbers.ok()) << numbers.status();
  // "AS???" and hosts known only by name are left out.
  EXPECT_THAT(*numbers, ::testing::ElementsAre(::testing::Pair("198.51.100.2", 64500u),
                                               ::testing::Pair("203.0.113.10", 64510u)));
  EXPECT_TRUE(ParseMtrJsonAsNumbers(TestData("mtr095_healthy_v4.json"))->empty());
  EXPECT_FALSE(ParseMtrJsonAsNumbers("nonsense").ok());
}

TEST(MtrJson092Test, NotReached) {
  const v1::TraceResult t = Parse("mtr092_interrupted.json");
  EXPECT_FALSE(t.reached());
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(t);
  EXPECT_THAT(Ttls(d, v1::LINK_INTERRUPTION), ElementsAre(2));
  EXPECT_EQ(d.verdict(), v1::VERDICT_BROKEN);
}

TEST(MtrJsonTest, LossDerivedWhenOnlyLossPercentIsGiven) {
  auto t = ParseMtrJson(R"({"report":{"mtr":{"dst":"203.0.113.10"},"hubs":[
      {"count":1,"host":"198.51.100.2","Loss%":33.33333,"Snt":3,"Avg":1.0},
      {"count":2,"host":"203.0.113.10","Loss%":0.0,"Snt":3,"Avg":2.0}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->hops(0).received(), 2);
  EXPECT_EQ(t->hops(1).termination(), v1::HOP_TERMINATION_DESTINATION);
}

TEST(MtrJsonTest, PathpairsInterruptedTraceIsReadBackAsIncomplete) {
  // `pathpair trace -j` stopped by Ctrl-C (issue 15): the hubs cover 9 of 12 rounds started.
  auto t = ParseMtrJson(R"({"report":{"mtr":{"dst":"203.0.113.10","tests":50,
      "interrupted":true,"incomplete":true,"rounds":9,"rounds_started":12},"hubs":[
      {"count":1,"host":"198.51.100.2","Loss%":0.0,"Snt":10,"Avg":1.0},
      {"count":2,"host":"203.0.113.10","Loss%":30.0,"Snt":10,"Avg":2.0}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->interrupted());
  EXPECT_TRUE(t->incomplete());
  EXPECT_EQ(t->rounds(), 9);
  EXPECT_EQ(t->rounds_started(), 12);
  // A paired run's trace whose agent was lost: incomplete, not interrupted.
  t = ParseMtrJson(R"({"report":{"mtr":{"dst":"203.0.113.10","interrupted":false,
      "incomplete":true,"rounds":4},"hubs":[{"count":1,"host":"203.0.113.10","Snt":5}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->interrupted());
  EXPECT_TRUE(t->incomplete());
  EXPECT_EQ(t->rounds(), 4);
  // mtr's own JSON has neither key; "true" as a string is not a flag.
  t = ParseMtrJson(R"({"report":{"mtr":{"dst":"203.0.113.10","interrupted":"true"},"hubs":[
      {"count":1,"host":"203.0.113.10","Snt":5}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(t->interrupted());
  EXPECT_FALSE(t->incomplete());
  EXPECT_EQ(t->rounds(), 5);
}

TEST(MtrJsonTest, RejectsMalformedInput) {
  for (const char* bad : {
           "",
           "not json",
           "[]",
           "{}",
           R"({"report":{}})",
           R"({"report":{"hubs":{}}})",
           R"({"report":{"hubs":[42]}})",
           R"({"report":{"hubs":[{"count":0,"host":"x"}]}})",
           R"({"report":{"hubs":[{"count":300,"host":"x"}]}})",
           R"({"report":{"hubs":[{"count":2,"host":"a"},{"count":1,"host":"b"}]}})",
           R"({"report":{"hubs":[{"count":1,"host":"a"},{"count":1,"host":"b"}]}})",
       }) {
    EXPECT_FALSE(ParseMtrJson(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseMtrJson(std::string(kMaxMtrJsonBytes + 1, ' ')).ok());
}

TEST(MtrJsonTest, OddValuesAreClampedNotTrusted) {
  auto t = ParseMtrJson(R"({"report":{"mtr":{"tests":"lots","tos":"0xZZ"},"hubs":[
      {"count":"1","host":"198.51.100.2","Snt":-5,"Rcv":9,"Avg":"fast","Best":-1,"Wrst":1e300},
      {"host":"198.51.100.3","Snt":4,"Drop":9},
      {"count":3.7,"host":{"x":1},"Snt":true}]}})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->hops(0).sent(), 0);
  EXPECT_EQ(t->hops(0).received(), 0);
  EXPECT_EQ(t->hops(1).ttl(), 2);  // count missing: position
  EXPECT_EQ(t->hops(1).received(), 0);
  EXPECT_EQ(t->hops(2).ttl(), 4);
  EXPECT_EQ(t->hops(2).sent(), 0);
  diagnosis::DiagnoseTrace(*t);  // and the diagnosis copes
}

TEST(MtrJsonTest, LooksLike) {
  EXPECT_TRUE(LooksLikeMtrJson(TestData("mtr095_healthy_v4.json")));
  EXPECT_FALSE(LooksLikeMtrJson(R"({"trace":{}})"));
}

// Runs only when PATHPAIR_MTR_SAMPLES_DIR names a directory of fresh captures (the `root`
// ctest mtrjson_live_capture sets it after running capture_mtr_samples.sh).
TEST(MtrJsonLiveTest, FreshCapturesParseAndDiagnose) {
  const char* dir = std::getenv("PATHPAIR_MTR_SAMPLES_DIR");
  if (dir == nullptr) GTEST_SKIP() << "PATHPAIR_MTR_SAMPLES_DIR not set";
  auto load = [&](const std::string& name) {
    auto t = ParseMtrJson(Slurp(std::string(dir) + "/" + name));
    EXPECT_TRUE(t.ok()) << name << ": " << t.status();
    return t.ok() ? diagnosis::DiagnoseTrace(*t) : v1::Diagnosis();
  };
  EXPECT_EQ(load("healthy_v4.json").verdict(), v1::VERDICT_HEALTHY);
  EXPECT_EQ(load("healthy_v6.json").verdict(), v1::VERDICT_HEALTHY);
  EXPECT_THAT(Ttls(load("dest_blocked_v4.json"), v1::DEST_ICMP_BLOCKED), ElementsAre(3));
  EXPECT_THAT(Ttls(load("interrupted_v4.json"), v1::LINK_INTERRUPTION), ElementsAre(1));
  // Random drops at r1: real loss, whatever its exact level.
  EXPECT_NE(load("forward_loss_v4.json").verdict(), v1::VERDICT_HEALTHY);
  EXPECT_THAT(Ttls(load("rate_limited_v4.json"), v1::PACKET_LOSS), ElementsAre());
}

}  // namespace
}  // namespace pathpair::mtrjson

// Real mtr 0.95 reports (`mtr -j -n -c 40 -i 0.1 -G 1`, `-u` for ecmp) captured in every
// netsim scenario (tests/scenarios/*.textproto, run with pathpair-netsim), diagnosed: each gives
// its scenario's expected findings, except what a single mtr JSON report cannot show (noted).
// These are the files `pathpair diagnose` must give the same verdicts for as `pathpair trace`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "controller/diagnosis/diagnose.h"
#include "controller/mtrjson/mtr_json.h"

namespace pathpair::mtrjson {
namespace {

struct Case {
  const char* scenario;
  v1::Verdict verdict;
  std::vector<std::string> expected;  // "CODE@ttl" (ttl 0: whole path)
  std::vector<std::string> absent;    // codes that must not appear
  const char* note;
};

std::string Key(const v1::Finding& f) {
  return v1::FindingCode_Name(f.code()) + "@" + std::to_string(f.has_ttl() ? f.ttl() : 0);
}

class NetsimCaptureTest : public ::testing::TestWithParam<Case> {};

TEST_P(NetsimCaptureTest, DiagnosisMatchesTheScenario) {
  const Case& c = GetParam();
  std::ifstream file(std::string(PATHPAIR_MTRJSON_TESTDATA) + "/netsim/" + c.scenario + ".json");
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<v1::TraceResult> trace = ParseMtrJson(text.str());
  ASSERT_TRUE(trace.ok()) << trace.status();
  const v1::Diagnosis d = diagnosis::DiagnoseTrace(*trace);
  std::vector<std::string> keys;
  std::vector<std::string> codes;
  for (const v1::Finding& f : d.findings()) {
    keys.push_back(Key(f));
    codes.push_back(v1::FindingCode_Name(f.code()));
  }
  EXPECT_EQ(d.verdict(), c.verdict) << c.note;
  for (const std::string& key : c.expected) {
    EXPECT_THAT(keys, ::testing::Contains(key)) << c.note;
  }
  for (const std::string& code : c.absent) {
    EXPECT_THAT(codes, ::testing::Not(::testing::Contains(code))) << c.note;
  }
}

constexpr v1::Verdict kHealthy = v1::VERDICT_HEALTHY;
constexpr v1::Verdict kDegraded = v1::VERDICT_DEGRADED;
constexpr v1::Verdict kBroken = v1::VERDICT_BROKEN;

INSTANTIATE_TEST_SUITE_P(
    Scenarios, NetsimCaptureTest,
    ::testing::Values(
        Case{"healthy", kHealthy, {"HEALTHY@0"}, {}, ""},
        Case{"mpls", kHealthy, {"HEALTHY@0"}, {}, ""},
        Case{"guide_sample",
             kHealthy,
             {"ICMP_RATE_LIMITED_HOP@2", "ICMP_RATE_LIMITED_HOP@6", "ICMP_RATE_LIMITED_HOP@7",
              "ICMP_RATE_LIMITED_HOP@8", "ICMP_RATE_LIMITED_HOP@9", "TRANSIENT_SPIKE@4",
              "HEALTHY@0"},
             {"PACKET_LOSS"},
             ""},
        Case{"icmp_rate_limited_hop", kHealthy, {"ICMP_RATE_LIMITED_HOP@2"}, {"PACKET_LOSS"}, ""},
        Case{"default",
             kHealthy,
             {"ICMP_RATE_LIMITED_HOP@8", "LONG_DISTANCE_LINK@9", "HEALTHY@0"},
             {"PACKET_LOSS", "LATENCY_INCREASE"},
             "the 76 ms long-haul step at hop 9 is steady: propagation, not a fault"},
        Case{"loss_and_rate_limit",
             kDegraded,
             {"ICMP_RATE_LIMITED_HOP@2", "PACKET_LOSS@6", "ICMP_RATE_LIMITED_HOP@8"},
             {},
             ""},
        Case{"forwarding_loss", kDegraded, {"PACKET_LOSS@4"}, {}, ""},
        Case{"forward_loss",
             kDegraded,
             {"PACKET_LOSS@4"},
             {},
             "LOSS_FORWARD_DIRECTION needs one-way results"},
        Case{"reverse_loss",
             kDegraded,
             {"PACKET_LOSS@4"},
             {},
             "LOSS_REVERSE_DIRECTION needs one-way results"},
        Case{"dest_icmp_blocked",
             kBroken,
             {"DEST_ICMP_BLOCKED@6"},
             {},
             "an mtr report carries no destination check: the host may as well be cut off "
             "(pathpair trace checks it with TCP/UDP and finds it up: healthy)"},
        Case{"dest_rate_limited", kDegraded, {"DEST_ICMP_RATE_LIMITED@6"}, {"PACKET_LOSS"}, ""},
        Case{"high_jitter", kDegraded, {"HIGH_JITTER@4"}, {}, ""},
        Case{"transient_spike", kHealthy, {"TRANSIENT_SPIKE@4"}, {"HIGH_JITTER"}, ""},
        Case{"icmp_slow_path", kHealthy, {"ICMP_SLOW_PATH_LATENCY@3"}, {"LATENCY_INCREASE"}, ""},
        Case{"latency_increase",
             kDegraded,
             {"LATENCY_INCREASE@4"},
             {"LONG_DISTANCE_LINK"},
             "queueing: Best stays ~20 ms below Avg"},
        Case{"return_latency",
             kHealthy,
             {"LONG_DISTANCE_LINK@4"},
             {"LATENCY_INCREASE"},
             "a steady 29 ms detour on the way back looks like a long link from round trips "
             "alone; LATENCY_ON_RETURN_PATH needs one-way results"},
        Case{"unresponsive_hop", kHealthy, {"UNRESPONSIVE_HOP@3"}, {}, ""},
        Case{"routing_loop", kBroken, {"ROUTING_LOOP@5"}, {"LINK_INTERRUPTION"}, ""},
        Case{"link_interruption_midway", kBroken, {"LINK_INTERRUPTION@4"}, {"PACKET_LOSS"}, ""},
        Case{"link_interruption",
             kBroken,
             {},
             {},
             "KNOWN LIMITATION: in ICMP mode this looks exactly like dest_icmp_blocked (the last "
             "answering router shares the server's /24), so without a destination check the "
             "finding is DEST_ICMP_BLOCKED@5; the verdict is the same"},
        Case{"asymmetric", kHealthy, {"HEALTHY@0"}, {}, "ASYMMETRIC_PATH needs the reverse trace"},
        Case{"ecmp", kHealthy, {}, {}, "mtr's JSON lists one host per hop: no LOAD_BALANCED_HOP"},
        Case{"ecmp_per_packet",
             kHealthy,
             {},
             {},
             "mtr's JSON lists one host per hop: no LOAD_BALANCED_HOP"}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.scenario); });

}  // namespace
}  // namespace pathpair::mtrjson

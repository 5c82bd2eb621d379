// The paired diagnosis adapter against the real diagnosis module. Links no agent code.
#include "controller/paired/paired_diagnosis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/controller/paired/run_builders.h"

namespace pathpair::paired {
namespace {

// A trace to `target` through `hops`; hops from `loss_from` (1-based) on lose `lost` of 10.
v1::TraceResult Trace(const std::string& target, const std::vector<std::string>& hops,
                      int loss_from, int lost) {
  v1::TraceResult r;
  r.mutable_options()->set_target(target);
  r.mutable_options()->set_count(10);
  r.set_target_address(target);
  r.set_reached(true);
  r.set_rounds(10);
  r.set_final(true);
  std::vector<std::string> all = hops;
  all.push_back(target);
  for (size_t i = 0; i < all.size(); ++i) {
    const int ttl = static_cast<int>(i) + 1;
    const int received = (loss_from > 0 && ttl >= loss_from) ? 10 - lost : 10;
    v1::HopResult* hop = r.add_hops();
    hop->set_ttl(ttl);
    hop->set_sent(10);
    hop->set_received(received);
    v1::Responder* responder = hop->add_responders();
    responder->set_address(all[i]);
    responder->set_received(received);
    v1::RttStats* rtt = hop->mutable_rtt();
    rtt->set_count(received);
    rtt->set_best_ms(2.0 * ttl);
    rtt->set_avg_ms(2.0 * ttl + 0.1);
    rtt->set_worst_ms(2.0 * ttl + 0.3);
    rtt->set_last_ms(2.0 * ttl);
    rtt->set_stdev_ms(0.1);
  }
  return r;
}

const std::vector<std::string> kForwardHops = {"198.51.100.1", "198.51.100.2", "198.51.100.3",
                                               "203.0.113.4",  "203.0.113.5",  "203.0.113.6"};
const std::vector<std::string> kReverseHops = {"203.0.113.6",  "203.0.113.5",  "203.0.113.4",
                                               "198.51.100.3", "198.51.100.2", "198.51.100.1"};

v1::PairedRun ReverseLossRun() {
  v1::PairedRun run;
  run.set_forward_target("203.0.113.200");
  run.set_reverse_target("198.51.100.200");
  // ICMP replies of the client's probes come back over the lossy reverse link: loss from hop 4.
  *run.mutable_client()->mutable_trace() = Trace("203.0.113.200", kForwardHops, 4, 3);
  *run.mutable_server()->mutable_trace() = Trace("198.51.100.200", kReverseHops, 4, 3);
  *run.mutable_oneway_forward() = OneWay(300, 299, 0.33);
  *run.mutable_oneway_reverse() = OneWay(300, 225, 25);
  return run;
}

bool HasCode(const nlohmann::ordered_json& findings, const std::string& code) {
  for (const auto& f : findings) {
    if (f.value("code", std::string()) == code) return true;
  }
  return false;
}

TEST(PairedDiagnosisTest, ReverseOneWayLossIsLossReverseDirection) {
  const DiagnosisOutput d = DiagnosePairedRun(ReverseLossRun(), nullptr);
  ASSERT_TRUE(d.available);
  ASSERT_TRUE(d.json.paired.is_array());
  EXPECT_TRUE(HasCode(d.json.paired, "LOSS_REVERSE_DIRECTION")) << d.json.paired.dump(2);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION"));
  EXPECT_FALSE(HasCode(d.json.paired, "ASYMMETRIC_PATH"));
  for (const auto& f : d.json.paired) {
    if (f["code"] == "LOSS_REVERSE_DIRECTION") {
      EXPECT_EQ(f["direction"], "reverse");
      EXPECT_EQ(f["hop"], 4);  // where the loss starts in the reverse trace
    }
  }
  // Each trace carries its own diagnosis members.
  EXPECT_TRUE(d.json.forward.contains("diagnosis"));
  EXPECT_TRUE(d.json.forward.contains("verdict"));
  EXPECT_TRUE(d.json.reverse.contains("diagnosis"));
  EXPECT_FALSE(d.text.empty());
  // The run's one verdict: the reverse direction loses 25% (a problem).
  EXPECT_EQ(d.verdict, v1::VERDICT_DEGRADED);
  EXPECT_EQ(d.json.verdict, "degraded");
}

TEST(PairedDiagnosisTest, DifferentRoutersBackIsAsymmetric) {
  v1::PairedRun run = ReverseLossRun();
  *run.mutable_server()->mutable_trace() = Trace(
      "198.51.100.200", {"203.0.113.66", "203.0.113.65", "198.51.100.77", "198.51.100.78"}, 0, 0);
  *run.mutable_oneway_reverse() = run.oneway_forward();
  const DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
  EXPECT_TRUE(HasCode(d.json.paired, "ASYMMETRIC_PATH")) << d.json.paired.dump(2);
}

TEST(PairedDiagnosisTest, TheRunsAliasesReachTheAsymmetryRule) {
  // tests/topo's three-router chain whose way back goes r3 -> d1 -> r1: the addresses alone fit
  // one router per TTL; the client's alias probe finds d1's 198.51.100.21 four hops away.
  v1::PairedRun run = ReverseLossRun();
  *run.mutable_client()->mutable_trace() =
      Trace("198.51.100.14", {"198.51.100.2", "198.51.100.6", "198.51.100.22"}, 0, 0);
  *run.mutable_server()->mutable_trace() =
      Trace("198.51.100.1", {"198.51.100.13", "198.51.100.21", "198.51.100.5"}, 0, 0);
  *run.mutable_oneway_reverse() = run.oneway_forward();
  EXPECT_FALSE(HasCode(DiagnosePairedRun(run, nullptr).json.paired, "ASYMMETRIC_PATH"));
  v1::AliasResolution* d1 = run.mutable_client_aliases()->add_resolutions();
  d1->set_address("198.51.100.21");
  d1->set_reply_source("198.51.100.21");
  d1->set_method(v1::ALIAS_METHOD_ICMP_ECHO);
  d1->set_distance(4);
  const DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
  EXPECT_TRUE(HasCode(d.json.paired, "ASYMMETRIC_PATH")) << d.json.paired.dump(2);
}

TEST(PairedDiagnosisTest, MissingReverseStillDiagnosesForward) {
  v1::PairedRun run = ReverseLossRun();
  run.mutable_server()->clear_trace();
  run.clear_oneway_forward();
  run.clear_oneway_reverse();
  const DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
  EXPECT_TRUE(d.json.forward.is_object());
  EXPECT_TRUE(d.json.reverse.is_null());
  EXPECT_FALSE(d.json.paired.empty());
}

TEST(PairedDiagnosisTest, DestinationThatOnlyDropsIcmpIsHealthyWhenItGetsTheOneWayPackets) {
  // The server host never answers the forward ICMP trace (hops 1-6 answer, then silence)...
  v1::PairedRun run = ReverseLossRun();
  v1::TraceResult forward = Trace("203.0.113.200", kForwardHops, 0, 0);
  forward.set_reached(false);
  v1::HopResult* silent = forward.mutable_hops(static_cast<int>(kForwardHops.size()));
  silent->set_received(0);
  silent->clear_responders();
  silent->clear_rtt();
  *run.mutable_client()->mutable_trace() = forward;
  *run.mutable_server()->mutable_trace() = Trace("198.51.100.200", kReverseHops, 0, 0);
  *run.mutable_oneway_reverse() = run.oneway_forward();
  // ...but its agent received the one-way packets sent to that very address: the host is up.
  DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
  EXPECT_EQ(d.verdict, v1::VERDICT_HEALTHY) << d.json.paired.dump(2);
  EXPECT_TRUE(HasCode(d.json.paired, "DEST_ICMP_BLOCKED"));
  EXPECT_EQ(d.json.forward["verdict"], "healthy");
  // Nothing arrived either: the host may as well be cut off.
  run.mutable_oneway_forward()->mutable_stats()->set_received(0);
  d = DiagnosePairedRun(run, nullptr);
  EXPECT_EQ(d.verdict, v1::VERDICT_BROKEN);
  EXPECT_EQ(d.json.verdict, "broken");
}

// Issue 15: the server agent is killed mid-test. Its reverse trace ends with a snapshot whose
// later hops look clean; neither one-way direction was measured to the end.
v1::PairedRun ServerKilledRun(bool reverse_incomplete) {
  v1::PairedRun run;
  run.set_forward_target("203.0.113.200");
  run.set_reverse_target("198.51.100.200");
  *run.mutable_client()->mutable_trace() = Trace("203.0.113.200", kForwardHops, 4, 3);
  // The cut reverse trace: loss only at its destination (the client), hops clean.
  v1::TraceResult reverse = Trace("198.51.100.200", kReverseHops, 7, 3);
  reverse.set_incomplete(reverse_incomplete);
  *run.mutable_server()->mutable_trace() = reverse;
  return run;
}

TEST(PairedDiagnosisTest, CutShortReverseTraceNamesNoLossDirection) {
  // Complete, the pattern puts the loss on the way out (the reverse trace loses only its
  // destination's replies, which travel that way)...
  DiagnosisOutput d = DiagnosePairedRun(ServerKilledRun(false), nullptr);
  EXPECT_TRUE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION")) << d.json.paired.dump(2);
  // ...cut short, its clean hops prove nothing: no direction is named, and the diagnosis says
  // it is incomplete.
  d = DiagnosePairedRun(ServerKilledRun(true), nullptr);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION")) << d.json.paired.dump(2);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_REVERSE_DIRECTION"));
  EXPECT_FALSE(HasCode(d.json.paired, "HEALTHY"));
  EXPECT_NE(d.verdict, v1::VERDICT_HEALTHY);
  EXPECT_THAT(d.text, ::testing::HasSubstr("INCOMPLETE"));
}

TEST(PairedDiagnosisTest, CutShortOneWayDirectionIsNotCleanNorEvidence) {
  // The way back measured clean to the end, the way out lossy but cut short: before issue 15
  // this named LOSS_FORWARD_DIRECTION from the cut direction.
  v1::PairedRun run = ReverseLossRun();
  *run.mutable_oneway_forward() = OneWay(300, 200, 33.3);
  *run.mutable_oneway_reverse() = OneWay(300, 300, 0);
  DiagnosisOutput d = DiagnosePairedRun(run, nullptr);
  EXPECT_TRUE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION")) << d.json.paired.dump(2);
  run.mutable_oneway_forward()->set_incomplete(true);
  run.mutable_oneway_forward()->set_error("cut short: the server side failed");
  d = DiagnosePairedRun(run, nullptr);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION")) << d.json.paired.dump(2);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_BOTH_DIRECTIONS"));
  EXPECT_THAT(d.text, ::testing::HasSubstr("one-way client -> server cut short"));
  // A complete lossy direction is still named when the other one is cut short; the cut one is
  // not taken for clean: never "both", never the cut one.
  *run.mutable_oneway_forward() = OneWay(300, 200, 33.3);
  *run.mutable_oneway_reverse() = OneWay(300, 200, 33.3);
  run.mutable_oneway_reverse()->set_incomplete(true);
  d = DiagnosePairedRun(run, nullptr);
  EXPECT_TRUE(HasCode(d.json.paired, "LOSS_FORWARD_DIRECTION")) << d.json.paired.dump(2);
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_REVERSE_DIRECTION"));
  EXPECT_FALSE(HasCode(d.json.paired, "LOSS_BOTH_DIRECTIONS"));
}

TEST(PairedDiagnosisTest, SingleTrace) {
  const DiagnosisOutput d = DiagnoseOneTrace(Trace("203.0.113.200", kForwardHops, 0, 0), nullptr);
  ASSERT_TRUE(d.available);
  EXPECT_TRUE(HasCode(d.json.paired, "HEALTHY")) << d.json.paired.dump(2);
}

}  // namespace
}  // namespace pathpair::paired

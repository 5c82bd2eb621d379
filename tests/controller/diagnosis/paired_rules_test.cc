// Paired runs: loss direction from one-way results, return-path latency, asymmetric paths.
#include "controller/diagnosis/paired_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/diagnosis/diagnose.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::ElementsAre;
using testing::Has;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TraceBuilder;
using testing::TtlsOf;
using testing::WithCode;

// client 198.51.100.10 -> r1 192.168.1.1 -> r2 198.51.100.1 -> r3 198.51.100.65 -> server.
// lossy_from: TTL from which every hop loses (0 = clean); dest_avg: latency at the server.
v1::TraceResult Forward(int lossy_from = 0, double step_ms = 0) {
  const char* routers[] = {"192.168.1.1", "198.51.100.1", "198.51.100.65"};
  TraceBuilder b("203.0.113.10");
  for (int ttl = 1; ttl <= 3; ++ttl) {
    b.Hop(routers[ttl - 1], 30, lossy_from > 0 && ttl >= lossy_from ? 21 : 30,
          ttl + (ttl >= 3 ? step_ms : 0));
  }
  return b.Hop("203.0.113.10", 30, lossy_from > 0 ? 21 : 30, 4 + step_ms).Reached().Build();
}

// The mirrored path, traced from the server back to the client.
v1::TraceResult Reverse(int lossy_from = 0, const char* middle = "198.51.100.1") {
  const char* routers[] = {"198.51.100.65", middle, "192.168.1.1"};
  TraceBuilder b("198.51.100.10");
  for (int ttl = 1; ttl <= 3; ++ttl) {
    b.Hop(routers[ttl - 1], 30, lossy_from > 0 && ttl >= lossy_from ? 21 : 30, ttl);
  }
  return b.Hop("198.51.100.10", 30, lossy_from > 0 ? 21 : 30, 4).Reached().Build();
}

v1::OneWayResult OneWay(int sent, int received, double min_ms = 2, double avg_ms = 2.5) {
  v1::OneWayResult r;
  r.set_sent(sent);
  r.set_received(received);
  r.set_loss_pct(100.0 * (sent - received) / sent);
  r.set_delay_min_ms(min_ms);
  r.set_delay_avg_ms(avg_ms);
  r.set_delay_max_ms(avg_ms * 2);
  r.set_offset_error_ms(0.5);
  return r;
}

TEST(LossDirectionTest, ForwardLossNamesTheForwardHop) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(/*lossy_from=*/2);
  *input.mutable_reverse() = Reverse(/*lossy_from=*/2);  // round trips see it in both traces
  *input.mutable_forward_oneway() = OneWay(100, 70);
  *input.mutable_reverse_oneway() = OneWay(100, 100);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LOSS_FORWARD_DIRECTION), ElementsAre(2));
  const v1::Finding f = WithCode(d, v1::LOSS_FORWARD_DIRECTION)[0];
  EXPECT_EQ(f.direction(), v1::TRACE_DIRECTION_FORWARD);
  EXPECT_EQ(f.address(), "198.51.100.1");
  EXPECT_EQ(f.area(), v1::NETWORK_AREA_CLIENT_ISP);
  EXPECT_FALSE(Has(d, v1::LOSS_REVERSE_DIRECTION));
  EXPECT_FALSE(Has(d, v1::LOSS_BOTH_DIRECTIONS));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LossDirectionTest, ReverseLossNamesTheReverseHop) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(2);
  *input.mutable_reverse() = Reverse(3);
  *input.mutable_forward_oneway() = OneWay(100, 100);
  *input.mutable_reverse_oneway() = OneWay(100, 60);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LOSS_REVERSE_DIRECTION), ElementsAre(3));
  const v1::Finding f = WithCode(d, v1::LOSS_REVERSE_DIRECTION)[0];
  EXPECT_EQ(f.direction(), v1::TRACE_DIRECTION_REVERSE);
  EXPECT_EQ(f.address(), "192.168.1.1");
  EXPECT_THAT(f.summary(), HasSubstr("reverse trace"));
  // The forward trace's own loss is the replies crossing the lossy way back: info, not a
  // second problem pointing at another owner.
  const std::vector<v1::Finding> forward_loss = WithCode(d, v1::PACKET_LOSS);
  ASSERT_FALSE(forward_loss.empty());
  for (const v1::Finding& loss : forward_loss) {
    if (loss.direction() != v1::TRACE_DIRECTION_FORWARD) continue;
    EXPECT_EQ(loss.severity(), v1::SEVERITY_INFO);
    EXPECT_THAT(loss.action(), HasSubstr("LOSS_REVERSE_DIRECTION"));
  }
}

TEST(LossDirectionTest, BothDirectionsAndNoiseLevel) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(2);
  *input.mutable_forward_oneway() = OneWay(100, 80);
  *input.mutable_reverse_oneway() = OneWay(100, 85);
  EXPECT_THAT(TtlsOf(Diagnose(input), v1::LOSS_BOTH_DIRECTIONS), ElementsAre(2));
  // 4 in 100 is not significant: no direction finding.
  *input.mutable_forward_oneway() = OneWay(100, 96);
  *input.mutable_reverse_oneway() = OneWay(100, 100);
  const v1::Diagnosis quiet = Diagnose(input);
  EXPECT_FALSE(Has(quiet, v1::LOSS_FORWARD_DIRECTION));
  EXPECT_FALSE(Has(quiet, v1::LOSS_BOTH_DIRECTIONS));
}

TEST(LossDirectionTest, NothingWithoutOneWayResults) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(2);
  *input.mutable_reverse() = Reverse(2);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::LOSS_FORWARD_DIRECTION));
  EXPECT_FALSE(Has(d, v1::LOSS_REVERSE_DIRECTION));
  // The reverse trace's own findings are reported, marked as such.
  bool reverse_packet_loss = false;
  for (const v1::Finding& f : WithCode(d, v1::PACKET_LOSS)) {
    reverse_packet_loss |= f.direction() == v1::TRACE_DIRECTION_REVERSE && f.ttl() == 2;
  }
  EXPECT_TRUE(reverse_packet_loss);
}

TEST(LossDirectionTest, TracesAloneDecideTheUnambiguousPattern) {
  // netsim's forward_loss: the client's trace loses from hop 2 on; the server's trace loses
  // only at its destination (the client), whose echo replies cross the lossy forward link.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(/*lossy_from=*/2);
  v1::TraceResult reverse = Reverse();
  reverse.mutable_hops(3)->set_received(21);  // the client: 30% of its replies lost
  *input.mutable_reverse() = reverse;
  v1::Diagnosis d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LOSS_FORWARD_DIRECTION), ElementsAre(2));
  EXPECT_EQ(WithCode(d, v1::LOSS_FORWARD_DIRECTION)[0].confidence(), kTraceDirectionConfidence);
  // Mirror image: the reverse direction.
  *input.mutable_forward() = Forward();
  input.mutable_forward()->mutable_hops(3)->set_received(21);
  *input.mutable_reverse() = Reverse(/*lossy_from=*/3);
  d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LOSS_REVERSE_DIRECTION), ElementsAre(3));
  EXPECT_EQ(WithCode(d, v1::LOSS_REVERSE_DIRECTION)[0].direction(), v1::TRACE_DIRECTION_REVERSE);
}

TEST(ReturnPathLatencyTest, OneWayDelaysPutTheStepOnTheWayBack) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, /*step_ms=*/60);
  *input.mutable_reverse() = Reverse();
  *input.mutable_forward_oneway() = OneWay(100, 100, 2, 2.5);
  *input.mutable_reverse_oneway() = OneWay(100, 100, 61, 62);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_INCREASE), ElementsAre(3));
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_ON_RETURN_PATH), ElementsAre(3));
  const v1::Finding increase = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(FindEvidence(increase, "direction")->text(), "return");
}

TEST(ReturnPathLatencyTest, ForwardDelayIsMarkedForward) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  *input.mutable_forward_oneway() = OneWay(100, 100, 61, 62);
  *input.mutable_reverse_oneway() = OneWay(100, 100, 2, 2.5);
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH));
  EXPECT_EQ(FindEvidence(WithCode(d, v1::LATENCY_INCREASE)[0], "direction")->text(), "forward");
}

TEST(ReturnPathLatencyTest, SummariesSayWhatTheOneWayDelaysShow) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  // One trace alone: the summary can only point at the return path as a possibility.
  EXPECT_THAT(WithCode(Diagnose(input), v1::LATENCY_INCREASE)[0].summary(),
              HasSubstr("compare with a reverse trace"));
  // Alike both ways (a long link shows the same in each direction): no return-path effect.
  *input.mutable_forward_oneway() = OneWay(100, 100, 31, 31.5);
  *input.mutable_reverse_oneway() = OneWay(100, 100, 31, 31.6);
  std::string summary = WithCode(Diagnose(input), v1::LATENCY_INCREASE)[0].summary();
  EXPECT_THAT(summary, HasSubstr("alike both ways"));
  EXPECT_THAT(summary, Not(HasSubstr("compare with a reverse trace")));
  // Carried by the way out.
  *input.mutable_forward_oneway() = OneWay(100, 100, 61, 62);
  *input.mutable_reverse_oneway() = OneWay(100, 100, 2, 2.5);
  summary = WithCode(Diagnose(input), v1::LATENCY_INCREASE)[0].summary();
  EXPECT_THAT(summary, HasSubstr("on the way out"));
  EXPECT_THAT(summary, Not(HasSubstr("compare with a reverse trace")));
}

TEST(ReturnPathLatencyTest, UndecidedWithinTheClockError) {
  // The forward step is 61 ms (2 -> 63): the way back must carry at least half of it.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  v1::OneWayResult forward = OneWay(100, 100, 20, 20.5);
  v1::OneWayResult reverse = OneWay(100, 100, 45, 50.9);  // 30.4 ms apart
  forward.set_offset_error_ms(0);
  reverse.set_offset_error_ms(0);
  reverse.set_delay_min_ms(50.4);  // no queueing difference either
  *input.mutable_forward_oneway() = forward;
  *input.mutable_reverse_oneway() = reverse;
  EXPECT_FALSE(Has(Diagnose(input), v1::LATENCY_ON_RETURN_PATH));
  reverse.set_delay_avg_ms(51.0);  // 30.5 ms apart: half the step
  *input.mutable_reverse_oneway() = reverse;
  EXPECT_TRUE(Has(Diagnose(input), v1::LATENCY_ON_RETURN_PATH));
  // The same gap within the clock error decides nothing.
  reverse.set_offset_error_ms(1);
  *input.mutable_reverse_oneway() = reverse;
  EXPECT_FALSE(Has(Diagnose(input), v1::LATENCY_ON_RETURN_PATH));
}

TEST(AsymmetricPathTest, MirroredPathIsSymmetric) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward();
  *input.mutable_reverse() = Reverse();
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::ASYMMETRIC_PATH));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  EXPECT_EQ(TtlsOf(d, v1::HEALTHY).size(), 1u);
}

TEST(AsymmetricPathTest, DifferentRouterOnTheWayBack) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward();
  *input.mutable_reverse() = Reverse(0, "198.51.100.200");
  const v1::Diagnosis d = Diagnose(input);
  ASSERT_THAT(TtlsOf(d, v1::ASYMMETRIC_PATH), ElementsAre(0));
  const v1::Finding f = WithCode(d, v1::ASYMMETRIC_PATH)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
  EXPECT_THAT(FindEvidence(f, "forward_hops")->list().values(),
              ElementsAre("192.168.1.1", "198.51.100.1", "198.51.100.65"));
  EXPECT_THAT(FindEvidence(f, "reverse_hops")->list().values(),
              ElementsAre("198.51.100.65", "198.51.100.200", "192.168.1.1"));
  EXPECT_THAT(FindEvidence(f, "only_reverse")->list().values(), ElementsAre("198.51.100.200"));
}

TEST(AsymmetricPathTest, LoadBalancedMembersAreCounterparts) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = TraceBuilder("203.0.113.10")
                                 .Hop("192.168.1.1", 30, 30, 1)
                                 .Hop("198.51.100.31", 30, 30, 2)
                                 .AlsoAnswered("198.51.100.35")
                                 .Hop("203.0.113.10", 30, 30, 3)
                                 .Reached()
                                 .Build();
  *input.mutable_reverse() = TraceBuilder("198.51.100.10")
                                 .Hop("198.51.100.35", 30, 30, 1)
                                 .Hop("192.168.1.1", 30, 30, 2)
                                 .Hop("198.51.100.10", 30, 30, 3)
                                 .Reached()
                                 .Build();
  EXPECT_FALSE(Has(Diagnose(input), v1::ASYMMETRIC_PATH));
}

// tests/topo's chain of three stock Linux routers, one /30 per link (198.51.100.4i/30): each
// router answers from its interface toward the prober, so the two traces see every router under
// a different address. `detour`: the way back goes r3 -> d1 -> r1 instead of through r2.
v1::DiagnosisInput LinuxChain(bool detour) {
  v1::DiagnosisInput input;
  TraceBuilder forward("198.51.100.14");
  for (const char* hop :
       {"198.51.100.2", "198.51.100.6", detour ? "198.51.100.22" : "198.51.100.10"}) {
    forward.Hop(hop, 10, 10, 1);
  }
  *input.mutable_forward() = forward.Hop("198.51.100.14", 10, 10, 1).Reached().Build();
  TraceBuilder reverse("198.51.100.1");
  for (const char* hop :
       {"198.51.100.13", detour ? "198.51.100.21" : "198.51.100.9", "198.51.100.5"}) {
    reverse.Hop(hop, 10, 10, 1);
  }
  *input.mutable_reverse() = reverse.Hop("198.51.100.1", 10, 10, 1).Reached().Build();
  return input;
}

// Linux answers an alias probe from the probed address: only the distance is learned.
void AddLinuxAliases(v1::AliasResults& results,
                     const std::vector<std::pair<std::string, int>>& distances) {
  for (const auto& [address, distance] : distances) {
    v1::AliasResolution* r = results.add_resolutions();
    r->set_address(address);
    r->set_reply_source(address);
    r->set_method(v1::ALIAS_METHOD_ICMP_ECHO);
    r->set_distance(distance);
  }
}

TEST(AsymmetricPathTest, PerInterfaceAddressesOfASymmetricChainAreNoAsymmetry) {
  v1::DiagnosisInput input = LinuxChain(/*detour=*/false);
  EXPECT_FALSE(Has(Diagnose(input), v1::ASYMMETRIC_PATH));
  AddLinuxAliases(*input.mutable_client_aliases(),
                  {{"198.51.100.13", 3}, {"198.51.100.9", 2}, {"198.51.100.5", 1}});
  AddLinuxAliases(*input.mutable_server_aliases(),
                  {{"198.51.100.2", 3}, {"198.51.100.6", 2}, {"198.51.100.10", 1}});
  const v1::Diagnosis d = Diagnose(input);
  EXPECT_FALSE(Has(d, v1::ASYMMETRIC_PATH));
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
}

TEST(AsymmetricPathTest, DetourRouterOnTheWayBackIsNamed) {
  v1::DiagnosisInput input = LinuxChain(/*detour=*/true);
  AddLinuxAliases(*input.mutable_client_aliases(),
                  {{"198.51.100.13", 3}, {"198.51.100.21", 4}, {"198.51.100.5", 1}});
  AddLinuxAliases(*input.mutable_server_aliases(),
                  {{"198.51.100.2", 3}, {"198.51.100.6", 2}, {"198.51.100.22", 1}});
  const v1::Diagnosis d = Diagnose(input);
  ASSERT_THAT(TtlsOf(d, v1::ASYMMETRIC_PATH), ElementsAre(0));
  const v1::Finding f = WithCode(d, v1::ASYMMETRIC_PATH)[0];
  EXPECT_THAT(FindEvidence(f, "only_reverse")->list().values(), ElementsAre("198.51.100.21"));
  EXPECT_THAT(FindEvidence(f, "only_forward")->list().values(), ElementsAre("198.51.100.6"));
  EXPECT_THAT(f.summary(), HasSubstr("the way back crosses 198.51.100.21"));
  EXPECT_THAT(f.summary(), HasSubstr("the way out crosses 198.51.100.6"));
  EXPECT_EQ(FindEvidence(f, "routers_matched")->number(), 2);
}

}  // namespace
}  // namespace pathpair::diagnosis

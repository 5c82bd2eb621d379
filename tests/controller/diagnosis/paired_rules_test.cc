// Paired runs: loss direction from one-way results, return-path latency, asymmetric paths.
#include "controller/diagnosis/paired_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "controller/diagnosis/diagnose.h"
#include "tests/controller/diagnosis/finding_matchers.h"
#include "tests/controller/diagnosis/trace_builder.h"

namespace pathpair::diagnosis {
namespace {

using ::testing::ElementsAre;
using testing::Has;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::OneWay;
using testing::TraceBuilder;
using testing::TtlsOf;
using testing::WithCode;

// client 198.51.100.10 -> r1 192.168.1.1 -> r2 198.51.100.1 -> r3 198.51.100.65 -> server.
// lossy_from: TTL from which every hop loses (0 = clean); step_ms: latency added from hop 3 on,
// by queueing (Best stays where it was, so it is no steady long-distance link).
v1::TraceResult Forward(int lossy_from = 0, double step_ms = 0) {
  const char* routers[] = {"192.168.1.1", "198.51.100.1", "198.51.100.65"};
  TraceBuilder b("203.0.113.10");
  for (int ttl = 1; ttl <= 3; ++ttl) {
    b.Hop(routers[ttl - 1], 30, lossy_from > 0 && ttl >= lossy_from ? 21 : 30,
          ttl + (ttl >= 3 ? step_ms : 0), 0.9 * ttl);
  }
  return b.Hop("203.0.113.10", 30, lossy_from > 0 ? 21 : 30, 4 + step_ms, 0.9 * 4)
      .Reached()
      .Build();
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

TEST(LossDirectionTest, LossItsOwnTraceDoesNotPlaceStillExplainsTheOtherTrace) {
  // The forward trace happens to show no lasting loss (few probes), so LOSS_FORWARD_DIRECTION
  // names no hop; the reverse trace's loss (its replies cross the lossy way out) is still info.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward();
  *input.mutable_reverse() = Reverse(/*lossy_from=*/3);
  *input.mutable_forward_oneway() = OneWay(100, 80);
  *input.mutable_reverse_oneway() = OneWay(100, 100);
  const v1::Diagnosis d = Diagnose(input);
  ASSERT_TRUE(Has(d, v1::LOSS_FORWARD_DIRECTION));
  EXPECT_FALSE(WithCode(d, v1::LOSS_FORWARD_DIRECTION)[0].has_ttl());
  const std::vector<v1::Finding> reverse_loss = WithCode(d, v1::PACKET_LOSS);
  ASSERT_FALSE(reverse_loss.empty());
  for (const v1::Finding& loss : reverse_loss) {
    EXPECT_EQ(loss.direction(), v1::TRACE_DIRECTION_REVERSE);
    EXPECT_EQ(loss.severity(), v1::SEVERITY_INFO);
    EXPECT_THAT(loss.action(), HasSubstr("LOSS_FORWARD_DIRECTION"));
  }
}

TEST(LossDirectionTest, ReverseLossWithoutAHopStaysOnTheReverseDirection) {
  // The reverse trace shows no lasting loss: LOSS_REVERSE_DIRECTION names no hop, and is still
  // about the reverse direction; the forward trace's loss (its replies) is info.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(/*lossy_from=*/3);
  *input.mutable_reverse() = Reverse();
  *input.mutable_forward_oneway() = OneWay(100, 100);
  *input.mutable_reverse_oneway() = OneWay(100, 80);
  const v1::Diagnosis d = Diagnose(input);
  const std::vector<v1::Finding> reverse = WithCode(d, v1::LOSS_REVERSE_DIRECTION);
  ASSERT_EQ(reverse.size(), 1u);
  EXPECT_FALSE(reverse[0].has_ttl());
  EXPECT_EQ(reverse[0].direction(), v1::TRACE_DIRECTION_REVERSE);
  EXPECT_FALSE(reverse[0].action().empty());
  for (const v1::Finding& loss : WithCode(d, v1::PACKET_LOSS)) {
    EXPECT_EQ(loss.severity(), v1::SEVERITY_INFO);
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

TEST(ReturnPathLatencyTest, StepNeedsHalfOfItBeyondTheClockError) {
  // The forward step is 61 ms (2 -> 63): the way back must be longer by at least half of it
  // beyond the clock error for the step to be put there.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  v1::OneWayResult forward = OneWay(100, 100, 20, 20.5);
  v1::OneWayResult reverse = OneWay(100, 100, 45, 50.9);  // 30.4 ms apart
  forward.set_offset_error_ms(0);
  reverse.set_offset_error_ms(0);
  *input.mutable_forward_oneway() = forward;
  *input.mutable_reverse_oneway() = reverse;
  v1::Diagnosis d = Diagnose(input);
  // The way back is longer (so it is named), but not by half the step: the finding is about
  // the whole path, and the step is in both directions.
  ASSERT_THAT(TtlsOf(d, v1::LATENCY_ON_RETURN_PATH), ElementsAre(0));
  v1::Finding increase = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(FindEvidence(increase, "direction")->text(), "both");
  EXPECT_THAT(increase.summary(), HasSubstr("30.4 ms longer back"));
  reverse.set_delay_avg_ms(51.0);  // 30.5 ms apart: half the step
  *input.mutable_reverse_oneway() = reverse;
  d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_ON_RETURN_PATH), ElementsAre(3));
  EXPECT_EQ(FindEvidence(WithCode(d, v1::LATENCY_INCREASE)[0], "direction")->text(), "return");
  // The same gap within the clock error puts the step nowhere; the way back is still longer.
  reverse.set_offset_error_ms(1);
  *input.mutable_reverse_oneway() = reverse;
  d = Diagnose(input);
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_ON_RETURN_PATH), ElementsAre(0));
  EXPECT_EQ(FindEvidence(WithCode(d, v1::LATENCY_INCREASE)[0], "direction")->text(), "both");
}

// One-way results with a clock method, its error per direction and the delays' spread.
v1::OneWayResult Timed(double avg_ms, double error_ms, double stdev_ms = 0,
                       v1::ClockMethod method = v1::CLOCK_METHOD_SYNCHRONIZED) {
  v1::OneWayResult r = OneWay(1000, 1000, avg_ms - 0.2, avg_ms);
  r.set_delay_stdev_ms(stdev_ms);
  r.set_offset_error_ms(error_ms);
  r.set_clock_method(method);
  return r;
}

v1::Diagnosis WithOneWay(const v1::OneWayResult& out, const v1::OneWayResult& back,
                         const v1::TraceResult& forward = Forward()) {
  v1::DiagnosisInput input;
  *input.mutable_forward() = forward;
  *input.mutable_reverse() = Reverse();
  *input.mutable_forward_oneway() = out;
  *input.mutable_reverse_oneway() = back;
  return Diagnose(input);
}

TEST(LatencyDirectionTest, NamedWhenTheDifferenceExceedsClockErrorPlusNoiseFloor) {
  // Clock error 0.25 + 0.25 = 0.5 ms; no spread, so the noise is the 1 ms floor: 1.5 ms.
  EXPECT_FALSE(Has(WithOneWay(Timed(10, 0.25), Timed(11.49, 0.25)), v1::LATENCY_ON_RETURN_PATH));
  v1::Diagnosis d = WithOneWay(Timed(10, 0.25), Timed(11.51, 0.25));
  ASSERT_THAT(TtlsOf(d, v1::LATENCY_ON_RETURN_PATH), ElementsAre(0));  // no step: whole path
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_FORWARD_PATH));
  const v1::Finding f = WithCode(d, v1::LATENCY_ON_RETURN_PATH)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);  // 1.51 - 0.5 ms: a small asymmetry
  EXPECT_EQ(FindEvidence(f, "clock_error_ms")->number(), 0.5);
  EXPECT_EQ(FindEvidence(f, "noise_ms")->number(), kOneWayNoiseFloorMs);
  EXPECT_THAT(f.summary(), HasSubstr("synchronised clocks, error +-0.5 ms; noise 1 ms"));
  EXPECT_EQ(FindEvidence(f, "difference_ms")->number(), 1.51);
  EXPECT_EQ(d.verdict(), v1::VERDICT_HEALTHY);
  // The mirror: the way out longer.
  EXPECT_FALSE(Has(WithOneWay(Timed(11.49, 0.25), Timed(10, 0.25)), v1::LATENCY_ON_FORWARD_PATH));
  d = WithOneWay(Timed(11.51, 0.25), Timed(10, 0.25));
  EXPECT_THAT(TtlsOf(d, v1::LATENCY_ON_FORWARD_PATH), ElementsAre(0));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH));
}

TEST(LatencyDirectionTest, WarningFromTenMillisecondsBeyondTheClockError) {
  const auto severity = [](double back_ms) {
    return WithCode(WithOneWay(Timed(10, 0.25), Timed(back_ms, 0.25)),
                    v1::LATENCY_ON_RETURN_PATH)[0]
        .severity();
  };
  EXPECT_EQ(severity(10 + 0.5 + kDirectionalLatencyWarningMs - 0.01), v1::SEVERITY_INFO);
  EXPECT_EQ(severity(10 + 0.5 + kDirectionalLatencyWarningMs + 0.01), v1::SEVERITY_WARNING);
  const v1::Diagnosis d = WithOneWay(Timed(35, 0.25), Timed(10, 0.25));
  const v1::Finding f = WithCode(d, v1::LATENCY_ON_FORWARD_PATH)[0];
  EXPECT_EQ(f.severity(), v1::SEVERITY_WARNING);
  EXPECT_THAT(f.summary(), HasSubstr("out (client to server) is 25 ms longer"));
  EXPECT_THAT(f.action(), HasSubstr("forward trace"));
  EXPECT_EQ(d.verdict(), v1::VERDICT_DEGRADED);
}

TEST(LatencyDirectionTest, NoiseComesFromTheDelaysSpread) {
  // stdev 3 and 4 ms: the noise is sqrt(9 + 16) = 5 ms; with 0.5 ms of clock error, 5.5 ms.
  EXPECT_FALSE(
      Has(WithOneWay(Timed(10, 0.25, 3), Timed(15.49, 0.25, 4)), v1::LATENCY_ON_RETURN_PATH));
  const v1::Diagnosis d = WithOneWay(Timed(10, 0.25, 3), Timed(15.51, 0.25, 4));
  ASSERT_TRUE(Has(d, v1::LATENCY_ON_RETURN_PATH));
  EXPECT_EQ(FindEvidence(WithCode(d, v1::LATENCY_ON_RETURN_PATH)[0], "noise_ms")->number(), 5);
}

TEST(LatencyDirectionTest, SameHostErrorIsTheGranularity) {
  // One clock: 0.001 ms each way. 25 ms added on the way back only.
  const v1::Diagnosis d = WithOneWay(Timed(8.5, 0.001, 0.1, v1::CLOCK_METHOD_SAME_HOST),
                                     Timed(33.5, 0.001, 0.1, v1::CLOCK_METHOD_SAME_HOST));
  const v1::Finding f = WithCode(d, v1::LATENCY_ON_RETURN_PATH)[0];
  EXPECT_THAT(f.summary(), HasSubstr("one host's clock, error +-0.002 ms"));
  EXPECT_EQ(FindEvidence(f, "clock_error_ms")->number(), 0.002);
  EXPECT_EQ(FindEvidence(f, "difference_ms")->number(), 25);
  EXPECT_EQ(f.severity(), v1::SEVERITY_WARNING);
}

TEST(LatencyDirectionTest, EstimatedClocksCannotPlaceAConstantAsymmetry) {
  // The estimate's bound is half the round trip each way (~21 ms): a 29 ms difference is within
  // the 42 ms clock error, and so is the forward trace's 61 ms step (half of it: 30.5 ms).
  const v1::Diagnosis d =
      WithOneWay(Timed(8.5, 21, 0.1, v1::CLOCK_METHOD_ESTIMATED),
                 Timed(37.5, 21, 0.1, v1::CLOCK_METHOD_ESTIMATED), Forward(0, 60));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_FORWARD_PATH));
  const v1::Finding increase = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(FindEvidence(increase, "direction")->text(), "unplaced");
  EXPECT_THAT(increase.summary(), HasSubstr("cannot place its direction"));
  EXPECT_THAT(increase.summary(), HasSubstr("NTP, chrony or PTP"));
  EXPECT_THAT(increase.summary(), Not(HasSubstr("compare with a reverse trace")));
  // A difference beyond even that bound is still a direction (a varying one, e.g. queueing).
  EXPECT_TRUE(Has(WithOneWay(Timed(8.5, 21, 0.1, v1::CLOCK_METHOD_ESTIMATED),
                             Timed(52, 21, 0.1, v1::CLOCK_METHOD_ESTIMATED)),
                  v1::LATENCY_ON_RETURN_PATH));
}

TEST(LatencyDirectionTest, NoBoundOrNoOneWayDataPlacesNothing) {
  // Unsynchronised clocks without an estimate: the delays' level means nothing.
  v1::Diagnosis d = WithOneWay(Timed(8.5, 0, 0.1, v1::CLOCK_METHOD_NONE),
                               Timed(90, 0, 0.1, v1::CLOCK_METHOD_NONE), Forward(0, 60));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH));
  v1::Finding increase = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(FindEvidence(increase, "direction")->text(), "unplaced");
  EXPECT_THAT(increase.summary(), HasSubstr("no offset could be estimated"));
  // A paired run without one-way results: the reverse trace alone cannot place a step.
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  *input.mutable_reverse() = Reverse();
  d = Diagnose(input);
  increase = WithCode(d, v1::LATENCY_INCREASE)[0];
  EXPECT_EQ(FindEvidence(increase, "direction")->text(), "unplaced");
  EXPECT_THAT(increase.summary(), HasSubstr("Without one-way delays"));
  // NaN and infinite figures are no direction either.
  d = WithOneWay(Timed(std::nan(""), 0.25), Timed(90, 0.25));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH) || Has(d, v1::LATENCY_ON_FORWARD_PATH));
  d = WithOneWay(Timed(10, 0.25), Timed(90, std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(Has(d, v1::LATENCY_ON_RETURN_PATH) || Has(d, v1::LATENCY_ON_FORWARD_PATH));
}

TEST(LatencyDirectionTest, ReturnPathIsNamedAtTheReverseTracesStep) {
  // The slow link is on the way back: the reverse trace, probing that way, steps up at its hop
  // 2, and the forward trace sees it at hop 3 (its replies cross the link).
  v1::DiagnosisInput input;
  *input.mutable_forward() = Forward(0, 60);
  *input.mutable_reverse() = TraceBuilder("198.51.100.10")
                                 .Hop("198.51.100.65", 30, 30, 1)
                                 .Hop("198.51.100.1", 30, 30, 62)
                                 .Hop("192.168.1.1", 30, 30, 63)
                                 .Hop("198.51.100.10", 30, 30, 64)
                                 .Reached()
                                 .Build();
  *input.mutable_forward_oneway() = Timed(2.5, 0.001, 0.1, v1::CLOCK_METHOD_SAME_HOST);
  *input.mutable_reverse_oneway() = Timed(62, 0.001, 0.1, v1::CLOCK_METHOD_SAME_HOST);
  const v1::Diagnosis d = Diagnose(input);
  const std::vector<v1::Finding> named = WithCode(d, v1::LATENCY_ON_RETURN_PATH);
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].direction(), v1::TRACE_DIRECTION_REVERSE);
  EXPECT_EQ(named[0].ttl(), 2);
  EXPECT_EQ(named[0].address(), "198.51.100.1");
  EXPECT_THAT(named[0].summary(), HasSubstr("hop 2 of the reverse trace"));
  // Both traces' steps are put on the way back.
  for (const v1::Finding& increase : WithCode(d, v1::LATENCY_INCREASE)) {
    EXPECT_EQ(FindEvidence(increase, "direction")->text(), "return") << increase.summary();
    EXPECT_THAT(increase.summary(), HasSubstr("on the way back (server to client)"));
  }
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

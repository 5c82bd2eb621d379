#include "controller/destcheck/destination_check.h"

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::destcheck {
namespace {

IpAddress Target() { return *IpAddress::Parse("203.0.113.10"); }

// An ICMP trace whose hops 1-4 answer and whose TTLs 5-7 stay silent.
v1::TraceResult UnreachedIcmpTrace() {
  v1::TraceResult trace;
  trace.mutable_options()->set_protocol(v1::PROTOCOL_ICMP);
  trace.mutable_options()->set_target("server.example");
  trace.mutable_options()->set_max_ttl(30);
  trace.mutable_options()->set_source_address("198.51.100.100");
  trace.mutable_options()->set_tos(16);
  trace.set_target_address("203.0.113.10");
  for (int ttl = 1; ttl <= 7; ++ttl) {
    v1::HopResult* hop = trace.add_hops();
    hop->set_ttl(ttl);
    hop->set_sent(10);
    if (ttl <= 4) {
      hop->set_received(10);
      hop->add_responders()->set_address("198.51.100." + std::to_string(ttl));
    }
  }
  return trace;
}

// A runner that records what it was asked and answers from a script, one reply per call.
struct FakeRunner {
  std::vector<v1::ProbeOptions> calls;
  std::vector<absl::StatusOr<v1::TraceResult>> replies;

  CheckRunner AsRunner() {
    return [this](const v1::ProbeOptions& options, const IpAddress& target) {
      EXPECT_EQ(target, Target());
      calls.push_back(options);
      if (calls.size() > replies.size()) return absl::StatusOr<v1::TraceResult>(v1::TraceResult());
      return replies[calls.size() - 1];
    };
  }
};

v1::TraceResult Silent() {
  v1::TraceResult result;
  v1::HopResult* hop = result.add_hops();
  hop->set_ttl(30);
  hop->set_sent(3);
  return result;
}

v1::TraceResult AnsweredByRst() {
  v1::TraceResult result;
  result.set_reached(true);
  v1::HopResult* hop = result.add_hops();
  hop->set_ttl(30);
  hop->set_sent(3);
  hop->set_received(3);
  hop->set_termination(v1::HOP_TERMINATION_DESTINATION);
  hop->add_responders()->set_address("203.0.113.10");
  return result;
}

TEST(DestinationCheckTest, ReachedTraceNeedsNoCheck) {
  v1::TraceResult trace = UnreachedIcmpTrace();
  trace.set_reached(true);
  FakeRunner fake;
  EXPECT_EQ(CheckDestination(trace, Target(), fake.AsRunner()), v1::DESTINATION_CHECK_NOT_RUN);
  EXPECT_TRUE(fake.calls.empty());
}

TEST(DestinationCheckTest, TcpAndUdpTracesNeedNoCheck) {
  for (v1::Protocol protocol : {v1::PROTOCOL_TCP, v1::PROTOCOL_UDP}) {
    v1::TraceResult trace = UnreachedIcmpTrace();
    trace.mutable_options()->set_protocol(protocol);
    FakeRunner fake;
    EXPECT_EQ(CheckDestination(trace, Target(), fake.AsRunner()), v1::DESTINATION_CHECK_NOT_RUN);
    EXPECT_TRUE(fake.calls.empty());
  }
}

TEST(DestinationCheckTest, UnspecifiedProtocolIsIcmp) {
  v1::TraceResult trace = UnreachedIcmpTrace();
  trace.mutable_options()->clear_protocol();
  EXPECT_TRUE(NeedsDestinationCheck(trace));
}

TEST(DestinationCheckTest, DestinationUnreachableNeedsNoCheck) {
  v1::TraceResult trace = UnreachedIcmpTrace();
  trace.mutable_hops(3)->set_termination(v1::HOP_TERMINATION_UNREACHABLE);
  EXPECT_FALSE(NeedsDestinationCheck(trace));
}

TEST(DestinationCheckTest, RstOnFirstAttemptIsAnswered) {
  FakeRunner fake;
  fake.replies = {AnsweredByRst()};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_ANSWERED);
  ASSERT_EQ(fake.calls.size(), 1u);  // stops at the first answer
  const v1::ProbeOptions& options = fake.calls[0];
  EXPECT_EQ(options.protocol(), v1::PROTOCOL_TCP);
  EXPECT_EQ(options.port(), 80);
  EXPECT_EQ(options.first_ttl(), 30);
  EXPECT_EQ(options.max_ttl(), 30);
  EXPECT_EQ(options.count(), kProbesPerAttempt);
  EXPECT_EQ(options.source_address(), "198.51.100.100");
  EXPECT_EQ(options.tos(), 16);
  EXPECT_EQ(options.target(), "server.example");
}

TEST(DestinationCheckTest, AllSilentIsSilentAfterEveryAttempt) {
  FakeRunner fake;
  fake.replies = {Silent(), Silent(), Silent()};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_SILENT);
  ASSERT_EQ(fake.calls.size(), 3u);
  EXPECT_EQ(fake.calls[1].protocol(), v1::PROTOCOL_TCP);
  EXPECT_EQ(fake.calls[1].port(), 443);
  EXPECT_EQ(fake.calls[2].protocol(), v1::PROTOCOL_UDP);
}

TEST(DestinationCheckTest, LaterAttemptAnswering) {
  FakeRunner fake;
  v1::TraceResult port_unreachable = Silent();
  port_unreachable.mutable_hops(0)->set_received(1);
  port_unreachable.mutable_hops(0)->set_termination(v1::HOP_TERMINATION_DESTINATION);
  fake.replies = {Silent(), Silent(), port_unreachable};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_ANSWERED);
}

TEST(DestinationCheckTest, FailedAttemptsAreSkipped) {
  FakeRunner fake;
  fake.replies = {absl::PermissionDeniedError("no raw TCP"), AnsweredByRst()};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_ANSWERED);
}

TEST(DestinationCheckTest, EveryAttemptFailingIsNotRun) {
  FakeRunner fake;
  fake.replies = {absl::PermissionDeniedError("a"), absl::PermissionDeniedError("b"),
                  absl::PermissionDeniedError("c")};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_NOT_RUN);
}

TEST(DestinationCheckTest, CancelledTraceNeedsNoCheck) {
  v1::TraceResult trace = UnreachedIcmpTrace();
  trace.set_error("cancelled");
  EXPECT_FALSE(NeedsDestinationCheck(trace));
}

TEST(DestinationCheckTest, CancelledAttemptsProveNothing) {
  FakeRunner fake;
  v1::TraceResult cancelled = Silent();
  cancelled.set_error("cancelled");
  fake.replies = {cancelled, cancelled, cancelled};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_NOT_RUN);
  fake.calls.clear();
  fake.replies = {cancelled, Silent(), cancelled};
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), fake.AsRunner()),
            v1::DESTINATION_CHECK_SILENT);
}

TEST(DestinationCheckTest, NoRunnerIsNotRun) {
  EXPECT_EQ(CheckDestination(UnreachedIcmpTrace(), Target(), CheckRunner()),
            v1::DESTINATION_CHECK_NOT_RUN);
}

TEST(DestinationCheckTest, TimeExceededFromARouterIsNotTheTarget) {
  v1::TraceResult looped = Silent();
  looped.mutable_hops(0)->set_received(3);
  looped.mutable_hops(0)->add_responders()->set_address("203.0.113.4");
  looped.mutable_hops(0)->mutable_responders(0)->set_received(3);
  EXPECT_FALSE(TargetAnswered(looped, Target()));
  looped.mutable_hops(0)->mutable_responders(0)->set_address("203.0.113.10");
  EXPECT_TRUE(TargetAnswered(looped, Target()));
}

TEST(DestinationCheckTest, DefaultFullTtlWhenUnset) {
  v1::ProbeOptions unset;
  const v1::ProbeOptions options = AttemptOptions(unset, {v1::PROTOCOL_UDP, 0});
  EXPECT_EQ(options.first_ttl(), kDefaultFullTtl);
  EXPECT_EQ(options.max_ttl(), kDefaultFullTtl);
  EXPECT_EQ(options.port(), 0);
}

// A UDP trace that reached the target, whose Port Unreachables answered 11 of 30 probes.
v1::TraceResult RationedUdpTrace() {
  v1::TraceResult trace = UnreachedIcmpTrace();
  trace.mutable_options()->set_protocol(v1::PROTOCOL_UDP);
  trace.set_reached(true);
  v1::HopResult* hop = trace.mutable_hops(4);
  hop->set_sent(30);
  hop->set_received(11);
  hop->set_termination(v1::HOP_TERMINATION_DESTINATION);
  hop->add_responders()->set_address("203.0.113.10");
  trace.mutable_hops()->DeleteSubrange(5, 2);
  return trace;
}

v1::TraceResult EchoAnswered(int sent, int received) {
  v1::TraceResult result = AnsweredByRst();
  result.mutable_hops(0)->set_sent(sent);
  result.mutable_hops(0)->set_received(received);
  return result;
}

TEST(CrossCheckTest, UdpAndTcpDestinationLossNeedsACrossCheck) {
  v1::TraceResult trace = RationedUdpTrace();
  EXPECT_TRUE(NeedsCrossCheck(trace));
  trace.mutable_options()->set_protocol(v1::PROTOCOL_TCP);
  EXPECT_TRUE(NeedsCrossCheck(trace));
  trace.mutable_options()->set_protocol(v1::PROTOCOL_ICMP);
  EXPECT_FALSE(NeedsCrossCheck(trace));  // echo cannot check echo
}

TEST(CrossCheckTest, NoCrossCheckWithoutDestinationLoss) {
  v1::TraceResult trace = RationedUdpTrace();
  trace.mutable_hops(4)->set_received(29);  // one lost probe is nothing to explain
  EXPECT_FALSE(NeedsCrossCheck(trace));
  trace = RationedUdpTrace();
  trace.set_reached(false);
  EXPECT_FALSE(NeedsCrossCheck(trace));
  trace = RationedUdpTrace();
  trace.set_error("cancelled");
  EXPECT_FALSE(NeedsCrossCheck(trace));
}

TEST(CrossCheckTest, SendsEchoRequestsAtTheFullTtlAndCountsTheAnswers) {
  FakeRunner fake;
  fake.replies = {EchoAnswered(kCrossCheckProbes, kCrossCheckProbes - 1)};
  const std::optional<v1::DestinationCrossCheck> check =
      CrossCheckDestination(RationedUdpTrace(), Target(), fake.AsRunner());
  ASSERT_EQ(fake.calls.size(), 1u);
  const v1::ProbeOptions& sent = fake.calls[0];
  EXPECT_EQ(sent.protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(sent.first_ttl(), 30);
  EXPECT_EQ(sent.max_ttl(), 30);
  EXPECT_EQ(sent.count(), kCrossCheckProbes);
  EXPECT_EQ(sent.interval_us(), kCrossCheckIntervalUs);
  EXPECT_EQ(sent.source_address(), "198.51.100.100");
  EXPECT_EQ(sent.tos(), 16);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(check->sent(), kCrossCheckProbes);
  EXPECT_EQ(check->received(), kCrossCheckProbes - 1);
}

TEST(CrossCheckTest, SilentTargetLosesEveryEcho) {
  FakeRunner fake;
  v1::TraceResult silent = Silent();
  silent.mutable_hops(0)->set_sent(kCrossCheckProbes);
  fake.replies = {silent};
  const std::optional<v1::DestinationCrossCheck> check =
      CrossCheckDestination(RationedUdpTrace(), Target(), fake.AsRunner());
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->sent(), kCrossCheckProbes);
  EXPECT_EQ(check->received(), 0);
}

TEST(CrossCheckTest, FailedOrCancelledCrossCheckGivesNothing) {
  FakeRunner failed;
  failed.replies = {absl::PermissionDeniedError("no raw socket")};
  EXPECT_FALSE(CrossCheckDestination(RationedUdpTrace(), Target(), failed.AsRunner()));
  FakeRunner cancelled;
  v1::TraceResult stopped = EchoAnswered(3, 3);
  stopped.set_error("cancelled");
  cancelled.replies = {stopped};
  EXPECT_FALSE(CrossCheckDestination(RationedUdpTrace(), Target(), cancelled.AsRunner()));
  EXPECT_FALSE(CrossCheckDestination(RationedUdpTrace(), Target(), CheckRunner()));
  FakeRunner unneeded;
  EXPECT_FALSE(CrossCheckDestination(UnreachedIcmpTrace(), Target(), unneeded.AsRunner()));
  EXPECT_TRUE(unneeded.calls.empty());
}

}  // namespace
}  // namespace pathpair::destcheck

// Alias resolution over a scripted TraceRunner: the request checks, reading an alias trace, and
// the two passes (UDP, then ICMP echo for what did not answer) in waves, within a deadline.
#include "agent/service/alias_resolver.h"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/service/fake_runners.h"

namespace pathpair::agent {
namespace {

using ::testing::HasSubstr;

// A trace whose hop `ttl` ends the path: answered by `responder` with `termination` (and the
// Destination Unreachable `code`); the hops before it answered Time Exceeded.
v1::TraceResult Ended(int ttl, const std::string& responder, v1::HopTermination termination,
                      int code = 0) {
  v1::TraceResult result;
  for (int t = 1; t <= ttl; ++t) {
    v1::HopResult* hop = result.add_hops();
    hop->set_ttl(t);
    hop->set_sent(2);
    hop->set_received(2);
    v1::Responder* answer = hop->add_responders();
    if (t < ttl) {
      answer->set_address("203.0.113.254");  // a transit router
      continue;
    }
    hop->set_termination(termination);
    hop->set_unreachable_code(code);
    answer->set_address(responder);
    answer->mutable_rtt()->set_best_ms(1.25);
  }
  return result;
}

v1::TraceResult TimeExceededOnly(int hops) {
  v1::TraceResult result;
  for (int t = 1; t <= hops; ++t) {
    v1::HopResult* hop = result.add_hops();
    hop->set_ttl(t);
    hop->add_responders()->set_address("203.0.113.254");
  }
  return result;
}

AliasRequest Request(const std::vector<std::string>& addresses, int max_ttl = 8) {
  AliasRequest request;
  request.max_ttl = max_ttl;
  for (const std::string& text : addresses) request.addresses.push_back(*IpAddress::Parse(text));
  return request;
}

v1::ResolveAliasesRequest Wire(const std::vector<std::string>& addresses, int max_ttl = 0) {
  v1::ResolveAliasesRequest request;
  request.set_pairing_id("pairing-0123456789");
  for (const std::string& a : addresses) request.add_addresses(a);
  request.set_max_ttl(max_ttl);
  return request;
}

TEST(CheckAliasRequestTest, AcceptsUnicastAddressesAndDefaultsTheTtl) {
  absl::StatusOr<AliasRequest> checked =
      CheckAliasRequest(Wire({"198.51.100.5", "2001:db8::1", "10.0.0.1"}), AliasLimits{});
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->addresses.size(), 3u);
  EXPECT_EQ(checked->addresses[1].ToString(), "2001:db8::1");
  EXPECT_EQ(checked->max_ttl, 30);
  EXPECT_EQ(CheckAliasRequest(Wire({"198.51.100.5"}, 12), AliasLimits{})->max_ttl, 12);
}

TEST(CheckAliasRequestTest, RefusesWhatIsNoRouterInterface) {
  for (const char* bad :
       {"224.0.0.5", "ff02::2", "255.255.255.255", "0.0.0.0", "::", "127.0.0.1", "::1"}) {
    absl::StatusOr<AliasRequest> checked =
        CheckAliasRequest(Wire({"198.51.100.5", bad}), AliasLimits{});
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(checked.status().message(), HasSubstr(bad));
  }
  absl::StatusOr<AliasRequest> garbage = CheckAliasRequest(Wire({"router-1"}), AliasLimits{});
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("'router-1' is not an IP address literal"));
}

TEST(CheckAliasRequestTest, LimitsAddressesAndTtl) {
  std::vector<std::string> many;
  for (int i = 0; i < 65; ++i) many.push_back("198.51.100." + std::to_string(i + 1));
  absl::StatusOr<AliasRequest> checked = CheckAliasRequest(Wire(many), AliasLimits{});
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(checked.status().message(), HasSubstr("at most 64"));
  many.pop_back();
  EXPECT_TRUE(CheckAliasRequest(Wire(many), AliasLimits{}).ok());
  for (int ttl : {-1, 33}) {
    EXPECT_EQ(CheckAliasRequest(Wire({"198.51.100.5"}, ttl), AliasLimits{}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << ttl;
  }
}

TEST(AliasTraceOptionsTest, ShortTracesFromTtlOne) {
  const IpAddress address = *IpAddress::Parse("198.51.100.5");
  const v1::ProbeOptions udp = AliasTraceOptions(address, v1::PROTOCOL_UDP, 9, AliasLimits{});
  EXPECT_EQ(udp.target(), "198.51.100.5");
  EXPECT_EQ(udp.protocol(), v1::PROTOCOL_UDP);
  EXPECT_EQ(udp.port(), kAliasUdpPort);
  EXPECT_EQ(udp.first_ttl(), 1);
  EXPECT_EQ(udp.max_ttl(), 9);
  EXPECT_EQ(udp.count(), 2);
  EXPECT_EQ(udp.interval_us(), 50000);
  const v1::ProbeOptions icmp = AliasTraceOptions(address, v1::PROTOCOL_ICMP, 9, AliasLimits{});
  EXPECT_EQ(icmp.protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(icmp.port(), 0);
}

TEST(ReadAliasTraceTest, LinuxAnswersFromTheProbedAddress) {
  const IpAddress address = *IpAddress::Parse("198.51.100.9");
  std::optional<v1::AliasResolution> r = ReadAliasTrace(
      Ended(2, "198.51.100.9", v1::HOP_TERMINATION_DESTINATION), address, v1::PROTOCOL_UDP);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->address(), "198.51.100.9");
  EXPECT_EQ(r->reply_source(), "198.51.100.9");
  EXPECT_EQ(r->method(), v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE);
  EXPECT_EQ(r->distance(), 2);
  EXPECT_EQ(r->rtt_ms(), 1.25);
}

TEST(ReadAliasTraceTest, MercatorRouterAnswersFromItsInterfaceTowardTheProber) {
  const IpAddress v4 = *IpAddress::Parse("198.51.100.9");
  std::optional<v1::AliasResolution> r = ReadAliasTrace(
      Ended(2, "198.51.100.6", v1::HOP_TERMINATION_UNREACHABLE, 3), v4, v1::PROTOCOL_UDP);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reply_source(), "198.51.100.6");
  EXPECT_EQ(r->distance(), 2);
  const IpAddress v6 = *IpAddress::Parse("2001:db8:2::1");
  r = ReadAliasTrace(Ended(3, "2001:db8:1::2", v1::HOP_TERMINATION_UNREACHABLE, 4), v6,
                     v1::PROTOCOL_UDP);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reply_source(), "2001:db8:1::2");
}

TEST(ReadAliasTraceTest, DistanceUnknownWhenTheTtlBeforeTheOwnerWentUnanswered) {
  // Both answers at the owner's TTL (2) lost on a lossy way back: the owner first answers at 3.
  const IpAddress address = *IpAddress::Parse("198.51.100.9");
  v1::TraceResult lost = Ended(3, "198.51.100.9", v1::HOP_TERMINATION_DESTINATION);
  lost.mutable_hops(1)->set_received(0);
  lost.mutable_hops(1)->clear_responders();
  std::optional<v1::AliasResolution> r = ReadAliasTrace(lost, address, v1::PROTOCOL_UDP);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reply_source(), "198.51.100.9");
  EXPECT_EQ(r->distance(), 0);  // unknown: the merge vetoes nothing with it
  // At TTL 1 nothing comes before.
  EXPECT_EQ(ReadAliasTrace(Ended(1, "198.51.100.9", v1::HOP_TERMINATION_DESTINATION), address,
                           v1::PROTOCOL_UDP)
                ->distance(),
            1);
}

TEST(ReadAliasTraceTest, NoAnswerFromTheOwner) {
  const IpAddress address = *IpAddress::Parse("198.51.100.9");
  // Host unreachable from a router before it, time exceeded only, nothing at all.
  EXPECT_FALSE(ReadAliasTrace(Ended(2, "198.51.100.6", v1::HOP_TERMINATION_UNREACHABLE, 1), address,
                              v1::PROTOCOL_UDP)
                   .has_value());
  EXPECT_FALSE(ReadAliasTrace(TimeExceededOnly(8), address, v1::PROTOCOL_UDP).has_value());
  EXPECT_FALSE(ReadAliasTrace(v1::TraceResult(), address, v1::PROTOCOL_ICMP).has_value());
  // A port unreachable to an ICMP probe cannot happen; it is no answer either.
  EXPECT_FALSE(ReadAliasTrace(Ended(2, "198.51.100.6", v1::HOP_TERMINATION_UNREACHABLE, 3), address,
                              v1::PROTOCOL_ICMP)
                   .has_value());
  std::optional<v1::AliasResolution> echo = ReadAliasTrace(
      Ended(4, "198.51.100.9", v1::HOP_TERMINATION_DESTINATION), address, v1::PROTOCOL_ICMP);
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->method(), v1::ALIAS_METHOD_ICMP_ECHO);
  EXPECT_EQ(echo->distance(), 4);
}

TEST(ResolveAliasesTest, UdpFirstThenIcmpEchoForWhatDidNotAnswer) {
  FakeTraceRunner runner;
  // .5 answers UDP like Linux; .9 like a Mercator router; .13 only echo; .17 nothing.
  runner.set_script([](const v1::ProbeOptions& options,
                       const IpAddress& target) -> std::optional<v1::TraceResult> {
    const std::string t = target.ToString();
    const bool udp = options.protocol() == v1::PROTOCOL_UDP;
    if (t == "198.51.100.5" && udp) return Ended(1, t, v1::HOP_TERMINATION_DESTINATION);
    if (t == "198.51.100.9" && udp) {
      return Ended(2, "198.51.100.6", v1::HOP_TERMINATION_UNREACHABLE, 3);
    }
    if (t == "198.51.100.13" && !udp) return Ended(3, t, v1::HOP_TERMINATION_DESTINATION);
    return TimeExceededOnly(options.max_ttl());
  });
  const v1::ResolveAliasesResponse response =
      ResolveAliases(Request({"198.51.100.5", "198.51.100.9", "198.51.100.13", "198.51.100.17"}),
                     runner, AliasLimits{}, absl::Now() + absl::Seconds(30), [] { return false; });
  ASSERT_EQ(response.resolutions_size(), 4);
  EXPECT_EQ(response.resolutions(0).method(), v1::ALIAS_METHOD_UDP_PORT_UNREACHABLE);
  EXPECT_EQ(response.resolutions(0).reply_source(), "198.51.100.5");
  EXPECT_EQ(response.resolutions(1).reply_source(), "198.51.100.6");
  EXPECT_EQ(response.resolutions(2).method(), v1::ALIAS_METHOD_ICMP_ECHO);
  EXPECT_EQ(response.resolutions(2).distance(), 3);
  EXPECT_EQ(response.resolutions(3).address(), "198.51.100.17");
  EXPECT_EQ(response.resolutions(3).method(), v1::ALIAS_METHOD_NONE);
  EXPECT_TRUE(response.resolutions(3).reply_source().empty());
  // Four UDP traces, then ICMP for the two that did not answer; each within max_ttl.
  ASSERT_EQ(runner.started(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(runner.Get(i).options.protocol(), i < 4 ? v1::PROTOCOL_UDP : v1::PROTOCOL_ICMP);
    EXPECT_EQ(runner.Get(i).options.max_ttl(), 8);
  }
  EXPECT_EQ(runner.Get(4).target.ToString(), "198.51.100.13");
}

TEST(ResolveAliasesTest, UdpThatCannotStartFallsBackToIcmpEcho) {
  FakeTraceRunner runner;
  runner.set_refused_protocol(v1::PROTOCOL_UDP);  // an agent with ICMP sockets only
  runner.set_script([](const v1::ProbeOptions&, const IpAddress& target) {
    return std::optional<v1::TraceResult>(
        Ended(2, target.ToString(), v1::HOP_TERMINATION_DESTINATION));
  });
  const v1::ResolveAliasesResponse response =
      ResolveAliases(Request({"198.51.100.5", "198.51.100.9"}), runner, AliasLimits{},
                     absl::Now() + absl::Seconds(30), [] { return false; });
  EXPECT_EQ(runner.started(), 2u);  // the two ICMP traces
  for (const v1::AliasResolution& r : response.resolutions()) {
    EXPECT_EQ(r.method(), v1::ALIAS_METHOD_ICMP_ECHO) << r.address();
    EXPECT_EQ(r.reply_source(), r.address());
  }
}

TEST(ResolveAliasesTest, NothingStartsNothingAnswers) {
  FakeTraceRunner runner;
  runner.set_start_error(absl::UnavailableError("the agent's probe loop did not answer"));
  const v1::ResolveAliasesResponse response =
      ResolveAliases(Request({"198.51.100.5", "2001:db8::5"}), runner, AliasLimits{},
                     absl::Now() + absl::Seconds(30), [] { return false; });
  EXPECT_EQ(runner.started(), 0u);
  ASSERT_EQ(response.resolutions_size(), 2);
  EXPECT_EQ(response.resolutions(1).address(), "2001:db8::5");
  for (const v1::AliasResolution& r : response.resolutions()) {
    EXPECT_EQ(r.method(), v1::ALIAS_METHOD_NONE);
  }
}

TEST(ResolveAliasesTest, WavesHoldAtMostTracesAtOnce) {
  FakeTraceRunner runner;  // traces run until the test ends them
  AliasLimits limits;
  limits.traces_at_once = 3;
  std::vector<std::string> addresses;
  for (int i = 1; i <= 7; ++i) addresses.push_back("198.51.100." + std::to_string(4 * i + 1));
  v1::ResolveAliasesResponse response;
  std::thread resolver([&] {
    response = ResolveAliases(Request(addresses), runner, limits, absl::Now() + absl::Seconds(30),
                              [] { return false; });
  });
  // Wave by wave: 3, 3 and 1 UDP traces, then the ICMP pass for all seven.
  size_t finished = 0;
  for (size_t wave_end : {3u, 6u, 7u, 10u, 13u, 14u}) {
    ASSERT_TRUE(runner.WaitForStarted(wave_end));
    EXPECT_EQ(runner.started(), wave_end);
    for (; finished < wave_end; ++finished) runner.Finish(finished);
  }
  resolver.join();
  EXPECT_EQ(response.resolutions_size(), 7);
}

TEST(ResolveAliasesTest, StopCancelsRunningTracesAndAnswersWhatItHas) {
  FakeTraceRunner runner;  // nothing ever ends by itself
  std::atomic<bool> stop{false};
  v1::ResolveAliasesResponse response;
  std::thread resolver([&] {
    response = ResolveAliases(Request({"198.51.100.5", "198.51.100.9"}), runner, AliasLimits{},
                              absl::Now() + absl::Seconds(30), [&] { return stop.load(); });
  });
  ASSERT_TRUE(runner.WaitForStarted(2));
  stop = true;
  resolver.join();
  EXPECT_TRUE(runner.Get(0).cancelled);
  EXPECT_TRUE(runner.Get(1).cancelled);
  EXPECT_EQ(runner.started(), 2u);  // no ICMP pass after a stop
  ASSERT_EQ(response.resolutions_size(), 2);
  EXPECT_EQ(response.resolutions(0).method(), v1::ALIAS_METHOD_NONE);
}

TEST(ResolveAliasesTest, DeadlineBoundsTheWholeResolution) {
  FakeTraceRunner runner;
  const absl::Time start = absl::Now();
  const v1::ResolveAliasesResponse response =
      ResolveAliases(Request({"198.51.100.5"}), runner, AliasLimits{},
                     start + absl::Milliseconds(300), [] { return false; });
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(runner.Get(0).cancelled);
  EXPECT_EQ(response.resolutions(0).method(), v1::ALIAS_METHOD_NONE);
}

}  // namespace
}  // namespace pathpair::agent

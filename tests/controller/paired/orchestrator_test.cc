#include "controller/paired/orchestrator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "controller/cli/trace_options.h"
#include "controller/paired/oneway_clock.h"
#include "controller/paired/paired_run.h"
#include "tests/controller/paired/fake_endpoint.h"

namespace pathpair::paired {
namespace {

using ::testing::HasSubstr;

// Every call to now_unix_us advances 1 ms, so spreads are exact call counts.
PairedDeps FakeDeps() {
  auto now = std::make_shared<std::atomic<int64_t>>(1'800'000'000'000'000);
  PairedDeps deps;
  deps.now_unix_us = [now] { return now->fetch_add(1000); };
  deps.new_run_id = [](absl::Time) { return std::string("20261127T000000.000Z-00000001"); };
  deps.new_pairing_id = [] { return std::string("pairing-0123456789"); };
  deps.new_test_id = [] { return uint64_t{42}; };
  deps.new_session_key = [] { return std::string(32, 'k'); };
  return deps;
}

PairedTestPlan Plan() {
  PairedTestPlan plan;
  plan.probe = cli::DefaultProbeOptions();
  plan.probe.set_count(3);
  plan.probe.set_interval_us(100'000);
  plan.probe.set_source_address("198.51.100.9");
  plan.server_endpoint = "agent.example:8620";
  plan.forward_target = "203.0.113.80";
  return plan;
}

TEST(SplitHostPortTest, AcceptsNamesV4AndBracketedV6) {
  EXPECT_EQ(*SplitHostPort("agent.example:8620"),
            std::make_pair(std::string("agent.example"), 8620));
  EXPECT_EQ(*SplitHostPort("[2001:db8::1]:1"), std::make_pair(std::string("2001:db8::1"), 1));
  EXPECT_FALSE(SplitHostPort("agent.example").ok());
  EXPECT_FALSE(SplitHostPort("2001:db8::1:80").ok());
  EXPECT_FALSE(SplitHostPort("host:0").ok());
  EXPECT_FALSE(SplitHostPort("host:65536").ok());
  EXPECT_FALSE(SplitHostPort(":80").ok());
  EXPECT_FALSE(SplitHostPort("[::1]80").ok());
  EXPECT_EQ(JoinHostPort("2001:db8::1", 80), "[2001:db8::1]:80");
  EXPECT_EQ(JoinHostPort("203.0.113.1", 80), "203.0.113.1:80");
}

TEST(OrchestratorTest, CompleteRunLearnsReverseTargetAndStartsEverythingTogether) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.info.set_oneway_port(9100);
  client.info.set_oneway_port(9200);
  client.reflected_address = "198.51.100.9";
  server.oneway_received = 297;
  CancelToken cancel;
  int progress_calls = 0;
  absl::StatusOr<v1::PairedRun> run = RunPairedTest(Plan(), client, server, FakeDeps(), cancel,
                                                    [&](const LiveState&) { ++progress_calls; });
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(RunCompleteness(*run), Completeness::kComplete);
  EXPECT_TRUE(RunErrors(*run).empty());
  EXPECT_GT(progress_calls, 0);

  // Reflect: the client side calls the server agent at the forward target and the server's port.
  EXPECT_EQ(client.reflect_peer, "203.0.113.80:8620");
  EXPECT_EQ(run->reverse_target(), "198.51.100.9");
  EXPECT_TRUE(run->reverse_target_reflected());

  EXPECT_EQ(client.trace_request.options().target(), "203.0.113.80");
  EXPECT_EQ(server.trace_request.options().target(), "198.51.100.9");
  EXPECT_EQ(client.trace_request.pairing_id(), client.reflect_pairing);
  EXPECT_EQ(server.trace_request.pairing_id(), client.reflect_pairing);
  // Client-only options do not travel to the server.
  EXPECT_EQ(client.trace_request.options().source_address(), "198.51.100.9");
  EXPECT_EQ(server.trace_request.options().source_address(), "");
  EXPECT_EQ(server.trace_request.options().count(), 3);

  // One-way: each side sends to the other's one-way port, with one shared test id.
  EXPECT_EQ(client.oneway_request.peer_address(), "203.0.113.80");
  EXPECT_EQ(client.oneway_request.peer_port(), 9100);
  EXPECT_EQ(server.oneway_request.peer_address(), "198.51.100.9");
  EXPECT_EQ(server.oneway_request.peer_port(), 9200);
  EXPECT_EQ(client.oneway_request.test_id(), 42u);
  EXPECT_EQ(server.oneway_request.test_id(), 42u);
  EXPECT_EQ(client.oneway_request.count(), 300);  // at least 300 packets

  // Each direction is measured where it arrives: forward at the server.
  ASSERT_TRUE(run->has_oneway_forward());
  EXPECT_EQ(run->oneway_forward().stats().received(), 297);
  EXPECT_NEAR(run->oneway_forward().stats().loss_pct(), 1.0, 1e-9);
  ASSERT_TRUE(run->has_oneway_reverse());
  EXPECT_EQ(run->oneway_reverse().stats().received(), 300);
  // The fakes report no clock: the offset estimate corrects the raw delays.
  EXPECT_EQ(EffectiveClock(run->oneway_reverse()).method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(EffectiveClock(run->oneway_reverse()).error_ms(), 0.25);
  EXPECT_EQ(run->oneway_reverse().stats().delay().avg_ms(), 2);

  // The four activities started on four consecutive clock reads: 3 ms apart in this fake.
  ASSERT_TRUE(run->has_start_skew_ms());
  EXPECT_DOUBLE_EQ(run->start_skew_ms(), 3.0);
  EXPECT_GT(run->client().started_unix_us(), 0);
  EXPECT_GT(run->server().started_unix_us(), 0);
  EXPECT_EQ(run->server().hostname(), "agent.example:8620-host");
  ASSERT_TRUE(run->client().has_trace());
  EXPECT_TRUE(run->client().trace().final());
  EXPECT_EQ(run->run_id(), "20261127T000000.000Z-00000001");
}

TEST(OrchestratorTest, BothEndsClocksDecideHowTheDelaysAreCorrected) {
  // Two ends of one host (equal boot ids): the raw delays stand, whatever the estimates say.
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  for (FakeEndpoint* end : {&client, &server}) {
    end->info.mutable_clock()->set_boot_id("0f5c1b2e-5a8e-4c1e-9f00-1a2b3c4d5e6f");
    end->offset_ms = 0.2;  // within its bound (0.25 ms) of the true offset, 0
  }
  server.raw_delay_avg_ms = 8.5;   // client -> server, measured at the server
  client.raw_delay_avg_ms = 37.5;  // server -> client
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->client().clock().boot_id(), run->server().clock().boot_id());
  EXPECT_EQ(run->oneway_forward().clock().method(), v1::CLOCK_METHOD_SAME_HOST);
  EXPECT_EQ(run->oneway_forward().stats().delay().avg_ms(), 8.5);
  EXPECT_EQ(run->oneway_reverse().stats().delay().avg_ms(), 37.5);
  EXPECT_EQ(run->oneway_reverse().offset_estimate().offset_ms(), 0.2);  // kept as evidence

  // An estimate 3 ms off (+-0.25) contradicts "one clock": the estimate is used, and said why.
  client.offset_ms = 3;
  run = RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->oneway_forward().clock().method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_THAT(run->oneway_forward().clock().note(), HasSubstr("same boot id"));
  EXPECT_DOUBLE_EQ(run->oneway_reverse().stats().delay().avg_ms(), 40.5);

  // Two hosts without synchronised clocks: the estimates correct the raw delays.
  client.offset_ms = 0.2;
  server.info.mutable_clock()->set_boot_id("7d0e2f4a-1b3c-4d5e-8f9a-0b1c2d3e4f50");
  run = RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->oneway_forward().clock().method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_TRUE(run->oneway_forward().clock().note().empty());
  EXPECT_DOUBLE_EQ(run->oneway_forward().stats().delay().avg_ms(), 8.7);
  EXPECT_DOUBLE_EQ(run->oneway_reverse().stats().delay().avg_ms(), 37.7);
}

TEST(OrchestratorTest, GivenReverseTargetWinsAndReflectFailureIsTolerated) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.reflect_status = absl::UnavailableError("no route");
  PairedTestPlan plan = Plan();
  plan.reverse_target = "198.51.100.200";
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->reverse_target(), "198.51.100.200");
  EXPECT_FALSE(run->reverse_target_reflected());
  EXPECT_EQ(server.trace_request.options().target(), "198.51.100.200");
}

TEST(OrchestratorTest, ReflectFailureWithoutReverseTargetIsAnError) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.reflect_status = absl::PermissionDeniedError("bad token");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("reverse target"));
  EXPECT_THAT(run.status().message(), HasSubstr("bad token"));
  EXPECT_THAT(run.status().message(), HasSubstr("--reverse-target"));
}

TEST(OrchestratorTest, UnreachableAgentIsAnErrorNamingIt) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.info_status = absl::UnavailableError("connection refused");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("agent.example:8620"));
  EXPECT_THAT(run.status().message(), HasSubstr("connection refused"));
}

TEST(OrchestratorTest, ServerFailingMidTestKeepsTheForwardResult) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.fail_trace_after_snapshots = 1;
  server.oneway_fails = true;
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(RunCompleteness(*run), Completeness::kPartial);
  EXPECT_TRUE(SideOk(run->client()));
  EXPECT_FALSE(SideOk(run->server()));
  EXPECT_THAT(run->server().error(), HasSubstr("lost the agent"));
  // The last snapshot the server sent is kept.
  ASSERT_TRUE(run->server().has_trace());
  EXPECT_EQ(run->server().trace().rounds(), 1);
  // The forward one-way direction was measured by the server: lost with it.
  ASSERT_TRUE(run->has_oneway_forward());
  EXPECT_THAT(run->oneway_forward().error(), HasSubstr("server side failed"));
  EXPECT_TRUE(run->oneway_reverse().error().empty());
  const std::vector<std::string> errors = RunErrors(*run);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr("reverse trace (server agent.example:8620)"));
}

TEST(OrchestratorTest, BothSidesFailingIsAFailure) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.fail_trace_after_snapshots = 0;
  server.fail_trace_after_snapshots = 0;
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(RunCompleteness(*run), Completeness::kFailed);
}

TEST(OrchestratorTest, CancellationStopsBothSidesAndKeepsWhatWasMeasured) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.trace_until_cancelled = true;
  server.trace_until_cancelled = true;
  client.oneway_until_cancelled = true;
  server.oneway_until_cancelled = true;
  CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.Cancel();
  });
  const auto begin = std::chrono::steady_clock::now();
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  const auto took = std::chrono::steady_clock::now() - begin;
  canceller.join();
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->interrupted());
  EXPECT_TRUE(client.saw_cancel);
  EXPECT_TRUE(server.saw_cancel);
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(RunCompleteness(*run), Completeness::kPartial);
  // Cancelled sides are not "failed": no error, their snapshots are kept.
  EXPECT_TRUE(run->client().error().empty());
  ASSERT_TRUE(run->client().has_trace());
  EXPECT_GE(run->client().trace().rounds(), 1);
  // No alias phase after an interruption.
  EXPECT_TRUE(client.alias_requests.empty());
  EXPECT_FALSE(run->has_client_aliases());
}

TEST(OrchestratorTest, ZeroRoundsIsRefused) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  PairedTestPlan plan = Plan();
  plan.probe.set_count(0);
  CancelToken cancel;
  EXPECT_FALSE(RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr).ok());
}

TEST(OrchestratorTest, OneWayCountFollowsTheTraceLength) {
  PairedTestPlan plan = Plan();
  plan.probe.set_count(10);
  plan.probe.set_interval_us(1'000'000);
  plan.oneway_interval = absl::Milliseconds(10);
  EXPECT_EQ(OneWayPacketCount(plan), 1000);
  plan.oneway_count = 50;
  EXPECT_EQ(OneWayPacketCount(plan), 50);
}

// A symmetric chain of Linux routers: each end sees a router under its own address.
void ChainEnds(FakeEndpoint& client, FakeEndpoint& server) {
  client.reflected_address = "198.51.100.1";
  client.hop_addresses = {"198.51.100.2", "198.51.100.6"};                  // then 203.0.113.80
  server.hop_addresses = {"198.51.100.9", "198.51.100.5", "198.51.100.2"};  // then the client
}

TEST(OrchestratorTest, EachEndResolvesTheOtherDirectionsAddresses) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  ChainEnds(client, server);
  client.aliases = {{"198.51.100.5", {"198.51.100.2", 1}}};
  server.aliases = {{"198.51.100.6", {"198.51.100.9", 2}}};
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();

  // The client resolves the reverse trace's routers it did not see itself (the shared
  // 198.51.100.2 and the client's own address need no probe), the server the forward trace's.
  ASSERT_EQ(client.alias_requests.size(), 1u);
  EXPECT_THAT(client.alias_requests[0].addresses(),
              ::testing::ElementsAre("198.51.100.9", "198.51.100.5"));
  EXPECT_EQ(client.alias_requests[0].pairing_id(), client.reflect_pairing);
  EXPECT_EQ(client.alias_requests[0].max_ttl(), 8);  // 3 forward hops + 4, at least 8
  ASSERT_EQ(server.alias_requests.size(), 1u);
  EXPECT_THAT(server.alias_requests[0].addresses(), ::testing::ElementsAre("198.51.100.6"));

  ASSERT_TRUE(run->has_client_aliases());
  ASSERT_EQ(run->client_aliases().resolutions_size(), 2);
  EXPECT_EQ(run->client_aliases().resolutions(1).reply_source(), "198.51.100.2");
  EXPECT_EQ(run->client_aliases().resolutions(0).method(), v1::ALIAS_METHOD_NONE);
  EXPECT_EQ(run->server_aliases().resolutions(0).reply_source(), "198.51.100.9");
  EXPECT_TRUE(run->client_aliases().error().empty());
  EXPECT_EQ(RunCompleteness(*run), Completeness::kComplete);
}

TEST(OrchestratorTest, AliasFailuresAreNotedWithoutFailingTheRun) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  ChainEnds(client, server);
  client.aliases_status = absl::PermissionDeniedError("no live pairing");
  server.aliases_status = absl::UnimplementedError("Method not found");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_THAT(run->client_aliases().error(),
              HasSubstr("the client side could not resolve router aliases: no live pairing"));
  EXPECT_THAT(run->server_aliases().error(), HasSubstr("an older version"));
  EXPECT_EQ(RunCompleteness(*run), Completeness::kComplete);
  EXPECT_TRUE(RunErrors(*run).empty());
}

TEST(OrchestratorTest, AliasPhaseCanBeLeftOut) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  ChainEnds(client, server);
  PairedTestPlan plan = Plan();
  plan.resolve_aliases = false;
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(client.alias_requests.empty());
  EXPECT_TRUE(server.alias_requests.empty());
  EXPECT_FALSE(run->has_client_aliases());
}

}  // namespace
}  // namespace pathpair::paired

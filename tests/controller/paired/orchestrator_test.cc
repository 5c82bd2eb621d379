#include "controller/paired/orchestrator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/synchronization/notification.h"
#include "controller/cli/trace_options.h"
#include "controller/paired/oneway_clock.h"
#include "controller/paired/paired_run.h"
#include "tests/controller/paired/fake_endpoint.h"

namespace pathpair::paired {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  // 0.2 s of traces: the 300 packets as close together as the agents allow, 1 ms.
  EXPECT_EQ(client.oneway_request.interval_us(), 1000);
  EXPECT_EQ(server.oneway_request.count(), 300);
  EXPECT_EQ(server.oneway_request.interval_us(), 1000);

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

TEST(OrchestratorTest, AServerBehindNatCallsTheClientAndItsPublicAddressIsTheForwardTarget) {
  FakeEndpoint client("dc");
  FakeEndpoint server("office");  // a dial-in agent: nothing can connect to it
  server.info.set_oneway_port(9100);
  client.info.set_oneway_port(9200);
  server.reflected_address = "203.0.113.1";  // the NAT's public address, as the client saw it
  PairedTestPlan plan = Plan();
  plan.server_behind_nat = true;
  plan.server_endpoint.clear();
  plan.forward_target.clear();
  plan.client_endpoint = "198.51.100.10:8620";
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run = RunPairedTest(plan, client, server, FakeDeps(), cancel, {});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(RunCompleteness(*run), Completeness::kComplete);
  // Reflect goes from the server side (inside) to the client agent; the client never connects.
  EXPECT_EQ(server.reflect_peer, "198.51.100.10:8620");
  EXPECT_TRUE(client.reflect_peer.empty());
  EXPECT_EQ(run->forward_target(), "203.0.113.1");
  EXPECT_EQ(run->reverse_target(), "198.51.100.10");
  EXPECT_EQ(client.trace_request.options().target(), "203.0.113.1");
  EXPECT_EQ(server.trace_request.options().target(), "198.51.100.10");
  EXPECT_EQ(client.trace_request.pairing_id(), server.reflect_pairing);
  EXPECT_EQ(client.oneway_request.peer_address(), "203.0.113.1");
  EXPECT_EQ(client.oneway_request.peer_port(), 9100);
  EXPECT_EQ(server.oneway_request.peer_address(), "198.51.100.10");
  EXPECT_EQ(server.oneway_request.peer_port(), 9200);

  // Without the client's endpoint, or with both ends behind NAT, nothing starts.
  plan.client_endpoint.clear();
  EXPECT_THAT(RunPairedTest(plan, client, server, FakeDeps(), cancel, {}).status().message(),
              HasSubstr("client_endpoint"));
  plan.client_endpoint = "198.51.100.10:8620";
  plan.client_behind_nat = true;
  EXPECT_THAT(RunPairedTest(plan, client, server, FakeDeps(), cancel, {}).status().message(),
              HasSubstr("both ends are behind NAT"));
  // A failed Reflect from inside names the client agent.
  plan.client_behind_nat = false;
  server.reflect_status = absl::UnavailableError("connection refused");
  absl::StatusOr<v1::PairedRun> failed =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, {});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("198.51.100.10:8620"));
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
  EXPECT_THAT(run.status().message(), Not(HasSubstr("--target ADDRESS")));
  // Without --target the forward target is the --server address: the error names --target
  // first (issue 15: it named only --reverse-target).
  PairedTestPlan plan = Plan();
  plan.forward_target_is_server = true;
  run = RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(),
              HasSubstr("203.0.113.80 is the --server address; give --target ADDRESS"));
}

TEST(OrchestratorTest, UnreachableAgentIsAnErrorNamingIt) {
  // The client end unreachable: nothing can run.
  FakeEndpoint client("client.example:8620");
  FakeEndpoint server("agent.example:8620");
  client.info_status = absl::UnavailableError("connection refused");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("client.example:8620"));
  EXPECT_THAT(run.status().message(), HasSubstr("connection refused"));
  // A server that refuses (bad token) is an error too: the user must fix it.
  client.info_status = absl::OkStatus();
  server.info_status = absl::UnauthenticatedError("bad bearer token");
  run = RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("agent.example:8620"));
  EXPECT_THAT(run.status().message(), HasSubstr("bad bearer token"));
}

TEST(OrchestratorTest, UnreachableServerRunsTheForwardTraceAloneAsAPartialRun) {
  // Issue 15: a black-holed path is exactly when a user needs the trace.
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.info_status = absl::DeadlineExceededError("Deadline Exceeded");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(RunCompleteness(*run), Completeness::kPartial);
  ASSERT_TRUE(run->client().has_trace());
  EXPECT_EQ(run->client().trace().rounds(), 3);
  EXPECT_FALSE(run->client().trace().incomplete());
  EXPECT_EQ(client.trace_request.options().target(), "203.0.113.80");
  EXPECT_FALSE(run->server().has_trace());
  EXPECT_THAT(run->server().error(), HasSubstr("agent.example:8620 did not answer Info"));
  EXPECT_THAT(run->server().error(), HasSubstr("Deadline Exceeded"));
  EXPECT_TRUE(run->oneway_forward().incomplete());
  EXPECT_TRUE(server.trace_request.options().target().empty());  // nothing asked of it
  EXPECT_TRUE(client.reflect_peer.empty());
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
  // The reverse direction, sent by the server, was measured by the client to the end of its
  // own schedule: its figures are kept, with why they are incomplete (issue 15).
  EXPECT_EQ(run->oneway_reverse().stats().sent(), 300);
  EXPECT_THAT(run->oneway_reverse().error(), HasSubstr("the server side, which sends"));
  const std::vector<std::string> errors = RunErrors(*run);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_THAT(errors[0], HasSubstr("reverse trace (server agent.example:8620)"));
  // Issue 15: whatever the server measured or sent is incomplete; the forward trace, which ran
  // to its end, is not.
  EXPECT_FALSE(run->client().trace().incomplete());
  EXPECT_TRUE(run->server().trace().incomplete());
  EXPECT_TRUE(run->oneway_forward().incomplete());
  EXPECT_TRUE(run->oneway_reverse().incomplete());
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
  // Both traces and both one-way directions were cut short; the one-way packets received
  // until Ctrl-C are kept (issue 15: they were thrown away).
  EXPECT_TRUE(run->client().trace().incomplete());
  EXPECT_TRUE(run->server().trace().incomplete());
  for (const v1::OneWayMeasurement* way : {&run->oneway_forward(), &run->oneway_reverse()}) {
    EXPECT_TRUE(way->incomplete());
    EXPECT_EQ(way->stats().sent(), 150);  // half of the 300 asked for, in the fake
    EXPECT_EQ(way->stats().received(), 150);
    EXPECT_THAT(way->error(), HasSubstr("interrupted"));
  }
}

TEST(OrchestratorTest, CompleteRunIsNotIncomplete) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->client().trace().incomplete());
  EXPECT_FALSE(run->server().trace().incomplete());
  EXPECT_FALSE(run->oneway_forward().incomplete());
  EXPECT_FALSE(run->oneway_reverse().incomplete());
}

TEST(OrchestratorTest, AnAgentWithoutRawSocketsRefusesTcpBeforeAnythingStarts) {
  // Issue 15: `pathpair test -T` against an agent that is not root failed only after the
  // one-way phase.
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.info.mutable_capabilities()->set_socket_mode(
      v1::Capabilities::SOCKET_MODE_UNPRIVILEGED_ICMP);
  server.info.mutable_capabilities()->add_protocols(v1::PROTOCOL_ICMP);
  PairedTestPlan plan = Plan();
  plan.probe.set_protocol(v1::PROTOCOL_TCP);
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(run.status().message(), HasSubstr("agent.example:8620 cannot send PROTOCOL_TCP"));
  EXPECT_THAT(run.status().message(), HasSubstr("CAP_NET_RAW"));
  EXPECT_EQ(server.oneway_request.count(), 0);  // nothing started
  EXPECT_EQ(client.oneway_request.count(), 0);
  EXPECT_TRUE(client.reflect_peer.empty());
  // ICMP it can do.
  plan.probe.set_protocol(v1::PROTOCOL_ICMP);
  EXPECT_TRUE(RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr).ok());
}

TEST(OrchestratorTest, ATlsMismatchIsOneHintNotGrpcsWords) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  CancelToken cancel;
  // TLS against a plaintext agent: BoringSSL's words.
  server.info_status = absl::UnavailableError(
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:203.0.113.80:8620: Ssl "
      "handshake failed: SSL_ERROR_SSL: error:100000f7:SSL routines:OPENSSL_internal:"
      "WRONG_VERSION_NUMBER");
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().message(),
            "server agent agent.example:8620 did not answer Info: the agent serves plaintext: use "
            "--insecure (or start the agent with TLS)");
  // Plaintext against a TLS agent: it closes the connection.
  server.info_status = absl::UnavailableError(
      "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:203.0.113.80:8620: "
      "Socket closed");
  PairedTestPlan plan = Plan();
  plan.insecure = true;
  run = RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(), HasSubstr("the agent may require TLS"));
  EXPECT_THAT(run.status().message(), Not(HasSubstr("Socket closed")));
  // Anything else keeps its own words (a server that cannot be reached at all is another
  // case: UnreachableServerRunsTheForwardTraceAloneAsAPartialRun).
  server.info_status = absl::UnauthenticatedError("bad bearer token");
  run = RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  EXPECT_THAT(run.status().message(), HasSubstr("bad bearer token"));
}

TEST(OrchestratorTest, ZeroRoundsIsRefused) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  PairedTestPlan plan = Plan();
  plan.probe.set_count(0);
  CancelToken cancel;
  EXPECT_FALSE(RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr).ok());
}

// Both ends are asked at once (each call may first connect): the client's Info returns only
// once the server's has started, which a sequential check would never see.
TEST(OrchestratorTest, BothEndsAreAskedForInfoAtOnce) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  absl::Notification server_asked;
  bool overlapped = false;
  server.on_info = [&] { server_asked.Notify(); };
  client.on_info = [&] {
    overlapped = server_asked.WaitForNotificationWithTimeout(absl::Seconds(10));
  };
  CancelToken cancel;
  ASSERT_TRUE(RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr).ok());
  EXPECT_TRUE(overlapped);
}

TEST(OrchestratorTest, OneWayScheduleFollowsTheTraceLength) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  PairedTestPlan plan = Plan();
  plan.probe.set_count(10);
  plan.probe.set_interval_us(1'000'000);
  plan.oneway_interval = absl::Milliseconds(10);
  CancelToken cancel;
  ASSERT_TRUE(RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr).ok());
  // 9 s of traces less 0.9 s of margin, at 10 ms (oneway_schedule_test.cc has the figures).
  for (const FakeEndpoint* end : {&client, &server}) {
    EXPECT_EQ(end->oneway_request.count(), 808);
    EXPECT_EQ(end->oneway_request.interval_us(), 10'000);
  }
  plan.oneway_count = 50;
  FakeEndpoint client2("local");
  FakeEndpoint server2("agent.example:8620");
  ASSERT_TRUE(RunPairedTest(plan, client2, server2, FakeDeps(), cancel, nullptr).ok());
  EXPECT_EQ(client2.oneway_request.count(), 50);
  EXPECT_EQ(server2.oneway_request.count(), 50);
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

// Many controllers at once (integration.test_many_controllers): an agent's limits refuse some
// runs at start. Those runs wait and try again instead of all failing together.
TEST(OrchestratorTest, RefusedStartIsTriedAgainUntilTheAgentsAccept) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.refuse_reflects = 2;
  server.refuse_oneways = 2;
  PairedTestPlan plan = Plan();
  plan.busy_wait = absl::Hours(1);
  plan.busy_backoff = absl::Milliseconds(1);
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(client.reflect_calls, 3);
  EXPECT_EQ(server.oneway_calls, 3);
  EXPECT_EQ(client.trace_calls, 3);  // the whole set of sessions starts again
  EXPECT_EQ(RunCompleteness(*run), Completeness::kComplete);
  EXPECT_TRUE(RunErrors(*run).empty());
  EXPECT_EQ(run->oneway_forward().stats().received(), 300);
}

TEST(OrchestratorTest, WithoutBusyWaitARefusalStandsAtOnce) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  server.refuse_oneways = 1;
  CancelToken cancel;
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(server.oneway_calls, 1);
  // The traces ran to their end; the refused half is the run's error, with the agent's reason.
  EXPECT_TRUE(run->client().trace().final());
  EXPECT_EQ(RunCompleteness(*run), Completeness::kPartial);
  EXPECT_THAT(run->oneway_reverse().error() + run->oneway_forward().error(),
              HasSubstr("busy with another measurement"));

  client.refuse_reflects = 1;
  run = RunPairedTest(Plan(), client, server, FakeDeps(), cancel, nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(absl::IsResourceExhausted(run.status())) << run.status();
  EXPECT_THAT(run.status().message(), HasSubstr("was refused: too many ReflectPeer calls"));
}

TEST(OrchestratorTest, ARefusedSessionStopsItsSiblingsAndCtrlCEndsTheWaiting) {
  FakeEndpoint client("local");
  FakeEndpoint server("agent.example:8620");
  client.trace_until_cancelled = true;  // would hold its attempt forever if not stopped
  server.refuse_oneways = -1;           // never accepts
  PairedTestPlan plan = Plan();
  plan.busy_wait = absl::Hours(1);
  plan.busy_backoff = absl::Milliseconds(1);
  CancelToken cancel;
  std::thread user([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Cancel();
  });
  absl::StatusOr<v1::PairedRun> run =
      RunPairedTest(plan, client, server, FakeDeps(), cancel, nullptr);
  user.join();
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_GT(client.trace_calls, 1);  // each refused attempt stopped the endless trace
  EXPECT_TRUE(run->interrupted());
}

TEST(CancelTokenTest, ChildrenFollowTheirParentButNotTheOtherWay) {
  CancelToken parent;
  {
    CancelToken child(&parent);
    child.Cancel();
    EXPECT_TRUE(child.cancelled());
    EXPECT_FALSE(parent.cancelled());
  }
  CancelToken child(&parent);
  CancelToken grandchild(&child);
  parent.Cancel();
  EXPECT_TRUE(child.cancelled());
  EXPECT_TRUE(grandchild.WaitFor(absl::ZeroDuration()));
  CancelToken late(&parent);  // made after the parent was cancelled
  EXPECT_TRUE(late.cancelled());
}

}  // namespace
}  // namespace pathpair::paired

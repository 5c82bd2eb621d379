// Root integration tests: real sockets, real kernel routers, inside namespaces made per test.
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/net/privileges.h"
#include "agent/net/socket_set.h"
#include "agent/net/socket_transport.h"
#include "agent/prober/prober.h"
#include "agent/prober/run_trace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::prober {
namespace {

using ::testing::HasSubstr;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

v1::ProbeOptions FastOptions(v1::Protocol protocol, int count) {
  v1::ProbeOptions options;
  options.set_protocol(protocol);
  options.set_count(count);
  options.set_interval_us(100'000);
  options.set_probe_timeout_us(1'000'000);
  options.set_grace_us(1'000'000);
  options.set_max_ttl(8);
  return options;
}

// A request with its local end looked up, as RunTrace and the agent do before AddTrace.
TraceRequest Resolved(const v1::ProbeOptions& options, const IpAddress& target) {
  TraceRequest request{.options = options, .target = target};
  const absl::Status status = ResolveLocalEnd(request);
  EXPECT_TRUE(status.ok()) << status;
  return request;
}

const char* ProtocolName(v1::Protocol p) {
  return p == v1::PROTOCOL_UDP ? "udp" : p == v1::PROTOCOL_TCP ? "tcp" : "icmp";
}

void ExpectTwoHops(const engine::TraceResult& result, const IpAddress& router,
                   const IpAddress& server, int count) {
  EXPECT_TRUE(result.final);
  EXPECT_TRUE(result.reached);
  EXPECT_EQ(result.error, "");
  ASSERT_EQ(result.hops.size(), 2u);
  ASSERT_FALSE(result.hops[0].responders.empty());
  ASSERT_FALSE(result.hops[1].responders.empty());
  EXPECT_EQ(result.hops[0].responders[0].address, router);
  EXPECT_EQ(result.hops[1].responders[0].address, server);
  for (const engine::HopResult& hop : result.hops) {
    EXPECT_EQ(hop.sent, count);
    EXPECT_EQ(hop.received, count);
    EXPECT_GE(hop.rtt.best, absl::ZeroDuration());
  }
  EXPECT_EQ(result.hops[1].termination, engine::HopTermination::kDestination);
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    // client -- router -- server (tests/topo/specs/two_hop.textproto).
    absl::StatusOr<topo::v1::Topology> spec = topo::LoadSpecFile(PATHPAIR_TWO_HOP_SPEC);
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<std::unique_ptr<topo::Topology>> path = topo::Topology::Up(*spec);
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *std::move(path);
  }
  std::unique_ptr<topo::Topology> path_;
};

struct PathCase {
  v1::Protocol protocol;
  bool ipv6;
};

class TwoHopTest : public NetnsTest, public ::testing::WithParamInterface<PathCase> {};

// Through Prober + SocketTransport, so the timestamp sources can be checked and reported.
TEST_P(TwoHopTest, ReachesTheServerThroughTheRouter) {
  const PathCase c = GetParam();
  const IpAddress server = c.ipv6 ? Addr("2001:db8:2::2") : Addr("203.0.113.2");
  const IpAddress router = c.ipv6 ? Addr("2001:db8:1::2") : Addr("198.51.100.2");
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  const v1::ProbeOptions options = FastOptions(c.protocol, 3);
  absl::StatusOr<net::SocketSet> sockets = net::OpenSocketSet(PlanFor(options, server.family()));
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  absl::StatusOr<std::unique_ptr<net::SocketTransport>> transport =
      net::SocketTransport::Create(*std::move(sockets));
  ASSERT_TRUE(transport.ok()) << transport.status();
  Prober prober(**transport, SystemClock::Get());
  std::optional<engine::TraceResult> result;
  TraceRequest request = Resolved(options, server);
  ASSERT_TRUE(
      prober
          .AddTrace(request, {.on_snapshot = nullptr,
                              .on_finished = [&](const engine::TraceResult& r) { result = r; }})
          .ok());
  ASSERT_TRUE(prober.Run().ok());
  ASSERT_TRUE(result.has_value());
  ExpectTwoHops(*result, router, server, 3);
  EXPECT_EQ(result->source_address, c.ipv6 ? Addr("2001:db8:1::1") : Addr("198.51.100.1"));

  const net::TimestampCounters& ts = (*transport)->timestamp_counters();
  auto mean_us = [](absl::Duration total, uint64_t n) {
    return n == 0 ? 0.0 : absl::ToDoubleMicroseconds(total) / static_cast<double>(n);
  };
  std::printf(
      "timestamps %s/%s: send kernel=%lu user=%lu (kernel stamp %.1f us before sendmsg "
      "returned), receive kernel=%lu user=%lu unstamped=%lu (kernel stamp %.1f us before recvmsg "
      "returned)\n",
      ProtocolName(c.protocol), c.ipv6 ? "v6" : "v4", ts.send_kernel, ts.send_user,
      mean_us(ts.send_kernel_lead, ts.send_kernel), ts.receive_kernel, ts.receive_user,
      ts.receive_unstamped, mean_us(ts.receive_kernel_lead, ts.receive_kernel));
  RecordProperty("send_kernel_stamps", static_cast<int>(ts.send_kernel));
  RecordProperty("receive_kernel_stamps", static_cast<int>(ts.receive_kernel));
  // Kernel software stamps work for raw sockets on the kernels we run (measured on 6.18).
  EXPECT_GT(ts.send_kernel, 0u);
  EXPECT_GT(ts.receive_kernel, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    AllProtocols, TwoHopTest,
    ::testing::Values(PathCase{v1::PROTOCOL_ICMP, false}, PathCase{v1::PROTOCOL_UDP, false},
                      PathCase{v1::PROTOCOL_TCP, false}, PathCase{v1::PROTOCOL_ICMP, true},
                      PathCase{v1::PROTOCOL_UDP, true}, PathCase{v1::PROTOCOL_TCP, true}),
    [](const ::testing::TestParamInfo<PathCase>& param_info) {
      return absl::StrCat(ProtocolName(param_info.param.protocol),
                          param_info.param.ipv6 ? "V6" : "V4");
    });

TEST_F(NetnsTest, RunTraceHonoursSourceInterfaceTosAndSize) {
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  v1::ProbeOptions options = FastOptions(v1::PROTOCOL_UDP, 2);
  options.set_source_address("198.51.100.1");
  options.set_interface("a0");
  options.set_tos(0x10);
  options.set_packet_size(200);
  options.set_bit_pattern(0xa5);
  options.set_fwmark(7);
  int snapshots = 0;
  absl::StatusOr<engine::TraceResult> result =
      RunTrace(options, Addr("203.0.113.2"), [&](const engine::TraceResult&) { ++snapshots; });
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectTwoHops(*result, Addr("198.51.100.2"), Addr("203.0.113.2"), 2);
  EXPECT_EQ(snapshots, 2);

  options.set_source_address("203.0.113.2");  // not an address of the client
  absl::StatusOr<engine::TraceResult> foreign = RunTrace(options, Addr("203.0.113.2"), nullptr);
  EXPECT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(), HasSubstr("203.0.113.2"));
}

// Loopback inside the client namespace: one hop, and our own echo requests, which the raw ICMP
// socket also sees, are not mistaken for replies.
TEST_F(NetnsTest, LoopbackTargetIsOneHopForEveryProtocol) {
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  for (const char* target : {"127.0.0.1", "::1"}) {
    for (v1::Protocol protocol : {v1::PROTOCOL_ICMP, v1::PROTOCOL_UDP, v1::PROTOCOL_TCP}) {
      SCOPED_TRACE(absl::StrCat(target, " ", ProtocolName(protocol)));
      absl::StatusOr<engine::TraceResult> result =
          RunTrace(FastOptions(protocol, 2), Addr(target), nullptr);
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_TRUE(result->reached);
      ASSERT_EQ(result->hops.size(), 1u);
      EXPECT_EQ(result->hops[0].sent, 2);
      EXPECT_EQ(result->hops[0].received, 2);
    }
  }
}

// What `pathpair trace` does on Ctrl-C: the flag is set (by a signal handler there, by a thread
// here) and RunTrace returns at once with the rounds so far: those whose probes are past their
// overdue time (1 s here, the -Z), so stopped at 1.45 s, the rounds of the first 0.45 s.
TEST_F(NetnsTest, RunTraceEndsWhenInterrupted) {
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  std::atomic<bool> interrupt{false};
  int snapshots = 0;
  std::thread stopper([&interrupt] {
    absl::SleepFor(absl::Milliseconds(1450));
    interrupt = true;
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<engine::TraceResult> result = RunTrace(
      FastOptions(v1::PROTOCOL_ICMP, 0), Addr("203.0.113.2"),
      [&snapshots](const engine::TraceResult&) { ++snapshots; }, &interrupt);
  stopper.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(result->error, "cancelled");
  EXPECT_TRUE(result->final);
  EXPECT_TRUE(result->interrupted);
  EXPECT_TRUE(result->reached);
  EXPECT_GE(snapshots, 3);
  EXPECT_GE(result->rounds, 2);
  EXPECT_GT(result->rounds_started, result->rounds);
  for (const engine::HopResult& hop : result->hops) {
    EXPECT_GE(hop.sent, result->rounds);
    EXPECT_EQ(hop.sent, hop.received);  // a clean path: nothing lost, nothing made up
  }
}

// The agent's case: sockets opened for everything, not bound to an interface; one trace asks
// for -I and its probes leave by that interface (per-packet IP_PKTINFO / IPV6_PKTINFO).
TEST_F(NetnsTest, PerTraceInterfaceOnSharedSockets) {
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  net::SocketPlan plan;
  plan.udp = true;
  plan.tcp = true;
  absl::StatusOr<net::SocketSet> sockets = net::OpenSocketSet(plan);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  auto transport = net::SocketTransport::Create(*std::move(sockets));
  ASSERT_TRUE(transport.ok());
  Prober prober(**transport, SystemClock::Get());
  std::optional<engine::TraceResult> v4, v6, wrong;
  for (auto [target, result, interface] :
       {std::tuple{"203.0.113.2", &v4, "a0"}, std::tuple{"2001:db8:2::2", &v6, "a0"},
        std::tuple{"203.0.113.2", &wrong, "lo"}}) {
    v1::ProbeOptions options = FastOptions(v1::PROTOCOL_TCP, 2);
    options.set_interface(interface);
    TraceRequest request = Resolved(options, Addr(target));
    absl::StatusOr<Prober::TraceId> id = prober.AddTrace(
        request, {.on_snapshot = nullptr,
                  .on_finished = [result](const engine::TraceResult& r) { *result = r; }});
    ASSERT_TRUE(id.ok()) << id.status();
  }
  ASSERT_TRUE(prober.Run().ok());
  ASSERT_TRUE(v4.has_value() && v6.has_value() && wrong.has_value());
  ExpectTwoHops(*v4, Addr("198.51.100.2"), Addr("203.0.113.2"), 2);
  ExpectTwoHops(*v6, Addr("2001:db8:1::2"), Addr("2001:db8:2::2"), 2);
  // Out by loopback, the probes never reach the path.
  EXPECT_FALSE(wrong->reached);
}

// -M: a firewall rule in the client namespace drops packets marked 42. A trace with that mark
// never gets past it, whether the mark is set on the sockets (RunTrace, as the CLI) or on each
// packet (shared sockets, as the agent); the same trace unmarked reaches the server.
TEST_F(NetnsTest, MarkIsAppliedOnSocketsAndPerPacket) {
  ASSERT_TRUE(path_
                  ->Exec(topo::kClient,
                         {"nft",
                          "add table inet pp; add chain inet pp out { type filter hook output "
                          "priority 0; }; add rule inet pp out meta mark 42 drop"})
                  .ok());
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  v1::ProbeOptions marked = FastOptions(v1::PROTOCOL_ICMP, 2);
  marked.set_fwmark(42);
  absl::StatusOr<engine::TraceResult> cli = RunTrace(marked, Addr("203.0.113.2"), nullptr);
  ASSERT_TRUE(cli.ok()) << cli.status();
  EXPECT_FALSE(cli->reached);

  net::SocketPlan plan;
  absl::StatusOr<net::SocketSet> sockets = net::OpenSocketSet(plan);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  auto transport = net::SocketTransport::Create(*std::move(sockets));
  ASSERT_TRUE(transport.ok());
  Prober prober(**transport, SystemClock::Get());
  std::optional<engine::TraceResult> with_mark, without_mark;
  for (auto [options, result] : {std::pair{marked, &with_mark},
                                 std::pair{FastOptions(v1::PROTOCOL_ICMP, 2), &without_mark}}) {
    TraceRequest request = Resolved(options, Addr("203.0.113.2"));
    ASSERT_TRUE(
        prober
            .AddTrace(request, {.on_snapshot = nullptr,
                                .on_finished = [result = result](
                                                   const engine::TraceResult& r) { *result = r; }})
            .ok());
  }
  ASSERT_TRUE(prober.Run().ok());
  ASSERT_TRUE(with_mark.has_value() && without_mark.has_value());
  EXPECT_FALSE(with_mark->reached);
  ExpectTwoHops(*without_mark, Addr("198.51.100.2"), Addr("203.0.113.2"), 2);
}

TEST_F(NetnsTest, TwoConcurrentTracesToOneTargetKeepExactCounts) {
  auto scope = path_->Enter(topo::kClient);
  ASSERT_TRUE(scope->ok());
  net::SocketPlan plan;
  plan.ipv4 = true;
  plan.ipv6 = false;
  plan.icmp = true;
  plan.udp = true;
  absl::StatusOr<net::SocketSet> sockets = net::OpenSocketSet(plan);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  auto transport = net::SocketTransport::Create(*std::move(sockets));
  ASSERT_TRUE(transport.ok());
  Prober prober(**transport, SystemClock::Get());
  std::vector<std::optional<engine::TraceResult>> results(3);
  const v1::Protocol protocols[] = {v1::PROTOCOL_ICMP, v1::PROTOCOL_ICMP, v1::PROTOCOL_UDP};
  for (int i = 0; i < 3; ++i) {
    TraceRequest request = Resolved(FastOptions(protocols[i], 5), Addr("203.0.113.2"));
    ASSERT_TRUE(prober
                    .AddTrace(request,
                              {.on_snapshot = nullptr,
                               .on_finished =
                                   [&results, i](const engine::TraceResult& r) { results[i] = r; }})
                    .ok());
  }
  ASSERT_TRUE(prober.Run().ok());
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(results[i].has_value());
    ExpectTwoHops(*results[i], Addr("198.51.100.2"), Addr("203.0.113.2"), 5);
  }
  // Every reply went to exactly one trace.
  EXPECT_EQ(prober.counters().replies_routed, prober.counters().probes_sent);
}

// Runs `body` in a child process without CAP_NET_RAW, inside the client namespace; returns what
// the child printed (one line) or an error description.
std::string InChildWithoutNetRaw(const topo::Topology& path,
                                 const std::function<std::string()>& body) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    std::string out;
    topo::NamespaceScope scope(path.NamespaceFile(topo::kClient));
    cap_t caps = cap_get_proc();
    const cap_value_t raw[] = {CAP_NET_RAW};
    if (!scope.ok() || caps == nullptr ||
        cap_set_flag(caps, CAP_EFFECTIVE, 1, raw, CAP_CLEAR) != 0 ||
        cap_set_flag(caps, CAP_PERMITTED, 1, raw, CAP_CLEAR) != 0 || cap_set_proc(caps) != 0) {
      out = "child setup failed";
    } else {
      out = body();
    }
    (void)!write(pipe_fds[1], out.data(), out.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

std::string Describe(const absl::StatusOr<engine::TraceResult>& result) {
  if (!result.ok()) return absl::StrCat("error: ", result.status().message());
  std::string out = absl::StrCat("reached=", result->reached, " hops=");
  for (const engine::HopResult& hop : result->hops) {
    absl::StrAppend(&out, hop.responders.empty() ? "?" : hop.responders[0].address.ToString(), "/",
                    hop.received, "of", hop.sent, " ");
  }
  return out;
}

TEST_F(NetnsTest, WithoutNetRawIcmpFallsBackToDatagramSockets) {
  ASSERT_TRUE(
      path_->Exec(topo::kClient, {"sysctl", "-w", "net.ipv4.ping_group_range=0 2147483647"}).ok());
  const std::string v4 = InChildWithoutNetRaw(*path_, [] {
    absl::StatusOr<net::SocketSet> set =
        net::OpenSocketSet(PlanFor(FastOptions(v1::PROTOCOL_ICMP, 3), IpFamily::kV4));
    if (!set.ok()) return absl::StrCat("open: ", set.status().message());
    if (set->mode != net::SocketMode::kUnprivilegedIcmp) return std::string("raw sockets opened");
    return Describe(RunTrace(FastOptions(v1::PROTOCOL_ICMP, 3), Addr("203.0.113.2"), nullptr));
  });
  EXPECT_EQ(v4, "reached=1 hops=198.51.100.2/3of3 203.0.113.2/3of3 ");
  const std::string v6 = InChildWithoutNetRaw(*path_, [] {
    return Describe(RunTrace(FastOptions(v1::PROTOCOL_ICMP, 3), Addr("2001:db8:2::2"), nullptr));
  });
  EXPECT_EQ(v6, "reached=1 hops=2001:db8:1::2/3of3 2001:db8:2::2/3of3 ");
  const std::string udp = InChildWithoutNetRaw(*path_, [] {
    return Describe(RunTrace(FastOptions(v1::PROTOCOL_UDP, 1), Addr("203.0.113.2"), nullptr));
  });
  EXPECT_THAT(udp, HasSubstr("CAP_NET_RAW"));
  // The agent's plan (everything) falls back to ICMP only, and refuses UDP traces clearly.
  const std::string agent_plan = InChildWithoutNetRaw(*path_, [] {
    net::SocketPlan plan;
    plan.udp = true;
    plan.tcp = true;
    absl::StatusOr<net::SocketSet> set = net::OpenSocketSet(plan);
    if (!set.ok()) return absl::StrCat("open: ", set.status().message());
    auto transport = net::SocketTransport::Create(*std::move(set));
    if (!transport.ok()) return std::string("transport failed");
    Prober prober(**transport, SystemClock::Get());
    TraceRequest request = Resolved(FastOptions(v1::PROTOCOL_UDP, 1), Addr("203.0.113.2"));
    absl::StatusOr<Prober::TraceId> udp_trace = prober.AddTrace(request, {});
    const net::TransportCapabilities caps = (*transport)->capabilities();
    return absl::StrCat("unprivileged=", caps.unprivileged, " icmp=", caps.icmp, " udp=", caps.udp,
                        " ", udp_trace.status().message());
  });
  EXPECT_THAT(agent_plan, HasSubstr("unprivileged=1 icmp=1 udp=0 "));
  EXPECT_THAT(agent_plan, HasSubstr("CAP_NET_RAW"));
}

// The privileged seam: a process opens its sockets, becomes an unprivileged user without any
// capability, and still traces.
TEST_F(NetnsTest, TracesAfterDroppingEveryCapability) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    std::string result;
    topo::NamespaceScope scope(path_->NamespaceFile(topo::kClient));
    net::SocketPlan plan = PlanFor(FastOptions(v1::PROTOCOL_UDP, 2), IpFamily::kV4);
    absl::StatusOr<net::SocketSet> sockets = net::OpenSocketSet(plan);
    if (!scope.ok() || !sockets.ok()) {
      result = "open failed";
    } else if (absl::StatusOr<net::DroppedPrivileges> dropped = net::DropPrivileges();
               !dropped.ok()) {
      result = absl::StrCat("drop failed: ", dropped.status().message());
    } else if (getuid() == 0 || socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) >= 0) {
      result = "still privileged";
    } else {
      result = Describe(RunTrace(*std::move(sockets), FastOptions(v1::PROTOCOL_UDP, 2),
                                 Addr("203.0.113.2"), nullptr));
    }
    (void)!write(pipe_fds[1], result.data(), result.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string out_text;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) out_text.append(buffer, n);
  close(pipe_fds[0]);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(out_text, "reached=1 hops=198.51.100.2/2of2 203.0.113.2/2of2 ");
}

TEST_F(NetnsTest, WithoutNetRawOrPingGroupTheErrorNamesBoth) {
  ASSERT_TRUE(path_->Exec(topo::kClient, {"sysctl", "-w", "net.ipv4.ping_group_range=1 0"}).ok());
  const std::string out = InChildWithoutNetRaw(*path_, [] {
    return Describe(RunTrace(FastOptions(v1::PROTOCOL_ICMP, 1), Addr("203.0.113.2"), nullptr));
  });
  EXPECT_THAT(out, HasSubstr("CAP_NET_RAW"));
  EXPECT_THAT(out, HasSubstr("net.ipv4.ping_group_range is \"1\t0\""));
}

}  // namespace
}  // namespace pathpair::prober

#include "agent/prober/prober.h"

#include <sys/socket.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/net/fake_sys_calls.h"
#include "tests/agent/prober/fake_transport.h"

namespace pathpair::prober {
namespace {

using ::testing::HasSubstr;

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

struct Outcome {
  std::vector<engine::TraceResult> snapshots;
  std::optional<engine::TraceResult> final_result;
};

class ProberTest : public ::testing::Test {
 protected:
  ProberTest() : net_(clock_), prober_(net_, clock_, DeterministicRandom()) {
    net_.AddPath(Addr("203.0.113.9"), {Addr("198.51.100.1"), Addr("198.51.100.2")});
    net_.AddPath(Addr("203.0.113.77"),
                 {Addr("198.51.100.1"), Addr("198.51.100.5"), Addr("198.51.100.6")});
    net_.AddPath(Addr("2001:db8:9::9"), {Addr("2001:db8:1::1"), Addr("2001:db8:2::1")});
  }

  static std::function<uint32_t()> DeterministicRandom() {
    auto state = std::make_shared<uint32_t>(12345);
    return [state] {
      *state = *state * 1103515245u + 12345u;
      return *state >> 8;
    };
  }

  static v1::ProbeOptions Options(int count, v1::Protocol protocol = v1::PROTOCOL_ICMP) {
    v1::ProbeOptions options;
    options.set_count(count);
    options.set_protocol(protocol);
    options.set_interval_us(1'000'000);
    options.set_probe_timeout_us(2'000'000);
    options.set_grace_us(2'000'000);
    return options;
  }

  absl::StatusOr<Prober::TraceId> Add(const v1::ProbeOptions& options, const IpAddress& target,
                                      Outcome& outcome) {
    TraceRequest request;
    request.options = options;
    request.target = target;
    request.source = target.is_v4() ? Addr("198.51.100.100") : Addr("2001:db8:1::100");
    TraceCallbacks callbacks;
    callbacks.on_snapshot = [&outcome](const engine::TraceResult& r) {
      outcome.snapshots.push_back(r);
    };
    callbacks.on_finished = [&outcome](const engine::TraceResult& r) {
      EXPECT_FALSE(outcome.final_result.has_value()) << "on_finished ran twice";
      outcome.final_result = r;
    };
    return prober_.AddTrace(request, std::move(callbacks));
  }

  // Runs the loop on the fake clock until no trace is left or `until` is reached.
  void RunUntil(MonoTime until = MonoTime::Infinite()) {
    for (int turns = 0; turns < 100000 && prober_.active_traces() > 0; ++turns) {
      const MonoTime next = std::min(prober_.Step(), net_.NextArrival());
      if (next > until) {
        clock_.Set(until);
        prober_.Step();
        return;
      }
      if (next > clock_.Now()) clock_.Set(next);
    }
  }

  int SentTo(const IpAddress& target) const {
    int n = 0;
    for (const SentRecord& r : net_.sent()) n += r.probe.destination == target ? 1 : 0;
    return n;
  }

  FakeClock clock_;
  FakeTransport net_;
  Prober prober_;
};

void ExpectFullPath(const engine::TraceResult& result, const std::vector<IpAddress>& hops,
                    int count) {
  EXPECT_TRUE(result.final);
  EXPECT_TRUE(result.reached);
  EXPECT_EQ(result.error, "");
  ASSERT_EQ(result.hops.size(), hops.size());
  for (size_t i = 0; i < hops.size(); ++i) {
    const engine::HopResult& hop = result.hops[i];
    EXPECT_EQ(hop.ttl.value(), static_cast<int>(i) + 1);
    EXPECT_EQ(hop.sent, count) << "ttl " << i + 1;
    EXPECT_EQ(hop.received, count) << "ttl " << i + 1;
    ASSERT_EQ(hop.responders.size(), 1u);
    EXPECT_EQ(hop.responders[0].address, hops[i]);
  }
}

TEST_F(ProberTest, IcmpTraceReachesTheTargetWithExactCounts) {
  Outcome outcome;
  ASSERT_TRUE(Add(Options(3), Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  ExpectFullPath(*outcome.final_result,
                 {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 3);
  // One ms per hop, measured on the fake clock.
  EXPECT_EQ(outcome.final_result->hops[2].rtt.last, absl::Milliseconds(3));
  EXPECT_EQ(outcome.final_result->source_address, Addr("198.51.100.100"));
  EXPECT_EQ(prober_.active_traces(), 0u);
}

TEST_F(ProberTest, UdpTcpAndIpv6AllReachTheTarget) {
  struct Case {
    v1::Protocol protocol;
    IpAddress target;
    std::vector<IpAddress> hops;
  };
  const std::vector<Case> cases = {
      {v1::PROTOCOL_UDP,
       Addr("203.0.113.9"),
       {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}},
      {v1::PROTOCOL_TCP,
       Addr("203.0.113.9"),
       {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}},
      {v1::PROTOCOL_ICMP,
       Addr("2001:db8:9::9"),
       {Addr("2001:db8:1::1"), Addr("2001:db8:2::1"), Addr("2001:db8:9::9")}},
      {v1::PROTOCOL_UDP,
       Addr("2001:db8:9::9"),
       {Addr("2001:db8:1::1"), Addr("2001:db8:2::1"), Addr("2001:db8:9::9")}},
      {v1::PROTOCOL_TCP,
       Addr("2001:db8:9::9"),
       {Addr("2001:db8:1::1"), Addr("2001:db8:2::1"), Addr("2001:db8:9::9")}},
  };
  // All at once, over the one transport.
  std::vector<Outcome> outcomes(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    absl::StatusOr<Prober::TraceId> id =
        Add(Options(2, cases[i].protocol), cases[i].target, outcomes[i]);
    ASSERT_TRUE(id.ok()) << id.status();
  }
  RunUntil();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(outcomes[i].final_result.has_value());
    ExpectFullPath(*outcomes[i].final_result, cases[i].hops, 2);
  }
}

TEST_F(ProberTest, ManyConcurrentTracesToTheSameTargetKeepExactCounts) {
  constexpr int kTraces = 60;
  std::vector<Outcome> outcomes(kTraces);
  const v1::Protocol protocols[] = {v1::PROTOCOL_ICMP, v1::PROTOCOL_UDP, v1::PROTOCOL_TCP};
  for (int i = 0; i < kTraces; ++i) {
    ASSERT_TRUE(Add(Options(4, protocols[i % 3]), Addr("203.0.113.9"), outcomes[i]).ok());
  }
  RunUntil();
  int64_t total_sent = 0;
  for (int i = 0; i < kTraces; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(outcomes[i].final_result.has_value());
    ExpectFullPath(*outcomes[i].final_result,
                   {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 4);
    for (const engine::HopResult& hop : outcomes[i].final_result->hops) total_sent += hop.sent;
  }
  // Round 0 sweeps and stops at the target, which answers within a pacing step: the listed hops
  // account for every probe, and every probe's reply was routed to its trace.
  EXPECT_EQ(total_sent, static_cast<int64_t>(net_.sent().size()));
  EXPECT_EQ(total_sent, int64_t{kTraces} * 4 * 3);
  EXPECT_EQ(prober_.counters().replies_routed, net_.sent().size());
  EXPECT_EQ(prober_.counters().packets_foreign, 0u);
}

TEST_F(ProberTest, SnapshotsArriveEachRound) {
  Outcome outcome;
  ASSERT_TRUE(Add(Options(5), Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_EQ(outcome.snapshots.size(), 5u);
  int previous_rounds = -1;
  for (const engine::TraceResult& s : outcome.snapshots) {
    EXPECT_FALSE(s.final);
    EXPECT_GE(s.rounds, previous_rounds);
    previous_rounds = s.rounds;
  }
  EXPECT_EQ(outcome.final_result->rounds, 5);
}

TEST_F(ProberTest, CancelStopsProbesAtOnceAndLeavesOthersRunning) {
  Outcome cancelled;
  Outcome other;
  absl::StatusOr<Prober::TraceId> a = Add(Options(0), Addr("203.0.113.9"), cancelled);
  absl::StatusOr<Prober::TraceId> b = Add(Options(0), Addr("203.0.113.77"), other);
  ASSERT_TRUE(a.ok() && b.ok());
  RunUntil(clock_.Now() + absl::Milliseconds(2500));  // rounds at 0, 1 s, 2 s
  const int sent_before = SentTo(Addr("203.0.113.9"));
  EXPECT_EQ(sent_before, 9);  // three rounds of three hops, none past the target

  prober_.Cancel(*a);
  ASSERT_TRUE(cancelled.final_result.has_value());  // synchronously
  EXPECT_TRUE(cancelled.final_result->final);
  EXPECT_EQ(cancelled.final_result->error, "cancelled");
  // Honest figures: rounds 0 and 1 are past their overdue time (1 s), round 2 (at 2 s) is not
  // and is left out.
  EXPECT_TRUE(cancelled.final_result->interrupted);
  EXPECT_TRUE(cancelled.final_result->incomplete);
  EXPECT_EQ(cancelled.final_result->rounds, 2);
  EXPECT_EQ(cancelled.final_result->rounds_started, 3);
  for (const engine::HopResult& hop : cancelled.final_result->hops) {
    EXPECT_EQ(hop.sent, 2);
    EXPECT_EQ(hop.received, 2);
  }
  EXPECT_EQ(prober_.active_traces(), 1u);

  RunUntil(clock_.Now() + absl::Seconds(3));
  EXPECT_EQ(SentTo(Addr("203.0.113.9")), sent_before);
  EXPECT_GT(SentTo(Addr("203.0.113.77")), 12);
  EXPECT_FALSE(other.final_result.has_value());

  prober_.Stop(*b);  // graceful: in-flight probes resolve, then it finishes
  RunUntil();
  ASSERT_TRUE(other.final_result.has_value());
  EXPECT_EQ(other.final_result->error, "");
  EXPECT_TRUE(other.final_result->reached);
  for (const engine::HopResult& hop : other.final_result->hops) {
    EXPECT_EQ(hop.sent, hop.received);
  }
  prober_.Cancel(*a);  // unknown by now: ignored
}

TEST_F(ProberTest, PauseFlagStopsEveryRoundUntilCleared) {
  std::atomic<bool> pause{false};
  prober_.set_pause_flag(&pause);
  Outcome outcome;
  ASSERT_TRUE(Add(Options(0), Addr("203.0.113.9"), outcome).ok());
  RunUntil(clock_.Now() + absl::Milliseconds(1500));  // rounds at 0 and 1 s
  const int sent_before = SentTo(Addr("203.0.113.9"));
  EXPECT_GT(sent_before, 0);
  const uint64_t counter_before = prober_.counters().probes_sent;

  pause = true;
  RunUntil(clock_.Now() + absl::Seconds(10));
  EXPECT_EQ(SentTo(Addr("203.0.113.9")), sent_before);
  EXPECT_EQ(prober_.counters().probes_sent, counter_before);
  EXPECT_FALSE(outcome.final_result.has_value());

  // A trace added while paused waits too.
  Outcome later;
  ASSERT_TRUE(Add(Options(1), Addr("203.0.113.77"), later).ok());
  RunUntil(clock_.Now() + absl::Seconds(3));
  EXPECT_EQ(SentTo(Addr("203.0.113.77")), 0);

  pause = false;
  RunUntil(clock_.Now() + absl::Milliseconds(500));
  EXPECT_GT(SentTo(Addr("203.0.113.9")), sent_before);
  EXPECT_GT(SentTo(Addr("203.0.113.77")), 0);
}

// Issue 15: Ctrl-C (Cancel) on a lossy path. Probes are lost at TTL 2 every other round; -Z is
// 10 s, so without the overdue rule every lost probe would still be "in flight" and left out.
TEST_F(ProberTest, CancelOnALossyPathShowsTheLoss) {
  int ttl2_seen = 0;
  net_.set_drop(
      [&ttl2_seen](const SentRecord& r) { return r.probe.ttl == 2 && (ttl2_seen++ % 2 == 0); });
  v1::ProbeOptions options = Options(50);
  options.set_interval_us(200'000);
  options.set_probe_timeout_us(10'000'000);
  Outcome outcome;
  absl::StatusOr<Prober::TraceId> id = Add(options, Addr("203.0.113.9"), outcome);
  ASSERT_TRUE(id.ok());
  RunUntil(clock_.Now() + absl::Milliseconds(3500));
  ASSERT_FALSE(outcome.snapshots.empty());
  const engine::TraceResult& live = outcome.snapshots.back();
  EXPECT_GT(live.hops[1].sent - live.hops[1].received, 0);  // the live figures show it too
  prober_.Cancel(*id);
  ASSERT_TRUE(outcome.final_result.has_value());
  const engine::TraceResult& result = *outcome.final_result;
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(result.rounds_started, 18);  // at 0, 0.2, ..., 3.4 s
  EXPECT_EQ(result.rounds, 13);          // those sent by 2.5 s: 1 s old
  ASSERT_EQ(result.hops.size(), 3u);
  EXPECT_EQ(result.hops[1].sent, 13);
  EXPECT_EQ(result.hops[1].received, 6);  // rounds 1, 3, ..., 11
  EXPECT_EQ(result.hops[2].received, 13);
}

TEST_F(ProberTest, ForeignAndMalformedPacketsAreCountedNotDelivered) {
  Outcome outcome;
  ASSERT_TRUE(Add(Options(2), Addr("203.0.113.9"), outcome).ok());
  // Garbage, and an echo reply with an identifier nobody uses.
  net::ReceivedPacket garbage;
  garbage.bytes = {0x45, 0, 0, 3};
  garbage.received_at = clock_.Now();
  net_.Inject(garbage);
  net::OutgoingProbe foreign_probe;
  foreign_probe.source = Addr("198.51.100.100");
  foreign_probe.destination = Addr("203.0.113.9");
  const std::vector<uint8_t> foreign_echo = {8, 0, 0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01};
  foreign_probe.bytes = foreign_echo;
  net_.Inject(MakeReply(foreign_probe, Addr("203.0.113.9"), true, clock_.Now()));
  RunUntil();
  EXPECT_EQ(prober_.counters().packets_unparsed, 1u);
  EXPECT_EQ(prober_.counters().packets_foreign, 1u);
  ASSERT_TRUE(outcome.final_result.has_value());
  ExpectFullPath(*outcome.final_result,
                 {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 2);
}

TEST_F(ProberTest, LossAtOneHopIsCountedThere) {
  int ttl2_seen = 0;
  net_.set_drop(
      [&ttl2_seen](const SentRecord& r) { return r.probe.ttl == 2 && (ttl2_seen++ % 2 == 0); });
  Outcome outcome;
  ASSERT_TRUE(Add(Options(4), Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  const auto& hops = outcome.final_result->hops;
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].received, 4);
  EXPECT_EQ(hops[1].sent, 4);
  EXPECT_EQ(hops[1].received, 2);
  EXPECT_EQ(hops[2].received, 4);
}

TEST_F(ProberTest, SendFailuresEndAsLossWithTheReason) {
  net_.set_fail_sends(true);
  Outcome outcome;
  ASSERT_TRUE(Add(Options(2), Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  EXPECT_FALSE(outcome.final_result->reached);
  EXPECT_THAT(outcome.final_result->error, HasSubstr("unreachable"));
  EXPECT_GT(prober_.counters().send_failures, 0u);
}

TEST_F(ProberTest, BadOptionsAreRejectedAndLeaveNothingBehind) {
  Outcome outcome;
  v1::ProbeOptions tos = Options(1);
  tos.set_tos(300);
  EXPECT_EQ(Add(tos, Addr("203.0.113.9"), outcome).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::ProbeOptions pattern = Options(1);
  pattern.set_bit_pattern(-1);
  EXPECT_EQ(Add(pattern, Addr("203.0.113.9"), outcome).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::ProbeOptions v6_only = Options(1);
  v6_only.set_ip_version(6);
  EXPECT_EQ(Add(v6_only, Addr("203.0.113.9"), outcome).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::ProbeOptions negative_count = Options(-1);
  EXPECT_EQ(Add(negative_count, Addr("203.0.113.9"), outcome).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prober_.active_traces(), 0u);
}

TEST_F(ProberTest, UnprivilegedTransportRefusesUdpWithAClearMessage) {
  net_.set_capabilities({.ipv4 = true,
                         .ipv6 = false,
                         .icmp = true,
                         .udp = false,
                         .tcp = false,
                         .unprivileged = true});
  Outcome outcome;
  absl::StatusOr<Prober::TraceId> udp =
      Add(Options(1, v1::PROTOCOL_UDP), Addr("203.0.113.9"), outcome);
  EXPECT_EQ(udp.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(udp.status().message(), HasSubstr("CAP_NET_RAW"));
  EXPECT_EQ(Add(Options(1), Addr("2001:db8:9::9"), outcome).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Add(Options(1), Addr("203.0.113.9"), outcome).ok());
}

TEST_F(ProberTest, SeveralFlowsChangeTheSourcePortPerRoundOnly) {
  v1::ProbeOptions options = Options(8, v1::PROTOCOL_UDP);
  options.set_flows(4);
  Outcome outcome;
  ASSERT_TRUE(Add(options, Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  ExpectFullPath(*outcome.final_result,
                 {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 8);
  // Probes of one round share a source port; rounds cycle through 4 ports. A round starts at
  // TTL 1 (round 0 sweeps one TTL at a time, later rounds send theirs at once).
  std::vector<std::set<uint16_t>> ports_by_round;
  for (const SentRecord& r : net_.sent()) {
    ASSERT_GE(r.bytes.size(), 2u);
    if (r.probe.ttl == 1) ports_by_round.emplace_back();
    ASSERT_FALSE(ports_by_round.empty());
    ports_by_round.back().insert(static_cast<uint16_t>((r.bytes[0] << 8) | r.bytes[1]));
  }
  ASSERT_EQ(ports_by_round.size(), 8u);
  std::vector<uint16_t> round_ports;
  for (const std::set<uint16_t>& ports : ports_by_round) {
    ASSERT_EQ(ports.size(), 1u);
    round_ports.push_back(*ports.begin());
  }
  EXPECT_EQ(std::set<uint16_t>(round_ports.begin(), round_ports.end()).size(), 4u);
  for (size_t i = 4; i < round_ports.size(); ++i) EXPECT_EQ(round_ports[i], round_ports[i - 4]);
}

TEST_F(ProberTest, UnprivilegedIcmpRefusesSeveralFlows) {
  net_.set_capabilities({.ipv4 = true,
                         .ipv6 = false,
                         .icmp = true,
                         .udp = false,
                         .tcp = false,
                         .unprivileged = true});
  v1::ProbeOptions options = Options(1);
  options.set_flows(2);
  Outcome outcome;
  absl::StatusOr<Prober::TraceId> id = Add(options, Addr("203.0.113.9"), outcome);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(id.status().message(), HasSubstr("--flows"));
  EXPECT_EQ(prober_.active_traces(), 0u);
}

// The local end (source address, -I's interface index) is looked up by ResolveLocalEnd on the
// caller's thread, through the OS seam; AddTrace, which runs in the loop, only checks it.
TEST_F(ProberTest, LocalEndIsResolvedOutsideTheLoopAndRidesOnEachProbe) {
  net::FakeSysCalls kernel;
  kernel.SetRouteSource(Addr("198.51.100.42"));
  kernel.AddInterface("eth1", 7);
  TraceRequest request;
  request.options = Options(1);
  request.options.set_interface("eth1");
  request.target = Addr("203.0.113.9");
  ASSERT_TRUE(ResolveLocalEnd(request, kernel).ok());
  EXPECT_EQ(request.source, Addr("198.51.100.42"));
  EXPECT_EQ(request.interface_index, 7u);
  // The routing decision was asked on the interface (-I).
  ASSERT_EQ(kernel.closed_sockets().size(), 1u);
  const auto bound = kernel.closed_sockets()[0].options.find({SOL_SOCKET, SO_BINDTODEVICE});
  ASSERT_NE(bound, kernel.closed_sockets()[0].options.end());
  EXPECT_EQ(std::string(bound->second.begin(), bound->second.end()), "eth1");

  ASSERT_TRUE(prober_.AddTrace(request, {}).ok());
  prober_.Step();
  ASSERT_FALSE(net_.sent().empty());
  EXPECT_EQ(net_.sent().back().probe.source, Addr("198.51.100.42"));
  // -I also rides on each probe, since the sockets are shared.
  EXPECT_EQ(net_.sent().back().probe.interface_index, 7u);

  TraceRequest unknown = request;
  unknown.source.reset();
  unknown.options.set_interface("no-such-if0");
  const absl::Status unknown_status = ResolveLocalEnd(unknown, kernel);
  EXPECT_EQ(unknown_status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown_status.message(), HasSubstr("no-such-if0"));

  TraceRequest bad_source = request;
  bad_source.source.reset();
  bad_source.options.set_interface("");
  bad_source.options.set_source_address("not an address");
  EXPECT_FALSE(ResolveLocalEnd(bad_source, kernel).ok());

  // A source given by the caller is kept; nothing is looked up for it.
  TraceRequest given = request;
  given.source = Addr("198.51.100.100");
  given.options.set_interface("");
  ASSERT_TRUE(ResolveLocalEnd(given, kernel).ok());
  EXPECT_EQ(given.source, Addr("198.51.100.100"));
  EXPECT_EQ(kernel.sockets_opened(), 1);
}

TEST_F(ProberTest, AddTraceRefusesAnUnresolvedLocalEnd) {
  TraceRequest request;
  request.options = Options(1);
  request.target = Addr("203.0.113.9");
  absl::StatusOr<Prober::TraceId> no_source = prober_.AddTrace(request, {});
  EXPECT_EQ(no_source.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_source.status().message(), HasSubstr("ResolveLocalEnd"));

  request.source = Addr("198.51.100.100");
  request.options.set_interface("eth1");  // and no interface_index
  absl::StatusOr<Prober::TraceId> no_index = prober_.AddTrace(request, {});
  EXPECT_EQ(no_index.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_index.status().message(), HasSubstr("eth1"));

  request.options.set_interface("");
  request.source = Addr("2001:db8:1::100");
  EXPECT_EQ(prober_.AddTrace(request, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prober_.active_traces(), 0u);
}

TEST_F(ProberTest, FastIntervalWithSmallMaxTtl) {
  v1::ProbeOptions options = Options(3);
  options.set_interval_us(100'000);
  options.set_probe_timeout_us(1'000'000);
  options.set_grace_us(1'000'000);
  options.set_max_ttl(8);
  Outcome outcome;
  ASSERT_TRUE(Add(options, Addr("203.0.113.9"), outcome).ok());
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  ExpectFullPath(*outcome.final_result,
                 {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 3);
}

TEST_F(ProberTest, ACallbackMayCancelItsOwnTrace) {
  std::optional<Prober::TraceId> id;
  int snapshots = 0;
  std::optional<engine::TraceResult> final_result;
  TraceRequest request;
  request.options = Options(0);
  request.target = Addr("203.0.113.9");
  request.source = Addr("198.51.100.100");
  TraceCallbacks callbacks;
  callbacks.on_snapshot = [&](const engine::TraceResult&) {
    if (++snapshots == 2) prober_.Cancel(*id);
  };
  callbacks.on_finished = [&](const engine::TraceResult& r) { final_result = r; };
  absl::StatusOr<Prober::TraceId> added = prober_.AddTrace(request, std::move(callbacks));
  ASSERT_TRUE(added.ok());
  id = *added;
  RunUntil(clock_.Now() + absl::Seconds(10));
  EXPECT_EQ(snapshots, 2);
  ASSERT_TRUE(final_result.has_value());
  EXPECT_EQ(final_result->error, "cancelled");
  EXPECT_EQ(prober_.active_traces(), 0u);
}

// Records the probe-event hook's calls (what mtr -l prints).
class RecordingSink : public ProbeEventSink {
 public:
  struct Sent {
    int ttl;
    uint16_t sequence;
  };
  struct Reply {
    int ttl;
    uint16_t sequence;
    IpAddress responder;
    absl::Duration rtt;
  };
  void OnProbeSent(int ttl, uint16_t sequence, MonoTime) override {
    sent.push_back({ttl, sequence});
  }
  void OnReply(int ttl, uint16_t sequence, const IpAddress& responder, absl::Duration rtt,
               const std::vector<ProbeMplsLabel>&) override {
    replies.push_back({ttl, sequence, responder, rtt});
  }
  std::vector<Sent> sent;
  std::vector<Reply> replies;
};

TEST_F(ProberTest, ProbeEventsCarryTheOnWireSequence) {
  RecordingSink sink;
  std::optional<engine::TraceResult> final_result;
  TraceRequest request;
  request.options = Options(2);
  request.options.set_max_ttl(3);
  request.target = Addr("203.0.113.9");
  request.source = Addr("198.51.100.100");
  TraceCallbacks callbacks;
  callbacks.on_finished = [&](const engine::TraceResult& r) { final_result = r; };
  callbacks.probe_events = &sink;
  ASSERT_TRUE(prober_.AddTrace(request, std::move(callbacks)).ok());
  RunUntil();
  ASSERT_TRUE(final_result.has_value());

  // One event per probe on the wire, with the ICMP echo sequence the packet carried.
  ASSERT_EQ(sink.sent.size(), net_.sent().size());
  std::map<uint16_t, int> ttl_of;
  for (size_t i = 0; i < sink.sent.size(); ++i) {
    const std::span<const uint8_t> icmp(net_.sent()[i].bytes);
    ASSERT_GE(icmp.size(), 8u);
    const uint16_t on_wire = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
    EXPECT_EQ(sink.sent[i].sequence, on_wire);
    EXPECT_EQ(sink.sent[i].ttl, net_.sent()[i].probe.ttl);
    ttl_of[on_wire] = sink.sent[i].ttl;
  }
  // Every reply the engine counted, matched to its probe's sequence, with its RTT.
  ASSERT_EQ(sink.replies.size(), 6u);
  for (const RecordingSink::Reply& r : sink.replies) {
    ASSERT_TRUE(ttl_of.count(r.sequence)) << r.sequence;
    EXPECT_EQ(r.ttl, ttl_of[r.sequence]);
    EXPECT_EQ(r.rtt, absl::Milliseconds(r.ttl));  // the fake path: one ms per hop
  }
  EXPECT_EQ(sink.replies.back().responder, Addr("203.0.113.9"));
}

// A reply that arrives just after the loop drained its sockets, while the loop is descheduled
// until after the probe's deadline, still counts: the loop reads the clock before it drains,
// so it never expires a probe at a time whose replies it has not read yet.
TEST_F(ProberTest, AReplyThatArrivesBeforeTheDeadlineCountsWhenTheLoopRunsLate) {
  net_.set_per_hop_delay(absl::Milliseconds(633));  // the target (TTL 3) answers after 1.899 s
  Outcome outcome;
  const MonoTime start = clock_.Now();
  ASSERT_TRUE(Add(Options(1), Addr("203.0.113.9"), outcome).ok());
  RunUntil(start + absl::Milliseconds(1850));
  ASSERT_FALSE(outcome.final_result.has_value());
  // This turn's drain finds nothing; the loop is then descheduled past the 2 s deadline, and
  // the answer arrives meanwhile (at 1.899 s).
  bool late = false;
  net_.set_after_receive([&] {
    if (late) return;
    late = true;
    clock_.Set(start + absl::Milliseconds(2100));
  });
  prober_.Step();
  net_.set_after_receive(nullptr);
  RunUntil();
  ASSERT_TRUE(outcome.final_result.has_value());
  ExpectFullPath(*outcome.final_result,
                 {Addr("198.51.100.1"), Addr("198.51.100.2"), Addr("203.0.113.9")}, 1);
}

TEST_F(ProberTest, PostedWorkRunsOnTheNextTurn) {
  bool ran = false;
  prober_.Post([&ran] { ran = true; });
  EXPECT_FALSE(ran);
  prober_.Step();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace pathpair::prober

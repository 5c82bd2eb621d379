// Root integration test: two network namespaces joined by a veth pair (built by tests/topo), one
// OneWayRunner in each, measuring both directions at once over real sockets. Loss is injected
// with an nftables `numgen random` drop rule on one side's input (tc netem is not available).
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/oneway/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::oneway {
namespace {

constexpr char kAddressA[] = "198.51.100.1";
constexpr char kAddressB[] = "198.51.100.2";

// a -- b on one /30; the kernel's ICMP rate limits stay at their defaults.
constexpr char kSpec[] = R"pb(
  nodes { name: "a" }
  nodes { name: "b" }
  links {
    a { node: "a" name: "a0" addresses: "198.51.100.1/30" }
    b { node: "b" name: "b0" addresses: "198.51.100.2/30" }
  }
)pb";

class OneWayNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    absl::StatusOr<topo::v1::Topology> spec = topo::ParseSpec(kSpec, "oneway");
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<std::unique_ptr<topo::Topology>> path = topo::Topology::Up(*spec);
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *std::move(path);
  }

  // Binds a runner inside node `node` (on a helper thread, since setns is per thread; the
  // socket stays in that namespace afterwards).
  std::unique_ptr<OneWayRunner> BindIn(const std::string& node, const char* address) {
    absl::StatusOr<std::unique_ptr<OneWayRunner>> runner = absl::InternalError("not attempted");
    const absl::Status entered = topo::RunInNamespace(path_->NamespaceFile(node), [&] {
      runner = OneWayRunner::Bind(*IpAddress::Parse(address), 0);
      return absl::OkStatus();
    });
    EXPECT_TRUE(entered.ok()) << entered;
    EXPECT_TRUE(runner.ok()) << runner.status();
    return runner.ok() ? *std::move(runner) : nullptr;
  }

  struct Both {
    absl::StatusOr<OneWayResult> at_a = absl::InternalError("not run");
    absl::StatusOr<OneWayResult> at_b = absl::InternalError("not run");
  };

  Both RunBoth(OneWayRunner& a, OneWayRunner& b, const OneWayConfig& config,
               absl::Duration b_starts_later = absl::ZeroDuration(),
               const RunOptions& b_options = {}) {
    Both both;
    auto never = [] { return false; };
    std::thread run_a(
        [&] { both.at_a = a.Run(*IpAddress::Parse(kAddressB), b.local_port(), config, never); });
    std::thread run_b([&] {
      absl::SleepFor(b_starts_later);
      both.at_b = b.Run(*IpAddress::Parse(kAddressA), a.local_port(), config, never, b_options);
    });
    run_a.join();
    run_b.join();
    return both;
  }

  static OneWayConfig Config(int64_t count) {
    OneWayConfig config;
    std::random_device random;
    config.session_id = (uint64_t{random()} << 32) | random();
    for (uint8_t& b : config.key) b = static_cast<uint8_t>(random());
    config.packet_count = count;
    config.interval = absl::Milliseconds(3);
    config.packet_size = 200;
    config.linger = absl::Seconds(2);  // costs nothing: a run ends at the peer's finish
    return config;
  }

  std::unique_ptr<topo::Topology> path_;
};

TEST_F(OneWayNetnsTest, CleanPathBothWays) {
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  std::unique_ptr<OneWayRunner> b = BindIn("b", kAddressB);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->kernel_timestamps());
  Both both = RunBoth(*a, *b, Config(200));
  ASSERT_TRUE(both.at_a.ok()) << both.at_a.status();
  ASSERT_TRUE(both.at_b.ok()) << both.at_b.status();
  for (const OneWayResult* result : {&*both.at_a, &*both.at_b}) {
    const DirectionReport& in = result->inbound;
    EXPECT_EQ(result->outbound_sent, 200);
    EXPECT_EQ(result->send_errors, 0) << result->last_send_error;
    EXPECT_EQ(in.sent, 200);
    EXPECT_TRUE(in.sent_final);
    // A veth loses nothing; on a heavily loaded CI machine a stalled receiver might, rarely.
    EXPECT_GE(in.received, 198);
    EXPECT_LT(in.loss_pct, 2);  // the paired test's acceptance bound for a clean direction
    EXPECT_EQ(in.duplicates, 0);
    EXPECT_EQ(in.rejected, 0);
    // One host, one clock: the true offset is 0 and must lie within the bound. (The bound is
    // half the smallest RTT: well under a millisecond on an idle host, but a busy one can delay
    // softirq processing by tens of milliseconds.)
    ASSERT_TRUE(in.offset.has_value());
    EXPECT_LE(absl::AbsDuration(in.offset->offset), in.offset->error_bound);
    EXPECT_LT(in.offset->error_bound, absl::Milliseconds(250));
    const double estimated_min_ms =
        in.raw_delay.min_ms + absl::ToDoubleMilliseconds(in.offset->offset);
    EXPECT_GE(estimated_min_ms, -absl::ToDoubleMilliseconds(in.offset->error_bound));
    EXPECT_LT(estimated_min_ms, 250);
    // One clock: the raw delay is the true one, sent stamp in user space before sendto,
    // receive stamp by the kernel after.
    EXPECT_GE(in.raw_delay.min_ms, 0);
    EXPECT_LT(in.raw_delay.min_ms, 250);
  }
}

TEST_F(OneWayNetnsTest, TestClockOffsetShiftsEveryStampOfThatEnd) {
  // b's stamps, sent and received, run 1.5 s ahead (pathpair-agent --test-clock-offset-ms): the
  // raw delays carry it, +1.5 s into b and -1.5 s into a, and the offset estimate finds it.
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  std::unique_ptr<OneWayRunner> b = BindIn("b", kAddressB);
  ASSERT_TRUE(a && b);
  Both both = RunBoth(*a, *b, Config(100), absl::ZeroDuration(),
                      RunOptions{.test_clock_offset = absl::Milliseconds(1500)});
  ASSERT_TRUE(both.at_a.ok()) << both.at_a.status();
  ASSERT_TRUE(both.at_b.ok()) << both.at_b.status();
  const DirectionReport& a_to_b = both.at_b->inbound;
  const DirectionReport& b_to_a = both.at_a->inbound;
  EXPECT_GT(a_to_b.raw_delay.min_ms, 1500);
  EXPECT_LT(a_to_b.raw_delay.min_ms, 1500 + 250);
  EXPECT_LT(b_to_a.raw_delay.max_ms, -1500 + 250);
  EXPECT_GT(b_to_a.raw_delay.min_ms, -1500 - 1);
  ASSERT_TRUE(b_to_a.offset.has_value());  // b's clock minus a's
  EXPECT_LE(absl::AbsDuration(b_to_a.offset->offset - absl::Milliseconds(1500)),
            b_to_a.offset->error_bound);
}

TEST_F(OneWayNetnsTest, TwentyPercentLossTowardsB) {
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  std::unique_ptr<OneWayRunner> b = BindIn("b", kAddressB);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      path_
          ->Exec("b", {"nft", absl::StrCat("add table inet pponeway; add chain inet "
                                           "pponeway input { type filter hook input "
                                           "priority 0; policy accept; }; add rule inet "
                                           "pponeway input udp dport ",
                                           b->local_port(), " numgen random mod 100 < 20 drop")})
          .ok());
  Both both = RunBoth(*a, *b, Config(400));
  ASSERT_TRUE(both.at_a.ok()) << both.at_a.status();
  ASSERT_TRUE(both.at_b.ok()) << both.at_b.status();
  const DirectionReport& a_to_b = both.at_b->inbound;
  const DirectionReport& b_to_a = both.at_a->inbound;
  EXPECT_NEAR(a_to_b.loss_pct, 20, 7) << a_to_b.received << "/" << a_to_b.sent;
  EXPECT_GE(a_to_b.sent, 395);  // exact unless all three finish packets were lost
  EXPECT_LT(b_to_a.loss_pct, 2);
  EXPECT_EQ(b_to_a.sent, 400);
  EXPECT_TRUE(a_to_b.offset.has_value());
  EXPECT_TRUE(b_to_a.offset.has_value());
}

TEST_F(OneWayNetnsTest, StartSkewCostsNoPackets) {
  // Both sockets are bound up front (as an agent does at startup); b's run starts 300 ms after
  // a's. a waits for b's first packet before testing, so neither direction loses anything.
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  std::unique_ptr<OneWayRunner> b = BindIn("b", kAddressB);
  ASSERT_TRUE(a && b);
  Both both = RunBoth(*a, *b, Config(200), absl::Milliseconds(300));
  ASSERT_TRUE(both.at_a.ok()) << both.at_a.status();
  ASSERT_TRUE(both.at_b.ok()) << both.at_b.status();
  EXPECT_FALSE(both.at_a->started_without_peer);
  EXPECT_LT(both.at_a->inbound.loss_pct, 2);
  EXPECT_LT(both.at_b->inbound.loss_pct, 2);
  EXPECT_EQ(both.at_b->inbound.sent, 200);
}

TEST_F(OneWayNetnsTest, UnroutablePeerIsReportedNotFatal) {
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  ASSERT_TRUE(a);
  OneWayConfig config = Config(20);
  config.start_timeout = absl::Milliseconds(100);
  config.linger = absl::Milliseconds(100);
  // No route to 203.0.113.77 in a's namespace: every send fails with ENETUNREACH.
  absl::StatusOr<OneWayResult> result =
      a->Run(*IpAddress::Parse("203.0.113.77"), 4000, config, [] { return false; });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->send_errors, 20);
  EXPECT_FALSE(result->last_send_error.empty());
  EXPECT_TRUE(result->started_without_peer);
  EXPECT_FALSE(result->inbound.peer_seen);
  EXPECT_FALSE(result->inbound.offset.has_value());
}

TEST_F(OneWayNetnsTest, CancelStopsPromptly) {
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  ASSERT_TRUE(a);
  // No peer listens on port 9; the run would take 1000 * 3 ms plus the start wait.
  absl::Time started = absl::Now();
  absl::StatusOr<OneWayResult> result = a->Run(*IpAddress::Parse(kAddressB), 9, Config(1000), [&] {
    return absl::Now() - started > absl::Milliseconds(200);
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->interrupted);
  EXPECT_LT(absl::Now() - started, absl::Milliseconds(600));
}

TEST_F(OneWayNetnsTest, CancelKeepsWhatArrivedSoFar) {
  // Ctrl-C on `pathpair test` (issue 15): both ends are stopped about 1 s into a 3 s run; each
  // reports the packets it received until then, with the loss over what the peer's packets
  // said it had sent (packets in flight are not counted as lost).
  std::unique_ptr<OneWayRunner> a = BindIn("a", kAddressA);
  std::unique_ptr<OneWayRunner> b = BindIn("b", kAddressB);
  ASSERT_TRUE(a && b);
  const OneWayConfig config = Config(1000);
  std::atomic<bool> stop{false};
  auto stopped = [&stop] { return stop.load(); };
  absl::StatusOr<OneWayResult> at_a = absl::InternalError("not run");
  absl::StatusOr<OneWayResult> at_b = absl::InternalError("not run");
  std::thread run_a(
      [&] { at_a = a->Run(*IpAddress::Parse(kAddressB), b->local_port(), config, stopped); });
  std::thread run_b(
      [&] { at_b = b->Run(*IpAddress::Parse(kAddressA), a->local_port(), config, stopped); });
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  run_a.join();
  run_b.join();
  for (const absl::StatusOr<OneWayResult>* result : {&at_a, &at_b}) {
    ASSERT_TRUE(result->ok()) << result->status();
    const OneWayResult& r = **result;
    EXPECT_TRUE(r.interrupted);
    EXPECT_GT(r.inbound.received, 100);
    EXPECT_LT(r.inbound.received, 1000);
    EXPECT_FALSE(r.inbound.sent_final);
    EXPECT_LT(r.inbound.loss_pct, 2);
  }
}

}  // namespace
}  // namespace pathpair::oneway

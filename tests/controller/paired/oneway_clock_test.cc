// The one-way clock method: which method both ends' clocks allow, the check of a claim against
// the exchange, the delays each method gives and their error bounds, and how reports say it.
#include "controller/paired/oneway_clock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace pathpair::paired {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBootA[] = "0f5c1b2e-5a8e-4c1e-9f00-1a2b3c4d5e6f";
constexpr char kBootB[] = "7d0e2f4a-1b3c-4d5e-8f9a-0b1c2d3e4f50";

v1::ClockStatus Clock(const std::string& boot_id, bool synchronized, int64_t esterror_us = 0) {
  v1::ClockStatus c;
  c.set_boot_id(boot_id);
  c.set_synchronized(synchronized);
  c.set_estimated_error_us(esterror_us);
  c.set_source("adjtimex");
  return c;
}

// A direction as the agent reports it: raw delays (receive minus send stamp on two clocks) and
// the receiving end's offset estimate (peer clock minus its own) with its bound.
v1::OneWayMeasurement Raw(double raw_avg_ms, std::optional<double> offset_ms, double bound_ms) {
  v1::OneWayMeasurement m;
  m.mutable_stats()->set_sent(300);
  m.mutable_stats()->set_received(300);
  v1::DelayStats* raw = m.mutable_stats()->mutable_raw_delay();
  raw->set_min_ms(raw_avg_ms - 0.5);
  raw->set_avg_ms(raw_avg_ms);
  raw->set_max_ms(raw_avg_ms + 1);
  raw->set_stdev_ms(0.25);
  if (offset_ms.has_value()) {
    m.mutable_offset_estimate()->set_estimated(true);
    m.mutable_offset_estimate()->set_offset_ms(*offset_ms);
    m.mutable_offset_estimate()->set_error_bound_ms(bound_ms);
  }
  return m;
}

// The return_latency situation: 8.5 ms out, 37.5 ms back (round trip 46 ms), with the server's
// clock `server_ahead_ms` ahead of the client's. Each end's estimate is off by half the
// asymmetry, 14.5 ms, and bounded by half the round trip (23 ms).
v1::PairedRun ReturnLatencyRun(const v1::ClockStatus& client, const v1::ClockStatus& server,
                               double server_ahead_ms) {
  v1::PairedRun run;
  run.set_oneway_requested(true);
  *run.mutable_client()->mutable_clock() = client;
  *run.mutable_server()->mutable_clock() = server;
  const double half_asymmetry_ms = (37.5 - 8.5) / 2;
  // Forward, measured at the server: raw = 8.5 + (server - client); its estimate of the client's
  // clock minus its own is -server_ahead + (back - out) / 2 (the NTP split's error).
  *run.mutable_oneway_forward() =
      Raw(8.5 + server_ahead_ms, -server_ahead_ms + half_asymmetry_ms, 23);
  // Reverse, measured at the client: raw = 37.5 - (server - client); the estimate of the
  // server's clock minus the client's is server_ahead + (out - back) / 2.
  *run.mutable_oneway_reverse() =
      Raw(37.5 - server_ahead_ms, server_ahead_ms - half_asymmetry_ms, 23);
  return run;
}

TEST(ChooseClockMethodTest, BootIdsThenDisciplineThenEstimate) {
  EXPECT_EQ(ChooseClockMethod(Clock(kBootA, false), Clock(kBootA, false)),
            v1::CLOCK_METHOD_SAME_HOST);
  EXPECT_EQ(ChooseClockMethod(Clock(kBootA, true), Clock(kBootB, true)),
            v1::CLOCK_METHOD_SYNCHRONIZED);
  EXPECT_EQ(ChooseClockMethod(Clock(kBootA, true), Clock(kBootB, false)),
            v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(ChooseClockMethod(Clock(kBootA, false), Clock(kBootB, true)),
            v1::CLOCK_METHOD_ESTIMATED);
  // Unknown boot ids (an older agent, an unreadable file) are not one host.
  EXPECT_EQ(ChooseClockMethod(Clock("", false), Clock("", false)), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(ChooseClockMethod(v1::ClockStatus(), v1::ClockStatus()), v1::CLOCK_METHOD_ESTIMATED);
}

TEST(ResolveOneWayClocksTest, SameHostUsesRawStampsWithTheGranularityAsError) {
  v1::PairedRun run = ReturnLatencyRun(Clock(kBootA, false), Clock(kBootA, false), 0);
  ResolveOneWayClocks(run);
  for (const v1::OneWayMeasurement* m : {&run.oneway_forward(), &run.oneway_reverse()}) {
    EXPECT_EQ(m->clock().method(), v1::CLOCK_METHOD_SAME_HOST);
    EXPECT_EQ(m->clock().error_ms(), kSameHostErrorMs);
    EXPECT_TRUE(m->clock().note().empty());
  }
  // The constant asymmetry stays where it is: 29 ms more on the way back.
  EXPECT_DOUBLE_EQ(run.oneway_forward().stats().delay().avg_ms(), 8.5);
  EXPECT_DOUBLE_EQ(run.oneway_reverse().stats().delay().avg_ms(), 37.5);
  EXPECT_DOUBLE_EQ(run.oneway_reverse().stats().delay().min_ms(), 37);
  EXPECT_DOUBLE_EQ(run.oneway_reverse().stats().delay().stdev_ms(), 0.25);
}

TEST(ResolveOneWayClocksTest, SynchronizedTrustsTheClocksWithTheirEstimatedErrors) {
  // The server's clock is 5 ms ahead although both claim synchronisation within 0.3 + 0.7 ms:
  // the raw method shows that offset in the delays (13.5 out, 32.5 back) - which is what it
  // must do: it trusts the clocks, within what the exchange can check (5 ms is within the
  // estimate's 23 ms bound, so nothing contradicts the claim).
  v1::PairedRun run = ReturnLatencyRun(Clock(kBootA, true, 300), Clock(kBootB, true, 700), 5);
  ResolveOneWayClocks(run);
  for (const v1::OneWayMeasurement* m : {&run.oneway_forward(), &run.oneway_reverse()}) {
    EXPECT_EQ(m->clock().method(), v1::CLOCK_METHOD_SYNCHRONIZED);
    EXPECT_DOUBLE_EQ(m->clock().error_ms(), 1.0);  // 300 + 700 us
  }
  EXPECT_DOUBLE_EQ(run.oneway_forward().stats().delay().avg_ms(), 13.5);
  EXPECT_DOUBLE_EQ(run.oneway_reverse().stats().delay().avg_ms(), 32.5);
}

TEST(ResolveOneWayClocksTest, EstimatedSplitsAConstantAsymmetryEvenly) {
  // A clock a second off, unsynchronised: the estimate removes the second, and with it half the
  // asymmetry each way. Both directions come out at half the round trip, 23 ms.
  v1::PairedRun run = ReturnLatencyRun(Clock(kBootA, false), Clock(kBootB, true), 1000);
  ResolveOneWayClocks(run);
  for (const v1::OneWayMeasurement* m : {&run.oneway_forward(), &run.oneway_reverse()}) {
    EXPECT_EQ(m->clock().method(), v1::CLOCK_METHOD_ESTIMATED);
    EXPECT_DOUBLE_EQ(m->clock().error_ms(), 23);
    EXPECT_NEAR(m->stats().delay().avg_ms(), 23, 1e-9);
    // Within the bound of the true delays.
    EXPECT_LE(std::abs(m->stats().delay().avg_ms() - (m == &run.oneway_forward() ? 8.5 : 37.5)),
              m->clock().error_ms());
  }
  // A direction without an estimate has no bound: only its variation means anything.
  run.mutable_oneway_reverse()->clear_offset_estimate();
  run.mutable_oneway_reverse()->clear_clock();
  ResolveOneWayClocks(run);
  EXPECT_EQ(run.oneway_forward().clock().method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(run.oneway_reverse().clock().method(), v1::CLOCK_METHOD_NONE);
  EXPECT_DOUBLE_EQ(run.oneway_reverse().stats().delay().avg_ms(), 37.5 - 1000);  // raw
  EXPECT_TRUE(OneWayClockToJson(run.oneway_reverse().clock())["error_ms"].is_null());
  const std::string words = DescribeRunClocks(run);
  EXPECT_THAT(words, HasSubstr("Clocks: client -> server: not known to be synchronised"));
  EXPECT_THAT(words, HasSubstr("error +-23.0 ms (half the smallest round trip); server -> "
                               "client: not synchronised, and no offset could be estimated"));
  EXPECT_THAT(words, HasSubstr("cannot be placed"));
}

TEST(ResolveOneWayClocksTest, AClaimTheExchangeContradictsFallsBackToTheEstimate) {
  // Claimed: synchronised within 1 ms. The estimate bounds the true offset to 23 ms around its
  // value, so a server 38.4 ms ahead (estimate 38.4 - 14.5 = 23.9 ms apart) is still possible.
  v1::PairedRun kept = ReturnLatencyRun(Clock(kBootA, true, 500), Clock(kBootB, true, 500), 38.4);
  ResolveOneWayClocks(kept);
  EXPECT_EQ(kept.oneway_forward().clock().method(), v1::CLOCK_METHOD_SYNCHRONIZED);
  // 38.6 ms ahead: 24.1 ms apart, beyond 23 + 1 ms. The claim is false.
  v1::PairedRun refuted =
      ReturnLatencyRun(Clock(kBootA, true, 500), Clock(kBootB, true, 500), 38.6);
  ResolveOneWayClocks(refuted);
  for (const v1::OneWayMeasurement* m : {&refuted.oneway_forward(), &refuted.oneway_reverse()}) {
    EXPECT_EQ(m->clock().method(), v1::CLOCK_METHOD_ESTIMATED);
    EXPECT_THAT(m->clock().note(), HasSubstr("both clocks report synchronisation"));
    EXPECT_THAT(m->clock().note(), HasSubstr("24.1 ms apart"));
    EXPECT_NEAR(m->stats().delay().avg_ms(), 23, 1e-9);
  }
  // One boot id, yet clocks 100 ms apart (a test seam offset): not one clock after all.
  v1::PairedRun one_host = ReturnLatencyRun(Clock(kBootA, false), Clock(kBootA, false), 100);
  ResolveOneWayClocks(one_host);
  EXPECT_EQ(one_host.oneway_forward().clock().method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_THAT(one_host.oneway_forward().clock().note(), HasSubstr("same boot id"));
  EXPECT_THAT(DescribeRunClocks(one_host), HasSubstr("Note: both ends report the same boot id"));
}

TEST(EffectiveClockTest, RunsStoredBeforeTheMethodReadAsTheirEstimate) {
  v1::OneWayMeasurement old;
  EXPECT_EQ(EffectiveClock(old).method(), v1::CLOCK_METHOD_NONE);
  old.mutable_offset_estimate()->set_estimated(true);
  old.mutable_offset_estimate()->set_error_bound_ms(0.5);
  EXPECT_EQ(EffectiveClock(old).method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(EffectiveClock(old).error_ms(), 0.5);
  old.mutable_clock()->set_method(v1::CLOCK_METHOD_SAME_HOST);
  old.mutable_clock()->set_error_ms(kSameHostErrorMs);
  EXPECT_EQ(EffectiveClock(old).method(), v1::CLOCK_METHOD_SAME_HOST);
}

TEST(OneWayClockJsonTest, RoundTripAndRefusals) {
  v1::OneWayClock clock;
  clock.set_method(v1::CLOCK_METHOD_SYNCHRONIZED);
  clock.set_error_ms(1.5);
  const nlohmann::ordered_json j = OneWayClockToJson(clock);
  EXPECT_EQ(j.dump(), R"({"method":"synchronized","error_ms":1.5,"note":null})");
  absl::StatusOr<v1::OneWayClock> again = OneWayClockFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), clock.SerializeAsString());
  for (const v1::ClockMethod m :
       {v1::CLOCK_METHOD_SAME_HOST, v1::CLOCK_METHOD_ESTIMATED, v1::CLOCK_METHOD_NONE}) {
    EXPECT_EQ(ClockMethodFromName(ClockMethodName(m)), m);
  }
  for (const char* bad : {R"({"method": "atomic"})", R"({"error_ms": 1})", R"("same_host")",
                          R"({"method": "same_host", "error_ms": "small"})"}) {
    EXPECT_FALSE(OneWayClockFromJson(nlohmann::json::parse(bad)).ok()) << bad;
  }
}

TEST(DescribeRunClocksTest, SaysTheMethodItsErrorAndWhatCannotBePlaced) {
  v1::PairedRun same = ReturnLatencyRun(Clock(kBootA, false), Clock(kBootA, false), 0);
  ResolveOneWayClocks(same);
  std::string words = DescribeRunClocks(same);
  EXPECT_THAT(words, HasSubstr("same boot id"));
  EXPECT_THAT(words, HasSubstr("(same_host), error +-0.001 ms (the timestamps' granularity)"));
  EXPECT_THAT(words, Not(HasSubstr("cannot be placed")));

  v1::PairedRun synced = ReturnLatencyRun(Clock(kBootA, true, 300), Clock(kBootB, true, 700), 0);
  ResolveOneWayClocks(synced);
  EXPECT_THAT(DescribeRunClocks(synced),
              HasSubstr("error +-1.00 ms (the sum of both clocks' estimated errors)"));

  v1::PairedRun estimated = ReturnLatencyRun(Clock(kBootA, false), Clock(kBootB, false), 0);
  estimated.mutable_oneway_reverse()->mutable_offset_estimate()->set_error_bound_ms(22.5);
  ResolveOneWayClocks(estimated);
  words = DescribeRunClocks(estimated);
  EXPECT_THAT(words, HasSubstr("estimated from the exchange itself (estimated)"));
  EXPECT_THAT(words, HasSubstr("+-23.0 ms client -> server and +-22.5 ms server -> client"));
  EXPECT_THAT(words, HasSubstr("A constant difference between the two directions cannot be "
                               "placed"));
  EXPECT_THAT(words, HasSubstr("NTP, chrony or PTP"));

  v1::PairedRun none;
  EXPECT_EQ(DescribeRunClocks(none), "");
}

}  // namespace
}  // namespace pathpair::paired

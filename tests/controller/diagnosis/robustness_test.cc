// Untrusted input never crashes the diagnosis and its invariants always hold: thousands of
// random traces (random counts, times, addresses, terminations, duplicate and absurd TTLs,
// NaN and huge values), paired with random reverse traces and one-way results, go through
// Diagnose and both renderers. Run under ASan/UBSan (-DPATHPAIR_SANITIZE=ON) too.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/render.h"

namespace pathpair::diagnosis {
namespace {

class RandomTraces {
 public:
  explicit RandomTraces(uint32_t seed) : rng_(seed) {}

  int64_t Count() {
    switch (Pick(8)) {
      case 0:
        return -Pick(5);
      case 1:
        return std::numeric_limits<int64_t>::max() - Pick(3);
      case 2:
        return std::numeric_limits<int64_t>::min() + Pick(3);
      default:
        return Pick(60);
    }
  }
  double Ms() {
    switch (Pick(10)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return std::numeric_limits<double>::infinity();
      case 2:
        return -Pick(100);
      case 3:
        return 1e300;
      default:
        return std::uniform_real_distribution<double>(0, 400)(rng_);
    }
  }
  std::string Address() {
    static const char* kPool[] = {
        "",           "198.51.100.1", "198.51.100.2", "203.0.113.1", "203.0.113.10", "10.0.0.1",
        "100.64.0.1", "2001:db8::1",  "fe80::1",      "not-an-ip",   "host.example", "::"};
    return kPool[Pick(sizeof(kPool) / sizeof(kPool[0]))];
  }

  v1::TraceResult Trace() {
    v1::TraceResult t;
    t.set_target_address(Pick(4) == 0 ? Address() : "203.0.113.10");
    t.mutable_options()->set_protocol(static_cast<v1::Protocol>(Pick(4)));
    t.set_reached(Pick(2) == 0);
    const int hops = static_cast<int>(Pick(35));
    for (int i = 0; i < hops; ++i) {
      v1::HopResult* hop = t.add_hops();
      hop->set_ttl(Pick(10) == 0 ? static_cast<int32_t>(Pick(600)) - 300 : i + 1);
      hop->set_sent(Count());
      hop->set_received(Count());
      v1::RttStats* rtt = hop->mutable_rtt();
      rtt->set_avg_ms(Ms());
      rtt->set_best_ms(Ms());
      rtt->set_worst_ms(Ms());
      rtt->set_stdev_ms(Ms());
      rtt->set_last_ms(Ms());
      for (int r = static_cast<int>(Pick(4)); r > 0; --r) {
        v1::Responder* responder = hop->add_responders();
        responder->set_address(Address());
        if (Pick(3) == 0) responder->set_hostname(Address());
      }
      hop->set_termination(static_cast<v1::HopTermination>(Pick(3)));
      hop->set_unreachable_code(static_cast<int32_t>(Pick(20)) - 2);
    }
    return t;
  }

  v1::OneWayResult OneWay() {
    v1::OneWayResult r;
    r.set_sent(Count());
    r.set_received(Count());
    r.set_delay_min_ms(Ms());
    r.set_delay_avg_ms(Ms());
    r.set_delay_max_ms(Ms());
    r.set_offset_error_ms(Ms());
    r.set_delay_stdev_ms(Ms());
    r.set_clock_method(static_cast<v1::ClockMethod>(Pick(6)));  // 5: not a known method
    return r;
  }

  uint64_t Pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

 private:
  std::mt19937 rng_;
};

TEST(RobustnessTest, RandomInputKeepsTheInvariants) {
  RandomTraces random(20261127);
  for (int round = 0; round < 3000; ++round) {
    v1::DiagnosisInput input;
    *input.mutable_forward() = random.Trace();
    if (random.Pick(2) == 0) *input.mutable_reverse() = random.Trace();
    if (random.Pick(2) == 0) *input.mutable_forward_oneway() = random.OneWay();
    if (random.Pick(2) == 0) *input.mutable_reverse_oneway() = random.OneWay();
    input.set_forward_destination_check(static_cast<v1::DestinationCheck>(random.Pick(3)));
    const v1::Diagnosis d = Diagnose(input);

    ASSERT_NE(d.verdict(), v1::VERDICT_UNSPECIFIED);
    int healthy = 0;
    bool above_info = false;
    for (const v1::Finding& f : d.findings()) {
      healthy += f.code() == v1::HEALTHY;
      above_info = above_info || f.severity() > v1::SEVERITY_INFO;
      ASSERT_GE(f.confidence(), 0) << f.ShortDebugString();
      ASSERT_LE(f.confidence(), 1) << f.ShortDebugString();
      ASSERT_GE(f.probes(), 0) << f.ShortDebugString();
      ASSERT_FALSE(f.summary().empty());
      for (const v1::Evidence& e : f.evidence()) {
        if (e.has_number()) {
          ASSERT_TRUE(std::isfinite(e.number())) << e.name();
        }
      }
    }
    ASSERT_EQ(healthy, d.verdict() == v1::VERDICT_HEALTHY ? 1 : 0) << d.ShortDebugString();
    ASSERT_EQ(above_info && d.verdict() == v1::VERDICT_HEALTHY, false);
    ASSERT_TRUE(std::isfinite(d.effective_loss_pct()));
    ASSERT_GE(d.effective_loss_pct(), 0);
    ASSERT_LE(d.effective_loss_pct(), 100);
    ASSERT_TRUE(std::isfinite(d.effective_latency_ms()));

    nlohmann::ordered_json report;
    WriteDiagnosisJson(d, report);
    ASSERT_FALSE(report.dump().empty());
    ASSERT_FALSE(RenderDiagnosisText(d).empty());
  }
}

}  // namespace
}  // namespace pathpair::diagnosis

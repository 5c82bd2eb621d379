// Round-trip statistics with mtr's definitions, accumulated one reply at a time in constant
// memory: Last, Best, Avg, Wrst, StDev (sample, n-1), Gmean, the jitter family (Jttr, Javg,
// Jmax, Jint) and p50/p95/p99 from a LatencyHistogram.
//
//   RttAccumulator acc;
//   acc.Add(absl::Milliseconds(10));
//   acc.Add(absl::Milliseconds(14));
//   RttSummary s = acc.Summary();   // s.avg == 12ms, s.jitter == 4ms ...
//
// Definitions follow mtr 0.95 (ui/net.c, net_process_ping), computed in floating point where
// mtr truncates to whole microseconds at every step:
// - Jttr: |this RTT - previous RTT| of the same accumulator (mtr: of the same hop, whichever
//   responder); 0 for the first reply.
// - Javg: mean of Jttr over all n replies, the first reply's 0 included (as mtr).
// - Jmax: the largest Jttr.
// - Jint: RFC 1889 interarrival estimator J += (|D| - J) / 16, D = the RTT difference, starting
//   at 0. Deliberate difference: mtr shows its scaled integer state (about 16 J, RFC 1889 A.8
//   form without the final >> 4); we report J itself, in milliseconds like every other column.
// - StDev: sample standard deviation (n-1) by Welford's method, as mtr; 0 below 2 replies.
// - Gmean: exp(mean(ln rtt)), which equals mtr's running product form. Deliberate difference:
//   RTTs below 1 microsecond count as 1 microsecond, so one zero RTT does not pin it to 0.
// - p50/p95/p99 (not in mtr): nearest-rank percentiles from a LatencyHistogram, clamped to
//   [Best, Wrst]; within LatencyHistogram::kMaxRelativeError (1/64) of the exact sample.
#ifndef PATHPAIR_AGENT_ENGINE_RTT_STATS_H_
#define PATHPAIR_AGENT_ENGINE_RTT_STATS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "agent/engine/latency_histogram.h"

namespace pathpair::engine {

// The figures shown for a hop or a responder. All zero when count == 0.
struct RttSummary {
  int64_t count = 0;
  absl::Duration last;
  absl::Duration best;
  absl::Duration avg;
  absl::Duration worst;
  absl::Duration stdev;
  absl::Duration gmean;
  absl::Duration jitter;               // Jttr
  absl::Duration jitter_avg;           // Javg
  absl::Duration jitter_max;           // Jmax
  absl::Duration jitter_interarrival;  // Jint
  absl::Duration p50;
  absl::Duration p95;
  absl::Duration p99;
  friend bool operator==(const RttSummary&, const RttSummary&) = default;
};

class RttAccumulator {
 public:
  // Records one reply's RTT. Negative values (which a monotonic clock should never give) are
  // treated as zero.
  void Add(absl::Duration rtt);

  int64_t count() const { return count_; }
  RttSummary Summary() const;

 private:
  int64_t count_ = 0;
  double last_us_ = 0;
  double best_us_ = 0;
  double worst_us_ = 0;
  double mean_us_ = 0;    // Welford running mean
  double m2_us2_ = 0;     // Welford sum of squared deviations
  double log_sum_ = 0;    // sum of ln(rtt in microseconds)
  double jitter_us_ = 0;  // last |D|
  double jitter_sum_us_ = 0;
  double jitter_max_us_ = 0;
  double jitter_interarrival_us_ = 0;
  LatencyHistogram histogram_;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_RTT_STATS_H_

#include "agent/engine/rtt_stats.h"

#include <algorithm>
#include <cmath>

namespace pathpair::engine {
namespace {

absl::Duration FromMicros(double micros) { return absl::Nanoseconds(std::llround(micros * 1e3)); }

}  // namespace

void RttAccumulator::Add(absl::Duration rtt) {
  const double micros = std::max(0.0, absl::ToDoubleMicroseconds(rtt));
  ++count_;
  if (count_ == 1) {
    best_us_ = worst_us_ = micros;
    jitter_us_ = 0;
  } else {
    jitter_us_ = std::abs(micros - last_us_);
    best_us_ = std::min(best_us_, micros);
    worst_us_ = std::max(worst_us_, micros);
    jitter_max_us_ = std::max(jitter_max_us_, jitter_us_);
    jitter_interarrival_us_ += (jitter_us_ - jitter_interarrival_us_) / 16.0;
  }
  last_us_ = micros;
  jitter_sum_us_ += jitter_us_;

  const double previous_mean = mean_us_;
  mean_us_ += (micros - previous_mean) / static_cast<double>(count_);
  m2_us2_ += (micros - previous_mean) * (micros - mean_us_);

  log_sum_ += std::log(std::max(1.0, micros));
  histogram_.Add(rtt);
}

RttSummary RttAccumulator::Summary() const {
  RttSummary s;
  if (count_ == 0) return s;
  const double n = static_cast<double>(count_);
  s.count = count_;
  s.last = FromMicros(last_us_);
  s.best = FromMicros(best_us_);
  s.worst = FromMicros(worst_us_);
  s.avg = FromMicros(mean_us_);
  s.stdev =
      count_ > 1 ? FromMicros(std::sqrt(std::max(0.0, m2_us2_) / (n - 1.0))) : absl::ZeroDuration();
  s.gmean = std::clamp(FromMicros(std::exp(log_sum_ / n)), s.best, s.worst);
  s.jitter = FromMicros(jitter_us_);
  s.jitter_avg = FromMicros(jitter_sum_us_ / n);
  s.jitter_max = FromMicros(jitter_max_us_);
  s.jitter_interarrival = FromMicros(jitter_interarrival_us_);
  auto percentile = [&](double p) { return std::clamp(histogram_.Percentile(p), s.best, s.worst); };
  s.p50 = percentile(50);
  s.p95 = percentile(95);
  s.p99 = percentile(99);
  return s;
}

}  // namespace pathpair::engine

#include "agent/engine/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace pathpair::engine {

size_t LatencyHistogram::BucketOf(double micros) {
  if (!(micros >= 1.0)) return 0;  // also catches NaN
  int exponent = 0;
  // frexp gives micros = mantissa * 2^exponent with mantissa in [0.5, 1).
  const double mantissa = std::frexp(micros, &exponent);
  const int octave = exponent - 1;  // micros in [2^octave, 2^(octave+1))
  if (octave >= kOctaves) return kBucketCount - 1;
  const int sub =
      std::clamp(static_cast<int>((mantissa * 2.0 - 1.0) * kSubBuckets), 0, kSubBuckets - 1);
  return 1 + static_cast<size_t>(octave) * kSubBuckets + static_cast<size_t>(sub);
}

double LatencyHistogram::BucketMidpointMicros(size_t bucket) {
  if (bucket == 0) return 0.5;
  const size_t index = bucket - 1;
  const int octave = static_cast<int>(index / kSubBuckets);
  const int sub = static_cast<int>(index % kSubBuckets);
  return std::ldexp(1.0 + (sub + 0.5) / kSubBuckets, octave);
}

void LatencyHistogram::Add(absl::Duration rtt) {
  const double micros = std::max(0.0, absl::ToDoubleMicroseconds(rtt));
  ++buckets_[BucketOf(micros)];
  ++count_;
}

absl::Duration LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return absl::ZeroDuration();
  const double fraction = std::clamp(percent, 0.0, 100.0) / 100.0;
  const int64_t rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(fraction * static_cast<double>(count_))), 1, count_);
  int64_t seen = 0;
  for (size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    seen += buckets_[bucket];
    if (seen >= rank) {
      return absl::Nanoseconds(std::llround(BucketMidpointMicros(bucket) * 1000.0));
    }
  }
  return absl::Nanoseconds(std::llround(BucketMidpointMicros(buckets_.size() - 1) * 1000.0));
}

}  // namespace pathpair::engine

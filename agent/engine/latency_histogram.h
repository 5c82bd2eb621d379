// A log-linear histogram of round-trip times, for p50/p95/p99 over any number of samples in
// bounded memory.
//
// Buckets: values below 1 microsecond share bucket 0; above that, every power of two
// [2^k, 2^(k+1)) microseconds is split into kSubBuckets equal linear buckets, up to 2^kOctaves
// microseconds (about 134 s, beyond any probe timeout); larger values land in the last bucket.
// A percentile is reported as the midpoint of its bucket, so its relative error is at most
// 1 / (2 * kSubBuckets) = 1/64 (about 1.6 %) for values from 1 us to 134 s, and the absolute
// error is at most 0.5 us below 1 us.
//
// Memory: a hop's RTTs fill a few dozen of the kBucketCount buckets, and an agent keeps two
// histograms per hop (the hop's and its responder's) for every trace it serves (1,000 traces of
// 4 hops: 8,000 histograms). So only the buckets that were hit are stored, in one 32-bit word
// each (bucket number and count), sorted: never more than one 32-bit counter per bucket (about
// 3.5 KB), which is what the histogram turns into when a bucket's count outgrows its word (4
// million samples). MemoryBytes says what it takes; the percentiles are the same either way.
//
//   LatencyHistogram h;
//   h.Add(absl::Milliseconds(12));
//   absl::Duration p95 = h.Percentile(95);
#ifndef PATHPAIR_AGENT_ENGINE_LATENCY_HISTOGRAM_H_
#define PATHPAIR_AGENT_ENGINE_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace pathpair::engine {

class LatencyHistogram {
 public:
  static constexpr int kSubBuckets = 32;
  static constexpr int kOctaves = 27;
  static constexpr int kBucketCount = 1 + kOctaves * kSubBuckets;
  // Upper bound on the relative error of Percentile() for values of at least 1 microsecond.
  static constexpr double kMaxRelativeError = 1.0 / (2.0 * kSubBuckets);

  // Negative durations count as zero.
  void Add(absl::Duration rtt);
  int64_t count() const { return count_; }
  // The value below which `percent` (0..100) of the samples fall, nearest-rank definition
  // (the ceil(percent/100 * n)-th smallest sample, at least the first), reported to within
  // kMaxRelativeError. Zero when empty.
  absl::Duration Percentile(double percent) const;

  // The bytes this histogram takes, itself and its heap storage (allocated capacity).
  size_t MemoryBytes() const;
  // Whether it keeps one counter per bucket (once a bucket had kMaxSparseCount samples).
  bool dense() const { return !dense_.empty(); }

  // While sparse, a bucket's word holds its count in its low kCountBits bits.
  static constexpr int kCountBits = 22;
  static constexpr uint32_t kMaxSparseCount = (uint32_t{1} << kCountBits) - 1;

 private:
  static size_t BucketOf(double micros);
  static double BucketMidpointMicros(size_t bucket);
  void MakeDense();

  // Each bucket hit as (bucket << kCountBits) | count, by bucket; empty once dense.
  std::vector<uint32_t> sparse_;
  std::vector<uint32_t> dense_;  // kBucketCount counters once dense, else empty
  int64_t count_ = 0;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_LATENCY_HISTOGRAM_H_

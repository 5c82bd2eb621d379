#include "agent/engine/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace pathpair::engine {

static_assert(LatencyHistogram::kBucketCount <= (1 << (32 - LatencyHistogram::kCountBits)),
              "a sparse bucket's word holds its number above its count");

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
  const auto bucket = static_cast<uint32_t>(BucketOf(micros));
  ++count_;
  if (dense_.empty()) {
    const uint32_t key = bucket << kCountBits;
    auto it = std::lower_bound(sparse_.begin(), sparse_.end(), key);
    if (it == sparse_.end() || (*it >> kCountBits) != bucket) {
      const auto at = it - sparse_.begin();
      // Doubling past one word per bucket would outgrow the dense array: take exactly that.
      if (sparse_.size() == sparse_.capacity() && 2 * sparse_.capacity() > kBucketCount) {
        sparse_.reserve(kBucketCount);
      }
      sparse_.insert(sparse_.begin() + at, key | 1);
      return;
    }
    if ((*it & kMaxSparseCount) < kMaxSparseCount) {
      ++*it;
      return;
    }
    MakeDense();  // this bucket's count no longer fits its word
  }
  ++dense_[bucket];
}

void LatencyHistogram::MakeDense() {
  dense_.assign(kBucketCount, 0);
  for (const uint32_t word : sparse_) dense_[word >> kCountBits] = word & kMaxSparseCount;
  std::vector<uint32_t>().swap(sparse_);  // frees its storage
}

size_t LatencyHistogram::MemoryBytes() const {
  return sizeof(*this) + (sparse_.capacity() + dense_.capacity()) * sizeof(uint32_t);
}

absl::Duration LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return absl::ZeroDuration();
  const double fraction = std::clamp(percent, 0.0, 100.0) / 100.0;
  const int64_t rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(fraction * static_cast<double>(count_))), 1, count_);
  auto midpoint = [](size_t bucket) {
    return absl::Nanoseconds(std::llround(BucketMidpointMicros(bucket) * 1000.0));
  };
  int64_t seen = 0;
  if (!dense_.empty()) {
    for (size_t bucket = 0; bucket < dense_.size(); ++bucket) {
      seen += dense_[bucket];
      if (seen >= rank) return midpoint(bucket);
    }
    return midpoint(dense_.size() - 1);
  }
  for (const uint32_t word : sparse_) {
    seen += word & kMaxSparseCount;
    if (seen >= rank) return midpoint(word >> kCountBits);
  }
  return midpoint(sparse_.empty() ? 0 : sparse_.back() >> kCountBits);
}

}  // namespace pathpair::engine

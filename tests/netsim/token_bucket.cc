#include "tests/netsim/token_bucket.h"

#include <algorithm>

namespace pathpair::netsim {

TokenBucket::TokenBucket(double rate_per_s, double burst, MonoTime start)
    : rate_per_s_(rate_per_s), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(start) {}

bool TokenBucket::TryTake(MonoTime now) {
  if (unlimited()) return true;
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_per_s_);
    last_ = now;
  }
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  return false;
}

}  // namespace pathpair::netsim

// A token bucket for emulated rate limits (ICMP generation at a router, echo replies at the
// destination). Time is passed in, so tests drive it without sleeping.
//
//   TokenBucket bucket(/*rate_per_s=*/2, /*burst=*/3, start);
//   if (bucket.TryTake(now)) send_icmp();
#ifndef PATHPAIR_TESTS_NETSIM_TOKEN_BUCKET_H_
#define PATHPAIR_TESTS_NETSIM_TOKEN_BUCKET_H_

#include "common/time/clock.h"

namespace pathpair::netsim {

class TokenBucket {
 public:
  // rate_per_s <= 0 means unlimited. The bucket starts full. burst < 1 is treated as 1.
  TokenBucket(double rate_per_s, double burst, MonoTime start);

  // Takes one token if available at `now` (times must not go backwards; earlier times are
  // treated as the last one seen).
  bool TryTake(MonoTime now);

  bool unlimited() const { return rate_per_s_ <= 0; }

 private:
  double rate_per_s_;
  double burst_;
  double tokens_;
  MonoTime last_;
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_TOKEN_BUCKET_H_

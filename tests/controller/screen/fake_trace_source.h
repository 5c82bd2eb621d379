// A fake live trace for the screen tests: five hops, one more round every `round_every`
// (counted on the caller's clock), with RTTs that vary per round, the third hop silent and
// loss at the fourth. Thread-safe; reset and pause act like the real tracker's.
#ifndef PATHPAIR_TESTS_CONTROLLER_SCREEN_FAKE_TRACE_SOURCE_H_
#define PATHPAIR_TESTS_CONTROLLER_SCREEN_FAKE_TRACE_SOURCE_H_

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::screen::testing {

inline v1::TraceResult FakeTrace(int rounds, const std::string& prefix) {
  v1::TraceResult r;
  r.mutable_options()->set_target(absl::StrCat(prefix, "5"));
  r.set_source_hostname("fakehost");
  r.set_target_address(absl::StrCat(prefix, "5"));
  r.set_rounds(rounds);
  for (int ttl = 1; ttl <= 5; ++ttl) {
    v1::HopResult* hop = r.add_hops();
    hop->set_ttl(ttl);
    hop->set_sent(rounds);
    if (ttl == 3) continue;  // never answers
    const int lost = ttl == 4 ? rounds / 4 : 0;
    hop->set_received(rounds - lost);
    v1::Responder* resp = hop->add_responders();
    resp->set_address(absl::StrCat(prefix, ttl));
    resp->set_hostname(absl::StrCat("hop", ttl, ".example.net"));
    resp->set_received(rounds - lost);
    v1::RttStats* s = hop->mutable_rtt();
    const double base = 2.0 * ttl;
    s->set_last_ms(base + std::fmod(rounds * 1.7, 3.0));
    s->set_best_ms(base);
    s->set_avg_ms(base + 1.0);
    s->set_worst_ms(base + 3.0);
    s->set_stdev_ms(0.8);
  }
  return r;
}

class FakeTraceSource {
 public:
  FakeTraceSource(std::string prefix, absl::Duration round_every)
      : prefix_(std::move(prefix)), round_every_(round_every), start_(absl::Now()) {}

  v1::TraceResult Latest() {
    absl::MutexLock lock(&mu_);
    Advance();
    return FakeTrace(rounds_, prefix_);
  }
  void Reset() {
    absl::MutexLock lock(&mu_);
    rounds_ = 0;
    start_ = absl::Now();
  }
  void SetPaused(bool paused) {
    absl::MutexLock lock(&mu_);
    Advance();
    paused_ = paused;
    start_ = absl::Now();
    base_ = rounds_;
  }

 private:
  void Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (paused_) return;
    rounds_ = base_ + static_cast<int>((absl::Now() - start_) / round_every_);
  }
  absl::Mutex mu_;
  const std::string prefix_;
  const absl::Duration round_every_;
  absl::Time start_ ABSL_GUARDED_BY(mu_);
  int rounds_ ABSL_GUARDED_BY(mu_) = 0;
  int base_ ABSL_GUARDED_BY(mu_) = 0;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace pathpair::screen::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_SCREEN_FAKE_TRACE_SOURCE_H_

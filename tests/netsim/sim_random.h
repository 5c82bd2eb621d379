// Deterministic randomness for pathpair-netsim: every link and router draws from its own
// generator, seeded from the scenario seed and the component's name, so that the same scenario
// and the same packet sequence give the same losses and delays on every machine (no std::
// distributions, whose output is implementation-defined).
//
//   SimRandom rng(scenario.seed(), "link:forward:3");
//   if (rng.Bernoulli(0.1)) { /* lost */ }
//   double jitter_ms = rng.Exponential(2.0);
#ifndef PATHPAIR_TESTS_NETSIM_SIM_RANDOM_H_
#define PATHPAIR_TESTS_NETSIM_SIM_RANDOM_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace pathpair::netsim {

// SplitMix64 finalizer: a good 64-bit mixing function.
uint64_t Mix64(uint64_t x);

// FNV-1a over text, then mixed; stable across runs and platforms.
uint64_t HashText(absl::string_view text);

// xoshiro256** seeded through SplitMix64.
class SimRandom {
 public:
  SimRandom(uint64_t seed, absl::string_view stream);

  uint64_t Next();
  // Uniform on [0, 1).
  double Uniform();
  // True with probability p (p <= 0: never, p >= 1: always; no draw is skipped either way, so
  // that changing one probability does not shift the rest of the stream).
  bool Bernoulli(double p);
  double Exponential(double mean);
  // Standard normal by Box-Muller.
  double StandardNormal();

 private:
  uint64_t s_[4];
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_SIM_RANDOM_H_

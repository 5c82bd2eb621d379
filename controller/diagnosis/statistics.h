// Small statistics for the diagnosis: Wilson score intervals on loss rates and one-sided
// confidences from the score test, so that "1 lost in 10" and "30 lost in 100" are told apart
// by how sure we can be, not by a bare percentage.
//
//   Interval ci = WilsonInterval(/*successes=*/30, /*trials=*/100);   // ~[0.22, 0.40]
//   double sure = ConfidenceRateAbove(30, 100, 0.02);                  // ~1.0
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_STATISTICS_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_STATISTICS_H_

#include <cstdint>

namespace pathpair::diagnosis {

// z for a 95% two-sided interval (97.5% one-sided): the confidence every "significant" test in
// the diagnosis uses.
inline constexpr double kConfidenceZ = 1.96;

struct Interval {
  double low = 0;
  double high = 1;
};

// Wilson score interval for a binomial proportion. With no trials, [0, 1]. Counts outside
// 0 <= successes <= trials are clamped.
Interval WilsonInterval(int64_t successes, int64_t trials, double z = kConfidenceZ);

// Standard normal cumulative distribution.
double NormalCdf(double z);

// One-sided confidence (0..1) that the true rate behind successes/trials is above p0 (resp.
// below p0), from the score test (the test the Wilson interval inverts). 0.5 when there is no
// data; p0 is clamped to (0, 1).
double ConfidenceRateAbove(int64_t successes, int64_t trials, double p0);
double ConfidenceRateBelow(int64_t successes, int64_t trials, double p0);

// One-sided confidence that a mean difference `difference` (ms) is real, given the two sides'
// standard errors (Welch-style z); ~1 when both errors are 0 and difference > 0.
double ConfidenceDifferencePositive(double difference, double standard_error_a,
                                    double standard_error_b);

// Clamps to [0, 1] and rounds to 3 decimals, so reports stay readable and stable.
double RoundConfidence(double confidence);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_STATISTICS_H_

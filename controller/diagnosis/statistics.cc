#include "controller/diagnosis/statistics.h"

#include <algorithm>
#include <cmath>

namespace pathpair::diagnosis {
namespace {

// Keeps p0 away from 0 and 1, where the score test's variance vanishes.
constexpr double kMinRate = 1e-6;

}  // namespace

Interval WilsonInterval(int64_t successes, int64_t trials, double z) {
  if (trials <= 0) return Interval{0, 1};
  successes = std::clamp<int64_t>(successes, 0, trials);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double margin = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
  return Interval{std::max(0.0, center - margin), std::min(1.0, center + margin)};
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double ConfidenceRateAbove(int64_t successes, int64_t trials, double p0) {
  if (trials <= 0) return 0.5;
  successes = std::clamp<int64_t>(successes, 0, trials);
  p0 = std::clamp(p0, kMinRate, 1 - kMinRate);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z = (p - p0) / std::sqrt(p0 * (1 - p0) / n);
  return NormalCdf(z);
}

double ConfidenceRateBelow(int64_t successes, int64_t trials, double p0) {
  if (trials <= 0) return 0.5;
  return 1 - ConfidenceRateAbove(successes, trials, p0);
}

double ConfidenceDifferencePositive(double difference, double standard_error_a,
                                    double standard_error_b) {
  const double error =
      std::sqrt(standard_error_a * standard_error_a + standard_error_b * standard_error_b);
  if (!(error > 0)) return difference > 0 ? 1.0 : (difference < 0 ? 0.0 : 0.5);
  return NormalCdf(difference / error);
}

double RoundConfidence(double confidence) {
  if (!std::isfinite(confidence)) return 0;
  confidence = std::clamp(confidence, 0.0, 1.0);
  return std::round(confidence * 1000) / 1000;
}

}  // namespace pathpair::diagnosis

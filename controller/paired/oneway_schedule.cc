#include "controller/paired/oneway_schedule.h"

#include <algorithm>

namespace pathpair::paired {
namespace {

// Intervals a session takes beyond its packets (finish packets: OneWayDuration).
constexpr int64_t kFinishIntervals = 2;
// The part of the traces' duration left free at the end, and its least.
constexpr int64_t kMarginDivisor = 10;
constexpr absl::Duration kMinMargin = absl::Milliseconds(20);

}  // namespace

absl::Duration PlannedTraceDuration(const v1::ProbeOptions& probe) {
  const int64_t rounds = std::max(1, probe.count());
  const absl::Duration interval =
      probe.interval_us() > 0 ? absl::Microseconds(probe.interval_us()) : absl::Seconds(1);
  return (rounds - 1) * interval;
}

absl::Duration OneWayDuration(const OneWaySchedule& schedule) {
  return (schedule.count + kFinishIntervals) * schedule.interval;
}

OneWaySchedule PlanOneWaySchedule(const v1::ProbeOptions& probe, int64_t requested_count,
                                  absl::Duration longest_interval) {
  const absl::Duration slowest = std::max(longest_interval, kMinOneWayInterval);
  const absl::Duration traces = PlannedTraceDuration(probe);
  const absl::Duration budget =
      std::max(traces - std::max(traces / kMarginDivisor, kMinMargin), absl::ZeroDuration());
  OneWaySchedule schedule;
  absl::Duration unused_remainder;
  schedule.count =
      requested_count > 0
          ? requested_count
          : std::max(kMinOneWayPackets,
                     absl::IDivDuration(budget, slowest, &unused_remainder) - kFinishIntervals);
  schedule.count = std::min(schedule.count, kMaxOneWayPackets);
  // Whole microseconds (the request's unit), rounded down: the schedule then fits the budget.
  const absl::Duration fitted =
      absl::Microseconds(absl::ToInt64Microseconds(budget / (schedule.count + kFinishIntervals)));
  schedule.interval = std::clamp(fitted, kMinOneWayInterval, slowest);
  return schedule;
}

}  // namespace pathpair::paired

// The one-way measurement's schedule in a paired test: how many packets each agent sends and
// how far apart. The measurement runs alongside the traces; it is fitted inside their planned
// duration, so that it adds nothing to the test's wall time, and never goes below the packets
// the paired diagnosis needs to place a loss in one direction.
//
//   OneWaySchedule schedule = PlanOneWaySchedule(plan.probe, plan.oneway_count,
//                                                plan.oneway_interval);
//   request.set_count(static_cast<int32_t>(schedule.count));
//   request.set_interval_us(absl::ToInt64Microseconds(schedule.interval));
#ifndef PATHPAIR_CONTROLLER_PAIRED_ONEWAY_SCHEDULE_H_
#define PATHPAIR_CONTROLLER_PAIRED_ONEWAY_SCHEDULE_H_

#include <cstdint>

#include "absl/time/time.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::paired {

// At least this many packets each way. The paired diagnosis places a loss in a direction when
// the Wilson lower bound (95%) of its one-way loss is above 2% (controller/diagnosis:
// kSignificantLossFloor): with 300 packets a 4% loss is placed (bound 2.3%); with 100, not even
// 5% (2.15% only at exactly 5 lost).
inline constexpr int64_t kMinOneWayPackets = 300;
// Packets never closer together than this: the agents' default one-way rate limit
// (pathpair-agent --max-oneway-rate, 1000 packets/s), about 0.3 Mbit/s of 40-byte packets.
inline constexpr absl::Duration kMinOneWayInterval = absl::Milliseconds(1);
// The most packets a plan asks for (the agents accept up to 2^24).
inline constexpr int64_t kMaxOneWayPackets = int64_t{1} << 20;

struct OneWaySchedule {
  int64_t count = 0;                               // test packets each agent sends
  absl::Duration interval = absl::ZeroDuration();  // between them
};

// The time the traces of `probe` are planned to send for: their last round leaves (count - 1)
// intervals after the first (an interval of 0 is the engine's default, 1 s). The traces then
// only wait for that round's answers.
absl::Duration PlannedTraceDuration(const v1::ProbeOptions& probe);

// How long a one-way measurement of `schedule` sends for: after its last test packet each end
// sends its finish packets, one per interval (agent/oneway/session.h), so a session ends
// (count + 2) intervals after its first test packet, plus the first and last packets' trips.
absl::Duration OneWayDuration(const OneWaySchedule& schedule);

// The schedule for a test with traces of `probe`: `requested_count` packets (0: as many as fit
// at `longest_interval`, at least kMinOneWayPackets), spaced to end within the traces' planned
// duration less a margin (a tenth of it, at least 20 ms: the first packets' trip before the
// peer counts, and the last ones' trip), but never closer than kMinOneWayInterval nor further
// apart than `longest_interval`. With traces too short for kMinOneWayPackets at
// kMinOneWayInterval the measurement outlasts them (-c 5 -i 0.05: 300 packets in about 0.3 s).
OneWaySchedule PlanOneWaySchedule(const v1::ProbeOptions& probe, int64_t requested_count,
                                  absl::Duration longest_interval);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_ONEWAY_SCHEDULE_H_

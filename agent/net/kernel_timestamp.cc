#include "agent/net/kernel_timestamp.h"

#include <time.h>

#include <algorithm>

namespace pathpair::net {

MonoTime MonotonicNow(OsSysCalls& sys) {
  return MonoTime::FromTimespec(sys.ClockGetTime(CLOCK_MONOTONIC));
}

ClockOffset SampleClockOffset(OsSysCalls& sys) {
  const MonoTime before = MonotonicNow(sys);
  const absl::Time wall = absl::TimeFromTimespec(sys.ClockGetTime(CLOCK_REALTIME));
  const MonoTime after = MonotonicNow(sys);
  return MakeClockOffset(before, wall, after);
}

ClockOffset MakeClockOffset(MonoTime mono_before, absl::Time wall, MonoTime mono_after) {
  // The wall reading happened somewhere between the two monotonic readings; the midpoint
  // halves the worst-case error.
  const MonoTime mid = mono_before + (mono_after - mono_before) / 2;
  ClockOffset offset;
  offset.wall_minus_mono = (wall - absl::UnixEpoch()) - mid.SinceEpoch();
  offset.mono_before = mono_before;
  offset.mono_after = mono_after;
  return offset;
}

MappedTime MapKernelTimestamp(std::optional<absl::Time> kernel_wall, const ClockOffset& offset,
                              MonoTime earliest, MonoTime latest, MonoTime fallback) {
  if (latest < earliest) std::swap(earliest, latest);
  const MonoTime safe_fallback = std::clamp(fallback, earliest, latest);
  if (!kernel_wall.has_value()) return {safe_fallback, false};
  const absl::Duration since_mono_epoch =
      (*kernel_wall - absl::UnixEpoch()) - offset.wall_minus_mono;
  const MonoTime mapped = MonoTime::FromEpochDuration(since_mono_epoch);
  if (mapped < earliest || mapped > latest) return {safe_fallback, false};
  return {mapped, true};
}

MappedTime MapSendTimestamp(std::optional<absl::Time> kernel_wall, const ClockOffset& offset,
                            MonoTime before_send, MonoTime latest) {
  return MapKernelTimestamp(kernel_wall, offset, before_send, latest, /*fallback=*/before_send);
}

std::optional<absl::Time> KernelStampFromTimespec(const struct timespec& ts) {
  if (ts.tv_sec == 0 && ts.tv_nsec == 0) return std::nullopt;
  return absl::TimeFromTimespec(ts);
}

}  // namespace pathpair::net

// Turns kernel packet timestamps (CLOCK_REALTIME) into points on the monotonic clock, so that
// every RTT pathpair reports is measured on CLOCK_MONOTONIC and a wall-clock step can never make
// it negative or wrong by the size of the step.
//
// The kernel stamps packets with the wall clock. Around each socket call we sample the offset
// between the two clocks (SampleClockOffset), convert the kernel stamp with it, and accept the
// result only if it lies within the user-space monotonic readings that bracket the packet
// (earliest, latest). Outside that window the wall clock must have stepped (or the stamp is
// bogus), and the caller's user-space measurement is used instead.
//
//   ClockOffset offset = SampleClockOffset();           // just after recvmsg
//   MappedTime t = MapKernelTimestamp(kernel_stamp, offset, socket_last_empty, after_recvmsg,
//                                     /*fallback=*/after_recvmsg);
//   engine.OnReply(seq, reply, t.time);
#ifndef PATHPAIR_AGENT_NET_KERNEL_TIMESTAMP_H_
#define PATHPAIR_AGENT_NET_KERNEL_TIMESTAMP_H_

#include <time.h>

#include <optional>

#include "absl/time/time.h"
#include "agent/net/os_sys_calls.h"
#include "common/time/clock.h"

namespace pathpair::net {

// The wall clock minus the monotonic clock at one moment, with the monotonic readings taken
// just before and after the wall-clock reading (their gap bounds the sampling error).
struct ClockOffset {
  absl::Duration wall_minus_mono = absl::ZeroDuration();
  MonoTime mono_before;
  MonoTime mono_after;
};

// Reads CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_MONOTONIC back to back (vDSO, tens of ns).
ClockOffset SampleClockOffset(OsSysCalls& sys = OsSysCalls::Real());

// Reads CLOCK_MONOTONIC.
MonoTime MonotonicNow(OsSysCalls& sys = OsSysCalls::Real());

// The same from explicit readings (for tests and for callers that already hold them).
ClockOffset MakeClockOffset(MonoTime mono_before, absl::Time wall, MonoTime mono_after);

struct MappedTime {
  MonoTime time;
  // True when the kernel stamp was used; false when the fallback was (no stamp, or the mapped
  // stamp fell outside [earliest, latest]).
  bool from_kernel = false;
};

// Maps a kernel CLOCK_REALTIME stamp to the monotonic clock. The result is the mapped stamp if
// it lies within [earliest, latest] (the user-space monotonic readings known to bracket the
// event), and `fallback` otherwise. `fallback` is itself clamped into [earliest, latest].
MappedTime MapKernelTimestamp(std::optional<absl::Time> kernel_wall, const ClockOffset& offset,
                              MonoTime earliest, MonoTime latest, MonoTime fallback);

// A probe's send time from the kernel's TX stamp and the monotonic readings taken just before
// sendmsg (`before_send`) and after the stamp was looked for (`latest`). The stamp is used when
// it maps into that window. Otherwise the probe is taken to have left at `before_send`: the
// packet cannot have left earlier, so an RTT measured from it is never below the true one,
// whereas a reading taken after sendmsg returned can be late by a whole scheduling delay under
// load and put the send after a (kernel-stamped) reply: a negative RTT.
MappedTime MapSendTimestamp(std::optional<absl::Time> kernel_wall, const ClockOffset& offset,
                            MonoTime before_send, MonoTime latest);

// A struct timespec from a cmsg as an absl::Time; nullopt for the all-zero "no stamp" value.
std::optional<absl::Time> KernelStampFromTimespec(const struct timespec& ts);

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_KERNEL_TIMESTAMP_H_

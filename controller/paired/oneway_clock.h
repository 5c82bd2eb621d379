// The one-way clock method: how a paired run's one-way delays are put on one time base, and how
// far they can be off. A one-way delay is a receive stamp minus a send stamp taken on two
// clocks; each agent reports its clock (v1::ClockStatus: adjtimex discipline and boot id) and
// the raw stamp differences with its round-trip offset estimate. Knowing both ends, the
// controller chooses:
//   same_host     equal boot ids: one kernel clock (CLOCK_REALTIME is shared by every namespace
//                 and container of a kernel). Raw stamps; error kSameHostErrorMs.
//   synchronized  both clocks disciplined (NTP, chrony, PTP). Raw stamps; error = the sum of
//                 both ends' estimated errors (adjtimex esterror).
//   estimated     otherwise: raw stamps corrected by the exchange's own offset estimate; error =
//                 its bound, half the smallest round trip. The estimate assumes symmetric delay,
//                 so a constant asymmetry is split evenly over both directions: it cannot be
//                 placed (NTP, chrony or PTP on both ends fixes that).
//   none          no estimate either (no round trip completed): only the variation means anything.
// A claim of one clock or of synchronised clocks is checked against the exchange: when an offset
// estimate puts the clocks further apart than the claim and the estimate's bounds allow, the
// claim is wrong and the run falls back to `estimated`, saying why (OneWayClock.note).
//
//   ResolveOneWayClocks(run);  // once the sides' clocks and both directions are in the run
//   const v1::OneWayClock clock = EffectiveClock(run.oneway_forward());
//   j["clock"] = OneWayClockToJson(clock);   // {"method": "same_host", "error_ms": 0.001, ...}
//   std::cout << DescribeRunClocks(run);     // the same in words, for the text and HTML reports
#ifndef PATHPAIR_CONTROLLER_PAIRED_ONEWAY_CLOCK_H_
#define PATHPAIR_CONTROLLER_PAIRED_ONEWAY_CLOCK_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pathpair/v1/oneway.pb.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::paired {

// The error of same_host delays. Both stamps come from one CLOCK_REALTIME with nanosecond
// resolution (clock_gettime for the send stamp, SO_TIMESTAMPNS for the receive stamp, both
// carried in nanoseconds on the wire), so the clocks add no error beyond the stamps'
// granularity. 1 us is the granularity the reports can state (milliseconds to 3 decimals) and
// adjtimex's unit; the real one (1 ns on high-resolution-timer kernels) is finer.
inline constexpr double kSameHostErrorMs = 0.001;

// What the two ends' clock status allows, before the exchange is checked: SAME_HOST for equal
// non-empty boot ids, SYNCHRONIZED when both clocks are disciplined, ESTIMATED otherwise.
v1::ClockMethod ChooseClockMethod(const v1::ClockStatus& client, const v1::ClockStatus& server);

// Puts every measured direction of `run` on one time base: chooses the method from
// run.client().clock() and run.server().clock(), checks it against each direction's offset
// estimate, and sets each direction's stats.delay (from stats.raw_delay) and clock.
void ResolveOneWayClocks(v1::PairedRun& run);

// A direction's clock as the reports read it: its `clock`, or, for a run stored before the
// method was recorded (its delays were corrected by the offset estimate when there was one),
// ESTIMATED with the estimate's bound, or NONE.
v1::OneWayClock EffectiveClock(const v1::OneWayMeasurement& measurement);

// "same_host", "synchronized", "estimated", "none" ("unspecified" for 0).
const char* ClockMethodName(v1::ClockMethod method);
std::optional<v1::ClockMethod> ClockMethodFromName(absl::string_view name);

// {"method", "error_ms" (null with none), "note" (null when empty)}.
nlohmann::ordered_json OneWayClockToJson(const v1::OneWayClock& clock);
// The inverse; InvalidArgument for an unknown method or a value of the wrong type.
absl::StatusOr<v1::OneWayClock> OneWayClockFromJson(const nlohmann::json& json);

// "+-0.001 ms", or "" with none (no bound).
std::string ClockErrorText(const v1::OneWayClock& clock);

// The run's clocks in words, one paragraph (no trailing newline): the method, why, its error
// bound per direction, and for estimated/none that a constant asymmetry cannot be placed and
// what fixes that. "" when the run has no one-way measurement.
std::string DescribeRunClocks(const v1::PairedRun& run);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_ONEWAY_CLOCK_H_

// Small builders of v1::PairedRun parts for the paired unit tests.
//
//   *run.mutable_oneway_forward() = OneWay(300, 240, 20);        // unsynchronised clocks
//   *run.mutable_oneway_reverse() = OneWay(300, 300, 0, 0.5);    // offset error bound 0.5 ms
// (as runs stored before the clock method: no `clock`, so EffectiveClock reads the estimate)
#ifndef PATHPAIR_TESTS_CONTROLLER_PAIRED_RUN_BUILDERS_H_
#define PATHPAIR_TESTS_CONTROLLER_PAIRED_RUN_BUILDERS_H_

#include <cstdint>
#include <optional>

#include "pathpair/v1/paired.pb.h"

namespace pathpair::paired {

inline v1::OneWayMeasurement OneWay(int64_t sent, int64_t received, double loss_pct,
                                    std::optional<double> offset_error_ms = std::nullopt) {
  v1::OneWayMeasurement m;
  m.mutable_stats()->set_sent(sent);
  m.mutable_stats()->set_received(received);
  m.mutable_stats()->set_loss_pct(loss_pct);
  if (offset_error_ms.has_value()) {
    m.mutable_offset_estimate()->set_estimated(true);
    m.mutable_offset_estimate()->set_error_bound_ms(*offset_error_ms);
  }
  return m;
}

}  // namespace pathpair::paired

#endif  // PATHPAIR_TESTS_CONTROLLER_PAIRED_RUN_BUILDERS_H_

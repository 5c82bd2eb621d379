#include "controller/paired/paired_run.h"

#include "absl/strings/str_cat.h"

namespace pathpair::paired {
namespace {

bool OneWayOk(bool present, const v1::OneWayMeasurement& measurement) {
  return present && measurement.error().empty();
}

}  // namespace

const char* CompletenessName(Completeness c) {
  switch (c) {
    case Completeness::kComplete:
      return "complete";
    case Completeness::kPartial:
      return "partial";
    case Completeness::kFailed:
      return "failed";
  }
  return "failed";
}

bool SideOk(const v1::PairedSide& side) { return side.error().empty() && side.has_trace(); }

Completeness RunCompleteness(const v1::PairedRun& run) {
  if (!run.client().has_trace() && !run.server().has_trace()) return Completeness::kFailed;
  if (run.interrupted() || !SideOk(run.client()) || !SideOk(run.server())) {
    return Completeness::kPartial;
  }
  if (run.oneway_requested() && (!OneWayOk(run.has_oneway_forward(), run.oneway_forward()) ||
                                 !OneWayOk(run.has_oneway_reverse(), run.oneway_reverse()))) {
    return Completeness::kPartial;
  }
  return Completeness::kComplete;
}

std::vector<std::string> RunErrors(const v1::PairedRun& run) {
  std::vector<std::string> errors;
  if (!run.client().error().empty()) {
    errors.push_back(absl::StrCat("forward trace (client ", run.client().endpoint(),
                                  "): ", run.client().error()));
  }
  if (!run.server().error().empty()) {
    errors.push_back(absl::StrCat("reverse trace (server ", run.server().endpoint(),
                                  "): ", run.server().error()));
  }
  if (run.oneway_requested()) {
    if (!run.oneway_forward().error().empty()) {
      errors.push_back(absl::StrCat("one-way client -> server: ", run.oneway_forward().error()));
    }
    if (!run.oneway_reverse().error().empty()) {
      errors.push_back(absl::StrCat("one-way server -> client: ", run.oneway_reverse().error()));
    }
  }
  if (run.interrupted()) errors.push_back("interrupted by the user before the end");
  return errors;
}

}  // namespace pathpair::paired

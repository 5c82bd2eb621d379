#include "controller/paired/paired_run.h"

#include "absl/strings/str_cat.h"

namespace pathpair::paired {

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

Completeness PairedRun::completeness() const {
  if (!client.trace.has_value() && !server.trace.has_value()) return Completeness::kFailed;
  if (interrupted || !forward_ok() || !reverse_ok()) return Completeness::kPartial;
  if (oneway_requested) {
    if (!oneway_forward.has_value() || !oneway_forward->error.empty())
      return Completeness::kPartial;
    if (!oneway_reverse.has_value() || !oneway_reverse->error.empty())
      return Completeness::kPartial;
  }
  return Completeness::kComplete;
}

std::vector<std::string> PairedRun::Errors() const {
  std::vector<std::string> errors;
  if (!client.error.empty()) {
    errors.push_back(absl::StrCat("forward trace (client ", client.endpoint, "): ", client.error));
  }
  if (!server.error.empty()) {
    errors.push_back(absl::StrCat("reverse trace (server ", server.endpoint, "): ", server.error));
  }
  if (oneway_requested) {
    if (oneway_forward.has_value() && !oneway_forward->error.empty()) {
      errors.push_back(absl::StrCat("one-way client -> server: ", oneway_forward->error));
    }
    if (oneway_reverse.has_value() && !oneway_reverse->error.empty()) {
      errors.push_back(absl::StrCat("one-way server -> client: ", oneway_reverse->error));
    }
  }
  if (interrupted) errors.push_back("interrupted by the user before the end");
  return errors;
}

}  // namespace pathpair::paired

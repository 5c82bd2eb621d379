// Loading and validating pathpair-netsim scenarios (schema: proto/pathpair/v1/netsim.proto).
// Parse errors name the file, line and column; validation errors name the field path, e.g.
// "forward.hops[2].router: unknown router \"core9\"".
//
//   absl::StatusOr<pathpair::v1::Scenario> s =
//   LoadScenarioFile("tests/scenarios/healthy.textproto"); if (!s.ok()) { std::cerr <<
//   s.status().message(); return 2; }
#ifndef PATHPAIR_TESTS_NETSIM_SCENARIO_H_
#define PATHPAIR_TESTS_NETSIM_SCENARIO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pathpair/v1/netsim.pb.h"

namespace pathpair::netsim {

// Parses text format; does not validate. `filename` only labels errors.
absl::StatusOr<pathpair::v1::Scenario> ParseScenarioText(absl::string_view text,
                                                         absl::string_view filename);

// Reads, parses and validates a scenario file.
absl::StatusOr<pathpair::v1::Scenario> LoadScenarioFile(const std::string& path);

// Checks everything the emulator relies on; the first problem found is returned.
absl::Status ValidateScenario(const pathpair::v1::Scenario& scenario);

// Whether the scenario gives its own reverse path (otherwise the forward path is mirrored).
bool HasExplicitReverse(const pathpair::v1::Scenario& scenario);

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_SCENARIO_H_

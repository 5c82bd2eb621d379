// Loading and validating pathpair-netsim scenarios (schema: tests/netsim/netsim.proto).
// Parse errors name the file, line and column; validation errors name the field path, e.g.
// "forward.hops[2].router: unknown router \"core9\"".
//
//   absl::StatusOr<v1::Scenario> s = LoadScenarioFile("tests/scenarios/healthy.textproto");
//   if (!s.ok()) { std::cerr << s.status().message(); return 2; }
#ifndef PATHPAIR_TESTS_NETSIM_SCENARIO_H_
#define PATHPAIR_TESTS_NETSIM_SCENARIO_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/netsim/netsim.pb.h"

namespace pathpair::netsim {

// Parses text format; does not validate. `filename` only labels errors.
absl::StatusOr<v1::Scenario> ParseScenarioText(absl::string_view text, absl::string_view filename);

// Reads, parses and validates a scenario file.
absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path);

// Checks everything the emulator relies on; the first problem found is returned.
absl::Status ValidateScenario(const v1::Scenario& scenario);

// The pass-through scenario of a wire between two real routers: a_to_b from the client end to
// the server end, b_to_a back; no routers, packets otherwise unchanged.
v1::Scenario WireScenario(const v1::Link& a_to_b, const v1::Link& b_to_a, uint64_t seed);

// Whether the scenario gives its own reverse path (otherwise the forward path is mirrored).
bool HasExplicitReverse(const v1::Scenario& scenario);

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_SCENARIO_H_

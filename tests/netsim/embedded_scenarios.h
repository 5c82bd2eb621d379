// Scenarios built into pathpair-netsim. `default` (tests/scenarios/default.textproto, the
// realistic 15-hop demo path) is what `pathpair-netsim run|up|describe default` uses when no
// file named "default" exists.
//
//   absl::StatusOr<Scenario> s = ParseScenarioText(kEmbeddedDefaultScenario, "<default>");
#ifndef PATHPAIR_TESTS_NETSIM_EMBEDDED_SCENARIOS_H_
#define PATHPAIR_TESTS_NETSIM_EMBEDDED_SCENARIOS_H_

namespace pathpair::netsim {

extern const char kEmbeddedDefaultScenario[];

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_EMBEDDED_SCENARIOS_H_

// What pathpair-topo prints about a topology (one line of JSON), for the tests and scripts that
// drive it: the name; each node's namespace, interfaces with their addresses and management
// link; for a chain its nodes and links in order, its detour routers and twin, and the hops an
// ideal tracer sees in each direction and family (ExpectedHops).
//
//   {"name":"pp1a2b3c","nodes":{"client":{"namespace":"pp1a2b3c-client","interfaces":{"r":
//    ["198.51.100.1/30","2001:db8::1/64"]}},...},"chain":{"client":{...},"server":{...},
//    "links":[{"left":{...},"right":{...}}],"hops":{"ipv4":{"forward":[...],"reverse":[...]}}}}
#ifndef PATHPAIR_TESTS_TOPO_DESCRIBE_H_
#define PATHPAIR_TESTS_TOPO_DESCRIBE_H_

#include <nlohmann/json.hpp>

#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::topo {

// `live` (may be null) adds what exists only once built: the management addresses.
nlohmann::ordered_json Describe(const Expanded& expanded, const Topology* live);

}  // namespace pathpair::topo

#endif  // PATHPAIR_TESTS_TOPO_DESCRIBE_H_

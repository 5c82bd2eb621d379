// The two endpoint namespaces of one pathpair-netsim instance, as a topology for the namespace
// builder (tests/topo), and the NETSIM_* variables that describe them.
//
// Instance NAME (1-10 characters of [a-z0-9]) owns:
//   namespaces  NAME-cli, NAME-srv (topology nodes "cli" and "srv")
//   in each: the TUN device "netsim0" (the emulator keeps its file descriptor), the endpoint's /32
//            and /128 addresses, default routes into netsim0, loopback up, and sysctls set inside
//            the namespace only (no kernel ICMP rate limits, no DAD, forwarding off, ping sockets
//            open to every group)
//   with management: a veth from each to the root namespace (mgmt0 inside, NAME-m0 and NAME-m1
//            outside), a /30 each from 10.213.X.0/24; the namespaces get no route beyond it.
//
//   absl::StatusOr<std::unique_ptr<topo::Topology>> t =
//       topo::Topology::Up(EndpointTopology(scenario, "pp1a2b3c", /*management=*/false));
//   int fd = (*t)->tun_fd(kClientNode, kTunInterface);
#ifndef PATHPAIR_TESTS_NETSIM_ENDPOINTS_H_
#define PATHPAIR_TESTS_NETSIM_ENDPOINTS_H_

#include <string>
#include <utility>
#include <vector>

#include "tests/netsim/netsim.pb.h"
#include "tests/topo/topo.pb.h"
#include "tests/topo/topology.h"

namespace pathpair::netsim {

inline constexpr char kClientNode[] = "cli";
inline constexpr char kServerNode[] = "srv";
inline constexpr char kTunInterface[] = "netsim0";

std::string ClientNamespace(const std::string& name);
std::string ServerNamespace(const std::string& name);

topo::v1::Topology EndpointTopology(const v1::Scenario& scenario, const std::string& name,
                                    bool management);

// NETSIM_NAME, NETSIM_CLIENT_NS, NETSIM_SERVER_NS, NETSIM_{CLIENT,SERVER}_IP and _IP6, and with
// management NETSIM_{CLIENT,SERVER}_MGMT_IP (the namespace end) and _MGMT_PEER_IP (the root end).
std::vector<std::pair<std::string, std::string>> Environment(const v1::Scenario& scenario,
                                                             const topo::Topology& topology);

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_ENDPOINTS_H_

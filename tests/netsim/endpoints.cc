#include "tests/netsim/endpoints.h"

#include "absl/strings/str_cat.h"
#include "tests/topo/spec.h"

namespace pathpair::netsim {

std::string ClientNamespace(const std::string& name) {
  return topo::NamespaceName(name, kClientNode);
}
std::string ServerNamespace(const std::string& name) {
  return topo::NamespaceName(name, kServerNode);
}

topo::v1::Topology EndpointTopology(const v1::Scenario& scenario, const std::string& name,
                                    bool management) {
  topo::v1::Topology t;
  t.set_name(name);
  // The emulated routers answer, not the kernel; the endpoints' own replies are not limited
  // unless the scenario asks for a stock host's limits.
  t.set_icmp_rate_limits(topo::v1::ICMP_RATE_LIMITS_OFF);
  for (const auto& [node_name, endpoint] :
       {std::pair{kClientNode, &scenario.client()}, std::pair{kServerNode, &scenario.server()}}) {
    topo::v1::Node* node = t.add_nodes();
    node->set_name(node_name);
    node->set_management(management);
    if (endpoint->kernel_icmp_rate_limits()) {
      node->set_icmp_rate_limits(topo::v1::ICMP_RATE_LIMITS_KERNEL_DEFAULT);
    }
    for (const auto& [key, value] : {std::pair{"net.ipv6.conf.all.disable_ipv6", "0"},
                                     std::pair{"net.ipv6.conf.default.router_solicitations", "0"},
                                     std::pair{"net.ipv4.ping_group_range", "0 2147483647"}}) {
      topo::v1::Sysctl* s = node->add_sysctls();
      s->set_key(key);
      s->set_value(value);
    }
    topo::v1::Interface* tun = t.add_tuns()->mutable_end();
    tun->set_node(node_name);
    tun->set_name(kTunInterface);
    for (const auto& [address, prefix] :
         {std::pair{&endpoint->ipv4(), "/32"}, std::pair{&endpoint->ipv6(), "/128"}}) {
      if (address->empty()) continue;
      tun->add_addresses(*address + prefix);
      topo::v1::Route* route = node->add_routes();
      route->set_to("default");
      route->set_dev(kTunInterface);
      route->set_src(*address);
    }
  }
  return t;
}

std::vector<std::pair<std::string, std::string>> Environment(const v1::Scenario& scenario,
                                                             const topo::Topology& topology) {
  const std::string& name = topology.name();
  std::vector<std::pair<std::string, std::string>> env = {
      {"NETSIM_NAME", name},
      {"NETSIM_CLIENT_NS", ClientNamespace(name)},
      {"NETSIM_SERVER_NS", ServerNamespace(name)},
      {"NETSIM_CLIENT_IP", scenario.client().ipv4()},
      {"NETSIM_SERVER_IP", scenario.server().ipv4()},
      {"NETSIM_CLIENT_IP6", scenario.client().ipv6()},
      {"NETSIM_SERVER_IP6", scenario.server().ipv6()}};
  for (const auto& [node, label] :
       {std::pair{kClientNode, "CLIENT"}, std::pair{kServerNode, "SERVER"}}) {
    if (auto m = topology.management(node)) {
      env.emplace_back(absl::StrCat("NETSIM_", label, "_MGMT_IP"), m->address);
      env.emplace_back(absl::StrCat("NETSIM_", label, "_MGMT_PEER_IP"), m->peer);
    }
  }
  return env;
}

}  // namespace pathpair::netsim

#include "tests/topo/describe.h"

namespace pathpair::topo {
namespace {

using Json = nlohmann::ordered_json;

Json EndJson(const ChainEnd& end) {
  return {{"node", end.node}, {"interface", end.interface}, {"ipv4", end.ipv4}, {"ipv6", end.ipv6}};
}

Json HopsJson(const v1::Topology& spec, const std::string& from, const std::string& to) {
  absl::StatusOr<IpAddress> target = IpAddress::Parse(to);
  absl::StatusOr<std::vector<IpAddress>> hops =
      target.ok() ? ExpectedHops(spec, from, *target) : target.status();
  if (!hops.ok()) return {{"error", std::string(hops.status().message())}};
  Json out = Json::array();
  for (const IpAddress& a : *hops) out.push_back(a.ToString());
  return out;
}

}  // namespace

nlohmann::ordered_json Describe(const Expanded& expanded, const Topology* live) {
  const v1::Topology& spec = expanded.spec;
  Json nodes = Json::object();
  for (const v1::Node& node : spec.nodes()) {
    nodes[node.name()] = {{"namespace", NamespaceName(spec.name(), node.name())},
                          {"forwarding", node.forwarding()},
                          {"interfaces", Json::object()}};
    if (live != nullptr) {
      if (auto m = live->management(node.name())) {
        nodes[node.name()]["management"] = {{"address", m->address}, {"peer", m->peer}};
      }
    }
  }
  for (const v1::Interface* i : Interfaces(spec)) {
    Json addresses = Json::array();
    for (const std::string& a : i->addresses()) addresses.push_back(a);
    nodes[i->node()]["interfaces"][i->name()] = addresses;
  }
  Json out = {{"name", spec.name()}, {"nodes", nodes}};
  if (!expanded.chain) return out;
  const ChainLayout& chain = *expanded.chain;
  Json links = Json::array();
  for (const ChainLink& l : chain.links) {
    links.push_back({{"left", EndJson(l.left)}, {"right", EndJson(l.right)}});
  }
  const ChainEnd& client = chain.links.front().left;
  const ChainEnd& server = chain.links.back().right;
  Json hops = Json::object();
  for (const char* family : {"ipv4", "ipv6"}) {
    const bool v4 = std::string(family) == "ipv4";
    hops[family] = {{"forward", HopsJson(spec, client.node, v4 ? server.ipv4 : server.ipv6)},
                    {"reverse", HopsJson(spec, server.node, v4 ? client.ipv4 : client.ipv6)}};
  }
  out["chain"] = {{"nodes", chain.nodes},
                  {"links", links},
                  {"client", EndJson(client)},
                  {"server", EndJson(server)},
                  {"detour_routers", chain.detour_routers},
                  {"twin", chain.twin.empty() ? Json() : EndJson(chain.twin_end)},
                  {"hops", hops}};
  return out;
}

}  // namespace pathpair::topo

// Topology specs of the namespace builder (schema: tests/topo/topo.proto), without touching the
// system: parsing, expanding a `chain` into nodes, links and routes, validation, and the hops a
// tracer must see on the expanded topology. Pure, so it is tested without root.
//
//   absl::StatusOr<Expanded> t = Expand(*ParseSpec("chain { routers: 3 }", "<inline>"));
//   ExpectedHops(t->spec, "client", *IpAddress::Parse("198.51.100.14"));
//   // -> 198.51.100.2, 198.51.100.6, 198.51.100.10, 198.51.100.14
#ifndef PATHPAIR_TESTS_TOPO_SPEC_H_
#define PATHPAIR_TESTS_TOPO_SPEC_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"
#include "tests/topo/topo.pb.h"

namespace pathpair::topo {

// The chain's hosts. Routers are "r1".."rN", detour routers "d1".., the twin "tK".
inline constexpr char kClient[] = "client";
inline constexpr char kServer[] = "server";
// The interface every node with `management` gets toward the root namespace.
inline constexpr char kManagementInterface[] = "mgmt0";

// An interface address with its prefix length, "198.51.100.1/30" or "2001:db8::1/64".
struct InterfaceAddress {
  IpAddress address;
  int prefix_length = 0;

  // The prefix length is required.
  static absl::StatusOr<InterfaceAddress> Parse(absl::string_view text);
  // Whether `other` lies in this address's subnet.
  bool Covers(const IpAddress& other) const;
};

// Text format, or JSON when the text starts with '{'. Not validated.
absl::StatusOr<v1::Topology> ParseSpec(absl::string_view text, absl::string_view filename);
// Reads and parses a spec file ("-": standard input). Not validated.
absl::StatusOr<v1::Topology> LoadSpecFile(const std::string& path);

// One end of a chain link, as the tests want it: the node and the addresses without prefixes.
struct ChainEnd {
  std::string node;
  std::string interface;
  std::string ipv4;
  std::string ipv6;
};
struct ChainLink {
  ChainEnd left;   // toward the client
  ChainEnd right;  // toward the server
};
// What a chain became: the nodes in order and the links between them (link i joins nodes[i]
// and nodes[i + 1]), the detour routers and the twin.
struct ChainLayout {
  std::vector<std::string> nodes;  // "client", "r1", ..., "server"
  std::vector<ChainLink> links;
  std::vector<std::string> detour_routers;  // "d1", ...
  std::string twin;                         // "tK", or empty
  ChainEnd twin_end;                        // the twin's end of the link from router K-1
};

struct Expanded {
  v1::Topology spec;                 // no chain; a name; every node's ICMP setting resolved
  std::optional<ChainLayout> chain;  // when the spec had one
};

// Expands the chain, gives a random name when there is none, resolves each node's ICMP rate
// limits, then validates the result.
absl::StatusOr<Expanded> Expand(const v1::Topology& spec);

// What the builder relies on: names, unique addresses with prefixes and never in 192.0.2.0/24
// (this host's real network), interfaces that exist, routes of one family. First problem only,
// with the field path ("nodes[2].routes[0].via: ...").
absl::Status Validate(const v1::Topology& spec);

// Every interface of the spec: both ends of each link, then of each wire, then the TUNs.
std::vector<const v1::Interface*> Interfaces(const v1::Topology& spec);

bool IsValidTopologyName(absl::string_view name);  // 1-10 of [a-z0-9]
bool IsValidNodeName(absl::string_view name);      // 1-12 of [a-z0-9]
std::string RandomTopologyName();                  // "pp" + 6 hex digits
std::string NamespaceName(absl::string_view topology, absl::string_view node);  // "NAME-NODE"

// The addresses an ideal tracer on node `from` sees toward `to`, hop by hop, by the spec's routes
// (main tables; policy rules ignored), as Linux routers answer: over IPv4 from the address of the
// interface their route back to the prober's source leaves by, over IPv6 from the address of the
// interface the probe came in on (the two differ where the way back differs). The last entry is
// `to` itself.
absl::StatusOr<std::vector<IpAddress>> ExpectedHops(const v1::Topology& spec,
                                                    absl::string_view from, const IpAddress& to);

}  // namespace pathpair::topo

#endif  // PATHPAIR_TESTS_TOPO_SPEC_H_

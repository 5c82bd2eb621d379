// The one builder of network-namespace topologies for tests (root): namespaces, veth links with
// one address per interface, routes, sysctls, nftables rules, TUN devices for the path emulator,
// the two TUN ends of emulated wires, and management links to the root namespace. Every user
// goes through it: the C++ root tests, pathpair-netsim, and through the pathpair-topo command the
// Python tests (tests/topo/topo.py) and shell scripts.
//
// Removal is reliable: names are unique ("pp" + random hex; the namespaces are NAME-NODE); a
// failed Up removes what it made; Down (also the destructor) removes everything; and a reaper
// process, started before anything is built, removes it all when the owner dies without Down
// (a crash, SIGKILL, a test timeout). `pathpair-topo down NAME` (Remove) clears what is left in
// any other case.
//
//   absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(*ParseSpec(R"pb(
//     icmp_rate_limits: ICMP_RATE_LIMITS_OFF
//     chain { routers: 2 }
//   )pb", "<inline>"));
//   {
//     auto in_client = (*t)->Enter("client");  // sockets opened now live in the client
//     ...
//   }
//   (*t)->Exec("r1", {"nft", "list", "ruleset"});
//   (*t)->Down();                               // also done by the destructor
#ifndef PATHPAIR_TESTS_TOPO_TOPOLOGY_H_
#define PATHPAIR_TESTS_TOPO_TOPOLOGY_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/topo/command.h"
#include "tests/topo/spec.h"

namespace pathpair::topo {

// While alive, the calling thread is in the network namespace of `namespace_file` (setns is per
// thread); it returns to its own when the scope ends. Sockets opened meanwhile stay there.
class NamespaceScope {
 public:
  explicit NamespaceScope(const std::string& namespace_file);
  ~NamespaceScope();
  NamespaceScope(const NamespaceScope&) = delete;
  NamespaceScope& operator=(const NamespaceScope&) = delete;
  bool ok() const { return ok_; }

 private:
  int original_ = -1;
  bool ok_ = false;
};

// Runs `body` on a helper thread inside that namespace; the caller's thread stays where it is.
absl::Status RunInNamespace(const std::string& namespace_file,
                            const std::function<absl::Status()>& body);

class Topology {
 public:
  // Expands and validates `spec`, then builds it. On failure nothing of it is left.
  static absl::StatusOr<std::unique_ptr<Topology>> Up(const v1::Topology& spec);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Removes everything (idempotent).
  void Down();

  const std::string& name() const { return expanded_.spec.name(); }
  const Expanded& expanded() const { return expanded_; }
  const v1::Topology& spec() const { return expanded_.spec; }

  std::string Namespace(const std::string& node) const { return NamespaceName(name(), node); }
  std::string NamespaceFile(const std::string& node) const {
    return "/run/netns/" + Namespace(node);
  }
  std::unique_ptr<NamespaceScope> Enter(const std::string& node) const {
    return std::make_unique<NamespaceScope>(NamespaceFile(node));
  }
  // `ip netns exec NAME-NODE argv...`: an error unless it exits 0.
  absl::Status Exec(const std::string& node, const std::vector<std::string>& argv) const;
  absl::StatusOr<CommandResult> Command(const std::string& node,
                                        const std::vector<std::string>& argv,
                                        const std::string& input = "") const;

  // The file descriptor of a TUN device of `tuns` (the topology keeps it; -1 if none).
  int tun_fd(const std::string& node, const std::string& interface) const;
  struct WireEnds {
    const v1::Wire* wire;
    int a_fd;
    int b_fd;
  };
  std::vector<WireEnds> wires() const;

  struct ManagementLink {
    std::string address;  // in the namespace (on mgmt0)
    std::string peer;     // in the root namespace
  };
  std::optional<ManagementLink> management(const std::string& node) const;

 private:
  explicit Topology(Expanded expanded) : expanded_(std::move(expanded)) {}
  absl::Status Build();
  absl::Status CreateNamespaces();
  absl::Status CreateLinks();
  absl::Status CreateTuns();
  absl::Status CreateManagementLinks();
  absl::Status ConfigureNodes();
  absl::StatusOr<int> OpenTun(const std::string& node, const std::string& interface);

  Expanded expanded_;
  std::map<std::pair<std::string, std::string>, int> tun_fds_;  // (node, interface) -> fd
  std::map<std::string, ManagementLink> management_;
  pid_t reaper_ = -1;
  int reaper_pipe_ = -1;  // the reaper removes everything when this closes
  bool down_ = false;
};

// A topology with state on this host (/run/pathpair-topo/NAME.pid).
struct TopologyState {
  std::string name;
  pid_t owner = 0;
  pid_t reaper = 0;
  bool owner_alive = false;
};
std::vector<TopologyState> ListTopologies();

// Stops topology NAME's owner (SIGTERM; SIGKILL after 5 s) and its reaper, then removes whatever
// is left: processes in its namespaces (SIGTERM, then SIGKILL), the namespaces, its devices in the
// root namespace, its state file. Safe when nothing is left.
void Remove(const std::string& name);

// Only the leftovers (no owner is signalled); what the reaper and a failed Up call.
void RemoveLeftovers(const std::string& name);

}  // namespace pathpair::topo

#endif  // PATHPAIR_TESTS_TOPO_TOPOLOGY_H_

// Namespaces, TUN devices and the management link of one pathpair-netsim instance.
//
// Instance NAME (at most 10 characters, [a-z0-9]) owns:
//   network namespaces  NAME-cli, NAME-srv
//   in each: a TUN device "netsim0" (the emulator holds its file descriptor in the root
//            namespace; the device vanishes when the descriptor closes), the endpoint's /32 and
//            /128 addresses, default routes into netsim0, loopback up, and sysctls set inside the
//            namespace only (no ICMP rate limits of the kernel, no DAD)
//   with management: veth pairs NAME-mc <-> mgmt0 (in NAME-cli) and NAME-ms <-> mgmt0 (in
//            NAME-srv), 10.213.K.0/30 and 10.213.K.4/30 (root side .1 and .5, namespace side .2
//            and .6); the namespaces get no route beyond their /30.
//
//   absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Create(scenario, "pp1a2b3c", false);
//   int fd = (*t)->tun_fd(Side::kClient);
//   ...
//   (*t)->Teardown();   // also done by the destructor
#ifndef PATHPAIR_TESTS_NETSIM_NETNS_H_
#define PATHPAIR_TESTS_NETSIM_NETNS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pathpair/v1/netsim.pb.h"
#include "tests/netsim/path_engine.h"

namespace pathpair::netsim {

// Runs argv (argv[0] looked up in PATH) and waits; error unless it exits 0. Stderr is captured
// into the error message.
absl::Status RunCommand(const std::vector<std::string>& argv);

// A fresh instance name: "pp" and 6 random hex digits.
std::string RandomInstanceName();
bool IsValidInstanceName(const std::string& name);

std::string ClientNamespace(const std::string& name);
std::string ServerNamespace(const std::string& name);

// Removes whatever instance NAME left behind: processes in its namespaces (SIGTERM, then
// SIGKILL), the namespaces, the management veths. Safe to call when nothing is left.
void RemoveInstance(const std::string& name);

class Topology {
 public:
  static absl::StatusOr<std::unique_ptr<Topology>> Create(const pathpair::v1::Scenario& scenario,
                                                          const std::string& name, bool management);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  const std::string& name() const { return name_; }
  int tun_fd(Side side) const { return side == Side::kClient ? client_tun_ : server_tun_; }
  // NETSIM_* variables: addresses, namespace names, management addresses when present.
  std::vector<std::pair<std::string, std::string>> Environment() const;
  void Teardown();

 private:
  Topology() = default;
  absl::Status Build(const pathpair::v1::Scenario& scenario, bool management);

  std::string name_;
  int client_tun_ = -1;
  int server_tun_ = -1;
  bool torn_down_ = false;
  std::vector<std::pair<std::string, std::string>> env_;
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_NETNS_H_

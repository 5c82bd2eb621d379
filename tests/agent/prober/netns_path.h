// A two-hop path of real Linux network namespaces for root integration tests:
//
//   client -------------- router -------------- server
//   198.51.100.1       198.51.100.2 | 203.0.113.1       203.0.113.2
//   2001:db8:1::1      2001:db8:1::2 | 2001:db8:2::1    2001:db8:2::2
//
// The router forwards with the kernel and sends the kernel's ICMP errors; ICMP rate limits are
// off in the namespaces. Nothing connects to the host's network: the veths are created inside
// the namespaces.
//
// The namespaces are anonymous: each is held by a small child process (killed with the test
// process through PR_SET_PDEATHSIG), so the kernel removes them even when a test crashes, and
// no name can collide with anyone else's.
//
//   absl::StatusOr<std::unique_ptr<NetnsPath>> path = NetnsPath::Create();
//   auto scope = (*path)->EnterClient();   // sockets opened now live in the client namespace
#ifndef PATHPAIR_TESTS_AGENT_PROBER_NETNS_PATH_H_
#define PATHPAIR_TESTS_AGENT_PROBER_NETNS_PATH_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pathpair::prober {

class NetnsPath {
 public:
  enum class Role { kClient, kRouter, kServer };

  static absl::StatusOr<std::unique_ptr<NetnsPath>> Create();
  ~NetnsPath();

  // While alive, the calling thread is in the given namespace.
  class Scope {
   public:
    explicit Scope(const std::string& netns_path);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    bool ok() const { return ok_; }

   private:
    int original_ = -1;
    bool ok_ = false;
  };
  std::unique_ptr<Scope> EnterClient() const {
    return std::make_unique<Scope>(NetnsFile(Role::kClient));
  }

  // /proc/PID/ns/net of the process holding the namespace.
  std::string NetnsFile(Role role) const;

  // Runs a shell command inside the namespace of `role` (nsenter --net).
  absl::Status Exec(Role role, const std::string& command) const;

 private:
  NetnsPath() = default;
  absl::Status Build();
  pid_t holders_[3] = {-1, -1, -1};
};

}  // namespace pathpair::prober

#endif  // PATHPAIR_TESTS_AGENT_PROBER_NETNS_PATH_H_

#include "tests/agent/prober/netns_path.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace pathpair::prober {
namespace {

absl::Status Shell(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  const int rc = std::system(quiet.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("command failed (", rc, "): ", command));
  return absl::OkStatus();
}

// Forks a process that holds a fresh network namespace until it is killed (or its parent dies).
pid_t SpawnNamespaceHolder() {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char ok = unshare(CLONE_NEWNET) == 0 ? '1' : '0';
    (void)!write(ready[1], &ok, 1);
    for (;;) pause();
  }
  close(ready[1]);
  char ok = '0';
  if (pid < 0 || read(ready[0], &ok, 1) != 1 || ok != '1') {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    close(ready[0]);
    return -1;
  }
  close(ready[0]);
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetnsPath>> NetnsPath::Create() {
  std::unique_ptr<NetnsPath> path(new NetnsPath());
  for (pid_t& holder : path->holders_) {
    holder = SpawnNamespaceHolder();
    if (holder < 0) return absl::InternalError("cannot create a network namespace");
  }
  absl::Status built = path->Build();
  if (!built.ok()) return built;  // the destructor removes what was made
  return path;
}

std::string NetnsPath::NetnsFile(Role role) const {
  return absl::StrCat("/proc/", holders_[static_cast<int>(role)], "/ns/net");
}

absl::Status NetnsPath::Exec(Role role, const std::string& command) const {
  return Shell(absl::StrCat("nsenter --net=", NetnsFile(role), " ", command));
}

absl::Status NetnsPath::Build() {
  const std::string a = absl::StrCat("nsenter --net=", NetnsFile(Role::kClient), " ");
  const std::string r = absl::StrCat("nsenter --net=", NetnsFile(Role::kRouter), " ");
  const std::string b = absl::StrCat("nsenter --net=", NetnsFile(Role::kServer), " ");
  const std::vector<std::string> commands = {
      // No duplicate address detection, so addresses are usable at once.
      a + "sysctl -w net.ipv6.conf.default.accept_dad=0",
      r + "sysctl -w net.ipv6.conf.default.accept_dad=0",
      b + "sysctl -w net.ipv6.conf.default.accept_dad=0",
      // Created inside the namespaces: no interface ever appears in the host's namespace.
      a + absl::StrCat("ip link add a0 type veth peer name r0 netns ",
                       holders_[static_cast<int>(Role::kRouter)]),
      r + absl::StrCat("ip link add r1 type veth peer name b0 netns ",
                       holders_[static_cast<int>(Role::kServer)]),
      a + "ip addr add 198.51.100.1/24 dev a0",
      a + "ip addr add 2001:db8:1::1/64 dev a0 nodad",
      r + "ip addr add 198.51.100.2/24 dev r0",
      r + "ip addr add 2001:db8:1::2/64 dev r0 nodad",
      r + "ip addr add 203.0.113.1/24 dev r1",
      r + "ip addr add 2001:db8:2::1/64 dev r1 nodad",
      b + "ip addr add 203.0.113.2/24 dev b0",
      b + "ip addr add 2001:db8:2::2/64 dev b0 nodad",
      a + "ip link set lo up",
      r + "ip link set lo up",
      b + "ip link set lo up",
      a + "ip link set a0 up",
      r + "ip link set r0 up",
      r + "ip link set r1 up",
      b + "ip link set b0 up",
      a + "ip route add default via 198.51.100.2",
      a + "ip -6 route add default via 2001:db8:1::2",
      b + "ip route add default via 203.0.113.1",
      b + "ip -6 route add default via 2001:db8:2::1",
      r + "sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1",
      r + "sysctl -w net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0",
      b + "sysctl -w net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0",
  };
  for (const std::string& command : commands) {
    absl::Status status = Shell(command);
    if (!status.ok()) return status;
  }
  // Resolve every neighbour on the path before a test probes it: IPv6 neighbour discovery on
  // fresh veths takes about a second, which would delay the first probes past their timeout.
  // A datagram to the server's discard port makes each hop resolve the next; replies resolve
  // the way back.
  const std::string warm_up = absl::StrReplaceAll(
      R"(bash -c 'for i in $(seq 60); do
         A bash -c "echo > /dev/udp/2001:db8:2::2/9; echo > /dev/udp/203.0.113.2/9"
         A ip -6 neigh show 2001:db8:1::2 | grep -q lladdr &&
         R ip -6 neigh show 2001:db8:2::2 | grep -q lladdr &&
         B ip -6 neigh show 2001:db8:2::1 | grep -q lladdr &&
         R ip -6 neigh show 2001:db8:1::1 | grep -q lladdr &&
         A ip neigh show 198.51.100.2 | grep -q lladdr &&
         B ip neigh show 203.0.113.1 | grep -q lladdr && exit 0
         sleep 0.1
       done; exit 1')",
      {{"A ", a}, {"R ", r}, {"B ", b}});
  return Shell(warm_up);
}

NetnsPath::~NetnsPath() {
  // The namespaces (and their veths) go away with the last process in them.
  for (pid_t holder : holders_) {
    if (holder > 0) {
      kill(holder, SIGKILL);
      waitpid(holder, nullptr, 0);
    }
  }
}

NetnsPath::Scope::Scope(const std::string& netns_path) {
  original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  ok_ = original_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
  if (target >= 0) close(target);
}

NetnsPath::Scope::~Scope() {
  if (original_ >= 0) {
    (void)setns(original_, CLONE_NEWNET);
    close(original_);
  }
}

}  // namespace pathpair::prober

#include "tests/netsim/netns.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"

namespace pathpair::netsim {
namespace {

// Runs argv, returning its exit status and stdout (stderr into `err`).
absl::StatusOr<int> RunCapture(const std::vector<std::string>& argv, std::string* out,
                               std::string* err) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError("pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(e)));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  auto drain = [](int fd, std::string* into) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0 && into) into->append(buf, n);
    }
    close(fd);
  };
  drain(out_pipe[0], out);
  drain(err_pipe[0], err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

absl::Status Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

// Writes /proc/sys entries inside a namespace (a forked child joins it; /proc/sys/net shows the
// writer's namespace). Missing entries are ignored.
absl::Status WriteSysctlsIn(const std::string& ns,
                            const std::vector<std::pair<std::string, std::string>>& values) {
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(1);
    for (const auto& [key, value] : values) {
      std::string path = "/proc/sys/" + key;
      for (char& c : path) {
        if (c == '.') c = '/';
      }
      int f = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (f < 0) continue;
      ssize_t ignored = write(f, value.data(), value.size());
      (void)ignored;
      close(f);
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("cannot enter namespace ", ns, " for sysctls"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> OpenTun(const std::string& ifname) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("/dev/net/tun: ", strerror(errno)));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    int e = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("TUNSETIFF ", ifname, ": ", strerror(e)));
  }
  return fd;
}

// Management /30s: the first K in 0..255 whose 10.213.K.0/24 is unused in the root namespace.
absl::StatusOr<int> PickManagementSubnet(const std::string& name) {
  std::string out, err;
  PATHPAIR_ASSIGN_OR_RETURN(int rc, RunCapture({"ip", "-o", "-4", "addr", "show"}, &out, &err));
  if (rc != 0) return absl::InternalError("ip addr show failed");
  std::set<int> used;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    size_t at = line.find(" 10.213.");
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + 8);
    int k = 0;
    size_t i = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') k = k * 10 + (rest[i++] - '0');
    used.insert(k);
  }
  const int first = static_cast<int>(std::hash<std::string>{}(name) % 256);
  for (int i = 0; i < 256; ++i) {
    int k = (first + i) % 256;
    if (!used.count(k)) return k;
  }
  return absl::ResourceExhaustedError("no free 10.213.K.0/24 for the management link");
}

}  // namespace

absl::Status RunCommand(const std::vector<std::string>& argv) {
  std::string err;
  PATHPAIR_ASSIGN_OR_RETURN(int rc, RunCapture(argv, nullptr, &err));
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("`", absl::StrJoin(argv, " "), "` failed (", rc, "): ", err));
  }
  return absl::OkStatus();
}

std::string RandomInstanceName() {
  std::random_device rd;
  return absl::StrCat("pp", absl::Hex(rd() & 0xffffff, absl::kZeroPad6));
}

bool IsValidInstanceName(const std::string& name) {
  if (name.empty() || name.size() > 10) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string ClientNamespace(const std::string& name) { return name + "-cli"; }
std::string ServerNamespace(const std::string& name) { return name + "-srv"; }

void RemoveInstance(const std::string& name) {
  for (const std::string& ns : {ClientNamespace(name), ServerNamespace(name)}) {
    if (access(("/run/netns/" + ns).c_str(), F_OK) != 0) continue;
    for (int sig : {SIGTERM, SIGKILL}) {
      std::string out, err;
      absl::StatusOr<int> rc = RunCapture({"ip", "netns", "pids", ns}, &out, &err);
      if (!rc.ok() || out.empty()) break;
      for (absl::string_view pid_text : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
        int pid = 0;
        if (absl::SimpleAtoi(pid_text, &pid) && pid > 1 && pid != getpid()) kill(pid, sig);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(sig == SIGTERM ? 300 : 50));
    }
    (void)Ip({"netns", "del", ns});
  }
  for (const std::string& dev : {name + "-mc", name + "-ms", name + "-c", name + "-s"}) {
    if (access(("/sys/class/net/" + dev).c_str(), F_OK) == 0) (void)Ip({"link", "del", dev});
  }
}

absl::StatusOr<std::unique_ptr<Topology>> Topology::Create(const pathpair::v1::Scenario& scenario,
                                                           const std::string& name,
                                                           bool management) {
  if (!IsValidInstanceName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("instance name \"", name, "\": 1-10 characters from [a-z0-9]"));
  }
  // Checked before anything is built: a failed Create tears down what it made, and must not
  // tear down another live instance of the same name.
  if (access(("/run/netns/" + ClientNamespace(name)).c_str(), F_OK) == 0 ||
      access(("/run/netns/" + ServerNamespace(name)).c_str(), F_OK) == 0 ||
      access(("/sys/class/net/" + name + "-c").c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("instance ", name, " already exists"));
  }
  std::unique_ptr<Topology> t(new Topology());
  t->name_ = name;
  absl::Status built = t->Build(scenario, management);
  if (!built.ok()) {
    t->Teardown();
    return built;
  }
  return t;
}

absl::Status Topology::Build(const pathpair::v1::Scenario& s, bool management) {
  const std::string cns = ClientNamespace(name_);
  const std::string sns = ServerNamespace(name_);
  PATHPAIR_RETURN_IF_ERROR(Ip({"netns", "add", cns}));
  PATHPAIR_RETURN_IF_ERROR(Ip({"netns", "add", sns}));
  PATHPAIR_ASSIGN_OR_RETURN(client_tun_, OpenTun(name_ + "-c"));
  PATHPAIR_ASSIGN_OR_RETURN(server_tun_, OpenTun(name_ + "-s"));
  struct NsSide {
    std::string ns, dev;
    const pathpair::v1::Endpoint* endpoint;
  };
  for (const NsSide& side :
       {NsSide{cns, name_ + "-c", &s.client()}, NsSide{sns, name_ + "-s", &s.server()}}) {
    PATHPAIR_RETURN_IF_ERROR(Ip({"link", "set", side.dev, "netns", side.ns}));
    PATHPAIR_RETURN_IF_ERROR(
        WriteSysctlsIn(side.ns, {{"net.ipv6.conf.all.accept_dad", "0"},
                                 {"net.ipv6.conf.default.accept_dad", "0"},
                                 {"net.ipv6.conf.all.disable_ipv6", "0"},
                                 {"net.ipv6.conf.default.router_solicitations", "0"},
                                 {"net.ipv4.icmp_ratelimit", "0"},
                                 {"net.ipv4.icmp_msgs_per_sec", "100000"},
                                 {"net.ipv4.icmp_msgs_burst", "100000"},
                                 {"net.ipv6.icmp.ratelimit", "0"},
                                 {"net.ipv4.ping_group_range", "0 2147483647"},
                                 {"net.ipv4.ip_forward", "0"},
                                 {"net.ipv6.conf.all.forwarding", "0"}}));
    PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "link", "set", side.dev, "name", "netsim0"}));
    PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "link", "set", "lo", "up"}));
    PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "link", "set", "netsim0", "up"}));
    if (!side.endpoint->ipv4().empty()) {
      PATHPAIR_RETURN_IF_ERROR(
          Ip({"-n", side.ns, "addr", "add", side.endpoint->ipv4() + "/32", "dev", "netsim0"}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "route", "add", "default", "dev", "netsim0",
                                   "src", side.endpoint->ipv4()}));
    }
    if (!side.endpoint->ipv6().empty()) {
      PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "-6", "addr", "add",
                                   side.endpoint->ipv6() + "/128", "dev", "netsim0", "nodad"}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"-n", side.ns, "-6", "route", "add", "default", "dev", "netsim0",
                                   "src", side.endpoint->ipv6()}));
    }
  }
  env_ = {{"NETSIM_NAME", name_},
          {"NETSIM_CLIENT_NS", cns},
          {"NETSIM_SERVER_NS", sns},
          {"NETSIM_CLIENT_IP", s.client().ipv4()},
          {"NETSIM_SERVER_IP", s.server().ipv4()},
          {"NETSIM_CLIENT_IP6", s.client().ipv6()},
          {"NETSIM_SERVER_IP6", s.server().ipv6()}};
  if (management) {
    PATHPAIR_ASSIGN_OR_RETURN(int k, PickManagementSubnet(name_));
    const std::string net = absl::StrCat("10.213.", k, ".");
    struct Mgmt {
      std::string ns, root_dev, root_ip, ns_ip, env;
    };
    for (const Mgmt& m : {Mgmt{cns, name_ + "-mc", net + "1", net + "2", "CLIENT"},
                          Mgmt{sns, name_ + "-ms", net + "5", net + "6", "SERVER"}}) {
      PATHPAIR_RETURN_IF_ERROR(
          Ip({"link", "add", m.root_dev, "type", "veth", "peer", "name", "mgmt0", "netns", m.ns}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"addr", "add", m.root_ip + "/30", "dev", m.root_dev}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"link", "set", m.root_dev, "up"}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"-n", m.ns, "addr", "add", m.ns_ip + "/30", "dev", "mgmt0"}));
      PATHPAIR_RETURN_IF_ERROR(Ip({"-n", m.ns, "link", "set", "mgmt0", "up"}));
      env_.push_back({absl::StrCat("NETSIM_", m.env, "_MGMT_IP"), m.ns_ip});
      env_.push_back({absl::StrCat("NETSIM_", m.env, "_MGMT_PEER_IP"), m.root_ip});
    }
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> Topology::Environment() const { return env_; }

void Topology::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  if (client_tun_ >= 0) close(client_tun_);
  if (server_tun_ >= 0) close(server_tun_);
  client_tun_ = server_tun_ = -1;
  RemoveInstance(name_);
}

Topology::~Topology() { Teardown(); }

}  // namespace pathpair::netsim

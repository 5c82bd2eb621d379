#include "tests/topo/topology.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"

namespace pathpair::topo {
namespace {

constexpr char kStateDir[] = "/run/pathpair-topo";

std::string StateFile(const std::string& name) {
  return absl::StrCat(kStateDir, "/", name, ".pid");
}

// A process that exists and has not exited (a zombie counts as gone).
bool Alive(pid_t pid) {
  if (pid <= 1) return false;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() &&
         text[close_paren + 2] != 'Z' && text[close_paren + 2] != 'X';
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Names in a folder that start with `prefix`.
std::vector<std::string> EntriesStartingWith(const std::string& folder, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix)) out.push_back(name);
  }
  return out;
}

// Writes sysctls in the namespace (/proc/sys/net shows the writing thread's namespace). Entries
// this kernel lacks are skipped.
absl::Status WriteSysctls(const std::string& namespace_file,
                          const std::vector<std::pair<std::string, std::string>>& values) {
  return RunInNamespace(namespace_file, [&]() -> absl::Status {
    for (const auto& [key, value] : values) {
      std::string path = "/proc/sys/" + key;
      std::replace(path.begin() + 10, path.end(), '.', '/');
      const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) continue;
      const ssize_t n = write(fd, value.data(), value.size());
      close(fd);
      if (n != static_cast<ssize_t>(value.size())) {
        return absl::InternalError(absl::StrCat("cannot set ", key, "=", value));
      }
    }
    return absl::OkStatus();
  });
}

// A fixed, locally administered MAC for end `end` (0 or 1) of link `link`: both ends know the
// other's address before the link exists, for the permanent neighbour entries.
std::string LinkMac(int link, int end) {
  return absl::StrFormat("02:70:70:%02x:%02x:%02x", (link >> 8) & 0xff, link & 0xff, end);
}

// Which family an address text belongs to ("ADDRESS" or "ADDRESS/PREFIX").
bool IsV6(const std::string& text) { return text.find(':') != std::string::npos; }

// The IPv4 or IPv6 form of "default" for `ip route`.
std::string RouteDestination(const v1::Route& r) {
  if (r.to() != "default") return r.to();
  return IsV6(r.via().empty() ? r.src() : r.via()) ? "::/0" : "0.0.0.0/0";
}

// The reaper: a process in its own session that waits until every copy of the pipe's write end
// is closed (the owner ended, however), then removes the topology's leftovers.
absl::StatusOr<pid_t> StartReaper(const std::string& name, int* write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  const pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Out of the owner's session and process group: a terminal's ^C or a test runner killing
    // the group does not reach it.
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(s, SIG_IGN);
    dup2(p[0], 0);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    close_range(3, ~0U, 0);  // nothing of the owner's (TUN devices, sockets, pipes) stays open
    char c;
    for (;;) {
      const ssize_t n = read(0, &c, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    RemoveLeftovers(name);
    _exit(0);
  }
  close(p[0]);
  *write_end = p[1];
  return pid;
}

// Serialises the choice of management subnets between builders running at once.
class StateLock {
 public:
  StateLock() {
    mkdir(kStateDir, 0755);
    fd_ = open(absl::StrCat(kStateDir, "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~StateLock() {
    if (fd_ >= 0) close(fd_);
  }

 private:
  int fd_ = -1;
};

// The third byte of a 10.213.X.0/24 that no address of the root namespace uses.
absl::StatusOr<int> FreeManagementSubnet(const std::string& name) {
  PATHPAIR_ASSIGN_OR_RETURN(CommandResult r, RunCommand({"ip", "-o", "-4", "addr", "show"}));
  std::set<int> used;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    const size_t at = line.find(" 10.213.");
    int x = 0;
    if (at != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(at + 8, line.find('.', at + 8) - at - 8), &x)) {
      used.insert(x);
    }
  }
  const int first = static_cast<int>(std::hash<std::string>{}(name) % 256);
  for (int i = 0; i < 256; ++i) {
    if (!used.count((first + i) % 256)) return (first + i) % 256;
  }
  return absl::ResourceExhaustedError("no free 10.213.X.0/24 for management links");
}

}  // namespace

NamespaceScope::NamespaceScope(const std::string& namespace_file) {
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(namespace_file.c_str(), O_RDONLY | O_CLOEXEC);
  ok_ = original_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
  if (target >= 0) close(target);
}

NamespaceScope::~NamespaceScope() {
  if (original_ >= 0) {
    (void)setns(original_, CLONE_NEWNET);
    close(original_);
  }
}

absl::Status RunInNamespace(const std::string& namespace_file,
                            const std::function<absl::Status()>& body) {
  absl::Status result;
  std::thread worker([&] {
    NamespaceScope scope(namespace_file);
    result = scope.ok() ? body()
                        : absl::InternalError(
                              absl::StrCat("cannot enter ", namespace_file, ": ", strerror(errno)));
  });
  worker.join();
  return result;
}

absl::StatusOr<std::unique_ptr<Topology>> Topology::Up(const v1::Topology& spec) {
  PATHPAIR_ASSIGN_OR_RETURN(Expanded expanded, Expand(spec));
  std::unique_ptr<Topology> t(new Topology(std::move(expanded)));
  // The state file, created exclusively, reserves the name: a second builder of the same name
  // fails here, before it could remove anything of the first one.
  mkdir(kStateDir, 0755);
  const int state =
      open(StateFile(t->name()).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (state < 0 || !EntriesStartingWith("/run/netns", t->name() + "-").empty()) {
    if (state >= 0) {
      close(state);
      unlink(StateFile(t->name()).c_str());
    }
    t->down_ = true;
    return absl::AlreadyExistsError(absl::StrCat("topology ", t->name(),
                                                 " already exists (pathpair-topo down ", t->name(),
                                                 " removes what is left of it)"));
  }
  absl::StatusOr<pid_t> reaper = StartReaper(t->name(), &t->reaper_pipe_);
  if (reaper.ok()) {
    t->reaper_ = *reaper;
    const std::string text = absl::StrCat(getpid(), " ", t->reaper_, "\n");
    (void)!write(state, text.data(), text.size());
  }
  close(state);
  absl::Status built = reaper.ok() ? t->Build() : reaper.status();
  if (!built.ok()) {
    t->Down();
    return built;
  }
  return t;
}

absl::Status Topology::Build() {
  PATHPAIR_RETURN_IF_ERROR(CreateNamespaces());
  PATHPAIR_RETURN_IF_ERROR(CreateLinks());
  PATHPAIR_RETURN_IF_ERROR(CreateTuns());
  PATHPAIR_RETURN_IF_ERROR(CreateManagementLinks());
  return ConfigureNodes();
}

absl::Status Topology::CreateNamespaces() {
  for (const v1::Node& node : spec().nodes()) {
    PATHPAIR_RETURN_IF_ERROR(Run({"ip", "netns", "add", Namespace(node.name())}));
    const std::string forwarding = node.forwarding() ? "1" : "0";
    // Set before any interface exists, so that every interface starts with these.
    std::vector<std::pair<std::string, std::string>> sysctls = {
        {"net.ipv6.conf.all.accept_dad", "0"},
        {"net.ipv6.conf.default.accept_dad", "0"},
        // Asymmetric routes (detours, twins) must not be dropped by reverse-path filtering,
        // which a namespace inherits from the root namespace.
        {"net.ipv4.conf.all.rp_filter", "0"},
        {"net.ipv4.conf.default.rp_filter", "0"},
        // Written either way: IPv4 forwarding is inherited from the root namespace too.
        {"net.ipv4.ip_forward", forwarding},
        {"net.ipv6.conf.all.forwarding", forwarding},
    };
    if (node.icmp_rate_limits() == v1::ICMP_RATE_LIMITS_OFF) {
      for (const auto& kv : std::vector<std::pair<std::string, std::string>>{
               {"net.ipv4.icmp_ratelimit", "0"},
               {"net.ipv4.icmp_msgs_per_sec", "100000"},
               {"net.ipv4.icmp_msgs_burst", "100000"},
               {"net.ipv6.icmp.ratelimit", "0"}}) {
        sysctls.push_back(kv);
      }
    }
    for (const v1::Sysctl& s : node.sysctls()) sysctls.emplace_back(s.key(), s.value());
    PATHPAIR_RETURN_IF_ERROR(WriteSysctls(NamespaceFile(node.name()), sysctls));
  }
  return absl::OkStatus();
}

absl::Status Topology::CreateLinks() {
  // Created inside the namespaces: no interface ever appears in the root namespace.
  std::string batch;
  for (int i = 0; i < spec().links_size(); ++i) {
    const v1::VethLink& l = spec().links(i);
    absl::StrAppend(&batch, "link add name ", l.a().name(), " netns ", Namespace(l.a().node()),
                    " address ", LinkMac(i, 0), " type veth peer name ", l.b().name(), " netns ",
                    Namespace(l.b().node()), " address ", LinkMac(i, 1), "\n");
  }
  if (batch.empty()) return absl::OkStatus();
  return Run({"ip", "-batch", "-"}, batch);
}

absl::StatusOr<int> Topology::OpenTun(const std::string& node, const std::string& interface) {
  int fd = -1;
  PATHPAIR_RETURN_IF_ERROR(RunInNamespace(NamespaceFile(node), [&]() -> absl::Status {
    // Opened inside the namespace, so the device is created there.
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("/dev/net/tun: ", strerror(errno)));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, interface.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
      const int e = errno;
      close(fd);
      fd = -1;
      return absl::InternalError(absl::StrCat("TUNSETIFF ", interface, ": ", strerror(e)));
    }
    return absl::OkStatus();
  }));
  tun_fds_[{node, interface}] = fd;
  return fd;
}

absl::Status Topology::CreateTuns() {
  for (const v1::Tun& t : spec().tuns()) {
    PATHPAIR_RETURN_IF_ERROR(OpenTun(t.end().node(), t.end().name()).status());
  }
  for (const v1::Wire& w : spec().wires()) {
    PATHPAIR_RETURN_IF_ERROR(OpenTun(w.a().node(), w.a().name()).status());
    PATHPAIR_RETURN_IF_ERROR(OpenTun(w.b().node(), w.b().name()).status());
  }
  return absl::OkStatus();
}

absl::Status Topology::CreateManagementLinks() {
  std::vector<std::string> nodes;
  for (const v1::Node& node : spec().nodes()) {
    if (node.management()) nodes.push_back(node.name());
  }
  if (nodes.empty()) return absl::OkStatus();
  if (nodes.size() > 64) return absl::InvalidArgumentError("at most 64 management links");
  const StateLock lock;
  PATHPAIR_ASSIGN_OR_RETURN(const int x, FreeManagementSubnet(name()));
  const std::string net = absl::StrCat("10.213.", x, ".");
  for (size_t j = 0; j < nodes.size(); ++j) {
    const std::string root_device = absl::StrCat(name(), "-m", j);
    const ManagementLink link{absl::StrCat(net, 4 * j + 2), absl::StrCat(net, 4 * j + 1)};
    PATHPAIR_RETURN_IF_ERROR(Run({"ip", "link", "add", "name", root_device, "type", "veth", "peer",
                                  "name", kManagementInterface, "netns", Namespace(nodes[j])}));
    PATHPAIR_RETURN_IF_ERROR(Run({"ip", "addr", "add", link.peer + "/30", "dev", root_device}));
    PATHPAIR_RETURN_IF_ERROR(Run({"ip", "link", "set", "dev", root_device, "up"}));
    PATHPAIR_RETURN_IF_ERROR(Run({"ip", "-n", Namespace(nodes[j]), "addr", "add",
                                  link.address + "/30", "dev", kManagementInterface}));
    PATHPAIR_RETURN_IF_ERROR(
        Run({"ip", "-n", Namespace(nodes[j]), "link", "set", "dev", kManagementInterface, "up"}));
    management_[nodes[j]] = link;
  }
  return absl::OkStatus();
}

absl::Status Topology::ConfigureNodes() {
  // One `ip -batch` per node: interfaces up with their addresses, permanent neighbours across each
  // veth, then routes (their gateways are on link by then).
  std::map<std::string, std::string> batches;
  std::map<std::string, std::string> neighbours;
  for (const v1::Interface* i : Interfaces(spec())) {
    std::string& b = batches[i->node()];
    for (const std::string& a : i->addresses()) {
      absl::StrAppend(&b, "addr add ", a, " dev ", i->name(), IsV6(a) ? " nodad" : "", "\n");
    }
    absl::StrAppend(&b, "link set dev ", i->name(), " up\n");
  }
  for (int k = 0; k < spec().links_size(); ++k) {
    const v1::VethLink& l = spec().links(k);
    for (int end = 0; end < 2; ++end) {
      const v1::Interface& here = end == 0 ? l.a() : l.b();
      const v1::Interface& there = end == 0 ? l.b() : l.a();
      for (const std::string& a : there.addresses()) {
        absl::StrAppend(&neighbours[here.node()], "neigh replace ", a.substr(0, a.find('/')),
                        " lladdr ", LinkMac(k, 1 - end), " dev ", here.name(), " nud permanent\n");
      }
    }
  }
  for (const v1::Node& node : spec().nodes()) {
    std::string batch = "link set lo up\n" + batches[node.name()] + neighbours[node.name()];
    for (const v1::Route& r : node.routes()) {
      absl::StrAppend(&batch, "route add ", RouteDestination(r));
      if (!r.via().empty()) absl::StrAppend(&batch, " via ", r.via());
      if (!r.dev().empty()) absl::StrAppend(&batch, " dev ", r.dev());
      if (!r.src().empty()) absl::StrAppend(&batch, " src ", r.src());
      if (r.table() != 0) absl::StrAppend(&batch, " table ", r.table());
      batch += "\n";
    }
    if (absl::Status s = Run({"ip", "-n", Namespace(node.name()), "-batch", "-"}, batch); !s.ok()) {
      return absl::InternalError(absl::StrCat(s.message(), "\nthe commands were:\n", batch));
    }
    for (const v1::Rule& rule : node.rules()) {
      for (const char* family : {"-4", "-6"}) {
        PATHPAIR_RETURN_IF_ERROR(
            Run({"ip", family, "-n", Namespace(node.name()), "rule", "add", "fwmark",
                 absl::StrCat(rule.fwmark()), "table", absl::StrCat(rule.table())}));
      }
    }
    if (!node.nftables().empty()) {
      PATHPAIR_RETURN_IF_ERROR(
          Run({"ip", "netns", "exec", Namespace(node.name()), "nft", "-f", "-"}, node.nftables()));
    }
  }
  return absl::OkStatus();
}

absl::Status Topology::Exec(const std::string& node, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", Namespace(node)};
  full.insert(full.end(), argv.begin(), argv.end());
  return Run(full);
}

absl::StatusOr<CommandResult> Topology::Command(const std::string& node,
                                                const std::vector<std::string>& argv,
                                                const std::string& input) const {
  std::vector<std::string> full = {"ip", "netns", "exec", Namespace(node)};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunCommand(full, input);
}

int Topology::tun_fd(const std::string& node, const std::string& interface) const {
  auto it = tun_fds_.find({node, interface});
  return it == tun_fds_.end() ? -1 : it->second;
}

std::vector<Topology::WireEnds> Topology::wires() const {
  std::vector<WireEnds> out;
  for (const v1::Wire& w : spec().wires()) {
    out.push_back({&w, tun_fd(w.a().node(), w.a().name()), tun_fd(w.b().node(), w.b().name())});
  }
  return out;
}

std::optional<Topology::ManagementLink> Topology::management(const std::string& node) const {
  auto it = management_.find(node);
  if (it == management_.end()) return std::nullopt;
  return it->second;
}

void Topology::Down() {
  if (down_) return;
  down_ = true;
  // TUN devices hold their namespaces alive (unlisted) until closed.
  for (auto& [key, fd] : tun_fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  RemoveLeftovers(name());
  // Only now: had this process died during the removal, the reaper would have finished it.
  if (reaper_ > 0) {
    kill(reaper_, SIGKILL);
    while (waitpid(reaper_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (reaper_pipe_ >= 0) close(reaper_pipe_);
  reaper_ = reaper_pipe_ = -1;
}

Topology::~Topology() { Down(); }

std::vector<TopologyState> ListTopologies() {
  std::vector<TopologyState> out;
  for (const std::string& file : EntriesStartingWith(kStateDir, "")) {
    if (!absl::EndsWith(file, ".pid")) continue;
    TopologyState state;
    state.name = file.substr(0, file.size() - 4);
    std::ifstream in(absl::StrCat(kStateDir, "/", file));
    in >> state.owner >> state.reaper;
    state.owner_alive = Alive(state.owner);
    out.push_back(state);
  }
  return out;
}

void RemoveLeftovers(const std::string& name) {
  if (!IsValidTopologyName(name)) return;
  const std::string prefix = name + "-";
  for (const std::string& ns : EntriesStartingWith("/run/netns", prefix)) {
    for (int sig : {SIGTERM, SIGKILL}) {
      absl::StatusOr<CommandResult> pids = RunCommand({"ip", "netns", "pids", ns});
      if (!pids.ok() || pids->out.empty()) break;
      for (absl::string_view text : absl::StrSplit(pids->out, '\n', absl::SkipEmpty())) {
        int pid = 0;
        if (absl::SimpleAtoi(text, &pid) && pid > 1 && pid != getpid()) kill(pid, sig);
      }
      SleepMs(sig == SIGTERM ? 300 : 50);
    }
    (void)Run({"ip", "netns", "del", ns});
  }
  for (const std::string& device : EntriesStartingWith("/sys/class/net", prefix)) {
    (void)Run({"ip", "link", "del", device});
  }
  unlink(StateFile(name).c_str());
}

void Remove(const std::string& name) {
  if (!IsValidTopologyName(name)) return;
  for (const TopologyState& state : ListTopologies()) {
    if (state.name != name) continue;
    if (state.owner_alive && state.owner != getpid()) {
      kill(state.owner, SIGTERM);
      for (int i = 0; i < 500 && Alive(state.owner); ++i) SleepMs(10);
      if (Alive(state.owner)) kill(state.owner, SIGKILL);
    }
    if (Alive(state.reaper)) kill(state.reaper, SIGKILL);
  }
  RemoveLeftovers(name);
}

}  // namespace pathpair::topo

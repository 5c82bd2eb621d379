// Root tests of the topology builder's library: what it builds (namespaces, addresses, sysctls,
// TUN devices, management links), entering and running in a node, and that nothing is left after
// Down, after a failed Up, or after the owner crashes (the reaper).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::topo {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Namespaces, root-namespace devices and the state file of topology `name`.
std::vector<std::string> Leftovers(const std::string& name) {
  std::vector<std::string> found;
  for (const char* folder : {"/run/netns", "/sys/class/net"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
      const std::string file = entry.path().filename().string();
      if (file.rfind(name + "-", 0) == 0) found.push_back(file);
    }
  }
  if (access(absl::StrCat("/run/pathpair-topo/", name, ".pid").c_str(), F_OK) == 0) {
    found.push_back("state file");
  }
  return found;
}

std::vector<std::string> WaitUntilClean(const std::string& name, int seconds) {
  for (int i = 0; i < seconds * 20 && !Leftovers(name).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Leftovers(name);
}

v1::Topology Spec(const std::string& text, const std::string& name) {
  absl::StatusOr<v1::Topology> spec = ParseSpec(text, "<test>");
  EXPECT_TRUE(spec.ok()) << spec.status();
  v1::Topology out = spec.value_or(v1::Topology());
  out.set_name(name);
  return out;
}

constexpr char kPair[] = R"pb(
  nodes { name: "a" }
  nodes { name: "b" forwarding: true icmp_rate_limits: ICMP_RATE_LIMITS_OFF management: true }
  links {
    a { node: "a" name: "a0" addresses: "198.51.100.1/30" addresses: "2001:db8::1/64" }
    b { node: "b" name: "b0" addresses: "198.51.100.2/30" addresses: "2001:db8::2/64" }
  }
  tuns { end { node: "a" name: "tun7" addresses: "203.0.113.7/32" } }
  wires {
    a { node: "a" name: "wa" addresses: "10.1.0.1/30" }
    b { node: "b" name: "wb" addresses: "10.1.0.2/30" }
  }
)pb";

std::string Output(const Topology& t, const std::string& node,
                   const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = t.Command(node, argv);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r.ok() ? r->exit_code : -1, 0) << (r.ok() ? r->err : "");
  return r.ok() ? std::string(absl::StripTrailingAsciiWhitespace(r->out)) : "";
}

class TopologyRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    name_ = RandomTopologyName();
  }
  void TearDown() override { Remove(name_); }
  std::string name_;
};

TEST_F(TopologyRootTest, BuildsWhatTheSpecSaysAndDownRemovesIt) {
  absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(Spec(kPair, name_));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(access(("/run/netns/" + name_ + "-a").c_str(), F_OK), 0);
  EXPECT_THAT(Output(**t, "a", {"ip", "-o", "addr", "show", "dev", "a0"}),
              HasSubstr("198.51.100.1/30"));
  EXPECT_THAT(Output(**t, "b", {"ip", "-o", "-6", "addr", "show", "dev", "b0"}),
              HasSubstr("2001:db8::2/64"));
  // Permanent neighbours across the veth: no probe waits for ARP or neighbour discovery.
  EXPECT_THAT(Output(**t, "a", {"ip", "neigh", "show", "dev", "a0"}), HasSubstr("PERMANENT"));
  // Sysctls: a host does not forward; a router does; ICMP limits as chosen per node.
  EXPECT_EQ(Output(**t, "a", {"sysctl", "-n", "net.ipv4.ip_forward"}), "0");
  EXPECT_EQ(Output(**t, "b", {"sysctl", "-n", "net.ipv6.conf.all.forwarding"}), "1");
  EXPECT_EQ(Output(**t, "a", {"sysctl", "-n", "net.ipv4.icmp_ratelimit"}), "1000");
  EXPECT_EQ(Output(**t, "b", {"sysctl", "-n", "net.ipv4.icmp_ratelimit"}), "0");
  EXPECT_EQ(Output(**t, "b", {"sysctl", "-n", "net.ipv6.icmp.ratelimit"}), "0");
  // TUN devices: the topology keeps their descriptors.
  EXPECT_GE((*t)->tun_fd("a", "tun7"), 0);
  EXPECT_EQ((*t)->tun_fd("a", "a0"), -1);
  ASSERT_EQ((*t)->wires().size(), 1u);
  EXPECT_GE((*t)->wires()[0].a_fd, 0);
  EXPECT_GE((*t)->wires()[0].b_fd, 0);
  EXPECT_THAT(Output(**t, "a", {"ip", "-o", "addr", "show", "dev", "tun7"}),
              HasSubstr("203.0.113.7/32"));
  // The management link: only its /30 is routed in the namespace.
  std::optional<Topology::ManagementLink> m = (*t)->management("b");
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE((*t)->management("a").has_value());
  EXPECT_EQ(access(("/sys/class/net/" + name_ + "-m0").c_str(), F_OK), 0);
  const std::string routes = Output(**t, "b", {"ip", "-4", "route", "show", "dev", "mgmt0"});
  EXPECT_THAT(routes, HasSubstr(m->address));
  EXPECT_EQ(std::count(routes.begin(), routes.end(), '\n'), 0) << routes;
  EXPECT_FALSE(Leftovers(name_).empty());
  (*t)->Down();
  EXPECT_THAT(Leftovers(name_), IsEmpty());
}

TEST_F(TopologyRootTest, EnterPutsTheThreadInTheNodeAndExecRunsThere) {
  absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(Spec(kPair, name_));
  ASSERT_TRUE(t.ok()) << t.status();
  const int outside = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {}, .sin_zero = {}};
  inet_pton(AF_INET, "198.51.100.1", &address.sin_addr);
  // The address exists only in node a.
  EXPECT_NE(bind(outside, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  {
    auto scope = (*t)->Enter("a");
    ASSERT_TRUE(scope->ok());
    const int inside = socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_EQ(bind(inside, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    close(inside);
  }
  EXPECT_NE(bind(outside, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  close(outside);
  EXPECT_TRUE((*t)->Exec("a", {"ip", "link", "show", "a0"}).ok());
  EXPECT_FALSE((*t)->Exec("a", {"ip", "link", "show", "b0"}).ok());
}

TEST_F(TopologyRootTest, FailedUpLeavesNothing) {
  const std::string bad =
      absl::StrCat(kPair, "nodes { name: \"c\" nftables: \"this is not nftables\" }");
  absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(Spec(bad, name_));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("nft"));
  EXPECT_THAT(Leftovers(name_), IsEmpty());
}

TEST_F(TopologyRootTest, ASecondTopologyOfTheSameNameIsRefusedAndTheFirstIsUntouched) {
  absl::StatusOr<std::unique_ptr<Topology>> first = Topology::Up(Spec(kPair, name_));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Topology>> second = Topology::Up(Spec(kPair, name_));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("already exists"));
  EXPECT_THAT(Output(**first, "a", {"ip", "-o", "addr", "show", "dev", "a0"}),
              HasSubstr("198.51.100.1/30"));
  EXPECT_EQ(access(("/sys/class/net/" + name_ + "-m0").c_str(), F_OK), 0);
}

// The owner dies without Down (abort, as a crashing test would): its reaper removes everything.
TEST_F(TopologyRootTest, TheReaperRemovesTheTopologyOfAnOwnerThatCrashed) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t owner = fork();
  if (owner == 0) {
    close(ready[0]);
    absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(Spec(kPair, name_));
    const char ok = t.ok() ? '1' : '0';
    (void)!write(ready[1], &ok, 1);
    if (t.ok()) {
      // A process in a namespace keeps it alive unless the reaper stops it.
      (void)(*t)->Exec("a", {"sh", "-c", "sleep 60 >/dev/null 2>&1 &"});
    }
    std::abort();
  }
  close(ready[1]);
  char ok = '0';
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  ASSERT_EQ(ok, '1');
  int status = 0;
  waitpid(owner, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_THAT(WaitUntilClean(name_, 10), IsEmpty());
}

// `pathpair-topo down NAME` (Remove) cleans up even when the owner and its reaper are both gone.
TEST_F(TopologyRootTest, RemoveClearsWhatNobodyOwnsAnyMore) {
  absl::StatusOr<std::unique_ptr<Topology>> t = Topology::Up(Spec(kPair, name_));
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<TopologyState> states = ListTopologies();
  auto it = std::find_if(states.begin(), states.end(),
                         [&](const TopologyState& s) { return s.name == name_; });
  ASSERT_NE(it, states.end());
  EXPECT_EQ(it->owner, getpid());
  EXPECT_TRUE(it->owner_alive);
  ASSERT_GT(it->reaper, 0);
  kill(it->reaper, SIGKILL);  // as if it had died too
  Remove(name_);
  EXPECT_THAT(Leftovers(name_), IsEmpty());
  (*t)->Down();  // nothing left to do, and harmless
  EXPECT_THAT(Leftovers(name_), IsEmpty());
}

}  // namespace
}  // namespace pathpair::topo

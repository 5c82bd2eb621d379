// pathpair-netsim: the emulated Internet path (issue 3). Thin main over the netsim libraries.
//
//   pathpair-netsim run SCENARIO [--side client|server] [--event-log FILE] [--name NAME]
//                       -- COMMAND...
//   pathpair-netsim up SCENARIO [--name NAME] [--event-log FILE]   (foreground; SIGTERM/^C ends)
//   pathpair-netsim down [NAME]               (without NAME: what instances that died left behind)
//   pathpair-netsim describe SCENARIO                              (ground truth as JSON)
//   pathpair-netsim check SCENARIO...                              (validate only)
// SCENARIO "default" (when no such file exists) is the built-in demo path. The namespaces come
// from the topology builder (tests/topo); a path of real routers with emulated delay on one link
// is pathpair-topo's business (Wire), which runs the same engine in pass-through mode.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/netsim/embedded_scenarios.h"
#include "tests/netsim/endpoints.h"
#include "tests/netsim/event_log.h"
#include "tests/netsim/path_engine.h"
#include "tests/netsim/router_model.h"
#include "tests/netsim/runner.h"
#include "tests/netsim/scenario.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::netsim {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  pathpair-netsim run SCENARIO [--side client|server] [--event-log FILE] [--name NAME]"
    " -- COMMAND...\n"
    "  pathpair-netsim up SCENARIO [--name NAME] [--event-log FILE]\n"
    "  pathpair-netsim down [NAME]\n"
    "  pathpair-netsim describe SCENARIO\n"
    "  pathpair-netsim check SCENARIO...\n"
    "SCENARIO \"default\" is the built-in 15-hop demo path (tests/scenarios/default.textproto).\n"
    "exit status: run -> COMMAND's status (128+N if ended by signal N); 2 usage or scenario error;"
    " 3 setup error\n";

// A scenario file, or the built-in "default" when no file of that name exists.
absl::StatusOr<v1::Scenario> LoadScenario(const std::string& path) {
  if (path == "default" && access(path.c_str(), F_OK) != 0) {
    absl::StatusOr<v1::Scenario> s =
        ParseScenarioText(kEmbeddedDefaultScenario, "<built-in default>");
    if (!s.ok()) return s;
    absl::Status valid = ValidateScenario(*s);
    if (!valid.ok()) return valid;
    return s;
  }
  return LoadScenarioFile(path);
}

int Usage(const std::string& why) {
  std::cerr << "pathpair-netsim: " << why << "\n" << kUsage;
  return 2;
}

struct Options {
  std::string scenario_path;
  std::string side = "client";
  std::string event_log;
  std::string name;
  std::vector<std::string> command;
};

// Parses [SCENARIO] [--flag value]... [-- COMMAND...].
bool ParseOptions(const std::vector<std::string>& args, Options& o, std::string& error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.command.assign(args.begin() + i + 1, args.end());
      return true;
    }
    if (a == "--side" || a == "--event-log" || a == "--name") {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      const std::string& v = args[++i];
      if (a == "--side") o.side = v;
      if (a == "--event-log") o.event_log = v;
      if (a == "--name") o.name = v;
    } else if (!a.empty() && a[0] == '-') {
      error = "unknown option " + a;
      return false;
    } else if (o.scenario_path.empty()) {
      o.scenario_path = a;
    } else {
      error = "unexpected argument " + a;
      return false;
    }
  }
  return true;
}

// Blocks the signals the loop handles and returns a signalfd for them.
int MakeSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

int OpenEventLog(const std::string& path, std::unique_ptr<EventLog>& log) {
  FILE* f = nullptr;
  if (!path.empty()) {
    f = fopen(path.c_str(), "we");
    if (!f) {
      std::cerr << "pathpair-netsim: cannot write " << path << ": " << strerror(errno) << "\n";
      return 2;
    }
  }
  log = std::make_unique<EventLog>(f);
  return 0;
}

void WaitOrKill(pid_t pid, int* status) {
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid, status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
}

// What `run` and `up` both set up: the scenario, the event log, the signals the loop handles
// and the namespaces with their TUN devices (plus the management links for `up`).
struct Instance {
  v1::Scenario scenario;
  std::unique_ptr<EventLog> log;
  int signal_fd = -1;
  std::unique_ptr<topo::Topology> topology;
};

// Returns 0, or the exit status to end with (2: scenario or event log; 3: setup failed).
int SetUpInstance(const Options& o, bool management, Instance& out) {
  absl::StatusOr<v1::Scenario> scenario = LoadScenario(o.scenario_path);
  if (!scenario.ok()) {
    std::cerr << "pathpair-netsim: " << scenario.status().message() << "\n";
    return 2;
  }
  out.scenario = *std::move(scenario);
  if (int rc = OpenEventLog(o.event_log, out.log); rc != 0) return rc;
  out.signal_fd = MakeSignalFd();
  const std::string name = o.name.empty() ? topo::RandomTopologyName() : o.name;
  absl::StatusOr<std::unique_ptr<topo::Topology>> topology =
      topo::Topology::Up(EndpointTopology(out.scenario, name, management));
  if (!topology.ok()) {
    std::cerr << "pathpair-netsim: setup failed: " << topology.status().message() << "\n";
    return 3;
  }
  out.topology = *std::move(topology);
  return 0;
}

// The emulator between the two endpoints' TUN devices.
Runner MakeRunner(Instance& instance) {
  const topo::Topology& t = *instance.topology;
  return Runner({Segment{.scenario = instance.scenario,
                         .client_fd = t.tun_fd(kClientNode, kTunInterface),
                         .server_fd = t.tun_fd(kServerNode, kTunInterface),
                         .log = instance.log.get()}});
}

int CommandRun(const Options& o) {
  if (o.command.empty()) return Usage("run needs -- COMMAND");
  if (o.side != "client" && o.side != "server") return Usage("--side is client or server");
  Instance instance;
  if (int rc = SetUpInstance(o, /*management=*/false, instance); rc != 0) return rc;
  auto& [scenario, log, signal_fd, topology] = instance;
  Runner runner = MakeRunner(instance);
  const std::string& name = topology->name();
  const std::string ns = o.side == "client" ? ClientNamespace(name) : ServerNamespace(name);
  const auto env = Environment(scenario, *topology);
  pid_t child = fork();
  if (child < 0) {
    std::cerr << "pathpair-netsim: fork: " << strerror(errno) << "\n";
    return 3;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // If the emulator itself is killed (SIGKILL cannot be caught), the command goes too;
    // `pathpair-netsim down NAME` then removes the namespaces.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv = {"ip", "netns", "exec", ns};
    argv.insert(argv.end(), o.command.begin(), o.command.end());
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int child_status = 0;
  bool child_done = false;
  int stop_signal = 0;
  runner.Run(signal_fd, [&](const signalfd_siginfo& si) {
    if (si.ssi_signo == SIGCHLD) {
      if (waitpid(child, &child_status, WNOHANG) == child) child_done = true;
      return child_done;
    }
    stop_signal = static_cast<int>(si.ssi_signo);
    kill(child, SIGTERM);
    return true;
  });
  if (!child_done) {
    kill(child, SIGTERM);  // already sent on a signal; needed if the loop itself failed
    WaitOrKill(child, &child_status);
  }
  log->Flush();
  topology->Down();
  if (stop_signal != 0) return 128 + stop_signal;
  if (WIFEXITED(child_status)) return WEXITSTATUS(child_status);
  return 128 + WTERMSIG(child_status);
}

int CommandUp(const Options& o) {
  Instance instance;
  if (int rc = SetUpInstance(o, /*management=*/true, instance); rc != 0) return rc;
  auto& [scenario, log, signal_fd, topology] = instance;
  Runner runner = MakeRunner(instance);
  for (const auto& [k, v] : Environment(scenario, *topology)) std::cout << k << "=" << v << "\n";
  std::cout << "NETSIM_READY=1" << std::endl;
  runner.Run(signal_fd, [&](const signalfd_siginfo& si) { return si.ssi_signo != SIGCHLD; });
  log->Flush();
  topology->Down();
  return 0;
}

// NAME: stops that instance's `up` and removes what is left; no NAME: removes what instances
// whose emulator is gone left behind (the same as `pathpair-topo down`).
int CommandDown(const std::vector<std::string>& args) {
  std::vector<std::string> names;
  if (!args.empty()) {
    if (!topo::IsValidTopologyName(args[0])) return Usage("bad instance name " + args[0]);
    names.push_back(args[0]);
  } else {
    for (const topo::TopologyState& state : topo::ListTopologies()) {
      if (!state.owner_alive) names.push_back(state.name);
    }
  }
  for (const std::string& name : names) {
    topo::Remove(name);
    std::cout << "down " << name << "\n";
  }
  return 0;
}

nlohmann::ordered_json TruthJson(PathEngine& engine, Side from, IpFamily family) {
  nlohmann::ordered_json hops = nlohmann::ordered_json::array();
  for (const PathEngine::HopTruth& h : engine.GroundTruth(from, family, 30)) {
    nlohmann::ordered_json addresses = nlohmann::ordered_json::array();
    for (const IpAddress& a : h.addresses) addresses.push_back(a.ToString());
    hops.push_back({{"ttl", h.ttl},
                    {"responder", h.responder},
                    {"router", h.router},
                    {"addresses", addresses},
                    {"base_rtt_ms", h.base_rtt_ms},
                    {"mean_rtt_ms", h.mean_rtt_ms},
                    {"jitter_ms", h.jitter_ms},
                    {"loss", h.loss},
                    {"path_loss", h.path_loss},
                    {"silent", h.silent},
                    {"rate_limited", h.rate_limited},
                    {"icmp_echo_dropped", h.icmp_echo_dropped},
                    {"time_varying", h.time_varying}});
  }
  return hops;
}

// Each router's addresses (router-wide and per interface) and where its ICMP comes from: the
// ground truth of alias resolution.
nlohmann::ordered_json RoutersJson(const v1::Scenario& s) {
  nlohmann::ordered_json routers = nlohmann::ordered_json::array();
  for (const v1::Router& r : s.routers()) {
    nlohmann::ordered_json interfaces = nlohmann::ordered_json::array();
    for (const v1::Interface& i : r.interfaces()) {
      interfaces.push_back({{"peer", i.peer()}, {"ipv4", i.ipv4()}, {"ipv6", i.ipv6()}});
    }
    RouterModel model(r, 0, MonoTime());
    nlohmann::ordered_json all;
    for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const IpAddress& a : model.AllAddresses(family)) list.push_back(a.ToString());
      all[family == IpFamily::kV4 ? "ipv4" : "ipv6"] = list;
    }
    routers.push_back({{"name", r.name()},
                       {"addresses", all},
                       {"interfaces", interfaces},
                       {"icmp_source", v1::IcmpSource_Name(r.icmp_source())}});
  }
  return routers;
}

nlohmann::ordered_json AddressTruthJson(PathEngine& engine, Side from, IpFamily family) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const PathEngine::AddressTruth& t : engine.RouterAddressTruth(from, family)) {
    nlohmann::ordered_json unreachable = nlohmann::ordered_json::array();
    for (const IpAddress& a : t.port_unreachable_from) unreachable.push_back(a.ToString());
    out.push_back({{"address", t.address.ToString()},
                   {"router", t.router},
                   {"peer", t.peer},
                   {"hops", t.hops},
                   {"port_unreachable_from", unreachable},
                   {"echo_reply_from", t.echo_reply_from.ToString()},
                   {"base_rtt_ms", t.base_rtt_ms}});
  }
  return out;
}

class NullSink : public PacketSink {
 public:
  void Deliver(Side, std::span<const uint8_t>, PacketRecord&) override {}
  void Dropped(const PacketRecord&) override {}
};

int CommandDescribe(const Options& o) {
  absl::StatusOr<v1::Scenario> s = LoadScenario(o.scenario_path);
  if (!s.ok()) {
    std::cerr << "pathpair-netsim: " << s.status().message() << "\n";
    return 2;
  }
  NullSink sink;
  PathEngine engine(*s, MonoTime(), &sink);
  nlohmann::ordered_json j;
  j["name"] = s->name();
  j["description"] = s->description();
  j["seed"] = s->seed();
  j["client"] = {{"ipv4", s->client().ipv4()}, {"ipv6", s->client().ipv6()}};
  j["server"] = {{"ipv4", s->server().ipv4()}, {"ipv6", s->server().ipv6()}};
  for (const auto& [list, key] :
       {std::pair{&s->expect(), "expect"}, std::pair{&s->expect_absent(), "expect_absent"}}) {
    nlohmann::ordered_json findings = nlohmann::ordered_json::array();
    for (const auto& e : *list) {
      findings.push_back({{"code", e.code()},
                          {"hop", e.hop()},
                          {"direction", e.direction().empty() ? "forward" : e.direction()},
                          {"router", e.router()}});
    }
    j[key] = findings;
  }
  j["routers"] = RoutersJson(*s);
  for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    const bool has =
        family == IpFamily::kV4 ? !s->client().ipv4().empty() : !s->client().ipv6().empty();
    if (!has) continue;
    const std::string key = family == IpFamily::kV4 ? "ipv4" : "ipv6";
    j["truth"][key]["forward"] = TruthJson(engine, Side::kClient, family);
    j["truth"][key]["reverse"] = TruthJson(engine, Side::kServer, family);
    j["router_addresses"][key]["client"] = AddressTruthJson(engine, Side::kClient, family);
    j["router_addresses"][key]["server"] = AddressTruthJson(engine, Side::kServer, family);
  }
  std::cout << j.dump(1) << "\n";
  return 0;
}

int CommandCheck(const std::vector<std::string>& paths) {
  if (paths.empty()) return Usage("check needs scenario files");
  int rc = 0;
  for (const std::string& p : paths) {
    absl::StatusOr<v1::Scenario> s = LoadScenario(p);
    if (s.ok()) {
      std::cout << "ok " << p << "\n";
    } else {
      std::cerr << s.status().message() << "\n";
      rc = 2;
    }
  }
  return rc;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage("missing command");
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "down") return CommandDown(args);
  if (command == "check") return CommandCheck(args);
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  Options o;
  std::string error;
  if (!ParseOptions(args, o, error)) return Usage(error);
  if (o.scenario_path.empty()) return Usage("missing SCENARIO");
  if (!o.name.empty() && !topo::IsValidTopologyName(o.name)) {
    return Usage("--name: 1-10 characters from [a-z0-9]");
  }
  if (command == "run") return CommandRun(o);
  if (command == "up") return CommandUp(o);
  if (command == "describe") return CommandDescribe(o);
  return Usage("unknown command " + command);
}

}  // namespace
}  // namespace pathpair::netsim

int main(int argc, char** argv) { return pathpair::netsim::Main(argc, argv); }

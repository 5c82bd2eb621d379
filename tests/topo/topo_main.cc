// pathpair-topo: the namespace-topology builder (tests/topo) as a command, for the Python tests
// (tests/topo/topo.py) and shell scripts. Runs the wires of a topology with the emulator's engine.
//
//   pathpair-topo up SPEC [--name NAME] [--detach | --until-stdin-closes]
//   pathpair-topo down [NAME]
//   pathpair-topo exec NAME NODE [--] COMMAND...
//   pathpair-topo describe SPEC [--name NAME]
//   pathpair-topo list
//
// Exit status: 0 done; 2 usage or spec error; 3 the topology could not be built; exec: the
// command's.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/exit_codes.h"
#include "tests/netsim/runner.h"
#include "tests/netsim/scenario.h"
#include "tests/topo/describe.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::topo {
namespace {

constexpr int kExitSetupFailed = 3;

constexpr char kUsage[] =
    "usage:\n"
    "  pathpair-topo up SPEC [--name NAME] [--detach | --until-stdin-closes]\n"
    "      builds the topology, prints it as one line of JSON, and keeps it (and runs its wires)\n"
    "      until SIGINT/SIGTERM/SIGHUP, or until standard input closes, or in the background\n"
    "      with --detach (then `down NAME` ends it)\n"
    "  pathpair-topo down [NAME]     removes topology NAME; without NAME, every topology whose\n"
    "                                owner has gone\n"
    "  pathpair-topo exec NAME NODE [--] COMMAND...   runs COMMAND in the node's namespace\n"
    "  pathpair-topo describe SPEC [--name NAME]      the expanded topology as JSON, no root\n"
    "  pathpair-topo list            topologies on this host\n"
    "SPEC: a file in protobuf text format (tests/topo/topo.proto), or JSON when it starts with\n"
    "'{'; '-' reads standard input.\n"
    "exit status: 0 done; 2 usage or spec error; 3 the topology could not be built\n";

int Usage(const std::string& why) {
  std::cerr << "pathpair-topo: " << why << "\n" << kUsage;
  return kExitBadInput;
}

struct UpOptions {
  std::string spec_path;
  std::string name;
  bool detach = false;
  bool until_stdin_closes = false;
};

// Loads the spec with the name from the command line; 0 or an exit status.
int LoadExpanded(const UpOptions& o, Expanded& out) {
  absl::StatusOr<v1::Topology> spec = LoadSpecFile(o.spec_path);
  if (spec.ok() && !o.name.empty()) spec->set_name(o.name);
  absl::StatusOr<Expanded> expanded = spec.ok() ? Expand(*spec) : spec.status();
  if (!expanded.ok()) {
    std::cerr << "pathpair-topo: " << expanded.status().message() << "\n";
    return kExitBadInput;
  }
  out = *std::move(expanded);
  return kExitOk;
}

// One segment of the emulator per wire: the engine in pass-through mode between its two TUNs.
std::vector<netsim::Segment> WireSegments(const Topology& topology) {
  std::vector<netsim::Segment> segments;
  for (const Topology::WireEnds& w : topology.wires()) {
    segments.push_back(
        {.scenario = netsim::WireScenario(w.wire->a_to_b(), w.wire->b_to_a(), w.wire->seed()),
         .client_fd = w.a_fd,
         .server_fd = w.b_fd});
  }
  return segments;
}

// Builds, reports one line on `report` ("OK <json>" for --detach, else the JSON alone), then
// runs the wires until a signal ends it.
int BuildAndHold(const Expanded& expanded, const UpOptions& o, int signal_fd, FILE* report) {
  absl::StatusOr<std::unique_ptr<Topology>> topology = Topology::Up(expanded.spec);
  if (!topology.ok()) {
    const std::string message = absl::StrCat("setup failed: ", topology.status().message());
    if (o.detach) {
      fprintf(report, "ERR %s\n", message.c_str());
    } else {
      std::cerr << "pathpair-topo: " << message << "\n";
    }
    fflush(report);
    return kExitSetupFailed;
  }
  netsim::Runner runner(WireSegments(**topology));
  const std::string json = Describe(expanded, topology->get()).dump();
  fprintf(report, "%s%s\n", o.detach ? "OK " : "", json.c_str());
  fflush(report);
  if (o.detach) fclose(report);
  if (o.until_stdin_closes) {
    // Turns the end of standard input (the test that started us has gone) into a SIGTERM.
    std::thread([] {
      char buffer[256];
      for (;;) {
        const ssize_t n = read(0, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
      }
      kill(getpid(), SIGTERM);
    }).detach();
  }
  const int error = runner.Run(signal_fd, [](const signalfd_siginfo& si) {
    return si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP;
  });
  (*topology)->Down();
  if (error != 0) {
    std::cerr << "pathpair-topo: " << strerror(error) << "\n";
    return kExitSetupFailed;
  }
  return kExitOk;
}

int CommandUp(const std::vector<std::string>& args) {
  UpOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--name" && i + 1 < args.size()) {
      o.name = args[++i];
    } else if (args[i] == "--detach") {
      o.detach = true;
    } else if (args[i] == "--until-stdin-closes") {
      o.until_stdin_closes = true;
    } else if (o.spec_path.empty() && (args[i] == "-" || args[i][0] != '-')) {
      o.spec_path = args[i];
    } else {
      return Usage("unexpected argument " + args[i]);
    }
  }
  if (o.spec_path.empty()) return Usage("up needs a SPEC");
  if (o.detach && o.until_stdin_closes) return Usage("--detach or --until-stdin-closes, not both");
  Expanded expanded;
  if (int rc = LoadExpanded(o, expanded); rc != kExitOk) return rc;
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, s);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (!o.detach) return BuildAndHold(expanded, o, signal_fd, stdout);
  // --detach: a child in its own session builds and holds the topology; this process relays its
  // first line and exits.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return kExitSetupFailed;
  const pid_t child = fork();
  if (child < 0) return kExitSetupFailed;
  if (child == 0) {
    close(report[0]);
    setsid();
    const int null = open("/dev/null", O_RDWR);
    for (int fd : {0, 1, 2}) dup2(null, fd);
    _exit(BuildAndHold(expanded, o, signal_fd, fdopen(report[1], "w")));
  }
  close(report[1]);
  // Everything the child reports, until it closes its end (after its first line, or on exit).
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(report[0], buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(report[0]);
  if (text.rfind("OK ", 0) == 0) {
    std::cout << text.substr(3) << std::flush;
    return kExitOk;
  }
  std::cerr << "pathpair-topo: " << (text.empty() ? "setup failed\n" : text.substr(4));
  return kExitSetupFailed;
}

int CommandDown(const std::vector<std::string>& args) {
  std::vector<std::string> names;
  if (args.size() > 1) return Usage("down takes at most one NAME");
  if (!args.empty()) {
    if (!IsValidTopologyName(args[0])) return Usage("bad topology name " + args[0]);
    names.push_back(args[0]);
  } else {
    for (const TopologyState& state : ListTopologies()) {
      if (!state.owner_alive) names.push_back(state.name);
    }
  }
  for (const std::string& name : names) {
    Remove(name);
    std::cout << "down " << name << "\n";
  }
  return kExitOk;
}

int CommandExec(const std::vector<std::string>& args) {
  if (args.size() < 3) return Usage("exec needs NAME NODE COMMAND");
  if (!IsValidTopologyName(args[0]) || !IsValidNodeName(args[1])) {
    return Usage("bad topology or node name");
  }
  const std::string ns = NamespaceName(args[0], args[1]);
  if (access(("/run/netns/" + ns).c_str(), F_OK) != 0) {
    std::cerr << "pathpair-topo: no namespace " << ns << "\n";
    return kExitBadInput;
  }
  std::vector<std::string> argv = {"ip", "netns", "exec", ns};
  argv.insert(argv.end(), args.begin() + (args[2] == "--" ? 3 : 2), args.end());
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  execvp(c_argv[0], c_argv.data());
  std::cerr << "pathpair-topo: ip: " << strerror(errno) << "\n";
  return 127;
}

int CommandDescribe(const std::vector<std::string>& args) {
  UpOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--name" && i + 1 < args.size()) {
      o.name = args[++i];
    } else if (o.spec_path.empty()) {
      o.spec_path = args[i];
    } else {
      return Usage("unexpected argument " + args[i]);
    }
  }
  if (o.spec_path.empty()) return Usage("describe needs a SPEC");
  Expanded expanded;
  if (int rc = LoadExpanded(o, expanded); rc != kExitOk) return rc;
  std::cout << Describe(expanded, nullptr).dump(2) << "\n";
  return kExitOk;
}

int CommandList() {
  for (const TopologyState& state : ListTopologies()) {
    std::cout << state.name << " owner " << state.owner << " "
              << (state.owner_alive ? "alive" : "gone") << "\n";
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage("missing command");
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "up") return CommandUp(args);
  if (command == "down") return CommandDown(args);
  if (command == "exec") return CommandExec(args);
  if (command == "describe") return CommandDescribe(args);
  if (command == "list") return CommandList();
  return Usage("unknown command " + command);
}

}  // namespace
}  // namespace pathpair::topo

int main(int argc, char** argv) { return pathpair::topo::Main(argc, argv); }

// The controller side of integration.test_fleet_nat (test_fleet_nat.py): an AgentHub
// (controller/fleet/agent_hub.h) served on --hub-listen, which a NATed pathpair-agent dials, and
// paired::RunPairedTest between that agent (through the hub) and a listening agent (--agent),
// once with the NATed agent as the client and once as the server. Then the hub is restarted on
// the same port and the driver waits for the agent to come back. Prints one JSON object per line
// for the test to check:
//   {"step":"attached","peer":"198.51.100.5:40000"}
//   {"step":"nat_client","status":"OK","run":{...PairedRun...}}
//   {"step":"nat_server","status":"OK","run":{...}}
//   {"step":"reattached","info":"OK","seconds":1.2}
// Exit status 0 when every step ran (the test judges the figures), 1 otherwise, 2 on bad flags.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "controller/cli/trace_options.h"
#include "controller/fleet/agent_hub.h"
#include "controller/paired/grpc_endpoint.h"
#include "controller/paired/orchestrator.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace pathpair::fleet {
namespace {

std::string ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::string(absl::StripAsciiWhitespace(token));
}

void Emit(const nlohmann::json& line) { std::cout << line.dump() << std::endl; }

nlohmann::json RunJson(const absl::StatusOr<v1::PairedRun>& run) {
  nlohmann::json out = {{"status", run.ok() ? "OK" : std::string(run.status().message())}};
  if (run.ok()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    if (google::protobuf::util::MessageToJsonString(*run, &json, options).ok()) {
      out["run"] = nlohmann::json::parse(json);
    }
  }
  return out;
}

// A hub served on `listen`; records presence so that the driver can wait for the agent.
class ServedHub {
 public:
  ServedHub(const std::string& listen, AgentHubOptions options) {
    options.on_presence = [this](const AgentPresence& presence) {
      absl::MutexLock lock(&mu_);
      peers_[presence.name] = presence.connected ? presence.peer : "";
    };
    hub_ = std::make_unique<AgentHub>(std::move(options));
    grpc::ServerBuilder builder;
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
    builder.RegisterService(hub_.get());
    server_ = builder.BuildAndStart();
  }
  ~ServedHub() {
    if (server_ == nullptr) return;
    hub_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  bool ok() const { return server_ != nullptr; }
  AgentHub& hub() { return *hub_; }
  // The agent's peer address once it is connected, or "" after `timeout`.
  std::string WaitFor(const std::string& name, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto connected = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = peers_.find(name);
      return it != peers_.end() && !it->second.empty();
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&connected), timeout)) return "";
    return peers_[name];
  }

 private:
  std::unique_ptr<AgentHub> hub_;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  std::map<std::string, std::string> peers_ ABSL_GUARDED_BY(mu_);
};

int Run(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  for (const char* required :
       {"--hub-listen", "--agent", "--name", "--token-file", "--agent-token-file", "--count"}) {
    if (!flags.contains(required)) {
      std::cerr << "fleet_nat_driver: missing " << required << "\n";
      return 2;
    }
  }
  const std::string name = flags["--name"];
  const std::string agent_endpoint = flags["--agent"];
  const std::string agent_host = agent_endpoint.substr(0, agent_endpoint.rfind(':'));
  paired::AgentConnectionOptions calls;
  calls.credentials = grpc::InsecureChannelCredentials();
  calls.bearer_token = ReadToken(flags["--token-file"]);
  AgentHubOptions options;
  options.agent_token = ReadToken(flags["--agent-token-file"]);
  options.calls = calls;

  auto served = std::make_unique<ServedHub>(flags["--hub-listen"], options);
  if (!served->ok()) {
    std::cerr << "fleet_nat_driver: cannot listen on " << flags["--hub-listen"] << "\n";
    return 1;
  }
  const std::string peer = served->WaitFor(name, absl::Seconds(30));
  Emit({{"step", "attached"}, {"peer", peer}});
  if (peer.empty()) return 1;

  paired::GrpcAgentEndpoint listening(agent_endpoint, calls);
  paired::PairedTestPlan plan;
  plan.probe = cli::DefaultProbeOptions();
  plan.probe.set_count(std::stoi(flags["--count"]));
  plan.probe.set_interval_us(200'000);
  plan.probe.set_max_ttl(8);
  plan.oneway_count = 200;
  plan.oneway_interval = absl::Milliseconds(5);
  plan.resolve_aliases = false;
  plan.insecure = true;
  paired::CancelToken cancel;

  {  // the NATed agent as the client: the listening agent is the server
    absl::StatusOr<std::unique_ptr<paired::Endpoint>> nat = served->hub().EndpointFor(name);
    if (!nat.ok()) return 1;
    paired::PairedTestPlan client_plan = plan;
    client_plan.server_endpoint = agent_endpoint;
    client_plan.forward_target = agent_host;
    client_plan.client_behind_nat = true;
    nlohmann::json line = RunJson(paired::RunPairedTest(client_plan, **nat, listening,
                                                        paired::SystemPairedDeps(), cancel, {}));
    line["step"] = "nat_client";
    Emit(line);
  }
  {  // the NATed agent as the server
    absl::StatusOr<std::unique_ptr<paired::Endpoint>> nat = served->hub().EndpointFor(name);
    if (!nat.ok()) return 1;
    paired::PairedTestPlan server_plan = plan;
    server_plan.server_behind_nat = true;
    server_plan.client_endpoint = agent_endpoint;
    nlohmann::json line = RunJson(paired::RunPairedTest(server_plan, listening, **nat,
                                                        paired::SystemPairedDeps(), cancel, {}));
    line["step"] = "nat_server";
    Emit(line);
  }
  {  // the controller restarts: the agent comes back by itself
    served.reset();
    const absl::Time restarted = absl::Now();
    served = std::make_unique<ServedHub>(flags["--hub-listen"], options);
    if (!served->ok()) return 1;
    const std::string again = served->WaitFor(name, absl::Seconds(60));
    nlohmann::json line = {{"step", "reattached"},
                           {"peer", again},
                           {"seconds", absl::ToDoubleSeconds(absl::Now() - restarted)}};
    absl::StatusOr<std::unique_ptr<paired::Endpoint>> nat = served->hub().EndpointFor(name);
    absl::StatusOr<v1::InfoResponse> info =
        nat.ok() ? (*nat)->Info() : absl::StatusOr<v1::InfoResponse>(nat.status());
    line["info"] = info.ok() ? "OK" : std::string(info.status().message());
    Emit(line);
  }
  return 0;
}

}  // namespace
}  // namespace pathpair::fleet

int main(int argc, char** argv) { return pathpair::fleet::Run(argc, argv); }

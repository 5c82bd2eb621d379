// Root integration test: the real pathpair-agent binary, run inside network namespaces
// (tests/topo/specs/two_hop.textproto: client -- router -- server, entered with nsenter), commanded
// over unix sockets from this process: allow-listed and paired traces with the real prober, the
// one-way measurement between two agents, cancellation and lease expiry.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/client/channel.h"
#include "agent/rpc/tls_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pathpair/v1/agent.grpc.pb.h"
#include "tests/topo/spec.h"
#include "tests/topo/topology.h"

namespace pathpair::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kPairing[] = "netns-pairing-42";
// Plaintext agents here listen beyond loopback (the paired tests), which needs a bearer token:
// the controller's, which this test sends, and the agents' own, which they show each other.
constexpr char kControllerToken[] = "netns-controller-token";
constexpr char kAgentToken[] = "netns-agent-token";

// Adds the controller's token to every call on a channel (the stubs here make their own
// contexts).
class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert(
          {"authorization", absl::StrCat("Bearer ", kControllerToken)});
    }
    methods->Proceed();
  }
};
class TokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor();
  }
};

// Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text << "\n";
}

// A pathpair-agent process in a namespace, reached through a unix socket.
class AgentProcess {
 public:
  // With `client_tls`, the agent is expected to serve mutual TLS (its --tls-* flags are in
  // extra_args) and the test connects with those client files; otherwise plaintext.
  AgentProcess(const std::string& netns_file, const std::string& socket,
               std::vector<std::string> extra_args, std::optional<TlsFiles> client_tls)
      : socket_(socket), client_tls_(std::move(client_tls)) {
    client_.tls_name = "localhost";
    std::vector<std::string> args = {"nsenter", "--net=" + netns_file, PATHPAIR_AGENT_BINARY,
                                     "--listen", "unix:" + socket};
    if (!client_tls_.has_value()) {
      const std::string dir = std::filesystem::path(socket).parent_path();
      WriteFile(dir + "/token", kControllerToken);
      WriteFile(dir + "/agent-token", kAgentToken);
      args.insert(args.end(), {"--insecure", "--token-file", dir + "/token", "--agent-token-file",
                               dir + "/agent-token"});
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // The agent dies with the test, even when the test crashes.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 1);
      execvp(argv[0], argv.data());
      _exit(127);
    }
  }
  ~AgentProcess() {
    if (pid_ <= 0) return;
    // Close our connection first: the agent's shutdown waits (up to 2 s) for open connections.
    stub_.reset();
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  // Waits until the agent answers Info.
  absl::StatusOr<v1::InfoResponse> WaitReady() {
    // Connect only once the socket exists: a channel that failed to connect backs off for
    // seconds before trying again.
    for (int i = 0; i < 250 && !std::filesystem::exists(socket_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (client_tls_.has_value()) {
      absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
          MakeChannelCredentials(*client_tls_);
      if (!credentials.ok()) return credentials.status();
      client_.credentials = *credentials;
    } else {
      client_.credentials = grpc::InsecureChannelCredentials();
    }
    if (client_tls_.has_value()) {
      stub_ = v1::Agent::NewStub(MakeAgentChannel("unix:" + socket_, client_));
    } else {
      std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> tokens;
      tokens.push_back(std::make_unique<TokenInterceptorFactory>());
      stub_ = v1::Agent::NewStub(grpc::experimental::CreateCustomChannelWithInterceptors(
          "unix:" + socket_, client_.credentials, grpc::ChannelArguments(), std::move(tokens)));
    }
    grpc::Status last;
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      v1::InfoResponse info;
      last = stub_->Info(&context, v1::InfoRequest(), &info);
      if (last.ok()) return info;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::UnavailableError(absl::StrCat("agent not ready: ", last.error_message()));
  }

  v1::Agent::Stub& stub() { return *stub_; }
  const std::string& socket() const { return socket_; }

 private:
  const std::string socket_;
  const std::optional<TlsFiles> client_tls_;
  AgentClientOptions client_;
  pid_t pid_ = -1;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
}

v1::StartTraceRequest FastTrace(const std::string& target, int count) {
  v1::StartTraceRequest request;
  v1::ProbeOptions* options = request.mutable_options();
  options->set_target(target);
  options->set_count(count);
  options->set_interval_us(100000);
  options->set_max_ttl(8);
  options->set_probe_timeout_us(1000000);
  options->set_grace_us(500000);
  return request;
}

struct TraceOutcome {
  grpc::Status status;
  std::vector<v1::TraceUpdate> updates;
  const v1::TraceResult& final_result() const { return updates.back().snapshot(); }
};

TraceOutcome RunTrace(v1::Agent::Stub& stub, const v1::StartTraceRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(20));
  auto reader = stub.StartTrace(&context, request);
  TraceOutcome outcome;
  v1::TraceUpdate update;
  while (reader->Read(&update)) outcome.updates.push_back(update);
  outcome.status = reader->Finish();
  return outcome;
}

std::vector<std::string> HopAddresses(const v1::TraceResult& result) {
  std::vector<std::string> hops;
  for (const v1::HopResult& hop : result.hops()) {
    hops.push_back(hop.responders_size() > 0 ? hop.responders(0).address() : "???");
  }
  return hops;
}

class AgentNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    absl::StatusOr<topo::v1::Topology> spec = topo::LoadSpecFile(PATHPAIR_TWO_HOP_SPEC);
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::StatusOr<std::unique_ptr<topo::Topology>> path = topo::Topology::Up(*spec);
    ASSERT_TRUE(path.ok()) << path.status();
    path_ = *std::move(path);
    char pattern[] = "/tmp/pathpair-agent-netns-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    // The agents drop to an unprivileged user before they bind their unix: sockets here
    // (docs/SECURITY.md): the directory is writable by everyone, sticky as /tmp.
    ASSERT_EQ(chmod(pattern, 01777), 0);
    dir_ = pattern;
  }
  void TearDown() override {
    agents_.clear();  // stop the agents before their namespaces go
    path_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  AgentProcess& StartAgent(const std::string& node, const std::string& name,
                           std::vector<std::string> args,
                           std::optional<TlsFiles> client_tls = std::nullopt) {
    agents_.push_back(std::make_unique<AgentProcess>(path_->NamespaceFile(node),
                                                     dir_ + "/" + name + ".sock", std::move(args),
                                                     std::move(client_tls)));
    return *agents_.back();
  }

  std::unique_ptr<topo::Topology> path_;
  std::string dir_;
  std::vector<std::unique_ptr<AgentProcess>> agents_;
};

TEST_F(AgentNetnsTest, AllowListedTraceRunsOnTheRealProberAndOthersAreRefused) {
  AgentProcess& agent = StartAgent(topo::kClient, "a", {"--allow", "203.0.113.2/32"});
  absl::StatusOr<v1::InfoResponse> info = agent.WaitReady();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->capabilities().socket_mode(), v1::Capabilities::SOCKET_MODE_RAW);

  TraceOutcome outcome = RunTrace(agent.stub(), FastTrace("203.0.113.2", 3));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  ASSERT_GE(outcome.updates.size(), 3u);  // session, snapshots, final
  EXPECT_FALSE(outcome.updates.front().has_snapshot());
  const v1::TraceResult& result = outcome.final_result();
  EXPECT_TRUE(result.final());
  EXPECT_TRUE(result.reached());
  EXPECT_EQ(result.rounds(), 3);
  EXPECT_THAT(HopAddresses(result), ::testing::ElementsAre("198.51.100.2", "203.0.113.2"));
  EXPECT_EQ(result.hops(1).received(), 3);

  TraceOutcome refused = RunTrace(agent.stub(), FastTrace("203.0.113.1", 1));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("203.0.113.2/32"));
}

TEST_F(AgentNetnsTest, PairedAgentsTraceEachOtherAndMeasureOneWay) {
  AgentProcess& client = StartAgent(topo::kClient, "a", {});
  AgentProcess& server = StartAgent(topo::kServer, "b", {"--listen", "203.0.113.2:8620"});
  absl::StatusOr<v1::InfoResponse> client_info = client.WaitReady();
  absl::StatusOr<v1::InfoResponse> server_info = server.WaitReady();
  ASSERT_TRUE(client_info.ok()) << client_info.status();
  ASSERT_TRUE(server_info.ok()) << server_info.status();

  // Without the exchange, neither may probe the other.
  v1::StartTraceRequest forward = FastTrace("203.0.113.2", 3);
  forward.set_pairing_id(kPairing);
  EXPECT_EQ(RunTrace(client.stub(), forward).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The client agent calls the server agent's Reflect over the path.
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(5));
    v1::ReflectPeerRequest request;
    request.set_peer("203.0.113.2:8620");
    request.set_pairing_id(kPairing);
    v1::ReflectPeerResponse response;
    grpc::Status status = client.stub().ReflectPeer(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.reflected_address(), "198.51.100.1");
  }

  // Forward and reverse traces, and the one-way measurement, at the same time.
  v1::StartTraceRequest reverse = FastTrace("198.51.100.1", 3);
  reverse.set_pairing_id(kPairing);
  TraceOutcome forward_outcome, reverse_outcome;
  std::thread forward_thread([&] { forward_outcome = RunTrace(client.stub(), forward); });
  std::thread reverse_thread([&] { reverse_outcome = RunTrace(server.stub(), reverse); });

  auto oneway = [&](AgentProcess& agent, const std::string& peer, int peer_port,
                    v1::AgentOneWayResult* out) {
    v1::StartOneWayRequest request;
    request.set_peer_address(peer);
    request.set_peer_port(peer_port);
    request.set_count(50);
    request.set_interval_us(10000);
    request.set_test_id(0x5eed1234abcdULL);
    request.set_session_key(std::string(32, 'k'));
    request.set_pairing_id(kPairing);
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(15));
    auto reader = agent.stub().StartOneWay(&context, request);
    v1::OneWayUpdate update;
    while (reader->Read(&update)) {
      if (update.has_result()) *out = update.result();
    }
    return reader->Finish();
  };
  v1::AgentOneWayResult at_client, at_server;
  grpc::Status client_oneway, server_oneway;
  std::thread oneway_thread([&] {
    client_oneway = oneway(client, "203.0.113.2", server_info->oneway_port(), &at_client);
  });
  server_oneway = oneway(server, "198.51.100.1", client_info->oneway_port(), &at_server);
  oneway_thread.join();
  forward_thread.join();
  reverse_thread.join();

  ASSERT_TRUE(forward_outcome.status.ok()) << forward_outcome.status.error_message();
  ASSERT_TRUE(reverse_outcome.status.ok()) << reverse_outcome.status.error_message();
  EXPECT_THAT(HopAddresses(forward_outcome.final_result()),
              ::testing::ElementsAre("198.51.100.2", "203.0.113.2"));
  EXPECT_THAT(HopAddresses(reverse_outcome.final_result()),
              ::testing::ElementsAre("203.0.113.1", "198.51.100.1"));

  ASSERT_TRUE(client_oneway.ok()) << client_oneway.error_message();
  ASSERT_TRUE(server_oneway.ok()) << server_oneway.error_message();
  for (const v1::AgentOneWayResult* r : {&at_client, &at_server}) {
    EXPECT_TRUE(r->final());
    EXPECT_EQ(r->error(), "");
    EXPECT_EQ(r->inbound().sent(), 50);
    EXPECT_EQ(r->inbound().received(), 50);
    EXPECT_EQ(r->inbound().loss_pct(), 0);
    EXPECT_EQ(r->outbound().sent(), 50);
    EXPECT_TRUE(r->offset().estimated());
    // Same host, same clock: the offset is zero within its bound.
    EXPECT_LE(std::abs(r->offset().offset_ms()), r->offset().error_bound_ms() + 0.001);
  }
}

TEST_F(AgentNetnsTest, MutualTlsAgentServesOnlyClientsWithTheOperatorsCertificate) {
  const std::string pki = dir_ + "/pki";
  ASSERT_EQ(
      std::system(
          absl::StrCat(PATHPAIR_SOURCE_DIR, "/deploy/make-certs.sh ", pki, " >/dev/null").c_str()),
      0);
  const TlsFiles client_files{pki + "/client.pem", pki + "/client.key", pki + "/ca.pem"};
  AgentProcess& agent =
      StartAgent(topo::kClient, "a",
                 {"--tls-cert", pki + "/agent.pem", "--tls-key", pki + "/agent.key", "--tls-ca",
                  pki + "/ca.pem", "--allow", "203.0.113.0/24"},
                 client_files);
  absl::StatusOr<v1::InfoResponse> info = agent.WaitReady();
  ASSERT_TRUE(info.ok()) << info.status();
  TraceOutcome outcome = RunTrace(agent.stub(), FastTrace("203.0.113.2", 1));
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.error_message();

  auto plaintext = v1::Agent::NewStub(
      grpc::CreateChannel("unix:" + agent.socket(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  v1::InfoResponse response;
  EXPECT_EQ(plaintext->Info(&context, v1::InfoRequest(), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AgentNetnsTest, PairingAndTracesWorkOverIpv6) {
  AgentProcess& client = StartAgent(topo::kClient, "a", {});
  AgentProcess& server = StartAgent(topo::kServer, "b", {"--listen", "[2001:db8:2::2]:8620"});
  ASSERT_TRUE(client.WaitReady().ok());
  ASSERT_TRUE(server.WaitReady().ok());
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(5));
  v1::ReflectPeerRequest request;
  request.set_peer("[2001:db8:2::2]:8620");
  request.set_pairing_id(kPairing);
  v1::ReflectPeerResponse response;
  grpc::Status status = client.stub().ReflectPeer(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.peer_address(), "2001:db8:2::2");
  EXPECT_EQ(response.reflected_address(), "2001:db8:1::1");

  v1::StartTraceRequest reverse = FastTrace("2001:db8:1::1", 2);
  reverse.set_pairing_id(kPairing);
  TraceOutcome outcome = RunTrace(server.stub(), reverse);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_THAT(HopAddresses(outcome.final_result()),
              ::testing::ElementsAre("2001:db8:2::1", "2001:db8:1::1"));
  // The pairing covers the peer's IPv6 address only.
  v1::StartTraceRequest other = FastTrace("198.51.100.1", 1);
  other.set_pairing_id(kPairing);
  EXPECT_EQ(RunTrace(server.stub(), other).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AgentNetnsTest, CancellingTheStreamStopsTheProbes) {
  AgentProcess& agent = StartAgent(topo::kClient, "a", {"--allow", "203.0.113.0/24"});
  ASSERT_TRUE(agent.WaitReady().ok());
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(20));
  auto reader = agent.stub().StartTrace(&context, FastTrace("203.0.113.2", 0));  // unlimited
  v1::TraceUpdate update;
  int snapshots = 0;
  while (snapshots < 3 && reader->Read(&update)) snapshots += update.has_snapshot() ? 1 : 0;
  ASSERT_EQ(snapshots, 3);
  context.TryCancel();
  while (reader->Read(&update)) {
  }
  reader->Finish();
  int active = -1;
  for (int i = 0; i < 40 && active != 0; ++i) {
    grpc::ClientContext info_context;
    SetDeadline(info_context, absl::Seconds(2));
    v1::InfoResponse info;
    ASSERT_TRUE(agent.stub().Info(&info_context, v1::InfoRequest(), &info).ok());
    active = info.active_traces();
    if (active != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(active, 0);
}

// The "controller" that the next test kills: run as a child process (this binary again, with
// PATHPAIR_TEST_CONTROLLER_SOCKET set), it starts an unlimited trace and waits to be killed.
TEST(AgentNetnsChild, ControllerThatGetsKilled) {
  const char* socket = std::getenv("PATHPAIR_TEST_CONTROLLER_SOCKET");
  if (socket == nullptr) GTEST_SKIP() << "only run as the child of ControllerKilledWithSigkill";
  auto stub = v1::Agent::NewStub(
      grpc::CreateChannel(absl::StrCat("unix:", socket), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kControllerToken));
  v1::StartTraceRequest request = FastTrace("203.0.113.2", 0);
  request.set_lease_ms(2000);
  auto reader = stub->StartTrace(&context, request);
  v1::TraceUpdate update;
  while (reader->Read(&update)) {
    if (update.has_snapshot()) std::fprintf(stdout, "snapshot\n");
    std::fflush(stdout);
  }
}

TEST_F(AgentNetnsTest, ControllerKilledWithSigkillLeavesNoTraceRunning) {
  AgentProcess& agent = StartAgent(topo::kClient, "a", {"--allow", "203.0.113.0/24"});
  ASSERT_TRUE(agent.WaitReady().ok());
  const std::string socket = dir_ + "/a.sock";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  // Everything the child needs is prepared before fork: after it, only exec-safe calls.
  std::string env_socket = "PATHPAIR_TEST_CONTROLLER_SOCKET=" + socket;
  char* const child_env[] = {env_socket.data(), nullptr};
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], 1);
    execle("/proc/self/exe", "agent_netns_test",
           "--gtest_filter=AgentNetnsChild.ControllerThatGetsKilled", nullptr, child_env);
    _exit(127);
  }
  close(out[1]);
  // Wait for the child's first snapshot (gtest prints its own lines too): its trace runs.
  FILE* child_out = fdopen(out[0], "r");
  ASSERT_NE(child_out, nullptr);
  char line[256];
  bool running = false;
  while (!running && std::fgets(line, sizeof(line), child_out) != nullptr) {
    running = std::string(line) == "snapshot\n";
  }
  std::fclose(child_out);
  ASSERT_TRUE(running);
  auto active_traces = [&] {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(2));
    v1::InfoResponse info;
    EXPECT_TRUE(agent.stub().Info(&context, v1::InfoRequest(), &info).ok());
    return info.active_traces();
  };
  EXPECT_EQ(active_traces(), 1);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const absl::Time killed = absl::Now();
  while (active_traces() != 0 && absl::Now() - killed < absl::Seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(active_traces(), 0);
  EXPECT_LT(absl::Now() - killed, absl::Seconds(2));  // within the child's 2 s lease
}

TEST_F(AgentNetnsTest, TraceStopsWhenItsLeaseIsNotRenewed) {
  AgentProcess& agent = StartAgent(topo::kClient, "a", {"--allow", "203.0.113.0/24"});
  ASSERT_TRUE(agent.WaitReady().ok());
  v1::StartTraceRequest request = FastTrace("203.0.113.2", 0);
  request.set_lease_ms(1000);
  const absl::Time start = absl::Now();
  TraceOutcome outcome = RunTrace(agent.stub(), request);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("lease expired"));
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, absl::Seconds(5));
  ASSERT_FALSE(outcome.updates.empty());
  EXPECT_TRUE(outcome.final_result().final());
}

}  // namespace
}  // namespace pathpair::agent

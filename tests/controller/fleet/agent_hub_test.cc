// The dial-out tunnel in-process: a hub (controller/fleet/agent_hub.h) on 127.0.0.1, an agent
// (its real AgentService with fake runners, no listening port) attached through a
// ControllerLink (agent/dialout/controller_link.h), and the hub's Endpoints driving it. Also
// the frames an untrusted peer may send on either side, and the reconnection backoff.
#include "controller/fleet/agent_hub.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/client/channel.h"
#include "agent/dialout/controller_link.h"
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "agent/service/agent_service.h"
#include "agent/service/consent.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pathpair/v1/fleet.grpc.pb.h"
#include "tests/agent/service/fake_runners.h"

namespace pathpair::fleet {
namespace {

using ::testing::HasSubstr;

constexpr char kControllerToken[] = "controller-token-0123456789abcdef";
constexpr char kAgentToken[] = "agent-token-0123456789abcdef";

// Presence events, in order.
class PresenceLog {
 public:
  void Record(const AgentPresence& presence) {
    absl::MutexLock lock(&mu_);
    events_.push_back(presence);
  }
  std::vector<AgentPresence> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  bool WaitFor(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  absl::Mutex mu_;
  std::vector<AgentPresence> events_ ABSL_GUARDED_BY(mu_);
};

// The controller: a hub on a loopback port.
struct TestHub {
  explicit TestHub(PresenceLog* log, int fixed_port = 0) {
    AgentHubOptions options;
    options.agent_token = kAgentToken;
    options.calls.bearer_token = kControllerToken;
    options.calls.unary_timeout = absl::Seconds(5);
    if (log != nullptr) {
      options.on_presence = [log](const AgentPresence& p) { log->Record(p); };
    }
    hub = std::make_unique<AgentHub>(options);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", fixed_port),
                             grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(hub.get());
    server = builder.BuildAndStart();
    EXPECT_NE(server, nullptr);
  }
  ~TestHub() { Stop(); }
  void Stop() {
    if (server == nullptr) return;
    hub->Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server.reset();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }

  int port = 0;
  std::unique_ptr<AgentHub> hub;
  std::unique_ptr<grpc::Server> server;
};

// An agent that only dials out: its service on a server without ports, reached in-process.
struct DialingAgent {
  DialingAgent(
      const std::string& controller, const std::string& name,
      const std::string& agent_token = kAgentToken,
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
      std::function<void(const agent::Refusal&)> on_refusal = nullptr)
      : consent(clock, absl::Minutes(10)),
        service(Config(std::move(on_refusal)), runner, &oneway, consent, clock) {
    EXPECT_TRUE(consent.AllowCidr("203.0.113.0/24").ok());
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    agent::ControllerLinkOptions options{.controller = controller, .name = name};
    options.version = "test";
    options.credentials = std::move(credentials);
    options.tls_name = "localhost";
    options.agent_token = agent_token;
    options.initial_backoff = absl::Milliseconds(50);
    options.max_backoff = absl::Milliseconds(200);
    options.tunnel = &caller;
    link = std::make_unique<agent::ControllerLink>(
        options, server->InProcessChannel(grpc::ChannelArguments()));
    link->Start();
  }
  ~DialingAgent() {
    link->Stop();
    service.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  agent::AgentServiceConfig Config(std::function<void(const agent::Refusal&)> on_refusal) {
    agent::AgentServiceConfig config;
    config.on_refusal = std::move(on_refusal);
    config.bearer_token = kControllerToken;
    config.agent_token = kAgentToken;
    config.tunnel_caller = &caller;
    return config;
  }

  FakeClock clock;
  agent::FakeTraceRunner runner;
  agent::FakeOneWayRunner oneway;
  agent::ConsentPolicy consent;
  agent::TunnelCaller caller;
  agent::AgentService service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<agent::ControllerLink> link;
};

v1::StartTraceRequest TraceTo(const std::string& target) {
  v1::StartTraceRequest request;
  request.mutable_options()->set_target(target);
  request.mutable_options()->set_max_ttl(10);
  request.mutable_options()->set_interval_us(1000000);
  request.set_lease_ms(5000);
  return request;
}

TEST(AgentHubTest, InfoOverTheTunnelAndPresence) {
  PresenceLog presence;
  TestHub hub(&presence);
  EXPECT_EQ(hub.hub->EndpointFor("office").status().code(), absl::StatusCode::kUnavailable);
  DialingAgent office(hub.address(), "office");
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  ASSERT_TRUE(presence.WaitFor(1));
  EXPECT_EQ(presence.events()[0].name, "office");
  EXPECT_TRUE(presence.events()[0].connected);
  EXPECT_THAT(presence.events()[0].peer, HasSubstr("127.0.0.1:"));
  EXPECT_EQ(presence.events()[0].version, "test");
  ASSERT_EQ(hub.hub->Connected().size(), 1u);

  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ((*endpoint)->Describe(), "office");
  absl::StatusOr<v1::InfoResponse> info = (*endpoint)->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->oneway_port(), 8621);
  EXPECT_EQ(info->capabilities().socket_mode(), v1::Capabilities::SOCKET_MODE_RAW);

  office.link->Stop();
  ASSERT_TRUE(presence.WaitFor(2));
  EXPECT_FALSE(presence.events()[1].connected);
  EXPECT_FALSE(hub.hub->IsConnected("office"));
  absl::StatusOr<v1::InfoResponse> gone = (*endpoint)->Info();
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(gone.status().message(), HasSubstr("office"));
}

TEST(AgentHubTest, ACallMadeAsSoonAsTheAgentIsPresentReachesIt) {
  // The presence callback is where a controller learns it may call the agent (pathpair serve
  // records it, a scheduler may call at once): such a call must reach the agent after its
  // 'accepted' frame, even when the callback takes its time.
  std::unique_ptr<AgentHub>* hub_ptr = nullptr;
  std::thread caller;
  absl::StatusOr<v1::InfoResponse> info = absl::UnknownError("not called");
  AgentHubOptions options;
  options.agent_token = kAgentToken;
  options.calls.bearer_token = kControllerToken;
  options.on_presence = [&](const AgentPresence& presence) {
    if (!presence.connected || caller.joinable()) return;
    caller = std::thread([&, name = presence.name] {
      absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = (*hub_ptr)->EndpointFor(name);
      info = endpoint.ok() ? (*endpoint)->Info() : endpoint.status();
    });
    absl::SleepFor(absl::Milliseconds(300));  // the call is queued meanwhile
  };
  auto hub = std::make_unique<AgentHub>(options);
  hub_ptr = &hub;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(hub.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    DialingAgent office(absl::StrCat("127.0.0.1:", port), "office");
    ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
    absl::SleepFor(absl::Milliseconds(500));
    ASSERT_TRUE(caller.joinable());
    caller.join();
    EXPECT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(office.link->attachments(), 1);
  }
  hub->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST(AgentHubTest, TraceStreamsThroughTheTunnelAndCancelStopsIt) {
  TestHub hub(nullptr);
  DialingAgent office(hub.address(), "office");
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();

  // A trace that runs to its end: snapshots, then the final result.
  {
    std::vector<int> snapshots;
    std::thread agent_side([&] {
      ASSERT_TRUE(office.runner.WaitForStarted(1));
      office.runner.Snapshot(0, 1);
      office.runner.Snapshot(0, 2);
      office.runner.Finish(0, 3);
    });
    paired::CancelToken cancel;
    paired::TraceOutcome outcome = (*endpoint)->RunTrace(
        TraceTo("203.0.113.5"),
        {.on_snapshot = [&](const v1::TraceResult& r) { snapshots.push_back(r.rounds()); }},
        cancel);
    agent_side.join();
    ASSERT_TRUE(outcome.status.ok()) << outcome.status;
    ASSERT_TRUE(outcome.result.has_value());
    EXPECT_TRUE(outcome.result->final());
    EXPECT_EQ(outcome.result->rounds(), 3);
    EXPECT_EQ(office.runner.Get(0).target.ToString(), "203.0.113.5");
  }
  // A cancelled trace: the controller's Stop reaches the agent through the tunnel.
  {
    paired::CancelToken cancel;
    std::thread canceller([&] {
      ASSERT_TRUE(office.runner.WaitForStarted(2));
      cancel.Cancel();
    });
    paired::TraceOutcome outcome = (*endpoint)->RunTrace(TraceTo("203.0.113.6"), {}, cancel);
    canceller.join();
    EXPECT_EQ(outcome.status.code(), absl::StatusCode::kCancelled) << outcome.status;
    EXPECT_TRUE(office.runner.WaitForCancelled(1));
    EXPECT_EQ(office.service.sessions().Count(agent::SessionKind::kTrace), 0);
  }
}

TEST(AgentHubTest, TheAgentServiceStillChecksConsentAndTheControllerToken) {
  TestHub hub(nullptr);
  DialingAgent office(hub.address(), "office");
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok());
  paired::CancelToken cancel;
  paired::TraceOutcome refused = (*endpoint)->RunTrace(TraceTo("198.51.100.9"), {}, cancel);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kPermissionDenied) << refused.status;
  EXPECT_THAT(refused.status.message(), HasSubstr("no consent to probe 198.51.100.9"));
  EXPECT_EQ(office.runner.started(), 0u);

  // A controller whose token the agent does not accept gets UNAUTHENTICATED from the agent.
  PresenceLog presence;
  AgentHubOptions options;
  options.agent_token = kAgentToken;
  options.calls.bearer_token = "not-the-controller-token";
  AgentHub other(options);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&other);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    DialingAgent lab(absl::StrCat("127.0.0.1:", port), "lab");
    ASSERT_TRUE(lab.link->WaitForAttachment(0, absl::Seconds(10)));
    absl::StatusOr<std::unique_ptr<paired::Endpoint>> lab_end = other.EndpointFor("lab");
    ASSERT_TRUE(lab_end.ok());
    absl::StatusOr<v1::InfoResponse> info = (*lab_end)->Info();
    EXPECT_EQ(info.status().code(), absl::StatusCode::kUnauthenticated) << info.status();
    EXPECT_THAT(info.status().message(), HasSubstr("bad bearer token"));
  }
  other.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST(AgentHubTest, RelayedCallsRunAsTheControllerTheLinkAuthenticated) {
  TestHub hub(nullptr);
  DialingAgent office(hub.address(), "office");
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok());
  ASSERT_TRUE((*endpoint)->Info().ok());
  // Had the link authenticated a certificate of the agent role (not the controller's), the
  // service would see that identity, and refuse every call but Reflect.
  office.caller.Set(agent::CallerIdentity{.role = agent::Role::kAgent,
                                          .name = "spiffe://pathpair/agent/impostor",
                                          .has_certificate = true});
  absl::StatusOr<v1::InfoResponse> info = (*endpoint)->Info();
  EXPECT_EQ(info.status().code(), absl::StatusCode::kPermissionDenied) << info.status();
  EXPECT_THAT(info.status().message(), HasSubstr("role agent may not call Info"));
}

TEST(AgentHubTest, AttachWithoutTheAgentTokenIsRefused) {
  PresenceLog presence;
  TestHub hub(&presence);
  DialingAgent intruder(hub.address(), "office", "wrong-agent-token");
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(intruder.link->attachments(), 0);
  EXPECT_FALSE(hub.hub->IsConnected("office"));
  EXPECT_TRUE(presence.events().empty());
}

TEST(AgentHubTest, ADuplicateNameReplacesTheOlderConnection) {
  PresenceLog presence;
  TestHub hub(&presence);
  DialingAgent first(hub.address(), "office");
  ASSERT_TRUE(first.link->WaitForAttachment(0, absl::Seconds(10)));
  DialingAgent second(hub.address(), "office");
  ASSERT_TRUE(second.link->WaitForAttachment(0, absl::Seconds(10)));
  ASSERT_TRUE(presence.WaitFor(3));
  std::vector<AgentPresence> events = presence.events();
  EXPECT_TRUE(events[0].connected);
  EXPECT_FALSE(events[1].connected);
  EXPECT_EQ(events[1].reason.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(events[1].reason.message(), HasSubstr("replaced"));
  EXPECT_TRUE(events[2].connected);
  // Calls now reach the newer connection's agent. (The older one reconnects in turn and
  // replaces it back: the newest connection always wins, so stop it first.)
  first.link->Stop();
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(second.link->WaitForAttachment(0, absl::Seconds(10)));
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok());
  paired::CancelToken cancel;
  std::thread finisher([&] {
    if (second.runner.WaitForStarted(1)) second.runner.Finish(0, 1);
  });
  paired::TraceOutcome outcome = (*endpoint)->RunTrace(TraceTo("203.0.113.5"), {}, cancel);
  finisher.join();
  EXPECT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(second.runner.started(), 1u);
  EXPECT_EQ(first.runner.started(), 0u);
}

TEST(AgentHubTest, TheAgentReconnectsAfterTheControllerRestarts) {
  PresenceLog presence;
  auto hub = std::make_unique<TestHub>(&presence);
  const int port = hub->port;
  DialingAgent office(hub->address(), "office");
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  hub->Stop();
  hub.reset();
  hub = std::make_unique<TestHub>(&presence, port);
  ASSERT_TRUE(office.link->WaitForAttachment(1, absl::Seconds(10)));
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub->hub->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_TRUE((*endpoint)->Info().ok());
}

// A raw Attach stream, for frames a well-behaved link never sends.
struct RawAttach {
  RawAttach(const std::string& address, const std::string& token) {
    stub =
        v1::Controller::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    stream = stub->Attach(&context);
  }
  grpc::Status Finish() {
    stream->WritesDone();
    v1::ControllerFrame frame;
    while (stream->Read(&frame)) {
    }
    return stream->Finish();
  }
  std::unique_ptr<v1::Controller::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentFrame, v1::ControllerFrame>> stream;
};

TEST(AgentHubTest, UntrustedAgentFramesAreValidated) {
  TestHub hub(nullptr);
  {  // the first frame must be a hello with a valid name
    RawAttach raw(hub.address(), kAgentToken);
    v1::AgentFrame frame;
    frame.mutable_reply()->set_call_id(1);
    ASSERT_TRUE(raw.stream->Write(frame));
    grpc::Status status = raw.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("hello"));
  }
  {
    RawAttach raw(hub.address(), kAgentToken);
    v1::AgentFrame frame;
    frame.mutable_hello()->set_name("bad name/../");
    ASSERT_TRUE(raw.stream->Write(frame));
    grpc::Status status = raw.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_FALSE(hub.hub->IsConnected("bad name/../"));
  }
  {  // a reply to a call never started ends the stream
    RawAttach raw(hub.address(), kAgentToken);
    v1::AgentFrame hello;
    hello.mutable_hello()->set_name("rogue");
    ASSERT_TRUE(raw.stream->Write(hello));
    v1::ControllerFrame accepted;
    ASSERT_TRUE(raw.stream->Read(&accepted));
    EXPECT_EQ(accepted.accepted().name(), "rogue");
    v1::AgentFrame reply;
    reply.mutable_reply()->set_call_id(42);
    reply.mutable_reply()->set_message("x");
    ASSERT_TRUE(raw.stream->Write(reply));
    grpc::Status status = raw.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("never started"));
    EXPECT_FALSE(hub.hub->IsConnected("rogue"));
  }
  {  // a second answer to a unary call fails the call and the stream
    RawAttach raw(hub.address(), kAgentToken);
    v1::AgentFrame hello;
    hello.mutable_hello()->set_name("rogue");
    ASSERT_TRUE(raw.stream->Write(hello));
    v1::ControllerFrame frame;
    ASSERT_TRUE(raw.stream->Read(&frame));
    absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub.hub->EndpointFor("rogue");
    ASSERT_TRUE(endpoint.ok());
    absl::StatusOr<v1::InfoResponse> info;
    std::thread caller([&] { info = (*endpoint)->Info(); });
    ASSERT_TRUE(raw.stream->Read(&frame));
    ASSERT_TRUE(frame.has_start());
    EXPECT_EQ(frame.start().method(), "/pathpair.v1.Agent/Info");
    EXPECT_EQ(frame.start().authorization(), absl::StrCat("Bearer ", kControllerToken));
    EXPECT_GT(frame.start().timeout_ms(), 0);
    v1::AgentFrame reply;
    reply.mutable_reply()->set_call_id(frame.start().call_id());
    reply.mutable_reply()->set_message(v1::InfoResponse().SerializeAsString());
    ASSERT_TRUE(raw.stream->Write(reply));
    ASSERT_TRUE(raw.stream->Write(reply));
    grpc::Status status = raw.Finish();
    caller.join();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("second message"));
    EXPECT_FALSE(info.ok());
  }
}

// A controller that sends what the test scripts, for the link's checks of controller frames.
class ScriptedController final : public v1::Controller::Service {
 public:
  grpc::Status Attach(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::ControllerFrame, v1::AgentFrame>* stream) override {
    v1::AgentFrame hello;
    if (!stream->Read(&hello)) return grpc::Status::OK;
    v1::ControllerFrame accepted;
    accepted.mutable_accepted()->set_name(hello.hello().name());
    stream->Write(accepted);
    v1::ControllerFrame bad_method;
    bad_method.mutable_start()->set_call_id(1);
    bad_method.mutable_start()->set_method("/grpc.health.v1.Health/Check");
    bad_method.mutable_start()->set_timeout_ms(1000);
    stream->Write(bad_method);
    v1::ControllerFrame no_deadline;
    no_deadline.mutable_start()->set_call_id(2);
    no_deadline.mutable_start()->set_method("/pathpair.v1.Agent/Info");
    stream->Write(no_deadline);
    std::vector<v1::CallReply> replies;
    v1::AgentFrame frame;
    while (replies.size() < 2 && stream->Read(&frame)) replies.push_back(frame.reply());
    // A call id used twice: the agent drops the stream.
    v1::ControllerFrame reused = no_deadline;
    reused.mutable_start()->set_timeout_ms(1000);
    stream->Write(reused);
    const bool dropped = !stream->Read(&frame);
    absl::MutexLock lock(&mu_);
    replies_ = std::move(replies);
    dropped_ = dropped;
    done_ = true;
    return grpc::Status::OK;
  }
  bool WaitDone() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(10));
  }
  std::vector<v1::CallReply> replies() {
    absl::MutexLock lock(&mu_);
    return replies_;
  }
  bool dropped() {
    absl::MutexLock lock(&mu_);
    return dropped_;
  }

 private:
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool dropped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<v1::CallReply> replies_ ABSL_GUARDED_BY(mu_);
};

TEST(ControllerLinkTest, UntrustedControllerFramesAreValidated) {
  ScriptedController controller;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&controller);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  {
    DialingAgent office(absl::StrCat("127.0.0.1:", port), "office");
    ASSERT_TRUE(controller.WaitDone());
    std::vector<v1::CallReply> replies = controller.replies();
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].call_id(), 1u);
    EXPECT_EQ(replies[0].end().code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(replies[0].end().message(), HasSubstr("not a method of the Agent service"));
    EXPECT_EQ(replies[1].call_id(), 2u);
    EXPECT_EQ(replies[1].end().code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(replies[1].end().message(), HasSubstr("timeout"));
    EXPECT_TRUE(controller.dropped());
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

// Mutual TLS with the operator's certificates (deploy/make-certs.sh): the hub serves a
// controller certificate and requires agent certificates.
class FleetTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/pathpair-fleet-tls-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = new std::string(pattern);
    const std::string script = std::string(PATHPAIR_SOURCE_DIR) + "/deploy/make-certs.sh " + *dir_;
    for (const char* args : {" --name hub --role controller", " --name office", " --name lab"}) {
      ASSERT_EQ(std::system((script + args + " >/dev/null").c_str()), 0) << args;
    }
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static agent::TlsFiles Files(const std::string& who) {
    return agent::TlsFiles{*dir_ + "/" + who + ".pem", *dir_ + "/" + who + ".key",
                           *dir_ + "/ca.pem"};
  }
  static std::shared_ptr<grpc::ChannelCredentials> AgentCredentials(const std::string& who) {
    return *agent::MakeChannelCredentials(Files(who));
  }

  // A hub serving `who`'s certificate, without an agent token: certificates authenticate.
  void StartHub(const std::string& who) {
    AgentHubOptions options;
    options.calls.bearer_token = kControllerToken;
    options.on_presence = [this](const AgentPresence& p) { presence_.Record(p); };
    hub_ = std::make_unique<AgentHub>(options);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *agent::MakeServerCredentials(Files(who)), &port_);
    builder.RegisterService(hub_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    hub_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  static std::string* dir_;
  PresenceLog presence_;
  std::unique_ptr<AgentHub> hub_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};
std::string* FleetTlsTest::dir_ = nullptr;

TEST_F(FleetTlsTest, RelayedCallsComeFromTheControllersCertificate) {
  StartHub("hub");
  absl::Mutex mu;
  std::vector<std::string> refused_clients;
  DialingAgent office(address(), "office", /*agent_token=*/"", AgentCredentials("office"),
                      [&](const agent::Refusal& refusal) {
                        absl::MutexLock lock(&mu);
                        refused_clients.emplace_back(refusal.client);
                      });
  ASSERT_TRUE(office.link->WaitForAttachment(0, absl::Seconds(10)));
  EXPECT_EQ(office.caller.Get().name, "spiffe://pathpair/controller/hub");
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> endpoint = hub_->EndpointFor("office");
  ASSERT_TRUE(endpoint.ok());
  ASSERT_TRUE((*endpoint)->Info().ok());
  paired::CancelToken cancel;
  paired::TraceOutcome refused = (*endpoint)->RunTrace(TraceTo("198.51.100.9"), {}, cancel);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kPermissionDenied);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(refused_clients.size(), 1u);
  EXPECT_EQ(refused_clients[0], "spiffe://pathpair/controller/hub");
}

TEST_F(FleetTlsTest, AnAgentMayOnlyAttachUnderItsCertificatesName) {
  StartHub("hub");
  DialingAgent impostor(address(), "office", "", AgentCredentials("lab"));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(impostor.link->attachments(), 0);
  EXPECT_FALSE(hub_->IsConnected("office"));
  // A controller's certificate is no agent's.
  DialingAgent controller(address(), "client", "", AgentCredentials("client"));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(controller.link->attachments(), 0);
  EXPECT_TRUE(hub_->Connected().empty());
  DialingAgent lab(address(), "lab", "", AgentCredentials("lab"));
  EXPECT_TRUE(lab.link->WaitForAttachment(0, absl::Seconds(10)));
}

TEST_F(FleetTlsTest, TheAgentRefusesAControllerWithoutTheControllerRole) {
  StartHub("lab");  // an agent's certificate, signed by the same CA
  DialingAgent office(address(), "office", "", AgentCredentials("office"));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(office.link->attachments(), 0);
  EXPECT_EQ(office.caller.Get().name, "anonymous");
}

TEST(BackoffTest, DoublesUpToTheCapWithJitterAndResets) {
  double u = 0;
  agent::Backoff backoff(absl::Seconds(1), absl::Seconds(10), [&u] { return u; });
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));  // [d/2, d] with d = 1 s
  u = 0.999999;
  EXPECT_NEAR(absl::ToDoubleSeconds(backoff.Next()), 2.0, 1e-3);
  u = 0.5;
  EXPECT_EQ(backoff.Next(), absl::Seconds(3));    // d = 4 s
  EXPECT_EQ(backoff.Next(), absl::Seconds(6));    // d = 8 s
  EXPECT_EQ(backoff.Next(), absl::Seconds(7.5));  // capped: d = 10 s
  EXPECT_EQ(backoff.Next(), absl::Seconds(7.5));
  backoff.Reset();
  u = 0;
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));
}

}  // namespace
}  // namespace pathpair::fleet

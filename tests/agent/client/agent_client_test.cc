// The agent client library against a scripted fake agent on 127.0.0.1: every call carries the
// token and a deadline, sessions are renewed on the client's (fake) monotonic clock, a
// cancelled session is stopped (and its stream cut when the agent does not end it), and the ways
// a session can end come back as clear statuses.
#include "agent/client/agent_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/client/lease_renewer.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pathpair/v1/agent.grpc.pb.h"

namespace pathpair::agent {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kToken[] = "client-test-token";

// Waits (in real time, generously) until `condition` holds.
bool WaitUntil(const std::function<bool()>& condition) {
  for (int i = 0; i < 500; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return condition();
}

// How the fake agent's trace sessions end.
enum class TraceScript {
  kFinishAtOnce,     // first message, a final snapshot, OK
  kEndWithoutFinal,  // first message, a partial snapshot, OK
  kRunUntilStopped,  // first message, then a final snapshot once Stop comes
  kIgnoreStop,       // first message, then nothing until the client cuts the stream
};

// A scripted agent that records what the client sent.
class FakeAgent final : public v1::Agent::Service {
 public:
  FakeAgent() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeAgent() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  std::string endpoint() const { return absl::StrCat("127.0.0.1:", port_); }
  void set_script(TraceScript script) { script_ = script; }
  void set_lease_ms(int64_t lease_ms) { lease_ms_ = lease_ms; }
  void forget(const std::string& session_id) {
    absl::MutexLock lock(&mu_);
    unknown_.push_back(session_id);
  }

  std::vector<std::vector<std::string>> renewals() {
    absl::MutexLock lock(&mu_);
    return renewals_;
  }
  std::vector<std::string> stopped() {
    absl::MutexLock lock(&mu_);
    return stopped_;
  }
  // The authorization metadata of every call, and whether each had a deadline.
  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }
  std::vector<bool> deadlines() {
    absl::MutexLock lock(&mu_);
    return deadlines_;
  }

  grpc::Status Info(grpc::ServerContext* context, const v1::InfoRequest*,
                    v1::InfoResponse* response) override {
    Record(*context);
    response->set_version("fake");
    return grpc::Status::OK;
  }
  grpc::Status Reflect(grpc::ServerContext* context, const v1::ReflectRequest* request,
                       v1::ReflectResponse* response) override {
    Record(*context);
    if (request->pairing_id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no pairing id");
    }
    response->set_address("198.51.100.7");
    response->set_port(4242);
    return grpc::Status::OK;
  }
  grpc::Status Renew(grpc::ServerContext* context, const v1::RenewRequest* request,
                     v1::RenewResponse* response) override {
    Record(*context);
    absl::MutexLock lock(&mu_);
    renewals_.emplace_back(request->session_ids().begin(), request->session_ids().end());
    for (const std::string& id : request->session_ids()) {
      if (std::find(unknown_.begin(), unknown_.end(), id) != unknown_.end()) {
        response->add_unknown_session_ids(id);
      }
    }
    return grpc::Status::OK;
  }
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                    v1::StopResponse*) override {
    Record(*context);
    absl::MutexLock lock(&mu_);
    stopped_.insert(stopped_.end(), request->session_ids().begin(), request->session_ids().end());
    return grpc::Status::OK;
  }
  grpc::Status StartTrace(grpc::ServerContext* context, const v1::StartTraceRequest*,
                          grpc::ServerWriter<v1::TraceUpdate>* writer) override {
    Record(*context);
    Grant("trace-1", *writer);
    v1::TraceUpdate snapshot;
    snapshot.mutable_snapshot()->set_rounds(1);
    switch (script_) {
      case TraceScript::kFinishAtOnce:
        snapshot.mutable_snapshot()->set_final(true);
        writer->Write(snapshot);
        return grpc::Status::OK;
      case TraceScript::kEndWithoutFinal:
        writer->Write(snapshot);
        return grpc::Status::OK;
      case TraceScript::kRunUntilStopped:
      case TraceScript::kIgnoreStop:
        writer->Write(snapshot);
        break;
    }
    while (!context->IsCancelled()) {
      if (script_ == TraceScript::kRunUntilStopped && !stopped().empty()) {
        snapshot.mutable_snapshot()->set_rounds(2);
        snapshot.mutable_snapshot()->set_final(true);
        writer->Write(snapshot);
        return grpc::Status::OK;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return grpc::Status::CANCELLED;
  }
  grpc::Status StartOneWay(grpc::ServerContext* context, const v1::StartOneWayRequest*,
                           grpc::ServerWriter<v1::OneWayUpdate>* writer) override {
    Record(*context);
    Grant("oneway-1", *writer);
    v1::OneWayUpdate result;
    result.mutable_result()->mutable_inbound()->set_received(100);
    writer->Write(result);
    return grpc::Status::OK;
  }

 private:
  // The first message of a session stream.
  template <typename Update>
  void Grant(const std::string& session_id, grpc::ServerWriter<Update>& writer) {
    Update first;
    first.set_session_id(session_id);
    first.set_lease_ms(lease_ms_);
    writer.Write(first);
  }
  void Record(const grpc::ServerContext& context) {
    absl::MutexLock lock(&mu_);
    auto it = context.client_metadata().find("authorization");
    authorizations_.push_back(it == context.client_metadata().end()
                                  ? std::string()
                                  : std::string(it->second.data(), it->second.size()));
    deadlines_.push_back(context.deadline() != std::chrono::system_clock::time_point::max());
  }

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<TraceScript> script_{TraceScript::kFinishAtOnce};
  std::atomic<int64_t> lease_ms_{3000};
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> renewals_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> stopped_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> unknown_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> deadlines_ ABSL_GUARDED_BY(mu_);
};

AgentClientOptions Options() {
  AgentClientOptions options;
  options.credentials = grpc::InsecureChannelCredentials();
  options.bearer_token = kToken;
  return options;
}

class AgentClientTest : public ::testing::Test {
 protected:
  // The caller's cancellation, as RunTrace takes it.
  CancelWait Cancel() {
    return
        [this](absl::Duration timeout) { return cancel_.WaitForNotificationWithTimeout(timeout); };
  }

  FakeClock clock_;
  FakeAgent agent_;
  const v1::InfoRequest info_request_;
  absl::Notification cancel_;
};

TEST_F(AgentClientTest, EveryCallCarriesTheTokenAndADeadline) {
  AgentClient client(agent_.endpoint(), Options(), clock_);
  absl::StatusOr<v1::InfoResponse> info = client.Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version(), "fake");
  absl::StatusOr<v1::ReflectResponse> reflected = client.Reflect("pairing-1");
  ASSERT_TRUE(reflected.ok()) << reflected.status();
  EXPECT_EQ(reflected->address(), "198.51.100.7");
  SessionOutcome<v1::TraceResult> trace = client.RunTrace({}, {}, Cancel());
  ASSERT_TRUE(trace.status.ok()) << trace.status;
  EXPECT_THAT(agent_.authorizations(), Each(absl::StrCat("Bearer ", kToken)));
  EXPECT_THAT(agent_.deadlines(), Each(true));
  EXPECT_EQ(agent_.authorizations().size(), 3u);
}

TEST_F(AgentClientTest, AgentErrorsKeepTheirCodeAndMessage) {
  AgentClient client(agent_.endpoint(), Options(), clock_);
  absl::StatusOr<v1::ReflectResponse> reflected = client.Reflect("");
  EXPECT_TRUE(absl::IsInvalidArgument(reflected.status()));
  EXPECT_THAT(reflected.status().message(), HasSubstr("no pairing id"));
}

TEST_F(AgentClientTest, ACompletedTraceReportsItsStartAndSnapshots) {
  AgentClient client(agent_.endpoint(), Options(), clock_);
  int started = 0;
  std::vector<int> rounds;
  SessionOutcome<v1::TraceResult> trace = client.RunTrace(
      {},
      {.on_started = [&] { ++started; },
       .on_result = [&](const v1::TraceResult& r) { rounds.push_back(r.rounds()); }},
      Cancel());
  ASSERT_TRUE(trace.status.ok()) << trace.status;
  EXPECT_EQ(started, 1);
  EXPECT_THAT(rounds, ElementsAre(1));
  ASSERT_TRUE(trace.result.has_value());
  EXPECT_TRUE(trace.result->final());
  EXPECT_THAT(agent_.renewals(), ::testing::IsEmpty());  // the clock never moved
}

TEST_F(AgentClientTest, ATraceWithoutItsFinalSnapshotIsDataLoss) {
  agent_.set_script(TraceScript::kEndWithoutFinal);
  AgentClient client(agent_.endpoint(), Options(), clock_);
  SessionOutcome<v1::TraceResult> trace = client.RunTrace({}, {}, Cancel());
  EXPECT_TRUE(absl::IsDataLoss(trace.status)) << trace.status;
  ASSERT_TRUE(trace.result.has_value());  // the last snapshot is kept
  EXPECT_EQ(trace.result->rounds(), 1);
}

TEST_F(AgentClientTest, AOneWaySessionReturnsItsResult) {
  AgentClient client(agent_.endpoint(), Options(), clock_);
  bool started = false;
  SessionOutcome<v1::AgentOneWayResult> oneway =
      client.RunOneWay({}, {.on_started = [&] { started = true; }}, Cancel());
  ASSERT_TRUE(oneway.status.ok()) << oneway.status;
  EXPECT_TRUE(started);
  ASSERT_TRUE(oneway.result.has_value());
  EXPECT_EQ(oneway.result->inbound().received(), 100);
}

TEST_F(AgentClientTest, ARunningSessionIsRenewedOnTheMonotonicClockAndStoppedOnCancel) {
  agent_.set_script(TraceScript::kRunUntilStopped);
  agent_.set_lease_ms(3000);  // renewed every second of the client's clock
  AgentClient client(agent_.endpoint(), Options(), clock_);
  absl::Notification started;
  SessionOutcome<v1::TraceResult> trace;
  std::thread session(
      [&] { trace = client.RunTrace({}, {.on_started = [&] { started.Notify(); }}, Cancel()); });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(5)));

  clock_.Advance(absl::Milliseconds(999));
  absl::SleepFor(absl::Milliseconds(200));  // several looks at the schedule: not due yet
  EXPECT_THAT(agent_.renewals(), ::testing::IsEmpty());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(WaitUntil([&] { return agent_.renewals().size() == 1; }));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(WaitUntil([&] { return agent_.renewals().size() == 2; }));
  EXPECT_THAT(agent_.renewals(), Each(ElementsAre("trace-1")));

  cancel_.Notify();
  session.join();
  EXPECT_THAT(agent_.stopped(), ElementsAre("trace-1"));
  // The agent sent its final result after Stop; the session still reads as cancelled.
  EXPECT_TRUE(absl::IsCancelled(trace.status)) << trace.status;
  EXPECT_THAT(trace.status.message(), HasSubstr("stopped by the user"));
  ASSERT_TRUE(trace.result.has_value());
  EXPECT_TRUE(trace.result->final());
  EXPECT_EQ(trace.result->rounds(), 2);
}

TEST_F(AgentClientTest, AnAgentThatIgnoresStopHasItsStreamCut) {
  agent_.set_script(TraceScript::kIgnoreStop);
  AgentClient client(agent_.endpoint(), Options(), clock_);
  absl::Notification started;
  SessionOutcome<v1::TraceResult> trace;
  std::thread session(
      [&] { trace = client.RunTrace({}, {.on_started = [&] { started.Notify(); }}, Cancel()); });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(5)));
  cancel_.Notify();
  session.join();  // returns after the grace, not when the agent chooses
  EXPECT_THAT(agent_.stopped(), ElementsAre("trace-1"));
  EXPECT_TRUE(absl::IsCancelled(trace.status)) << trace.status;
  ASSERT_TRUE(trace.result.has_value());  // the snapshot so far
  EXPECT_FALSE(trace.result->final());
}

TEST_F(AgentClientTest, ASessionCancelledBeforeItStartsIsNotStarted) {
  AgentClient client(agent_.endpoint(), Options(), clock_);
  cancel_.Notify();
  SessionOutcome<v1::TraceResult> trace = client.RunTrace({}, {}, Cancel());
  EXPECT_TRUE(absl::IsCancelled(trace.status));
  EXPECT_TRUE(agent_.authorizations().empty());  // no call reached the agent
}

TEST_F(AgentClientTest, ALostAgentIsNamed) {
  AgentClient client("127.0.0.1:1", Options(), clock_);  // nothing listens there
  SessionOutcome<v1::TraceResult> trace = client.RunTrace({}, {}, Cancel());
  EXPECT_TRUE(absl::IsUnavailable(trace.status)) << trace.status;
  EXPECT_THAT(trace.status.message(), HasSubstr("lost the agent 127.0.0.1:1"));
}

TEST_F(AgentClientTest, WithoutCredentialsEveryCallFails) {
  AgentClientOptions options = Options();
  options.credentials = nullptr;
  AgentClient client(agent_.endpoint(), options, clock_);
  EXPECT_FALSE(client.Info().ok());
  EXPECT_TRUE(agent_.authorizations().empty());
}

TEST_F(AgentClientTest, LeaseRenewerRenewsDueSessionsTogetherAndDropsUnknownOnes) {
  auto stub = v1::Agent::NewStub(MakeAgentChannel(agent_.endpoint(), Options()));
  LeaseRenewer renewer(*stub, Options(), clock_);
  renewer.Add("long", absl::Seconds(3));
  renewer.Add("short", absl::Milliseconds(600));
  agent_.forget("short");
  clock_.Advance(absl::Milliseconds(200));
  ASSERT_TRUE(WaitUntil([&] { return agent_.renewals().size() == 1; }));
  EXPECT_THAT(agent_.renewals()[0], ElementsAre("short"));
  EXPECT_TRUE(WaitUntil([&] { return renewer.size() == 1; }));  // the agent forgot "short"
  clock_.Advance(absl::Milliseconds(800));
  ASSERT_TRUE(WaitUntil([&] { return agent_.renewals().size() == 2; }));
  EXPECT_THAT(agent_.renewals()[1], ElementsAre("long"));
  EXPECT_THAT(agent_.authorizations(), Each(absl::StrCat("Bearer ", kToken)));
}

TEST_F(AgentClientTest, ReflectAsyncAnswersOnACallback) {
  // As in the agent, whose callback server holds gRPC's callback queue, something else keeps
  // the queue while the call's channel is released on the queue's own thread.
  auto holder = v1::Agent::NewStub(MakeAgentChannel(agent_.endpoint(), Options()));
  {
    grpc::ClientContext context;
    PrepareContext(context, Options(), absl::Seconds(5));
    v1::InfoResponse info;
    absl::Notification answered;
    holder->async()->Info(&context, &info_request_, &info,
                          [&](grpc::Status) { answered.Notify(); });
    ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  absl::Notification done;
  absl::StatusOr<v1::ReflectResponse> answer;
  absl::StatusOr<CallerIdentity> peer;
  ReflectAsync(
      agent_.endpoint(), Options(), "pairing-1",
      std::chrono::system_clock::now() + std::chrono::seconds(5),
      [&](absl::StatusOr<v1::ReflectResponse> response, absl::StatusOr<CallerIdentity> who) {
        answer = std::move(response);
        peer = std::move(who);
        done.Notify();
      });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->address(), "198.51.100.7");
  // Plaintext: the peer proved nothing about itself.
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_FALSE(peer->has_certificate);
  EXPECT_THAT(agent_.authorizations(), Each(absl::StrCat("Bearer ", kToken)));
  EXPECT_THAT(agent_.deadlines(), ElementsAre(true, true));
}

}  // namespace
}  // namespace pathpair::agent

// The agent's gRPC service end to end over a real loopback connection (127.0.0.1, port 0),
// with fake runners for traces and one-way measurements and a fake clock for leases and
// consent expiry.
#include "agent/service/agent_service.h"

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/client/channel.h"
#include "agent/client/health_check.h"
#include "agent/client/lease_renewer.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/service/agent_server.h"
#include "agent/service/consent.h"
#include "agent/service/host_info.h"
#include "common/log/log.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "pathpair/v1/agent.grpc.pb.h"
#include "tests/agent/service/fake_runners.h"

namespace pathpair::agent {
namespace {

using ::testing::HasSubstr;

constexpr char kPairing[] = "pairing-0123456789";

// One agent: service, fake runners, consent and a server on 127.0.0.1.
struct TestAgent {
  explicit TestAgent(FakeClock& clock, AgentServiceConfig config = {}, bool with_oneway = true)
      : consent(clock, absl::Minutes(10)),
        service(config, runner, with_oneway ? &oneway : nullptr, consent, clock) {
    absl::StatusOr<std::unique_ptr<grpc::Server>> built =
        BuildAgentServer("127.0.0.1:0", grpc::InsecureServerCredentials(), &service, &port);
    EXPECT_TRUE(built.ok()) << built.status();
    server = *std::move(built);
    channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub = v1::Agent::NewStub(channel);
  }
  ~TestAgent() {
    service.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  FakeTraceRunner runner;
  FakeOneWayRunner oneway;
  ConsentPolicy consent;
  AgentService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Agent::Stub> stub;
};

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout = absl::Seconds(10)) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
}

AgentServiceConfig SmallLimits() {
  AgentServiceConfig config;
  config.max_concurrent_traces = 2;
  config.max_probe_rate_pps = 100;
  config.max_packet_size = 1500;
  return config;
}

v1::StartTraceRequest TraceTo(const std::string& target) {
  v1::StartTraceRequest request;
  request.mutable_options()->set_target(target);
  request.mutable_options()->set_max_ttl(10);
  request.mutable_options()->set_interval_us(1000000);
  return request;
}

class AgentServiceTest : public ::testing::Test {
 protected:
  FakeClock clock_;
};

TEST_F(AgentServiceTest, InfoReportsVersionCapabilitiesLimitsAndClock) {
  TestAgent agent(clock_, SmallLimits());
  grpc::ClientContext context;
  SetDeadline(context);
  v1::InfoResponse info;
  grpc::Status status = agent.stub->Info(&context, v1::InfoRequest(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.version(), "0.1.0");
  EXPECT_EQ(info.capabilities().socket_mode(), v1::Capabilities::SOCKET_MODE_RAW);
  EXPECT_TRUE(info.capabilities().oneway());
  EXPECT_EQ(info.oneway_port(), 8621);
  EXPECT_EQ(info.limits().max_concurrent_traces(), 2);
  EXPECT_EQ(info.clock().source(), "adjtimex");
  EXPECT_EQ(info.clock().unix_time_us(), absl::ToUnixMicros(clock_.WallNow()));
  bool has_loopback = false;
  for (const auto& a : info.addresses()) has_loopback |= a.address() == "127.0.0.1";
  EXPECT_TRUE(has_loopback);
}

TEST_F(AgentServiceTest, InfoReportsTheBootIdAndTheTestClockOverrides) {
  {
    TestAgent agent(clock_);
    grpc::ClientContext context;
    SetDeadline(context);
    v1::InfoResponse info;
    ASSERT_TRUE(agent.stub->Info(&context, v1::InfoRequest(), &info).ok());
    EXPECT_EQ(info.clock().boot_id(), ReadBootId());  // the kernel's: one per running kernel
    EXPECT_EQ(info.clock().boot_id().size(), 36u);
  }
  AgentServiceConfig config;
  config.test_clock.offset = absl::Milliseconds(1500);
  config.test_clock.synchronized = true;
  config.test_clock.estimated_error_us = 250;
  config.test_clock.boot_id = "fake-host-a";
  TestAgent agent(clock_, config);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::InfoResponse info;
  ASSERT_TRUE(agent.stub->Info(&context, v1::InfoRequest(), &info).ok());
  EXPECT_EQ(info.clock().boot_id(), "fake-host-a");
  EXPECT_TRUE(info.clock().synchronized());
  EXPECT_EQ(info.clock().estimated_error_us(), 250);
  EXPECT_EQ(info.clock().unix_time_us(),
            absl::ToUnixMicros(clock_.WallNow() + absl::Milliseconds(1500)));
  EXPECT_EQ(info.clock().source(), "adjtimex with test overrides");
}

TEST(HostInfoTest, BootIdIsAUuidOrNothing) {
  const std::string dir = ::testing::TempDir();
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + name) << text;
    return dir + name;
  };
  EXPECT_EQ(ReadBootId(write("boot_id_ok", "0f5c1b2e-5a8e-4c1e-9f00-1a2b3c4d5e6f\n")),
            "0f5c1b2e-5a8e-4c1e-9f00-1a2b3c4d5e6f");
  EXPECT_EQ(ReadBootId(write("boot_id_short", "0f5c1b2e\n")), "");
  EXPECT_EQ(ReadBootId(write("boot_id_junk", "0f5c1b2e-5a8e-4c1e-9f00-1a2b3c4d5e6g\n")), "");
  EXPECT_EQ(ReadBootId(write("boot_id_empty", "")), "");
  EXPECT_EQ(ReadBootId(dir + "no_such_boot_id"), "");
}

TEST_F(AgentServiceTest, ReflectReturnsTheCallersAddressAndPort) {
  TestAgent agent(clock_);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReflectResponse response;
  grpc::Status status = agent.stub->Reflect(&context, v1::ReflectRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.address(), "127.0.0.1");
  EXPECT_GT(response.port(), 0);
  EXPECT_NE(response.port(), agent.port);
  EXPECT_EQ(response.consent_expires_unix_us(), 0);  // no pairing, no consent
}

TEST_F(AgentServiceTest, CallsWithoutDeadlineAreRejected) {
  TestAgent agent(clock_);
  grpc::ClientContext context;  // no deadline
  v1::InfoResponse info;
  grpc::Status status = agent.stub->Info(&context, v1::InfoRequest(), &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("deadline"));

  grpc::ClientContext trace_context;
  std::unique_ptr<grpc::ClientReader<v1::TraceUpdate>> reader =
      agent.stub->StartTrace(&trace_context, TraceTo("127.0.0.1"));
  v1::TraceUpdate update;
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(agent.runner.started(), 0u);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer FromString(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

TEST_F(AgentServiceTest, HealthServiceReportsServing) {
  TestAgent agent(clock_);
  grpc::GenericStub stub(agent.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::ByteBuffer request = FromString("");  // HealthCheckRequest{service: ""}
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(ToString(response)));
  ASSERT_EQ(fields.field_count(), 1);
  EXPECT_EQ(fields.field(0).number(), 1);   // HealthCheckResponse.status
  EXPECT_EQ(fields.field(0).varint(), 1u);  // SERVING
}

TEST_F(AgentServiceTest, HealthCheckClientSeesServingThenNotServing) {
  TestAgent agent(clock_);
  AgentClientOptions options;
  options.credentials = grpc::InsecureChannelCredentials();
  const std::string endpoint = absl::StrCat("127.0.0.1:", agent.port);
  EXPECT_TRUE(CheckAgentHealth(endpoint, options).ok());
  agent.server->GetHealthCheckService()->SetServingStatus(false);
  absl::Status stopped = CheckAgentHealth(endpoint, options);
  EXPECT_EQ(stopped.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(stopped.message(), HasSubstr("not serving (health status 2)"));
}

TEST_F(AgentServiceTest, ReflectionListsTheAgentService) {
  TestAgent agent(clock_);
  grpc::GenericStub stub(agent.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto wait = [&](intptr_t expected) {
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_EQ(reinterpret_cast<intptr_t>(tag), expected);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  wait(1);
  ASSERT_TRUE(ok);
  // ServerReflectionRequest{list_services (7): "*"}
  call->Write(FromString(std::string("\x3a\x01*", 3)), reinterpret_cast<void*>(2));
  wait(2);
  ASSERT_TRUE(ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  wait(3);
  ASSERT_TRUE(ok);
  call->WritesDone(reinterpret_cast<void*>(4));
  wait(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  wait(5);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // ServerReflectionResponse.list_services_response (6) { service (1) { name (1) } }
  google::protobuf::UnknownFieldSet response;
  ASSERT_TRUE(response.ParseFromString(ToString(reply)));
  std::vector<std::string> names;
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    ASSERT_TRUE(list.ParseFromString(response.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      ASSERT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      names.push_back(service.field(0).length_delimited());
    }
  }
  EXPECT_THAT(names, ::testing::Contains("pathpair.v1.Agent"));
  EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));
}

// Reads every update of a stream; returns the final status.
grpc::Status ReadAll(grpc::ClientReader<v1::TraceUpdate>& reader,
                     std::vector<v1::TraceUpdate>* updates) {
  v1::TraceUpdate update;
  while (reader.Read(&update)) updates->push_back(update);
  return reader.Finish();
}

TEST_F(AgentServiceTest, TargetWithoutConsentIsRefusedWithTheReason) {
  TestAgent agent(clock_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo("203.0.113.5"));
  std::vector<v1::TraceUpdate> updates;
  grpc::Status status = ReadAll(*reader, &updates);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("no consent to probe 203.0.113.5"));
  EXPECT_THAT(status.error_message(), HasSubstr("--allow"));
  EXPECT_TRUE(updates.empty());
  EXPECT_EQ(agent.runner.started(), 0u);
}

TEST_F(AgentServiceTest, AllowListedTargetStreamsSnapshotsThenTheFinalResult) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo("203.0.113.5"));
  v1::TraceUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_FALSE(first.session_id().empty());
  EXPECT_EQ(first.lease_ms(), 20000);
  EXPECT_FALSE(first.has_snapshot());
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  EXPECT_EQ(agent.runner.Get(0).target.ToString(), "203.0.113.5");

  agent.runner.Snapshot(0, 1);
  v1::TraceUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.snapshot().rounds(), 1);
  EXPECT_FALSE(update.snapshot().final());
  agent.runner.Finish(0, 10);
  std::vector<v1::TraceUpdate> rest;
  grpc::Status status = ReadAll(*reader, &rest);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(rest.empty());
  EXPECT_TRUE(rest.back().snapshot().final());
  EXPECT_EQ(rest.back().snapshot().rounds(), 10);
  EXPECT_EQ(agent.service.sessions().Count(SessionKind::kTrace), 0);
}

TEST_F(AgentServiceTest, PeerThatAnsweredReflectMayBeProbedInThatPairingOnly) {
  TestAgent agent(clock_);
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ReflectRequest request;
    request.set_pairing_id(kPairing);
    v1::ReflectResponse response;
    ASSERT_TRUE(agent.stub->Reflect(&context, request, &response).ok());
    EXPECT_GT(response.consent_expires_unix_us(), absl::ToUnixMicros(clock_.WallNow()));
  }
  auto trace = [&](const std::string& pairing) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::StartTraceRequest request = TraceTo("127.0.0.1");
    request.set_pairing_id(pairing);
    auto reader = agent.stub->StartTrace(&context, request);
    v1::TraceUpdate first;
    if (reader->Read(&first)) {
      context.TryCancel();
      while (reader->Read(&first)) {
      }
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  };
  EXPECT_TRUE(trace(kPairing).ok());
  grpc::Status other = trace("another-pairing-id");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(), HasSubstr("has answered a Reflect exchange"));
  clock_.Advance(absl::Minutes(11));
  grpc::Status expired = trace(kPairing);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired"));
}

TEST_F(AgentServiceTest, LimitsAreResourceExhaustedWithTheReason) {
  TestAgent agent(clock_, SmallLimits());
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  auto refusal = [&](const v1::StartTraceRequest& request) {
    grpc::ClientContext context;
    SetDeadline(context);
    auto reader = agent.stub->StartTrace(&context, request);
    std::vector<v1::TraceUpdate> updates;
    return ReadAll(*reader, &updates);
  };
  v1::StartTraceRequest too_big = TraceTo("203.0.113.5");
  too_big.mutable_options()->set_packet_size(9000);
  grpc::Status status = refusal(too_big);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("packet size 9000"));

  v1::StartTraceRequest too_fast = TraceTo("203.0.113.5");
  too_fast.mutable_options()->set_interval_us(10000);  // 10 TTLs every 10 ms = 1000/s
  status = refusal(too_fast);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("probe rate"));

  // Two traces of 10 probes/s run; the third exceeds --max-traces 2.
  grpc::ClientContext c1, c2;
  SetDeadline(c1);
  SetDeadline(c2);
  // One after the other, so that the runner's trace 0 is r1's.
  auto r1 = agent.stub->StartTrace(&c1, TraceTo("203.0.113.5"));
  v1::TraceUpdate first;
  ASSERT_TRUE(r1->Read(&first));
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  auto r2 = agent.stub->StartTrace(&c2, TraceTo("203.0.113.6"));
  ASSERT_TRUE(r2->Read(&first));
  status = refusal(TraceTo("203.0.113.7"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("too many concurrent traces"));

  // A finished trace frees its slot.
  ASSERT_TRUE(agent.runner.WaitForStarted(2));
  agent.runner.Finish(0);
  std::vector<v1::TraceUpdate> updates;
  EXPECT_TRUE(ReadAll(*r1, &updates).ok());
  grpc::ClientContext c3;
  SetDeadline(c3);
  auto r3 = agent.stub->StartTrace(&c3, TraceTo("203.0.113.7"));
  EXPECT_TRUE(r3->Read(&first));
  c2.TryCancel();
  c3.TryCancel();
}

// The value of one series in the process-wide metrics text (0 when absent).
double MetricValue(const std::string& series) {
  const std::string text = metrics::Global().Render();
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST_F(AgentServiceTest, MetricsCountCallsByMethodAndCodeAndLimitRefusals) {
  TestAgent agent(clock_, SmallLimits());
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  const std::string info_ok =
      "pathpair_agent_rpcs_total{method=\"pathpair.v1.Agent/Info\",code=\"OK\"}";
  const std::string trace_refused =
      "pathpair_agent_rpcs_total{method=\"pathpair.v1.Agent/StartTrace\","
      "code=\"RESOURCE_EXHAUSTED\"}";
  const std::string packet_refusals =
      "pathpair_agent_limit_refusals_total{reason=\"max_packet_size\"}";
  const double info_before = MetricValue(info_ok);
  const double refused_before = MetricValue(trace_refused);
  const double refusals_before = MetricValue(packet_refusals);

  grpc::ClientContext info_context;
  SetDeadline(info_context);
  v1::InfoResponse info;
  ASSERT_TRUE(agent.stub->Info(&info_context, v1::InfoRequest(), &info).ok());
  grpc::ClientContext trace_context;
  SetDeadline(trace_context);
  v1::StartTraceRequest too_big = TraceTo("203.0.113.5");
  too_big.mutable_options()->set_packet_size(9000);
  auto reader = agent.stub->StartTrace(&trace_context, too_big);
  std::vector<v1::TraceUpdate> updates;
  ASSERT_EQ(ReadAll(*reader, &updates).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The status is counted as it leaves the server, which may be just after the client sees it.
  for (int i = 0; i < 100 && MetricValue(trace_refused) == refused_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(MetricValue(info_ok), info_before + 1);
  EXPECT_EQ(MetricValue(trace_refused), refused_before + 1);
  EXPECT_EQ(MetricValue(packet_refusals), refusals_before + 1);
}

TEST_F(AgentServiceTest, CancellingTheStreamCancelsTheTrace) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo("127.0.0.1"));
  v1::TraceUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  context.TryCancel();
  EXPECT_TRUE(agent.runner.WaitForCancelled(0));
  while (reader->Read(&first)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(AgentServiceTest, DeadlineStopsTheTrace) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  grpc::ClientContext context;
  SetDeadline(context, absl::Milliseconds(300));
  auto reader = agent.stub->StartTrace(&context, TraceTo("127.0.0.1"));
  v1::TraceUpdate update;
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(agent.runner.WaitForCancelled(0));
}

TEST_F(AgentServiceTest, LeaseExpiryStopsATraceWhoseControllerStoppedRenewing) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  grpc::ClientContext context;
  SetDeadline(context);
  v1::StartTraceRequest request = TraceTo("127.0.0.1");
  request.set_lease_ms(2000);
  auto reader = agent.stub->StartTrace(&context, request);
  v1::TraceUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.lease_ms(), 2000);
  ASSERT_TRUE(agent.runner.WaitForStarted(1));

  // Renewed in time: still running.
  clock_.Advance(absl::Milliseconds(1500));
  {
    grpc::ClientContext renew_context;
    SetDeadline(renew_context);
    v1::RenewRequest renew;
    renew.add_session_ids(first.session_id());
    renew.add_session_ids("no-such-session");
    v1::RenewResponse response;
    ASSERT_TRUE(agent.stub->Renew(&renew_context, renew, &response).ok());
    EXPECT_THAT(response.unknown_session_ids(), ::testing::ElementsAre("no-such-session"));
  }
  clock_.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(agent.service.sessions().ExpireLeases(), 0);
  EXPECT_FALSE(agent.runner.Get(0).cancelled);

  // No renewal: the lease runs out and the trace stops.
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_EQ(agent.service.sessions().ExpireLeases(), 1);
  EXPECT_TRUE(agent.runner.Get(0).cancelled);
  std::vector<v1::TraceUpdate> rest;
  grpc::Status status = ReadAll(*reader, &rest);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("lease expired"));
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().snapshot().error(), "cancelled");
}

TEST_F(AgentServiceTest, LeasesAreClampedToTheAgentsRange) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  for (auto [asked, granted] : {std::pair<int64_t, int64_t>{1, 1000}, {10'000'000, 300'000}}) {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::StartTraceRequest request = TraceTo("127.0.0.1");
    request.set_lease_ms(asked);
    auto reader = agent.stub->StartTrace(&context, request);
    v1::TraceUpdate first;
    ASSERT_TRUE(reader->Read(&first));
    EXPECT_EQ(first.lease_ms(), granted);
    context.TryCancel();
    while (reader->Read(&first)) {
    }
    reader->Finish();
  }
}

TEST_F(AgentServiceTest, StopRpcEndsTheTraceWithItsFinalResult) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo("127.0.0.1"));
  v1::TraceUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  grpc::ClientContext stop_context;
  SetDeadline(stop_context);
  v1::StopRequest stop;
  stop.add_session_ids(first.session_id());
  v1::StopResponse stopped;
  ASSERT_TRUE(agent.stub->Stop(&stop_context, stop, &stopped).ok());
  EXPECT_EQ(stopped.unknown_session_ids_size(), 0);
  std::vector<v1::TraceUpdate> rest;
  EXPECT_TRUE(ReadAll(*reader, &rest).ok());
  ASSERT_FALSE(rest.empty());
  EXPECT_TRUE(rest.back().snapshot().final());
  EXPECT_TRUE(agent.runner.Get(0).cancelled);
  // What the runner measured until the stop, marked as such.
  EXPECT_TRUE(rest.back().snapshot().interrupted());
  EXPECT_TRUE(rest.back().snapshot().incomplete());
}

// Issue 15 / issue 11: one log line per session and per refused call, with key=value fields.
TEST_F(AgentServiceTest, LogsEachTraceAndEachRefusedCall) {
  std::vector<std::string> lines;
  absl::Mutex lines_mu;
  auto logged = [&](absl::string_view event) {
    absl::MutexLock lock(&lines_mu);
    std::vector<std::string> found;
    for (const std::string& line : lines) {
      if (absl::StrContains(line, absl::StrCat(" event=", event, " "))) found.push_back(line);
    }
    return found;
  };
  log::SetSinkForTesting([&](absl::string_view line) {
    absl::MutexLock lock(&lines_mu);
    lines.emplace_back(line);
  });
  {
    AgentServiceConfig config;
    config.bearer_token = "secret";
    TestAgent agent(clock_, config);
    // A bad token.
    {
      grpc::ClientContext context;
      SetDeadline(context);
      context.AddMetadata("authorization", "Bearer wrong");
      v1::InfoResponse info;
      EXPECT_FALSE(agent.stub->Info(&context, v1::InfoRequest(), &info).ok());
    }
    // No consent for the target.
    {
      grpc::ClientContext context;
      SetDeadline(context);
      context.AddMetadata("authorization", "Bearer secret");
      auto reader = agent.stub->StartTrace(&context, TraceTo("203.0.113.5"));
      v1::TraceUpdate update;
      while (reader->Read(&update)) {
      }
      EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
    }
    // A trace that runs and ends.
    ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
    grpc::ClientContext context;
    SetDeadline(context);
    context.AddMetadata("authorization", "Bearer secret");
    auto reader = agent.stub->StartTrace(&context, TraceTo("127.0.0.1"));
    v1::TraceUpdate update;
    ASSERT_TRUE(reader->Read(&update));
    ASSERT_TRUE(agent.runner.WaitForStarted(1));
    agent.runner.Finish(0, 7);
    while (reader->Read(&update)) {
    }
    EXPECT_TRUE(reader->Finish().ok());
  }
  log::SetSinkForTesting(nullptr);
  const std::vector<std::string> refused = logged("call_refused");
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_THAT(refused[0], HasSubstr("level=warning"));
  EXPECT_THAT(refused[0], HasSubstr("rpc=/pathpair.v1.Agent/Info"));
  EXPECT_THAT(refused[0], HasSubstr("code=UNAUTHENTICATED reason=\"bad bearer token\""));
  EXPECT_THAT(refused[0], HasSubstr("peer=ipv4:127.0.0.1:"));
  EXPECT_THAT(refused[1], HasSubstr("rpc=/pathpair.v1.Agent/StartTrace"));
  EXPECT_THAT(refused[1], HasSubstr("code=PERMISSION_DENIED"));
  const std::vector<std::string> started = logged("trace_start");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_THAT(started[0], HasSubstr("level=info"));
  EXPECT_THAT(started[0], HasSubstr("target=127.0.0.1"));
  const std::vector<std::string> ended = logged("trace_end");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_THAT(ended[0], HasSubstr("rounds=7"));
}

TEST_F(AgentServiceTest, StopRpcEndsTheOneWayWithWhatArrivedSoFar) {
  // Issue 15: Ctrl-C on `pathpair test` used to throw the one-way packets away.
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("198.51.100.0/24").ok());
  v1::StartOneWayRequest request;
  request.set_peer_address("198.51.100.9");
  request.set_peer_port(8621);
  request.set_count(1000);
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartOneWay(&context, request);
  v1::OneWayUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_TRUE(agent.oneway.WaitForStarted(1));
  agent.oneway.Progress(0, 600, 480);
  grpc::ClientContext stop_context;
  SetDeadline(stop_context);
  v1::StopRequest stop;
  stop.add_session_ids(first.session_id());
  v1::StopResponse stopped;
  ASSERT_TRUE(agent.stub->Stop(&stop_context, stop, &stopped).ok());
  v1::OneWayUpdate last;
  ASSERT_TRUE(reader->Read(&last));
  reader->Finish();
  EXPECT_TRUE(last.result().final());
  EXPECT_TRUE(last.result().interrupted());
  EXPECT_EQ(last.result().inbound().sent(), 600);
  EXPECT_EQ(last.result().inbound().received(), 480);
}

TEST_F(AgentServiceTest, RunnerErrorsReachTheCaller) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  agent.runner.set_start_error(absl::FailedPreconditionError("no CAP_NET_RAW"));
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo("127.0.0.1"));
  std::vector<v1::TraceUpdate> updates;
  grpc::Status status = ReadAll(*reader, &updates);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "no CAP_NET_RAW");
  EXPECT_EQ(agent.service.sessions().Count(SessionKind::kTrace), 0);
}

TEST_F(AgentServiceTest, BearerTokenIsCheckedOnEveryCall) {
  AgentServiceConfig config;
  config.bearer_token = "s3cret-token";
  TestAgent agent(clock_, config);
  auto info = [&](const char* authorization) {
    grpc::ClientContext context;
    SetDeadline(context);
    if (authorization != nullptr) context.AddMetadata("authorization", authorization);
    v1::InfoResponse response;
    return agent.stub->Info(&context, v1::InfoRequest(), &response);
  };
  EXPECT_EQ(info(nullptr).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(info("Bearer wrong-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(info("s3cret-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(info("Bearer s3cret-token").ok());
}

TEST_F(AgentServiceTest, ReflectPeerGivesBothAgentsConsentAndTheReverseTarget) {
  TestAgent client_agent(clock_);
  TestAgent server_agent(clock_);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReflectPeerRequest request;
  request.set_peer(absl::StrCat("127.0.0.1:", server_agent.port));
  request.set_pairing_id(kPairing);
  v1::ReflectPeerResponse response;
  grpc::Status status = client_agent.stub->ReflectPeer(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.peer_address(), "127.0.0.1");
  EXPECT_EQ(response.reflected_address(), "127.0.0.1");
  const IpAddress loopback = *IpAddress::Parse("127.0.0.1");
  EXPECT_TRUE(client_agent.consent.Check(loopback, kPairing).ok());
  EXPECT_TRUE(server_agent.consent.Check(loopback, kPairing).ok());
  EXPECT_FALSE(server_agent.consent.Check(loopback, "other-pairing").ok());
}

TEST_F(AgentServiceTest, ReflectPeerReportsAPeerThatDoesNotAnswer) {
  TestAgent agent(clock_);
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  v1::ReflectPeerRequest request;
  request.set_peer("127.0.0.1:1");  // nothing listens there
  request.set_pairing_id(kPairing);
  v1::ReflectPeerResponse response;
  grpc::Status status = agent.stub->ReflectPeer(&context, request, &response);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("did not answer Reflect"));
  EXPECT_FALSE(agent.consent.Check(*IpAddress::Parse("127.0.0.1"), kPairing).ok());
}

TEST_F(AgentServiceTest, OneWayNeedsConsentAndStreamsItsResult) {
  TestAgent agent(clock_);
  v1::StartOneWayRequest request;
  request.set_peer_address("198.51.100.9");
  request.set_peer_port(8621);
  request.set_count(100);
  request.set_interval_us(10000);
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto reader = agent.stub->StartOneWay(&context, request);
    v1::OneWayUpdate update;
    EXPECT_FALSE(reader->Read(&update));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // An allow-listed address is open to traces only: one-way traffic goes only to a peer agent.
  ASSERT_TRUE(agent.consent.AllowCidr("198.51.100.0/24").ok());
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto reader = agent.stub->StartOneWay(&context, request);
    v1::OneWayUpdate update;
    EXPECT_FALSE(reader->Read(&update));
    grpc::Status refused = reader->Finish();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(refused.error_message(), HasSubstr("--allow opens traces only"));
  }
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.9")).ok());
  request.set_pairing_id(kPairing);
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartOneWay(&context, request);
  v1::OneWayUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_FALSE(update.session_id().empty());
  ASSERT_TRUE(agent.oneway.WaitForStarted(1));
  EXPECT_EQ(agent.oneway.peer(0).ToString(), "198.51.100.9");
  agent.oneway.Finish(0, 100, 80);
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_TRUE(update.result().final());
  EXPECT_EQ(update.result().inbound().received(), 80);
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(AgentServiceTest, OneWayIsUnimplementedWithoutAnEndpoint) {
  TestAgent agent(clock_, AgentServiceConfig(), /*with_oneway=*/false);
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartOneWay(&context, v1::StartOneWayRequest());
  v1::OneWayUpdate update;
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(AgentServiceTest, OversizedRequestsAreRejected) {
  TestAgent agent(clock_);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RenewRequest renew;
  for (int i = 0; i < 5000; ++i) renew.add_session_ids(std::string(32, 'x'));
  v1::RenewResponse response;
  EXPECT_EQ(agent.stub->Renew(&context, renew, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(AgentServiceTest, ClientHelpersCarryTheTokenAndRenewLeases) {
  AgentServiceConfig config;
  config.bearer_token = "client-helper-token";
  TestAgent agent(clock_, config);
  ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
  AgentClientOptions options;
  options.credentials = grpc::InsecureChannelCredentials();
  options.bearer_token = "client-helper-token";
  auto stub = v1::Agent::NewStub(MakeAgentChannel(absl::StrCat("127.0.0.1:", agent.port), options));

  grpc::ClientContext context;
  PrepareContext(context, options, absl::Seconds(10));
  v1::StartTraceRequest request = TraceTo("127.0.0.1");
  request.set_lease_ms(1000);
  auto reader = stub->StartTrace(&context, request);
  v1::TraceUpdate first;
  ASSERT_TRUE(reader->Read(&first));
  {
    LeaseRenewer renewer(*stub, options);
    renewer.Add(first.session_id(), absl::Milliseconds(first.lease_ms()));
    // Each step moves the agent's clock 0.9 s, past the 1 s lease after two steps unless the
    // renewer (every 1/3 s of real time) has renewed in between.
    for (int i = 0; i < 3; ++i) {
      clock_.Advance(absl::Milliseconds(900));
      absl::SleepFor(absl::Milliseconds(500));
      EXPECT_EQ(agent.service.sessions().ExpireLeases(), 0) << "step " << i;
    }
  }
  // The renewer is gone: the lease lapses.
  clock_.Advance(absl::Milliseconds(1100));
  EXPECT_EQ(agent.service.sessions().ExpireLeases(), 1);
  std::vector<v1::TraceUpdate> rest;
  EXPECT_EQ(ReadAll(*reader, &rest).error_code(), grpc::StatusCode::ABORTED);
}

v1::ResolveAliasesRequest AliasesOf(const std::vector<std::string>& addresses,
                                    const std::string& pairing = kPairing) {
  v1::ResolveAliasesRequest request;
  request.set_pairing_id(pairing);
  for (const std::string& address : addresses) request.add_addresses(address);
  request.set_max_ttl(6);
  return request;
}

grpc::Status CallResolveAliases(TestAgent& agent, const v1::ResolveAliasesRequest& request,
                                v1::ResolveAliasesResponse* response,
                                absl::Duration timeout = absl::Seconds(10)) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  return agent.stub->ResolveAliases(&context, request, response);
}

TEST_F(AgentServiceTest, ResolveAliasesNeedsALivePairing) {
  TestAgent agent(clock_);
  v1::ResolveAliasesResponse response;
  grpc::Status status = CallResolveAliases(agent, AliasesOf({"203.0.113.5"}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("no live pairing"));
  status = CallResolveAliases(agent, AliasesOf({"203.0.113.5"}, "short"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A pairing whose consent lapsed is no pairing.
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.7")).ok());
  clock_.Advance(absl::Minutes(11));
  status = CallResolveAliases(agent, AliasesOf({"203.0.113.5"}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext no_deadline;
  status = agent.stub->ResolveAliases(&no_deadline, AliasesOf({"203.0.113.5"}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(agent.runner.started(), 0u);
}

TEST_F(AgentServiceTest, ResolveAliasesRefusesBadAddressesAndTooMany) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.7")).ok());
  v1::ResolveAliasesResponse response;
  for (const char* bad : {"224.0.0.1", "255.255.255.255", "ff02::1", "not-an-address"}) {
    grpc::Status status = CallResolveAliases(agent, AliasesOf({"203.0.113.5", bad}), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr(bad));
  }
  std::vector<std::string> many;
  for (int i = 1; i <= 65; ++i) many.push_back(absl::StrCat("203.0.113.", i));
  grpc::Status status = CallResolveAliases(agent, AliasesOf(many), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 64"));
  EXPECT_EQ(agent.runner.started(), 0u);
}

TEST_F(AgentServiceTest, ResolveAliasesProbesThroughTheTraceRunner) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.7")).ok());
  // The router owning 203.0.113.5 answers port unreachable from 203.0.113.6, two hops away.
  agent.runner.set_script([](const v1::ProbeOptions& options,
                             const IpAddress& target) -> std::optional<v1::TraceResult> {
    v1::TraceResult result;
    for (int ttl = 1; ttl <= 2; ++ttl) {
      v1::HopResult* hop = result.add_hops();
      hop->set_ttl(ttl);
      hop->add_responders()->set_address(ttl == 1 ? "198.51.100.1" : "203.0.113.6");
    }
    if (target.ToString() == "203.0.113.5" && options.protocol() == v1::PROTOCOL_UDP) {
      result.mutable_hops(1)->set_termination(v1::HOP_TERMINATION_UNREACHABLE);
      result.mutable_hops(1)->set_unreachable_code(3);
    }
    return result;
  });
  v1::ResolveAliasesResponse response;
  grpc::Status status =
      CallResolveAliases(agent, AliasesOf({"203.0.113.5", "203.0.113.9"}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.resolutions_size(), 2);
  EXPECT_EQ(response.resolutions(0).address(), "203.0.113.5");
  EXPECT_EQ(response.resolutions(0).reply_source(), "203.0.113.6");
  EXPECT_EQ(response.resolutions(0).distance(), 2);
  EXPECT_EQ(response.resolutions(1).method(), v1::ALIAS_METHOD_NONE);
  // Two UDP traces to the unused port within the asked TTLs, then ICMP for the silent one.
  ASSERT_EQ(agent.runner.started(), 3u);
  EXPECT_EQ(agent.runner.Get(0).options.protocol(), v1::PROTOCOL_UDP);
  EXPECT_EQ(agent.runner.Get(0).options.port(), kAliasUdpPort);
  EXPECT_EQ(agent.runner.Get(0).options.max_ttl(), 6);
  EXPECT_EQ(agent.runner.Get(2).options.protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(agent.runner.Get(2).target.ToString(), "203.0.113.9");
  EXPECT_EQ(agent.service.sessions().Count(SessionKind::kTrace), 0);
}

TEST_F(AgentServiceTest, ResolveAliasesRunsOneAtATimeAndAnswersByItsDeadline) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.7")).ok());
  // The fake's traces never end by themselves: the first call holds until its deadline.
  v1::ResolveAliasesResponse first_response;
  grpc::Status first_status;
  const absl::Time start = absl::Now();
  std::thread first([&] {
    first_status =
        CallResolveAliases(agent, AliasesOf({"203.0.113.5"}), &first_response, absl::Seconds(2));
  });
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  v1::ResolveAliasesResponse second_response;
  grpc::Status second = CallResolveAliases(agent, AliasesOf({"203.0.113.9"}), &second_response);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(), HasSubstr("already running"));
  first.join();
  ASSERT_TRUE(first_status.ok()) << first_status.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));  // answered before the caller gave up
  ASSERT_EQ(first_response.resolutions_size(), 1);
  EXPECT_EQ(first_response.resolutions(0).method(), v1::ALIAS_METHOD_NONE);
  EXPECT_TRUE(agent.runner.Get(0).cancelled);
  // Once it answered, the next call runs.
  agent.runner.set_script([](const v1::ProbeOptions&, const IpAddress&) {
    return std::optional<v1::TraceResult>(v1::TraceResult());
  });
  EXPECT_TRUE(CallResolveAliases(agent, AliasesOf({"203.0.113.9"}), &second_response).ok());
}

TEST_F(AgentServiceTest, ResolveAliasesStopsProbingWhenTheCallerGoesAway) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.GrantPeer(kPairing, *IpAddress::Parse("198.51.100.7")).ok());
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(30));
  v1::ResolveAliasesResponse response;
  grpc::Status status;
  std::thread call([&] {
    status = agent.stub->ResolveAliases(&context, AliasesOf({"203.0.113.5"}), &response);
  });
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  context.TryCancel();
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(agent.runner.WaitForCancelled(0, absl::Seconds(5)));
}

// --- Hardening (issue 10): limits under abuse, consent, roles by token, uniform errors. ---

// Reads a stream that is expected to be refused before its first update.
template <typename Update>
grpc::Status Refused(std::unique_ptr<grpc::ClientReader<Update>> reader) {
  Update update;
  EXPECT_FALSE(reader->Read(&update));
  return reader->Finish();
}

grpc::Status StartTraceStatus(TestAgent& agent, const v1::StartTraceRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  return Refused(agent.stub->StartTrace(&context, request));
}

// Starts a trace to `target` that keeps running (until `context` is cancelled).
std::unique_ptr<grpc::ClientReader<v1::TraceUpdate>> StartHeldTrace(TestAgent& agent,
                                                                    grpc::ClientContext& context,
                                                                    const std::string& target) {
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, TraceTo(target));
  v1::TraceUpdate first;
  EXPECT_TRUE(reader->Read(&first)) << target;
  return reader;
}

TEST_F(AgentServiceTest, ATraceSlotIsNeverReleasedTwice) {
  AgentServiceConfig config = SmallLimits();
  config.max_concurrent_traces = 1;
  TestAgent agent(clock_, config);
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  // Start fails (as when the prober's loop answers too late) yet the trace ends afterwards:
  // its slot must be released once, not twice.
  agent.runner.set_late_start_error(
      absl::UnavailableError("the agent's probe loop did not answer"));
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto reader = agent.stub->StartTrace(&context, TraceTo("203.0.113.5"));
    std::vector<v1::TraceUpdate> updates;
    EXPECT_EQ(ReadAll(*reader, &updates).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_TRUE(agent.runner.WaitForStarted(1));
  agent.runner.Finish(0);  // the late on_done
  agent.runner.set_late_start_error(absl::OkStatus());

  // With --max-traces 1, one trace runs and the next is refused (a double release would have
  // left room for two).
  grpc::ClientContext c1;
  auto r1 = StartHeldTrace(agent, c1, "203.0.113.6");
  grpc::Status second = StartTraceStatus(agent, TraceTo("203.0.113.7"));
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(), HasSubstr("too many concurrent traces"));
  c1.TryCancel();
}

TEST_F(AgentServiceTest, CapacityIsCheckedBeforeAnyNameLookup) {
  AgentServiceConfig config = SmallLimits();
  config.max_concurrent_traces = 1;
  TestAgent agent(clock_, config);
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  grpc::ClientContext c1;
  auto r1 = StartHeldTrace(agent, c1, "203.0.113.6");
  // A name that cannot resolve: refused for capacity, so no lookup ran on the gRPC thread.
  grpc::Status status = StartTraceStatus(agent, TraceTo("no-such-host.invalid"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  c1.TryCancel();
}

TEST_F(AgentServiceTest, LimitsHoldPerClientAsWellAsInAll) {
  AgentServiceConfig config = SmallLimits();
  config.max_concurrent_traces = 4;
  config.max_traces_per_client = 1;
  TestAgent agent(clock_, config);
  ASSERT_TRUE(agent.consent.AllowCidr("203.0.113.0/24").ok());
  grpc::ClientContext c1;
  auto r1 = StartHeldTrace(agent, c1, "203.0.113.6");
  grpc::Status status = StartTraceStatus(agent, TraceTo("203.0.113.7"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("for anonymous"));
  EXPECT_THAT(status.error_message(), HasSubstr("per client"));
  c1.TryCancel();
}

TEST_F(AgentServiceTest, MulticastAndBroadcastTargetsAreRefused) {
  TestAgent agent(clock_);
  ASSERT_TRUE(agent.consent.AllowCidr("0.0.0.0/0").ok());
  ASSERT_TRUE(agent.consent.AllowCidr("::/0").ok());
  for (const char* target : {"224.0.0.1", "239.1.2.3", "255.255.255.255", "ff02::1", "0.0.0.0"}) {
    grpc::Status status = StartTraceStatus(agent, TraceTo(target));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << target;
  }
  EXPECT_EQ(agent.runner.started(), 0u);
  v1::StartOneWayRequest oneway;
  oneway.set_peer_address("224.0.0.1");
  oneway.set_peer_port(8621);
  oneway.set_pairing_id(kPairing);
  grpc::ClientContext context;
  SetDeadline(context);
  EXPECT_EQ(Refused(agent.stub->StartOneWay(&context, oneway)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext peer_context;
  SetDeadline(peer_context);
  v1::ReflectPeerRequest reflect;
  reflect.set_peer("224.0.0.1:8620");
  reflect.set_pairing_id(kPairing);
  v1::ReflectPeerResponse response;
  EXPECT_EQ(agent.stub->ReflectPeer(&peer_context, reflect, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AgentServiceTest, TheSourceAddressMustBeTheHostsOwn) {
  AgentServiceConfig config;
  config.local_addresses = [] {
    return std::vector<IpAddress>{*IpAddress::Parse("2001:db8::1"),
                                  *IpAddress::Parse("198.51.100.1")};
  };
  TestAgent agent(clock_, config);
  ASSERT_TRUE(agent.consent.AllowCidr("2001:db8::/32").ok());
  v1::StartTraceRequest spoofed = TraceTo("2001:db8:2::9");
  spoofed.mutable_options()->set_source_address("2001:db8::dead");
  grpc::Status status = StartTraceStatus(agent, spoofed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not one of this host's own"));
  EXPECT_EQ(agent.runner.started(), 0u);

  v1::StartTraceRequest own = TraceTo("2001:db8:2::9");
  own.mutable_options()->set_source_address("2001:db8::1");
  grpc::ClientContext context;
  SetDeadline(context);
  auto reader = agent.stub->StartTrace(&context, own);
  v1::TraceUpdate first;
  EXPECT_TRUE(reader->Read(&first));
  EXPECT_TRUE(agent.runner.WaitForStarted(1));
  context.TryCancel();
}

TEST_F(AgentServiceTest, TheAgentTokenMayOnlyCallReflect) {
  AgentServiceConfig config;
  config.bearer_token = "controller-token";
  config.agent_token = "agent-token";
  std::vector<std::string> refusals;
  absl::Mutex refusals_mu;
  config.on_refusal = [&](const Refusal& refusal) {
    absl::MutexLock lock(&refusals_mu);
    refusals.push_back(absl::StrCat(refusal.method, " ", refusal.client, " ",
                                    absl::StatusCodeToString(refusal.status.code())));
  };
  TestAgent agent(clock_, config);
  auto with_token = [](grpc::ClientContext& context, const char* token) {
    SetDeadline(context);
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  };
  {
    grpc::ClientContext context;
    with_token(context, "agent-token");
    v1::ReflectRequest request;
    request.set_pairing_id(kPairing);
    v1::ReflectResponse response;
    EXPECT_TRUE(agent.stub->Reflect(&context, request, &response).ok());
    EXPECT_TRUE(agent.consent.Check(*IpAddress::Parse("127.0.0.1"), kPairing).ok());
  }
  {
    grpc::ClientContext context;
    with_token(context, "agent-token");
    v1::InfoResponse response;
    grpc::Status status = agent.stub->Info(&context, v1::InfoRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(), HasSubstr("role agent may not call Info"));
  }
  {
    grpc::ClientContext context;
    with_token(context, "agent-token");
    ASSERT_TRUE(agent.consent.AllowCidr("127.0.0.0/8").ok());
    EXPECT_EQ(Refused(agent.stub->StartTrace(&context, TraceTo("127.0.0.1"))).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(agent.runner.started(), 0u);
  }
  {
    grpc::ClientContext context;
    with_token(context, "controller-token");
    v1::InfoResponse response;
    EXPECT_TRUE(agent.stub->Info(&context, v1::InfoRequest(), &response).ok());
  }
  absl::MutexLock lock(&refusals_mu);
  EXPECT_THAT(refusals, ::testing::ElementsAre("Info token:agent PERMISSION_DENIED",
                                               "StartTrace token:agent PERMISSION_DENIED"));
}

// A TCP listener that accepts connections and never says a word: an open port that is not an
// agent.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on (bound, then closed).
int ClosedPort() {
  SilentListener listener;
  return listener.port();
}

grpc::Status CallReflectPeer(TestAgent& agent, const std::string& peer,
                             absl::Duration timeout = absl::Seconds(10)) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  v1::ReflectPeerRequest request;
  request.set_peer(peer);
  request.set_pairing_id(kPairing);
  v1::ReflectPeerResponse response;
  return agent.stub->ReflectPeer(&context, request, &response);
}

TEST_F(AgentServiceTest, ReflectPeerLooksTheSameForOpenAndClosedPorts) {
  AgentServiceConfig config;
  config.reflect_peer_timeout = absl::Milliseconds(400);
  TestAgent agent(clock_, config);
  SilentListener open_port;
  const absl::Time start = absl::Now();
  grpc::Status closed = CallReflectPeer(agent, absl::StrCat("127.0.0.1:", ClosedPort()));
  const absl::Duration closed_took = absl::Now() - start;
  grpc::Status open = CallReflectPeer(agent, absl::StrCat("127.0.0.1:", open_port.port()));
  const absl::Duration open_took = absl::Now() - start - closed_took;
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(open.error_code(), closed.error_code());
  EXPECT_EQ(open.error_message(), closed.error_message());
  // Both wait out the capped deadline, however far the caller's (10 s): a closed port does
  // not answer faster.
  EXPECT_GE(closed_took, absl::Milliseconds(350));
  EXPECT_GE(open_took, absl::Milliseconds(350));
  EXPECT_LT(closed_took, absl::Seconds(5));
  EXPECT_LT(open_took, absl::Seconds(5));
  EXPECT_FALSE(agent.consent.CheckPairing(kPairing).ok());
}

TEST_F(AgentServiceTest, ReflectPeerHasAConcurrencyCapAndARateLimit) {
  AgentServiceConfig config;
  config.reflect_peer_timeout = absl::Seconds(2);
  config.max_reflect_peer_calls = 1;
  TestAgent agent(clock_, config);
  SilentListener silent;
  // One call waits on the silent port; a second at the same time is refused.
  std::thread waiting([&] { CallReflectPeer(agent, absl::StrCat("127.0.0.1:", silent.port())); });
  absl::SleepFor(absl::Milliseconds(300));
  grpc::Status second = CallReflectPeer(agent, absl::StrCat("127.0.0.1:", silent.port()));
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.error_message(), HasSubstr("at once"));
  waiting.join();

  AgentServiceConfig rate = config;
  rate.max_reflect_peer_calls = 8;
  rate.reflect_peer_timeout = absl::Milliseconds(100);
  rate.reflect_peer_per_minute_per_client = 3;
  TestAgent limited(clock_, rate);
  const std::string closed = absl::StrCat("127.0.0.1:", ClosedPort());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CallReflectPeer(limited, closed).error_code(), grpc::StatusCode::UNAVAILABLE) << i;
  }
  grpc::Status over = CallReflectPeer(limited, closed);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("3 calls per minute"));
  clock_.Advance(absl::Seconds(20));  // a token back
  EXPECT_EQ(CallReflectPeer(limited, closed).error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace pathpair::agent

// Mutual TLS on the agent: certificates from deploy/make-certs.sh, a server that requires a
// client certificate from the operator's CA, and the clients it must refuse.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/client/channel.h"
#include "agent/rpc/caller_identity.h"
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "agent/service/agent_service.h"
#include "agent/service/consent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pathpair/v1/agent.grpc.pb.h"
#include "tests/agent/service/fake_runners.h"

namespace pathpair::agent {
namespace {

namespace fs = std::filesystem;

class AgentTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/pathpair-tls-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = new std::string(pattern);
    const std::string script = std::string(PATHPAIR_SOURCE_DIR) + "/deploy/make-certs.sh";
    ASSERT_EQ(std::system((script + " " + *dir_ + "/good >/dev/null").c_str()), 0);
    ASSERT_EQ(std::system((script + " " + *dir_ + "/other >/dev/null").c_str()), 0);
    // A second controller, and an agent at 198.51.100.7.
    ASSERT_EQ(
        std::system(
            (script + " " + *dir_ + "/good --name ctl2 --role controller >/dev/null").c_str()),
        0);
    // Certificates make-certs.sh would not make: an agent that vouches only for 198.51.100.7
    // (not the loopback address it connects from), a server whose role is controller, and a
    // certificate with no role at all (as make-certs.sh issued before roles).
    SignWithTheCa("far-agent", "URI:spiffe://pathpair/agent/far,IP:198.51.100.7");
    SignWithTheCa("ctl-server", "URI:spiffe://pathpair/controller/ctl-server,IP:127.0.0.1");
    SignWithTheCa("no-role", "DNS:pathpair-controller,IP:127.0.0.1");
  }

  // A certificate NAME.pem/NAME.key in good/, signed by its CA, with these SANs.
  static void SignWithTheCa(const std::string& name, const std::string& san) {
    const std::string base = *dir_ + "/good/";
    const std::string command = absl::StrCat(
        "cd ", base, " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ",
        name, ".key 2>/dev/null && openssl req -new -key ", name, ".key -subj /CN=", name, " -out ",
        name,
        ".csr && printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,"
        "clientAuth\nsubjectAltName=",
        san, "\n' > ", name, ".ext && openssl x509 -req -in ", name,
        ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile ", name,
        ".ext -out ", name, ".pem 2>/dev/null");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static TlsFiles Files(const std::string& set, const std::string& who) {
    const std::string base = *dir_ + "/" + set + "/";
    return TlsFiles{base + who + ".pem", base + who + ".key", base + "ca.pem"};
  }

  // Starts a TLS agent; returns its port.
  int StartServer(AgentServiceConfig config = {}) { return StartServerAs("agent", config); }

  void TearDown() override {
    if (server_ != nullptr) {
      service_->Shutdown();
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
  }

  // Starts a TLS agent serving with the certificate `who` from good/.
  int StartServerAs(const std::string& who, AgentServiceConfig config = {}) {
    consent_ = std::make_unique<ConsentPolicy>(clock_, absl::Minutes(10));
    service_ = std::make_unique<AgentService>(config, runner_, nullptr, *consent_, clock_);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(Files("good", who));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    int port = 0;
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        BuildAgentServer("127.0.0.1:0", *credentials, service_.get(), &port);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    return port;
  }

  static std::unique_ptr<v1::Agent::Stub> StubAs(int port, const std::string& who) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentials(Files("good", who));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return v1::Agent::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), *credentials));
  }

  static void SetDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  static grpc::Status CallInfo(int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = v1::Agent::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), std::move(credentials)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::InfoResponse info;
    return stub->Info(&context, v1::InfoRequest(), &info);
  }

  static std::string* dir_;
  FakeClock clock_;
  FakeTraceRunner runner_;
  std::unique_ptr<ConsentPolicy> consent_;
  std::unique_ptr<AgentService> service_;
  std::unique_ptr<grpc::Server> server_;
};

std::string* AgentTlsTest::dir_ = nullptr;

TEST_F(AgentTlsTest, ClientWithTheOperatorsCertificateIsServed) {
  const int port = StartServer();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(Files("good", "client"));
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  grpc::Status status = CallInfo(port, *credentials);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AgentTlsTest, PlaintextClientIsRefused) {
  const int port = StartServer();
  EXPECT_EQ(CallInfo(port, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AgentTlsTest, ClientWithoutACertificateIsRefused) {
  const int port = StartServer();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ReadSmallFile(Files("good", "client").ca);
  EXPECT_FALSE(CallInfo(port, grpc::SslCredentials(options)).ok());
}

TEST_F(AgentTlsTest, ClientCertificateFromAnotherCaIsRefused) {
  const int port = StartServer();
  // Trusts the right server CA but presents a certificate the agent's CA did not sign.
  TlsFiles files = Files("other", "client");
  files.ca = Files("good", "client").ca;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(files);
  ASSERT_TRUE(credentials.ok());
  EXPECT_FALSE(CallInfo(port, *credentials).ok());
}

TEST_F(AgentTlsTest, ClientThatDoesNotTrustTheAgentRefusesIt) {
  const int port = StartServer();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(Files("other", "client"));
  ASSERT_TRUE(credentials.ok());
  EXPECT_FALSE(CallInfo(port, *credentials).ok());
}

TEST_F(AgentTlsTest, TokenIsRequiredInAdditionToTheCertificate) {
  AgentServiceConfig config;
  config.bearer_token = "tls-and-token";
  const int port = StartServer(config);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(Files("good", "client"));
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(CallInfo(port, *credentials).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto token = grpc::AccessTokenCredentials("tls-and-token");  // "authorization: Bearer ..."
  EXPECT_TRUE(CallInfo(port, grpc::CompositeChannelCredentials(*credentials, token)).ok());
}

TEST_F(AgentTlsTest, ReflectPeerUsesTheAgentsOwnCertificate) {
  AgentServiceConfig config;
  const TlsFiles agent_files = Files("good", "agent");
  config.peer_credentials = *MakeChannelCredentials(agent_files);
  const int port = StartServer(config);  // the agent calls itself as its own peer
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(Files("good", "client"));
  ASSERT_TRUE(credentials.ok());
  auto stub =
      v1::Agent::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ReflectPeerRequest request;
  request.set_peer(absl::StrCat("127.0.0.1:", port));
  request.set_pairing_id("tls-pairing-1");
  v1::ReflectPeerResponse response;
  grpc::Status status = stub->ReflectPeer(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.reflected_address(), "127.0.0.1");
}

TEST(CallerIdentityTest, ParsesRolesFromSpiffeIds) {
  EXPECT_EQ(*ParseSpiffeRole("spiffe://pathpair/controller/ops-1"), Role::kController);
  EXPECT_EQ(*ParseSpiffeRole("spiffe://pathpair/agent/edge.b_2"), Role::kAgent);
  for (const char* bad :
       {"spiffe://other/agent/a", "spiffe://pathpair/admin/a", "spiffe://pathpair/agent/",
        "spiffe://pathpair/agent/a/b", "https://pathpair/agent/a", "spiffe://pathpair/agent"}) {
    EXPECT_FALSE(ParseSpiffeRole(bad).ok()) << bad;
  }
  EXPECT_TRUE(AuthorizeRpc(Role::kController, "StartTrace").ok());
  EXPECT_TRUE(AuthorizeRpc(Role::kAgent, "Reflect").ok());
  EXPECT_EQ(AuthorizeRpc(Role::kAgent, "ReflectPeer").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AgentTlsTest, MakeCertsIssuesBothRoles) {
  std::string text;
  const std::string command =
      absl::StrCat("openssl x509 -noout -ext subjectAltName -in ", Files("good", "agent").cert,
                   " && openssl x509 -noout -ext subjectAltName -in ", Files("good", "client").cert,
                   " && openssl x509 -noout -ext subjectAltName -in ", Files("good", "ctl2").cert);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) text += buffer;
  pclose(pipe);
  EXPECT_THAT(text, ::testing::HasSubstr("URI:spiffe://pathpair/agent/agent"));
  EXPECT_THAT(text, ::testing::HasSubstr("URI:spiffe://pathpair/controller/client"));
  EXPECT_THAT(text, ::testing::HasSubstr("URI:spiffe://pathpair/controller/ctl2"));
}

TEST_F(AgentTlsTest, AnAgentCertificateMayCallOnlyReflect) {
  const int port = StartServerAs("agent");
  auto stub = StubAs(port, "agent");
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ReflectRequest request;
    request.set_pairing_id("tls-pairing-2");
    v1::ReflectResponse response;
    grpc::Status status = stub->Reflect(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  auto expect_denied = [](const grpc::Status& status, const char* method) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("role agent may not call")) << method;
  };
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::InfoResponse response;
    expect_denied(stub->Info(&context, v1::InfoRequest(), &response), "Info");
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ReflectPeerRequest request;
    request.set_peer("127.0.0.1:1");
    request.set_pairing_id("tls-pairing-2");
    v1::ReflectPeerResponse response;
    expect_denied(stub->ReflectPeer(&context, request, &response), "ReflectPeer");
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::StartTraceRequest request;
    request.set_pairing_id("tls-pairing-2");
    request.mutable_options()->set_target("127.0.0.1");
    auto reader = stub->StartTrace(&context, request);
    v1::TraceUpdate update;
    EXPECT_FALSE(reader->Read(&update));
    expect_denied(reader->Finish(), "StartTrace");
    EXPECT_EQ(runner_.started(), 0u);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::StopResponse response;
    expect_denied(stub->Stop(&context, v1::StopRequest(), &response), "Stop");
  }
  // The controller's certificate may call everything.
  auto controller = StubAs(port, "client");
  grpc::ClientContext context;
  SetDeadline(context);
  v1::StopResponse response;
  EXPECT_TRUE(controller->Stop(&context, v1::StopRequest(), &response).ok());
}

TEST_F(AgentTlsTest, ACertificateWithoutARoleIsRefused) {
  const int port = StartServerAs("agent");
  auto stub = StubAs(port, "no-role");
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReflectResponse response;
  grpc::Status status = stub->Reflect(&context, v1::ReflectRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("no pathpair role"));
}

TEST_F(AgentTlsTest, AReflectGrantCoversTheCertifiedAddressesNotTheConnections) {
  const int port = StartServerAs("agent");
  auto stub = StubAs(port, "far-agent");  // vouches for 198.51.100.7, connects from 127.0.0.1
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReflectRequest request;
  request.set_pairing_id("tls-pairing-3");
  v1::ReflectResponse response;
  grpc::Status status = stub->Reflect(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.address(), "127.0.0.1");  // what the agent saw
  EXPECT_TRUE(consent_->Check(*IpAddress::Parse("198.51.100.7"), "tls-pairing-3").ok());
  EXPECT_FALSE(consent_->Check(*IpAddress::Parse("127.0.0.1"), "tls-pairing-3").ok());
  // The pairing is the far agent's: another agent's Reflect in it is refused.
  auto other = StubAs(port, "agent");
  grpc::ClientContext other_context;
  SetDeadline(other_context);
  status = other->Reflect(&other_context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("belongs to another agent"));
}

TEST_F(AgentTlsTest, ReflectPeerGrantsNothingToAPeerThatIsNotAnAgent) {
  // This agent calls a "peer" that serves with a controller's certificate.
  AgentServiceConfig config;
  config.peer_credentials = *MakeChannelCredentials(Files("good", "agent"));
  config.reflect_peer_timeout = absl::Seconds(2);
  FakeClock peer_clock;
  FakeTraceRunner peer_runner;
  ConsentPolicy peer_consent(peer_clock, absl::Minutes(10));
  AgentService peer_service(AgentServiceConfig(), peer_runner, nullptr, peer_consent, peer_clock);
  int peer_port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> peer_server =
      BuildAgentServer("127.0.0.1:0", *MakeServerCredentials(Files("good", "ctl-server")),
                       &peer_service, &peer_port);
  ASSERT_TRUE(peer_server.ok());

  const int port = StartServerAs("agent", config);
  auto stub = StubAs(port, "client");
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ReflectPeerRequest request;
  request.set_peer(absl::StrCat("127.0.0.1:", peer_port));
  request.set_pairing_id("tls-pairing-4");
  v1::ReflectPeerResponse response;
  grpc::Status status = stub->ReflectPeer(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("as a pathpair agent"));
  EXPECT_FALSE(consent_->CheckPairing("tls-pairing-4").ok());
  peer_service.Shutdown();
  (*peer_server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST_F(AgentTlsTest, LimitsArePerControllerIdentity) {
  AgentServiceConfig config;
  config.max_traces_per_client = 1;
  const int port = StartServerAs("agent", config);
  ASSERT_TRUE(consent_->AllowCidr("198.51.100.0/24").ok());
  auto start = [&](v1::Agent::Stub& stub, grpc::ClientContext& context) {
    SetDeadline(context);
    v1::StartTraceRequest request;
    request.mutable_options()->set_target("198.51.100.9");
    request.mutable_options()->set_max_ttl(5);
    auto reader = stub.StartTrace(&context, request);
    v1::TraceUpdate update;
    const bool started = reader->Read(&update);
    return std::make_pair(started, std::move(reader));
  };
  auto first = StubAs(port, "client");
  auto second = StubAs(port, "ctl2");
  grpc::ClientContext c1, c2, c3;
  auto [started1, reader1] = start(*first, c1);
  EXPECT_TRUE(started1);
  auto [started2, reader2] = start(*first, c2);  // the same controller again: over its limit
  EXPECT_FALSE(started2);
  grpc::Status refused = reader2->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("spiffe://pathpair/controller/client"));
  auto [started3, reader3] = start(*second, c3);  // another controller still may
  EXPECT_TRUE(started3);
  c1.TryCancel();
  c3.TryCancel();
}

TEST(TlsFilesTest, MissingOrWrongFilesAreErrors) {
  EXPECT_FALSE(MakeServerCredentials(TlsFiles{}).ok());
  EXPECT_FALSE(MakeServerCredentials(TlsFiles{"/nonexistent", "/nonexistent", "/x"}).ok());
  char pattern[] = "/tmp/pathpair-tok-XXXXXX";
  const int fd = mkstemp(pattern);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, " abc123 \n", 9), 9);
  close(fd);
  absl::StatusOr<std::string> token = ReadTokenFile(pattern);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "abc123");
  // A token file is not a certificate.
  EXPECT_FALSE(MakeServerCredentials(TlsFiles{pattern, pattern, pattern}).ok());
  fs::remove(pattern);
}

}  // namespace
}  // namespace pathpair::agent

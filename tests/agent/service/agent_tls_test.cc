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
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "agent/service/agent_service.h"
#include "agent/service/consent.h"
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
  int StartServer(AgentServiceConfig config = {}) {
    consent_ = std::make_unique<ConsentPolicy>(clock_, absl::Minutes(10));
    service_ = std::make_unique<AgentService>(config, runner_, nullptr, *consent_, clock_);
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(Files("good", "agent"));
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    int port = 0;
    absl::StatusOr<std::unique_ptr<grpc::Server>> server =
        BuildAgentServer("127.0.0.1:0", *credentials, service_.get(), &port);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    return port;
  }

  void TearDown() override {
    if (server_ != nullptr) {
      service_->Shutdown();
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
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
  config.peer_credentials = [agent_files] { return *MakeChannelCredentials(agent_files); };
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

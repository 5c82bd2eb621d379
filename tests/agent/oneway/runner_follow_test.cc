// Where a OneWayRunner sends when packets arrive from elsewhere (loopback, no root): it follows
// the peer's source port (a NAT may map it) only on a packet authenticated with the session key
// that comes from the peer's own address. An unauthenticated packet, or an authenticated one
// from another address (replayed by someone else), never redirects its traffic.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "agent/oneway/runner.h"
#include "agent/oneway/wire.h"
#include "gtest/gtest.h"

namespace pathpair::oneway {
namespace {

// A plain UDP socket on `address`, port 0.
class UdpSocket {
 public:
  explicit UdpSocket(const char* address) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, address, &local.sin_addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0) << address;
    socklen_t length = sizeof(local);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
    port_ = ntohs(local.sin_port);
  }
  ~UdpSocket() { close(fd_); }
  uint16_t port() const { return port_; }

  void SendTo(uint16_t port, const std::vector<uint8_t>& bytes) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    EXPECT_EQ(
        sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
        static_cast<ssize_t>(bytes.size()));
  }

  // Datagrams that arrive within `window`.
  int CountFor(absl::Duration window) {
    int count = 0;
    const absl::Time end = absl::Now() + window;
    std::vector<uint8_t> buffer(70000);
    while (absl::Now() < end) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 20) > 0 && recv(fd_, buffer.data(), buffer.size(), 0) >= 0) ++count;
    }
    return count;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class RunnerFollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<OneWayRunner>> runner =
        OneWayRunner::Bind(*IpAddress::Parse("127.0.0.1"), 0);
    ASSERT_TRUE(runner.ok()) << runner.status();
    runner_ = *std::move(runner);
    config_.session_id = 0x5e55;
    config_.key.fill(0x42);
    config_.packet_count = 1000;
    config_.interval = absl::Milliseconds(10);
    config_.start_timeout = absl::Seconds(5);
  }

  // Runs the runner towards the peer socket at 127.0.0.1 until the test stops it.
  void Start() {
    run_ = std::thread([this] {
      (void)runner_->Run(
          *IpAddress::Parse("127.0.0.1"), peer_.port(), config_, [this] { return stop_.load(); },
          RunOptions{.follow_peer_source = true});
    });
  }
  void TearDown() override {
    stop_ = true;
    if (run_.joinable()) run_.join();
  }

  std::vector<uint8_t> Hello(const SessionKey& key) const {
    TestPacket hello;
    hello.kind = PacketKind::kHello;
    hello.session_id = config_.session_id;
    hello.send_time_ns = absl::ToUnixNanos(absl::Now());
    return EncodePacket(hello, key);
  }

  std::unique_ptr<OneWayRunner> runner_;
  OneWayConfig config_;
  UdpSocket peer_{"127.0.0.1"};
  std::atomic<bool> stop_{false};
  std::thread run_;
};

TEST_F(RunnerFollowTest, AnUnauthenticatedPacketNeverRedirectsTheTraffic) {
  Start();
  UdpSocket forger("127.0.0.1");  // the peer's own address, another port
  SessionKey wrong = config_.key;
  wrong[0] ^= 1;
  forger.SendTo(runner_->local_port(), Hello(wrong));
  EXPECT_EQ(forger.CountFor(absl::Milliseconds(300)), 0);
  EXPECT_GT(peer_.CountFor(absl::Milliseconds(100)), 0);  // still sends to the peer
}

TEST_F(RunnerFollowTest, AnAuthenticatedPacketFromAnotherAddressNeverRedirectsTheTraffic) {
  Start();
  UdpSocket elsewhere("127.0.0.2");  // e.g. a replay from a third party's address
  elsewhere.SendTo(runner_->local_port(), Hello(config_.key));
  EXPECT_EQ(elsewhere.CountFor(absl::Milliseconds(300)), 0);
  EXPECT_GT(peer_.CountFor(absl::Milliseconds(100)), 0);
}

TEST_F(RunnerFollowTest, AnAuthenticatedPacketFromThePeersAddressMovesToItsPort) {
  Start();
  UdpSocket mapped("127.0.0.1");  // the peer behind a NAT that mapped its port
  mapped.SendTo(runner_->local_port(), Hello(config_.key));
  EXPECT_GT(mapped.CountFor(absl::Milliseconds(300)), 0);
}

}  // namespace
}  // namespace pathpair::oneway

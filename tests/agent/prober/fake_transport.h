// A ProbeTransport for prober tests: a scripted network with no sockets and no sleeping. Routers
// answer Time Exceeded at their TTL, the target answers at or beyond its distance (echo reply,
// port unreachable, or TCP RST), each after a fixed delay per hop. Replies are queued with their
// arrival time and handed out by Receive once the FakeClock has reached it.
//
//   FakeClock clock;
//   FakeTransport net(clock);
//   net.AddPath(target, {router1, router2});   // target at TTL 3
//   Prober prober(net, clock);
#ifndef PATHPAIR_TESTS_AGENT_PROBER_FAKE_TRANSPORT_H_
#define PATHPAIR_TESTS_AGENT_PROBER_FAKE_TRANSPORT_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "agent/net/probe_transport.h"
#include "common/time/clock.h"

namespace pathpair::prober {

struct SentRecord {
  net::OutgoingProbe probe;  // bytes point into `bytes`
  std::vector<uint8_t> bytes;
  MonoTime at;
};

class FakeTransport : public net::ProbeTransport {
 public:
  explicit FakeTransport(const Clock& clock) : clock_(clock) {}

  // Routers at TTL 1..routers.size(), the target one further.
  void AddPath(const IpAddress& target, std::vector<IpAddress> routers) {
    paths_[target] = std::move(routers);
  }
  // Each hop adds this much to the RTT.
  void set_per_hop_delay(absl::Duration d) { per_hop_delay_ = d; }
  // Drop every probe for which this returns true.
  void set_drop(std::function<bool(const SentRecord&)> drop) { drop_ = std::move(drop); }
  void set_fail_sends(bool fail) { fail_sends_ = fail; }
  void set_capabilities(net::TransportCapabilities caps) { caps_ = caps; }
  // Runs at the end of every Receive, after the due replies are handed out: a test moves the
  // clock here to model the time between draining the sockets and the loop's next clock read.
  void set_after_receive(std::function<void()> hook) { after_receive_ = std::move(hook); }
  // Queues an arbitrary packet, delivered at `at`.
  void Inject(net::ReceivedPacket packet) {
    const MonoTime at = packet.received_at;
    queue_.emplace(at, std::move(packet));
  }

  const std::vector<SentRecord>& sent() const { return sent_; }
  // When the earliest queued reply arrives (MonoTime::Infinite() if none).
  MonoTime NextArrival() const {
    return queue_.empty() ? MonoTime::Infinite() : queue_.begin()->first;
  }

  net::TransportCapabilities capabilities() const override { return caps_; }
  absl::StatusOr<net::SendReport> Send(const net::OutgoingProbe& probe) override;
  void Receive(std::vector<net::ReceivedPacket>& out) override;
  int wait_fd() const override { return -1; }

 private:
  const Clock& clock_;
  net::TransportCapabilities caps_{
      .ipv4 = true, .ipv6 = true, .icmp = true, .udp = true, .tcp = true, .unprivileged = false};
  std::map<IpAddress, std::vector<IpAddress>> paths_;
  absl::Duration per_hop_delay_ = absl::Milliseconds(1);
  std::function<bool(const SentRecord&)> drop_;
  std::function<void()> after_receive_;
  bool fail_sends_ = false;
  std::vector<SentRecord> sent_;
  std::multimap<MonoTime, net::ReceivedPacket> queue_;  // by arrival time
};

// Builds the packet `responder` sends about `probe` as a raw socket would deliver it: Time
// Exceeded (router), or the target's answer (echo reply / port unreachable / RST).
net::ReceivedPacket MakeReply(const net::OutgoingProbe& probe, const IpAddress& responder,
                              bool from_target, MonoTime at);

}  // namespace pathpair::prober

#endif  // PATHPAIR_TESTS_AGENT_PROBER_FAKE_TRANSPORT_H_

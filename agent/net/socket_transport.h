// SocketTransport: the ProbeTransport over real sockets (a SocketSet from OpenSocketSet). It
// sends probes with per-packet TTL, TOS and source address (ancillary data, so one socket serves
// every trace), reads kernel send and receive timestamps and maps them to the monotonic clock
// (kernel_timestamp.h), and hands received packets to the caller in the layout the codec parses.
//
// With unprivileged ICMP datagram sockets it keeps one socket per echo identifier and rebuilds
// the IP/ICMP headers the kernel strips (echo replies arrive without IP header; Time Exceeded
// and Unreachable arrive on the error queue), so the codec and the matcher see the same packets
// as with raw sockets.
//
//   PATHPAIR_ASSIGN_OR_RETURN(SocketSet sockets, OpenSocketSet(plan));
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<SocketTransport> transport,
//                             SocketTransport::Create(std::move(sockets)));
//   // poll transport->wait_fd(), then transport->Receive(packets)
//
// Every system call goes through the SocketSet's OsSysCalls (os_sys_calls.h), so unit tests run
// the transport over a fake kernel: the error queue, OPT_ID matching of send stamps, the
// timestamp mapping and the ancillary data, without root. The seam adds no allocation and no
// system call per probe.
#ifndef PATHPAIR_AGENT_NET_SOCKET_TRANSPORT_H_
#define PATHPAIR_AGENT_NET_SOCKET_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/net/probe_transport.h"
#include "agent/net/socket_set.h"

namespace pathpair::net {

namespace internal {
struct Message;  // one recvmsg result, defined in socket_transport.cc
}  // namespace internal

// Counts of where timestamps came from, for diagnostics and the timestamp benchmark.
struct TimestampCounters {
  uint64_t send_kernel = 0;
  uint64_t send_user = 0;
  uint64_t receive_kernel = 0;
  uint64_t receive_user = 0;
  // Of receive_user: packets the kernel gave no stamp at all (rather than an implausible one).
  uint64_t receive_unstamped = 0;
  // Summed over the kernel-stamped packets: how much earlier the kernel stamp is than the
  // user-space reading it replaced (after sendmsg / after recvmsg). What kernel stamps gain.
  absl::Duration send_kernel_lead = absl::ZeroDuration();
  absl::Duration receive_kernel_lead = absl::ZeroDuration();
};

class SocketTransport final : public ProbeTransport {
 public:
  // Watches the sockets and waits (at most 100 ms) until the kernel stamps received packets.
  static absl::StatusOr<std::unique_ptr<SocketTransport>> Create(SocketSet sockets);

  TransportCapabilities capabilities() const override;
  absl::StatusOr<SendReport> Send(const OutgoingProbe& probe) override;
  void Receive(std::vector<ReceivedPacket>& out) override;
  int wait_fd() const override { return epoll_.get(); }
  absl::Status ClaimIcmpIdentifier(IpFamily family, uint16_t echo_id) override;
  void ReleaseIcmpIdentifier(IpFamily family, uint16_t echo_id) override;

  SocketMode mode() const { return sockets_.mode; }
  const TimestampCounters& timestamp_counters() const { return counters_; }

 private:
  enum class Role : uint8_t {
    kRawIpv4,        // delivers whole IPv4 packets (ICMP or TCP)
    kRawIcmpv6,      // ICMPv6 messages
    kRawTcpv6,       // TCP segments over IPv6
    kSendOnly,       // raw UDP: only its error queue (late send stamps) is read
    kUnprivileged4,  // ICMP datagram socket, IPv4
    kUnprivileged6,  // ICMP datagram socket, IPv6
  };
  struct Watched {
    Role role = Role::kSendOnly;
    // When the socket was last seen empty: no packet read later can have arrived much before.
    MonoTime last_empty;
    MonoTime last_error_queue_empty;
    // The next OPT_ID the kernel will give a send stamp on this socket.
    uint32_t next_send_id = 0;
    // Unprivileged sockets: the local address of their probes (to rebuild headers).
    IpAddress local;
  };

  explicit SocketTransport(SocketSet sockets);
  absl::Status Watch(int fd, Role role);
  void Unwatch(int fd);
  absl::StatusOr<int> SendSocketFor(const OutgoingProbe& probe);
  // Reads the error queue right after a send for that send's stamp. ICMP errors met on the way
  // (unprivileged sockets) are kept for the next Receive.
  std::optional<absl::Time> TakeSendStamp(int fd, Watched& watched);
  void DrainSocket(int fd, Watched& watched, bool error_queue, std::vector<ReceivedPacket>& out);
  void ConvertMessage(Watched& watched, internal::Message&& message,
                      std::vector<ReceivedPacket>& out);
  // Sets the packet's receive time from the message's kernel stamp (not before
  // `queue_empty_at`, when its queue was last seen empty) and counts the stamp's source.
  void StampReceived(const internal::Message& message, MonoTime queue_empty_at,
                     ReceivedPacket& packet);
  void ConvertErrorQueueMessage(Watched& watched, internal::Message&& message,
                                std::vector<ReceivedPacket>& out);
  void SignalPending();

  OsSysCalls& sys_;  // the sockets' (SocketSet::sys)
  SocketSet sockets_;
  FileDescriptor epoll_;
  FileDescriptor pending_event_;    // eventfd: readable while pending_ holds packets
  bool pending_signalled_ = false;  // pending_event_ was written since Receive last reset it
  absl::flat_hash_map<int, Watched> watched_;
  absl::flat_hash_map<uint32_t, FileDescriptor> unprivileged_;  // (v6 << 16 | echo id) -> socket
  std::vector<ReceivedPacket> pending_;
  TimestampCounters counters_;
};

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_SOCKET_TRANSPORT_H_

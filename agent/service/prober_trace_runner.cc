#include "agent/service/prober_trace_runner.h"

#include <atomic>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/engine/trace_result.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/net/socket_set.h"

namespace pathpair::agent {
namespace {

// The label of pathpair_agent_replies_received_total.
absl::string_view ReplyKindLabel(packet::ReplyKind kind) {
  switch (kind) {
    case packet::ReplyKind::kEchoReply:
      return "echo_reply";
    case packet::ReplyKind::kTimeExceeded:
      return "time_exceeded";
    case packet::ReplyKind::kDestinationUnreachable:
      return "destination_unreachable";
    case packet::ReplyKind::kTcpSynAck:
      return "tcp_syn_ack";
    case packet::ReplyKind::kTcpRst:
      return "tcp_rst";
  }
  return "other";
}

}  // namespace

absl::StatusOr<net::SocketSet> ProberTraceRunner::OpenSockets() { return net::OpenEverySocket(); }

absl::StatusOr<std::unique_ptr<ProberTraceRunner>> ProberTraceRunner::Create(const Clock& clock) {
  absl::StatusOr<net::SocketSet> sockets = OpenSockets();
  if (!sockets.ok()) return sockets.status();
  return Create(*std::move(sockets), clock);
}

absl::StatusOr<std::unique_ptr<ProberTraceRunner>> ProberTraceRunner::Create(net::SocketSet sockets,
                                                                             const Clock& clock) {
  v1::Capabilities capabilities;
  if (sockets.mode == net::SocketMode::kRaw) {
    capabilities.set_socket_mode(v1::Capabilities::SOCKET_MODE_RAW);
    capabilities.set_ipv4(sockets.icmp4.valid());
    capabilities.set_ipv6(sockets.icmp6.valid());
    capabilities.add_protocols(v1::PROTOCOL_ICMP);
    if (sockets.udp4.valid() || sockets.udp6.valid()) {
      capabilities.add_protocols(v1::PROTOCOL_UDP);
    }
    if (sockets.tcp4.valid() || sockets.tcp6.valid()) {
      capabilities.add_protocols(v1::PROTOCOL_TCP);
    }
  } else {
    capabilities.set_socket_mode(v1::Capabilities::SOCKET_MODE_UNPRIVILEGED_ICMP);
    capabilities.set_ipv4(sockets.unprivileged_ipv4);
    capabilities.set_ipv6(sockets.unprivileged_ipv6);
    capabilities.add_protocols(v1::PROTOCOL_ICMP);
  }
  absl::StatusOr<std::unique_ptr<net::SocketTransport>> transport =
      net::SocketTransport::Create(std::move(sockets));
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<ProberTraceRunner>(
      new ProberTraceRunner(*std::move(transport), clock, std::move(capabilities)));
}

ProberTraceRunner::ProberTraceRunner(std::unique_ptr<net::SocketTransport> transport,
                                     const Clock& clock, v1::Capabilities capabilities)
    : transport_(std::move(transport)),
      prober_(*transport_, clock),
      capabilities_(std::move(capabilities)) {
  prober_.set_hooks(
      {.on_probe_sent = [] { metrics::CountProbeSent(); },
       .on_reply_routed =
           [](packet::ReplyKind kind) { metrics::CountReply(ReplyKindLabel(kind)); }});
  loop_ = std::thread([this] {
    absl::Status status = prober_.RunUntilStopped();
    if (!status.ok()) std::cerr << "pathpair-agent: prober loop: " << status << "\n";
  });
}

ProberTraceRunner::~ProberTraceRunner() {
  prober_.RequestStop();
  if (loop_.joinable()) loop_.join();
}

absl::StatusOr<TraceRunner::Handle> ProberTraceRunner::Start(const v1::ProbeOptions& options,
                                                             const IpAddress& target,
                                                             Callbacks callbacks) {
  if (!options.interface().empty() || options.fwmark() != 0) {
    return absl::InvalidArgumentError(
        "the agent's shared sockets cannot bind one trace to an interface (-I) or a mark (-M)");
  }
  const Handle handle = next_handle_.fetch_add(1);
  // Shared with the loop: if the loop does not answer in time, it may still run the work later.
  struct Pending {
    prober::TraceRequest request;
    Callbacks callbacks;
    absl::Notification added;
    absl::Status status;
    // Set by whichever comes first: the loop taking the work, or Start giving up on it. Work
    // Start gave up on is never added, so that a trace Start reported as failed never runs and
    // never calls back (which would release its slot a second time).
    std::atomic<bool> claimed{false};
  };
  auto pending = std::make_shared<Pending>();
  pending->request.options = options;
  pending->request.target = target;
  // The source address lookup is a system call: here, not in the loop.
  if (absl::Status resolved = prober::ResolveLocalEnd(pending->request); !resolved.ok()) {
    return resolved;
  }
  pending->callbacks = std::move(callbacks);
  prober_.Post([this, handle, pending] {
    if (pending->claimed.exchange(true)) return;  // Start gave up on it
    prober::TraceCallbacks prober_callbacks;
    prober_callbacks.on_snapshot =
        [on_snapshot = pending->callbacks.on_snapshot](const engine::TraceResult& result) {
          if (on_snapshot) on_snapshot(engine::ToProto(result));
        };
    prober_callbacks.on_finished =
        [this, handle, on_done = pending->callbacks.on_done](const engine::TraceResult& result) {
          traces_.erase(handle);
          if (on_done) on_done(engine::ToProto(result));
        };
    absl::StatusOr<prober::Prober::TraceId> id =
        prober_.AddTrace(pending->request, std::move(prober_callbacks));
    if (id.ok()) {
      traces_[handle] = *id;
    } else {
      pending->status = id.status();
    }
    pending->added.Notify();
  });
  if (!pending->added.WaitForNotificationWithTimeout(start_timeout_) &&
      !pending->claimed.exchange(true)) {
    // The loop is stuck or gone, and has not taken the work: it never will.
    return absl::UnavailableError("the agent's probe loop did not answer");
  }
  pending->added.WaitForNotification();  // the loop took it: its answer is moments away
  if (!pending->status.ok()) return pending->status;
  return handle;
}

void ProberTraceRunner::Cancel(Handle handle) {
  prober_.Post([this, handle] {
    auto it = traces_.find(handle);
    if (it != traces_.end()) prober_.Cancel(it->second);
  });
}

}  // namespace pathpair::agent

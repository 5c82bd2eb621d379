#include "agent/prober/prober.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/net/source_address.h"
#include "common/status/status_macros.h"

namespace pathpair::prober {
namespace {

using packet::ProbeProtocol;

// Attempts at an unprivileged ICMP echo id before giving up (another process may hold one).
constexpr int kIcmpIdentifierAttempts = 9;
// How often a paused loop looks at the pause flag (mtr's paused select() waits 0.1 s too).
constexpr absl::Duration kPausedRecheck = absl::Milliseconds(100);

// FailedPrecondition unless the transport's sockets can carry the trace's family and protocol.
absl::Status CheckTransportServes(const net::TransportCapabilities& caps,
                                  const engine::TraceConfig& config, const IpAddress& target) {
  if (target.is_v4() ? !caps.ipv4 : !caps.ipv6) {
    return absl::FailedPreconditionError(
        absl::StrCat("no IPv", target.is_v4() ? 4 : 6, " socket is available"));
  }
  const bool protocol_ok = config.protocol == ProbeProtocol::kIcmp  ? caps.icmp
                           : config.protocol == ProbeProtocol::kUdp ? caps.udp
                                                                    : caps.tcp;
  if (!protocol_ok) {
    return absl::FailedPreconditionError(
        caps.unprivileged
            ? "UDP and TCP probes need raw sockets (CAP_NET_RAW); without it only ICMP works"
            : "no socket was opened for this protocol");
  }
  if (config.flows > 1 && config.protocol == ProbeProtocol::kIcmp && caps.unprivileged) {
    // An unprivileged ICMP socket owns one echo id; the kernel rewrites any other.
    return absl::FailedPreconditionError(
        "several ICMP flows (--flows) need raw sockets (CAP_NET_RAW)");
  }
  return absl::OkStatus();
}

// FailedPrecondition unless ResolveLocalEnd (or the caller) has filled the request's local end.
absl::Status CheckLocalEnd(const TraceRequest& request) {
  constexpr absl::string_view kResolveFirst = " (call ResolveLocalEnd before AddTrace)";
  if (!request.source.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the trace's source address is not known", kResolveFirst));
  }
  if (request.source->family() != request.target.family()) {
    return absl::InvalidArgumentError("source and target address families differ");
  }
  if (!request.options.interface().empty() && request.interface_index == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the index of interface '", request.options.interface(), "' is not known", kResolveFirst));
  }
  return absl::OkStatus();
}

// Hands an accepted reply to the trace's probe-event sink (mtr -l's `p` line).
void ReportReply(ProbeEventSink& sink, engine::Sequence sequence,
                 const engine::AcceptedReply& accepted, const packet::ParsedReply& reply) {
  std::vector<ProbeMplsLabel> mpls;
  mpls.reserve(reply.mpls.size());
  for (const packet::MplsLabel& l : reply.mpls) {
    mpls.push_back({l.label, l.traffic_class, l.bottom_of_stack, l.ttl});
  }
  sink.OnReply(accepted.ttl.value(), sequence.value(), reply.responder, accepted.rtt, mpls);
}

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

}  // namespace

struct Prober::Trace {
  Trace(engine::TraceEngine e, TraceRequest r) : engine(std::move(e)), request(std::move(r)) {}
  engine::TraceEngine engine;
  TraceRequest request;  // with its local end resolved
  TraceCallbacks callbacks;
  packet::ProbeSpec spec;  // what the identity does not give (TraceConfig::BaseProbeSpec)
  MonoTime wakeup = MonoTime::Infinite();
  absl::Time start;
  bool claimed_icmp_identifier = false;
};

absl::Status ResolveLocalEnd(TraceRequest& request, net::OsSysCalls& sys) {
  const std::string& interface = request.options.interface();
  if (!interface.empty()) {
    PATHPAIR_ASSIGN_OR_RETURN(request.interface_index, net::FindInterfaceIndex(interface, sys));
  }
  if (request.source.has_value()) return absl::OkStatus();
  std::optional<IpAddress> requested;
  if (!request.options.source_address().empty()) {
    PATHPAIR_ASSIGN_OR_RETURN(requested, IpAddress::Parse(request.options.source_address()));
  }
  PATHPAIR_ASSIGN_OR_RETURN(request.source,
                            net::FindSourceAddress(request.target, requested, interface, sys));
  return absl::OkStatus();
}

absl::StatusOr<packet::ParsedReply> ParseReceivedPacket(const net::ReceivedPacket& packet) {
  switch (packet.format) {
    case net::PacketFormat::kIpv4Packet:
      return packet::ParseIpv4Packet(packet.bytes);
    case net::PacketFormat::kIcmpv6Message:
      return packet::ParseIcmpv6Message(packet.bytes, packet.source, packet.destination);
    case net::PacketFormat::kTcpSegmentV6:
      return packet::ParseTcpSegment(packet.bytes, packet.source, packet.destination);
  }
  return absl::InvalidArgumentError("unknown packet format");
}

Prober::Prober(net::ProbeTransport& transport, const Clock& clock, std::function<uint32_t()> random)
    : transport_(transport),
      clock_(clock),
      registry_(std::move(random)),
      probe_buffer_(packet::kMaxPacketSize),
      local_hostname_(LocalHostname()),
      wake_event_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Prober::~Prober() = default;

absl::StatusOr<Prober::TraceId> Prober::AddTrace(const TraceRequest& request,
                                                 TraceCallbacks callbacks) {
  PATHPAIR_ASSIGN_OR_RETURN(const engine::TraceConfig config,
                            engine::TraceConfig::FromProto(request.options));
  PATHPAIR_RETURN_IF_ERROR(config.CheckTarget(request.target));
  PATHPAIR_RETURN_IF_ERROR(CheckLocalEnd(request));
  const net::TransportCapabilities caps = transport_.capabilities();
  PATHPAIR_RETURN_IF_ERROR(CheckTransportServes(caps, config, request.target));
  PATHPAIR_ASSIGN_OR_RETURN(const engine::TraceRegistry::Registration registration,
                            Register(config, request.target, caps.unprivileged));

  auto trace = std::make_unique<Trace>(
      engine::TraceEngine(config, registration.identity, clock_.Now()), request);
  trace->callbacks = std::move(callbacks);
  trace->start = clock_.WallNow();
  trace->claimed_icmp_identifier = caps.unprivileged;
  trace->spec = config.BaseProbeSpec(*request.source);
  const TraceId id = registration.trace;
  Trace& stored = *trace;
  trace->engine.SetPaused(paused_);
  traces_[id] = std::move(trace);
  Reschedule(id, stored);
  return id;
}

absl::StatusOr<engine::TraceRegistry::Registration> Prober::Register(
    const engine::TraceConfig& config, const IpAddress& target, bool unprivileged) {
  const engine::TraceRegistry::Request request = config.RegistryRequest(target);
  for (int attempt = 1;; ++attempt) {
    PATHPAIR_ASSIGN_OR_RETURN(engine::TraceRegistry::Registration registration,
                              registry_.Register(request));
    if (!unprivileged) return registration;
    const absl::Status claim =
        transport_.ClaimIcmpIdentifier(target.family(), registration.identity.icmp_id);
    if (claim.ok()) return registration;
    registry_.Unregister(registration.trace);
    if (attempt == kIcmpIdentifierAttempts || claim.code() == absl::StatusCode::kPermissionDenied) {
      return claim;
    }
  }
}

void Prober::Stop(TraceId id) {
  auto it = traces_.find(id);
  if (it == traces_.end()) return;
  it->second->engine.Stop(clock_.Now());
  Reschedule(id, *it->second);
}

void Prober::Cancel(TraceId id) {
  auto it = traces_.find(id);
  if (it == traces_.end()) return;
  // Overdue probes count as lost, younger ones are left out: the result stays honest.
  it->second->engine.Interrupt(clock_.Now());
  Finish(id, "cancelled");
}

void Prober::Reschedule(TraceId id, Trace& trace) {
  const MonoTime next = trace.engine.NextWakeup();
  if (next == trace.wakeup) return;
  timers_.erase({trace.wakeup, id});
  trace.wakeup = next;
  timers_.insert({next, id});
}

engine::TraceResult Prober::ResultOf(const Trace& trace) const {
  engine::TraceResult result = trace.engine.Snapshot();
  result.options = trace.request.options;
  result.source_address = trace.spec.source;
  result.source_hostname = local_hostname_;
  result.start = trace.start;
  return result;
}

void Prober::Finish(TraceId id, const std::string& error) {
  auto it = traces_.find(id);
  if (it == traces_.end()) return;
  std::unique_ptr<Trace> trace = std::move(it->second);
  traces_.erase(it);
  timers_.erase({trace->wakeup, id});
  registry_.Unregister(id);
  if (trace->claimed_icmp_identifier) {
    transport_.ReleaseIcmpIdentifier(trace->request.target.family(),
                                     trace->engine.identity().icmp_id);
  }
  engine::TraceResult result = ResultOf(*trace);
  result.final = true;
  result.end = clock_.WallNow();
  if (!error.empty()) {
    result.error = error;
  } else if (!trace->engine.last_send_error().ok() && !result.reached) {
    // A trace that never got an answer and had send errors says why.
    result.error = std::string(trace->engine.last_send_error().message());
  }
  if (trace->callbacks.on_finished) trace->callbacks.on_finished(result);
}

void Prober::SendProbes(Trace& trace, const std::vector<engine::ProbeRequest>& probes) {
  for (const engine::ProbeRequest& probe : probes) {
    packet::ProbeSpec spec = trace.spec;
    engine::FillProbeSpec(trace.engine.identity(), probe.sequence, probe.ttl, &spec, probe.flow);
    absl::StatusOr<size_t> length = packet::BuildProbeTransport(spec, probe_buffer_);
    if (!length.ok()) {
      ++counters_.send_failures;
      trace.engine.OnSendFailed(probe.sequence, length.status());
      continue;
    }
    net::OutgoingProbe outgoing;
    outgoing.protocol = spec.protocol;
    outgoing.source = spec.source;
    outgoing.destination = spec.destination;
    outgoing.ttl = spec.ttl;
    outgoing.tos = spec.tos;
    outgoing.interface_index = trace.request.interface_index;
    outgoing.mark = trace.request.options.fwmark();
    outgoing.bytes = std::span<const uint8_t>(probe_buffer_.data(), *length);
    absl::StatusOr<net::SendReport> sent = transport_.Send(outgoing);
    if (!sent.ok()) {
      ++counters_.send_failures;
      trace.engine.OnSendFailed(probe.sequence, sent.status());
      continue;
    }
    ++counters_.probes_sent;
    if (hooks_.on_probe_sent) hooks_.on_probe_sent();
    trace.engine.OnSent(probe.sequence, sent->sent_at);
    if (trace.callbacks.probe_events != nullptr) {
      trace.callbacks.probe_events->OnProbeSent(probe.ttl.value(), spec.sequence, sent->sent_at);
    }
  }
}

void Prober::ReceiveAndRoute() {
  received_.clear();
  transport_.Receive(received_);
  for (const net::ReceivedPacket& packet : received_) {
    ++counters_.packets_received;
    absl::StatusOr<packet::ParsedReply> reply = ParseReceivedPacket(packet);
    if (!reply.ok()) {
      ++counters_.packets_unparsed;
      continue;
    }
    std::optional<engine::TraceRegistry::Route> route = registry_.RouteReply(*reply);
    if (!route.has_value()) {
      ++counters_.packets_foreign;
      continue;
    }
    auto it = traces_.find(route->trace);
    if (it == traces_.end()) {
      ++counters_.packets_foreign;
      continue;
    }
    ++counters_.replies_routed;
    if (hooks_.on_reply_routed) hooks_.on_reply_routed(reply->kind);
    const std::optional<engine::AcceptedReply> accepted =
        it->second->engine.OnReply(route->sequence, *reply, packet.received_at);
    if (accepted.has_value() && !accepted->past_end &&
        it->second->callbacks.probe_events != nullptr) {
      ReportReply(*it->second->callbacks.probe_events, route->sequence, *accepted, *reply);
    }
    // The last reply may finish a trace; it then ends now rather than at its next timer.
    if (it->second->engine.Finished()) {
      Finish(route->trace, "");
    } else {
      Reschedule(route->trace, *it->second);
    }
  }
}

void Prober::RunDue(TraceId id, MonoTime now) {
  auto it = traces_.find(id);
  if (it == traces_.end()) return;
  Trace& trace = *it->second;
  const int rounds_before = trace.engine.rounds_started();
  due_.clear();
  trace.engine.Poll(now, due_);
  if (!due_.empty()) {
    SendProbes(trace, due_);
    // One snapshot per round, when it starts (a sweep's later steps send probes too).
    if (trace.callbacks.on_snapshot && trace.engine.rounds_started() != rounds_before) {
      // The callback may cancel this very trace (or add others): call a copy, then look the
      // trace up again.
      const std::function<void(const engine::TraceResult&)> on_snapshot =
          trace.callbacks.on_snapshot;
      on_snapshot(ResultOf(trace));
      it = traces_.find(id);
      if (it == traces_.end()) return;
    }
  }
  if (it->second->engine.Finished()) {
    Finish(id, "");
    return;
  }
  Reschedule(id, *it->second);
}

void Prober::RunPosted() {
  // The loop's every turn comes here; the lock only when something was posted.
  if (!posted_pending_.exchange(false, std::memory_order_acquire)) return;
  std::vector<std::function<void()>> work;
  {
    absl::MutexLock lock(&posted_mu_);
    work.swap(posted_);
  }
  for (std::function<void()>& w : work) w();
}

void Prober::ApplyPauseFlag() {
  if (pause_ == nullptr || pause_->load() == paused_) return;
  paused_ = !paused_;
  for (auto& [id, trace] : traces_) {
    trace->engine.SetPaused(paused_);
    Reschedule(id, *trace);
  }
}

MonoTime Prober::Step() {
  RunPosted();
  ApplyPauseFlag();
  // Read the clock before draining the sockets: every reply that arrived by `now` is then
  // routed before a probe expires at `now`. The other order loses a reply that arrives between
  // the drain and the clock read when its probe's deadline falls in that gap, which happens on
  // a loaded host where the loop can be descheduled there.
  const MonoTime now = clock_.Now();
  ReceiveAndRoute();
  // Collect first: running an engine reschedules it, possibly at or before `now` again, and
  // each trace runs once per turn.
  std::vector<TraceId> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first <= now; ++it) {
    due.push_back(it->second);
  }
  for (TraceId id : due) RunDue(id, now);
  return timers_.empty() ? MonoTime::Infinite() : timers_.begin()->first;
}

void Prober::Post(std::function<void()> work) {
  {
    absl::MutexLock lock(&posted_mu_);
    posted_.push_back(std::move(work));
    posted_pending_.store(true, std::memory_order_release);
  }
  const uint64_t one = 1;
  if (wake_event_.valid()) (void)!write(wake_event_.get(), &one, sizeof(one));
}

void Prober::RequestStop() {
  stop_requested_.store(true);
  const uint64_t one = 1;
  if (wake_event_.valid()) (void)!write(wake_event_.get(), &one, sizeof(one));
}

absl::Status Prober::Run() { return RunLoop(false); }
absl::Status Prober::RunUntilStopped() { return RunLoop(true); }

absl::Status Prober::RunLoop(bool until_stopped) {
  if (transport_.wait_fd() < 0) {
    return absl::FailedPreconditionError("Run needs a transport with a wait_fd; use Step()");
  }
  // Wake-ups as precise as the kernel can make them: probe times and timeouts are in ns.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  for (;;) {
    if (stop_requested_.exchange(false)) return absl::OkStatus();
    if (interrupt_ != nullptr && interrupt_->load()) {
      std::vector<TraceId> ids;
      for (const auto& [id, trace] : traces_) ids.push_back(id);
      for (TraceId id : ids) Cancel(id);
    }
    MonoTime next = Step();
    if (!until_stopped && traces_.empty()) {
      absl::MutexLock lock(&posted_mu_);
      if (posted_.empty()) return absl::OkStatus();
      continue;
    }
    const MonoTime now = clock_.Now();
    // While paused nothing may be due for long: look at the flag again soon.
    if (paused_) next = std::min(next, now + kPausedRecheck);
    pollfd fds[2] = {{transport_.wait_fd(), POLLIN, 0}, {wake_event_.get(), POLLIN, 0}};
    timespec timeout{};
    timespec* timeout_ptr = nullptr;
    if (next != MonoTime::Infinite()) {
      timeout = absl::ToTimespec(std::max(next - now, absl::ZeroDuration()));
      timeout_ptr = &timeout;
    }
    if (next > now || next == MonoTime::Infinite()) {
      const int n = ppoll(fds, wake_event_.valid() ? 2 : 1, timeout_ptr, nullptr);
      if (n < 0 && errno != EINTR) {
        return absl::InternalError(absl::StrCat("ppoll: ", std::strerror(errno)));
      }
      if (n > 0 && (fds[1].revents & POLLIN)) {
        uint64_t ignored;
        (void)!read(wake_event_.get(), &ignored, sizeof(ignored));
      }
    }
  }
}

}  // namespace pathpair::prober

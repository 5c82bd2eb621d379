#include "tests/agent/engine/fake_network.h"

#include <algorithm>
#include <utility>

namespace pathpair::engine::testing {

using packet::ParsedReply;
using packet::ProbeProtocol;
using packet::ReplyKind;

FakePath::FakePath(ProbeIdentity identity, IpAddress source, std::vector<FakeHop> routers,
                   FakeHop target)
    : identity_(std::move(identity)),
      source_(source),
      routers_(std::move(routers)),
      target_(std::move(target)) {}

packet::QuotedProbe FakePath::Quote(Sequence sequence, Ttl ttl, int flow) const {
  const uint16_t identifier = FlowIdentifier(identity_, flow);
  packet::QuotedProbe quote;
  quote.protocol = identity_.protocol;
  quote.source = source_;
  quote.destination = identity_.target;
  quote.ttl = 1;
  (void)ttl;
  switch (identity_.protocol) {
    case ProbeProtocol::kIcmp:
      quote.icmp_id = identifier;
      quote.icmp_sequence = sequence.value();
      break;
    case ProbeProtocol::kUdp:
      quote.source_port = identifier;
      quote.destination_port = identity_.destination_port;
      quote.udp_checksum = sequence.value();
      break;
    case ProbeProtocol::kTcp:
      quote.source_port = identifier;
      quote.destination_port = identity_.destination_port;
      quote.tcp_sequence = (uint32_t{identity_.tcp_sequence_high} << 16) | sequence.value();
      break;
  }
  return quote;
}

ParsedReply FakePath::TimeExceededFrom(IpAddress router, Sequence sequence, Ttl ttl,
                                       int flow) const {
  ParsedReply reply;
  reply.kind = ReplyKind::kTimeExceeded;
  reply.responder = router;
  reply.destination = source_;
  reply.icmp_type = router.is_v6() ? 3 : 11;
  reply.icmp_code = 0;
  reply.quote = Quote(sequence, ttl, flow);
  return reply;
}

ParsedReply FakePath::TargetReply(Sequence sequence, int flow) const {
  const uint16_t identifier = FlowIdentifier(identity_, flow);
  ParsedReply reply;
  reply.responder = identity_.target;
  reply.destination = source_;
  switch (identity_.protocol) {
    case ProbeProtocol::kIcmp:
      reply.kind = ReplyKind::kEchoReply;
      reply.icmp_type = identity_.target.is_v6() ? 129 : 0;
      reply.echo_id = identifier;
      reply.echo_sequence = sequence.value();
      break;
    case ProbeProtocol::kUdp:
      reply.kind = ReplyKind::kDestinationUnreachable;
      reply.icmp_type = identity_.target.is_v6() ? 1 : 3;
      reply.icmp_code = identity_.target.is_v6() ? 4 : 3;
      reply.quote = Quote(sequence, Ttl(1), flow);
      break;
    case ProbeProtocol::kTcp:
      reply.kind = ReplyKind::kTcpSynAck;
      reply.tcp_source_port = identity_.destination_port;
      reply.tcp_destination_port = identifier;
      reply.tcp_ack = ((uint32_t{identity_.tcp_sequence_high} << 16) | sequence.value()) + 1;
      break;
  }
  return reply;
}

std::vector<FakePath::Delivery> FakePath::Send(ProbeRequest probe, MonoTime sent_at) {
  int ttl = probe.ttl.value();
  // A router that answers with Destination Unreachable forwards nothing: it answers every
  // probe that gets that far.
  for (int i = 0; i < std::min(ttl, target_ttl()) - 1; ++i) {
    if (routers_[i].unreachable_code.has_value()) {
      ttl = i + 1;
      break;
    }
  }
  const bool at_target = ttl >= target_ttl();
  const FakeHop& hop = at_target ? target_ : routers_[ttl - 1];
  // The target is one host, however many TTLs reach it: count its probes together.
  const int n = probes_at_ttl_[at_target ? target_ttl() : ttl]++;
  if (hop.silent && hop.silent(n)) return {};
  if (!at_target && hop.responders.empty()) return {};

  ParsedReply reply;
  if (at_target) {
    reply = TargetReply(probe.sequence, probe.flow);
  } else {
    size_t branch = static_cast<size_t>(n);
    if (hop.flow_hash) {
      std::map<uint16_t, size_t>& branches = flow_branches_[ttl];
      branch = branches.try_emplace(FlowIdentifier(identity_, probe.flow), branches.size())
                   .first->second;
    }
    const IpAddress responder = hop.responders[branch % hop.responders.size()];
    reply = TimeExceededFrom(responder, probe.sequence, Ttl(ttl), probe.flow);
    if (hop.unreachable_code.has_value()) {
      reply.kind = ReplyKind::kDestinationUnreachable;
      reply.icmp_type = responder.is_v6() ? 1 : 3;
      reply.icmp_code = *hop.unreachable_code;
    }
  }
  reply.mpls = hop.mpls;
  const absl::Duration delay = hop.delay_of ? hop.delay_of(n) : hop.delay;
  std::vector<Delivery> out;
  for (int i = 0; i < hop.copies; ++i) out.push_back(Delivery{sent_at + delay, reply});
  return out;
}

void FakeNetwork::Attach(TraceRegistry::TraceId trace, TraceEngine* engine, FakePath* path) {
  traces_[trace] = Attached{engine, path};
}

void FakeNetwork::Inject(MonoTime at, const ParsedReply& reply) { pending_.emplace(at, reply); }

void FakeNetwork::PollAll(MonoTime now) {
  for (auto& [trace, attached] : traces_) {
    for (const ProbeRequest& probe : attached.engine->Poll(now)) {
      ++sent_[trace][probe.ttl.value()];
      requests_[trace].push_back(probe);
      request_times_[trace].push_back(now);
      attached.engine->OnSent(probe.sequence, now);
      for (FakePath::Delivery& d : attached.path->Send(probe, now)) {
        pending_.emplace(d.at, std::move(d.reply));
      }
    }
  }
}

bool FakeNetwork::AllFinished() const {
  return std::all_of(traces_.begin(), traces_.end(),
                     [](const auto& t) { return t.second.engine->Finished(); });
}

MonoTime FakeNetwork::NextEvent() const {
  MonoTime next = MonoTime::Infinite();
  if (!pending_.empty()) next = pending_.begin()->first;
  for (const auto& [trace, attached] : traces_) {
    if (!attached.engine->Finished()) next = std::min(next, attached.engine->NextWakeup());
  }
  return next;
}

void FakeNetwork::RunUntil(FakeClock& clock, const TraceRegistry& registry, MonoTime until) {
  PollAll(clock.Now());
  int spins_at_same_time = 0;
  MonoTime last = clock.Now();
  while (true) {
    const MonoTime next = NextEvent();
    spins_at_same_time = next == last ? spins_at_same_time + 1 : 0;
    last = next;
    if (spins_at_same_time > 100000) {
      stalled_ = true;
      return;
    }
    if (next > until || next == MonoTime::Infinite()) {
      if (clock.Now() < until) clock.Set(until);
      PollAll(clock.Now());
      return;
    }
    if (next > clock.Now()) clock.Set(next);
    const MonoTime now = clock.Now();
    // Deliver everything due now, then let the engines react.
    while (!pending_.empty() && pending_.begin()->first <= now) {
      const ParsedReply reply = pending_.begin()->second;
      pending_.erase(pending_.begin());
      std::optional<TraceRegistry::Route> route = registry.RouteReply(reply);
      auto it = route.has_value() ? traces_.find(route->trace) : traces_.end();
      if (it == traces_.end()) {
        ++replies_dropped_;
        continue;
      }
      ++replies_routed_;
      it->second.engine->OnReply(route->sequence, reply, now);
    }
    PollAll(now);
  }
}

void FakeNetwork::RunUntilFinished(FakeClock& clock, const TraceRegistry& registry,
                                   absl::Duration limit) {
  const MonoTime deadline = clock.Now() + limit;
  PollAll(clock.Now());
  while (!AllFinished() && !stalled_ && clock.Now() < deadline) {
    const MonoTime next = std::min(NextEvent(), deadline);
    RunUntil(clock, registry, next);
  }
}

}  // namespace pathpair::engine::testing

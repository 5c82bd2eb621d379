#include "agent/engine/trace_engine.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace pathpair::engine {
namespace {

using packet::ReplyKind;

// ICMP Destination Unreachable "port unreachable": how a UDP probe reaches its target.
constexpr uint8_t kIcmpv4PortUnreachable = 3;
constexpr uint8_t kIcmpv6PortUnreachable = 4;

constexpr uint16_t kFirstSequence = 1;
constexpr uint16_t kLastSequence = 0xfffe;  // 0 and 0xffff are never used (UDP checksum)

constexpr int kDefaultUdpPort = 33434;  // as mtr and traceroute
constexpr int kDefaultTcpPort = 80;     // as mtr

bool IsPortUnreachable(const packet::ParsedReply& reply) {
  return reply.kind == ReplyKind::kDestinationUnreachable &&
         reply.icmp_code ==
             (reply.responder.is_v6() ? kIcmpv6PortUnreachable : kIcmpv4PortUnreachable);
}

// What a reply says about the path at its probe's TTL.
enum class Outcome { kTransit, kDestination, kUnreachable };

Outcome Classify(const ProbeIdentity& identity, const packet::ParsedReply& reply) {
  switch (reply.kind) {
    case ReplyKind::kTimeExceeded:
      return Outcome::kTransit;
    case ReplyKind::kEchoReply:
    case ReplyKind::kTcpSynAck:
    case ReplyKind::kTcpRst:
      return Outcome::kDestination;  // MatchReply only accepts these from the target
    case ReplyKind::kDestinationUnreachable:
      if (identity.protocol == packet::ProbeProtocol::kUdp && IsPortUnreachable(reply) &&
          reply.responder == identity.target) {
        return Outcome::kDestination;
      }
      return Outcome::kUnreachable;
  }
  return Outcome::kTransit;
}

absl::Duration MicrosOrDefault(int64_t micros, absl::Duration fallback) {
  return micros == 0 ? fallback : absl::Microseconds(micros);
}

absl::Status CheckRange(int64_t value, int64_t low, int64_t high, absl::string_view what) {
  if (value < low || value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be between ", low, " and ", high, ", not ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<packet::ProbeProtocol> ProtocolOf(v1::Protocol protocol) {
  switch (protocol) {
    case v1::PROTOCOL_UNSPECIFIED:
    case v1::PROTOCOL_ICMP:
      return packet::ProbeProtocol::kIcmp;
    case v1::PROTOCOL_UDP:
      return packet::ProbeProtocol::kUdp;
    case v1::PROTOCOL_TCP:
      return packet::ProbeProtocol::kTcp;
    default:
      return absl::InvalidArgumentError("unknown protocol");
  }
}

}  // namespace

absl::Status TraceConfig::Validate() const {
  if (first_ttl.value() < 1 || first_ttl.value() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("first TTL must be 1..255, got ", first_ttl.value()));
  }
  if (max_ttl.value() < first_ttl.value() || max_ttl.value() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("max TTL must be ", first_ttl.value(), "..255, got ", max_ttl.value()));
  }
  if (count < 0) return absl::InvalidArgumentError("count must not be negative");
  if (interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("interval must be positive");
  }
  if (probe_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("probe timeout must be positive");
  }
  if (grace <= absl::ZeroDuration()) return absl::InvalidArgumentError("grace must be positive");
  if (max_unknown < 1) return absl::InvalidArgumentError("max unknown must be at least 1");
  if (flows < 1 || flows > TraceRegistry::kMaxFlows) {
    return absl::InvalidArgumentError(
        absl::StrCat("flows must be 1..", TraceRegistry::kMaxFlows, ", got ", flows));
  }
  if (ip_version != 0 && ip_version != 4 && ip_version != 6) {
    return absl::InvalidArgumentError(absl::StrCat("IP version must be 4 or 6, not ", ip_version));
  }
  PATHPAIR_RETURN_IF_ERROR(CheckRange(tos, 0, 255, "TOS (-Q)"));
  PATHPAIR_RETURN_IF_ERROR(CheckRange(bit_pattern, 0, 255, "bit pattern (-B)"));
  PATHPAIR_RETURN_IF_ERROR(CheckRange(destination_port, 0, 65535, "port (-P)"));
  PATHPAIR_RETURN_IF_ERROR(CheckRange(local_port, 0, 65535, "local port (-L)"));
  return CheckRange(packet_size, 0, packet::kMaxPacketSize, "packet size (-s)");
}

absl::StatusOr<TraceConfig> TraceConfig::FromProto(const v1::ProbeOptions& options) {
  if (options.interval_us() < 0 || options.probe_timeout_us() < 0 || options.grace_us() < 0 ||
      options.first_ttl() < 0 || options.max_ttl() < 0 || options.max_unknown() < 0 ||
      options.flows() < 0) {
    return absl::InvalidArgumentError("probe options must not be negative");
  }
  TraceConfig config;
  if (options.first_ttl() != 0) config.first_ttl = Ttl(options.first_ttl());
  if (options.max_ttl() != 0) config.max_ttl = Ttl(options.max_ttl());
  config.count = options.count();
  config.interval = MicrosOrDefault(options.interval_us(), config.interval);
  config.probe_timeout = MicrosOrDefault(options.probe_timeout_us(), config.probe_timeout);
  config.grace = MicrosOrDefault(options.grace_us(), config.grace);
  if (options.max_unknown() != 0) config.max_unknown = options.max_unknown();
  if (options.flows() != 0) config.flows = options.flows();
  PATHPAIR_ASSIGN_OR_RETURN(config.protocol, ProtocolOf(options.protocol()));
  config.ip_version = options.ip_version();
  config.destination_port = options.port();
  if (config.destination_port == 0 && config.protocol != packet::ProbeProtocol::kIcmp) {
    config.destination_port =
        config.protocol == packet::ProbeProtocol::kUdp ? kDefaultUdpPort : kDefaultTcpPort;
  }
  config.local_port = options.local_port();
  config.tos = options.tos();
  config.bit_pattern = options.bit_pattern();
  if (options.packet_size() != 0) config.packet_size = options.packet_size();
  PATHPAIR_RETURN_IF_ERROR(config.Validate());
  return config;
}

absl::Status TraceConfig::CheckTarget(const IpAddress& target) const {
  if (ip_version != 0 && ip_version != static_cast<int>(target.family())) {
    return absl::InvalidArgumentError(
        absl::StrCat("target ", target.ToString(), " is not an IPv", ip_version, " address"));
  }
  return absl::OkStatus();
}

TraceRegistry::Request TraceConfig::RegistryRequest(const IpAddress& target) const {
  TraceRegistry::Request request;
  request.protocol = protocol;
  request.target = target;
  request.flows = flows;
  if (protocol != packet::ProbeProtocol::kIcmp) {
    request.destination_port = static_cast<uint16_t>(destination_port);
    if (local_port != 0) request.fixed_identifier = static_cast<uint16_t>(local_port);
  }
  return request;
}

packet::ProbeSpec TraceConfig::BaseProbeSpec(const IpAddress& source) const {
  packet::ProbeSpec spec;
  spec.source = source;
  spec.tos = static_cast<uint8_t>(tos);
  spec.packet_size = static_cast<size_t>(packet_size);
  spec.fill = static_cast<uint8_t>(bit_pattern);
  return spec;
}

TraceEngine::TraceEngine(const TraceConfig& config, const ProbeIdentity& identity, MonoTime start)
    : config_(config), identity_(identity), next_round_at_(start) {
  // Defend against a config that skipped Validate(): keep the state machine well defined.
  config_.first_ttl = Ttl(std::clamp(config_.first_ttl.value(), 1, 255));
  config_.max_ttl = Ttl(std::clamp(config_.max_ttl.value(), config_.first_ttl.value(), 255));
  config_.count = std::max(config_.count, 0);
  config_.max_unknown = std::max(config_.max_unknown, 1);
  config_.flows = std::clamp(config_.flows, 1, TraceRegistry::kMaxFlows);
  if (config_.interval <= absl::ZeroDuration()) config_.interval = absl::Seconds(1);
  if (config_.probe_timeout <= absl::ZeroDuration()) config_.probe_timeout = absl::Seconds(10);
  if (config_.grace <= absl::ZeroDuration()) config_.grace = absl::Seconds(5);
}

std::vector<ProbeRequest> TraceEngine::Poll(MonoTime now) {
  std::vector<ProbeRequest> due;
  Poll(now, due);
  return due;
}

void TraceEngine::Poll(MonoTime now, std::vector<ProbeRequest>& due) {
  Advance(now);
  if (!finished_) {
    SkipEndedSweeps();
    ForEachSweepingRound(*this,
                         [&](int round, RoundState& state) { StepSweep(round, state, now, due); });
  }
  const bool rounds_left = config_.count == 0 || rounds_started_ < config_.count;
  if (!stopped_ && !paused_ && !finished_ && rounds_left && now >= next_round_at_) {
    StartRound(now, due);
    next_round_at_ = next_round_at_ + config_.interval;
    if (next_round_at_ <= now) next_round_at_ = now + config_.interval;  // no catch-up bursts
    if (config_.count != 0 && rounds_started_ >= config_.count) {
      stopped_ = true;
      grace_deadline_ = now + config_.grace;
    }
  }
  MaybeFinish(now);
}

TraceEngine::RoundState* TraceEngine::FindRound(int round) {
  const int index = round - rounds_retired_;
  if (index < 0 || index >= static_cast<int>(rounds_.size())) return nullptr;
  return &rounds_[index];
}

void TraceEngine::SkipEndedSweeps() {
  first_sweeping_round_ = std::max(first_sweeping_round_, rounds_retired_);
  const int end = rounds_retired_ + static_cast<int>(rounds_.size());
  while (first_sweeping_round_ < end &&
         !rounds_[first_sweeping_round_ - rounds_retired_].sweeping) {
    ++first_sweeping_round_;
  }
}

template <typename Self, typename Visit>
void TraceEngine::ForEachSweepingRound(Self& self, Visit visit) {
  const int end = self.rounds_retired_ + static_cast<int>(self.rounds_.size());
  for (int round = std::max(self.first_sweeping_round_, self.rounds_retired_); round < end;
       ++round) {
    auto& state = self.rounds_[round - self.rounds_retired_];
    if (state.sweeping) visit(round, state);
  }
}

void TraceEngine::StartRound(MonoTime now, std::vector<ProbeRequest>& due) {
  const int round = rounds_started_++;
  RoundState& state = rounds_.emplace_back();
  state.flow = round % FlowCount(identity_);
  state.next_ttl = config_.first_ttl.value();
  state.top_sent = state.settled_top = config_.first_ttl.value() - 1;
  state.matures_at = now;
  if (end_ttl_.has_value()) {
    // The end is known: the whole round at once, as far as it.
    const Ttl limit = ProbeLimit();
    const std::vector<absl::Duration> overdue_delays = OverdueDelays(limit);
    state.answers.reserve(limit.value() - state.next_ttl + 1);  // one allocation per round
    for (; state.next_ttl <= limit.value(); ++state.next_ttl) {
      const absl::Duration delay = overdue_delays[state.next_ttl - config_.first_ttl.value()];
      // 65534 probes in flight: the rest of this round is skipped.
      if (!SendProbe(round, state, Ttl(state.next_ttl), delay, now, due)) break;
    }
  } else {
    state.sweeping = true;
    state.next_step_at = now;
    StepSweep(round, state, now, due);
  }
  RefreshRound(state);
}

bool TraceEngine::SendProbe(int round, RoundState& state, Ttl ttl, absl::Duration overdue_delay,
                            MonoTime now, std::vector<ProbeRequest>& due) {
  std::optional<Sequence> sequence = AllocateSequence();
  if (!sequence.has_value()) return false;
  const MonoTime overdue_at = now + overdue_delay;
  in_flight_.emplace(*sequence, InFlight{ttl, round, now, overdue_at, false});
  deadlines_.emplace(now + config_.probe_timeout, *sequence);
  overdue_deadlines_.emplace(overdue_at, *sequence);
  ++state.in_flight;
  ++state.pending;
  state.top_sent = std::max(state.top_sent, ttl.value());
  state.matures_at = std::max(state.matures_at, overdue_at);
  due.push_back(ProbeRequest{*sequence, ttl, state.flow});
  return true;
}

bool TraceEngine::SweepMayStep(const RoundState& state) const {
  return state.sweeping && state.next_ttl <= ProbeLimit().value() &&
         state.next_ttl <= state.settled_top + kSweepWindow;
}

void TraceEngine::StepSweep(int round, RoundState& state, MonoTime now,
                            std::vector<ProbeRequest>& due) {
  if (SweepMayStep(state) && now >= state.next_step_at) {
    const Ttl ttl(state.next_ttl);
    if (SendProbe(round, state, ttl, OverdueDelay(ttl), now, due)) {
      ++state.next_ttl;
      state.next_step_at = now + SweepPace();
    } else {
      state.sweeping = false;  // no sequence free: the rest of this round is skipped
    }
  }
  RefreshRound(state);
}

void TraceEngine::RefreshRound(RoundState& state) {
  if (state.sweeping) {
    if (state.next_ttl > HardLimit().value()) {
      state.sweeping = false;  // max_ttl, or the path ends before the next TTL
    } else if (state.next_ttl > ProbeLimit().value() && state.pending == 0) {
      state.sweeping = false;  // -U: nothing that could still answer would move the limit
    }
  }
  if (!state.settled && !state.sweeping && state.pending == 0) {
    state.settled = true;
    ++rounds_settled_;
  }
}

void TraceEngine::RefreshAllRounds() {
  for (RoundState& state : rounds_) RefreshRound(state);
}

void TraceEngine::OnSent(Sequence sequence, MonoTime sent_at) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end() || it->second.sent_at == sent_at) return;
  InFlight& probe = it->second;
  const absl::Duration overdue_delay = probe.overdue_at - probe.sent_at;
  // Every probe comes here once: its deadlines move without freeing and allocating a node.
  const auto move_deadline = [sequence](std::set<std::pair<MonoTime, Sequence>>& deadlines,
                                        MonoTime from, MonoTime to) {
    auto node = deadlines.extract({from, sequence});
    if (node.empty()) return;
    node.value().first = to;
    deadlines.insert(std::move(node));
  };
  move_deadline(deadlines_, probe.sent_at + config_.probe_timeout, sent_at + config_.probe_timeout);
  if (!probe.overdue) move_deadline(overdue_deadlines_, probe.overdue_at, sent_at + overdue_delay);
  probe.sent_at = sent_at;
  probe.overdue_at = sent_at + overdue_delay;
  if (RoundState* round = FindRound(probe.round)) {
    round->matures_at = std::max(round->matures_at, probe.overdue_at);
  }
}

void TraceEngine::OnSendFailed(Sequence sequence, const absl::Status& error) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end()) return;
  const MonoTime when = it->second.sent_at;
  CountLost(sequence);
  last_send_error_ = error;
  Resolve(sequence);
  MaybeFinish(when);
}

std::optional<AcceptedReply> TraceEngine::OnReply(Sequence sequence,
                                                  const packet::ParsedReply& reply,
                                                  MonoTime received_at) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end()) return std::nullopt;  // unknown, expired or already answered
  if (MatchReply(identity_, reply) != sequence) return std::nullopt;  // not a reply to it
  const InFlight probe = it->second;
  if (received_at >= probe.sent_at + config_.probe_timeout) {
    // Poll was late to expire it, but the reply still came after the timeout: lost.
    CountLost(sequence);
    Resolve(sequence);
    MaybeFinish(received_at);
    return std::nullopt;
  }
  const absl::Duration rtt = std::max(absl::ZeroDuration(), received_at - probe.sent_at);
  HopState& hop = Hop(probe.ttl);
  // An overdue probe is already in `sent` as lost: its answer takes the loss back.
  if (!probe.overdue) ++hop.sent;
  ++hop.received;
  hop.worst_rtt = std::max(hop.worst_rtt, rtt);
  auto responder =
      std::find_if(hop.responders.begin(), hop.responders.end(),
                   [&](const ResponderState& r) { return r.address == reply.responder; });
  if (responder == hop.responders.end()) {
    // A second responder: the hop's own statistics start as the first one's (every reply so far).
    if (hop.responders.size() == 1) hop.rtt = hop.responders.front().rtt;
    responder = hop.responders.insert(hop.responders.end(), ResponderState{});
    responder->address = reply.responder;
  }
  ++responder->received;
  responder->rtt.Add(rtt);
  if (hop.responders.size() > 1) hop.rtt.Add(rtt);
  responder->mpls = reply.mpls;

  const Outcome outcome = Classify(identity_, reply);
  if (outcome == Outcome::kDestination) hop.destination = true;
  if (outcome == Outcome::kUnreachable) {
    hop.unreachable = true;
    hop.unreachable_code = reply.icmp_code;
  }
  const std::optional<Ttl> previous_end = end_ttl_;
  if (outcome != Outcome::kTransit) {
    end_ttl_ = end_ttl_.has_value() ? std::min(*end_ttl_, probe.ttl) : probe.ttl;
  }
  if (RoundState* round = FindRound(probe.round)) {
    RoundState& state = *round;
    state.settled_top = std::max(state.settled_top, probe.ttl.value());
    if (received_at < probe.overdue_at) {
      state.answers.push_back(Answer{probe.overdue_at, probe.ttl, reply.responder});
    }
    // The sweep's highest probe answered: the next TTL may go out now.
    if (state.sweeping && probe.ttl.value() == state.top_sent) {
      state.next_step_at = std::min(state.next_step_at, received_at);
    }
  }
  Resolve(sequence);
  if (end_ttl_ != previous_end) RefreshAllRounds();
  MaybeFinish(received_at);
  return AcceptedReply{probe.ttl, rtt, end_ttl_.has_value() && probe.ttl > *end_ttl_};
}

void TraceEngine::Stop(MonoTime now) {
  if (finished_) return;
  if (!stopped_) {
    stopped_ = true;
    stopped_early_ = config_.count == 0 || rounds_started_ < config_.count;
    grace_deadline_ = now + config_.grace;
  }
  Advance(now);
  MaybeFinish(now);
}

void TraceEngine::Interrupt(MonoTime now) {
  if (finished_) return;
  Advance(now);  // what is overdue or expired by now counts as lost
  // Probes younger than their overdue time are left out, answered or not.
  interrupted_rounds_ = rounds_retired_;
  // A round that could retire but waits for an earlier one counts here as if it had: it is not
  // sweeping, it matured, and its answers are all past their overdue time.
  for (const RoundState& state : rounds_) {
    if (!state.sweeping && state.matures_at <= now) ++interrupted_rounds_;
    for (const Answer& answer : state.answers) {
      if (answer.overdue_at <= now) continue;
      HopState& hop = Hop(answer.ttl);
      --hop.sent;
      --hop.received;
      for (ResponderState& responder : hop.responders) {
        if (responder.address == answer.responder) --responder.received;
      }
    }
  }
  in_flight_.clear();  // overdue ones are already counted; the rest are left out
  deadlines_.clear();
  overdue_deadlines_.clear();
  rounds_.clear();
  interrupted_ = true;
  stopped_ = true;
  finished_ = true;
  finished_at_ = now;
}

MonoTime TraceEngine::NextWakeup() const {
  if (finished_) return finished_at_;
  MonoTime wakeup = grace_deadline_;
  if (!stopped_ && !paused_) wakeup = std::min(wakeup, next_round_at_);
  if (!deadlines_.empty()) wakeup = std::min(wakeup, deadlines_.begin()->first);
  if (!overdue_deadlines_.empty()) wakeup = std::min(wakeup, overdue_deadlines_.begin()->first);
  ForEachSweepingRound(*this, [&](int, const RoundState& state) {
    if (SweepMayStep(state)) wakeup = std::min(wakeup, state.next_step_at);
  });
  return wakeup;
}

TraceResult TraceEngine::Snapshot() const {
  TraceResult result;
  result.target_address = identity_.target;
  // Reached when the hop that ends the path is the destination (not an unreachable hop).
  const HopState* end_hop = end_ttl_.has_value() ? FindHop(*end_ttl_) : nullptr;
  result.reached = end_hop != nullptr && end_hop->destination;
  result.rounds = interrupted_ ? interrupted_rounds_ : rounds_settled_;
  result.rounds_started = rounds_started_;
  result.interrupted = interrupted_ || stopped_early_;
  result.incomplete = result.interrupted;
  result.final = finished_;
  const int last = LastHopShown().value();
  for (int ttl = config_.first_ttl.value(); ttl <= last; ++ttl) {
    HopResult hop_result;
    hop_result.ttl = Ttl(ttl);
    const HopState* hop = FindHop(Ttl(ttl));
    if (hop != nullptr) {
      hop_result.sent = hop->sent;
      hop_result.received = hop->received;
      hop_result.rtt = hop->AllReplies().Summary();
      std::vector<const ResponderState*> order;
      for (const ResponderState& r : hop->responders) order.push_back(&r);
      std::stable_sort(order.begin(), order.end(),
                       [](const ResponderState* a, const ResponderState* b) {
                         return a->received > b->received;
                       });
      for (const ResponderState* r : order) {
        ResponderResult out;
        out.address = r->address;
        out.received = r->received;
        out.rtt = r->rtt.Summary();
        out.mpls = r->mpls;
        hop_result.responders.push_back(std::move(out));
      }
      if (end_ttl_.has_value() && Ttl(ttl) == *end_ttl_) {
        if (hop->destination) {
          hop_result.termination = HopTermination::kDestination;
        } else if (hop->unreachable) {
          hop_result.termination = HopTermination::kUnreachable;
          hop_result.unreachable_code = hop->unreachable_code;
        }
      }
    }
    result.hops.push_back(std::move(hop_result));
  }
  return result;
}

TraceEngine::HopState& TraceEngine::Hop(Ttl ttl) { return hops_[ttl]; }

const TraceEngine::HopState* TraceEngine::FindHop(Ttl ttl) const {
  auto it = hops_.find(ttl);
  return it == hops_.end() ? nullptr : &it->second;
}

std::optional<Sequence> TraceEngine::AllocateSequence() {
  constexpr int kSpan = kLastSequence - kFirstSequence + 1;
  for (int tries = 0; tries < kSpan; ++tries) {
    const Sequence candidate(next_sequence_);
    next_sequence_ = next_sequence_ >= kLastSequence ? kFirstSequence
                                                     : static_cast<uint16_t>(next_sequence_ + 1);
    if (!in_flight_.contains(candidate)) return candidate;
  }
  return std::nullopt;
}

void TraceEngine::CountLost(Sequence sequence) {
  InFlight& probe = in_flight_.at(sequence);
  if (probe.overdue) return;
  ++Hop(probe.ttl).sent;
  probe.overdue = true;
  overdue_deadlines_.erase({probe.overdue_at, sequence});
  if (RoundState* round = FindRound(probe.round)) {
    RoundState& state = *round;
    --state.pending;
    state.settled_top = std::max(state.settled_top, probe.ttl.value());
    RefreshRound(state);
  }
}

void TraceEngine::Resolve(Sequence sequence) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end()) return;
  const InFlight& probe = it->second;
  deadlines_.erase({probe.sent_at + config_.probe_timeout, sequence});
  if (!probe.overdue) overdue_deadlines_.erase({probe.overdue_at, sequence});
  if (RoundState* round = FindRound(probe.round)) {
    RoundState& state = *round;
    --state.in_flight;
    if (!probe.overdue) --state.pending;
    in_flight_.erase(it);
    RefreshRound(state);
    return;
  }
  in_flight_.erase(it);
}

void TraceEngine::MarkOverdueUntil(MonoTime now) {
  // Earliest first (ties by sequence), so results never depend on hash-map order.
  while (!overdue_deadlines_.empty() && overdue_deadlines_.begin()->first <= now) {
    CountLost(overdue_deadlines_.begin()->second);  // erases the overdue deadline
  }
}

void TraceEngine::ExpireUntil(MonoTime now) {
  const bool grace_over = now >= grace_deadline_;
  while (!deadlines_.empty() && (grace_over || deadlines_.begin()->first <= now)) {
    const Sequence sequence = deadlines_.begin()->second;
    CountLost(sequence);
    Resolve(sequence);  // erases the deadline
  }
}

void TraceEngine::RetireRounds(MonoTime now) {
  // Oldest first, stopping at the first that cannot retire yet (see rounds_).
  while (!rounds_.empty()) {
    const RoundState& state = rounds_.front();
    if (!state.settled || state.in_flight != 0 || state.matures_at > now) return;
    ++rounds_retired_;
    rounds_.pop_front();
  }
}

void TraceEngine::Advance(MonoTime now) {
  if (finished_) return;
  MarkOverdueUntil(now);
  ExpireUntil(now);
  RetireRounds(now);
}

void TraceEngine::MaybeFinish(MonoTime now) {
  if (finished_ || !stopped_) return;
  if (now >= grace_deadline_) {
    ExpireUntil(now);
    for (RoundState& state : rounds_) {
      state.sweeping = false;  // TTLs a sweep had not reached by now are never sent
      RefreshRound(state);
    }
  }
  bool sweeping = false;
  ForEachSweepingRound(*this, [&](int, const RoundState&) { sweeping = true; });
  if (in_flight_.empty() && !sweeping) {
    finished_ = true;
    finished_at_ = now;
  }
}

absl::Duration TraceEngine::HighestRtt() const {
  absl::Duration highest = absl::ZeroDuration();
  for (const auto& [ttl, hop] : hops_) highest = std::max(highest, hop.worst_rtt);
  return highest;
}

std::vector<absl::Duration> TraceEngine::OverdueDelays(Ttl last) const {
  const int first = config_.first_ttl.value();
  std::vector<absl::Duration> reference(std::max(last.value() - first + 1, 1));
  // The highest RTT at each TTL or any later one: one pass from the last TTL seen down.
  absl::Duration beyond = absl::ZeroDuration();
  auto hop = hops_.rbegin();
  for (int ttl = std::max(last.value(), hops_.empty() ? 0 : hops_.rbegin()->first.value());
       ttl >= first; --ttl) {
    for (; hop != hops_.rend() && hop->first.value() >= ttl; ++hop) {
      beyond = std::max(beyond, hop->second.worst_rtt);
    }
    if (ttl <= last.value()) reference[ttl - first] = beyond;
  }
  // None answered at a TTL or beyond yet: the highest RTT anywhere (`beyond`, now all hops).
  for (absl::Duration& delay : reference) {
    if (delay == absl::ZeroDuration()) delay = beyond;
    delay = std::min(std::max(kOverdueFloor, kOverdueRttMultiple * delay), config_.probe_timeout);
  }
  return reference;
}

absl::Duration TraceEngine::SweepPace() const {
  return std::clamp(kSweepPaceRttMultiple * HighestRtt(), kMinSweepPace, kMaxSweepPace);
}

Ttl TraceEngine::HardLimit() const {
  int limit = config_.max_ttl.value();
  if (end_ttl_.has_value()) limit = std::min(limit, end_ttl_->value());
  return Ttl(limit);
}

Ttl TraceEngine::ProbeLimit() const {
  const int limit = std::min(HardLimit().value(), LastResponding().value() + config_.max_unknown);
  return Ttl(std::max(limit, config_.first_ttl.value()));
}

Ttl TraceEngine::LastResponding() const {
  int last = config_.first_ttl.value() - 1;
  for (const auto& [ttl, hop] : hops_) {
    if (hop.received == 0) continue;
    if (end_ttl_.has_value() && ttl > *end_ttl_) continue;
    last = std::max(last, ttl.value());
  }
  return Ttl(last);
}

Ttl TraceEngine::LastHopShown() const {
  int last = end_ttl_.has_value() ? end_ttl_->value() : LastResponding().value() + 1;
  last = std::clamp(last, config_.first_ttl.value(), config_.max_ttl.value());
  return Ttl(last);
}

}  // namespace pathpair::engine

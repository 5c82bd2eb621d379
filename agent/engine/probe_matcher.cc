#include "agent/engine/probe_matcher.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::engine {
namespace {

using packet::ParsedReply;
using packet::ProbeProtocol;
using packet::ReplyKind;

// Random source ports come from the Linux ephemeral range so that they look like ordinary
// client traffic to firewalls and never hit well-known services.
constexpr uint32_t kFirstRandomPort = 32768;
constexpr uint32_t kLastRandomPort = 60999;

bool IsOurFlow(const ProbeIdentity& identity, uint16_t identifier) {
  if (identifier == TraceIdentifier(identity)) return true;
  return std::find(identity.extra_flow_identifiers.begin(), identity.extra_flow_identifiers.end(),
                   identifier) != identity.extra_flow_identifiers.end();
}

std::optional<Sequence> MatchQuote(const ProbeIdentity& identity,
                                   const packet::QuotedProbe& quote) {
  if (quote.protocol != identity.protocol || quote.destination != identity.target) {
    return std::nullopt;
  }
  switch (identity.protocol) {
    case ProbeProtocol::kIcmp:
      if (!IsOurFlow(identity, quote.icmp_id)) return std::nullopt;
      return Sequence(quote.icmp_sequence);
    case ProbeProtocol::kUdp:
      if (!IsOurFlow(identity, quote.source_port) ||
          quote.destination_port != identity.destination_port) {
        return std::nullopt;
      }
      return Sequence(quote.udp_checksum);
    case ProbeProtocol::kTcp:
      if (!IsOurFlow(identity, quote.source_port) ||
          quote.destination_port != identity.destination_port ||
          (quote.tcp_sequence >> 16) != identity.tcp_sequence_high) {
        return std::nullopt;
      }
      return Sequence(static_cast<uint16_t>(quote.tcp_sequence & 0xffff));
  }
  return std::nullopt;
}

}  // namespace

void FillProbeSpec(const ProbeIdentity& identity, Sequence sequence, Ttl ttl,
                   packet::ProbeSpec* spec, int flow) {
  spec->protocol = identity.protocol;
  spec->destination = identity.target;
  spec->icmp_id = identity.icmp_id;
  spec->source_port = identity.source_port;
  spec->destination_port = identity.destination_port;
  spec->tcp_sequence_high = identity.tcp_sequence_high;
  spec->sequence = sequence.value();
  spec->ttl = static_cast<uint8_t>(std::clamp(ttl.value(), 0, 255));
  // The flow's identifier replaces flow 0's.
  const uint16_t identifier = FlowIdentifier(identity, flow);
  if (identity.protocol == ProbeProtocol::kIcmp) {
    spec->icmp_id = identifier;
  } else {
    spec->source_port = identifier;
  }
}

int FlowCount(const ProbeIdentity& identity) {
  return 1 + static_cast<int>(identity.extra_flow_identifiers.size());
}

uint16_t FlowIdentifier(const ProbeIdentity& identity, int flow) {
  const int count = FlowCount(identity);
  const int index = ((flow % count) + count) % count;
  return index == 0 ? TraceIdentifier(identity)
                    : identity.extra_flow_identifiers[static_cast<size_t>(index - 1)];
}

uint16_t TraceIdentifier(const ProbeIdentity& identity) {
  return identity.protocol == ProbeProtocol::kIcmp ? identity.icmp_id : identity.source_port;
}

std::optional<Sequence> MatchReply(const ProbeIdentity& identity, const ParsedReply& reply) {
  switch (reply.kind) {
    case ReplyKind::kEchoReply:
      if (identity.protocol != ProbeProtocol::kIcmp || reply.responder != identity.target ||
          !IsOurFlow(identity, reply.echo_id)) {
        return std::nullopt;
      }
      return Sequence(reply.echo_sequence);
    case ReplyKind::kTimeExceeded:
    case ReplyKind::kDestinationUnreachable:
      if (!reply.quote.has_value()) return std::nullopt;
      return MatchQuote(identity, *reply.quote);
    case ReplyKind::kTcpSynAck:
    case ReplyKind::kTcpRst: {
      if (identity.protocol != ProbeProtocol::kTcp || reply.responder != identity.target ||
          reply.tcp_source_port != identity.destination_port ||
          !IsOurFlow(identity, reply.tcp_destination_port)) {
        return std::nullopt;
      }
      // The peer acknowledges our SYN's sequence + 1. Unsigned wrap-around is intended.
      const uint32_t probe_sequence = reply.tcp_ack - 1u;
      if ((probe_sequence >> 16) != identity.tcp_sequence_high) return std::nullopt;
      return Sequence(static_cast<uint16_t>(probe_sequence & 0xffff));
    }
  }
  return std::nullopt;
}

bool IsFromTarget(const ProbeIdentity& identity, const ParsedReply& reply) {
  return reply.responder == identity.target;
}

TraceRegistry::TraceRegistry(std::function<uint32_t()> random) : random_(std::move(random)) {
  if (!random_) {
    random_ = [gen = std::make_shared<absl::BitGen>()]() { return absl::Uniform<uint32_t>(*gen); };
  }
}

std::optional<uint16_t> TraceRegistry::FreeIdentifier(ProbeProtocol protocol) const {
  const bool icmp = protocol == ProbeProtocol::kIcmp;
  const uint32_t first = icmp ? 1 : kFirstRandomPort;
  const uint32_t span = icmp ? 0xffff : kLastRandomPort - kFirstRandomPort + 1;
  // Start at a random point and walk forward, so the search ends even when nearly full.
  const uint32_t start = random_() % span;
  for (uint32_t i = 0; i < span; ++i) {
    const auto candidate = static_cast<uint16_t>(first + (start + i) % span);
    if (!by_key_.contains(Key{protocol, candidate})) return candidate;
  }
  return std::nullopt;
}

absl::StatusOr<TraceRegistry::Registration> TraceRegistry::Register(const Request& request) {
  if (request.flows < 1 || request.flows > kMaxFlows) {
    return absl::InvalidArgumentError(
        absl::StrCat("flows must be 1..", kMaxFlows, ", got ", request.flows));
  }
  uint16_t identifier = 0;
  if (request.fixed_identifier.has_value()) {
    identifier = *request.fixed_identifier;
    auto bucket = by_key_.find(Key{request.protocol, identifier});
    if (bucket != by_key_.end()) {
      for (TraceId other : bucket->second) {
        const ProbeIdentity& live = traces_.at(other);
        if (live.target == request.target && live.destination_port == request.destination_port) {
          return absl::AlreadyExistsError(
              "a live trace already uses this identifier for the same target");
        }
      }
    }
  } else {
    std::optional<uint16_t> free = FreeIdentifier(request.protocol);
    if (!free.has_value()) {
      return absl::ResourceExhaustedError("no free probe identifier for a new trace");
    }
    identifier = *free;
  }

  ProbeIdentity identity;
  identity.protocol = request.protocol;
  identity.target = request.target;
  if (request.protocol == ProbeProtocol::kIcmp) {
    identity.icmp_id = identifier;
  } else {
    identity.source_port = identifier;
    identity.destination_port = request.destination_port;
  }
  if (request.protocol == ProbeProtocol::kTcp) {
    identity.tcp_sequence_high = static_cast<uint16_t>(random_() & 0xffff);
  }

  const TraceId trace = next_trace_++;
  by_key_[Key{request.protocol, identifier}].push_back(trace);
  // Extra flows take identifiers no live trace (this one included) uses, so each routes to
  // exactly this trace.
  for (int flow = 1; flow < request.flows; ++flow) {
    std::optional<uint16_t> free = FreeIdentifier(request.protocol);
    if (!free.has_value()) {
      for (uint16_t taken : identity.extra_flow_identifiers) {
        by_key_.erase(Key{request.protocol, taken});
      }
      auto bucket = by_key_.find(Key{request.protocol, identifier});
      std::erase(bucket->second, trace);
      if (bucket->second.empty()) by_key_.erase(bucket);
      return absl::ResourceExhaustedError("no free probe identifier for a new trace's flows");
    }
    identity.extra_flow_identifiers.push_back(*free);
    by_key_[Key{request.protocol, *free}].push_back(trace);
  }
  traces_.emplace(trace, identity);
  return Registration{trace, identity};
}

void TraceRegistry::Unregister(TraceId trace) {
  auto it = traces_.find(trace);
  if (it == traces_.end()) return;
  const ProbeIdentity identity = std::move(it->second);
  traces_.erase(it);
  for (int flow = 0; flow < FlowCount(identity); ++flow) {
    auto bucket = by_key_.find(Key{identity.protocol, FlowIdentifier(identity, flow)});
    if (bucket == by_key_.end()) continue;
    std::erase(bucket->second, trace);
    if (bucket->second.empty()) by_key_.erase(bucket);
  }
}

std::optional<TraceRegistry::Key> TraceRegistry::KeyOf(const ParsedReply& reply) {
  switch (reply.kind) {
    case ReplyKind::kEchoReply:
      return Key{ProbeProtocol::kIcmp, reply.echo_id};
    case ReplyKind::kTimeExceeded:
    case ReplyKind::kDestinationUnreachable:
      if (!reply.quote.has_value()) return std::nullopt;
      return Key{reply.quote->protocol, reply.quote->protocol == ProbeProtocol::kIcmp
                                            ? reply.quote->icmp_id
                                            : reply.quote->source_port};
    case ReplyKind::kTcpSynAck:
    case ReplyKind::kTcpRst:
      return Key{ProbeProtocol::kTcp, reply.tcp_destination_port};
  }
  return std::nullopt;
}

std::optional<TraceRegistry::Route> TraceRegistry::RouteReply(const ParsedReply& reply) const {
  const std::optional<Key> key = KeyOf(reply);
  if (!key.has_value()) return std::nullopt;
  auto bucket = by_key_.find(*key);
  if (bucket == by_key_.end()) return std::nullopt;
  for (TraceId trace : bucket->second) {
    auto it = traces_.find(trace);
    if (it == traces_.end()) continue;
    if (std::optional<Sequence> sequence = MatchReply(it->second, reply)) {
      return Route{trace, *sequence};
    }
  }
  return std::nullopt;
}

}  // namespace pathpair::engine

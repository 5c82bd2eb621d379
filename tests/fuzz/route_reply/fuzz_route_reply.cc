// Fuzz target: TraceRegistry::RouteReply (agent/engine/probe_matcher.h), which decides for every
// packet the probe sockets receive (anything anyone sends us) which trace and probe it answers.
// Seven traces are live (ICMP, UDP and TCP over both families, one ICMP trace with three flows);
// the input is a packet as a raw socket delivers it (first byte even: IPv4, odd: IPv6), parsed
// by the codec. A routed reply must go to a live trace whose own identity matches it with the
// same sequence.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "agent/engine/probe_matcher.h"
#include "common/packet/packet.h"
#include "tests/fuzz/fuzz_check.h"

namespace pathpair::engine {
namespace {

using packet::ProbeProtocol;

// The registry and its traces, set up once. Their identifiers are those the seed packets of
// tests/fuzz/ipv4_packet and ipv6_packet (make_corpus.py) quote.
struct Traces {
  uint32_t next_random = 0;
  TraceRegistry registry{[this] { return next_random++; }};
  std::map<TraceRegistry::TraceId, ProbeIdentity> identities;

  void Add(TraceRegistry::Request request, uint32_t random) {
    next_random = random;
    absl::StatusOr<TraceRegistry::Registration> registration = registry.Register(request);
    FUZZ_CHECK(registration.ok());
    identities[registration->trace] = registration->identity;
  }

  Traces() {
    const IpAddress target4 = *IpAddress::Parse("203.0.113.9");
    const IpAddress target6 = *IpAddress::Parse("2001:db8:1::9");
    Add({.protocol = ProbeProtocol::kIcmp, .target = target4, .fixed_identifier = 0xBEEF}, 0);
    Add({.protocol = ProbeProtocol::kUdp,
         .target = target4,
         .destination_port = 33434,
         .fixed_identifier = 33000},
        0);
    Add({.protocol = ProbeProtocol::kTcp,
         .target = target4,
         .destination_port = 80,
         .fixed_identifier = 40000},
        0xABCD);
    Add({.protocol = ProbeProtocol::kIcmp, .target = target6, .fixed_identifier = 0x1111}, 0);
    Add({.protocol = ProbeProtocol::kUdp,
         .target = target6,
         .destination_port = 33435,
         .fixed_identifier = 33001},
        0);
    Add({.protocol = ProbeProtocol::kTcp,
         .target = target6,
         .destination_port = 443,
         .fixed_identifier = 40001},
        0x0001);
    Add({.protocol = ProbeProtocol::kIcmp, .target = target4, .flows = 3}, 0x1234);
  }
};

}  // namespace
}  // namespace pathpair::engine

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair;
  static engine::Traces* traces = new engine::Traces();
  if (size == 0) return 0;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const absl::StatusOr<packet::ParsedReply> reply =
      data[0] % 2 == 0 ? packet::ParseIpv4Packet(bytes) : packet::ParseIpv6Packet(bytes);
  if (!reply.ok()) return 0;
  const std::optional<engine::TraceRegistry::Route> route = traces->registry.RouteReply(*reply);
  if (!route.has_value()) return 0;
  const auto identity = traces->identities.find(route->trace);
  FUZZ_CHECK(identity != traces->identities.end());
  const std::optional<engine::Sequence> matched = engine::MatchReply(identity->second, *reply);
  FUZZ_CHECK(matched.has_value() && *matched == route->sequence);
  return 0;
}

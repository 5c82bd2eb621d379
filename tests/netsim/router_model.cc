#include "tests/netsim/router_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "tests/netsim/link_model.h"

namespace pathpair::netsim {
namespace {

void AddParsed(const std::string& text, std::vector<IpAddress>& out) {
  absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
  if (!text.empty() && a.ok()) out.push_back(*a);
}

}  // namespace

RouterModel::RouterModel(const v1::Router& router, uint64_t seed, MonoTime start)
    : name_(router.name()),
      icmp_source_(router.icmp_source()),
      forwarding_rng_(seed, absl::StrCat("router:forwarding:", router.name())),
      icmp_rng_(seed, absl::StrCat("router:icmp:", router.name())) {
  per_packet_ecmp_ = router.ecmp_mode() == v1::ECMP_PER_PACKET;
  for (const std::string& text : router.ipv4()) AddParsed(text, ipv4_);
  for (const std::string& text : router.ipv6()) AddParsed(text, ipv6_);
  for (const v1::Interface& i : router.interfaces()) {
    interfaces_[i.peer()] = i;
    std::vector<IpAddress>& v4 = interface_v4_[i.peer()];
    std::vector<IpAddress>& v6 = interface_v6_[i.peer()];
    AddParsed(i.ipv4(), v4);
    AddParsed(i.ipv6(), v6);
    if (v4.empty()) v4 = ipv4_;
    if (v6.empty()) v6 = ipv6_;
  }
  const int n = router.mpls_size();
  for (int i = 0; i < n; ++i) {
    const auto& m = router.mpls(i);
    mpls_.push_back(packet::MplsLabel{.label = m.label() & 0xfffff,
                                      .traffic_class = static_cast<uint8_t>(m.traffic_class() & 7),
                                      .bottom_of_stack = i == n - 1,
                                      .ttl = static_cast<uint8_t>(m.ttl() == 0 ? 1 : m.ttl())});
  }
  behaviors_.push_back(router.behavior());
  for (const auto& change : router.changes()) {
    behaviors_.push_back(change.set());
    change_times_s_.push_back(change.at_s());
  }
  for (const auto& b : behaviors_) {
    buckets_.emplace_back(b.icmp_rate_limit().rate_per_s(), b.icmp_rate_limit().burst(), start);
  }
}

size_t RouterModel::BehaviorIndex(absl::Duration since_start) const {
  const double t = absl::ToDoubleSeconds(since_start);
  size_t index = 0;
  for (size_t i = 0; i < change_times_s_.size(); ++i) {
    if (change_times_s_[i] <= t) index = i + 1;
  }
  return index;
}

const v1::RouterBehavior& RouterModel::Behavior(absl::Duration since_start) const {
  return behaviors_[BehaviorIndex(since_start)];
}

std::optional<IpAddress> RouterModel::AddressFor(IpFamily family, uint64_t flow_hash) const {
  const std::vector<IpAddress>& list = addresses(family);
  if (list.empty()) return std::nullopt;
  return list[flow_hash % list.size()];
}

const std::vector<IpAddress>& RouterModel::InterfaceAddresses(IpFamily family,
                                                              absl::string_view peer) const {
  const auto& by_peer = family == IpFamily::kV4 ? interface_v4_ : interface_v6_;
  auto it = by_peer.find(std::string(peer));
  return it != by_peer.end() ? it->second : addresses(family);
}

std::vector<IpAddress> RouterModel::AllAddresses(IpFamily family) const {
  std::vector<IpAddress> out = addresses(family);
  for (const auto& [peer, list] : family == IpFamily::kV4 ? interface_v4_ : interface_v6_) {
    for (const IpAddress& a : list) {
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
  }
  return out;
}

std::string RouterModel::PeerOf(const IpAddress& address) const {
  for (const auto& [peer, i] : interfaces_) {
    for (const std::string* text : {&i.ipv4(), &i.ipv6()}) {
      absl::StatusOr<IpAddress> a = IpAddress::Parse(*text);
      if (!text->empty() && a.ok() && *a == address) return peer;
    }
  }
  return "";
}

std::vector<IpAddress> RouterModel::ErrorSources(IcmpMessage message, IpFamily family,
                                                 absl::string_view ingress_peer,
                                                 absl::string_view egress_peer,
                                                 const std::optional<IpAddress>& probed) const {
  switch (icmp_source_) {
    case v1::ICMP_SOURCE_EGRESS:
      return InterfaceAddresses(family, egress_peer);
    case v1::ICMP_SOURCE_INGRESS:
      return InterfaceAddresses(family, ingress_peer);
    case v1::ICMP_SOURCE_ROUTER_ADDRESS:
      return addresses(family);
    default:
      break;
  }
  // Linux: a datagram to one of its addresses is answered from that address; a Time Exceeded
  // leaves from the egress over IPv4, from the ingress over IPv6.
  if (message == IcmpMessage::kPortUnreachable && probed.has_value()) return {*probed};
  return InterfaceAddresses(family, family == IpFamily::kV4 ? egress_peer : ingress_peer);
}

std::optional<IpAddress> RouterModel::Choose(std::span<const IpAddress> candidates,
                                             uint64_t flow_hash) {
  if (candidates.empty()) return std::nullopt;
  const uint64_t pick = per_packet_ecmp_ ? icmp_rng_.Next() : flow_hash;
  return candidates[pick % candidates.size()];
}

bool RouterModel::DropsForwarded(absl::Duration since_start) {
  return forwarding_rng_.Bernoulli(Behavior(since_start).forwarding_loss());
}

absl::Duration RouterModel::SlowPathDelay(const v1::RouterBehavior& b) {
  // Drawn for every message, sent or not, so that the stream does not depend on the bucket.
  const double jitter_ms = SampleJitterMs(b.slow_path_jitter(), icmp_rng_);
  return absl::Nanoseconds(std::llround((b.slow_path_delay_ms() + jitter_ms) * 1e6));
}

RouterModel::IcmpDecision RouterModel::DecideError(MonoTime now, absl::Duration since_start,
                                                   bool time_exceeded) {
  const size_t index = BehaviorIndex(since_start);
  const v1::RouterBehavior& b = behaviors_[index];
  IcmpDecision decision;
  decision.slow_path_delay = SlowPathDelay(b);
  if (time_exceeded && b.no_time_exceeded()) {
    decision.outcome = IcmpOutcome::kDisabled;
  } else if (!buckets_[index].TryTake(now)) {
    decision.outcome = IcmpOutcome::kRateLimited;
  }
  return decision;
}

RouterModel::IcmpDecision RouterModel::DecideTimeExceeded(MonoTime now,
                                                          absl::Duration since_start) {
  return DecideError(now, since_start, /*time_exceeded=*/true);
}

RouterModel::IcmpDecision RouterModel::DecidePortUnreachable(MonoTime now,
                                                             absl::Duration since_start) {
  return DecideError(now, since_start, /*time_exceeded=*/false);
}

absl::Duration RouterModel::EchoReplyDelay(absl::Duration since_start) {
  return SlowPathDelay(Behavior(since_start));
}

}  // namespace pathpair::netsim

#include "tests/netsim/router_model.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "tests/netsim/link_model.h"

namespace pathpair::netsim {

RouterModel::RouterModel(const v1::Router& router, uint64_t seed, MonoTime start)
    : name_(router.name()),
      forwarding_rng_(seed, absl::StrCat("router:forwarding:", router.name())),
      icmp_rng_(seed, absl::StrCat("router:icmp:", router.name())) {
  per_packet_ecmp_ = router.ecmp_mode() == v1::ECMP_PER_PACKET;
  for (const std::string& text : router.ipv4()) {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (a.ok()) ipv4_.push_back(*a);
  }
  for (const std::string& text : router.ipv6()) {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (a.ok()) ipv6_.push_back(*a);
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

std::optional<IpAddress> RouterModel::ChooseAddress(IpFamily family, uint64_t flow_hash) {
  return AddressFor(family, per_packet_ecmp_ ? icmp_rng_.Next() : flow_hash);
}

bool RouterModel::DropsForwarded(absl::Duration since_start) {
  return forwarding_rng_.Bernoulli(Behavior(since_start).forwarding_loss());
}

RouterModel::IcmpDecision RouterModel::DecideTimeExceeded(MonoTime now,
                                                          absl::Duration since_start) {
  const size_t index = BehaviorIndex(since_start);
  const v1::RouterBehavior& b = behaviors_[index];
  // Draw the slow-path jitter for every expiry so that the stream does not depend on the bucket.
  const double jitter_ms = SampleJitterMs(b.slow_path_jitter(), icmp_rng_);
  IcmpDecision decision;
  if (b.no_time_exceeded()) {
    decision.outcome = IcmpOutcome::kDisabled;
  } else if (!buckets_[index].TryTake(now)) {
    decision.outcome = IcmpOutcome::kRateLimited;
  }
  decision.slow_path_delay =
      absl::Nanoseconds(std::llround((b.slow_path_delay_ms() + jitter_ms) * 1e6));
  return decision;
}

}  // namespace pathpair::netsim

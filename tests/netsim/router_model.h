// The router model of pathpair-netsim: a router's addresses (several per family for ECMP), its
// behavior over time (ICMP Time Exceeded on/off, token-bucket rate limit, control-plane slow
// path, forwarding loss, loop, blackhole) and its MPLS labels. Pure: times and randomness are
// passed in or owned.
//
//   RouterModel r(scenario_router, seed, start);
//   if (r.Behavior(t).blackhole()) drop();
//   RouterModel::IcmpDecision d = r.DecideTimeExceeded(now, t);
#ifndef PATHPAIR_TESTS_NETSIM_ROUTER_MODEL_H_
#define PATHPAIR_TESTS_NETSIM_ROUTER_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"
#include "tests/netsim/netsim.pb.h"
#include "tests/netsim/sim_random.h"
#include "tests/netsim/token_bucket.h"

namespace pathpair::netsim {

class RouterModel {
 public:
  // The router must have passed ValidateScenario (its addresses parse).
  RouterModel(const v1::Router& router, uint64_t seed, MonoTime start);

  const std::string& name() const { return name_; }
  // The behavior in force `since_start` after the emulator started.
  const v1::RouterBehavior& Behavior(absl::Duration since_start) const;
  bool has_changes() const { return !change_times_s_.empty(); }

  // The address that answers for this flow (ECMP by flow hash); nullopt without one of the family.
  std::optional<IpAddress> AddressFor(IpFamily family, uint64_t flow_hash) const;
  // The address for one Time Exceeded about a packet of this flow, as the router's ECMP mode
  // says (by flow hash, or per packet from the router's own random stream).
  std::optional<IpAddress> ChooseAddress(IpFamily family, uint64_t flow_hash);
  const std::vector<IpAddress>& addresses(IpFamily family) const {
    return family == IpFamily::kV4 ? ipv4_ : ipv6_;
  }
  const std::vector<packet::MplsLabel>& mpls() const { return mpls_; }

  // Draws the forwarding loss for one packet it forwards.
  bool DropsForwarded(absl::Duration since_start);

  enum class IcmpOutcome { kSend, kDisabled, kRateLimited };
  struct IcmpDecision {
    IcmpOutcome outcome = IcmpOutcome::kSend;
    absl::Duration slow_path_delay = absl::ZeroDuration();
  };
  // A packet's TTL expired here at `now`: send a Time Exceeded or not, and after what delay.
  IcmpDecision DecideTimeExceeded(MonoTime now, absl::Duration since_start);

 private:
  size_t BehaviorIndex(absl::Duration since_start) const;

  std::string name_;
  std::vector<IpAddress> ipv4_;
  std::vector<IpAddress> ipv6_;
  std::vector<packet::MplsLabel> mpls_;
  bool per_packet_ecmp_ = false;
  // Index 0: the base behavior; i > 0: changes[i - 1].
  std::vector<v1::RouterBehavior> behaviors_;
  std::vector<double> change_times_s_;
  std::vector<TokenBucket> buckets_;  // one per behavior, so a change starts a fresh bucket
  SimRandom forwarding_rng_;
  SimRandom icmp_rng_;
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_ROUTER_MODEL_H_

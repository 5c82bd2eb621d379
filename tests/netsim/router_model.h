// The router model of pathpair-netsim: a router's addresses (router-wide, several per family for
// ECMP, and one per interface), which of them its ICMP messages come from, its behavior over
// time (ICMP Time Exceeded on/off, token-bucket rate limit, control-plane slow path, forwarding
// loss, loop, blackhole) and its MPLS labels. Pure: times and randomness are passed in or owned.
//
//   RouterModel r(scenario_router, seed, start);
//   if (r.Behavior(t).blackhole()) drop();
//   RouterModel::IcmpDecision d = r.DecideTimeExceeded(now, t);
//   std::vector<IpAddress> from = r.ErrorSources(RouterModel::IcmpMessage::kTimeExceeded,
//                                                IpFamily::kV4, "r1", "client", std::nullopt);
//   std::optional<IpAddress> source = r.Choose(from, flow_hash);
#ifndef PATHPAIR_TESTS_NETSIM_ROUTER_MODEL_H_
#define PATHPAIR_TESTS_NETSIM_ROUTER_MODEL_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"
#include "common/packet/packet.h"
#include "common/time/clock.h"
#include "tests/netsim/netsim.pb.h"
#include "tests/netsim/sim_random.h"
#include "tests/netsim/token_bucket.h"

namespace pathpair::netsim {

// The name of an endpoint when it is a router's neighbour (Interface.peer).
inline constexpr char kClientPeer[] = "client";
inline constexpr char kServerPeer[] = "server";

class RouterModel {
 public:
  // The router must have passed ValidateScenario (its addresses parse).
  RouterModel(const v1::Router& router, uint64_t seed, MonoTime start);

  const std::string& name() const { return name_; }
  // The behavior in force `since_start` after the emulator started.
  const v1::RouterBehavior& Behavior(absl::Duration since_start) const;
  bool has_changes() const { return !change_times_s_.empty(); }

  // The router-wide address that answers for this flow (ECMP by flow hash); nullopt without one
  // of the family.
  std::optional<IpAddress> AddressFor(IpFamily family, uint64_t flow_hash) const;
  // The router-wide addresses (Router.ipv4 / ipv6).
  const std::vector<IpAddress>& addresses(IpFamily family) const {
    return family == IpFamily::kV4 ? ipv4_ : ipv6_;
  }
  // The address(es) of the interface toward `peer` (a router name, kClientPeer or kServerPeer):
  // its own, else the router-wide ones.
  const std::vector<IpAddress>& InterfaceAddresses(IpFamily family, absl::string_view peer) const;
  // Every address of the family the router owns, router-wide first, then per interface.
  std::vector<IpAddress> AllAddresses(IpFamily family) const;
  // The peer whose interface holds `address`; empty for a router-wide address or one it lacks.
  std::string PeerOf(const IpAddress& address) const;
  const std::map<std::string, v1::Interface>& interfaces() const { return interfaces_; }
  v1::IcmpSource icmp_source() const { return icmp_source_; }
  const std::vector<packet::MplsLabel>& mpls() const { return mpls_; }

  enum class IcmpMessage { kTimeExceeded, kPortUnreachable };
  // The addresses an ICMP error of this kind may come from (several: ECMP), as icmp_source
  // says. `ingress_peer`: the neighbour the offending packet came from; `egress_peer`: the one
  // the error leaves toward; `probed`: for port unreachable, the address the datagram was sent
  // to (one of this router's).
  std::vector<IpAddress> ErrorSources(IcmpMessage message, IpFamily family,
                                      absl::string_view ingress_peer, absl::string_view egress_peer,
                                      const std::optional<IpAddress>& probed) const;
  // One of `candidates` for a message about a packet of this flow, as the router's ECMP mode
  // says (by flow hash, or per packet from the router's own random stream); nullopt when empty.
  std::optional<IpAddress> Choose(std::span<const IpAddress> candidates, uint64_t flow_hash);

  // Draws the forwarding loss for one packet it forwards.
  bool DropsForwarded(absl::Duration since_start);

  enum class IcmpOutcome { kSend, kDisabled, kRateLimited };
  struct IcmpDecision {
    IcmpOutcome outcome = IcmpOutcome::kSend;
    absl::Duration slow_path_delay = absl::ZeroDuration();
  };
  // A packet's TTL expired here at `now`: send a Time Exceeded or not, and after what delay.
  IcmpDecision DecideTimeExceeded(MonoTime now, absl::Duration since_start);
  // A UDP datagram to one of its addresses arrived at `now`: port unreachable or not (the same
  // token bucket as Time Exceeded; never disabled), and after what delay.
  IcmpDecision DecidePortUnreachable(MonoTime now, absl::Duration since_start);
  // An echo request to one of its addresses: the slow path delay of the reply (never limited).
  absl::Duration EchoReplyDelay(absl::Duration since_start);

 private:
  size_t BehaviorIndex(absl::Duration since_start) const;
  IcmpDecision DecideError(MonoTime now, absl::Duration since_start, bool time_exceeded);
  absl::Duration SlowPathDelay(const v1::RouterBehavior& b);

  std::string name_;
  std::vector<IpAddress> ipv4_;
  std::vector<IpAddress> ipv6_;
  std::map<std::string, v1::Interface> interfaces_;  // by peer
  // Per peer and family: the interface's own address, or the router-wide ones.
  std::map<std::string, std::vector<IpAddress>> interface_v4_;
  std::map<std::string, std::vector<IpAddress>> interface_v6_;
  v1::IcmpSource icmp_source_ = v1::ICMP_SOURCE_LINUX;
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

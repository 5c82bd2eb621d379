#include "tests/netsim/scenario.h"

#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/net/ip_address.h"
#include "common/status/status_macros.h"
#include "tests/netsim/router_model.h"
#include "tests/textproto/text_proto.h"

namespace pathpair::netsim {
namespace {

using v1::Link;
using v1::Path;
using v1::Router;
using v1::RouterBehavior;
using v1::Scenario;

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::Status CheckProbability(double p, absl::string_view where) {
  if (!(p >= 0.0 && p <= 1.0)) return Invalid(where, absl::StrCat("must be in [0, 1], got ", p));
  return absl::OkStatus();
}

absl::Status CheckNonNegative(double v, absl::string_view where) {
  if (!(v >= 0.0)) return Invalid(where, absl::StrCat("must be >= 0, got ", v));
  return absl::OkStatus();
}

absl::Status CheckJitter(const v1::Jitter& j, absl::string_view where) {
  PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(j.mean_ms(), absl::StrCat(where, ".mean_ms")));
  PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(j.max_ms(), absl::StrCat(where, ".max_ms")));
  if (j.distribution() == v1::JITTER_PARETO && j.pareto_shape() != 0 && !(j.pareto_shape() > 1.0)) {
    return Invalid(absl::StrCat(where, ".pareto_shape"), "must be > 1 (the mean must exist)");
  }
  if (j.distribution() == v1::JITTER_NONE && j.mean_ms() != 0) {
    return Invalid(where, "mean_ms is set but distribution is JITTER_NONE");
  }
  return absl::OkStatus();
}

absl::Status CheckLinkProperties(const Link& link, absl::string_view where) {
  PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(link.delay_ms(), absl::StrCat(where, ".delay_ms")));
  if (link.delay_ms() > 60000) return Invalid(absl::StrCat(where, ".delay_ms"), "over 60 s");
  PATHPAIR_RETURN_IF_ERROR(CheckJitter(link.jitter(), absl::StrCat(where, ".jitter")));
  PATHPAIR_RETURN_IF_ERROR(CheckProbability(link.loss(), absl::StrCat(where, ".loss")));
  const auto& ge = link.burst_loss();
  const std::string ge_where = absl::StrCat(where, ".burst_loss");
  PATHPAIR_RETURN_IF_ERROR(CheckProbability(ge.p_good_to_bad(), ge_where + ".p_good_to_bad"));
  PATHPAIR_RETURN_IF_ERROR(CheckProbability(ge.p_bad_to_good(), ge_where + ".p_bad_to_good"));
  PATHPAIR_RETURN_IF_ERROR(CheckProbability(ge.loss_good(), ge_where + ".loss_good"));
  PATHPAIR_RETURN_IF_ERROR(CheckProbability(ge.loss_bad(), ge_where + ".loss_bad"));
  if (ge.p_good_to_bad() > 0 && ge.p_bad_to_good() <= 0) {
    return Invalid(ge_where + ".p_bad_to_good", "must be > 0 when p_good_to_bad is set");
  }
  return absl::OkStatus();
}

absl::Status CheckLink(const Link& link, absl::string_view where) {
  PATHPAIR_RETURN_IF_ERROR(CheckLinkProperties(link, where));
  double last = 0;
  for (int i = 0; i < link.changes_size(); ++i) {
    const auto& change = link.changes(i);
    const std::string cw = absl::StrCat(where, ".changes[", i, "]");
    PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(change.at_s(), cw + ".at_s"));
    if (change.at_s() < last) return Invalid(cw + ".at_s", "changes must be sorted by at_s");
    last = change.at_s();
    if (change.set().changes_size() > 0) return Invalid(cw + ".set", "must not nest changes");
    PATHPAIR_RETURN_IF_ERROR(CheckLinkProperties(change.set(), cw + ".set"));
  }
  return absl::OkStatus();
}

absl::Status CheckBehavior(const RouterBehavior& b, absl::string_view where) {
  PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(b.icmp_rate_limit().rate_per_s(),
                                            absl::StrCat(where, ".icmp_rate_limit.rate_per_s")));
  PATHPAIR_RETURN_IF_ERROR(
      CheckNonNegative(b.icmp_rate_limit().burst(), absl::StrCat(where, ".icmp_rate_limit.burst")));
  PATHPAIR_RETURN_IF_ERROR(
      CheckNonNegative(b.slow_path_delay_ms(), absl::StrCat(where, ".slow_path_delay_ms")));
  PATHPAIR_RETURN_IF_ERROR(
      CheckJitter(b.slow_path_jitter(), absl::StrCat(where, ".slow_path_jitter")));
  PATHPAIR_RETURN_IF_ERROR(
      CheckProbability(b.forwarding_loss(), absl::StrCat(where, ".forwarding_loss")));
  if (b.loop() && b.blackhole()) return Invalid(where, "loop and blackhole exclude each other");
  return absl::OkStatus();
}

// Parses an address of the given family that the rules allow.
absl::Status CheckAddress(const std::string& text, IpFamily family, absl::string_view where) {
  absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
  if (!a.ok()) return Invalid(where, absl::StrCat("not an IP address: \"", text, "\""));
  if (a->family() != family) {
    return Invalid(
        where, absl::StrCat("\"", text, "\" is not an IPv", static_cast<int>(family), " address"));
  }
  if (a->IsUnspecified() || a->IsLoopback()) {
    return Invalid(where, absl::StrCat("\"", text, "\" is unspecified or loopback"));
  }
  // 192.0.2.0/24 is reserved for documentation but is this project's real host network.
  absl::StatusOr<IpAddress> forbidden = IpAddress::Parse("192.0.2.0");
  if (a->is_v4() && forbidden.ok() && a->SharesPrefix(*forbidden, 24)) {
    return Invalid(where, absl::StrCat("\"", text, "\" is in 192.0.2.0/24, which is never used"));
  }
  return absl::OkStatus();
}

// Whether a router has an address of the family for its interface toward `peer`.
bool HasAddressToward(const Router& r, absl::string_view peer, IpFamily family) {
  const bool v4 = family == IpFamily::kV4;
  if (!(v4 ? r.ipv4().empty() : r.ipv6().empty())) return true;
  for (const v1::Interface& i : r.interfaces()) {
    if (i.peer() == peer && !(v4 ? i.ipv4().empty() : i.ipv6().empty())) return true;
  }
  return false;
}

// The two ends of one point-to-point link: one IPv4 /31, the two host addresses of one /30, or
// one IPv6 /64 (which holds /126 and /127 links).
bool LinkPartners(const IpAddress& a, const IpAddress& b) {
  if (a.family() != b.family()) return false;
  if (a.is_v6()) return a.SharesPrefix(b, 64);
  if (a.SharesPrefix(b, 31)) return true;
  auto host_of_30 = [](const IpAddress& x) {
    const uint8_t low = x.bytes()[3] & 3;
    return low == 1 || low == 2;
  };
  return a.SharesPrefix(b, 30) && host_of_30(a) && host_of_30(b);
}

absl::Status CheckPath(const Path& path, absl::string_view where,
                       const absl::flat_hash_map<std::string, const Router*>& routers, bool need_v4,
                       bool need_v6, absl::string_view start, absl::string_view end) {
  for (int i = 0; i < path.hops_size(); ++i) {
    const auto& hop = path.hops(i);
    const std::string hw = absl::StrCat(where, ".hops[", i, "]");
    auto it = routers.find(hop.router());
    if (it == routers.end()) {
      return Invalid(hw + ".router", absl::StrCat("unknown router \"", hop.router(), "\""));
    }
    const Router& r = *it->second;
    for (const std::string& peer :
         {i > 0 ? path.hops(i - 1).router() : std::string(start),
          i + 1 < path.hops_size() ? path.hops(i + 1).router() : std::string(end)}) {
      for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
        if (!(family == IpFamily::kV4 ? need_v4 : need_v6) || HasAddressToward(r, peer, family)) {
          continue;
        }
        return Invalid(
            hw, absl::StrCat("router \"", r.name(), "\" has no IPv", static_cast<int>(family),
                             " address (for its interface toward \"", peer, "\")"));
      }
    }
    bool loops = r.behavior().loop();
    for (const auto& c : r.changes()) loops = loops || c.set().loop();
    if (loops && i == 0) {
      return Invalid(hw,
                     absl::StrCat("router \"", r.name(),
                                  "\" loops but is the first hop (it needs a previous router)"));
    }
    PATHPAIR_RETURN_IF_ERROR(CheckLink(hop.link(), hw + ".link"));
  }
  PATHPAIR_RETURN_IF_ERROR(CheckLink(path.last_link(), absl::StrCat(where, ".last_link")));
  if (path.hops_size() > 60) return Invalid(where, "more than 60 hops");
  return absl::OkStatus();
}

absl::Status CheckBucket(const v1::TokenBucket& b, absl::string_view where) {
  PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(b.rate_per_s(), absl::StrCat(where, ".rate_per_s")));
  return CheckNonNegative(b.burst(), absl::StrCat(where, ".burst"));
}

// A wire: two links and nothing else.
absl::Status ValidateWire(const Scenario& s) {
  if (s.has_client() || s.has_server() || s.routers_size() > 0 || s.forward().hops_size() > 0 ||
      s.reverse().hops_size() > 0 || s.has_destination() || s.expect_size() > 0) {
    return Invalid("pass_through", "a wire has only forward.last_link and reverse.last_link");
  }
  PATHPAIR_RETURN_IF_ERROR(CheckLink(s.forward().last_link(), "forward.last_link"));
  return CheckLink(s.reverse().last_link(), "reverse.last_link");
}

// Who is next to whom on the paths (both ways; a mirrored reverse path adds nothing).
std::set<std::pair<std::string, std::string>> Neighbours(const Scenario& s) {
  std::set<std::pair<std::string, std::string>> out;
  auto add_path = [&out](const Path& path, const std::string& start, const std::string& end) {
    std::string previous = start;
    for (const auto& hop : path.hops()) {
      out.emplace(previous, hop.router());
      out.emplace(hop.router(), previous);
      previous = hop.router();
    }
    out.emplace(previous, end);
    out.emplace(end, previous);
  };
  add_path(s.forward(), kClientPeer, kServerPeer);
  if (HasExplicitReverse(s)) add_path(s.reverse(), kServerPeer, kClientPeer);
  return out;
}

absl::Status CheckInterfaces(const Scenario& s,
                             const absl::flat_hash_map<std::string, const Router*>& routers,
                             bool need_v4, bool need_v6) {
  const std::set<std::pair<std::string, std::string>> neighbours = Neighbours(s);
  for (int i = 0; i < s.routers_size(); ++i) {
    const Router& r = s.routers(i);
    const std::string rw = absl::StrCat("routers[", i, "]");
    std::set<std::string> peers;
    for (int j = 0; j < r.interfaces_size(); ++j) {
      const v1::Interface& itf = r.interfaces(j);
      const std::string iw = absl::StrCat(rw, ".interfaces[", j, "].peer");
      if (!peers.insert(itf.peer()).second) {
        return Invalid(iw, absl::StrCat("a second interface toward \"", itf.peer(), "\""));
      }
      if (!neighbours.contains({r.name(), itf.peer()})) {
        return Invalid(iw, absl::StrCat("\"", itf.peer(), "\" is not next to router \"", r.name(),
                                        "\" on the forward or the reverse path"));
      }
      auto partner = routers.find(itf.peer());
      if (partner == routers.end()) continue;  // an endpoint's link: a LAN, not checked
      for (const v1::Interface& other : partner->second->interfaces()) {
        if (other.peer() != r.name()) continue;
        for (auto [mine, theirs] :
             {std::pair{&itf.ipv4(), &other.ipv4()}, std::pair{&itf.ipv6(), &other.ipv6()}}) {
          if (mine->empty() || theirs->empty()) continue;
          absl::StatusOr<IpAddress> a = IpAddress::Parse(*mine);
          absl::StatusOr<IpAddress> b = IpAddress::Parse(*theirs);
          if (a.ok() && b.ok() && !LinkPartners(*a, *b)) {
            return Invalid(absl::StrCat(rw, ".interfaces[", j, "]"),
                           absl::StrCat(*mine, " and ", *theirs, " (router \"", itf.peer(),
                                        "\") are not the two ends of one link: one IPv4 /31, ",
                                        "the two hosts of one /30, one IPv6 /64"));
          }
        }
      }
    }
    if (r.icmp_source() == v1::ICMP_SOURCE_ROUTER_ADDRESS &&
        ((need_v4 && r.ipv4().empty()) || (need_v6 && r.ipv6().empty()))) {
      return Invalid(rw + ".icmp_source",
                     "ICMP_SOURCE_ROUTER_ADDRESS needs a router-wide address of each family");
    }
  }
  return absl::OkStatus();
}

}  // namespace

Scenario WireScenario(const v1::Link& a_to_b, const v1::Link& b_to_a, uint64_t seed) {
  Scenario wire;
  wire.set_name("wire");
  wire.set_seed(seed);
  wire.set_pass_through(true);
  *wire.mutable_forward()->mutable_last_link() = a_to_b;
  *wire.mutable_reverse()->mutable_last_link() = b_to_a;
  return wire;
}

absl::StatusOr<Scenario> ParseScenarioText(absl::string_view text, absl::string_view filename) {
  Scenario scenario;
  PATHPAIR_RETURN_IF_ERROR(textproto::ParseText(text, filename, &scenario));
  return scenario;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  PATHPAIR_ASSIGN_OR_RETURN(std::string text, textproto::ReadFile(path));
  PATHPAIR_ASSIGN_OR_RETURN(Scenario scenario, ParseScenarioText(text, path));
  absl::Status valid = ValidateScenario(scenario);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", valid.message()));
  }
  return scenario;
}

bool HasExplicitReverse(const Scenario& scenario) {
  return scenario.reverse().hops_size() > 0 || scenario.reverse().has_last_link();
}

absl::Status ValidateScenario(const Scenario& s) {
  if (s.name().empty()) return Invalid("name", "is required");
  if (s.pass_through()) return ValidateWire(s);
  const bool v4 = !s.client().ipv4().empty();
  const bool v6 = !s.client().ipv6().empty();
  if (!v4 && !v6) return Invalid("client", "needs an ipv4 or ipv6 address");
  if (v4 != !s.server().ipv4().empty()) {
    return Invalid("server.ipv4", "client and server must have the same address families");
  }
  if (v6 != !s.server().ipv6().empty()) {
    return Invalid("server.ipv6", "client and server must have the same address families");
  }
  std::set<std::string> used_addresses;
  auto claim = [&used_addresses](const std::string& text, absl::string_view where) -> absl::Status {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (a.ok() && !used_addresses.insert(a->ToString()).second) {
      return Invalid(where, absl::StrCat("address ", text, " is used twice"));
    }
    return absl::OkStatus();
  };
  if (v4) {
    PATHPAIR_RETURN_IF_ERROR(CheckAddress(s.client().ipv4(), IpFamily::kV4, "client.ipv4"));
    PATHPAIR_RETURN_IF_ERROR(CheckAddress(s.server().ipv4(), IpFamily::kV4, "server.ipv4"));
    PATHPAIR_RETURN_IF_ERROR(claim(s.client().ipv4(), "client.ipv4"));
    PATHPAIR_RETURN_IF_ERROR(claim(s.server().ipv4(), "server.ipv4"));
  }
  if (v6) {
    PATHPAIR_RETURN_IF_ERROR(CheckAddress(s.client().ipv6(), IpFamily::kV6, "client.ipv6"));
    PATHPAIR_RETURN_IF_ERROR(CheckAddress(s.server().ipv6(), IpFamily::kV6, "server.ipv6"));
    PATHPAIR_RETURN_IF_ERROR(claim(s.client().ipv6(), "client.ipv6"));
    PATHPAIR_RETURN_IF_ERROR(claim(s.server().ipv6(), "server.ipv6"));
  }

  absl::flat_hash_map<std::string, const Router*> routers;
  for (int i = 0; i < s.routers_size(); ++i) {
    const Router& r = s.routers(i);
    const std::string rw = absl::StrCat("routers[", i, "]");
    if (r.name().empty()) return Invalid(rw + ".name", "is required");
    if (r.name() == kClientPeer || r.name() == kServerPeer) {
      return Invalid(rw + ".name", "\"client\" and \"server\" name the endpoints");
    }
    if (!routers.emplace(r.name(), &r).second) {
      return Invalid(rw + ".name", absl::StrCat("duplicate router name \"", r.name(), "\""));
    }
    for (int j = 0; j < r.ipv4_size(); ++j) {
      const std::string aw = absl::StrCat(rw, ".ipv4[", j, "]");
      PATHPAIR_RETURN_IF_ERROR(CheckAddress(r.ipv4(j), IpFamily::kV4, aw));
      PATHPAIR_RETURN_IF_ERROR(claim(r.ipv4(j), aw));
    }
    for (int j = 0; j < r.ipv6_size(); ++j) {
      const std::string aw = absl::StrCat(rw, ".ipv6[", j, "]");
      PATHPAIR_RETURN_IF_ERROR(CheckAddress(r.ipv6(j), IpFamily::kV6, aw));
      PATHPAIR_RETURN_IF_ERROR(claim(r.ipv6(j), aw));
    }
    for (int j = 0; j < r.interfaces_size(); ++j) {
      const v1::Interface& itf = r.interfaces(j);
      const std::string iw = absl::StrCat(rw, ".interfaces[", j, "]");
      if (itf.ipv4().empty() && itf.ipv6().empty()) return Invalid(iw, "has no address");
      if (!itf.ipv4().empty()) {
        PATHPAIR_RETURN_IF_ERROR(CheckAddress(itf.ipv4(), IpFamily::kV4, iw + ".ipv4"));
        PATHPAIR_RETURN_IF_ERROR(claim(itf.ipv4(), iw + ".ipv4"));
      }
      if (!itf.ipv6().empty()) {
        PATHPAIR_RETURN_IF_ERROR(CheckAddress(itf.ipv6(), IpFamily::kV6, iw + ".ipv6"));
        PATHPAIR_RETURN_IF_ERROR(claim(itf.ipv6(), iw + ".ipv6"));
      }
    }
    for (int j = 0; j < r.mpls_size(); ++j) {
      if (r.mpls(j).label() > 0xfffff) {
        return Invalid(absl::StrCat(rw, ".mpls[", j, "].label"), "must fit in 20 bits");
      }
      if (r.mpls(j).traffic_class() > 7 || r.mpls(j).ttl() > 255) {
        return Invalid(absl::StrCat(rw, ".mpls[", j, "]"), "traffic_class <= 7, ttl <= 255");
      }
    }
    PATHPAIR_RETURN_IF_ERROR(CheckBehavior(r.behavior(), rw + ".behavior"));
    double last = 0;
    for (int j = 0; j < r.changes_size(); ++j) {
      const std::string cw = absl::StrCat(rw, ".changes[", j, "]");
      PATHPAIR_RETURN_IF_ERROR(CheckNonNegative(r.changes(j).at_s(), cw + ".at_s"));
      if (r.changes(j).at_s() < last) return Invalid(cw + ".at_s", "must be sorted by at_s");
      last = r.changes(j).at_s();
      PATHPAIR_RETURN_IF_ERROR(CheckBehavior(r.changes(j).set(), cw + ".set"));
    }
  }
  PATHPAIR_RETURN_IF_ERROR(
      CheckPath(s.forward(), "forward", routers, v4, v6, kClientPeer, kServerPeer));
  if (HasExplicitReverse(s)) {
    PATHPAIR_RETURN_IF_ERROR(
        CheckPath(s.reverse(), "reverse", routers, v4, v6, kServerPeer, kClientPeer));
  }
  PATHPAIR_RETURN_IF_ERROR(CheckInterfaces(s, routers, v4, v6));
  PATHPAIR_RETURN_IF_ERROR(
      CheckBucket(s.destination().echo_rate_limit(), "destination.echo_rate_limit"));
  for (const auto& [list, field] :
       {std::pair{&s.expect(), "expect"}, std::pair{&s.expect_absent(), "expect_absent"}}) {
    for (int i = 0; i < list->size(); ++i) {
      const auto& e = (*list)[i];
      const std::string ew = absl::StrCat(field, "[", i, "]");
      if (e.code().empty()) return Invalid(ew + ".code", "is required");
      if (e.hop() < 0) return Invalid(ew + ".hop", "must be >= 0");
      if (!e.direction().empty() && e.direction() != "forward" && e.direction() != "reverse") {
        return Invalid(ew + ".direction", "must be \"forward\" or \"reverse\"");
      }
      if (!e.router().empty() && !routers.contains(e.router())) {
        return Invalid(ew + ".router", absl::StrCat("unknown router \"", e.router(), "\""));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace pathpair::netsim

#include "controller/merge/path_merge.h"

#include <algorithm>
#include <map>
#include <utility>

namespace pathpair::merge {
namespace {

constexpr char kNoAnswer[] = "???";

// Alignment weights. A router match by address or alias is worth more than a link match, and a
// link match backed by more evidence (the link seen from both sides, distances that agree)
// more than one backed by less; every router match is worth more than pairing unanswered hops
// (done only to keep the lists in step).
constexpr int kRouterMatchScore = 1000;
constexpr int kLinkMatchScore = 900;
constexpr int kLinkEvidenceBonus = 20;  // per supporting fact beyond the first
constexpr int kUnknownScore = 1;
// TTLs stop at 255; a longer hop list (from a misbehaving agent) is cut here so that the
// quadratic alignment stays small.
constexpr int kMaxHops = 256;

struct Hop {
  HopRef ref;
  std::vector<IpAddress> addresses;  // every responder that parsed
  bool answered = false;
};

class AsCache {
 public:
  explicit AsCache(asn::AsLookup* lookup) : lookup_(lookup) {}

  // nullopt when unknown (no lookup, NotFound, lookup failure or AS 0).
  const std::optional<asn::AsInfo>& Find(const IpAddress& address) {
    auto [it, inserted] = cache_.try_emplace(address);
    if (inserted && lookup_ != nullptr) {
      absl::StatusOr<asn::AsInfo> info = lookup_->Lookup(address);
      if (info.ok() && info->number != 0) it->second = *std::move(info);
    }
    return it->second;
  }

 private:
  asn::AsLookup* lookup_;
  std::map<IpAddress, std::optional<asn::AsInfo>> cache_;
};

std::vector<Hop> ReadHops(const v1::TraceResult& trace, AsCache& as_cache) {
  std::vector<Hop> hops;
  const int count = std::min(trace.hops_size(), kMaxHops);
  hops.reserve(count);
  for (int i = 0; i < count; ++i) {
    const v1::HopResult& result = trace.hops(i);
    Hop hop;
    hop.ref.ttl = result.ttl();
    hop.ref.index = i;
    for (const v1::Responder& responder : result.responders()) {
      absl::StatusOr<IpAddress> address = IpAddress::Parse(responder.address());
      if (!address.ok()) continue;
      hop.addresses.push_back(*address);
      hop.ref.addresses.push_back(responder.address());
    }
    hop.answered = !hop.addresses.empty();
    hop.ref.address = hop.answered ? hop.ref.addresses.front() : kNoAnswer;
    if (hop.answered) {
      const std::optional<asn::AsInfo>& as = as_cache.Find(hop.addresses.front());
      if (as.has_value()) hop.ref.asn = as->number;
    }
    hop.ref.sent = result.sent();
    hop.ref.received = result.received();
    if (result.sent() > 0) {
      // In doubles: the counts come from files and RPCs, and their difference may not fit.
      hop.ref.loss_pct =
          100.0 * (static_cast<double>(result.sent()) - static_cast<double>(result.received())) /
          static_cast<double>(result.sent());
    }
    hop.ref.avg_ms = result.rtt().avg_ms();
    hop.ref.best_ms = result.rtt().best_ms();
    hop.ref.worst_ms = result.rtt().worst_ms();
    hops.push_back(std::move(hop));
  }
  // The trace's own destination: its last hop, when that hop is the target.
  if (!hops.empty()) {
    Hop& last = hops.back();
    const v1::HopResult& result = trace.hops(count - 1);
    bool is_target = result.termination() == v1::HOP_TERMINATION_DESTINATION;
    if (!is_target && last.answered && !trace.target_address().empty()) {
      is_target = last.ref.address == trace.target_address();
    }
    last.ref.is_destination = is_target;
  }
  return hops;
}

// A trace's hops split into the routers and its own destination (the far endpoint).
struct Sides {
  std::vector<Hop> routers;
  std::optional<Hop> destination;
};

Sides SplitDestination(std::vector<Hop> hops) {
  Sides sides;
  if (!hops.empty() && hops.back().ref.is_destination) {
    sides.destination = std::move(hops.back());
    hops.pop_back();
  }
  sides.routers = std::move(hops);
  return sides;
}

// An endpoint's addresses: the target the other end traced, the address its own probes left
// from, and whatever answered as the other trace's destination.
std::vector<IpAddress> EndpointAddresses(const std::string& target, const std::string& source,
                                         const std::optional<Hop>& destination) {
  std::vector<IpAddress> out;
  for (const std::string& text : {target, source}) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
    if (address.ok()) out.push_back(*address);
  }
  if (destination.has_value()) {
    out.insert(out.end(), destination->addresses.begin(), destination->addresses.end());
  }
  return out;
}

// What one end learned about an address of the other direction's trace.
struct AliasAnswer {
  std::optional<IpAddress> source;  // where the answer came from
  int distance = 0;                 // hops from that end; 0 unknown
};
using AliasView = std::map<IpAddress, AliasAnswer>;

AliasView ReadAliases(const v1::AliasResults* results) {
  AliasView view;
  if (results == nullptr) return view;
  for (const v1::AliasResolution& resolution : results->resolutions()) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(resolution.address());
    if (!address.ok() || resolution.method() == v1::ALIAS_METHOD_NONE) continue;
    AliasAnswer answer;
    absl::StatusOr<IpAddress> source = IpAddress::Parse(resolution.reply_source());
    if (source.ok()) answer.source = *source;
    answer.distance = std::max(0, resolution.distance());
    view[*address] = answer;
  }
  return view;
}

bool Contains(const std::vector<IpAddress>& addresses, const IpAddress& address) {
  return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
}

bool AnyLinkPartners(const std::vector<IpAddress>& a, const std::vector<IpAddress>& b) {
  for (const IpAddress& x : a) {
    for (const IpAddress& y : b) {
      if (AreLinkPartners(x, y)) return true;
    }
  }
  return false;
}

enum class DistanceCheck { kUnknown, kAgrees, kDisagrees };

struct Match {
  MatchKind kind = MatchKind::kNone;
  int score = 0;
};

// Decides whether forward router i and reverse router j (client-first) are one router.
class RouterMatcher {
 public:
  RouterMatcher(const std::vector<Hop>& forward, const std::vector<Hop>& reverse,
                std::vector<IpAddress> client, std::vector<IpAddress> server,
                const RouterAliases& aliases)
      : forward_(forward),
        reverse_(reverse),
        client_(std::move(client)),
        server_(std::move(server)),
        client_view_(ReadAliases(aliases.client)),
        server_view_(ReadAliases(aliases.server)) {}

  Match Evaluate(size_t i, size_t j) const {
    const Hop& f = forward_[i];
    const Hop& r = reverse_[j];
    if (!f.answered || !r.answered) return {MatchKind::kUnknown, kUnknownScore};
    for (const IpAddress& x : f.addresses) {
      if (Contains(r.addresses, x)) return {MatchKind::kSameAddress, kRouterMatchScore};
    }
    if (AliasOf(r, client_view_, f) || AliasOf(f, server_view_, r)) {
      return {MatchKind::kAlias, kRouterMatchScore};
    }
    const int link = LinkScore(i, j);
    if (link > 0) return {MatchKind::kLink, link};
    return {};
  }

 private:
  // Whether the end that resolved `hop`'s addresses (in `view`) got one of `other`'s addresses
  // back from another address: an alias.
  static bool AliasOf(const Hop& hop, const AliasView& view, const Hop& other) {
    for (const IpAddress& address : hop.addresses) {
      auto it = view.find(address);
      if (it == view.end() || !it->second.source.has_value()) continue;
      const IpAddress& source = *it->second.source;
      if (source != address && Contains(other.addresses, source)) return true;
    }
    return false;
  }

  // Whether the alias probes learned where `hop`'s router is (an answer from another address):
  // then only an alias match counts for it, never the link heuristic.
  static bool AliasLearned(const Hop& hop, const AliasView& view) {
    for (const IpAddress& address : hop.addresses) {
      auto it = view.find(address);
      if (it != view.end() && it->second.source.has_value() && *it->second.source != address) {
        return true;
      }
    }
    return false;
  }

  // The distances an end measured to `hop`'s addresses against the TTL at which its own trace
  // would show the router.
  static DistanceCheck CheckDistance(const Hop& hop, const AliasView& view, int ttl) {
    bool known = false;
    for (const IpAddress& address : hop.addresses) {
      auto it = view.find(address);
      if (it == view.end() || it->second.distance <= 0) continue;
      if (it->second.distance == ttl) return DistanceCheck::kAgrees;
      known = true;
    }
    return known ? DistanceCheck::kDisagrees : DistanceCheck::kUnknown;
  }

  int LinkScore(size_t i, size_t j) const {
    const Hop& f = forward_[i];
    const Hop& r = reverse_[j];
    if (AliasLearned(f, server_view_) || AliasLearned(r, client_view_)) return 0;
    // The hop before r on the way back (toward the client) and the hop after f on the way out.
    const std::vector<IpAddress>& before_r = j > 0 ? reverse_[j - 1].addresses : client_;
    const std::vector<IpAddress>& after_f =
        i + 1 < forward_.size() ? forward_[i + 1].addresses : server_;
    const bool seen_forward = AnyLinkPartners(f.addresses, before_r);
    const bool seen_reverse = AnyLinkPartners(r.addresses, after_f);
    if (!seen_forward && !seen_reverse) return 0;
    const DistanceCheck from_client = CheckDistance(r, client_view_, f.ref.ttl);
    const DistanceCheck from_server = CheckDistance(f, server_view_, r.ref.ttl);
    if (from_client == DistanceCheck::kDisagrees || from_server == DistanceCheck::kDisagrees) {
      return 0;
    }
    const int facts = int{seen_forward} + int{seen_reverse} +
                      int{from_client == DistanceCheck::kAgrees} +
                      int{from_server == DistanceCheck::kAgrees};
    return kLinkMatchScore + kLinkEvidenceBonus * (facts - 1);
  }

  const std::vector<Hop>& forward_;
  const std::vector<Hop>& reverse_;
  const std::vector<IpAddress> client_;
  const std::vector<IpAddress> server_;
  const AliasView client_view_;
  const AliasView server_view_;
};

// A row of the alignment, by index into the router lists.
struct Pair {
  std::optional<size_t> forward;
  std::optional<size_t> reverse;
  MatchKind match = MatchKind::kNone;
};

// Order-preserving alignment maximising the summed match scores (weighted LCS).
std::vector<Pair> Align(size_t n, size_t m, const RouterMatcher& matcher) {
  // best[i][j]: best score aligning forward[i..] with reverse[j..].
  std::vector<std::vector<int>> best(n + 1, std::vector<int>(m + 1, 0));
  std::vector<std::vector<Match>> match(n, std::vector<Match>(m));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      match[i][j] = matcher.Evaluate(i, j);
      const int pair = match[i][j].score;
      const int both = pair > 0 ? pair + best[i + 1][j + 1] : 0;
      best[i][j] = std::max({both, best[i + 1][j], best[i][j + 1]});
    }
  }
  std::vector<Pair> pairs;
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m) {
      const int pair = match[i][j].score;
      if (pair > 0 && best[i][j] == pair + best[i + 1][j + 1]) {
        pairs.push_back({i, j, match[i][j].kind});
        ++i;
        ++j;
        continue;
      }
      // Emit the reverse-only row first when skipping it keeps the best score, so that a hop
      // the forward trace never saw sits before the forward hops it precedes.
      if (best[i][j] == best[i][j + 1]) {
        pairs.push_back({std::nullopt, j++, MatchKind::kNone});
      } else {
        pairs.push_back({i++, std::nullopt, MatchKind::kNone});
      }
    } else if (i < n) {
      pairs.push_back({i++, std::nullopt, MatchKind::kNone});
    } else {
      pairs.push_back({std::nullopt, j++, MatchKind::kNone});
    }
  }
  return pairs;
}

// Which hops of a router list sit in an end's own network: the private or link-local hops
// next to that end (silent hops neither count nor interrupt the run).
std::vector<bool> LanRun(const std::vector<Hop>& hops, bool from_front) {
  std::vector<bool> lan(hops.size(), false);
  for (size_t k = 0; k < hops.size(); ++k) {
    const size_t index = from_front ? k : hops.size() - 1 - k;
    const Hop& hop = hops[index];
    if (!hop.answered) continue;
    if (!IsLanAddress(hop.addresses.front())) break;
    lan[index] = true;
  }
  return lan;
}

RowPlace PlaceOf(const Pair& pair, const std::vector<bool>& forward_client_lan,
                 const std::vector<bool>& forward_server_lan,
                 const std::vector<bool>& reverse_client_lan,
                 const std::vector<bool>& reverse_server_lan) {
  if ((pair.forward && forward_client_lan[*pair.forward]) ||
      (pair.reverse && reverse_client_lan[*pair.reverse])) {
    return RowPlace::kClientLan;
  }
  if ((pair.forward && forward_server_lan[*pair.forward]) ||
      (pair.reverse && reverse_server_lan[*pair.reverse])) {
    return RowPlace::kServerLan;
  }
  return RowPlace::kPath;
}

std::vector<AsPathEntry> AsPath(const std::vector<Hop>& hops, AsCache& as_cache,
                                int* unknown_hops) {
  std::vector<AsPathEntry> path;
  *unknown_hops = 0;
  for (const Hop& hop : hops) {
    if (hop.ref.asn == 0) {
      ++*unknown_hops;
      continue;
    }
    if (!path.empty() && path.back().asn == hop.ref.asn) continue;
    const std::optional<asn::AsInfo>& as = as_cache.Find(hop.addresses.front());
    path.push_back({hop.ref.asn, as.has_value() ? as->name : std::string()});
  }
  return path;
}

bool AnyAnswered(const std::vector<Hop>& hops) {
  return std::any_of(hops.begin(), hops.end(), [](const Hop& hop) { return hop.answered; });
}

// Marks the rows holding a router of one direction only, where the other direction's trace
// could have shown it, and lists them.
void FindOneWayRouters(bool forward_reached, bool reverse_reached, MergedPaths& merged) {
  std::vector<AlignedRow>& rows = merged.rows;
  // Rows past where an unreached trace stopped answering say nothing about its direction.
  size_t forward_end = rows.size();  // rows at or after this index: beyond the forward trace
  size_t reverse_start = 0;          // rows before this index: beyond the reverse trace
  if (!forward_reached) {
    forward_end = 0;
    for (size_t k = 0; k < rows.size(); ++k) {
      if (rows[k].forward && rows[k].forward->address != kNoAnswer) forward_end = k + 1;
    }
  }
  if (!reverse_reached) {
    reverse_start = rows.size();
    for (size_t k = rows.size(); k-- > 0;) {
      if (rows[k].reverse && rows[k].reverse->address != kNoAnswer) reverse_start = k;
    }
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    AlignedRow& row = rows[k];
    if (row.place != RowPlace::kPath || row.forward.has_value() == row.reverse.has_value()) {
      continue;
    }
    const HopRef& only = row.forward.has_value() ? *row.forward : *row.reverse;
    if (only.address == kNoAnswer) continue;
    if (row.forward.has_value() && k < reverse_start) continue;
    if (row.reverse.has_value() && k >= forward_end) continue;
    row.one_way_only = true;
    (row.forward.has_value() ? merged.only_forward : merged.only_reverse).push_back(only.address);
  }
}

}  // namespace

const char* MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kNone:
      return "none";
    case MatchKind::kSameAddress:
      return "same_address";
    case MatchKind::kAlias:
      return "alias";
    case MatchKind::kLink:
      return "link";
    case MatchKind::kUnknown:
      return "unknown";
  }
  return "none";
}

const char* MatchKindText(MatchKind kind) {
  switch (kind) {
    case MatchKind::kNone:
      return "";
    case MatchKind::kSameAddress:
      return "same address";
    case MatchKind::kAlias:
      return "by alias";
    case MatchKind::kLink:
      return "by link";
    case MatchKind::kUnknown:
      return "unanswered";
  }
  return "";
}

const char* RowPlaceName(RowPlace place) {
  switch (place) {
    case RowPlace::kClient:
      return "client";
    case RowPlace::kClientLan:
      return "client_lan";
    case RowPlace::kPath:
      return "path";
    case RowPlace::kServerLan:
      return "server_lan";
    case RowPlace::kServer:
      return "server";
  }
  return "path";
}

std::string DescribeMatches(const MergedPaths& merged) {
  std::map<MatchKind, int> by_kind;
  for (const AlignedRow& row : merged.common_hops) ++by_kind[row.match];
  std::string out = std::to_string(merged.common_hops.size()) + " router(s) matched both ways";
  std::string kinds;
  for (const auto& [kind, count] : by_kind) {
    kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + MatchKindText(kind);
  }
  if (!kinds.empty()) out += " (" + kinds + ")";
  return out;
}

bool AreLinkPartners(const IpAddress& a, const IpAddress& b) {
  if (a.family() != b.family() || a == b) return false;
  // In a /30 (/126) only .1 and .2 (::1 and ::2) of the block are hosts; .0 and .3 are the
  // network and broadcast addresses (IPv6 keeps the convention on point-to-point links).
  auto is_host_of_block = [](const IpAddress& x) {
    const uint8_t low = x.bytes().back() & 3u;
    return low == 1u || low == 2u;
  };
  if (a.is_v6()) {
    return a.SharesPrefix(b, 127) ||
           (a.SharesPrefix(b, 126) && is_host_of_block(a) && is_host_of_block(b));
  }
  if (a.SharesPrefix(b, 31)) return true;
  return a.SharesPrefix(b, 30) && is_host_of_block(a) && is_host_of_block(b);
}

bool IsLanAddress(const IpAddress& address) { return address.IsPrivate() || address.IsLinkLocal(); }

MergedPaths MergePaths(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                       asn::AsLookup* as_lookup, const RouterAliases& aliases) {
  AsCache as_cache(as_lookup);
  std::vector<Hop> forward_hops = ReadHops(forward, as_cache);
  std::vector<Hop> reverse_hops = ReadHops(reverse, as_cache);

  MergedPaths merged;
  merged.forward_as_path = AsPath(forward_hops, as_cache, &merged.forward_unknown_as_hops);
  merged.reverse_as_path = AsPath(reverse_hops, as_cache, &merged.reverse_unknown_as_hops);
  const bool comparable = AnyAnswered(forward_hops) && AnyAnswered(reverse_hops);

  Sides out = SplitDestination(std::move(forward_hops));   // ends at the server
  Sides back = SplitDestination(std::move(reverse_hops));  // ends at the client
  std::reverse(back.routers.begin(), back.routers.end());  // now client first
  const RouterMatcher matcher(
      out.routers, back.routers,
      EndpointAddresses(reverse.target_address(), forward.source_address(), back.destination),
      EndpointAddresses(forward.target_address(), reverse.source_address(), out.destination),
      aliases);
  const std::vector<Pair> pairs = Align(out.routers.size(), back.routers.size(), matcher);

  const std::vector<bool> forward_client_lan = LanRun(out.routers, /*from_front=*/true);
  const std::vector<bool> forward_server_lan = LanRun(out.routers, /*from_front=*/false);
  const std::vector<bool> reverse_client_lan = LanRun(back.routers, /*from_front=*/true);
  const std::vector<bool> reverse_server_lan = LanRun(back.routers, /*from_front=*/false);

  if (back.destination.has_value()) {
    merged.rows.push_back({.reverse = back.destination->ref, .place = RowPlace::kClient});
  }
  for (const Pair& pair : pairs) {
    AlignedRow row;
    if (pair.forward) row.forward = out.routers[*pair.forward].ref;
    if (pair.reverse) row.reverse = back.routers[*pair.reverse].ref;
    row.match = pair.match;
    row.place = PlaceOf(pair, forward_client_lan, forward_server_lan, reverse_client_lan,
                        reverse_server_lan);
    merged.rows.push_back(std::move(row));
  }
  if (out.destination.has_value()) {
    merged.rows.push_back({.forward = out.destination->ref, .place = RowPlace::kServer});
  }

  for (const AlignedRow& row : merged.rows) {
    if (row.match == MatchKind::kSameAddress || row.match == MatchKind::kAlias ||
        row.match == MatchKind::kLink) {
      merged.common_hops.push_back(row);
    }
  }
  if (comparable) {
    FindOneWayRouters(forward.reached() || out.destination.has_value(),
                      reverse.reached() || back.destination.has_value(), merged);
  }
  merged.symmetric = comparable && merged.only_forward.empty() && merged.only_reverse.empty() &&
                     !merged.common_hops.empty();
  return merged;
}

std::optional<MergedPaths> MergeRun(const v1::PairedRun& run, asn::AsLookup* as_lookup) {
  if (!run.client().has_trace() || !run.server().has_trace()) return std::nullopt;
  const RouterAliases aliases{.client = run.has_client_aliases() ? &run.client_aliases() : nullptr,
                              .server = run.has_server_aliases() ? &run.server_aliases() : nullptr};
  return MergePaths(run.client().trace(), run.server().trace(), as_lookup, aliases);
}

}  // namespace pathpair::merge

#include "controller/merge/path_merge.h"

#include <algorithm>
#include <map>
#include <utility>

namespace pathpair::merge {
namespace {

constexpr char kNoAnswer[] = "???";

// Alignment weights: a router match is worth more than any run of AS matches, which are worth
// more than pairing unanswered hops (done only to keep the lists in step).
constexpr int kRouterMatchScore = 1000;
constexpr int kAsMatchScore = 10;
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
      if (address.ok()) hop.addresses.push_back(*address);
    }
    hop.answered = !hop.addresses.empty();
    hop.ref.address = hop.answered ? result.responders(0).address() : kNoAnswer;
    if (hop.answered) {
      const std::optional<asn::AsInfo>& as = as_cache.Find(hop.addresses.front());
      if (as.has_value()) hop.ref.asn = as->number;
    }
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

MatchKind Match(const Hop& a, const Hop& b) {
  if (!a.answered || !b.answered) return MatchKind::kUnknown;
  for (const IpAddress& x : a.addresses) {
    for (const IpAddress& y : b.addresses) {
      if (x == y) return MatchKind::kSameAddress;
    }
  }
  for (const IpAddress& x : a.addresses) {
    for (const IpAddress& y : b.addresses) {
      if (AreLinkPartners(x, y)) return MatchKind::kLinkPartner;
    }
  }
  if (a.ref.asn != 0 && a.ref.asn == b.ref.asn) return MatchKind::kSameAs;
  return MatchKind::kNone;
}

int Score(MatchKind kind) {
  switch (kind) {
    case MatchKind::kSameAddress:
    case MatchKind::kLinkPartner:
      return kRouterMatchScore;
    case MatchKind::kSameAs:
      return kAsMatchScore;
    case MatchKind::kUnknown:
      return kUnknownScore;
    case MatchKind::kNone:
      break;
  }
  return 0;
}

// Order-preserving alignment maximising the summed match scores (weighted LCS).
std::vector<AlignedRow> Align(const std::vector<Hop>& forward, const std::vector<Hop>& reverse) {
  const size_t n = forward.size();
  const size_t m = reverse.size();
  // best[i][j]: best score aligning forward[i..] with reverse[j..].
  std::vector<std::vector<int>> best(n + 1, std::vector<int>(m + 1, 0));
  std::vector<std::vector<MatchKind>> kind(n, std::vector<MatchKind>(m, MatchKind::kNone));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      kind[i][j] = Match(forward[i], reverse[j]);
      int pair = Score(kind[i][j]);
      int both = pair > 0 ? pair + best[i + 1][j + 1] : 0;
      best[i][j] = std::max({both, best[i + 1][j], best[i][j + 1]});
    }
  }
  std::vector<AlignedRow> rows;
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m) {
      int pair = Score(kind[i][j]);
      if (pair > 0 && best[i][j] == pair + best[i + 1][j + 1]) {
        rows.push_back({forward[i].ref, reverse[j].ref, kind[i][j]});
        ++i;
        ++j;
        continue;
      }
      // Emit the reverse-only row first when skipping it keeps the best score, so that a hop
      // the forward trace never saw sits before the forward hops it precedes.
      if (best[i][j] == best[i][j + 1]) {
        rows.push_back({std::nullopt, reverse[j].ref, MatchKind::kNone});
        ++j;
      } else {
        rows.push_back({forward[i].ref, std::nullopt, MatchKind::kNone});
        ++i;
      }
    } else if (i < n) {
      rows.push_back({forward[i].ref, std::nullopt, MatchKind::kNone});
      ++i;
    } else {
      rows.push_back({std::nullopt, reverse[j].ref, MatchKind::kNone});
      ++j;
    }
  }
  return rows;
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

bool IsSymmetric(const std::vector<AlignedRow>& rows) {
  bool any_router_match = false;
  for (const AlignedRow& row : rows) {
    if (!row.forward.has_value() || !row.reverse.has_value()) {
      const HopRef& only = row.forward.has_value() ? *row.forward : *row.reverse;
      // A trace's own destination has no counterpart in the other trace's hops, and a hop that
      // never answered proves nothing either way.
      if (only.is_destination || only.address == kNoAnswer) continue;
      return false;
    }
    switch (row.match) {
      case MatchKind::kSameAddress:
      case MatchKind::kLinkPartner:
        any_router_match = true;
        break;
      case MatchKind::kUnknown:
        break;
      case MatchKind::kSameAs:
      case MatchKind::kNone:
        return false;
    }
  }
  return any_router_match;
}

}  // namespace

const char* MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kNone:
      return "none";
    case MatchKind::kSameAddress:
      return "same_address";
    case MatchKind::kLinkPartner:
      return "link_partner";
    case MatchKind::kSameAs:
      return "same_as";
    case MatchKind::kUnknown:
      return "unknown";
  }
  return "none";
}

bool AreLinkPartners(const IpAddress& a, const IpAddress& b) {
  if (a.family() != b.family() || a == b) return false;
  if (a.is_v6()) return a.SharesPrefix(b, 127);
  if (a.SharesPrefix(b, 31)) return true;
  // In a /30 only .1 and .2 (of the block) are hosts; .0 and .3 are network and broadcast.
  auto is_host_of_30 = [](const IpAddress& x) {
    uint32_t low = x.v4_host_order() & 3u;
    return low == 1u || low == 2u;
  };
  return a.SharesPrefix(b, 30) && is_host_of_30(a) && is_host_of_30(b);
}

MergedPaths MergePaths(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                       asn::AsLookup* as_lookup) {
  AsCache as_cache(as_lookup);
  std::vector<Hop> forward_hops = ReadHops(forward, as_cache);
  std::vector<Hop> reverse_hops = ReadHops(reverse, as_cache);

  MergedPaths merged;
  merged.forward_as_path = AsPath(forward_hops, as_cache, &merged.forward_unknown_as_hops);
  merged.reverse_as_path = AsPath(reverse_hops, as_cache, &merged.reverse_unknown_as_hops);

  std::reverse(reverse_hops.begin(), reverse_hops.end());  // now client first
  merged.rows = Align(forward_hops, reverse_hops);
  merged.symmetric = !forward_hops.empty() && !reverse_hops.empty() && IsSymmetric(merged.rows);
  for (const AlignedRow& row : merged.rows) {
    if (row.match == MatchKind::kSameAddress || row.match == MatchKind::kLinkPartner) {
      merged.common_hops.push_back(row);
    }
  }
  return merged;
}

}  // namespace pathpair::merge

// Path merge: lines up a forward trace (client -> server) with a reverse trace (server ->
// client) router by router, so that a paired report can show one merged path with both
// directions' figures at each router, each direction's AS path, and which routers only one
// direction crosses (ASYMMETRIC_PATH). Pure: AS numbers come through the asn::AsLookup interface
// (a fake in tests), router aliases from the run (PairedRun.client_aliases / server_aliases),
// nothing else is looked up.
//
//   std::optional<merge::MergedPaths> merged = merge::MergeRun(run, &as_db);  // both traces
//   for (const merge::AlignedRow& row : merged->rows) ...   // client first, one router a row
//   if (!merged->only_reverse.empty()) ...                  // ASYMMETRIC_PATH names them
//
// Orientation. `reverse` is given as the server traced it (hop 1 next to the server). The merge
// walks it backwards, so every row list here runs from the client to the server.
//
// Why routers, not addresses. A router answers from one of its interface addresses: Linux from
// the interface its route back to the prober leaves by (IPv4), others from the interface the
// probe came in on. On a symmetric chain the forward trace sees router k's address on link
// (k-1, k) and the reverse trace its address on link (k, k+1): two different addresses of one
// router, and the two addresses of one /30 are two adjacent routers.
//
// Matching. A forward hop and a reverse hop are the same router, best first, by:
//  - kSameAddress: some responder address of one equals one of the other (a router answering
//    from one address both ways, e.g. a loopback);
//  - kAlias: an alias probe mapped one onto the other. Each end probed the other direction's
//    hop addresses (Agent.ResolveAliases, alias.proto); the client's answer for a reverse
//    address, when it came from another address, is that router's address as the client sees
//    it, so it equals the router's forward address (and likewise from the server's side).
//  - kLink: the link heuristic, used only where the alias probes of both hops learned nothing
//    (no answer, or an answer from the probed address itself, as Linux gives). Aligned by one
//    hop: the /30-/31-/127 (and IPv6 /126) partner of forward hop i's address is the address of
//    the router before it on the way back, so forward hop i matches the reverse hop right after
//    (toward the server) the reverse hop holding that partner; and symmetrically, the partner
//    of reverse hop j's address is the next forward hop's address. The clients' and servers'
//    own addresses stand in before the first and after the last router. A link match is
//    rejected when an alias probe measured a distance that disagrees with the other trace: the
//    client found the reverse hop's owner d hops away but the forward hop is at TTL t != d (or
//    the same from the server). This is what exposes a router the way back crosses instead of
//    one the way out crosses on stock Linux routers, where the addresses alone fit a single
//    router (every address sits on a link both directions use).
//  - kUnknown: one or both hops never answered (`???`); paired only to keep both lists in step,
//    it is neither a match nor a mismatch.
// The rows are an order-preserving alignment of the two router lists that maximises the matches
// (weighted longest common subsequence: same address and alias > link, a link match backed by
// more evidence > one backed by less, > unknown). Hops without a partner get a row with one
// side. Each trace's own destination (the server in the forward trace, the client in the
// reverse one) is a row of its own at its end.
//
// Places. Rows are kClient / kServer (the two endpoints), kClientLan / kServerLan (private or
// link-local hops next to an end, in either direction: the ends' own networks, which NAT and
// per-LAN routing make differ), or kPath.
//
// Asymmetry. A row is `one_way_only` when it holds an answering router of one direction only,
// at place kPath, and the other trace did reach that far (a trace that stopped early says
// nothing about the routers past where it stopped). only_forward / only_reverse list those
// routers' addresses: what ASYMMETRIC_PATH names. `symmetric` is true when no row is
// one_way_only and at least one router was matched (same address, alias or link).
//
// AS paths. Each direction's AS path lists the ASNs of its hops in that direction's own order
// (forward: client first; reverse: server first, as traced), with consecutive repeats collapsed.
// Hops whose AS is unknown (no answer, private or unannounced addresses, lookup failure) are
// skipped, so "A ??? A" collapses to "A"; `unknown_as_hops` counts them. AS numbers no longer
// match hops: one AS holds many routers.
#ifndef PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_
#define PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip_address.h"
#include "controller/asn/as_lookup.h"
#include "pathpair/v1/alias.pb.h"
#include "pathpair/v1/paired.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::merge {

enum class MatchKind {
  kNone,  // a row with one side only
  kSameAddress,
  kAlias,
  kLink,
  kUnknown,  // paired with a hop that never answered
};

// "none", "same_address", "alias", "link", "unknown" (JSON).
const char* MatchKindName(MatchKind kind);
// How a report says it: "", "same address", "by alias", "by link", "unanswered".
const char* MatchKindText(MatchKind kind);

enum class RowPlace { kClient, kClientLan, kPath, kServerLan, kServer };

// "client", "client_lan", "path", "server_lan", "server" (JSON).
const char* RowPlaceName(RowPlace place);

// One side of a row: a hop of one trace, with that direction's figures.
struct HopRef {
  int ttl = 0;                         // the hop's TTL in its own trace (reverse: from the server)
  int index = 0;                       // index into that TraceResult's hops()
  std::string address;                 // the hop's main responder, "???" when it never answered
  std::vector<std::string> addresses;  // every responder (load-balanced hops show several)
  uint32_t asn = 0;                    // 0 = unknown
  bool is_destination = false;         // the trace's own target (last hop that reached it)
  int64_t sent = 0;
  int64_t received = 0;
  double loss_pct = 0;
  double avg_ms = 0;
  double best_ms = 0;
  double worst_ms = 0;
};

// One router of the merged path (or an endpoint, or a hop that never answered).
struct AlignedRow {
  std::optional<HopRef> forward;
  std::optional<HopRef> reverse;
  MatchKind match = MatchKind::kNone;
  RowPlace place = RowPlace::kPath;
  bool one_way_only = false;  // a router only one direction crosses (see Asymmetry above)
};

struct AsPathEntry {
  uint32_t asn = 0;
  std::string name;
  friend bool operator==(const AsPathEntry&, const AsPathEntry&) = default;
};

struct MergedPaths {
  std::vector<AlignedRow> rows;              // client first
  std::vector<AsPathEntry> forward_as_path;  // client -> server
  std::vector<AsPathEntry> reverse_as_path;  // server -> client (as traced)
  int forward_unknown_as_hops = 0;
  int reverse_unknown_as_hops = 0;
  bool symmetric = false;
  // Main addresses of the one_way_only rows, client first.
  std::vector<std::string> only_forward;
  std::vector<std::string> only_reverse;
  // Rows matched by kSameAddress, kAlias or kLink, in forward order.
  std::vector<AlignedRow> common_hops;
};

// Each end's resolution of the other direction's hop addresses (either may be null).
struct RouterAliases {
  const v1::AliasResults* client = nullptr;  // the client's view of the reverse trace's hops
  const v1::AliasResults* server = nullptr;  // the server's view of the forward trace's hops
};

// `as_lookup` may be null: then empty AS paths. Only the first 256 hops of each trace are
// considered (TTLs end at 255).
MergedPaths MergePaths(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                       asn::AsLookup* as_lookup, const RouterAliases& aliases = {});

// A paired run's two traces with its aliases; nullopt unless the run holds both traces.
std::optional<MergedPaths> MergeRun(const v1::PairedRun& run, asn::AsLookup* as_lookup);

// "3 router(s) matched both ways (1 same address, 2 by link)": the common hops by method.
std::string DescribeMatches(const MergedPaths& merged);

// The point-to-point link test on its own: different addresses of one family in the same /31
// or as the two host addresses of a /30 (IPv4); in the same /127 or as ::1 and ::2 of a /126
// (IPv6, which also covers the ::1/::2 convention on /64 links).
bool AreLinkPartners(const IpAddress& a, const IpAddress& b);

// Private (RFC 1918, fc00::/7) or link-local: an address of an end's own network.
bool IsLanAddress(const IpAddress& address);

}  // namespace pathpair::merge

#endif  // PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_

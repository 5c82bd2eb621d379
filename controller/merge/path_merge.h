// Path merge: lines up a forward trace (client -> server) with a reverse trace (server ->
// client) so that a paired report can show both directions side by side, each direction's AS
// path, the hops both paths share and whether the paths are symmetric. Pure: AS numbers come
// through the asn::AsLookup interface (a fake in tests), nothing else is looked up.
//
//   asn::MmdbAsLookup ... or asn::StaticAsLookup as_db;
//   merge::MergedPaths merged = merge::MergePaths(forward_result, reverse_result, &as_db);
//   for (const merge::AlignedRow& row : merged.rows) ...   // forward orientation, client first
//   if (!merged.symmetric) ...                              // ASYMMETRIC_PATH
//
// Orientation. `reverse` is given as the server traced it (hop 1 next to the server). The merge
// walks it backwards, so every row list here runs from the client to the server.
//
// Matching. Two hops (one per direction) match, best first, by:
//  - kSameAddress: some responder address of one equals one of the other (the same router
//    answering from the same address both ways, or an endpoint);
//  - kLinkPartner: two addresses on one point-to-point link: the same IPv4 /31, the two host
//    addresses of one IPv4 /30 (.1 and .2 of a /30 block), or the same IPv6 /127. Routers answer
//    from the interface the probe came in on, so on a symmetric path each direction sees the
//    other end of the same link;
//  - kSameAs: both addresses map to the same (known) AS number;
//  - kUnknown: one or both hops never answered (`???`); paired only to keep both lists in step,
//    it is neither a match nor a mismatch.
// The rows are an order-preserving alignment of the two hop lists that maximises the matches
// (longest-common-subsequence style, weighted: address and link > AS > unknown). Hops without a
// partner get a row with only one side.
//
// Symmetry (`symmetric`). The two paths are symmetric when every row, except the rows holding
// only a trace's own destination hop (the server in the forward trace, the client in the
// reverse one), holds a hop of each direction matched by kSameAddress, kLinkPartner or kUnknown,
// and at least one row is matched by kSameAddress or kLinkPartner. Rows holding a single `???`
// hop (e.g. the unanswered tail of a trace that never reached its target) are ignored too. So:
// the same routers in reverse order, allowing link-partner addresses, with `???` hops given the
// benefit of the doubt. An AS-only match means different routers and breaks symmetry. A trace
// with no hops makes `symmetric` false. Limitation: a path whose routers answer from the same
// address in both directions at some hops and from link addresses at others aligns with an
// offset and is reported asymmetric.
//
// AS paths. Each direction's AS path lists the ASNs of its hops in that direction's own order
// (forward: client first; reverse: server first, as traced), with consecutive repeats collapsed.
// Hops whose AS is unknown (no answer, private or unannounced addresses, lookup failure) are
// skipped, so "A ??? A" collapses to "A"; `unknown_as_hops` counts them.
#ifndef PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_
#define PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip_address.h"
#include "controller/asn/as_lookup.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::merge {

enum class MatchKind {
  kNone,  // a row with one side only
  kSameAddress,
  kLinkPartner,
  kSameAs,
  kUnknown,  // paired with a hop that never answered
};

// "none", "same_address", "link_partner", "same_as", "unknown" (for JSON and text output).
const char* MatchKindName(MatchKind kind);

// One side of a row: a hop of one trace.
struct HopRef {
  int ttl = 0;                  // the hop's TTL in its own trace (reverse: counted from the server)
  int index = 0;                // index into that TraceResult's hops()
  std::string address;          // the hop's main responder, "???" when it never answered
  uint32_t asn = 0;             // 0 = unknown
  bool is_destination = false;  // the trace's own target (last hop that reached it)
};

struct AlignedRow {
  std::optional<HopRef> forward;
  std::optional<HopRef> reverse;
  MatchKind match = MatchKind::kNone;
};

struct AsPathEntry {
  uint32_t asn = 0;
  std::string name;
  friend bool operator==(const AsPathEntry&, const AsPathEntry&) = default;
};

struct MergedPaths {
  std::vector<AlignedRow> rows;              // forward orientation: client first
  std::vector<AsPathEntry> forward_as_path;  // client -> server
  std::vector<AsPathEntry> reverse_as_path;  // server -> client (as traced)
  int forward_unknown_as_hops = 0;
  int reverse_unknown_as_hops = 0;
  bool symmetric = false;
  // Rows matched by kSameAddress or kLinkPartner, in forward order.
  std::vector<AlignedRow> common_hops;
};

// `as_lookup` may be null: then no AS matching and empty AS paths. Only the first 256 hops of
// each trace are considered (TTLs end at 255).
MergedPaths MergePaths(const v1::TraceResult& forward, const v1::TraceResult& reverse,
                       asn::AsLookup* as_lookup);

// The point-to-point link test on its own: different addresses of one family in the same /31 or
// as the two host addresses of a /30 (IPv4), or in the same /127 (IPv6).
bool AreLinkPartners(const IpAddress& a, const IpAddress& b);

}  // namespace pathpair::merge

#endif  // PATHPAIR_CONTROLLER_MERGE_PATH_MERGE_H_

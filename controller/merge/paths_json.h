// The `paths` object of the paired JSON report (`pathpair test --json`, `pathpair show --json`),
// built from a MergedPaths:
//
//   {"symmetric": true,
//    "forward_as_path": [{"asn": 64501, "name": "Example Access"}, ...],   // client first
//    "reverse_as_path": [{"asn": 64502, "name": "Example Transit"}, ...],  // server first
//    "forward_unknown_as_hops": 1, "reverse_unknown_as_hops": 0,
//    "common_hops": [{"forward": {...}, "reverse": {...}, "match": "link_partner"}, ...],
//    "rows": [{"forward": {"ttl": 1, "address": "10.0.1.1", "asn": 0, "destination": false},
//              "reverse": null, "match": "none"}, ...]}                     // client first
//
// "rows" is the full alignment in the forward orientation; a side is null when that direction
// has no hop in the row. "asn" 0 means unknown. "match" is MatchKindName().
//
//   nlohmann::json report;
//   report["paths"] = merge::PathsToJson(merge::MergePaths(forward, reverse, &as_db));
#ifndef PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_
#define PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_

#include <nlohmann/json.hpp>

#include "controller/merge/path_merge.h"

namespace pathpair::merge {

nlohmann::json PathsToJson(const MergedPaths& merged);

}  // namespace pathpair::merge

#endif  // PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_

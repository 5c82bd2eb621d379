// The `paths` object of the paired JSON report (`pathpair test --json`, `pathpair show --json`),
// built from a MergedPaths (path_merge.h explains the model):
//
//   {"symmetric": false,
//    "only_forward": ["198.51.100.6"], "only_reverse": ["198.51.100.26"],  // ASYMMETRIC_PATH
//    "forward_as_path": [{"asn": 64501, "name": "Example Access"}, ...],   // client first
//    "reverse_as_path": [{"asn": 64502, "name": "Example Transit"}, ...],  // server first
//    "forward_unknown_as_hops": 1, "reverse_unknown_as_hops": 0,
//    "common_hops": [<row>, ...],                      // the rows matched by address/alias/link
//    "rows": [<row>, ...]}                             // the merged path, client first
//
// A row is one router (or an endpoint, or a silent hop):
//
//   {"forward": {"ttl": 2, "address": "198.51.100.6", "addresses": ["198.51.100.6"],
//                "asn": 0, "destination": false, "sent": 10, "received": 10,
//                "loss_pct": 0.0, "avg_ms": 1.2, "best_ms": 1.0, "worst_ms": 1.9},
//    "reverse": {... the same for the reverse trace's hop (its own TTL, from the server)},
//    "match": "link",            // MatchKindName: none, same_address, alias, link, unknown
//    "place": "path",            // RowPlaceName: client, client_lan, path, server_lan, server
//    "one_way_only": false}      // a router only one direction crosses
//
// A side is null when that direction has no hop in the row. "asn" 0 means unknown.
//
//   nlohmann::json report;
//   report["paths"] = merge::PathsToJson(*merge::MergeRun(run, &as_db));
#ifndef PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_
#define PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_

#include <nlohmann/json.hpp>

#include "controller/merge/path_merge.h"

namespace pathpair::merge {

nlohmann::json PathsToJson(const MergedPaths& merged);

}  // namespace pathpair::merge

#endif  // PATHPAIR_CONTROLLER_MERGE_PATHS_JSON_H_

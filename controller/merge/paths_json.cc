#include "controller/merge/paths_json.h"

#include <utility>

namespace pathpair::merge {
namespace {

nlohmann::json HopJson(const std::optional<HopRef>& hop) {
  if (!hop.has_value()) return nullptr;
  return {{"ttl", hop->ttl},
          {"address", hop->address},
          {"addresses", hop->addresses},
          {"asn", hop->asn},
          {"destination", hop->is_destination},
          {"sent", hop->sent},
          {"received", hop->received},
          {"loss_pct", hop->loss_pct},
          {"avg_ms", hop->avg_ms},
          {"best_ms", hop->best_ms},
          {"worst_ms", hop->worst_ms}};
}

nlohmann::json RowJson(const AlignedRow& row) {
  return {{"forward", HopJson(row.forward)},
          {"reverse", HopJson(row.reverse)},
          {"match", MatchKindName(row.match)},
          {"place", RowPlaceName(row.place)},
          {"one_way_only", row.one_way_only}};
}

nlohmann::json AsPathJson(const std::vector<AsPathEntry>& path) {
  nlohmann::json out = nlohmann::json::array();
  for (const AsPathEntry& entry : path) out.push_back({{"asn", entry.asn}, {"name", entry.name}});
  return out;
}

}  // namespace

nlohmann::json PathsToJson(const MergedPaths& merged) {
  nlohmann::json common = nlohmann::json::array();
  for (const AlignedRow& row : merged.common_hops) common.push_back(RowJson(row));
  nlohmann::json rows = nlohmann::json::array();
  for (const AlignedRow& row : merged.rows) rows.push_back(RowJson(row));
  return {{"symmetric", merged.symmetric},
          {"only_forward", merged.only_forward},
          {"only_reverse", merged.only_reverse},
          {"forward_as_path", AsPathJson(merged.forward_as_path)},
          {"reverse_as_path", AsPathJson(merged.reverse_as_path)},
          {"forward_unknown_as_hops", merged.forward_unknown_as_hops},
          {"reverse_unknown_as_hops", merged.reverse_unknown_as_hops},
          {"common_hops", std::move(common)},
          {"rows", std::move(rows)}};
}

}  // namespace pathpair::merge

#include "controller/diagnosis/areas.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace pathpair::diagnosis {
namespace {

std::optional<IpAddress> ParseAddress(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
  if (!address.ok()) return std::nullopt;
  return *address;
}

std::optional<asn::AsInfo> LookupAs(asn::AsLookup* lookup, const std::optional<IpAddress>& ip) {
  if (lookup == nullptr || !ip.has_value() || IsLanAddress(*ip)) return std::nullopt;
  absl::StatusOr<asn::AsInfo> info = lookup->Lookup(*ip);
  if (!info.ok() || info->number == 0) return std::nullopt;
  return *info;
}

HopArea WithAs(v1::NetworkArea area, const std::optional<asn::AsInfo>& info) {
  HopArea result;
  result.area = area;
  if (info.has_value()) {
    result.asn = info->number;
    result.as_name = info->name;
  }
  return result;
}

}  // namespace

HopArea AreaMap::ForTtl(int ttl) const {
  auto it = by_ttl.find(ttl);
  return it == by_ttl.end() ? HopArea{} : it->second;
}

bool IsLanAddress(const IpAddress& address) {
  return address.IsPrivate() || address.IsLinkLocal() || address.IsCgnat() ||
         address.IsLoopback() || address.IsUnspecified();
}

AreaMap AssignAreas(const PathView& path, asn::AsLookup* lookup) {
  AreaMap map;
  const int count = static_cast<int>(path.hops.size());
  std::vector<std::optional<IpAddress>> addresses(count);
  std::vector<std::optional<asn::AsInfo>> as_infos(count);
  int first_public = -1;
  bool any_as = false;
  for (int i = 0; i < count; ++i) {
    addresses[i] = ParseAddress(path.hops[i].address);
    if (!addresses[i].has_value()) continue;
    if (first_public < 0 && !IsLanAddress(*addresses[i])) first_public = i;
    as_infos[i] = LookupAs(lookup, addresses[i]);
    any_as = any_as || as_infos[i].has_value();
  }
  std::optional<asn::AsInfo> target_as = LookupAs(lookup, ParseAddress(path.target_address));
  if (!target_as.has_value() && path.reached) target_as = as_infos[path.destination_index];
  any_as = any_as || target_as.has_value();
  if (any_as) {
    map.source =
        lookup->kind() == asn::AsSourceKind::kDns ? v1::AREA_SOURCE_DNS : v1::AREA_SOURCE_MMDB;
  }

  std::optional<asn::AsInfo> isp_as;
  for (int i = std::max(first_public, 0); first_public >= 0 && i < count; ++i) {
    if (as_infos[i].has_value()) {
      isp_as = as_infos[i];
      break;
    }
  }
  map.destination = WithAs(v1::NETWORK_AREA_DESTINATION, target_as);
  if (first_public >= 0) {
    map.client_isp = WithAs(v1::NETWORK_AREA_CLIENT_ISP, any_as ? isp_as : std::nullopt);
  }

  for (int i = 0; i < count; ++i) {
    if (!addresses[i].has_value()) continue;
    const int ttl = path.hops[i].ttl;
    if (path.IsDestination(i)) {
      HopArea area = map.destination;
      if (area.asn == 0) area = WithAs(v1::NETWORK_AREA_DESTINATION, as_infos[i]);
      map.by_ttl[ttl] = area;
      continue;
    }
    if (first_public < 0 || i < first_public) {
      map.by_ttl[ttl] =
          IsLanAddress(*addresses[i]) ? HopArea{v1::NETWORK_AREA_CLIENT_LAN, 0, ""} : HopArea{};
      continue;
    }
    if (IsLanAddress(*addresses[i])) {
      map.by_ttl[ttl] = HopArea{};  // private space inside a provider (e.g. an MPLS core)
      continue;
    }
    if (!any_as) {
      map.by_ttl[ttl] = HopArea{
          i == first_public ? v1::NETWORK_AREA_CLIENT_ISP : v1::NETWORK_AREA_CARRIER, 0, ""};
      continue;
    }
    const std::optional<asn::AsInfo>& as = as_infos[i];
    if (!as.has_value()) {
      map.by_ttl[ttl] = HopArea{};
    } else if (isp_as.has_value() && as->number == isp_as->number) {
      map.by_ttl[ttl] = WithAs(v1::NETWORK_AREA_CLIENT_ISP, as);
    } else if (target_as.has_value() && as->number == target_as->number) {
      map.by_ttl[ttl] = WithAs(v1::NETWORK_AREA_DESTINATION, as);
    } else {
      map.by_ttl[ttl] = WithAs(v1::NETWORK_AREA_CARRIER, as);
    }
  }
  return map;
}

}  // namespace pathpair::diagnosis

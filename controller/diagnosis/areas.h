// Network areas of a trace's hops, following the analysis guide: the client's LAN (private,
// link-local or CGNAT hops before the first public one), the client's ISP (the first public
// AS), the carrier (the ASes in between) and the destination's network (the target's AS).
// AS numbers and names come from an AsLookup (offline MaxMind DB, or DNS); without one, or when
// it knows none of the hops, address heuristics place the hops and the result says so.
//
//   AreaMap areas = AssignAreas(path, lookup);  // lookup may be nullptr
//   HopArea hop5 = areas.ForTtl(5);
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_AREAS_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_AREAS_H_

#include <cstdint>
#include <map>
#include <string>

#include "controller/asn/as_lookup.h"
#include "controller/diagnosis/path_view.h"
#include "pathpair/v1/diagnosis.pb.h"

namespace pathpair::diagnosis {

struct HopArea {
  v1::NetworkArea area = v1::NETWORK_AREA_UNKNOWN;
  uint32_t asn = 0;  // 0 when unknown
  std::string as_name;
};

struct AreaMap {
  v1::AreaSource source = v1::AREA_SOURCE_HEURISTIC;
  std::map<int, HopArea> by_ttl;  // hops with an address
  HopArea destination;            // the target's (area DESTINATION)
  HopArea client_isp;             // the first public hop's

  HopArea ForTtl(int ttl) const;
};

// Private (RFC 1918 / ULA), link-local, CGNAT (100.64/10) or loopback: an address that belongs
// to the client's own network when it comes before the first public hop.
bool IsLanAddress(const IpAddress& address);

// Assigns an area to every hop with an address. Heuristics (no lookup, or none of the hops
// found): LAN hops as above; the first public hop is the client's ISP; the destination's hop is
// the destination network; public hops in between are the carrier; anything else is unknown.
// With AS data: a hop in the first public hop's AS is the client's ISP, in the target's AS the
// destination network, in any other AS the carrier; public hops with no AS are unknown.
AreaMap AssignAreas(const PathView& path, asn::AsLookup* lookup);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_AREAS_H_

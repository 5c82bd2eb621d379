#include "controller/geo/geo_lookup.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::geo {

std::string GeoLocation::Describe() const {
  if (!city.empty() && !country.empty()) return absl::StrCat(city, ", ", country);
  if (!city.empty()) return city;
  if (!country.empty()) return country;
  return absl::StrFormat("%.1f,%.1f", latitude, longitude);
}

double GreatCircleKm(const GeoLocation& a, const GeoLocation& b) {
  constexpr double kRadiansPerDegree = std::numbers::pi / 180;
  const double lat1 = a.latitude * kRadiansPerDegree;
  const double lat2 = b.latitude * kRadiansPerDegree;
  const double dlat = lat2 - lat1;
  const double dlon = (b.longitude - a.longitude) * kRadiansPerDegree;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1) * std::cos(lat2) * std::sin(dlon / 2) * std::sin(dlon / 2);
  // Clamped: rounding can push h a hair outside [0, 1] for antipodal or identical points.
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::clamp(h, 0.0, 1.0)));
}

absl::StatusOr<GeoLocation> StaticGeoLookup::Locate(const IpAddress& address) {
  const auto it = table_.find(address);
  if (it == table_.end()) {
    return absl::NotFoundError(absl::StrCat("no location for ", address.ToString()));
  }
  return it->second;
}

}  // namespace pathpair::geo

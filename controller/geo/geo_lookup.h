// GeoLookup: where an IP address is (latitude and longitude, with the city and country when
// known), behind a small interface so the diagnosis stays pure and tests can use a fixed table.
// The real one reads a city-level MaxMind-format database (mmdb_geo_lookup.h). Also the
// great-circle distance between two places, which the diagnosis compares with a latency step.
//
//   absl::StatusOr<std::unique_ptr<MmdbGeoLookup>> db = MmdbGeoLookup::Open("GeoLite2-City.mmdb");
//   absl::StatusOr<GeoLocation> a = (*db)->Locate(*IpAddress::Parse("198.51.100.7"));
//   absl::StatusOr<GeoLocation> b = (*db)->Locate(*IpAddress::Parse("203.0.113.9"));
//   if (a.ok() && b.ok()) std::cout << GreatCircleKm(*a, *b) << " km";
#ifndef PATHPAIR_CONTROLLER_GEO_GEO_LOOKUP_H_
#define PATHPAIR_CONTROLLER_GEO_GEO_LOOKUP_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/net/ip_address.h"

namespace pathpair::geo {

struct GeoLocation {
  double latitude = 0;   // degrees, -90..90
  double longitude = 0;  // degrees, -180..180
  std::string city;      // English name; may be empty
  std::string country;   // ISO 3166-1 alpha-2 code; may be empty

  // "Frankfurt am Main, DE", "DE", or "50.1,8.7" when neither is known.
  std::string Describe() const;
};

// Mean Earth radius (IUGG), km.
inline constexpr double kEarthRadiusKm = 6371.0;

// The great-circle (shortest over the surface) distance in km, by the haversine formula.
double GreatCircleKm(const GeoLocation& a, const GeoLocation& b);

class GeoLookup {
 public:
  virtual ~GeoLookup() = default;
  // NotFound when the source has no location for the address (not covered, or a record
  // without coordinates). Must not crash on any address.
  virtual absl::StatusOr<GeoLocation> Locate(const IpAddress& address) = 0;
};

// A fixed table, for tests and for callers that already know the answers.
class StaticGeoLookup : public GeoLookup {
 public:
  void Add(const IpAddress& address, GeoLocation location) { table_[address] = location; }
  absl::StatusOr<GeoLocation> Locate(const IpAddress& address) override;

 private:
  std::map<IpAddress, GeoLocation> table_;
};

}  // namespace pathpair::geo

#endif  // PATHPAIR_CONTROLLER_GEO_GEO_LOOKUP_H_

// MmdbGeoLookup: locations from an offline city-level MaxMind DB file (GeoLite2-City, or DB-IP's
// IP-to-City lite in the same format: records with `location.latitude`, `location.longitude`,
// `city.names.en` and `country.iso_code`), read with libmaxminddb (controller/mmdb). The file is
// memory-mapped once; lookups do no other I/O.
//
//   auto db = MmdbGeoLookup::Open("/var/lib/GeoIP/GeoLite2-City.mmdb");
//   if (!db.ok()) return db.status();
//   auto where = (*db)->Locate(address);  // NotFound for addresses without coordinates
#ifndef PATHPAIR_CONTROLLER_GEO_MMDB_GEO_LOOKUP_H_
#define PATHPAIR_CONTROLLER_GEO_MMDB_GEO_LOOKUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/geo/geo_lookup.h"
#include "controller/mmdb/mmdb_file.h"

namespace pathpair::geo {

class MmdbGeoLookup : public GeoLookup {
 public:
  // Opens and validates the database; NotFound when the file cannot be opened, InvalidArgument
  // when it is not a MaxMind DB.
  static absl::StatusOr<std::unique_ptr<MmdbGeoLookup>> Open(const std::string& path);

  absl::StatusOr<GeoLocation> Locate(const IpAddress& address) override;
  // The database_type from the file's metadata, e.g. "GeoLite2-City".
  std::string database_type() const { return file_->database_type(); }

 private:
  explicit MmdbGeoLookup(std::unique_ptr<mmdb::MmdbFile> file) : file_(std::move(file)) {}
  std::unique_ptr<mmdb::MmdbFile> file_;
};

}  // namespace pathpair::geo

#endif  // PATHPAIR_CONTROLLER_GEO_MMDB_GEO_LOOKUP_H_

#include "controller/geo/mmdb_geo_lookup.h"

#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::geo {

absl::StatusOr<std::unique_ptr<MmdbGeoLookup>> MmdbGeoLookup::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<mmdb::MmdbFile>> file =
      mmdb::MmdbFile::Open(path, "location database");
  if (!file.ok()) return file.status();
  return std::unique_ptr<MmdbGeoLookup>(new MmdbGeoLookup(*std::move(file)));
}

absl::StatusOr<GeoLocation> MmdbGeoLookup::Locate(const IpAddress& address) {
  absl::StatusOr<mmdb::MmdbRecord> record = file_->Find(address);
  if (!record.ok()) {
    return absl::NotFoundError(absl::StrCat("location lookup: ", record.status().message()));
  }
  const std::optional<double> latitude = record->Number({"location", "latitude"});
  const std::optional<double> longitude = record->Number({"location", "longitude"});
  // A record may carry a country only; and a file is untrusted input: out-of-range or
  // non-finite coordinates are no location.
  if (!latitude.has_value() || !longitude.has_value() || !std::isfinite(*latitude) ||
      !std::isfinite(*longitude) || std::abs(*latitude) > 90 || std::abs(*longitude) > 180) {
    return absl::NotFoundError(absl::StrCat("no coordinates recorded for ", address.ToString()));
  }
  GeoLocation location;
  location.latitude = *latitude;
  location.longitude = *longitude;
  location.city = record->Text({"city", "names", "en"}).value_or("");
  location.country = record->Text({"country", "iso_code"}).value_or("");
  return location;
}

}  // namespace pathpair::geo

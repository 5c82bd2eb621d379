#include "tests/controller/asn/fixture.h"

#include <gtest/gtest.h>

#include "common/status/status_macros.h"
#include "tests/controller/asn/mmdb_writer.h"

namespace pathpair::asn::testing {

absl::StatusOr<std::string> WriteAsFixture(const std::string& file_name) {
  MmdbWriter writer;
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("198.51.100.0/26", 64500, "Example Client ISP"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("198.51.100.64/26", 64501, "Example Transit"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("198.51.100.128/25", 64502, "Example Backbone"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("203.0.113.0/24", 64510, "Example Hosting"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("2001:db8:1::/48", 64500, "Example Client ISP"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("2001:db8:2::/48", 64501, "Example Transit"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("2001:db8:3::/48", 64502, "Example Backbone"));
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("2001:db8:5::/48", 64510, "Example Hosting"));
  const std::string path = ::testing::TempDir() + "/" + file_name;
  PATHPAIR_RETURN_IF_ERROR(writer.WriteFile(path));
  return path;
}

absl::StatusOr<std::string> WriteCityFixture(const std::string& file_name) {
  MmdbWriter writer("GeoLite2-City");
  for (const auto& [network, place] :
       {std::pair{"198.51.100.0/25", kFrankfurt}, std::pair{"198.51.100.128/25", kAmsterdam},
        std::pair{"203.0.113.0/25", kNewYork}, std::pair{"203.0.113.128/25", kFrankfurt},
        std::pair{"2001:db8:1::/48", kFrankfurt}, std::pair{"2001:db8:5::/48", kNewYork}}) {
    PATHPAIR_RETURN_IF_ERROR(
        writer.AddCity(network, place.latitude, place.longitude, place.city, place.country));
  }
  // A record without coordinates (a country-level entry, or another database's record).
  PATHPAIR_RETURN_IF_ERROR(writer.AddAs("10.0.0.0/8", 64999, "Not a location"));
  const std::string path = ::testing::TempDir() + "/" + file_name;
  PATHPAIR_RETURN_IF_ERROR(writer.WriteFile(path));
  return path;
}

}  // namespace pathpair::asn::testing

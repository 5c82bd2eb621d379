// GeoLookup: the great-circle distance and the city-level MaxMind DB reader.
#include "controller/geo/geo_lookup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "controller/geo/mmdb_geo_lookup.h"
#include "tests/controller/asn/fixture.h"
#include "tests/controller/asn/mmdb_writer.h"

namespace pathpair::geo {
namespace {

using asn::testing::kFrankfurt;
using asn::testing::kNewYork;
using ::testing::HasSubstr;

GeoLocation At(double latitude, double longitude) {
  GeoLocation where;
  where.latitude = latitude;
  where.longitude = longitude;
  return where;
}

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST(GreatCircleTest, KnownDistances) {
  EXPECT_NEAR(GreatCircleKm(At(kFrankfurt.latitude, kFrankfurt.longitude),
                            At(kNewYork.latitude, kNewYork.longitude)),
              6200, 25);
  EXPECT_NEAR(GreatCircleKm(At(50.1109, 8.6821), At(52.3740, 4.8897)), 364, 5);  // to Amsterdam
  EXPECT_DOUBLE_EQ(GreatCircleKm(At(10, 20), At(10, 20)), 0);
  // Half the circumference, without NaN from rounding, and across the date line.
  EXPECT_NEAR(GreatCircleKm(At(0, 0), At(0, 180)), 3.14159265 * kEarthRadiusKm, 1);
  EXPECT_NEAR(GreatCircleKm(At(0, 179.5), At(0, -179.5)), 111.2, 0.5);
}

TEST(GeoLocationTest, DescribeSaysWhatIsKnown) {
  GeoLocation where = At(50.1, 8.7);
  EXPECT_EQ(where.Describe(), "50.1,8.7");
  where.country = "DE";
  EXPECT_EQ(where.Describe(), "DE");
  where.city = "Frankfurt am Main";
  EXPECT_EQ(where.Describe(), "Frankfurt am Main, DE");
}

TEST(StaticGeoLookupTest, AnswersOnlyWhatItWasGiven) {
  StaticGeoLookup lookup;
  lookup.Add(Ip("198.51.100.1"), At(1, 2));
  EXPECT_EQ(lookup.Locate(Ip("198.51.100.1"))->longitude, 2);
  EXPECT_TRUE(absl::IsNotFound(lookup.Locate(Ip("198.51.100.2")).status()));
}

TEST(MmdbGeoLookupTest, ReadsCitiesFromAGeoLite2CityShapedFile) {
  absl::StatusOr<std::string> path = asn::testing::WriteCityFixture("city.mmdb");
  ASSERT_TRUE(path.ok()) << path.status();
  absl::StatusOr<std::unique_ptr<MmdbGeoLookup>> db = MmdbGeoLookup::Open(*path);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->database_type(), "GeoLite2-City");

  absl::StatusOr<GeoLocation> frankfurt = (*db)->Locate(Ip("198.51.100.7"));
  ASSERT_TRUE(frankfurt.ok()) << frankfurt.status();
  EXPECT_DOUBLE_EQ(frankfurt->latitude, kFrankfurt.latitude);
  EXPECT_DOUBLE_EQ(frankfurt->longitude, kFrankfurt.longitude);
  EXPECT_EQ(frankfurt->city, "Frankfurt am Main");
  EXPECT_EQ(frankfurt->country, "DE");
  absl::StatusOr<GeoLocation> new_york = (*db)->Locate(Ip("2001:db8:5::9"));
  ASSERT_TRUE(new_york.ok()) << new_york.status();
  EXPECT_EQ(new_york->Describe(), "New York, US");
  EXPECT_NEAR(GreatCircleKm(*frankfurt, *new_york), 6200, 25);

  // Not covered, or covered by a record without coordinates: no location.
  EXPECT_TRUE(absl::IsNotFound((*db)->Locate(Ip("172.16.0.1")).status()));
  EXPECT_TRUE(absl::IsNotFound((*db)->Locate(Ip("2001:db8:9::1")).status()));
  const absl::Status no_coordinates = (*db)->Locate(Ip("10.1.2.3")).status();
  EXPECT_TRUE(absl::IsNotFound(no_coordinates));
  EXPECT_THAT(no_coordinates.message(), HasSubstr("no coordinates"));
}

TEST(MmdbGeoLookupTest, OutOfRangeCoordinatesAreNoLocation) {
  asn::testing::MmdbWriter writer("GeoLite2-City");
  ASSERT_TRUE(writer.AddCity("198.51.100.0/24", 91, 8, "Nowhere", "XX").ok());
  ASSERT_TRUE(writer.AddCity("203.0.113.0/24", 50, -181, "Nowhere", "XX").ok());
  const std::string path = ::testing::TempDir() + "/bad-city.mmdb";
  ASSERT_TRUE(writer.WriteFile(path).ok());
  absl::StatusOr<std::unique_ptr<MmdbGeoLookup>> db = MmdbGeoLookup::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(absl::IsNotFound((*db)->Locate(Ip("198.51.100.1")).status()));
  EXPECT_TRUE(absl::IsNotFound((*db)->Locate(Ip("203.0.113.1")).status()));
}

TEST(MmdbGeoLookupTest, MissingOrForeignFilesAreClearErrors) {
  const absl::Status missing = MmdbGeoLookup::Open("/nonexistent/city.mmdb").status();
  EXPECT_TRUE(absl::IsNotFound(missing));
  EXPECT_THAT(missing.message(), HasSubstr("cannot open location database"));
  const std::string junk = ::testing::TempDir() + "/junk.mmdb";
  std::ofstream(junk) << "not a MaxMind DB";
  const absl::Status bad = MmdbGeoLookup::Open(junk).status();
  EXPECT_TRUE(absl::IsInvalidArgument(bad));
  EXPECT_THAT(bad.message(), HasSubstr("bad location database"));
}

}  // namespace
}  // namespace pathpair::geo

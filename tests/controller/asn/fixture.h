// The shared MaxMind DB fixtures for tests, written with MmdbWriter into the test's temporary
// directory: a small GeoLite2-ASN-shaped database over the documentation ranges, and a small
// GeoLite2-City-shaped one (WriteCityFixture).
//
//   198.51.100.0/26    AS64500 Example Client ISP     2001:db8:1::/48  AS64500
//   198.51.100.64/26   AS64501 Example Transit        2001:db8:2::/48  AS64501
//   198.51.100.128/25  AS64502 Example Backbone       2001:db8:3::/48  AS64502
//   203.0.113.0/24     AS64510 Example Hosting        2001:db8:5::/48  AS64510
//
//   absl::StatusOr<std::string> path = WriteAsFixture("as.mmdb");
#ifndef PATHPAIR_TESTS_CONTROLLER_ASN_FIXTURE_H_
#define PATHPAIR_TESTS_CONTROLLER_ASN_FIXTURE_H_

#include <string>

#include "absl/status/statusor.h"

namespace pathpair::asn::testing {

absl::StatusOr<std::string> WriteAsFixture(const std::string& file_name);

struct FixtureCity {
  double latitude, longitude;
  const char* city;
  const char* country;
};
inline constexpr FixtureCity kFrankfurt = {50.1109, 8.6821, "Frankfurt am Main", "DE"};
inline constexpr FixtureCity kAmsterdam = {52.3740, 4.8897, "Amsterdam", "NL"};
inline constexpr FixtureCity kNewYork = {40.7128, -74.0060, "New York", "US"};

// The city fixture (great circles: Frankfurt-Amsterdam ~364 km, Frankfurt-New York ~6200 km):
//
//   198.51.100.0/25    Frankfurt am Main, DE      2001:db8:1::/48  Frankfurt am Main, DE
//   198.51.100.128/25  Amsterdam, NL              2001:db8:5::/48  New York, US
//   203.0.113.0/25     New York, US
//   203.0.113.128/25   Frankfurt am Main, DE
//   10.0.0.0/8         a record without coordinates
absl::StatusOr<std::string> WriteCityFixture(const std::string& file_name);

}  // namespace pathpair::asn::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_ASN_FIXTURE_H_

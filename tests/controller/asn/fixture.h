// The shared AS fixture for tests: a small GeoLite2-ASN-shaped database over the documentation
// ranges, written with MmdbWriter into the test's temporary directory.
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

}  // namespace pathpair::asn::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_ASN_FIXTURE_H_

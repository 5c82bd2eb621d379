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

}  // namespace pathpair::asn::testing

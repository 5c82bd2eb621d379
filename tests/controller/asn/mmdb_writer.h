// MmdbWriter: a tiny, test-only writer of MaxMind DB files (format 2.0: binary search tree with
// 24-bit records, data section, metadata), enough to build GeoLite2-ASN-shaped fixtures for a
// handful of networks, and GeoLite2-City-shaped ones. No Debian package writes .mmdb files, so
// tests build their own and read them back through libmaxminddb.
//
//   MmdbWriter writer;
//   writer.AddAs("198.51.100.0/26", 64500, "Example Client ISP");
//   writer.AddAs("2001:db8:1::/48", 64500, "Example Client ISP");
//   PATHPAIR_RETURN_IF_ERROR(writer.WriteFile(path));
//
//   MmdbWriter cities("GeoLite2-City");
//   cities.AddCity("203.0.113.0/28", 50.11, 8.68, "Frankfurt am Main", "DE");
//
// The tree is IPv6 (ip_version 6); IPv4 networks live under ::/96, where libmaxminddb looks
// IPv4 addresses up. Networks must not overlap.
#ifndef PATHPAIR_TESTS_CONTROLLER_ASN_MMDB_WRITER_H_
#define PATHPAIR_TESTS_CONTROLLER_ASN_MMDB_WRITER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pathpair::asn::testing {

class MmdbWriter {
 public:
  explicit MmdbWriter(std::string database_type = "GeoLite2-ASN")
      : database_type_(std::move(database_type)) {}

  // Adds a network ("a.b.c.d/len" or "v6::/len") whose record is
  // {autonomous_system_number, autonomous_system_organization}.
  absl::Status AddAs(absl::string_view network, uint32_t asn, absl::string_view organization);
  // Adds a network whose record is GeoLite2-City's subset {city: {names: {en}}, country:
  // {iso_code}, location: {latitude, longitude}}.
  absl::Status AddCity(absl::string_view network, double latitude, double longitude,
                       absl::string_view city, absl::string_view country_iso);

  // The whole file.
  std::string Serialize() const;
  absl::Status WriteFile(const std::string& path) const;

 private:
  // A record: a node index, empty, or an offset into the data section.
  struct Record {
    enum Kind { kEmpty, kNode, kData } kind = kEmpty;
    uint32_t value = 0;
  };
  struct Node {
    std::array<Record, 2> records;
  };
  // Appends an encoded record to the data section and points the network at it.
  absl::Status AddRecord(absl::string_view network, const std::string& record);
  absl::Status Insert(const std::array<uint8_t, 16>& address, int prefix_length,
                      uint32_t data_offset);

  std::string database_type_;
  std::vector<Node> nodes_{Node{}};  // the root
  std::string data_;
};

}  // namespace pathpair::asn::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_ASN_MMDB_WRITER_H_

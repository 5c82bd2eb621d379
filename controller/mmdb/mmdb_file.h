// MmdbFile: one MaxMind DB file (GeoLite2, DB-IP lite and the like), memory-mapped once and read
// through libmaxminddb, for the lookups built on it (controller/asn's AS numbers,
// controller/geo's locations). It hides libmaxminddb's types: a lookup returns the record of the
// network covering an address, and the record's values are read by their path of map keys.
//
//   absl::StatusOr<std::unique_ptr<MmdbFile>> db = MmdbFile::Open(path, "AS database");
//   absl::StatusOr<MmdbRecord> record = (*db)->Find(address);   // NotFound: no network covers it
//   std::optional<double> latitude = record->Number({"location", "latitude"});
//   std::optional<std::string> city = record->Text({"city", "names", "en"});
#ifndef PATHPAIR_CONTROLLER_MMDB_MMDB_FILE_H_
#define PATHPAIR_CONTROLLER_MMDB_MMDB_FILE_H_

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"

namespace pathpair::mmdb {

class MmdbFile;

// The record of one network in an MmdbFile; valid while the file is open.
class MmdbRecord {
 public:
  // The number at `path` (any integer or floating-point type); nullopt when absent or not a
  // number.
  std::optional<double> Number(std::initializer_list<const char*> path) const;
  // The UTF-8 string at `path`; nullopt when absent or not a string.
  std::optional<std::string> Text(std::initializer_list<const char*> path) const;

 private:
  friend class MmdbFile;
  struct Entry;
  explicit MmdbRecord(std::shared_ptr<const Entry> entry) : entry_(std::move(entry)) {}
  std::shared_ptr<const Entry> entry_;
};

class MmdbFile {
 public:
  // Opens and validates the database. `what` names it in errors ("AS database"): NotFound when
  // the file cannot be opened, InvalidArgument when it is not a MaxMind DB.
  static absl::StatusOr<std::unique_ptr<MmdbFile>> Open(const std::string& path,
                                                        absl::string_view what);
  ~MmdbFile();
  MmdbFile(const MmdbFile&) = delete;
  MmdbFile& operator=(const MmdbFile&) = delete;

  // The record of the network covering `address`. NotFound when none does (also for an IPv6
  // address in an IPv4-only database). Never crashes on any address.
  absl::StatusOr<MmdbRecord> Find(const IpAddress& address) const;
  // The database_type from the file's metadata, e.g. "GeoLite2-ASN".
  std::string database_type() const;

 private:
  struct Handle;
  explicit MmdbFile(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace pathpair::mmdb

#endif  // PATHPAIR_CONTROLLER_MMDB_MMDB_FILE_H_

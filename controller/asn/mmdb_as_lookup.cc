#include "controller/asn/mmdb_as_lookup.h"

#include <maxminddb.h>
#include <sys/socket.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::asn {

struct MmdbAsLookup::Handle {
  MMDB_s db{};
  bool open = false;  // MMDB_close only after a successful MMDB_open
  ~Handle() {
    if (open) MMDB_close(&db);
  }
};

MmdbAsLookup::MmdbAsLookup(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
MmdbAsLookup::~MmdbAsLookup() = default;

absl::StatusOr<std::unique_ptr<MmdbAsLookup>> MmdbAsLookup::Open(const std::string& path) {
  auto handle = std::make_unique<Handle>();
  const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &handle->db);
  if (rc != MMDB_SUCCESS) {
    const std::string why =
        rc == MMDB_IO_ERROR ? absl::StrCat(MMDB_strerror(rc), ": ", path) : MMDB_strerror(rc);
    if (rc == MMDB_FILE_OPEN_ERROR) {
      return absl::NotFoundError(absl::StrCat("cannot open AS database ", path, ": ", why));
    }
    return absl::InvalidArgumentError(absl::StrCat("bad AS database ", path, ": ", why));
  }
  handle->open = true;
  return std::unique_ptr<MmdbAsLookup>(new MmdbAsLookup(std::move(handle)));
}

std::string MmdbAsLookup::database_type() const {
  const char* type = handle_->db.metadata.database_type;
  return type == nullptr ? std::string() : std::string(type);
}

absl::StatusOr<AsInfo> MmdbAsLookup::Lookup(const IpAddress& address) {
  sockaddr_storage storage{};
  address.ToSockaddr(0, &storage);
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&handle_->db, reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS) {
    // An IPv6 address in an IPv4-only database lands here too.
    return absl::NotFoundError(
        absl::StrCat("AS lookup of ", address.ToString(), ": ", MMDB_strerror(mmdb_error)));
  }
  if (!result.found_entry) {
    return absl::NotFoundError(absl::StrCat("no AS network covers ", address.ToString()));
  }
  AsInfo info;
  MMDB_entry_data_s data{};
  int rc = MMDB_get_value(&result.entry, &data, "autonomous_system_number", nullptr);
  if (rc == MMDB_SUCCESS && data.has_data) {
    switch (data.type) {
      case MMDB_DATA_TYPE_UINT32:
        info.number = data.uint32;
        break;
      case MMDB_DATA_TYPE_UINT16:
        info.number = data.uint16;
        break;
      case MMDB_DATA_TYPE_UINT64:
        info.number = static_cast<uint32_t>(data.uint64);
        break;
      case MMDB_DATA_TYPE_INT32:
        info.number = data.int32 < 0 ? 0 : static_cast<uint32_t>(data.int32);
        break;
      default:
        break;
    }
  }
  rc = MMDB_get_value(&result.entry, &data, "autonomous_system_organization", nullptr);
  if (rc == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    info.name.assign(data.utf8_string, data.data_size);
  }
  if (info.number == 0) {
    return absl::NotFoundError(absl::StrCat("no AS number recorded for ", address.ToString()));
  }
  return info;
}

}  // namespace pathpair::asn

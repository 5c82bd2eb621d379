#include "controller/mmdb/mmdb_file.h"

#include <maxminddb.h>
#include <sys/socket.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pathpair::mmdb {

struct MmdbFile::Handle {
  MMDB_s db{};
  bool open = false;  // MMDB_close only after a successful MMDB_open
  ~Handle() {
    if (open) MMDB_close(&db);
  }
};

struct MmdbRecord::Entry {
  MMDB_entry_s entry{};
};

namespace {

// The value at `path`, or nullopt. MMDB_aget_value wants a NULL-terminated array of keys.
std::optional<MMDB_entry_data_s> ValueAt(const MMDB_entry_s& entry,
                                         std::initializer_list<const char*> path) {
  std::vector<const char*> keys(path.begin(), path.end());
  keys.push_back(nullptr);
  MMDB_entry_s copy = entry;
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&copy, &data, keys.data()) != MMDB_SUCCESS || !data.has_data) {
    return std::nullopt;
  }
  return data;
}

}  // namespace

std::optional<double> MmdbRecord::Number(std::initializer_list<const char*> path) const {
  const std::optional<MMDB_entry_data_s> data = ValueAt(entry_->entry, path);
  if (!data.has_value()) return std::nullopt;
  switch (data->type) {
    case MMDB_DATA_TYPE_DOUBLE:
      return data->double_value;
    case MMDB_DATA_TYPE_FLOAT:
      return data->float_value;
    case MMDB_DATA_TYPE_UINT16:
      return data->uint16;
    case MMDB_DATA_TYPE_UINT32:
      return data->uint32;
    case MMDB_DATA_TYPE_UINT64:
      return static_cast<double>(data->uint64);
    case MMDB_DATA_TYPE_INT32:
      return data->int32;
    default:
      return std::nullopt;
  }
}

std::optional<std::string> MmdbRecord::Text(std::initializer_list<const char*> path) const {
  const std::optional<MMDB_entry_data_s> data = ValueAt(entry_->entry, path);
  if (!data.has_value() || data->type != MMDB_DATA_TYPE_UTF8_STRING) return std::nullopt;
  return std::string(data->utf8_string, data->data_size);
}

MmdbFile::MmdbFile(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
MmdbFile::~MmdbFile() = default;

absl::StatusOr<std::unique_ptr<MmdbFile>> MmdbFile::Open(const std::string& path,
                                                         absl::string_view what) {
  auto handle = std::make_unique<Handle>();
  const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &handle->db);
  if (rc != MMDB_SUCCESS) {
    const std::string why =
        rc == MMDB_IO_ERROR ? absl::StrCat(MMDB_strerror(rc), ": ", path) : MMDB_strerror(rc);
    if (rc == MMDB_FILE_OPEN_ERROR) {
      return absl::NotFoundError(absl::StrCat("cannot open ", what, " ", path, ": ", why));
    }
    return absl::InvalidArgumentError(absl::StrCat("bad ", what, " ", path, ": ", why));
  }
  handle->open = true;
  return std::unique_ptr<MmdbFile>(new MmdbFile(std::move(handle)));
}

std::string MmdbFile::database_type() const {
  const char* type = handle_->db.metadata.database_type;
  return type == nullptr ? std::string() : std::string(type);
}

absl::StatusOr<MmdbRecord> MmdbFile::Find(const IpAddress& address) const {
  sockaddr_storage storage{};
  address.ToSockaddr(0, &storage);
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&handle_->db, reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS) {
    // An IPv6 address in an IPv4-only database lands here too.
    return absl::NotFoundError(
        absl::StrCat("lookup of ", address.ToString(), ": ", MMDB_strerror(mmdb_error)));
  }
  if (!result.found_entry) {
    return absl::NotFoundError(absl::StrCat("no network covers ", address.ToString()));
  }
  auto entry = std::make_shared<MmdbRecord::Entry>();
  entry->entry = result.entry;
  return MmdbRecord(std::move(entry));
}

}  // namespace pathpair::mmdb

#include "tests/controller/asn/mmdb_writer.h"

#include <bit>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net/ip_address.h"

namespace pathpair::asn::testing {
namespace {

// Data-section type numbers from the MaxMind DB spec.
constexpr int kTypeUtf8 = 2;
constexpr int kTypeDouble = 3;
constexpr int kTypeUint16 = 5;
constexpr int kTypeUint32 = 6;
constexpr int kTypeMap = 7;
constexpr int kTypeUint64 = 9;
constexpr int kTypeArray = 11;

// Control byte(s): type in the top 3 bits (0 = extended, type - 7 in the next byte), size in
// the low 5 bits with 29/30/31 meaning 1/2/3 more size bytes.
void AppendControl(std::string& out, int type, size_t size) {
  const uint8_t type_bits = type <= 7 ? static_cast<uint8_t>(type << 5) : 0;
  std::string size_bytes;
  uint8_t size_bits;
  if (size < 29) {
    size_bits = static_cast<uint8_t>(size);
  } else if (size < 285) {
    size_bits = 29;
    size_bytes.push_back(static_cast<char>(size - 29));
  } else if (size < 65821) {
    size_bits = 30;
    const size_t rest = size - 285;
    size_bytes.push_back(static_cast<char>(rest >> 8));
    size_bytes.push_back(static_cast<char>(rest & 0xff));
  } else {
    size_bits = 31;
    const size_t rest = size - 65821;
    size_bytes.push_back(static_cast<char>(rest >> 16));
    size_bytes.push_back(static_cast<char>((rest >> 8) & 0xff));
    size_bytes.push_back(static_cast<char>(rest & 0xff));
  }
  out.push_back(static_cast<char>(type_bits | size_bits));
  if (type > 7) out.push_back(static_cast<char>(type - 7));
  out += size_bytes;
}

void AppendString(std::string& out, absl::string_view text) {
  AppendControl(out, kTypeUtf8, text.size());
  out.append(text.data(), text.size());
}

void AppendUnsigned(std::string& out, int type, uint64_t value) {
  std::string bytes;
  while (value != 0) {
    bytes.insert(bytes.begin(), static_cast<char>(value & 0xff));
    value >>= 8;
  }
  AppendControl(out, type, bytes.size());
  out += bytes;
}

void AppendDouble(std::string& out, double value) {
  AppendControl(out, kTypeDouble, 8);
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((bits >> shift) & 0xff));  // big-endian
  }
}

void AppendRecord24(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>((value >> 16) & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

}  // namespace

absl::Status MmdbWriter::AddAs(absl::string_view network, uint32_t asn,
                               absl::string_view organization) {
  std::string record;
  AppendControl(record, kTypeMap, 2);
  AppendString(record, "autonomous_system_number");
  AppendUnsigned(record, kTypeUint32, asn);
  AppendString(record, "autonomous_system_organization");
  AppendString(record, organization);
  return AddRecord(network, record);
}

absl::Status MmdbWriter::AddCity(absl::string_view network, double latitude, double longitude,
                                 absl::string_view city, absl::string_view country_iso) {
  std::string record;
  AppendControl(record, kTypeMap, 3);
  AppendString(record, "city");
  AppendControl(record, kTypeMap, 1);
  AppendString(record, "names");
  AppendControl(record, kTypeMap, 1);
  AppendString(record, "en");
  AppendString(record, city);
  AppendString(record, "country");
  AppendControl(record, kTypeMap, 1);
  AppendString(record, "iso_code");
  AppendString(record, country_iso);
  AppendString(record, "location");
  AppendControl(record, kTypeMap, 2);
  AppendString(record, "latitude");
  AppendDouble(record, latitude);
  AppendString(record, "longitude");
  AppendDouble(record, longitude);
  return AddRecord(network, record);
}

absl::Status MmdbWriter::AddRecord(absl::string_view network, const std::string& record) {
  std::vector<absl::string_view> parts = absl::StrSplit(network, '/');
  int length = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &length)) {
    return absl::InvalidArgumentError(absl::StrCat("bad network ", network));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(parts[0]);
  if (!address.ok()) return address.status();
  std::array<uint8_t, 16> bytes{};
  int tree_length = length;
  if (address->is_v4()) {
    if (length < 0 || length > 32) return absl::InvalidArgumentError("bad IPv4 prefix length");
    for (int i = 0; i < 4; ++i) bytes[12 + i] = address->bytes()[i];  // ::a.b.c.d
    tree_length = 96 + length;
  } else {
    if (length < 1 || length > 128) return absl::InvalidArgumentError("bad IPv6 prefix length");
    for (int i = 0; i < 16; ++i) bytes[i] = address->bytes()[i];
  }
  const uint32_t offset = static_cast<uint32_t>(data_.size());
  data_ += record;
  return Insert(bytes, tree_length, offset);
}

absl::Status MmdbWriter::Insert(const std::array<uint8_t, 16>& address, int prefix_length,
                                uint32_t data_offset) {
  uint32_t node = 0;
  for (int depth = 0; depth < prefix_length; ++depth) {
    const int bit = (address[depth / 8] >> (7 - depth % 8)) & 1;
    Record& record = nodes_[node].records[bit];
    if (depth == prefix_length - 1) {
      if (record.kind != Record::kEmpty) {
        return absl::AlreadyExistsError("overlapping networks are not supported");
      }
      record = Record{Record::kData, data_offset};
      return absl::OkStatus();
    }
    if (record.kind == Record::kData) {
      return absl::AlreadyExistsError("overlapping networks are not supported");
    }
    if (record.kind == Record::kEmpty) {
      nodes_.push_back(Node{});
      // nodes_ may have reallocated: index again.
      nodes_[node].records[bit] = Record{Record::kNode, static_cast<uint32_t>(nodes_.size() - 1)};
    }
    node = nodes_[node].records[bit].value;
  }
  return absl::InvalidArgumentError("empty prefix");
}

std::string MmdbWriter::Serialize() const {
  const uint32_t node_count = static_cast<uint32_t>(nodes_.size());
  std::string out;
  for (const Node& node : nodes_) {
    for (const Record& record : node.records) {
      switch (record.kind) {
        case Record::kEmpty:
          AppendRecord24(out, node_count);
          break;
        case Record::kNode:
          AppendRecord24(out, record.value);
          break;
        case Record::kData:
          AppendRecord24(out, node_count + 16 + record.value);
          break;
      }
    }
  }
  out.append(16, '\0');  // data section separator
  out += data_;
  out += "\xAB\xCD\xEFMaxMind.com";
  std::string metadata;
  AppendControl(metadata, kTypeMap, 9);
  AppendString(metadata, "binary_format_major_version");
  AppendUnsigned(metadata, kTypeUint16, 2);
  AppendString(metadata, "binary_format_minor_version");
  AppendUnsigned(metadata, kTypeUint16, 0);
  AppendString(metadata, "build_epoch");
  AppendUnsigned(metadata, kTypeUint64, 1700000000);
  AppendString(metadata, "database_type");
  AppendString(metadata, database_type_);
  AppendString(metadata, "description");
  AppendControl(metadata, kTypeMap, 1);
  AppendString(metadata, "en");
  AppendString(metadata, "pathpair test fixture");
  AppendString(metadata, "ip_version");
  AppendUnsigned(metadata, kTypeUint16, 6);
  AppendString(metadata, "languages");
  AppendControl(metadata, kTypeArray, 1);
  AppendString(metadata, "en");
  AppendString(metadata, "node_count");
  AppendUnsigned(metadata, kTypeUint32, node_count);
  AppendString(metadata, "record_size");
  AppendUnsigned(metadata, kTypeUint16, 24);
  out += metadata;
  return out;
}

absl::Status MmdbWriter::WriteFile(const std::string& path) const {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  const std::string bytes = Serialize();
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  return file ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("cannot write ", path));
}

}  // namespace pathpair::asn::testing

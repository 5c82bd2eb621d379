// Bounds-checked big-endian reads and writes over byte spans, for the packet codec only.
//
// A read past the end returns 0 and a write past the end does nothing, so a missed length check
// can yield a wrong value but never touches memory outside the span. Parsers still check
// lengths first (Has) and turn short input into errors.
//
//   if (!Has(icmp, 0, 8)) return absl::InvalidArgumentError("short ICMP header");
//   uint16_t id = Load16(icmp, 4);
//   Store16(out, 2, checksum);
#ifndef PATHPAIR_COMMON_PACKET_BYTE_IO_H_
#define PATHPAIR_COMMON_PACKET_BYTE_IO_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace pathpair::packet::internal {

// Whether [offset, offset + count) lies inside data (written so that it cannot overflow).
inline bool Has(std::span<const uint8_t> data, size_t offset, size_t count) {
  return offset <= data.size() && count <= data.size() - offset;
}

inline uint8_t Load8(std::span<const uint8_t> data, size_t offset) {
  return offset < data.size() ? data[offset] : 0;
}

inline uint16_t Load16(std::span<const uint8_t> data, size_t offset) {
  if (!Has(data, offset, 2)) return 0;
  return static_cast<uint16_t>((data[offset] << 8) | data[offset + 1]);
}

inline uint32_t Load32(std::span<const uint8_t> data, size_t offset) {
  if (!Has(data, offset, 4)) return 0;
  return (uint32_t{Load16(data, offset)} << 16) | Load16(data, offset + 2);
}

// The bytes [offset, offset + count), clamped to the span (empty when offset is past the end).
inline std::span<const uint8_t> Slice(std::span<const uint8_t> data, size_t offset,
                                      size_t count = SIZE_MAX) {
  if (offset >= data.size()) return {};
  return data.subspan(offset, std::min(count, data.size() - offset));
}
inline std::span<uint8_t> Slice(std::span<uint8_t> data, size_t offset, size_t count = SIZE_MAX) {
  if (offset >= data.size()) return {};
  return data.subspan(offset, std::min(count, data.size() - offset));
}

inline void Store8(std::span<uint8_t> data, size_t offset, uint8_t value) {
  if (offset < data.size()) data[offset] = value;
}

inline void Store16(std::span<uint8_t> data, size_t offset, uint16_t value) {
  if (!Has(data, offset, 2)) return;
  data[offset] = static_cast<uint8_t>(value >> 8);
  data[offset + 1] = static_cast<uint8_t>(value);
}

inline void Store32(std::span<uint8_t> data, size_t offset, uint32_t value) {
  if (!Has(data, offset, 4)) return;
  Store16(data, offset, static_cast<uint16_t>(value >> 16));
  Store16(data, offset + 2, static_cast<uint16_t>(value));
}

// Copies as much of `from` as fits at `offset`.
inline void StoreBytes(std::span<uint8_t> data, size_t offset, std::span<const uint8_t> from) {
  std::span<uint8_t> to = Slice(data, offset, from.size());
  std::copy_n(from.begin(), to.size(), to.begin());
}

}  // namespace pathpair::packet::internal

#endif  // PATHPAIR_COMMON_PACKET_BYTE_IO_H_

// RFC 1071 Internet checksum and the IPv4/IPv6 pseudo-header sums.
#include "common/packet/byte_io.h"
#include "common/packet/packet.h"

namespace pathpair::packet {

using internal::Load16;

uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum) {
  // 64 bits cannot overflow for any packet size, so folding waits until the end.
  uint64_t sum = initial_sum;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += Load16(data, i);
  if (i < data.size()) sum += uint32_t{data[i]} << 8;  // odd length: pad with a zero byte
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t PseudoHeaderSum(const IpAddress& source, const IpAddress& destination, uint8_t protocol,
                         uint32_t upper_layer_length) {
  uint32_t sum = 0;
  for (const IpAddress* address : {&source, &destination}) {
    std::span<const uint8_t> bytes = address->bytes();
    for (size_t i = 0; i < bytes.size(); i += 2) sum += Load16(bytes, i);
  }
  // IPv4 carries a 16-bit length and IPv6 a 32-bit one; summing both halves covers either.
  sum += (upper_layer_length >> 16) + (upper_layer_length & 0xffff);
  sum += protocol;
  return sum;
}

}  // namespace pathpair::packet

#include "agent/net/rebuilt_packets.h"

#include <algorithm>

namespace pathpair::net {
namespace {

constexpr uint8_t kProtocolIcmp = 1;
constexpr uint8_t kProtocolIcmpv6 = 58;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kIcmpHeader = 8;
// Keeps a rebuilt packet within IPv4's 16-bit total length whatever the socket handed us.
constexpr size_t kMaxQuote = 1200;

uint32_t SumWords(std::span<const uint8_t> data, uint32_t sum = 0) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

void Put16(std::vector<uint8_t>& out, size_t at, uint16_t value) {
  out[at] = static_cast<uint8_t>(value >> 8);
  out[at + 1] = static_cast<uint8_t>(value & 0xff);
}

void PutAddress(std::vector<uint8_t>& out, size_t at, const IpAddress& address) {
  std::span<const uint8_t> bytes = address.bytes();
  std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<ptrdiff_t>(at));
}

// Writes an IPv4 header at `at` for a packet of `total` bytes.
void WriteIpv4Header(std::vector<uint8_t>& out, size_t at, size_t total, uint8_t ttl,
                     const IpAddress& source, const IpAddress& destination) {
  out[at] = 0x45;
  Put16(out, at + 2, static_cast<uint16_t>(total));
  out[at + 8] = ttl;
  out[at + 9] = kProtocolIcmp;
  PutAddress(out, at + 12, source);
  PutAddress(out, at + 16, destination);
  Put16(out, at + 10, Fold(SumWords(std::span<const uint8_t>(out).subspan(at, kIpv4Header))));
}

std::span<const uint8_t> Bounded(std::span<const uint8_t> data) {
  return data.first(std::min(data.size(), kMaxQuote));
}

}  // namespace

std::vector<uint8_t> RebuildIpv4Packet(const IpAddress& source, const IpAddress& destination,
                                       std::span<const uint8_t> icmp_message) {
  icmp_message = Bounded(icmp_message);
  std::vector<uint8_t> out(kIpv4Header + icmp_message.size());
  WriteIpv4Header(out, 0, out.size(), 64, source, destination);
  std::copy(icmp_message.begin(), icmp_message.end(), out.begin() + kIpv4Header);
  return out;
}

std::vector<uint8_t> RebuildIpv4IcmpError(uint8_t type, uint8_t code, const IpAddress& offender,
                                          const IpAddress& local,
                                          const IpAddress& probe_destination,
                                          std::span<const uint8_t> quoted_icmp) {
  quoted_icmp = Bounded(quoted_icmp);
  const size_t quote_at = kIpv4Header + kIcmpHeader;
  std::vector<uint8_t> out(quote_at + kIpv4Header + quoted_icmp.size());
  WriteIpv4Header(out, quote_at, kIpv4Header + quoted_icmp.size(), 1, local, probe_destination);
  std::copy(quoted_icmp.begin(), quoted_icmp.end(), out.begin() + quote_at + kIpv4Header);
  out[kIpv4Header] = type;
  out[kIpv4Header + 1] = code;
  Put16(out, kIpv4Header + 2, Fold(SumWords(std::span<const uint8_t>(out).subspan(kIpv4Header))));
  WriteIpv4Header(out, 0, out.size(), 64, offender, local);
  return out;
}

std::vector<uint8_t> RebuildIcmpv6Error(uint8_t type, uint8_t code, const IpAddress& offender,
                                        const IpAddress& local, const IpAddress& probe_destination,
                                        std::span<const uint8_t> quoted_icmp) {
  quoted_icmp = Bounded(quoted_icmp);
  std::vector<uint8_t> out(kIcmpHeader + kIpv6Header + quoted_icmp.size());
  out[0] = type;
  out[1] = code;
  const size_t quote_at = kIcmpHeader;
  out[quote_at] = 0x60;
  Put16(out, quote_at + 4, static_cast<uint16_t>(quoted_icmp.size()));
  out[quote_at + 6] = kProtocolIcmpv6;
  out[quote_at + 7] = 1;
  PutAddress(out, quote_at + 8, local);
  PutAddress(out, quote_at + 24, probe_destination);
  std::copy(quoted_icmp.begin(), quoted_icmp.end(), out.begin() + quote_at + kIpv6Header);
  // Pseudo-header: source, destination, upper-layer length, next header.
  uint32_t sum = SumWords(offender.bytes());
  sum = SumWords(local.bytes(), sum);
  sum += static_cast<uint32_t>(out.size() >> 16) + static_cast<uint32_t>(out.size() & 0xffff);
  sum += kProtocolIcmpv6;
  Put16(out, 2, Fold(SumWords(out, sum)));
  return out;
}

}  // namespace pathpair::net

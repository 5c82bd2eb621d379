#include "common/net/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pathpair {

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  // inet_pton needs a NUL-terminated string; longer text cannot be an address, and text with a
  // NUL inside would be read only up to it (found by tests/fuzz/cidr).
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not an IP address: '", text, "'"));
  }
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
    a.family_ = IpFamily::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = IpFamily::kV6;
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("not an IP address: '", text, "'"));
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::V4Bytes(std::span<const uint8_t, 4> bytes) {
  IpAddress a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::V6Bytes(std::span<const uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

absl::StatusOr<IpAddress> IpAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  if (sa != nullptr && sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    IpAddress a;
    std::memcpy(a.bytes_.data(), &sin.sin_addr, 4);
    return a;
  }
  if (sa != nullptr && sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    IpAddress a;
    a.family_ = IpFamily::kV6;
    std::memcpy(a.bytes_.data(), &sin6.sin6_addr, 16);
    return a;
  }
  return absl::InvalidArgumentError("sockaddr is neither IPv4 nor IPv6");
}

IpAddress IpAddress::Any(IpFamily family) {
  IpAddress a;
  a.family_ = family;
  return a;
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

socklen_t IpAddress::ToSockaddr(uint16_t port, sockaddr_storage* out) const {
  std::memset(out, 0, sizeof(*out));
  if (is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, bytes_.data(), 4);
    std::memcpy(out, &sin, sizeof(sin));
    return sizeof(sin);
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  std::memcpy(&sin6.sin6_addr, bytes_.data(), 16);
  std::memcpy(out, &sin6, sizeof(sin6));
  return sizeof(sin6);
}

bool IpAddress::IsUnspecified() const {
  return std::all_of(bytes().begin(), bytes().end(), [](uint8_t b) { return b == 0; });
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes_[0] == 127;
  static constexpr std::array<uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kV6Loopback;
}

bool IpAddress::IsPrivate() const {
  if (is_v4()) {
    return bytes_[0] == 10 || (bytes_[0] == 172 && (bytes_[1] & 0xf0) == 16) ||
           (bytes_[0] == 192 && bytes_[1] == 168);
  }
  return (bytes_[0] & 0xfe) == 0xfc;
}

bool IpAddress::IsLinkLocal() const {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::IsCgnat() const { return is_v4() && bytes_[0] == 100 && (bytes_[1] & 0xc0) == 64; }

bool IpAddress::IsMulticast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::IsBroadcast() const { return is_v4() && v4_host_order() == 0xffffffffu; }

bool IpAddress::IsDocumentation() const {
  if (is_v4()) {
    const uint32_t a = v4_host_order() & 0xffffff00u;
    return a == 0xc0000200u || a == 0xc6336400u || a == 0xcb007100u;
  }
  return bytes_[0] == 0x20 && bytes_[1] == 0x01 && bytes_[2] == 0x0d && bytes_[3] == 0xb8;
}

bool IpAddress::SharesPrefix(const IpAddress& other, int prefix_len) const {
  if (family_ != other.family_) return false;
  const int max_bits = is_v4() ? 32 : 128;
  if (prefix_len < 0 || prefix_len > max_bits) return false;
  const int whole = prefix_len / 8;
  if (!std::equal(bytes_.begin(), bytes_.begin() + whole, other.bytes_.begin())) return false;
  const int rest = prefix_len % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes_[whole] & mask) == (other.bytes_[whole] & mask);
}

}  // namespace pathpair

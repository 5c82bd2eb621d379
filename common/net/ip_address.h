// IpAddress: an IPv4 or IPv6 address as a small value type, with parsing, formatting, sockaddr
// conversion and the address-range tests that the diagnosis uses to place hops in network areas.
//
//   absl::StatusOr<IpAddress> a = IpAddress::Parse("2001:db8::1");
//   if (a.ok() && a->IsPrivate()) ...
#ifndef PATHPAIR_COMMON_NET_IP_ADDRESS_H_
#define PATHPAIR_COMMON_NET_IP_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pathpair {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  // The IPv4 "any" address 0.0.0.0.
  IpAddress() = default;

  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  static IpAddress V4(uint32_t host_order);
  static IpAddress V4Bytes(std::span<const uint8_t, 4> bytes);
  static IpAddress V6Bytes(std::span<const uint8_t, 16> bytes);
  static absl::StatusOr<IpAddress> FromSockaddr(const sockaddr* sa, socklen_t len);
  static IpAddress Any(IpFamily family);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }
  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  std::span<const uint8_t> bytes() const {
    return std::span<const uint8_t>(bytes_.data(), is_v4() ? 4 : 16);
  }
  uint32_t v4_host_order() const;

  std::string ToString() const;
  // Fills a sockaddr_in or sockaddr_in6 and returns its length.
  socklen_t ToSockaddr(uint16_t port, sockaddr_storage* out) const;

  bool IsUnspecified() const;
  bool IsLoopback() const;
  // RFC 1918 (v4) or unique-local fc00::/7 (v6).
  bool IsPrivate() const;
  // 169.254/16 or fe80::/10.
  bool IsLinkLocal() const;
  // 100.64.0.0/10, the shared address space used by carrier-grade NAT.
  bool IsCgnat() const;
  // Documentation ranges: 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32.
  bool IsDocumentation() const;
  // 224.0.0.0/4 or ff00::/8.
  bool IsMulticast() const;
  // 255.255.255.255 (IPv4's limited broadcast; a subnet's broadcast address cannot be told from
  // the address alone).
  bool IsBroadcast() const;
  // Whether the first prefix_len bits equal those of other (same family only).
  bool SharesPrefix(const IpAddress& other, int prefix_len) const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) { return !(a == b); }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return a.family_ != b.family_ ? a.family_ < b.family_ : a.bytes_ < b.bytes_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses the first 4
};

}  // namespace pathpair

#endif  // PATHPAIR_COMMON_NET_IP_ADDRESS_H_

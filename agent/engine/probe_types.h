// Small value types shared by the probe engine's modules: a TTL and a probe sequence number,
// kept distinct so that one cannot be passed where the other is meant.
//
//   Ttl ttl(5);
//   Sequence seq(0x1234);
//   spec.ttl = ttl.value();
//   spec.sequence = seq.value();
#ifndef PATHPAIR_AGENT_ENGINE_PROBE_TYPES_H_
#define PATHPAIR_AGENT_ENGINE_PROBE_TYPES_H_

#include <compare>
#include <cstdint>
#include <utility>

namespace pathpair::engine {

// An IP TTL (IPv6 hop limit): 1..255 for probes.
class Ttl {
 public:
  constexpr Ttl() = default;
  constexpr explicit Ttl(int value) : value_(value) {}
  constexpr int value() const { return value_; }
  friend constexpr auto operator<=>(Ttl, Ttl) = default;
  template <typename H>
  friend H AbslHashValue(H h, Ttl t) {
    return H::combine(std::move(h), t.value_);
  }

 private:
  int value_ = 0;
};

// A probe's 16-bit sequence number, unique among one trace's probes in flight. Carried in the
// ICMP echo sequence, the UDP checksum (Paris) or the low 16 bits of the TCP sequence. The
// engine never uses 0 or 0xffff (a UDP checksum cannot be 0, and 0xffff is its alias).
class Sequence {
 public:
  constexpr Sequence() = default;
  constexpr explicit Sequence(uint16_t value) : value_(value) {}
  constexpr uint16_t value() const { return value_; }
  friend constexpr auto operator<=>(Sequence, Sequence) = default;
  template <typename H>
  friend H AbslHashValue(H h, Sequence s) {
    return H::combine(std::move(h), s.value_);
  }

 private:
  uint16_t value_ = 0;
};

}  // namespace pathpair::engine

#endif  // PATHPAIR_AGENT_ENGINE_PROBE_TYPES_H_

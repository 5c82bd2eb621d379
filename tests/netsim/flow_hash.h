// The flow hash that pathpair-netsim's ECMP routers use to pick one of their addresses: a stable
// hash of the 5-tuple (addresses, protocol, ports; the ICMP echo identifier stands for the ports),
// so that one flow always meets the same router and a Paris-style tracer sees one path.
//
//   uint64_t h = FlowHash(header, seed);
//   const IpAddress& a = addresses[h % addresses.size()];
#ifndef PATHPAIR_TESTS_NETSIM_FLOW_HASH_H_
#define PATHPAIR_TESTS_NETSIM_FLOW_HASH_H_

#include <cstdint>

#include "common/net/ip_address.h"

namespace pathpair::netsim {

struct FlowKey {
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;
  uint16_t source_port = 0;  // ICMP echo: the identifier
  uint16_t destination_port = 0;
};

// Independent of TTL, sequence numbers, checksums and payload.
uint64_t FlowHash(const FlowKey& key, uint64_t seed);

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_FLOW_HASH_H_

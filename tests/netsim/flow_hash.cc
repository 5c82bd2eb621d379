#include "tests/netsim/flow_hash.h"

#include "tests/netsim/sim_random.h"

namespace pathpair::netsim {

uint64_t FlowHash(const FlowKey& key, uint64_t seed) {
  uint64_t h = Mix64(seed ^ 0x666c6f77ULL);
  auto absorb = [&h](uint64_t v) { h = Mix64(h ^ v); };
  for (uint8_t b : key.source.bytes()) absorb(b);
  absorb(0x100);
  for (uint8_t b : key.destination.bytes()) absorb(b);
  absorb(key.protocol);
  absorb((uint64_t{key.source_port} << 16) | key.destination_port);
  return h;
}

}  // namespace pathpair::netsim

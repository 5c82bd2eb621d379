// ProbeEventSink: per-probe events (a probe left, a reply matched it) for outputs that log every
// probe rather than per-hop statistics — mtr's raw format (-l), whose `p` lines carry each
// probe's on-wire sequence number so each RTT can be checked against a packet capture.
// Shared by the prober (agent/prober calls it) and the controller's writers (which implement it).
//
// The prober calls it from its loop thread, right after a probe's send time is known and right
// after the engine accepted a reply (not late, not a duplicate):
//
//   formats::RawWriter raw(std::cout, options);      // implements ProbeEventSink
//   prober::RunTrace(options, target, on_snapshot, &interrupted, &raw);
//   // -> raw.OnProbeSent(/*ttl=*/3, /*sequence=*/0x8123, sent_at);
//   // -> raw.OnReply(/*ttl=*/3, /*sequence=*/0x8123, responder, absl::Microseconds(840), {});
#ifndef PATHPAIR_COMMON_TRACE_PROBE_EVENTS_H_
#define PATHPAIR_COMMON_TRACE_PROBE_EVENTS_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"

namespace pathpair {

// One RFC 4950 label of a reply, as the codec reads it.
struct ProbeMplsLabel {
  uint32_t label = 0;
  uint32_t traffic_class = 0;
  bool bottom_of_stack = false;
  uint32_t ttl = 0;
};

class ProbeEventSink {
 public:
  virtual ~ProbeEventSink() = default;
  // A probe left with this TTL and on-wire sequence (ICMP sequence, UDP/TCP port-coded value).
  virtual void OnProbeSent(int ttl, uint16_t sequence, MonoTime sent_at) = 0;
  // A reply the engine accepted for that probe (not late, not a duplicate).
  virtual void OnReply(int ttl, uint16_t sequence, const IpAddress& responder, absl::Duration rtt,
                       const std::vector<ProbeMplsLabel>& mpls) = 0;
};

}  // namespace pathpair

#endif  // PATHPAIR_COMMON_TRACE_PROBE_EVENTS_H_
